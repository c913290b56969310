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

Memory against the number of distinct people (issue 9): for each ``--people`` size N, an extract
of N rows, every row a different valid BSN (``BSN;Startdatum traject;Datum toelating;Achternaam``,
nothing else, so that a 5M-row file is written in seconds), is validated the way the intake does
it, in one round of fresh children:

* ``floor`` on that file (the same floor as above, for the ratio);
* ``first``: ``validate_extract`` writing the snapshot (``snapshot_out``), no current snapshot;
* ``next``: the same file again, writing the snapshot and with the snapshot ``first`` wrote as
  the current one (N people: the carry-over and mass-drop check reads every one of them).

The report gives rows/s of the whole job (the pass, the decision and the snapshot copy), the
ratio to the floor of the same file, the peak RSS and the peak minus the baseline above. Goal
(issue 9): peak RSS <= 120 MB at every size, i.e. memory does not grow with the people.

    ./run bench validate                 # 1M rows, 3 rounds; then 1M and 5M people
    ./run bench validate --rows 100000 --rounds 2 --json
    ./run bench validate --people 0      # throughput rounds only
    ./run bench validate --people 2000000
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import io
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
PEOPLE_DEFAULT = "1000000,5000000"


def peak_rss_mb() -> float:
    # VmHWM: this process's own peak (ru_maxrss can keep the peak of the parent that forked it)
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB, roughly


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


def work_people(path: Path, snapshot_in: Path | None, snapshot_out: Path | None) -> dict:
    """Validate as the intake does: the snapshot written to a file (``snapshot_out``, or a
    temporary file next to the extract), the current snapshot (if any) streamed from a file."""
    from contextlib import ExitStack

    from shared.domain.reader import iter_file_chunks
    from shared.domain.snapshot import iter_snapshot_bytes
    from shared.domain.validation import validate_extract

    with ExitStack() as stack:
        current = None
        if snapshot_in is not None:
            current = iter_snapshot_bytes(iter_file_chunks(stack.enter_context(open(snapshot_in, "rb"))))
        if snapshot_out is not None:
            raw = stack.enter_context(open(snapshot_out, "w+b"))
        else:  # as the intake: a temporary file, uploaded afterwards
            raw = stack.enter_context(tempfile.TemporaryFile("w+b", dir=path.parent))
        out = stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        with open(path, "rb") as fh:
            result = validate_extract(iter_file_chunks(fh), today=TODAY, current_snapshot=current,
                                      snapshot_out=out)
        out.flush()
        written = raw.tell()
    if result.decision != "accepted":
        raise SystemExit(f"the people extract was rejected ({result.reason}); no figure")
    if result.people != result.total or (snapshot_in is not None and (
            result.current_people != result.total or result.removed or result.carried_over)):
        raise SystemExit(f"expected {result.total} distinct people, all of them in the current "
                         f"snapshot when one is given; got people={result.people}, current="
                         f"{result.current_people}, removed={result.removed}")
    return {"rows": result.total, "people": result.people, "current_people": result.current_people,
            "snapshot_bytes": written}


def worker(kind: str, path: Path, snapshot_in: Path | None = None,
           snapshot_out: Path | None = None) -> None:
    """Child process: do one job, print one JSON line."""
    if kind == "baseline":
        import shared.domain.validation

        print(json.dumps({"kind": kind, "rss_mb": peak_rss_mb()}))
        return
    if kind in ("validate", "people"):
        import shared.domain.validation  # noqa: F401 - imported before the clock starts
    started = time.perf_counter()
    if kind == "people":
        figures = work_people(path, snapshot_in, snapshot_out)
    else:
        figures = {"rows": (work_floor if kind == "floor" else work_validate)(path)}
    elapsed = time.perf_counter() - started
    print(json.dumps({"kind": kind, **figures, "seconds": elapsed, "rss_mb": peak_rss_mb()}))


def run_child(kind: str, path: Path, *extra: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", kind, "--file", str(path), *extra],
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


def ensure_quoted(path: Path) -> Path:
    """The same extract with every field quoted, as some case systems export."""
    quoted = path.with_name(path.stem + "-quoted.csv")
    if not quoted.exists():
        partial = quoted.with_suffix(".partial")
        with open(path, encoding="utf-8", newline="") as src, \
                open(partial, "w", encoding="utf-8", newline="") as out:
            for line in src:
                out.write('"' + line.rstrip("\r\n").replace(";", '";"') + '"\r\n')
        partial.replace(quoted)
    return quoted


_PEOPLE_HEADER = "BSN;Startdatum traject;Datum toelating;Achternaam"
_PEOPLE_NAMES = ("Jansen", "Bakker", "Visser", "Smit", "Bos", "Vos", "Dekker", "Mulder", "Peters")
_BLOCKS = 90_000  # five leading digits 10000..99999, each followed by 1000 three-digit tails


def _people_tails() -> list[list[str]]:
    """Per residue r (weighted sum of the first five BSN digits mod 11), the rest of each line
    for every three-digit tail whose check digit is not 10: last four digits and the fields.

    The 11-proef: 9*d1 + 8*d2 + ... + 2*d8 - d9 = 0 (mod 11), so d9 = (r + 4*d6 + 3*d7 + 2*d8)
    mod 11; a prefix whose d9 would be 10 has no valid BSN and is skipped.
    """
    dates = []
    for i in range(37):  # a few dozen date pairs, all in the past: every row valid and eligible
        start = date.fromordinal(TODAY.toordinal() - 60 - 37 * i)
        toel = date.fromordinal(start.toordinal() + i % 30)
        dates.append(f"{start:%d-%m-%Y};{toel:%d-%m-%Y}")
    table = []
    for r in range(11):
        tails = []
        for lo in range(1000):
            check = (r + 4 * (lo // 100) + 3 * (lo // 10 % 10) + 2 * (lo % 10)) % 11
            if check < 10:
                tails.append(f"{lo:03d}{check};{dates[lo % len(dates)]};"
                             f"{_PEOPLE_NAMES[lo % len(_PEOPLE_NAMES)]}")
        table.append(tails)
    return table


def write_people_extract(path: Path, people: int) -> None:
    """``people`` rows, each a different valid BSN by construction.

    BSNs come in blocks sharing their first five digits (~909 valid ones of 1000 tails); the
    blocks are spread over the whole range 100000000..999999999 in a scrambled order (a stride
    coprime to the number of blocks), so the rows are neither sorted nor one dense run. Each
    block is one ``str.join``, so 5M rows take seconds.
    """
    table = _people_tails()
    left = people
    with open(path, "w", encoding="ascii", newline="", buffering=1 << 22) as fh:
        fh.write(_PEOPLE_HEADER + "\r\n")
        for k in range(_BLOCKS):
            if left <= 0:
                break
            head = str(10_000 + k * 7_919 % _BLOCKS)
            r = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5), head, strict=True)) % 11
            tails = table[r] if len(table[r]) <= left else table[r][:left]
            fh.write(head + ("\r\n" + head).join(tails) + "\r\n")
            left -= len(tails)
    if left > 0:
        raise SystemExit(f"at most {people - left} distinct people can be generated")


def ensure_people_extract(directory: Path, people: int) -> tuple[Path, float]:
    # The name carries a fingerprint of the generator, so a changed generator is not reused.
    source = inspect.getsource(_people_tails) + inspect.getsource(write_people_extract)
    version = hashlib.sha256((source + _PEOPLE_HEADER).encode()).hexdigest()[:8]
    path = directory / f"people-{people}-{version}.csv"
    if path.exists():
        return path, 0.0
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    write_people_extract(partial, people)
    partial.replace(path)
    return path, time.perf_counter() - started


def measure_people(directory: Path, scratch: Path, sizes: list[int], baseline_mb: float,
                   keep: bool) -> list[dict]:
    """One round per size: floor, then validate writing the snapshot without and with a
    current snapshot (the one the first validation wrote: the same people)."""
    def job(child: dict, floor_rate: float) -> dict:
        rate = child["rows"] / child["seconds"]
        return {"rows_per_s": rate, "ratio": rate / floor_rate, "seconds": child["seconds"],
                "peak_rss_mb": child["rss_mb"], "over_baseline_mb": child["rss_mb"] - baseline_mb,
                "current_people": child["current_people"]}

    figures = []
    for people in sizes:
        print(f"people {people:,}: generating the extract", file=sys.stderr, flush=True)
        path, generated_in = ensure_people_extract(directory, people)
        extract_mb = path.stat().st_size / 2**20
        snapshot = scratch / f"snapshot-{people}.csv"
        try:
            print(f"people {people:,}: floor, first, next", file=sys.stderr, flush=True)
            floor = run_child("floor", path)
            first = run_child("people", path, "--snapshot-out", str(snapshot))
            following = run_child("people", path, "--snapshot-in", str(snapshot))
        finally:
            snapshot.unlink(missing_ok=True)
            if not keep:
                path.unlink(missing_ok=True)
        floor_rate = floor["rows"] / floor["seconds"]
        peak = max(first["rss_mb"], following["rss_mb"])
        figures.append({
            "people": first["people"],
            "extract_mb": round(extract_mb, 1),
            "generated_in_s": round(generated_in, 2),
            "floor_rows_per_s": floor_rate,
            "first": job(first, floor_rate),
            "next": job(following, floor_rate),
            "snapshot_mb": round(first["snapshot_bytes"] / 2**20, 1),
            "peak_rss_mb": peak,
            "peak_over_baseline_mb": peak - baseline_mb,
            "goal_rss_met": peak <= GOAL_RSS_MB,
        })
    return figures


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
    if figures["people"]:
        print_people(figures["people"], figures["baseline_rss_mb"])


def print_people(sizes: list[dict], baseline_mb: float) -> None:
    print()
    print("distinct people (every row a different valid BSN; one round; snapshot written as the "
          "intake does)")
    print(f"{'people':>10} {'job':<28} {'rows/s':>10} {'ratio':>6} {'peak RSS':>9} "
          f"{'- baseline':>10}")
    for p in sizes:
        n = p["people"]
        print(f"{n:>10,} {'floor':<28} {p['floor_rows_per_s']:>10,.0f}")
        for name, label in (("first", "validate, no current"),
                            ("next", f"validate, current {p['next']['current_people']:,}")):
            j = p[name]
            print(f"{n:>10,} {label:<28} {j['rows_per_s']:>10,.0f} {j['ratio']:>6.3f} "
                  f"{j['peak_rss_mb']:>7.1f}MB {j['over_baseline_mb']:>8.1f}MB")
        print(f"{'':>10} extract {p['extract_mb']:.0f} MB"
              + (f" (generated in {p['generated_in_s']:.2f} s)" if p["generated_in_s"] else
                 " (reused)") + f", snapshot {p['snapshot_mb']:.0f} MB")
    print(f"peak RSS by people (goal <= {GOAL_RSS_MB:.0f} MB, interpreter and imports "
          f"{baseline_mb:.1f} MB): "
          + "; ".join(f"{p['people']:,}: {p['peak_rss_mb']:.1f} MB "
                      f"({'met' if p['goal_rss_met'] else 'NOT met'})" for p in sizes))


def people_sizes(text: str) -> list[int]:
    """``1000000,5000000`` -> [1000000, 5000000]; ``0`` (or nothing) -> [] (skip)."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of counts: {text!r}") from None
    if any(n < 0 for n in sizes):
        raise argparse.ArgumentTypeError("people counts cannot be negative")
    return [n for n in sizes if n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21), metavar="1..20")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated extracts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--people", type=people_sizes, default=people_sizes(PEOPLE_DEFAULT),
                        metavar="N[,N...]",
                        help="peak RSS with this many distinct people, each size its own extract "
                             f"(default {PEOPLE_DEFAULT}; 0 skips)")
    parser.add_argument("--quoted", action=argparse.BooleanOptionalAction, default=True,
                        help="also the same extract with every field quoted (default on)")
    parser.add_argument("--worker", choices=("floor", "validate", "baseline", "people"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot-in", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.file, args.snapshot_in, args.snapshot_out)
        return 0

    with tempfile.TemporaryDirectory(prefix="vish-bench-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        path, generated_in = ensure_extract(directory, args.rows, args.seed)
        figures = measure(path, args.rounds)
        figures["generated_in_s"] = round(generated_in, 2)
        if args.quoted:
            figures["quoted"] = measure(ensure_quoted(path), args.rounds)
        figures["people"] = measure_people(directory, Path(scratch), args.people,
                                           figures["baseline_rss_mb"], keep=args.keep is not None)
    # None when no people size was measured (--people 0)
    figures["goal_people_rss_met"] = (all(p["goal_rss_met"] for p in figures["people"])
                                      if figures["people"] else None)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print_report(figures, generated_in)
        if "quoted" in figures:
            q = figures["quoted"]
            print(f"every field quoted: median ratio {q['median_ratio']:.3f} "
                  f"({q['median_validate_rows_per_s']:,.0f} vs {q['median_floor_rows_per_s']:,.0f} "
                  f"rows/s), peak RSS {q['peak_rss_validate_mb']:.1f} MB")
    if args.check and not (figures["goal_ratio_met"] and figures["goal_rss_met"]
                           and figures["goal_people_rss_met"] is not False):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
