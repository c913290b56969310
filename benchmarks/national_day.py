"""A national delivery day: hundreds of organisations through the delivery queue, 1 to 8 consumers.

Everything is real except the distance: Azurite for blobs, tables and the queue; OpenSSH's
``sshd`` on loopback for SNG, reached through a latency proxy (``devtools/latency_proxy.py``,
default 25 ms each way, so ~50 ms per SFTP request and answer, as to a server elsewhere in the
country); the product's own intake, timer tick (``DeliveryService.tick``: one queue message per
due organisation) and queue consumer (``shared.usecases.consumer.drain``).

Set-up: ``--orgs`` organisations (default 350) with a realistic spread of sizes from a seeded
random draw (a few large cities of 5,000-20,000 people, some towns of 1,000-5,000, most
municipalities of 50-1,000; scaled to about ``--people`` in all, default 300,000); each gets
a generated extract (valid BSNs, ``devtools/sample.py``) through the real intake, its own
folder on the SFTP server, the host key pinned and the private key in the local secret store.

Then, in one run, the whole day (tick + drain) with each ``--consumers`` count (default 1, 4, 8)
on consecutive days (a fixed clock per run, as the tests fix ``now``), each consumer a separate
OS process as on Azure (one instance each, no shared GIL): started and warmed first, then the
tick, then all consumers at once; wall time from the tick until the last consumer process
ended. Each run must deliver every organisation (any other count is printed loudly).

Memory: the peak RSS (VmHWM) of each consumer process, of a process that delivers only the
largest organisation, of one that delivers an organisation of ``--million`` people (its
snapshot written directly in BSN order, delivered through the same queue path), and of a
baseline process that only imports and builds the service (same run). Goal: <= 100 MB.
Plus helper figures from ``benchmarks/delivery_file.py --json`` (building a 1M-person file
against reading its snapshot), when that benchmark is present.

    ./run bench national_day                     # 350 organisations, ~300k people, 1/4/8 consumers
    ./run bench national_day --quick             # 15 organisations, 4k people: a check in < 1 min
    .venv/bin/python benchmarks/national_day.py --orgs 100 --consumers 1,8 --skip-million
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_TICK_SECONDS = 15 * 60  # the timer's schedule: every 15 minutes
GOAL_RSS_MB = 100.0
FIRST_DAY = date(2026, 12, 1)  # the first run's day; run k delivers FIRST_DAY + k
INTAKE_DAY = FIRST_DAY - timedelta(days=1)
SEND_TIME = "05:00"  # local; every tick below is at 07:30 local (06:30 UTC in winter)
SECRET = "sng-key"
MILLION_CODE = "miljoen"
WORKER_TIMEOUT = 3 * 60 * 60


def tick_moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM). ``ru_maxrss`` keeps the peak of the process before
    ``exec`` on Linux (here the benchmark that started it), so it is not used."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB, roughly


# -- the organisations --------------------------------------------------------------------------
def org_code(index: int) -> str:
    """Letters only (a run of digits in a code looks like a year where names are shown)."""
    letters = ""
    n = index
    for _ in range(3):
        letters = "abcdefghijklmnopqrstuvwxyz"[n % 26] + letters
        n //= 26
    return f"gem-{letters}"


def draw_sizes(orgs: int, people: int, seed: int = 13) -> list[int]:
    """People per organisation: ~2 % large cities (5k-20k, uniform), ~12 % towns (1k-5k) and
    the rest municipalities of 50-1,000 (both log-uniform: many small, fewer large), then
    scaled so that the total is about ``people``. Seeded: the same figures every run."""
    rng = random.Random(seed)
    cities = max(1, round(orgs * 0.02))
    towns = round(orgs * 0.12) if orgs > cities else 0
    small = max(0, orgs - cities - towns)

    def log_uniform(low: float, high: float) -> float:
        return math.exp(rng.uniform(math.log(low), math.log(high)))

    raw = ([rng.uniform(5_000, 20_000) for _ in range(cities)]
           + [log_uniform(1_000, 5_000) for _ in range(towns)]
           + [log_uniform(50, 1_000) for _ in range(small)])
    scale = people / sum(raw)
    sizes = [max(1, round(r * scale)) for r in raw]
    rng.shuffle(sizes)
    return sizes


BUCKETS = ((1, 99), (100, 249), (250, 499), (500, 999), (1_000, 4_999), (5_000, 9_999),
           (10_000, 20_000), (20_001, 10**9))


def distribution(sizes: list[int]) -> list[tuple[str, int, int]]:
    rows = []
    for low, high in BUCKETS:
        inside = [s for s in sizes if low <= s <= high]
        if inside:
            label = f"{low:,}-{high:,}" if high < 10**9 else f">= {low:,}"
            rows.append((label, len(inside), sum(inside)))
    return rows


def organisation(code: str, index: int, sftp: dict, *, name: str | None = None) -> dict:
    return {
        "code": code, "name": name or f"Gemeente {code.removeprefix('gem-').upper()}",
        "aansluitcode": f"BM-{index:04d}",
        "contact": {"naam": "Team Schuldhulp", "telefoon": "14 0999", "email": f"{code}@voorbeeld.nl"},
        "send_time": SEND_TIME, "eligibility_rule": "toelating",
        "sftp": {**sftp, "directory": code},
    }


# -- the services -------------------------------------------------------------------------------
class Services:
    """Azurite, sshd, the latency proxy, the key, the settings of every process."""

    def __init__(self, scratch: Path, delay: float) -> None:
        self.scratch = scratch
        self.delay = delay
        self.azurite = self.sshd = self.proxy = None

    def __enter__(self) -> Services:
        try:
            return self._start()
        except BaseException:
            self.__exit__()  # whatever did start stops again
            raise

    def _start(self) -> Services:
        import asyncssh

        from devtools.devservices import Azurite, Sshd, sshd_available
        from devtools.latency_proxy import LatencyProxy

        if not sshd_available():
            raise SystemExit("OpenSSH sshd is not installed (./run setup installs it as root)")
        self.azurite = Azurite(self.scratch / "azurite").start()
        key = asyncssh.generate_private_key("ssh-ed25519")
        secrets = self.scratch / "secrets"
        secrets.mkdir()
        (secrets / SECRET).write_text(key.export_private_key("openssh").decode())
        self.sshd = Sshd(self.scratch / "sshd").start(key.export_public_key("openssh").decode().strip())
        self.proxy = LatencyProxy(self.sshd.port, delay=self.delay).start()
        self.env = {**os.environ,
                    "VISH_STORAGE_CONNECTION_STRING": self.azurite.connection_string,
                    "VISH_SECRETS_DIR": str(secrets),
                    "VISH_WORK_DIR": str(self.scratch / "work"),
                    "VISH_LOG_LEVEL": "WARNING"}
        (self.scratch / "work").mkdir()
        for name in ("VISH_ORGANISATIONS_JSON", "VISH_KEY_VAULT_URL"):
            self.env.pop(name, None)
            os.environ.pop(name, None)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("VISH_")})
        return self

    def __exit__(self, *exc) -> None:
        for service in (self.proxy, self.sshd, self.azurite):
            if service is not None:
                service.stop()

    def sftp(self) -> dict:
        return {"host": "127.0.0.1", "port": self.proxy.port, "username": self.sshd.user,
                "host_key": self.sshd.host_key_line, "secret_name": SECRET,
                "connect_timeout": 30, "operation_timeout": 300}

    def organisations_file(self, name: str, organisations: list[dict]) -> Path:
        path = self.scratch / f"{name}.json"
        path.write_text(json.dumps({"organisations": organisations}), encoding="utf-8")
        for org in organisations:
            (self.sshd.root / org["code"]).mkdir(exist_ok=True)
        return path

    def settings(self, organisations_file: Path):
        """This process's settings (the environment set above) with these organisations."""
        from shared.config import Settings

        return Settings(organisations_file=organisations_file)

    def delivered_files(self, day: date) -> tuple[int, int]:
        """Files of ``day`` on the server (all folders), and temporary files left anywhere."""
        stamp = day.strftime("%Y%m%d")
        final = part = 0
        for path in self.sshd.root.rglob("*"):
            if path.is_file():
                if path.name.endswith(".part"):
                    part += 1
                elif f"_{stamp}_" in path.name:
                    final += 1
        return final, part


# -- data set-up: the real intake of a generated extract per organisation -----------------------
def intake_all(services: Services, organisations_file: Path, sizes: dict[str, int]) -> dict:
    from devtools.sample import HEADER, sample_rows
    from shared.usecases.intake import EXTRACTS_CONTAINER
    from shared.wiring import build_intake

    intake = build_intake(services.settings(organisations_file))
    intake.ensure_storage()
    intake.now = lambda: tick_moment(INTAKE_DAY)
    started = time.perf_counter()
    refused = []
    people = 0
    for n, (code, size) in enumerate(sizes.items()):
        rows = sample_rows(size, today=INTAKE_DAY, seed=n + 1, error_rate=0.0, partner_rate=0.0)
        data = ("\r\n".join([HEADER, *rows]) + "\r\n").encode()
        intake.blobs.upload(EXTRACTS_CONTAINER, f"{code}/export.csv", data)
        outcome = intake.process(f"{code}/export.csv")
        if outcome.decision != "accepted":
            refused.append((code, outcome.decision, outcome.reason))
        else:
            people += size
        if (n + 1) % 50 == 0:
            print(f"  intake: {n + 1}/{len(sizes)} organisations, {time.perf_counter() - started:.0f} s",
                  flush=True)
    if refused:
        print(f"!!! {len(refused)} extracts NOT accepted: {refused[:5]}", flush=True)
    return {"seconds": time.perf_counter() - started, "accepted": len(sizes) - len(refused),
            "people": people, "refused": refused}


def write_sorted_snapshot(services: Services, organisations_file: Path, code: str, people: int) -> dict:
    """A snapshot of ``people`` people written directly (the intake of a 1M-row extract would
    take minutes and is measured elsewhere), records in ascending BSN order and said so in the
    metadata, as the intake writes it."""
    from devtools.sample import bsn_from_prefix
    from shared.domain.snapshot import (
        SNAPSHOT_FIELDS,
        SNAPSHOT_FORMAT_VERSION,
        SNAPSHOT_ORDER_BSN,
        SNAPSHOT_ORDER_KEY,
        new_writer,
    )
    from shared.usecases.intake import SNAPSHOT_NAME
    from shared.wiring import build_intake

    intake = build_intake(services.settings(organisations_file))
    intake.ensure_storage()
    path = services.scratch / "million.csv"
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = new_writer(fh)
        writer.writerow(SNAPSHOT_FIELDS)
        # Ascending eight-digit prefixes give ascending BSNs; ~1 in 11 has no check digit.
        prefix, written, step = 10_000_000, 0, max(1, 88_000_000 // (people + people // 5 + 1))
        while written < people:
            prefix += step
            if prefix >= 100_000_000:
                raise SystemExit(f"cannot draw {people:,} ascending BSNs")
            bsn = bsn_from_prefix(prefix)
            if bsn is None:
                continue
            i = written
            start = f"20{19 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            end = "2026-06-30" if i % 9 == 0 else ""
            writer.writerow((bsn, "", f"19{40 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                             ("Jansen", "de Vries", "Bakker", "Yılmaz")[i % 4], "", "J.", "1234AB",
                             str(1 + i % 300), "", start, start, end, f"SHV-{i}", "A. de Wit",
                             "014 0999", "schuldhulp@voorbeeld.nl", start, str(i + 2), "row"))
            written += 1
    with open(path, "rb") as fh:
        intake.blobs.upload(services.settings(organisations_file).snapshots_container,
                            f"{code}/{SNAPSHOT_NAME}", fh,
                            metadata={"people": str(people), "format_version": SNAPSHOT_FORMAT_VERSION,
                                      "accepted_at": tick_moment(INTAKE_DAY).isoformat(),
                                      SNAPSHOT_ORDER_KEY: SNAPSHOT_ORDER_BSN,
                                      "eligibility_basis": "toelatingsdatum"},
                            content_type="text/csv; charset=utf-8")
    size = path.stat().st_size
    path.unlink()
    return {"people": people, "snapshot_mb": round(size / 2**20, 1),
            "seconds": round(time.perf_counter() - started, 1)}


# -- consumer processes -------------------------------------------------------------------------
def worker(kind: str, now: str, out: Path) -> None:
    """Child process: build the delivery service as a consumer instance does, say ready, wait
    for the go (stdin), drain the queue (or, baseline: nothing), write its figures to ``out``."""
    import paramiko  # noqa: F401 - the baseline holds what a delivery imports too

    import shared.adapters.sftp  # noqa: F401
    from shared.config import get_settings
    from shared.usecases.consumer import drain
    from shared.wiring import build_delivery

    service = build_delivery(get_settings())
    fixed = datetime.fromisoformat(now)
    service.now = lambda: fixed
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    if kind == "baseline":
        out.write_text(json.dumps({"rss_mb": round(peak_rss_mb(), 1)}))
        return
    result = drain(service, consumers=1)
    statuses = Counter(o.status for o in result.outcomes)
    largest = max(result.outcomes, key=lambda o: o.people or 0, default=None)
    out.write_text(json.dumps({
        "rss_mb": round(peak_rss_mb(), 1), "statuses": dict(statuses),
        "failed": [(o.org, o.status, o.error_kind) for o in result.outcomes if o.status != "succeeded"][:20],
        "poisoned": len(result.poisoned), "retried": result.retried, "ignored": result.ignored,
        "people": sum(o.people or 0 for o in result.outcomes if o.status == "succeeded"),
        "bytes": sum(o.size or 0 for o in result.outcomes if o.status == "succeeded"),
        "largest": {"org": largest.org, "people": largest.people, "records": largest.records,
                    "size": largest.size} if largest else None,
        "drain_seconds": round(result.seconds, 2)}))
    # The work is done: end now. Tearing the interpreter down takes ~0.5 s of CPU per process
    # (8 at once on 2 cores: seconds), which no consumer instance on Azure pays per delivery.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class Consumer:
    """One worker process, started and warmed up; ``go`` lets it work."""

    def __init__(self, services: Services, organisations_file: Path, now: datetime, kind: str,
                 label: str) -> None:
        env = {**services.env, "VISH_ORGANISATIONS_FILE": str(organisations_file)}
        self.log = services.scratch / f"{label}.log"
        self.out = services.scratch / f"{label}.json"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--worker", kind, "--now", now.isoformat(),
                 "--out", str(self.out)],
                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)

    def wait_ready(self) -> None:
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.wait(timeout=30)
            raise SystemExit(f"a worker did not start (exit {self.process.returncode}): "
                             f"{self.log.read_text(errors='replace')[-2000:]}")

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.close()

    def result(self) -> dict:
        self.process.wait(timeout=WORKER_TIMEOUT)
        self.process.stdout.close()
        if self.process.returncode != 0 or not self.out.exists():
            return {"error": f"exit {self.process.returncode}",
                    "log": self.log.read_text(errors="replace")[-1500:]}
        return json.loads(self.out.read_text())


def run_day(services: Services, organisations_file: Path, day: date, consumers: int, label: str) -> dict:
    """Tick at 07:30 local on ``day``, then ``consumers`` processes drain the queue at once.
    Wall time from the tick until the last consumer process ended."""
    from shared.wiring import build_delivery

    now = tick_moment(day)
    settings = services.settings(organisations_file)
    service = build_delivery(settings)
    service.now = lambda: now
    service.queue.ensure()
    workers = [Consumer(services, organisations_file, now, "consume", f"{label}-{n}")
               for n in range(consumers)]
    for w in workers:
        w.wait_ready()
    started = time.perf_counter()
    sent = service.tick()
    ticked = time.perf_counter()
    for w in workers:
        w.go()
    results = [w.result() for w in workers]
    wall = time.perf_counter() - started
    figures = {"consumers": consumers, "day": day.isoformat(), "requests": len(sent),
               "tick_seconds": round(ticked - started, 2), "wall_seconds": round(wall, 2),
               "workers": results}
    statuses: Counter = Counter()
    for r in results:
        statuses.update(r.get("statuses", {}))
    figures["succeeded"] = statuses.get("succeeded", 0)
    figures["statuses"] = dict(statuses)
    figures["poisoned"] = sum(r.get("poisoned", 0) for r in results)
    figures["worker_errors"] = [r for r in results if "error" in r]
    figures["files_on_server"], figures["temp_files_left"] = services.delivered_files(day)
    figures["max_consumer_rss_mb"] = max((r.get("rss_mb", 0) for r in results), default=0)
    figures["people"] = sum(r.get("people", 0) for r in results)
    figures["mb_sent"] = round(sum(r.get("bytes", 0) for r in results) / 2**20, 1)
    busy = sum(r.get("drain_seconds", 0) for r in results)
    figures["seconds_per_delivery"] = round(busy / figures["succeeded"], 2) if figures["succeeded"] else None
    return figures


def single_delivery(services: Services, organisations_file: Path, day: date, label: str) -> dict:
    """One organisation's delivery through the queue path in its own process, and a baseline
    process (imports and the service only) of the same run."""
    baseline = Consumer(services, organisations_file, tick_moment(day), "baseline", f"{label}-baseline")
    baseline.wait_ready()
    baseline.go()
    base = baseline.result()
    run = run_day(services, organisations_file, day, 1, label)
    worker_figures = run["workers"][0] if run["workers"] else {}
    return {"day": day.isoformat(), "succeeded": run["succeeded"], "statuses": run["statuses"],
            "wall_seconds": run["wall_seconds"], "rss_mb": worker_figures.get("rss_mb"),
            "baseline_rss_mb": base.get("rss_mb"), "largest": worker_figures.get("largest"),
            "errors": run["worker_errors"] or worker_figures.get("failed") or None,
            "files_on_server": run["files_on_server"]}


def build_figures(people: int) -> dict:
    """``benchmarks/delivery_file.py --json`` (its own fresh processes): the streamed build of
    an SNG file for ``people`` against reading the snapshot, time ratio and peak RSS."""
    script = ROOT / "benchmarks" / "delivery_file.py"
    if not script.exists():
        return {"skipped": "benchmarks/delivery_file.py is not there"}
    command = [sys.executable, str(script), "--json", "--people", str(people)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"skipped": f"benchmarks/delivery_file.py failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-300:]}"}
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"skipped": "benchmarks/delivery_file.py printed no JSON line last"}


# -- the run ------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=350)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--delay-ms", type=float, default=25.0, help="one-way delay (default 25)")
    parser.add_argument("--consumers", default="1,4,8", help="consumer process counts, one run each")
    parser.add_argument("--million", type=int, default=1_000_000,
                        help="people of the one large organisation delivered on its own")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--skip-build", action="store_true", help="without benchmarks/delivery_file.py")
    parser.add_argument("--quick", action="store_true",
                        help="15 organisations, 4,000 people, a 20,000-person large one (< 1 min)")
    parser.add_argument("--worker", choices=("consume", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.now, args.out)
        return 0
    if args.quick:
        args.orgs, args.people, args.million = 15, 4_000, 20_000
    counts = [int(c) for c in args.consumers.split(",") if c.strip()]
    began = time.perf_counter()
    sizes = draw_sizes(args.orgs, args.people)
    codes = [org_code(i) for i in range(args.orgs)]
    print(f"{args.orgs} organisations, {sum(sizes):,} people (seeded draw); one-way delay "
          f"{args.delay_ms:g} ms; {os.cpu_count()} CPU cores")
    print(f"  {'people per organisation':>24}  {'organisations':>13}  {'people':>9}")
    for label, n, total in distribution(sizes):
        print(f"  {label:>24}  {n:>13}  {total:>9,}")
    print(f"  smallest {min(sizes):,}, median {statistics.median(sizes):,.0f}, largest {max(sizes):,}",
          flush=True)

    figures: dict = {"orgs": args.orgs, "people": sum(sizes), "delay_ms_one_way": args.delay_ms,
                     "cpu_cores": os.cpu_count(),
                     "distribution": [{"people": label, "organisations": n, "total": total}
                                      for label, n, total in distribution(sizes)]}
    with tempfile.TemporaryDirectory(prefix="vish-national-day-") as scratch, \
            Services(Path(scratch), args.delay_ms / 1000) as services:
        sftp = services.sftp()
        day_orgs = [organisation(code, i, sftp) for i, code in enumerate(codes)]
        day_file = services.organisations_file("national", day_orgs)
        print("set-up: the real intake of a generated extract per organisation ...", flush=True)
        figures["intake"] = intake_all(services, day_file, dict(zip(codes, sizes, strict=True)))
        print(f"  {figures['intake']['accepted']} extracts accepted in {figures['intake']['seconds']:.0f} s",
              flush=True)

        day = FIRST_DAY
        runs = []
        for consumers in counts:
            print(f"day {day}: tick + {consumers} consumer process(es) ...", flush=True)
            run = run_day(services, day_file, day, consumers, f"run-{consumers}")
            runs.append(run)
            print(f"  {run['wall_seconds']:.1f} s, {run['succeeded']} delivered", flush=True)
            day += timedelta(days=1)
        figures["runs"] = runs

        largest_index = max(range(args.orgs), key=lambda i: sizes[i])
        largest_file = services.organisations_file("largest", [day_orgs[largest_index]])
        print(f"largest organisation ({sizes[largest_index]:,} people) alone in its own process ...",
              flush=True)
        figures["largest"] = single_delivery(services, largest_file, day, "largest")
        day += timedelta(days=1)

        if not args.skip_million:
            million_file = services.organisations_file(
                "million", [organisation(MILLION_CODE, 9999, sftp, name="Groot samenwerkingsverband")])
            print(f"one organisation of {args.million:,} people: snapshot written directly ...", flush=True)
            written = write_sorted_snapshot(services, million_file, MILLION_CODE, args.million)
            print(f"  ... delivered in its own process ({written['snapshot_mb']} MB snapshot)", flush=True)
            figures["million"] = {**written, **single_delivery(services, million_file, day, "million")}
        figures["proxy"] = {"connections": services.proxy.connections,
                            "errors": dict(Counter(services.proxy.errors))}
    if args.skip_build:
        figures["build"] = {"skipped": "--skip-build"}
    else:
        build_people = 20_000 if args.quick else 1_000_000
        print(f"building a {build_people:,}-person file against reading its snapshot "
              "(benchmarks/delivery_file.py) ...", flush=True)
        figures["build"] = build_figures(build_people)
    figures["total_seconds"] = round(time.perf_counter() - began, 1)
    report(figures)
    print(json.dumps(figures, separators=(",", ":")))
    return 0 if all_delivered(figures) else 1


def all_delivered(figures: dict) -> bool:
    ok = all(r["succeeded"] == figures["orgs"] for r in figures["runs"])
    ok = ok and figures["largest"]["succeeded"] == 1
    return ok and ("million" not in figures or figures["million"]["succeeded"] == 1)


def report(figures: dict) -> None:
    orgs = figures["orgs"]
    runs = figures["runs"]
    base = next((r for r in runs if r["consumers"] == 1), runs[0] if runs else None)
    print()
    print(f"National day: {orgs} organisations, {figures['people']:,} people, SFTP at "
          f"{figures['delay_ms_one_way'] * 2:g} ms round trip, {figures['cpu_cores']} cores")
    print(f"{'consumers':>9}  {'wall s':>8}  {'tick s':>6}  {'vs 1':>6}  {'delivered':>9}  "
          f"{'s each':>6}  {'MB sent':>7}  {'peak RSS MB':>11}  fits 15-min tick")
    for r in runs:
        ratio = base["wall_seconds"] / r["wall_seconds"] if base and r["wall_seconds"] else float("nan")
        fits = "yes" if r["wall_seconds"] <= GOAL_TICK_SECONDS else "NO"
        print(f"{r['consumers']:>9}  {r['wall_seconds']:>8.1f}  {r['tick_seconds']:>6.1f}  "
              f"{ratio:>5.2f}x  {r['succeeded']:>5}/{orgs:<3}  {r['seconds_per_delivery'] or 0:>6.2f}  "
              f"{r['mb_sent']:>7.1f}  "
              f"{r['max_consumer_rss_mb']:>11.1f}  {fits}")
        r["speed_up_vs_1"] = round(ratio, 2) if not math.isnan(ratio) else None
        r["fits_tick"] = r["wall_seconds"] <= GOAL_TICK_SECONDS
    print("  (wall: tick until the last consumer process ended; s each: the consumers' drain time "
          "summed, per delivery)")
    for r in runs:
        if r["succeeded"] != orgs or r["poisoned"] or r["worker_errors"] or r["temp_files_left"]:
            print(f"!!! run with {r['consumers']} consumers: {r['succeeded']} of {orgs} delivered "
                  f"(statuses {r['statuses']}, poisoned {r['poisoned']}, files on the server "
                  f"{r['files_on_server']}, temporary files left {r['temp_files_left']})")
            for w in r["workers"]:
                if w.get("failed") or "error" in w:
                    print(f"!!!   {w.get('failed') or w.get('error')} {w.get('log', '')[-600:]}")
    eight = next((r for r in runs if r["consumers"] == 8), None)
    if eight:
        print(f"goal: the whole day within one 15-minute tick at 8 consumers: "
              f"{'met' if eight['fits_tick'] else 'NOT met'} ({eight['wall_seconds']:.0f} s)")
    for key in ("largest", "million"):
        single = figures.get(key)
        if not single:
            continue
        title = ("the largest organisation alone" if key == "largest"
                 else f"one organisation of {single['people']:,} people (snapshot written directly)")
        people = (single.get("largest") or {}).get("people")
        ok = single["succeeded"] == 1
        rss = single.get("rss_mb") or 0
        single["goal_rss_met"] = ok and rss <= GOAL_RSS_MB
        print(f"{title}: {'delivered' if ok else '!!! NOT delivered ' + str(single['statuses'])}"
              f"{f' ({people:,} eligible people in the file)' if people else ''} in "
              f"{single['wall_seconds']:.1f} s (tick + queue); peak RSS "
              f"{rss:.1f} MB (baseline process {single.get('baseline_rss_mb')} MB); goal <= "
              f"{GOAL_RSS_MB:.0f} MB {'met' if single['goal_rss_met'] else 'NOT met'}")
        if single.get("errors"):
            print(f"!!!   {single['errors']}")
    if runs:
        worst = max(r["max_consumer_rss_mb"] for r in runs)
        print(f"consumer processes of the day runs: peak RSS at most {worst:.1f} MB")
    build = figures.get("build", {})
    if "skipped" in build:
        print(f"build vs snapshot read: {build['skipped']}")
    else:
        jobs = build.get("jobs", {})
        print(f"SNG file of {build.get('people', 0):,} people built streaming vs reading the snapshot "
              f"(benchmarks/delivery_file.py, fresh process each):")
        for name in ("imports", "read", "full", "mutations", "unsorted"):
            job = jobs.get(name)
            if job:
                timing = (f"{job['seconds']:>7.2f} s  {job['ratio_to_read']:>5.2f}x read"
                          if "seconds" in job else " " * 22)
                print(f"  {name:<10} {timing}  peak RSS {job['rss_mb']:>6.1f} MB")
    proxy = figures.get("proxy", {})
    print(f"latency proxy: {proxy.get('connections', 0):,} SSH connections"
          + (f"; !!! broken: {proxy['errors']}" if proxy.get("errors") else ", none broken"))
    print(f"whole benchmark: {figures['total_seconds']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
