"""The new snapshot from the spooled records: one record per person, the winning one.

A person can have several records in the spool: more than one own row (``duplicate_bsn``), or
an own row and a row as somebody's partner, or two partner rows. One wins (:func:`_priority`),
by this order, each criterion deciding only between records equal on the ones before it:

1. its standing on the reference date ``on`` of the intake: *eligible* (``eligible_from`` on or
   before ``on`` and no einddatum before ``on``, as :func:`decision.was_eligible` reads it and
   the delivery too) over *not ended* (no einddatum, or one on or after ``on``: not admitted
   yet, or admitted after ``on``, so it may be delivered later) over *ended* (einddatum before
   ``on``). So a person whose own row has ended but who is the partner on an eligible client's
   row keeps that partner record and stays in the SNG file: the snapshot agrees with the
   mass-drop guard, which counts such a person as staying (``PeopleSeen.eligible``);
2. an own row over a partner-derived record;
3. the latest startdatum;
4. the latest line of the extract.

Two records of one person are never on the same line with the same origin, so the order is
total. Carried-over records (people whose row was invalid today) were spooled last; a carried
person has no valid row, so is never merged.

Memory stays bounded however many people are merged: the winners are found bucket range by
bucket range (:data:`MAX_MERGED_PER_PASS` people per pass over the spool at most), and what
is kept is one bit per spooled record. The priority is computed for records of merged people
only. The snapshot is written in ascending BSN order, sorted externally (runs of at most
:data:`shared.domain.sorting.RUN_RECORDS` records in memory).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from typing import IO

from shared.domain.snapshot import (
    BSN_INDEX,
    ORIGIN_INDEX,
    ORIGIN_ROW,
    SNAPSHOT_FIELDS,
    SOURCE_ROW_INDEX,
)
from shared.domain.sorting import RUN_RECORDS, read_records, sorted_batches
from shared.domain.validation.decision import was_eligible
from shared.domain.validation.people import BUCKET_SHIFT, PeopleSeen

_START_INDEX = SNAPSHOT_FIELDS.index("startdatum")
_END_INDEX = SNAPSHOT_FIELDS.index("einddatum")
MAX_MERGED_PER_PASS = 1 << BUCKET_SHIFT  # one bucket always fits in one pass

# The fields packed into one priority, lowest first: the line (36 bits: 68 billion lines, far
# beyond any extract), the startdatum as YYYYMMDD (27 bits: 99991231 < 2**27), own row (1 bit),
# the standing (2 bits: ENDED, NOT_ENDED, ELIGIBLE). No field overflows into the next.
LINE_BITS = 36
START_BITS = 27
ENDED, NOT_ENDED, ELIGIBLE = 0, 1, 2


def standing(record: list[str], on: date) -> int:
    """:data:`ELIGIBLE` when the record puts its person in VISH on ``on``
    (:func:`decision.was_eligible`), else :data:`NOT_ENDED` when its einddatum is empty or not
    before ``on`` (ISO text compares as the date), else :data:`ENDED`."""
    if was_eligible(record, on):
        return ELIGIBLE
    end = record[_END_INDEX]
    return NOT_ENDED if not end or end >= on.isoformat() else ENDED


def _priority(record: list[str], on: date) -> int:
    """Which of several records of one person wins (the order in the module docstring): the
    standing on ``on``, an own row over a partner-derived one, the latest startdatum (ISO, as a
    number), the latest line. One int: compact."""
    start = int(record[_START_INDEX].replace("-", "") or 0)
    own = record[ORIGIN_INDEX] == ORIGIN_ROW
    return ((standing(record, on) << 1 | own) << START_BITS | start) << LINE_BITS | int(
        record[SOURCE_ROW_INDEX])


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


def _kept_records(spool: IO[str], state: PeopleSeen, on: date) -> Iterator[list[str]]:
    """The spooled records' text (in batches, in spool order) without the records of merged
    people that do not win (:func:`_priority`)."""
    spool.seek(0)
    if not state.merged.count:
        yield from read_records(spool)
        return
    merged = state.merged
    keep = bytearray()  # bit per spooled record of a merged person: it wins
    for first, last in _passes(state):
        best: dict[int, int] = {}  # person -> (priority << 32 | record number) of the winner
        spool.seek(0)
        for number, record in enumerate(csv.reader(spool, delimiter=";")):
            key = int(record[BSN_INDEX])
            if first <= (key // 10) >> BUCKET_SHIFT < last and key in merged:
                candidate = _priority(record, on) << 32 | number
                if candidate > best.get(key, -1):
                    best[key] = candidate
        for candidate in best.values():
            number = candidate & 0xFFFFFFFF
            if len(keep) <= number >> 3:
                keep.extend(bytes((number >> 3) + 1 - len(keep)))
            keep[number >> 3] |= 1 << (number & 7)
    spool.seek(0)
    number = 0
    for batch in read_records(spool):
        yield [line for n, line in enumerate(batch, number)
               if int(line[:9]) not in merged or (n >> 3 < len(keep) and keep[n >> 3] & (1 << (n & 7)))]
        number += len(batch)


def write_snapshot(spool: IO[str], out: IO[str], state: PeopleSeen, *, on: date,
                   run_records: int = RUN_RECORDS, tmpdir=None) -> None:
    """Write the snapshot: the spooled records, keeping only the winning record of each merged
    person (:func:`_priority`; ``on``: the reference date of the intake, as the decision used),
    in ascending BSN order (so a delivery can stream it:
    :func:`shared.domain.delivery_file.write_delivery_file`). The sort is external
    (:func:`sorted_batches`): ``run_records`` records in memory at most, the runs in temporary
    files in ``tmpdir`` (default: the system's)."""
    out.write(";".join(SNAPSHOT_FIELDS) + "\n")  # as new_writer writes it (names need no quotes)
    # Every spooled record starts with its nine-digit BSN and a ';' (the 11-proef passed: an
    # own row's or partner's BSN normalised by the check, a carried record's by the snapshot
    # reader), and what is kept holds each person once: the order of the whole text is the
    # order of the BSNs (compared without a key: quicker, and no key held per record).
    ordered = sorted_batches(_kept_records(spool, state, on), key=None, run_records=run_records,
                             tmpdir=tmpdir)
    try:
        for batch in ordered:
            out.write("\n".join(batch) + "\n")
    finally:
        ordered.close()
