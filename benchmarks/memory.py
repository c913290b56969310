"""Peak memory of one intake validation on the worst extract the rules allow, against the cap.

``validate.py`` measures throughput and memory on ordinary extracts. This one builds an extract
that makes every piece of per-person state grow at once, validates it as the intake does (the
snapshot written to a temporary file, the current snapshot streamed for the mass-drop check and
carry-over) in a fresh child process, and reports its peak RSS next to a child that only
imports the validation (the baseline, same run):

* every row has a partner (own and partner bitmaps), every tenth person has a second row
  (merged people, the merge passes), every 25th row is invalid with its person in the current
  snapshot (invalid bitmap, carried-over records), every 50th a bad postcode (warnings, up to
  the issue cap);
* one line of 300,000 fields, one quoted field over the csv limit and a stray quote that
  swallows lines until the field limit (the reader's bounds);
* a current snapshot with every person of the extract.

    ./run bench memory                    # 1M rows
    ./run bench memory --rows 200000 --json
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 28)
GOAL_RSS_MB = 120.0
HEADER = "BSN;BSN partner;Startdatum;Datum toelating;Achternaam;Postcode;Dossiernummer"


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ``ru_maxrss`` would keep the peak of the parent that
    forked it, which here generated the extract."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB, roughly


def write_worst(directory: Path, rows: int) -> tuple[Path, Path]:
    """The extract and a current snapshot holding all of its people."""
    from devtools.sample import unique_bsns
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    extract, current = directory / "worst.csv", directory / "current.csv"
    gen = unique_bsns(23)
    blank = dict.fromkeys(SNAPSHOT_FIELDS, "")
    with open(extract, "w", encoding="utf-8", newline="") as fh, \
            open(current, "w", encoding="utf-8", newline="") as cur:
        fh.write(HEADER + "\n")
        cur.write(";".join(SNAPSHOT_FIELDS) + "\n")
        lines, snapshot = [], []
        for i in range(rows):
            own, partner = next(gen), next(gen)
            start = "31-02-2025" if i % 25 == 0 else f"{1 + i % 28:02d}-02-2025"
            postcode = "12345" if i % 50 == 1 else "1234 AB"
            lines.append(f"{own};{partner};{start};01-02-2025;Naam{i % 97};{postcode};D{i}\n")
            if i % 10 == 0:
                lines.append(f"{own};;{1 + i % 28:02d}-03-2024;01-02-2025;Dubbel;;E{i}\n")
            if i == rows // 2:
                lines.append(own + ";ab" * 300_000 + "\n")
                lines.append(f'{own};;01-02-2025;01-02-2025;"{"x" * 70_000}";;Q\n')
                lines.append(f'{own};;01-02-2025;01-02-2025;"t Hart;;S\n' + "kort\n" * 20_000)
            record = {**blank, "bsn": own, "startdatum": "2024-01-01",
                      "toelatingsdatum": "2024-01-01", "eligible_from": "2024-01-01",
                      "source_row": "2", "origin": "row", "achternaam": "Oud"}
            snapshot.append(";".join(record[f] for f in SNAPSHOT_FIELDS) + "\n")
            if len(lines) >= 50_000:
                fh.write("".join(lines))
                cur.write("".join(snapshot))
                lines, snapshot = [], []
        fh.write("".join(lines))
        cur.write("".join(snapshot))
    return extract, current


def worker(kind: str, extract: Path, current: Path) -> None:
    """Child process: one job, one JSON line."""
    import shared.domain.validation  # noqa: F401 - the baseline: imports only

    if kind == "baseline":
        print(json.dumps({"rss_mb": peak_rss_mb()}))
        return
    from shared.domain.reader import iter_file_chunks
    from shared.domain.snapshot import iter_snapshot_bytes
    from shared.domain.validation import Rules, validate_extract

    with open(extract, "rb") as fh, open(current, "rb") as cur, \
            tempfile.TemporaryFile("w+b", dir=extract.parent) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        result = validate_extract(iter_file_chunks(fh), today=TODAY, rules=Rules(invalid_threshold=0.2),
                                  current_snapshot=iter_snapshot_bytes(iter_file_chunks(cur)),
                                  snapshot_out=out)
        out.flush()
        written = raw.tell()
    print(json.dumps({"rss_mb": peak_rss_mb(), "decision": result.decision, "rows": result.total,
                      "invalid": result.invalid, "people": result.people,
                      "carried_over": result.carried_over, "issues": sum(result.issue_counts.values()),
                      "snapshot_mb": round(written / 2**20, 1)}))


def run_child(kind: str, extract: Path, current: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", kind, "--extract", str(extract),
                           "--current", str(current)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument("--worker", choices=("baseline", "validate"), help=argparse.SUPPRESS)
    parser.add_argument("--extract", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--current", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.extract, args.current)
        return 0
    with tempfile.TemporaryDirectory(prefix="vish-bench-memory-") as scratch:
        extract, current = write_worst(Path(scratch), args.rows)
        sizes = {"extract_mb": round(extract.stat().st_size / 2**20, 1),
                 "current_mb": round(current.stat().st_size / 2**20, 1)}
        baseline = run_child("baseline", extract, current)["rss_mb"]
        job = run_child("validate", extract, current)
    figures = {**sizes, **job, "baseline_rss_mb": baseline,
               "over_baseline_mb": round(job["rss_mb"] - baseline, 1),
               "goal_rss_mb": GOAL_RSS_MB, "goal_rss_met": job["rss_mb"] <= GOAL_RSS_MB}
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print(f"worst-case extract: {figures['rows']:,} rows ({figures['extract_mb']} MB), "
              f"{figures['invalid']:,} invalid, {figures['people']:,} people, "
              f"{figures['carried_over']:,} carried over, {figures['issues']:,} issues; "
              f"current snapshot {figures['current_mb']} MB; {figures['decision']}")
        print(f"peak RSS {job['rss_mb']:.1f} MB, of which interpreter and imports "
              f"{baseline:.1f} MB (goal <= {GOAL_RSS_MB:.0f} MB: "
              f"{'met' if figures['goal_rss_met'] else 'NOT met'})")
    return 1 if args.check and not figures["goal_rss_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
