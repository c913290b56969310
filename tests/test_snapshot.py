"""Reading a stored snapshot: a broken one is a SnapshotFormatError naming a line, never a value.
Writing one: in BSN order, one record per person."""

from __future__ import annotations

import codecs
import csv
import io
import os
from unittest import mock

import pytest

import shared.domain.validation.merge as merge
from devtools.sample import HEADER as SAMPLE_HEADER
from devtools.sample import sample_rows
from shared.domain.snapshot import (
    DATE_FIELDS,
    SNAPSHOT_FIELDS,
    SNAPSHOT_ORDER_BSN,
    SNAPSHOT_ORDER_KEY,
    SnapshotFormatError,
    iter_snapshot_bytes,
    iter_snapshot_rows,
)
from shared.domain.validation import Rules, ValidationResult, validate_extract
from tests.helpers import TODAY, bsns, invalid_checksum

HEADER = ";".join(SNAPSHOT_FIELDS) + "\n"


def record(bsn: str, dossier: str = "D-1") -> str:
    fields = [""] * len(SNAPSHOT_FIELDS)
    values = {"bsn": bsn, "startdatum": "2024-02-01", "toelatingsdatum": "2024-02-01",
              "dossiernummer": dossier, "eligible_from": "2024-02-01", "source_row": "2",
              "origin": "row"}
    for name, value in values.items():
        fields[SNAPSHOT_FIELDS.index(name)] = value
    return ";".join(fields) + "\n"


def rows(text: str) -> list[list[str]]:
    return list(iter_snapshot_rows(io.StringIO(text, newline="")))


def error(text: str) -> str:
    with pytest.raises(SnapshotFormatError) as caught:
        rows(text)
    assert no_chained_value(caught.value)
    return str(caught.value)


def no_chained_value(exc: BaseException) -> bool:
    """No csv or decode error (whose text or ``object`` may hold data) shown with it."""
    return exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def test_a_good_snapshot_streams_its_records():
    b = bsns(3)
    got = rows(HEADER + "".join(record(x) for x in b) + "\n")  # a blank line is skipped
    assert [r[0] for r in got] == b and all(len(r) == len(SNAPSHOT_FIELDS) for r in got)
    assert rows(HEADER) == []  # a snapshot of nobody still has its header


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8], ids=["empty", "bom_only"])
def test_an_empty_snapshot_is_a_format_error_not_nobody(data):
    # Read as "nobody" it would disable the mass-drop guard; a snapshot always has a header.
    with pytest.raises(SnapshotFormatError) as caught:
        list(iter_snapshot_bytes([data]))
    assert str(caught.value) == "snapshot is leeg: geen kopregel" and no_chained_value(caught.value)
    assert error("") == "snapshot is leeg: geen kopregel"


def test_a_snapshot_saved_with_a_bom_is_read():
    b = bsns(3)
    data = codecs.BOM_UTF8 + (HEADER + "".join(record(x) for x in b)).encode()
    assert [r[0] for r in iter_snapshot_bytes([data[:1], data[1:5], data[5:]])] == b


def with_field(bsn: str, name: str, value: str) -> str:
    fields = record(bsn).rstrip("\n").split(";")
    fields[SNAPSHOT_FIELDS.index(name)] = value
    return ";".join(fields) + "\n"


@pytest.mark.parametrize("name", DATE_FIELDS)
@pytest.mark.parametrize("value", ["garbage", "GEHEIM-2024", "2024-02-30", "2024-13-01",
                                   "0000-01-01", "01-02-2024", "2024-2-1", "20240201",
                                   "2024-W05-1", " 2024-02-01", "2024-02-01 ", "２０２４-02-01",
                                   "٢٠٢٤-٠٢-٠١", "2024/02/01"])
def test_a_date_field_that_is_no_date_names_the_line_and_field_never_the_value(name, value):
    b = bsns(2)
    message = error(HEADER + record(b[0]) + with_field(b[1], name, value))
    assert message == f"snapshot, regel 3: {name} is geen geldige datum (JJJJ-MM-DD)"
    assert value.strip() not in message and b[1] not in message


def test_date_fields_may_be_empty_or_any_real_date():
    b = bsns(4)
    text = (HEADER + with_field(b[0], "einddatum", "") + with_field(b[1], "geboortedatum", "")
            + with_field(b[2], "einddatum", "9999-12-31") + with_field(b[3], "startdatum", "2024-02-29"))
    assert [r[0] for r in rows(text)] == b
    assert DATE_FIELDS == ("geboortedatum", "startdatum", "toelatingsdatum", "einddatum",
                           "eligible_from") and set(DATE_FIELDS) < set(SNAPSHOT_FIELDS)


def test_the_iterator_is_lazy():
    rows_iter = iter_snapshot_rows(io.StringIO("not a snapshot\n"))
    with pytest.raises(SnapshotFormatError):
        next(rows_iter)


def test_wrong_header_names_line_1_and_no_value():
    secret = bsns(1)[0]
    message = error(f"BSN;Startdatum;Datum toelating\n{secret};01-02-2024;01-02-2024\n")
    assert message == "snapshot: regel 1 is niet de kopregel van een snapshot (formaatversie 1)"
    assert secret not in message


def test_wrong_field_count_names_the_line_and_no_value():
    b = bsns(3)
    short = record(b[2], "GEHEIM-DOSSIER").rsplit(";", 1)[0] + "\n"
    message = error(HEADER + record(b[0]) + record(b[1]) + short)
    assert message == f"snapshot, regel 4: verkeerd aantal velden (verwacht {len(SNAPSHOT_FIELDS)})"
    assert b[2] not in message and "GEHEIM" not in message


@pytest.mark.parametrize("bad", ["checksum", "12345678", "1234567890", "abcdefghi", "",
                                 "١٢٣٤٥٦٧٨٢", "000000000"])
def test_a_bsn_that_is_not_nine_digits_passing_the_11_proef_names_the_line(bad):
    good = bsns(2)
    value = invalid_checksum(good[1]) if bad == "checksum" else bad
    message = error(HEADER + record(good[0]) + record(value))
    assert message == "snapshot, regel 3: geen geldig BSN"


def test_csv_error_names_the_line():
    b = bsns(1)
    limit = csv.field_size_limit(1000)
    try:
        message = error(HEADER + record(b[0], "X" * 2000))
    finally:
        csv.field_size_limit(limit)
    assert message.startswith("snapshot, regel 2: geen leesbare CSV") and "XXX" not in message


def test_bytes_that_are_not_utf8_are_a_format_error():
    data = HEADER.encode() + record(bsns(1)[0]).encode() + b"\xff\xfe" + os.urandom(64) + b"\x00"
    with pytest.raises(SnapshotFormatError) as caught:
        list(iter_snapshot_bytes([data]))
    assert str(caught.value) == "snapshot: geen UTF-8-tekst" and no_chained_value(caught.value)


def test_binary_bytes_are_a_format_error():
    with pytest.raises(SnapshotFormatError):
        list(iter_snapshot_bytes([b"\x89PNG\r\n\x1a\n" + os.urandom(4096) + b"\x00"]))


def test_a_line_too_long_for_any_record_is_a_format_error():
    with pytest.raises(SnapshotFormatError) as caught:
        list(iter_snapshot_bytes([HEADER.encode(), b"9" * (2 << 20)]))
    assert str(caught.value).startswith("snapshot onleesbaar: ")


def test_bytes_of_a_good_snapshot_stream_in_chunks():
    b = bsns(50)
    data = (HEADER + "".join(record(x) for x in b)).encode()
    got = list(iter_snapshot_bytes(data[i:i + 7] for i in range(0, len(data), 7)))
    assert [r[0] for r in got] == b


# -- the snapshot is written in BSN order -----------------------------------------------------

def validated(data: bytes, current: bytes | None = None) -> tuple[bytes, ValidationResult]:
    out = io.StringIO(newline="")
    result = validate_extract([data], today=TODAY, snapshot_out=out, rules=Rules(invalid_threshold=0.3),
                              current_snapshot=iter_snapshot_bytes([current]) if current else None)
    assert result.accepted, result.reason
    return out.getvalue().encode("utf-8"), result


def sample(seed: int, error_rate: float) -> bytes:
    lines = list(sample_rows(400, today=TODAY, seed=seed, error_rate=error_rate, partner_rate=0.3))
    lines += lines[::9]  # people on two rows: merged, one record each
    return ("\r\n".join([SAMPLE_HEADER, *lines]) + "\r\n").encode("utf-8")


def test_the_intake_writes_the_snapshot_in_bsn_order_the_same_records_one_per_person(monkeypatch):
    monkeypatch.setitem(merge.write_snapshot.__kwdefaults__, "run_records", 7)  # many runs on disk
    first, result = validated(sample(8, 0.0))
    second, carried = validated(sample(8, 0.08), first)
    assert result.people > 400 and carried.carried_over > 0
    for snapshot in (first, second):
        people = [r[0] for r in iter_snapshot_bytes([snapshot])]
        assert people == sorted(set(people)) and len(people) > 400  # ascending, each once

    def in_spool_order(batches, **_):
        yield from batches

    with mock.patch.object(merge, "sorted_batches", in_spool_order):
        unsorted, _ = validated(sample(8, 0.08), first)
    assert second != unsorted  # the spool order is another, the records the same
    assert sorted(unsorted.splitlines()[1:]) == sorted(second.splitlines()[1:])
    assert unsorted.splitlines()[0] == second.splitlines()[0]


@pytest.mark.integration
def test_the_stored_snapshot_is_in_bsn_order_and_says_so(intake, azurite, org_code):
    from tests.test_intake_azurite import drop_and_trigger, extract

    drop_and_trigger(intake, azurite, org_code, extract(300, seed=12))
    name = f"{org_code}/current.csv"
    container = intake.settings.snapshots_container
    people = [r[0] for r in iter_snapshot_bytes([intake.blobs.read_bytes(container, name)])]
    assert len(people) >= 300 and people == sorted(set(people))
    assert intake.blobs.info(container, name).metadata[SNAPSHOT_ORDER_KEY] == SNAPSHOT_ORDER_BSN == "bsn"
