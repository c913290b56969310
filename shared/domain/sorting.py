"""Snapshot records sorted by BSN in bounded memory: a stable external merge sort.

Records are held as their CSV text (``;``-separated, as the snapshot writes them, without the
final line break), at most ``run_records`` of them (and about :data:`RUN_CHARS` characters) at a
time: each such run is sorted in memory and spilled to a temporary file, and the runs are
merged (:func:`heapq.merge`, which keeps equal keys in the order of its inputs). Python's sort
is stable and runs are merged in the order they were read, so records with the same BSN come
out in the order they went in. Input that fits in one run never touches the disk. Text moves
in batches (lists of records, files read a megabyte at a time), not record by record.

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
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO

RUN_RECORDS = 50_000
RUN_CHARS = 16 << 20  # a run also ends at about this much text (some records are long)
MAX_OPEN_RUNS = 32  # when this many runs are written they are merged into one
READ_CHARS = 1 << 18  # text read from a file at a time (the input)
RUN_READ_CHARS = 1 << 14  # text read from a run at a time (many are read at once)
BATCH = 4096  # records handed on at a time


def bsn_of_line(line: str) -> str:
    """The first field of a record's CSV text (the BSN in a snapshot record)."""
    if line.startswith('"'):
        return next(csv.reader([line], delimiter=";"))[0]
    end = line.find(";")
    return line[:end] if end >= 0 else line.rstrip("\r\n")


def read_records(file: IO[str], *, size: int | None = None) -> Iterator[list[str]]:
    """The CSV records of a text file (``;``-separated, each ending with ``\n``; read without
    newline translation), in batches, each record's text without its final line break.

    A record spans lines when a quoted field holds a line break: it ends at the first line end
    outside quotes, where the number of quote characters in the record so far is even (a
    writer doubles a quote inside a quoted field and quotes every field that holds one).
    ``size``: characters read at a time (default :data:`READ_CHARS`)."""
    size = size or READ_CHARS
    tail = ""
    held: list[str] | None = None  # lines of a record inside quotes so far
    while True:
        chunk = file.read(size)
        if not chunk:
            lines = [tail] if tail else []
        else:
            text = tail + chunk if tail else chunk
            end = text.rfind("\n")
            if end < 0:
                tail = text
                continue
            tail = text[end + 1:]
            lines = text[:end].split("\n")
            if held is None and '"' not in text:
                yield lines
                continue
        records = []
        for line in lines:
            odd = line.count('"') & 1
            if held is not None:
                held.append(line)
                if odd:
                    records.append("\n".join(held))
                    held = None
            elif odd:
                held = [line]
            else:
                records.append(line)
        if records:
            yield records
        if not chunk:
            if held is not None:  # a quote never closed: what is left is one record
                yield ["\n".join(held) + ("" if tail else "\n")]
            return


def _spill(batches: Iterable[list[str]], tmpdir, opened: set[IO[bytes]]) -> IO[bytes]:
    """A run on disk. The file is unbuffered: a run waiting for the merge holds no buffer."""
    # The run holds personal data: an anonymous file where the platform has them.
    file = tempfile.TemporaryFile("w+b", buffering=0, dir=tmpdir, prefix="vish-sort-")  # noqa: SIM115
    opened.add(file)
    for batch in batches:
        if batch:
            file.write(("\n".join(batch) + "\n").encode("utf-8"))
    return file


def _slices(run: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(run), BATCH):
        yield run[start:start + BATCH]


def _batches(records: Iterator[str]) -> Iterator[list[str]]:
    while batch := list(islice(records, BATCH)):
        yield batch


def _run_batches(file: IO[bytes]) -> Iterator[list[str]]:
    file.seek(0)
    with io.TextIOWrapper(io.BufferedReader(file), encoding="utf-8", newline="") as text:
        yield from read_records(text, size=RUN_READ_CHARS)
    # Read, or closed early: the run is closed with its reader (its owner closes it anyway).


def _flat(batches: Iterator[list[str]]) -> Iterator[str]:
    for batch in batches:
        yield from batch


def _merged_text(sources: list[Iterator[list[str]]]) -> Iterator[list[str]]:
    """Sorted batches of whole texts merged (no key: equal texts are the same text, so no
    order among them to keep), a batch at a time rather than a record at a time: all records
    up to the smallest last record of the batches at hand are taken from every source, and
    sorted together (the sort merges the sorted pieces)."""
    heads: list[list] = []  # [batch, position, source]
    for source in sources:
        batch = next((b for b in source if b), None)
        if batch is not None:
            heads.append([batch, 0, source])
    while heads:
        bound = min(head[0][-1] for head in heads)
        out: list[str] = []
        for head in heads:
            batch, position, source = head
            if batch[-1] <= bound:
                out.extend(batch[position:] if position else batch)
                head[0] = next((b for b in source if b), None)
                head[1] = 0
            else:
                cut = bisect_right(batch, bound, position)
                out.extend(batch[position:cut])
                head[1] = cut
        heads = [head for head in heads if head[0] is not None]
        out.sort()
        yield out


def _merge(runs: list[IO[bytes]], key, tmpdir, opened: set[IO[bytes]]) -> IO[bytes]:
    """One run of ``runs`` (consecutive runs, oldest first: equal keys keep their order)."""
    readers = [_run_batches(f) for f in runs]
    try:
        merged = _spill(_merged_text(readers) if key is None else
                        _batches(heapq.merge(*(_flat(r) for r in readers), key=key)), tmpdir, opened)
    finally:
        for reader in readers:
            reader.close()
    for done in runs:
        done.close()  # its disk space is freed now
        opened.discard(done)
    return merged


def sorted_batches(batches: Iterable[list[str]], *, key: Callable[[str], object] | None = bsn_of_line,
                   run_records: int = RUN_RECORDS, run_chars: int = RUN_CHARS,
                   tmpdir=None) -> Iterator[list[str]]:
    """The records of ``batches`` (each record a CSV record's text, ``;``-separated, without its
    final line break) in ascending order of ``key`` (default: the first field; None: the whole
    text), stable, in batches. Memory: one run (``run_records`` records, about ``run_chars``
    characters, plus the batch being read) and a reader's buffers for each run merged at once
    (fewer than :data:`MAX_OPEN_RUNS` a level, a level for each factor of that many runs)."""
    if run_records < 1:
        raise ValueError("run_records must be at least 1")
    # levels[i]: runs merged i times; every run on a level holds records that came before all
    # records on the levels below it, and runs on one level are in the order they came.
    levels: list[list[IO[bytes]]] = []
    opened: set[IO[bytes]] = set()  # every temporary file open: closed in the end, always
    readers: list[Iterator[str]] = []

    def spill(run: list[str]) -> None:
        run.sort(key=key)
        spilled = _spill(_slices(run), tmpdir, opened)
        level = 0
        while True:
            if level == len(levels):
                levels.append([])
            levels[level].append(spilled)
            if len(levels[level]) < MAX_OPEN_RUNS:
                return
            spilled = _merge(levels[level], key, tmpdir, opened)
            levels[level] = []
            level += 1

    try:
        run: list[str] = []
        chars = 0
        for batch in batches:
            run.extend(batch)
            chars += sum(map(len, batch))
            if len(run) > run_records:  # a full run, and more: the first records go to disk
                while len(run) > run_records:
                    spill(run[:run_records])
                    del run[:run_records]
                chars = sum(map(len, run))
            elif chars > run_chars:
                spill(run)
                run, chars = [], 0
        run.sort(key=key)
        if not opened:
            yield from _slices(run)
            return
        # The last run stays in memory: it came last, so equal keys keep their order.
        readers = [_run_batches(f) for runs in reversed(levels) for f in runs]
        if key is None:
            yield from _merged_text([*readers, _slices(run)])
        else:
            yield from _batches(heapq.merge(*(_flat(r) for r in readers), run, key=key))
    finally:
        for reader in readers:
            reader.close()
        for file in opened:
            file.close()


def _line_batches(records: Iterable[list[str]]) -> Iterator[list[str]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    batch: list[str] = []
    for record in records:
        writer.writerow(record)
        batch.append(buffer.getvalue()[:-1])
        buffer.seek(0)
        buffer.truncate()
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def sorted_by_bsn(records: Iterable[list[str]], *, run_records: int = RUN_RECORDS,
                  tmpdir=None) -> Iterator[list[str]]:
    """``records`` (snapshot records: the BSN at index 0) in ascending BSN order, stable: of
    records with the same BSN the first given comes first. Bounded memory (``run_records``
    records at a time, held as text); temporary files in ``tmpdir`` (default: the system's)
    only when there are more records than one run."""
    batches = sorted_batches(_line_batches(records), run_records=run_records, tmpdir=tmpdir)
    try:
        for batch in batches:
            yield from csv.reader(batch, delimiter=";")
    finally:
        batches.close()
