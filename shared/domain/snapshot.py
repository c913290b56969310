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

from shared.domain.bsn import is_valid_bsn
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
    """A stored snapshot cannot be read as one: wrong header, a broken record, not UTF-8 text.

    The message is Dutch, safe to show an operator: it names at most a line number, never a
    value from the file (a snapshot holds BSNs).
    """


def new_writer(text: io.TextIOBase):
    return csv.writer(text, delimiter=";", lineterminator="\n")


def iter_snapshot_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """Records of a snapshot (header checked and skipped), streamed.

    Each record has every field and a valid BSN (nine ASCII digits passing the 11-proef), so a
    consumer can rely on both; anything else raises :class:`SnapshotFormatError` naming the
    line. Blank lines are skipped. ``lines`` is text read with ``newline=""``.
    """
    reader = csv.reader(lines, delimiter=";")
    width = len(SNAPSHOT_FIELDS)
    try:
        header = next(reader, None)
        if header is None:
            return
        if tuple(header) != SNAPSHOT_FIELDS:
            raise SnapshotFormatError("snapshot: regel 1 is niet de kopregel van een snapshot "
                                      f"(formaatversie {SNAPSHOT_FORMAT_VERSION})")
        for record in reader:
            if len(record) != width:
                if not record:
                    continue
                raise SnapshotFormatError(f"snapshot, regel {reader.line_num}: verkeerd aantal "
                                          f"velden (verwacht {width})")
            if not is_valid_bsn(record[BSN_INDEX]):
                raise SnapshotFormatError(f"snapshot, regel {reader.line_num}: geen geldig BSN")
            yield record
    except csv.Error:
        raise SnapshotFormatError(f"snapshot, regel {reader.line_num}: geen leesbare CSV "
                                  "(bijvoorbeeld een veld dat te lang is)") from None
    except UnicodeDecodeError:
        # Text is decoded ahead of the parser: the bad byte lies somewhere after this line.
        after = f" na regel {reader.line_num}" if reader.line_num else ""
        raise SnapshotFormatError(f"snapshot: geen UTF-8-tekst{after}") from None


def iter_snapshot_bytes(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """Records of a snapshot given as byte chunks (a blob download), streamed."""
    from shared.domain.reader import MAX_LINE_BYTES, ReadStats, UnreadableExtract, _ChunkStream

    raw = _ChunkStream(chunks, ReadStats(), MAX_LINE_BYTES, None)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", newline="")
    try:
        yield from iter_snapshot_rows(text)
    except UnreadableExtract as exc:  # a line longer than any record can be (the message is safe)
        raise SnapshotFormatError(f"snapshot onleesbaar: {exc}") from None
