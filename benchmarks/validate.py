"""Throughput and memory of extract validation, as ratios against a floor measured in the same run.

What is measured, each in a fresh child process so that peak RSS belongs to one job only:

* ``floor``: read the extract as text and ``line.split(";")`` every line: the least any CSV
  validation in Python must do. Its rows/s is the baseline.
* ``validate``: ``shared.domain.validation.validate_extract`` on the same file, streamed in 1 MiB
  chunks, all rules on (without writing a snapshot, as ``vish validate`` does).
* ``baseline``: a child that only imports ``shared.domain.validation`` (the RSS the interpreter and
  the imports cost before any row is read).

Rounds alternate floor and validate so that noise from the shared machine hits both; the report
gives the per-round ratio and the median. Goals (issue 2): ratio >= 0.25, peak RSS <= 120 MB.

    ./run bench validate                 # 1M rows, 3 rounds
    ./run bench validate --rows 100000 --rounds 2 --json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 28)
GOAL_RATIO = 0.25
GOAL_RSS_MB = 120.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def work_floor(path: Path) -> int:
    rows = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for line in fh:
            line.split(";")
            rows += 1
    return rows - 1  # the header is no data row


def work_validate(path: Path) -> int:
    from shared.domain.reader import iter_file_chunks
    from shared.domain.validation import validate_extract

    with open(path, "rb") as fh:
        result = validate_extract(iter_file_chunks(fh), today=TODAY)
    if result.decision != "accepted":  # an early rejection would make rows/s meaningless
        raise SystemExit(f"the sample extract was rejected ({result.reason}); no figure")
    return result.total


def worker(kind: str, path: Path) -> None:
    """Child process: do one job, print one JSON line."""
    if kind == "baseline":
        import shared.domain.validation

        print(json.dumps({"kind": kind, "rss_mb": peak_rss_mb()}))
        return
    job = work_floor if kind == "floor" else work_validate
    if kind == "validate":
        import shared.domain.validation  # noqa: F401 - imported before the clock starts
    started = time.perf_counter()
    rows = job(path)
    elapsed = time.perf_counter() - started
    print(json.dumps({"kind": kind, "rows": rows, "seconds": elapsed, "rss_mb": peak_rss_mb()}))


def run_child(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", kind, "--file", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_extract(directory: Path, rows: int, seed: int) -> tuple[Path, float]:
    # The name carries a fingerprint of the generator, so a changed sample.py is not reused.
    import hashlib

    import devtools.sample as sample
    from devtools.sample import write_sample_extract

    version = hashlib.sha256(Path(sample.__file__).read_bytes()).hexdigest()[:8]
    path = directory / f"extract-{rows}-{seed}-{version}.csv"
    if path.exists():
        return path, 0.0
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    write_sample_extract(partial, rows, today=TODAY, seed=seed, error_rate=0.01)
    partial.replace(path)  # an interrupted run leaves no truncated file to reuse
    return path, time.perf_counter() - started


def measure(path: Path, rounds: int) -> dict:
    baseline = run_child("baseline", path)
    per_round = []
    for _ in range(rounds):
        floor = run_child("floor", path)
        validate = run_child("validate", path)
        floor_rate = floor["rows"] / floor["seconds"]
        validate_rate = validate["rows"] / validate["seconds"]
        per_round.append({"floor_rows_per_s": floor_rate, "validate_rows_per_s": validate_rate,
                          "ratio": validate_rate / floor_rate, "validate_rss_mb": validate["rss_mb"],
                          "floor_rss_mb": floor["rss_mb"], "rows": validate["rows"]})
    ratio = statistics.median(r["ratio"] for r in per_round)
    rss = max(r["validate_rss_mb"] for r in per_round)
    return {
        "rows": per_round[0]["rows"],
        "rounds": per_round,
        "median_floor_rows_per_s": statistics.median(r["floor_rows_per_s"] for r in per_round),
        "median_validate_rows_per_s": statistics.median(r["validate_rows_per_s"] for r in per_round),
        "median_ratio": ratio,
        "peak_rss_validate_mb": rss,
        "baseline_rss_mb": baseline["rss_mb"],
        "goal_ratio_met": ratio >= GOAL_RATIO,
        "goal_rss_met": rss <= GOAL_RSS_MB,
    }


def print_report(figures: dict, generated_in: float) -> None:
    print(f"extract: {figures['rows']:,} data rows" + (f" (generated in {generated_in:.1f} s)"
                                                         if generated_in else " (reused)"))
    print(f"{'round':>5} {'floor rows/s':>14} {'validate rows/s':>16} {'ratio':>7} {'peak RSS':>9}")
    for i, r in enumerate(figures["rounds"], 1):
        print(f"{i:>5} {r['floor_rows_per_s']:>14,.0f} {r['validate_rows_per_s']:>16,.0f} "
              f"{r['ratio']:>7.3f} {r['validate_rss_mb']:>7.1f}MB")
    print(f"median ratio validate/floor: {figures['median_ratio']:.3f} "
          f"(goal >= {GOAL_RATIO}: {'met' if figures['goal_ratio_met'] else 'NOT met'})")
    print(f"peak RSS validate: {figures['peak_rss_validate_mb']:.1f} MB, of which interpreter and "
          f"imports {figures['baseline_rss_mb']:.1f} MB (goal <= {GOAL_RSS_MB:.0f} MB: "
          f"{'met' if figures['goal_rss_met'] else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21), metavar="1..20")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated extract")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--worker", choices=("floor", "validate", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.file)
        return 0

    with tempfile.TemporaryDirectory(prefix="vish-bench-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        path, generated_in = ensure_extract(directory, args.rows, args.seed)
        figures = measure(path, args.rounds)
        figures["generated_in_s"] = round(generated_in, 2)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print_report(figures, generated_in)
    if args.check and not (figures["goal_ratio_met"] and figures["goal_rss_met"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
