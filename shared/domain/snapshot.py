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
from datetime import date

from shared.domain.bsn import is_valid_bsn
from shared.domain.columns import CANONICAL_FIELDS

SNAPSHOT_FORMAT_VERSION = "1"
# Metadata of a stored snapshot naming the order of its records. The intake writes them in
# ascending BSN order (``merge.write_snapshot``) and says so; a delivery streams such a snapshot
# as it is and sorts any other (an older one) first.
SNAPSHOT_ORDER_KEY = "order"
SNAPSHOT_ORDER_BSN = "bsn"
SNAPSHOT_FIELDS: tuple[str, ...] = (*CANONICAL_FIELDS, "eligible_from", "source_row", "origin")
BSN_INDEX = 0
SOURCE_ROW_INDEX = SNAPSHOT_FIELDS.index("source_row")
ORIGIN_INDEX = SNAPSHOT_FIELDS.index("origin")
DATE_FIELDS: tuple[str, ...] = ("geboortedatum", "startdatum", "toelatingsdatum", "einddatum",
                                "eligible_from")
_DATE_INDEXES = tuple((SNAPSHOT_FIELDS.index(name), name) for name in DATE_FIELDS)

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

    Each record has every field, a valid BSN (nine ASCII digits passing the 11-proef) and in
    each date field (:data:`DATE_FIELDS`) nothing or a real ``YYYY-MM-DD`` date, so a consumer
    can rely on all three; anything else raises :class:`SnapshotFormatError` naming the line.
    So does an empty input: a snapshot always has its header (one of nobody too), and reading a
    truncated file as "nobody" would disable the mass-drop guard. Blank lines are skipped.
    ``lines`` is text read with ``newline=""``. A BSN on two records is not refused here (that
    would take memory per person); a consumer that must not see it twice deduplicates.
    """
    reader = csv.reader(lines, delimiter=";")
    width = len(SNAPSHOT_FIELDS)
    dates = _DATE_INDEXES
    parse_date = date.fromisoformat
    try:
        header = next(reader, None)
        if header is None:
            raise SnapshotFormatError("snapshot is leeg: geen kopregel")
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
            for index, name in dates:
                value = record[index]
                if value:
                    # The shape first: fromisoformat also takes a week date (2024-W05-1).
                    if len(value) != 10 or value[4] != "-" or value[7] != "-":
                        raise SnapshotFormatError(_bad_date(reader.line_num, name))
                    try:
                        parse_date(value)
                    except ValueError:
                        raise SnapshotFormatError(_bad_date(reader.line_num, name)) from None
            yield record
    except csv.Error:
        raise SnapshotFormatError(f"snapshot, regel {reader.line_num}: geen leesbare CSV "
                                  "(bijvoorbeeld een veld dat te lang is)") from None
    except UnicodeDecodeError:
        # Text is decoded ahead of the parser: the bad byte lies somewhere after this line.
        after = f" na regel {reader.line_num}" if reader.line_num else ""
        raise SnapshotFormatError(f"snapshot: geen UTF-8-tekst{after}") from None


def _bad_date(line: int, name: str) -> str:
    return f"snapshot, regel {line}: {name} is geen geldige datum (JJJJ-MM-DD)"


def iter_snapshot_bytes(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """Records of a snapshot given as byte chunks (a blob download, a file read with
    :func:`shared.domain.reader.iter_file_chunks`), streamed and bounded: a line longer than
    any record can be stops the read at once. UTF-8, with or without a BOM."""
    from shared.domain.reader import MAX_LINE_BYTES, ReadStats, UnreadableExtract, _ChunkStream

    raw = _ChunkStream(chunks, ReadStats(), MAX_LINE_BYTES, None)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", newline="")
    try:
        yield from iter_snapshot_rows(text)
    except UnreadableExtract as exc:  # a line longer than any record can be (the message is safe)
        raise SnapshotFormatError(f"snapshot onleesbaar: {exc}") from None
