"""The new snapshot from the spooled records: one record per person, the winning one.

A person can have several records in the spool: more than one own row (``duplicate_bsn``), or
an own row and a row as somebody's partner, or two partner rows. One wins (:func:`_priority`);
carried-over records of people whose row was invalid today were spooled last.

Memory stays bounded however many people are merged: the winners are found bucket range by
bucket range (:data:`MAX_MERGED_PER_PASS` people per pass over the spool at most), and what
is kept is one bit per spooled record.
"""

from __future__ import annotations

import csv
from typing import IO

from shared.domain.snapshot import (
    BSN_INDEX,
    ORIGIN_INDEX,
    ORIGIN_ROW,
    SNAPSHOT_FIELDS,
    SOURCE_ROW_INDEX,
    new_writer,
)
from shared.domain.validation.people import BUCKET_SHIFT, PeopleSeen

_START_INDEX = SNAPSHOT_FIELDS.index("startdatum")
MAX_MERGED_PER_PASS = 1 << BUCKET_SHIFT  # one bucket always fits in one pass


def _priority(record: list[str]) -> int:
    """Which of several records of one person wins: an own row over a partner-derived one,
    then the latest startdatum (ISO, as a number), then the latest line. One int: compact."""
    start = int(record[_START_INDEX].replace("-", "") or 0)
    return (((record[ORIGIN_INDEX] == ORIGIN_ROW) << 27 | start) << 36) | int(record[SOURCE_ROW_INDEX])


def _passes(state: PeopleSeen) -> list[tuple[int, int]]:
    """Ranges of buckets ``[first, last)``, each with at most MAX_MERGED_PER_PASS people."""
    passes, first, size = [], 0, 0
    counts = state.merged_per_bucket
    for bucket, n in enumerate(counts):
        if size and size + n > MAX_MERGED_PER_PASS:
            passes.append((first, bucket))
            first, size = bucket, 0
        size += n
    if size:
        passes.append((first, len(counts)))
    return passes


def write_snapshot(spool: IO[str], out: IO[str], state: PeopleSeen) -> None:
    """Copy the spooled records, keeping only the winning record of each merged person."""
    out.write(";".join(SNAPSHOT_FIELDS) + "\n")  # as new_writer writes it (names need no quotes)
    spool.seek(0)
    if not state.merged.count:
        while chunk := spool.read(1 << 20):
            out.write(chunk)
        return
    merged = state.merged
    keep = bytearray()  # bit per spooled record of a merged person: it wins
    for first, last in _passes(state):
        best: dict[int, int] = {}  # person -> (priority << 32 | record number) of the winner
        spool.seek(0)
        for number, record in enumerate(csv.reader(spool, delimiter=";")):
            key = int(record[BSN_INDEX])
            if first <= (key // 10) >> BUCKET_SHIFT < last and key in merged:
                candidate = _priority(record) << 32 | number
                if candidate > best.get(key, -1):
                    best[key] = candidate
        for candidate in best.values():
            number = candidate & 0xFFFFFFFF
            if len(keep) <= number >> 3:
                keep.extend(bytes((number >> 3) + 1 - len(keep)))
            keep[number >> 3] |= 1 << (number & 7)
    writer = new_writer(out)
    spool.seek(0)
    for number, record in enumerate(csv.reader(spool, delimiter=";")):
        if int(record[BSN_INDEX]) in merged and not (
                number >> 3 < len(keep) and keep[number >> 3] & (1 << (number & 7))):
            continue
        writer.writerow(record)
