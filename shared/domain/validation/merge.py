"""The new snapshot from the spooled records: one record per person, the winning one.

A person can have several records in the spool: more than one own row (``duplicate_bsn``), or
an own row and a row as somebody's partner, or two partner rows. One wins (:func:`_priority`);
carried-over records of people whose row was invalid today come last.
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
from shared.domain.validation.records import PeopleSeen

_START_INDEX = SNAPSHOT_FIELDS.index("startdatum")


def _priority(record: list[str]) -> tuple[bool, str, int]:
    """Which of several records of one person wins: an own row over a partner-derived one,
    then the latest startdatum (ISO text sorts as dates), then the latest line."""
    return (record[ORIGIN_INDEX] == ORIGIN_ROW, record[_START_INDEX],
            int(record[SOURCE_ROW_INDEX]))


def write_snapshot(spool: IO[str], out: IO[str], state: PeopleSeen) -> None:
    """Copy the spooled records, keeping only the winning record of each merged person."""
    merged = state.merged | (state.explicit & state.partners)
    best: dict[int, tuple] = {}
    if merged:
        spool.seek(0)
        for record in csv.reader(spool, delimiter=";"):
            key = int(record[BSN_INDEX])
            if key in merged:
                priority = _priority(record)
                if key not in best or priority > best[key]:
                    best[key] = priority
    writer = new_writer(out)
    writer.writerow(SNAPSHOT_FIELDS)
    spool.seek(0)
    for record in csv.reader(spool, delimiter=";"):
        if best:
            key = int(record[BSN_INDEX])
            if key in best and _priority(record) != best[key]:
                continue
        writer.writerow(record)
    writer.writerows(state.carried)
