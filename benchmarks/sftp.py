"""SFTP upload throughput of the product's uploader against OpenSSH's own client, same run.

Both upload the same file to the same OpenSSH ``sshd`` on loopback (a real server, so the
server is not the bottleneck); rounds alternate so machine noise hits both. Reports MB/s for each
and the ratio product/OpenSSH (goal >= 0.8). Without the ``sftp`` client or ``sshd`` the script
says so and measures what it can.

It also times ``build_delivery_file`` for a snapshot of 1M people against a floor (reading the
same snapshot with ``csv.reader``), as a ratio.

    ./run bench sftp                    # 200 MB, 3 rounds, 1M-record build
    ./run bench sftp --mb 50 --rounds 2 --records 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_RATIO = 0.8


def product_upload(server, key_text: str, data: bytes, name: str) -> float:
    from shared.adapters.sftp import Credentials, SftpDelivery
    from shared.config import SftpTarget

    target = SftpTarget(host="127.0.0.1", port=server.port, username=server.user,
                        host_key=server.host_key_line, secret_name="bench", operation_timeout=600)
    started = time.perf_counter()
    SftpDelivery(target, Credentials(private_key=key_text)).upload(name, data)
    return time.perf_counter() - started


def openssh_upload(server, key_file: Path, known_hosts: Path, source: Path, name: str) -> float:
    batch = key_file.parent / "batch"
    batch.write_text(f"put {source} {name}\n")
    started = time.perf_counter()
    subprocess.run(["sftp", "-q", "-b", str(batch), "-i", str(key_file), "-P", str(server.port),
                    "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
                    "-o", "BatchMode=yes", f"{server.user}@127.0.0.1"],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def measure_sftp(mb: int, rounds: int, scratch: Path) -> dict:
    import asyncssh

    from devtools.devservices import Sshd, sshd_available

    if not sshd_available():
        return {"skipped": "OpenSSH sshd not installed (./run setup installs it as root)"}
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_text = key.export_private_key("openssh").decode()
    key_file = scratch / "id_ed25519"
    key_file.write_text(key_text)
    key_file.chmod(0o600)
    server = Sshd(scratch / "sshd").start(key.export_public_key("openssh").decode().strip())
    try:
        known_hosts = scratch / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{server.port} {server.host_key_line}\n")
        data = os.urandom(1024 * 1024) * mb  # incompressible per MB; SSH does not compress here
        source = scratch / "payload.bin"
        source.write_bytes(data)
        have_client = shutil.which("sftp") is not None
        per_round = []
        for i in range(rounds):
            ours = product_upload(server, key_text, data, f"ours-{i}.bin")
            assert (server.root / f"ours-{i}.bin").stat().st_size == len(data)
            (server.root / f"ours-{i}.bin").unlink()
            row = {"product_mb_s": mb / ours}
            if have_client:
                theirs = openssh_upload(server, key_file, known_hosts, source, f"openssh-{i}.bin")
                (server.root / f"openssh-{i}.bin").unlink()
                row.update(openssh_mb_s=mb / theirs, ratio=theirs / ours)
            per_round.append(row)
    finally:
        server.stop()
    result = {"mb": mb, "rounds": per_round,
              "median_product_mb_s": statistics.median(r["product_mb_s"] for r in per_round)}
    if have_client:
        result["median_openssh_mb_s"] = statistics.median(r["openssh_mb_s"] for r in per_round)
        result["median_ratio"] = statistics.median(r["ratio"] for r in per_round)
        result["goal_met"] = result["median_ratio"] >= GOAL_RATIO
    else:
        result["note"] = "OpenSSH sftp client not found: no baseline, no ratio"
    return result


def synthetic_snapshot(records: int) -> str:
    from devtools.sample import unique_bsns
    from shared.domain.snapshot import SNAPSHOT_FIELDS, new_writer

    out = io.StringIO()
    writer = new_writer(out)
    writer.writerow(SNAPSHOT_FIELDS)
    people = unique_bsns(5)
    for i in range(records):
        start = f"20{20 + i % 6}-0{1 + i % 9}-1{i % 10}"
        end = "2026-01-01" if i % 7 == 0 else ""
        writer.writerow((next(people), "", "1980-02-01", "Jansen", "", "J.", "1234AB", "12", "", start,
                         start, end, f"SHV-{i}", "A. de Wit", "014 0999", "a@b.nl", start, str(i + 2),
                         "row"))
    return out.getvalue()


def measure_build(records: int) -> dict:
    from shared.config import Settings, load_organisations
    from shared.domain.delivery_file import build_delivery_file
    from shared.domain.profile import shipped_profile
    from shared.domain.snapshot import iter_snapshot_rows

    text = synthetic_snapshot(records)
    organisation = load_organisations(Settings()).organisations[0]
    started = time.perf_counter()
    count = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    floor = time.perf_counter() - started
    started = time.perf_counter()
    built = build_delivery_file(iter_snapshot_rows(io.StringIO(text, newline="")), organisation,
                                date(2026, 11, 28), shipped_profile("vish-minimaal"))
    build = time.perf_counter() - started
    return {"records": count - 1, "delivered": built.records, "floor_seconds": floor,
            "build_seconds": build, "build_records_per_s": (count - 1) / build,
            "ratio_build_to_csv_read": floor / build}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vish-sftp-bench-") as scratch:
        figures = {"sftp": measure_sftp(args.mb, args.rounds, Path(scratch)),
                   "build": measure_build(args.records)}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    sftp = figures["sftp"]
    if "skipped" in sftp:
        print(f"SFTP: {sftp['skipped']}")
    else:
        print(f"SFTP upload of {sftp['mb']} MB to OpenSSH sshd on loopback")
        for i, r in enumerate(sftp["rounds"], 1):
            line = f"  round {i}: product {r['product_mb_s']:.1f} MB/s"
            if "ratio" in r:
                line += f", OpenSSH sftp {r['openssh_mb_s']:.1f} MB/s, ratio {r['ratio']:.2f}"
            print(line)
        if "median_ratio" in sftp:
            print(f"  median ratio product/OpenSSH: {sftp['median_ratio']:.2f} (goal >= {GOAL_RATIO}: "
                  f"{'met' if sftp['goal_met'] else 'NOT met'})")
    b = figures["build"]
    print(f"build_delivery_file: {b['records']:,} records ({b['delivered']:,} eligible) in "
          f"{b['build_seconds']:.2f} s = {b['build_records_per_s']:,.0f} records/s; "
          f"ratio to a plain csv read of the snapshot {b['ratio_build_to_csv_read']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
