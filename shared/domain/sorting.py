"""Snapshot records sorted by BSN in bounded memory: a stable external merge sort.

Records are held as their CSV text (``;``-separated, as the snapshot writes them), at most
``run_records`` of them (and at most :data:`RUN_CHARS` characters) at a time: each such run is
sorted in memory and spilled to a temporary file, and the runs are merged
(:func:`heapq.merge`, which keeps equal keys in the order of its inputs). Python's sort is
stable and runs are merged in the order they were read, so records with the same BSN come
out in the order they went in. Input that fits in one run never touches the disk.

The temporary files are anonymous where the platform allows it (a run holds BSNs: nothing is
left behind should the process die) and are closed, which frees them, when the sorted
iterator is exhausted, closed early or fails. When :data:`MAX_OPEN_RUNS` runs have been
written they are merged into one as the input is still read (and so on, level by level), so
the files open and the buffers held stay few however long the input.
"""

from __future__ import annotations

import csv
import heapq
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

RUN_RECORDS = 50_000
RUN_CHARS = 16 << 20  # a run also ends at this much text (some records are long)
MAX_OPEN_RUNS = 64  # more runs than this are first merged into fewer (files open at once)
WRITE_CHARS = 1 << 16  # text gathered before a write


def bsn_of_line(line: str) -> str:
    """The first field of a record's CSV text (the BSN in a snapshot record)."""
    if line.startswith('"'):
        return next(csv.reader([line], delimiter=";"))[0]
    end = line.find(";")
    return line[:end] if end >= 0 else line.rstrip("\r\n")


def split_records(lines: Iterable[str]) -> Iterator[str]:
    """The CSV records in ``lines`` (text read with ``newline=""``), each as its text.

    A record spans physical lines when a quoted field holds a line break: the record ends at
    the first line end outside quotes, i.e. where the number of quote characters seen so far
    in the record is even (a writer doubles a quote inside a quoted field and quotes every
    field that holds one)."""
    held: list[str] = []
    for line in lines:
        odd = line.count('"') & 1
        if held:
            held.append(line)
            if odd:
                yield "".join(held)
                held = []
        elif odd:
            held.append(line)
        else:
            yield line
    if held:
        yield "".join(held)


def _spill(lines: Iterable[str], tmpdir, opened: set[IO[bytes]]) -> IO[bytes]:
    """A run on disk. The file is unbuffered: a run waiting for the merge holds no buffer."""
    # The run holds personal data: an anonymous file where the platform has them.
    file = tempfile.TemporaryFile("w+b", buffering=0, dir=tmpdir, prefix="vish-sort-")  # noqa: SIM115
    opened.add(file)
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= WRITE_CHARS:
            file.write("".join(batch).encode("utf-8"))
            batch, size = [], 0
    file.write("".join(batch).encode("utf-8"))
    return file


def _read(file: IO[bytes]) -> Iterator[str]:
    file.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(file), encoding="utf-8", newline="")
    try:
        yield from split_records(text)
    finally:
        text.detach()  # the run itself is closed by its owner


def _merge(runs: list[IO[bytes]], key, tmpdir, opened: set[IO[bytes]]) -> IO[bytes]:
    """One run of ``runs`` (consecutive runs, oldest first: equal keys keep their order)."""
    readers = [_read(f) for f in runs]
    try:
        merged = _spill(heapq.merge(*readers, key=key), tmpdir, opened)
    finally:
        for reader in readers:
            reader.close()
    for done in runs:
        done.close()  # its disk space is freed now
        opened.discard(done)
    return merged


def sorted_lines_by_bsn(lines: Iterable[str], *, run_records: int = RUN_RECORDS,
                        run_chars: int = RUN_CHARS, tmpdir=None,
                        key: Callable[[str], str] = bsn_of_line) -> Iterator[str]:
    """The records of ``lines`` (each a CSV record's text, ``;``-separated, ending with its
    line break; see :func:`split_records` for text read from a file) in ascending order of
    ``key`` (the first field), stable. Memory: one run (``run_records`` records, ``run_chars``
    characters) and a buffer for each of at most :data:`MAX_OPEN_RUNS` runs per level of
    merging (a level for each factor :data:`MAX_OPEN_RUNS` of runs)."""
    if run_records < 1:
        raise ValueError("run_records must be at least 1")
    # levels[i]: runs merged i times; every run on a level holds records that came before all
    # records on the levels below it, and runs on one level are in the order they came.
    levels: list[list[IO[bytes]]] = []
    opened: set[IO[bytes]] = set()  # every temporary file open: closed in the end, always
    readers: list[Iterator[str]] = []
    try:
        run: list[str] = []
        chars = 0
        for line in lines:
            if not line.endswith("\n"):
                line += "\n"  # the last line of a file without a final line break
            if len(run) >= run_records or chars >= run_chars:  # full, and more is coming
                run.sort(key=key)
                spilled = _spill(run, tmpdir, opened)
                run, chars = [], 0
                level = 0
                while True:
                    if level == len(levels):
                        levels.append([])
                    levels[level].append(spilled)
                    if len(levels[level]) < MAX_OPEN_RUNS:
                        break
                    spilled = _merge(levels[level], key, tmpdir, opened)
                    levels[level] = []
                    level += 1
            run.append(line)
            chars += len(line)
        run.sort(key=key)
        if not opened:
            yield from run
            return
        # The last run stays in memory: it came last, so equal keys keep their order.
        readers = [_read(f) for runs in reversed(levels) for f in runs]
        yield from heapq.merge(*readers, run, key=key)
    finally:
        for reader in readers:
            reader.close()
        for file in opened:
            file.close()


def _lines_of(records: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    for record in records:
        writer.writerow(record)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def sorted_by_bsn(records: Iterable[list[str]], *, run_records: int = RUN_RECORDS,
                  tmpdir=None) -> Iterator[list[str]]:
    """``records`` (snapshot records: the BSN at index 0) in ascending BSN order, stable: of
    records with the same BSN the first given comes first. Bounded memory (``run_records``
    records at a time, held as text); temporary files in ``tmpdir`` (default: the system's)
    only when there are more records than one run."""
    lines = sorted_lines_by_bsn(_lines_of(records), run_records=run_records, tmpdir=tmpdir)
    try:
        yield from csv.reader(lines, delimiter=";")
    finally:
        lines.close()
