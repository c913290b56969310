"""The SNG file built streaming for 1M people: time and peak RSS against reading the snapshot.

A synthetic snapshot of N people (sorted by BSN, as the intake writes it), the manifest of a
previous delivery of N people with about 1 % churn (half of it people gone, half people new),
and the same snapshot in scrambled order (as a snapshot from before the intake sorted) are
written to a temporary folder. Each measurement then runs in a fresh child process, so that its
peak RSS (VmHWM) is its own:

* ``imports``: the interpreter and the imports only (the RSS before any record is read);
* ``read`` (the baseline): read the snapshot with ``iter_snapshot_bytes`` over file chunks and
  count the records: the least a delivery must do;
* ``full``: ``write_delivery_file`` with the default profile (mode ``full``) to a sink that
  hashes and discards;
* ``mutations``: ``write_delivery_file`` with the mutations profile against the previous
  manifest (both streamed), the file and the manifest to hashing sinks;
* ``unsorted``: the scrambled snapshot through ``sorted_by_bsn`` (the external sort, runs in
  temporary files) into ``write_delivery_file`` (full): the path of an older snapshot;
* with ``--old``: ``build_delivery_file`` (the whole file in memory, as ``vish build``
  keeps it) and the in-memory build of before (the oracle in ``tests/test_streaming_file.py``),
  each some 300 MB at 1M people.

Wall time is reported as a ratio to ``read`` (time of the job / time of the read, same run),
and the peak RSS of each job in MB; ``--json`` prints the figures as one JSON object on the
last line. Goal (issue 13): a delivery's build adds a few MB at most, whatever N.

    ./run bench delivery_file                      # 1M people
    ./run bench delivery_file --people 200000 --old --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ON = date(2026, 11, 28)
GOAL_OVER_READ_MB = 10.0  # what the build may add to the read of the snapshot
JOBS = ("imports", "read", "full", "mutations", "unsorted")
OLD_JOBS = ("build", "old")


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ``ru_maxrss`` would keep the peak of the parent that
    forked it, which generated the files."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB, roughly


def write_files(directory: Path, people: int, churn: float, seed: int = 13) -> dict[str, Path]:
    """The sorted snapshot, the previous manifest and the scrambled snapshot."""
    from devtools.sample import unique_bsns
    from shared.domain.snapshot import SNAPSHOT_FIELDS

    gen = unique_bsns(seed)
    changed = int(people * churn / 2)
    everyone = sorted(next(gen) for _ in range(people + changed))
    rnd = random.Random(seed)
    new = set(rnd.sample(range(len(everyone)), changed))  # in the snapshot, not delivered before
    gone = set(rnd.sample([i for i in range(len(everyone)) if i not in new], changed))
    header = ";".join(SNAPSHOT_FIELDS) + "\n"

    def line(i: int, bsn: str) -> str:
        start = f"20{20 + i % 6}-0{1 + i % 9}-1{i % 10}"
        end = "2026-01-01" if i % 50 == 0 else ""
        return (f"{bsn};;1980-02-01;Jansen;;J.;1234AB;12;;{start};{start};{end};SHV-{i};A. de Wit;"
                f"014 0999;a@b.nl;{start};{i + 2};row\n")

    paths = {name: directory / f"{name}.csv" for name in ("snapshot", "previous", "unsorted")}
    with open(paths["snapshot"], "w", encoding="utf-8", newline="") as snap, \
            open(paths["previous"], "w", encoding="utf-8", newline="") as prev:
        snap.write(header)
        prev.write(header)
        lines_s, lines_p = [], []
        for i, bsn in enumerate(everyone):
            text = line(i, bsn)
            if i not in gone:
                lines_s.append(text)
            if i not in new and i % 50:  # the manifest holds the people delivered (eligible)
                lines_p.append(text)
            if len(lines_s) >= 50_000:
                snap.write("".join(lines_s))
                prev.write("".join(lines_p))
                lines_s, lines_p = [], []
        snap.write("".join(lines_s))
        prev.write("".join(lines_p))
    with open(paths["snapshot"], encoding="utf-8", newline="") as snap:
        lines = snap.readlines()
    body = lines[1:]
    rnd.shuffle(body)
    with open(paths["unsorted"], "w", encoding="utf-8", newline="") as out:
        out.write(lines[0])
        out.write("".join(body))
    return paths


class HashSink:
    """Hashes and discards what a build writes; counts the writes."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.writes = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.writes += 1
        self.size += len(data)
        return len(data)


def organisation():
    contact = SimpleNamespace(naam="A. de Wit", telefoon="014 0999", email="a@b.nl")
    return SimpleNamespace(code="bench", name="Benchmarkgemeente", aansluitcode="BENCH-1",
                           gemeentecode="0363", contact=contact)


def worker(job: str, paths: dict[str, Path]) -> dict:
    """Child process: one job; its figures."""
    from shared.domain.delivery_file import build_delivery_file, write_delivery_file
    from shared.domain.profile import shipped_profile
    from shared.domain.reader import iter_file_chunks
    from shared.domain.snapshot import iter_snapshot_bytes
    from shared.domain.sorting import sorted_by_bsn

    if job == "imports":
        return {"rss_mb": peak_rss_mb()}
    figures: dict = {}
    with open(paths["snapshot"], "rb") as snap, open(paths["previous"], "rb") as prev, \
            open(paths["unsorted"], "rb") as unsorted:
        snapshot = iter_snapshot_bytes(iter_file_chunks(snap))
        previous = iter_snapshot_bytes(iter_file_chunks(prev))
        started = time.perf_counter()
        if job == "read":
            figures["records"] = sum(1 for _ in snapshot)
        elif job in ("full", "mutations", "unsorted"):
            out, manifest = HashSink(), HashSink()
            profile = shipped_profile("voorbeeld-mutaties" if job == "mutations" else "vish-minimaal")
            source = (sorted_by_bsn(iter_snapshot_bytes(iter_file_chunks(unsorted)))
                      if job == "unsorted" else snapshot)
            facts = write_delivery_file(source, organisation(), ON, profile, out, manifest_out=manifest,
                                        previous=previous if job == "mutations" else None)
            if facts.sha256 != out.hash.hexdigest() or facts.size != out.size:
                raise SystemExit(f"{job}: the facts do not match the bytes written")
            figures.update(records=facts.records, people=facts.people, added=facts.added,
                           removed=facts.removed, file_mb=round(facts.size / 2**20, 1),
                           manifest_mb=round(facts.manifest_size / 2**20, 1), writes=out.writes,
                           sha256=facts.sha256)
        elif job == "build":
            built = build_delivery_file(snapshot, organisation(), ON, shipped_profile("vish-minimaal"))
            figures.update(records=built.records, people=built.people, sha256=built.sha256)
        elif job == "old":
            from tests.test_streaming_file import old_build_delivery_file

            built = old_build_delivery_file(snapshot, organisation(), ON, shipped_profile("vish-minimaal"))
            figures.update(records=built.records, people=built.people, sha256=built.sha256)
        figures["seconds"] = time.perf_counter() - started
    figures["rss_mb"] = peak_rss_mb()
    return figures


def run_child(job: str, paths: dict[str, Path]) -> dict:
    args = [sys.executable, __file__, "--worker", job]
    for name, path in paths.items():
        args += [f"--{name}", str(path)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{job} worker failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(people: int, churn: float, old: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="vish-bench-delivery-") as scratch:
        print(f"{people:,} people: writing the snapshots", file=sys.stderr, flush=True)
        paths = write_files(Path(scratch), people, churn)
        sizes = {f"{name}_mb": round(path.stat().st_size / 2**20, 1) for name, path in paths.items()}
        jobs: dict[str, dict] = {}
        for job in (*JOBS, *(OLD_JOBS if old else ())):
            print(f"{people:,} people: {job}", file=sys.stderr, flush=True)
            jobs[job] = run_child(job, paths)
    read = jobs["read"]
    if jobs["full"]["sha256"] != jobs["unsorted"]["sha256"]:
        raise SystemExit("the build from the scrambled snapshot differs from the sorted one")
    for job in OLD_JOBS:
        if job in jobs and jobs[job]["sha256"] != jobs["full"]["sha256"]:
            raise SystemExit(f"{job}: another file than the streamed build")
    for figures in jobs.values():
        if "seconds" in figures:
            figures["ratio_to_read"] = round(figures["seconds"] / read["seconds"], 2)
            figures["over_read_mb"] = round(figures["rss_mb"] - read["rss_mb"], 1)
            figures["seconds"] = round(figures["seconds"], 2)
        figures["rss_mb"] = round(figures["rss_mb"], 1)
    streamed = ("full", "mutations")
    return {"people": people, "churn": churn, **sizes, "jobs": jobs,
            "goal_over_read_mb": GOAL_OVER_READ_MB,
            "goal_met": all(jobs[j]["over_read_mb"] <= GOAL_OVER_READ_MB for j in streamed)}


def print_report(figures: dict) -> None:
    print(f"SNG file for {figures['people']:,} people (snapshot {figures['snapshot_mb']} MB, "
          f"previous manifest {figures['previous_mb']} MB, churn {figures['churn']:.0%})")
    print(f"{'job':<11} {'seconds':>8} {'x read':>7} {'peak RSS':>9} {'- read':>8}  what")
    what = {"imports": "interpreter and imports", "read": "iter_snapshot_bytes, count (baseline)",
            "full": "write_delivery_file, vish-minimaal",
            "mutations": "write_delivery_file, voorbeeld-mutaties vs previous",
            "unsorted": "sorted_by_bsn of a scrambled snapshot, then full",
            "build": "build_delivery_file (in memory)", "old": "the in-memory build of before"}
    for name, job in figures["jobs"].items():
        seconds = f"{job['seconds']:>8.2f} {job['ratio_to_read']:>7.2f}" if "seconds" in job else " " * 16
        over = f"{job['over_read_mb']:>6.1f}MB" if "over_read_mb" in job else " " * 8
        print(f"{name:<11} {seconds} {job['rss_mb']:>7.1f}MB {over}  {what[name]}")
    jobs = figures["jobs"]
    print(f"full: {jobs['full']['records']:,} records, {jobs['full']['file_mb']} MB in "
          f"{jobs['full']['writes']:,} writes; mutations: {jobs['mutations']['added']:,} aanmeldingen, "
          f"{jobs['mutations']['removed']:,} afmeldingen, manifest {jobs['mutations']['manifest_mb']} MB")
    print(f"goal: the streamed builds add at most {figures['goal_over_read_mb']:.0f} MB to the read: "
          f"{'met' if figures['goal_met'] else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--churn", type=float, default=0.01)
    parser.add_argument("--old", action="store_true",
                        help="also the builds that hold the file in memory (~300 MB at 1M people)")
    parser.add_argument("--json", action="store_true", help="the figures as JSON on the last line")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument("--worker", choices=(*JOBS, *OLD_JOBS), help=argparse.SUPPRESS)
    for name in ("snapshot", "previous", "unsorted"):
        parser.add_argument(f"--{name}", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        paths = {"snapshot": args.snapshot, "previous": args.previous, "unsorted": args.unsorted}
        print(json.dumps(worker(args.worker, paths)))
        return 0
    figures = measure(args.people, args.churn, args.old)
    if args.json:
        print(json.dumps(figures))
    else:
        print_report(figures)
    return 1 if args.check and not figures["goal_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
