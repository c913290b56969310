"""The normalised snapshot: one record per person to register, as UTF-8 CSV.

It is the only place besides the delivered file where personal data rests; it holds the
canonical fields (normalised), when the person becomes eligible, and where the record came
from (``row``: an own row, ``partner``: derived from a client's partner column,
``carried_over``: kept from the previous snapshot because today's row was invalid).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from shared.domain.columns import CANONICAL_FIELDS

SNAPSHOT_FORMAT_VERSION = "1"
SNAPSHOT_FIELDS: tuple[str, ...] = (*CANONICAL_FIELDS, "eligible_from", "source_row", "origin")
BSN_INDEX = 0
SOURCE_ROW_INDEX = SNAPSHOT_FIELDS.index("source_row")
ORIGIN_INDEX = SNAPSHOT_FIELDS.index("origin")

ORIGIN_ROW = "row"
ORIGIN_PARTNER = "partner"
ORIGIN_CARRIED = "carried_over"


class SnapshotFormatError(Exception):
    """A stored snapshot does not have the expected layout (no content in the message)."""


def new_writer(text: io.TextIOBase):
    return csv.writer(text, delimiter=";", lineterminator="\n")


def iter_snapshot_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """Records of a snapshot (header checked and skipped)."""
    reader = csv.reader(lines, delimiter=";")
    header = next(reader, None)
    if header is None:
        return
    if tuple(header) != SNAPSHOT_FIELDS:
        raise SnapshotFormatError("snapshot header does not match format version "
                                  + SNAPSHOT_FORMAT_VERSION)
    yield from reader


def iter_snapshot_bytes(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """Records of a snapshot given as byte chunks (a blob download), streamed."""
    from shared.domain.reader import MAX_LINE_BYTES, ReadStats, _ChunkStream

    raw = _ChunkStream(chunks, ReadStats(), MAX_LINE_BYTES, None)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", newline="")
    yield from iter_snapshot_rows(text)
