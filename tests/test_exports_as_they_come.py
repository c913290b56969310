"""Exports as they really come (issue 14, point 3): header names, Excel's dates and numbers, Excel
workbooks, Windows-1252, and what a report may show of a wrong value.

Every Dutch text is asserted as a fixed string; every new text is shown to keep BSNs, names and
birth dates out.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

import shared.domain.validation.fast_path as fast_path
from shared.domain.columns import map_headers
from shared.domain.dates import parse_dutch_date, year_has_two_digits
from shared.domain.issues import Code
from shared.domain.reader import (
    ExcelWorkbook,
    NotCsv,
    ReadStats,
    UnreadableExtract,
    decode_to_utf8,
)
from shared.domain.snapshot import SNAPSHOT_FIELDS, iter_snapshot_bytes
from shared.domain.validation import Rules
from tests.helpers import bsns, csv_bytes, run

B = bsns(8, seed=14)
LENIENT = Rules(invalid_threshold=1.0, invalid_min_rows=1)


def field(records, bsn: str, name: str) -> str:
    (record,) = [r for r in records if r[0] == bsn and r[-1] == "row"]
    return record[SNAPSHOT_FIELDS.index(name)]


def row_issues(result) -> list[tuple]:
    return [(i.row, i.field, i.code, i.message) for i in result.issues if i.row is not None]


# -- header names ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "canonical"), [
    ("BSN-nummer", "bsn"), ("BSN nummer", "bsn"), ("Burgerservicenummer (BSN)", "bsn"),
    ("Datum aanmelding", "startdatum"), ("Aanmelddatum", "startdatum"),
    ("Einde traject", "einddatum"), ("Datum einde traject", "einddatum"),
    ("Afsluitdatum", "einddatum"), ("Datum afsluiting", "einddatum"),
])
def test_header_names_of_real_exports_are_recognised(header, canonical):
    mapping = map_headers(["Dossiernummer", header])
    assert mapping.index == {"dossiernummer": 0, canonical: 1}
    assert mapping.names == {"dossiernummer": "Dossiernummer", canonical: header}
    assert mapping.ignored == []


def test_an_extract_with_those_names_is_read_end_to_end():
    header = "BSN-nummer;Datum aanmelding;Datum toelating;Datum einde traject;Dossiernummer"
    data = csv_bytes(f"{B[0]};01-02-2024;03-02-2024;;D1", f"{B[1]};01-02-2024;03-02-2024;30-06-2024;D2",
                     header=header)
    result, records = run(data, snapshot=True)
    assert result.accepted and result.issues == []
    assert field(records, B[0], "startdatum") == "2024-02-01"
    assert field(records, B[1], "einddatum") == "2024-06-30"


START_MISSING = (
    "Een verplichte kolom ontbreekt: geen kolom voor de startdatum gevonden (gezocht naar "
    "'Startdatum', 'Startdatum traject', 'Startdatum schuldhulptraject', 'Begindatum', "
    "'Begindatum traject', 'Datum start', 'Ingangsdatum', 'Datum aanmelding' of 'Aanmelddatum'); "
    "gevonden kolommen: BSN, Datum van intake")


def test_a_missing_column_names_the_names_it_looks_for():
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024", header="BSN;Datum van intake"))
    assert result.reason is Code.MISSING_COLUMN
    assert [i.message for i in result.issues] == [START_MISSING]


def test_a_missing_column_names_the_organisations_own_alias_first():
    rules = Rules(column_aliases={"Intake gestart": "startdatum"})
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024", header="BSN;Datum van intake"), rules=rules)
    assert result.issues[0].message == START_MISSING.replace(
        "(gezocht naar 'Startdatum'", "(gezocht naar 'Intake gestart', 'Startdatum'")


NO_END = ("Er is geen kolom met de einddatum van het traject, dus een afgesloten traject blijft in "
          "VISH staan. Neem de einddatum op in de export, in een kolom met een van deze namen: "
          "'Einddatum', 'Einddatum traject', 'Datum einde', 'Einde traject', 'Datum einde traject', "
          "'Uitstroomdatum', 'Datum uitstroom', 'Beëindigingsdatum', 'Datum beëindiging', "
          "'Afsluitdatum' of 'Datum afsluiting'")


def test_no_end_date_column_is_one_warning_that_says_why_and_which_names():
    data = csv_bytes(f"{B[0]};01-02-2024;03-02-2024;D1", f"{B[1]};01-02-2024;03-02-2024;D2",
                     header="BSN;Startdatum;Datum toelating;Dossiernummer")
    result, _ = run(data)
    assert result.accepted and result.valid == 2
    assert [(i.row, i.field, i.code, i.severity.value, i.message) for i in result.issues] == [
        (None, "einddatum", Code.EINDDATUM_COLUMN_MISSING, "warning", NO_END)]


def test_an_end_date_column_under_any_of_its_names_gives_no_such_warning():
    for name in ("Einddatum", "Afsluitdatum", "Einde traject"):
        result, _ = run(csv_bytes(f"{B[0]};01-02-2024;;D1",
                                  header=f"BSN;Startdatum;{name};Dossiernummer"))
        assert Code.EINDDATUM_COLUMN_MISSING not in {i.code for i in result.issues}, name


# -- dates as Excel writes them --------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("13-03-2025 00:00", (2025, 3, 13)), ("13-3-2025 0:00", (2025, 3, 13)),
    ("13/03/2025 00:00", (2025, 3, 13)), ("13.03.2025 00:00:00", (2025, 3, 13)),
    ("03-04-2025 00:00", (2025, 4, 3)),  # still day first
    ("31-12-9999 00:00", (9999, 12, 31)),
])
def test_excels_midnight_after_a_dutch_date_is_read_like_the_iso_form(text, expected):
    d = parse_dutch_date(text)
    assert (d.year, d.month, d.day) == expected


@pytest.mark.parametrize("text", [
    "13-03-2025 25:99", "13-03-2025 09:30", "13-03-2025 12:00", "13-03-2025 00:01",
    "13-03-2025 00:00:01", "13-03-2025 00:00:00.000", "13-03-2025 000:00", "13-03-2025 00.00",
    "13-03-2025T00:00", "13-03-2025  00:00", "13-03-2025 00:00 ", "13-03-2025 0:00 AM",
    "13-03-2025\t00:00", "03/13/2025 00:00", "12/31/2024 00:00", "13-03-2025 00:00Z",
    "13-03-2025 ００:００", "13-03-2025 00:00\n",
])
def test_a_time_that_is_not_excels_midnight_is_no_date(text):
    assert parse_dutch_date(text) is None


@pytest.mark.parametrize(("text", "two_digits"), [
    ("13-01-25", True), ("3-1-25", True), ("13/01/25", True), ("13.01.25", True),
    ("13-01-25 00:00", True), ("13-01-2025", False), ("13-01-5", False), ("2025-01-13", False),
    ("13-01/25", False), ("١٣-٠١-٢٥", False), ("13-01-255", False),
])
def test_a_two_digit_year_is_told_apart(text, two_digits):
    assert year_has_two_digits(text) is two_digits
    if two_digits:
        assert parse_dutch_date(text) is None


TWO_DIGITS = ("Het jaartal heeft twee cijfers; schrijf het jaar voluit met vier cijfers, "
              "bijvoorbeeld 13-01-2025")


def test_a_two_digit_year_says_the_year_needs_four_digits():
    header = "BSN;Startdatum;Datum toelating;Einddatum;Geboortedatum;Dossiernummer"
    data = csv_bytes(f"{B[0]};13-01-25;;;;D1", f"{B[1]};01-02-2024;;;17-06-71;D2",
                     f"{B[2]};13-03-2025 00:00;13-03-2025 00:00;;;D3", header=header)
    result, records = run(data, snapshot=True, rules=LENIENT)
    assert row_issues(result) == [
        (2, "startdatum", Code.DATE_YEAR_TWO_DIGITS, TWO_DIGITS + ": in het bestand staat '13-01-25'"),
        (3, "geboortedatum", Code.DATE_YEAR_TWO_DIGITS, TWO_DIGITS),  # the birth date never shown
    ]
    assert (result.total, result.valid) == (3, 1)
    assert field(records, B[2], "startdatum") == "2025-03-13"
    assert field(records, B[2], "eligible_from") == "2025-03-13"


def test_both_passes_read_excels_midnight_alike(monkeypatch):
    header = "BSN;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    lines = [f"{B[0]};13-03-2025 00:00;13-3-2025 0:00;31-12-2025 00:00:00;D1",
             f"{B[1]};13-03-2025 09:30;13-03-2025;;D2", f"{B[2]};13-01-25 00:00;;;D3",
             f"{B[3]};01-02-2025;01-02-2025;01-01-2025 00:00;D4"]
    data = csv_bytes(*lines, header=header)
    fast = run(data, snapshot=True, rules=LENIENT)
    monkeypatch.setattr(fast_path, "FAST_PATH", False)
    slow = run(data, snapshot=True, rules=LENIENT)
    assert fast[0].to_contract() == slow[0].to_contract() and fast[1] == slow[1]
    assert [r[0] for r in fast[1]] == [B[0]]
    assert [(i.row, i.code) for i in fast[0].issues if i.row] == [
        (3, Code.DATE_FORMAT), (4, Code.DATE_YEAR_TWO_DIGITS), (5, Code.END_BEFORE_START)]


# -- a BSN as Excel writes a number ----------------------------------------------------------------
SCIENTIFIC = ("Geen geldig BSN: Excel heeft het nummer als getal in wetenschappelijke notatie "
              "opgeslagen (zoals 1,23457E+08), waarbij cijfers verloren zijn gegaan. Zet in Excel "
              "de kolom met het BSN op Tekst en maak de export opnieuw")


@pytest.mark.parametrize("value", ["1,23457E+08", "1.23457E+08", "1,23E+08", "1E+08", "9,87654E+8",
                                   "1,23457e+08", '"1,23457E+08"'])
def test_a_bsn_in_scientific_notation_explains_the_excel_cause(value):
    header = "BSN;BSN partner;Startdatum;Einddatum;Dossiernummer"
    data = csv_bytes(f"{value};;01-02-2024;;D1", f"{B[1]};{value};01-02-2024;;D2",
                     f"{B[2]};;01-02-2024;;D3", header=header)
    result, records = run(data, snapshot=True, rules=LENIENT)
    assert row_issues(result) == [(2, "bsn", Code.BSN_SCIENTIFIC_NOTATION, SCIENTIFIC),
                                  (3, "partner_bsn", Code.BSN_SCIENTIFIC_NOTATION, SCIENTIFIC)]
    assert [i.dossiernummer for i in result.issues if i.row] == ["D1", "D2"]
    assert sorted(r[0] for r in records) == [B[2]]


@pytest.mark.parametrize("value", ["1,23457E+08x", "E+08", "1,23457E", "1,2,3E+08", "12345678E"])
def test_what_only_looks_like_scientific_notation_is_a_format_error(value):
    result, _ = run(csv_bytes(f"{value};01-02-2024;;D1", header="BSN;Startdatum;Einddatum;Dossiernummer"),
                    rules=LENIENT)
    assert [i.code for i in result.issues if i.row] == [Code.BSN_FORMAT]


# -- Excel workbooks -------------------------------------------------------------------------------
WORKBOOK = ("Dit is een Excel-werkmap, geen CSV-bestand. Open het in Excel, kies Opslaan als met het "
            "bestandstype CSV UTF-8 en lever dat CSV-bestand aan. Een voorloopnul die Excel al uit "
            "een BSN heeft gehaald, komt daarmee niet terug: zet de kolom met het BSN op Tekst "
            "vóór u de gegevens erin plakt, of maak de export opnieuw uit het schuldhulpsysteem")


def _zip(names: list[str], size: int = 10, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name in names:
            archive.writestr(name, f"{B[0]};Jansen;17-06-1971\n" * size)
    return buffer.getvalue()


WORKBOOKS = {
    "xlsx as Excel writes it": _zip(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                     "xl/worksheets/sheet1.xml"]),
    "xlsx with its properties first": _zip(["docProps/app.xml", "docProps/core.xml",
                                            "xl/styles.xml", "[Content_Types].xml"]),
    "xlsm": _zip(["[Content_Types].xml", "xl/vbaProject.bin", "xl/workbook.xml"]),
    # a directory entry at 1024 (the third 512-byte sector): a multiple of 128
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1016) + "Workbook".encode("utf-16-le")
            + bytes(2) + f"{B[0]}\tJansen".encode("utf-16-le") + bytes(3000)),
    "xls of Excel 5": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1016)
                       + "Book".encode("utf-16-le") + bytes(3000)),
    "XML spreadsheet": (b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
                        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'),
}


@pytest.mark.parametrize("kind", sorted(WORKBOOKS))
def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv(kind):
    data = WORKBOOKS[kind]
    result, _ = run(data, tiny_chunks=True)
    assert (result.decision, result.reason) == ("rejected", Code.EXCEL_WORKBOOK)
    assert [(i.row, i.field, i.message) for i in result.issues] == [(None, None, WORKBOOK)]
    assert result.bytes_read <= 70_000  # read no further than its first bytes
    assert B[0] not in json.dumps(result.to_contract())


def test_a_large_workbook_is_refused_from_its_first_bytes():
    data = _zip(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"], 10_000,
                zipfile.ZIP_STORED)
    assert len(data) > 200_000
    result, _ = run(data, tiny_chunks=True)
    assert result.reason is Code.NOT_CSV and result.bytes_read < 70_000
    assert result.issues[0].message == "Dit is geen CSV-bestand: " + OFFICE


OFFICE = ("het is een Office-bestand (zoals een Excel-werkmap of een Word-document), geen "
          "CSV-bestand; is het een Excel-werkmap, open het in Excel, kies Opslaan als met het "
          "bestandstype CSV UTF-8 en lever dat aan; anders maak een CSV-export uit het "
          "schuldhulpsysteem en lever die aan")


def _package(first: str, part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(first, bytes(range(256)) * 400)  # 100 KiB
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/workbook.xml", "word/document.xml", "visio/document.xml",
                                  "lib/net8.0/x.dll"])
def test_a_package_whose_first_entry_is_a_large_thumbnail_is_called_an_office_file(part):
    # The parts after the thumbnail are not in the first bytes: a .docx, .vsdx or .nupkg is
    # not called a workbook; the message covers a workbook too.
    result, _ = run(_package("docProps/thumbnail.jpeg", part), tiny_chunks=True)
    assert result.reason is Code.NOT_CSV and result.bytes_read < 70_000
    assert [i.message for i in result.issues] == ["Dit is geen CSV-bestand: " + OFFICE]


def test_a_package_with_an_xl_part_in_its_first_bytes_is_a_workbook():
    result, _ = run(_package("xl/workbook.xml", "docProps/thumbnail.jpeg"), tiny_chunks=True)
    assert result.reason is Code.EXCEL_WORKBOOK


def test_a_workbook_protected_with_a_password_is_said_to_be_so():
    # Office stores an encrypted .xlsx as an OLE2 file with these streams (directory at 512).
    entries = b"".join((name.encode("utf-16-le") + b"\0\0").ljust(128, b"\0")
                       for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + entries + bytes(512)
    result, _ = run(data)
    assert [i.message for i in result.issues] == [
        "Dit is geen CSV-bestand: het is een Office-bestand dat met een wachtwoord is beveiligd; "
        "open het in Excel, haal het wachtwoord weg (Bestand, Info, Werkmap beveiligen), kies "
        "Opslaan als met het bestandstype CSV UTF-8 en lever dat aan"]


@pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16"])
@pytest.mark.parametrize(("text", "code"), [
    ('<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n<Workbook>',
     Code.EXCEL_WORKBOOK),
    ("<html><body><table><tr><td>BSN</td></tr></table></body></html>\r\n", Code.NOT_CSV),
])
def test_a_web_page_or_xml_spreadsheet_after_a_bom_is_no_csv(bom, text, code):
    result, _ = run(text.encode(bom))
    assert result.reason is code


@pytest.mark.parametrize("data", [
    _zip(["export/xl/clienten.csv"]),  # "xl/" inside a name is no workbook part
    _zip(["clienten.csv"], 1) + b"xl/" * 10,  # nor "xl/" in the data
])
def test_an_archive_that_only_mentions_xl_is_an_archive(data):
    result, _ = run(data)
    assert result.reason is Code.NOT_CSV and "ZIP" in result.issues[-1].message


@pytest.mark.parametrize("data", [
    _zip(["[Content_Types].xml", "word/document.xml"]),  # Word
    _zip(["[Content_Types].xml", "ppt/presentation.xml"]),  # PowerPoint
    _zip(["extract.csv"]),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000),  # an Office file that names no workbook
    # "AddressBook" in a directory entry: "Book" inside a name is no workbook
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1016) + "AddressBook".encode("utf-16-le")
    + bytes(3000),
    # "Workbook" somewhere in a stream's data, not where a directory entry starts
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1020) + "Workbook".encode("utf-16-le")
    + bytes(3000),
])
def test_other_office_files_and_archives_stay_not_csv(data):
    result, _ = run(data)
    assert result.reason is Code.NOT_CSV


# -- Windows-1252 ------------------------------------------------------------------------------------
HEADER = "BSN;Startdatum;Datum toelating;Einddatum;Achternaam"
FALLBACK = "Het bestand is niet in UTF-8 opgeslagen; gelezen als Windows-1252: "
SAVE_AGAIN = "; sla het bestand op als CSV UTF-8 en lever het opnieuw aan"


def test_bytes_that_are_no_character_in_windows_1252_either_are_a_warning():
    data = csv_bytes(f"{B[0]};01-02-2024;;;Müller", header=HEADER, encoding="cp1252")
    data = data.replace("Müller".encode("cp1252"), b"M\xfcl\x81er\x8d")
    result, records = run(data, snapshot=True)
    assert result.accepted and result.encoding == "windows-1252"
    assert [(i.row, i.code, i.message) for i in result.issues] == [
        (None, Code.ENCODING_FALLBACK,
         FALLBACK + "2 tekens zijn ook in Windows-1252 onleesbaar en vervangen door \ufffd" + SAVE_AGAIN)]
    assert field(records, B[0], "achternaam") == "Mül\ufffder\ufffd"


def test_one_undefined_byte_is_said_in_the_singular():
    data = csv_bytes(f"{B[0]};01-02-2024;;;Jans\x81en".replace("\x81", "?"), header=HEADER)
    data = data.replace(b"Jans?en", b"Jans\x81en")
    result, _ = run(data)
    assert result.issues[0].message == (
        FALLBACK + "1 teken is ook in Windows-1252 onleesbaar en vervangen door \ufffd" + SAVE_AGAIN)


def test_utf8_and_windows_1252_in_one_file_are_a_warning():
    data = (csv_bytes(f"{B[0]};01-02-2024;;;Lefèvre", header=HEADER)
            + f"{B[1]};01-02-2024;;;Müller\r\n".encode("cp1252"))
    result, records = run(data, snapshot=True)
    assert result.accepted and result.encoding == "windows-1252"
    assert [i.message for i in result.issues] == [
        FALLBACK + "het bevat ook tekst in UTF-8 (twee soorten opslag door elkaar), dus letters als "
        "ë of é kunnen verkeerd gelezen zijn" + SAVE_AGAIN]
    assert field(records, B[0], "achternaam") == "Lefèvre"
    assert field(records, B[1], "achternaam") == "Müller"


def test_a_utf8_file_and_a_plain_ascii_file_have_no_encoding_note():
    for data in (csv_bytes(f"{B[0]};01-02-2024;;;Lefèvre", header=HEADER),
                 csv_bytes(f"{B[0]};01-02-2024;;;Jansen", header=HEADER)):
        result, _ = run(data)
        assert result.encoding == "utf-8" and result.issues == []


def test_an_ordinary_windows_1252_export_read_in_tiny_chunks_has_no_warning():
    lines = [f"{b};01-02-2024;;;{name}" for b, name in zip(B, ["Müller", "Cöl", "Désiré", "Œuvre",
                                                                "Ĳssel", "€uro", "Þór", "Ægir"],
                                                           strict=False)]
    data = csv_bytes(*lines[:4], header=HEADER, encoding="cp1252")
    result, records = run(data, snapshot=True, tiny_chunks=True)
    assert result.encoding == "windows-1252" and result.issues == []
    assert field(records, B[3], "achternaam") == "Œuvre"


# -- one decoding for every reader (vish build) ----------------------------------------------------
def snapshot_bytes(surname: str, encoding: str) -> bytes:
    record = dict.fromkeys(SNAPSHOT_FIELDS, "")
    record.update(bsn=B[0], achternaam=surname, startdatum="2024-02-01", eligible_from="2024-02-01",
                  source_row="2", origin="row")
    text = ";".join(SNAPSHOT_FIELDS) + "\r\n" + ";".join(record.values()) + "\r\n"
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig", "utf-16"])
def test_decode_to_utf8_reads_a_file_as_validation_does(encoding):
    data = snapshot_bytes("Désiré", encoding)
    stats = ReadStats()
    chunks = decode_to_utf8([data[i:i + 5] for i in range(0, len(data), 5)], stats=stats)
    (record,) = list(iter_snapshot_bytes(chunks))
    assert record[SNAPSHOT_FIELDS.index("achternaam")] == "Désiré"
    assert stats.encoding == {"cp1252": "windows-1252", "utf-16": "utf-16"}.get(encoding, encoding)
    assert stats.bytes_read == len(data)


def test_decode_to_utf8_refuses_a_workbook_and_stays_bounded():
    with pytest.raises(ExcelWorkbook):
        next(decode_to_utf8([WORKBOOKS["xlsx as Excel writes it"]]))
    with pytest.raises(NotCsv):
        next(decode_to_utf8([b"%PDF-1.7\n" + bytes(range(256)) * 4]))
    with pytest.raises(UnreadableExtract):
        list(decode_to_utf8([b"x" * (2 << 20)]))  # no line end within the line bound
    with pytest.raises(UnreadableExtract):
        list(decode_to_utf8([b"a\n" * 100], max_bytes=50))


# -- what a report shows of a wrong value ------------------------------------------------------------
DATE = "Datum niet herkend; gebruik dag-maand-jaar, bijvoorbeeld 03-04-2025"


def test_a_wrong_case_date_is_shown_and_a_birth_date_or_bsn_never():
    header = "BSN;BSN partner;Startdatum;Datum toelating;Einddatum;Geboortedatum;Dossiernummer"
    rows = [f"{B[0]};;31-02-2024;;;;D1", f"{B[1]};;01-02-2024;2024/02/30;;;D2",
            f"{B[2]};;01-02-2024;;32-01-2024;;D3", f"{B[3]};;01-02-2024;;;31-02-1971;D4",
            "12345678X;;01-02-2024;;;;D5", f"{B[4]};9876543210;01-02-2024;;;;D6"]
    result, _ = run(csv_bytes(*rows, header=header), rules=LENIENT)
    assert row_issues(result) == [
        (2, "startdatum", Code.DATE_FORMAT, DATE + ": in het bestand staat '31-02-2024'"),
        (3, "toelatingsdatum", Code.DATE_FORMAT, DATE + ": in het bestand staat '2024/02/30'"),
        (4, "einddatum", Code.DATE_FORMAT, DATE + ": in het bestand staat '32-01-2024'"),
        (5, "geboortedatum", Code.DATE_FORMAT, DATE),
        (6, "bsn", Code.BSN_FORMAT, "Geen geldig BSN: een BSN bestaat uit 9 cijfers"),
        (7, "partner_bsn", Code.BSN_FORMAT, "Geen geldig BSN: een BSN bestaat uit 9 cijfers"),
    ]


@pytest.mark.parametrize(("value", "shown"), [
    ("Jansen", None),  # a name in a shifted column: not shown
    ("01-02-2024 Jansen", None),
    ("01-02-2024\x00x", None),  # with control characters (removed): not a date, not shown
    (B[5], None),  # a BSN in the date column: nine digits are no date
    ("12345672", None),  # eight digits that are a BSN with its leading zero: not shown
    ("12345678", None),  # eight digits with no year at either end: no date attempt
    ("20251301", "20251301"),  # a date written jjjjmmdd with its month wrong: shown
    ("13012025 ", "13012025"),  # ddmmjjjj: shown
    ("13-03-2025 13.03.1985", None),  # a second date behind: it may be the birth date
    ("01-01-2025 1985", None),
    ("13-03-2025T19850313", None),
    ("13-03-2025 0612345678", None),  # a telephone number behind the date
    ("1031985", None),  # seven digits: a birth date written dmmjjjj, maybe
    ("310385", None),  # six digits: never shown
    ("1-13-2025 09:30:15", "1-13-2025 09:30:15"),
    ("06-12345678", None),  # a telephone number in a shifted column
    ("010-1234567", None),
    ("06 1234 5678", None),
    ("+31612345678", None),
    ("1" * 9, None),
    ("13-03-2025 09:30", "13-03-2025 09:30"),
    ("2025-02-30T00:00:00Z", "2025-02-30T00:00:00Z"),
    ("13-03-2025 00:00:00.0000000000000000", None),  # bounded: a longer time is not shown
    ("13-03-2025 9.30", None),  # a time is h:mm
    ("1/2/3", "1/2/3"),
    ("20240230", "20240230"),
])
def test_a_shown_date_is_date_like_masked_and_bounded(value, shown):
    data = csv_bytes(f"{B[0]};{value};;D1", header="BSN;Startdatum;Einddatum;Dossiernummer")
    result, _ = run(data, rules=LENIENT)
    (issue,) = [i for i in result.issues if i.code is Code.DATE_FORMAT]
    assert issue.field == "startdatum"
    assert issue.detail == (None if shown is None else f"in het bestand staat '{shown}'")
    contract = json.dumps(result.to_contract(), ensure_ascii=False)
    assert "Jansen" not in contract and "\x00" not in contract and B[5] not in contract
    assert "1985" not in contract and "0612345678" not in contract


@pytest.mark.parametrize("value", ["31119", "45730", "10000"])
def test_a_date_excel_stored_as_its_serial_number_is_said_so_and_not_shown(value):
    # 31119 is 14-03-1985 in Excel's count of days: it may be a birth date
    data = csv_bytes(f"{B[0]};{value};;D1", header="BSN;Startdatum;Einddatum;Dossiernummer")
    result, _ = run(data, rules=LENIENT)
    assert [i.message for i in result.issues if i.code is Code.DATE_FORMAT] == [
        "Datum niet herkend; gebruik dag-maand-jaar, bijvoorbeeld 03-04-2025: Excel heeft de "
        "datum als getal opgeslagen; maak de kolom in Excel op als datum (dd-mm-jjjj) en maak de "
        "export opnieuw"]
    assert value not in json.dumps(result.to_contract(), ensure_ascii=False)


def test_the_result_names_each_field_by_the_files_own_header():
    header = " BSN-nummer ;BSN partner;Datum aanmelding;Afsluitdatum;E-mail;Opmerking"
    result, _ = run(csv_bytes(f"{B[0]};;01-02-2024;;;x", header=header))
    assert result.columns == {"bsn": "BSN-nummer", "partner_bsn": "BSN partner",
                              "startdatum": "Datum aanmelding", "einddatum": "Afsluitdatum",
                              "contact_email": "E-mail"}


def test_a_header_name_with_control_characters_is_kept_printable():
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024;", header="\x1bBSN\x00;Startdatum\u202e;Einddatum"))
    assert result.accepted
    assert result.columns == {"bsn": "BSN", "startdatum": "Startdatum", "einddatum": "Einddatum"}


@pytest.mark.parametrize(("header", "used", "ignored"), [
    ("BSN;Datum aanmelding;Startdatum;Einddatum", "Startdatum",
     "kolom 'Datum aanmelding' (startdatum); gebruikt is kolom 'Startdatum'"),
    ("BSN;Startdatum traject;Aanmelddatum;Einddatum", "Startdatum traject",
     "kolom 'Aanmelddatum' (startdatum); gebruikt is kolom 'Startdatum traject'"),
    ("BSN;Startdatum;Afsluitdatum;Datum einde traject", "Datum einde traject",
     "kolom 'Afsluitdatum' (einddatum); gebruikt is kolom 'Datum einde traject'"),
    ("BSN;Startdatum;Datum afsluiting;Einddatum", "Einddatum",
     "kolom 'Datum afsluiting' (einddatum); gebruikt is kolom 'Einddatum'"),
    ("BSN;Startdatum;Einddatum;Einde traject", "Einddatum",
     "kolom 'Einde traject' (einddatum); gebruikt is kolom 'Einddatum'"),
])
def test_a_fallback_name_beside_the_fields_own_column_is_not_used_and_not_a_duplicate(
        header, used, ignored):
    data = csv_bytes(f"{B[0]};01-02-2024;03-02-2024;", header=header)
    result, _ = run(data)
    assert result.accepted and used in result.columns.values()
    assert [(i.code, i.message) for i in result.issues] == [
        (Code.COLUMN_NOT_USED, "Kolom herkend, maar niet gebruikt omdat een andere kolom met "
                               f"dezelfde betekenis voorgaat: {ignored}"),
        (Code.TOELATINGSDATUM_COLUMN_MISSING,
         "Er is geen kolom met de datum van de toelatingsbeschikking; de startdatum wordt gebruikt "
         "als datum van aanmelding")]


def test_two_fallback_names_for_one_field_are_a_duplicate_and_an_own_alias_is_never_a_fallback():
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024;03-02-2024", header="BSN;Datum aanmelding;Aanmelddatum"))
    assert result.reason is Code.DUPLICATE_COLUMN
    rules = Rules(column_aliases={"Datum aanmelding": "startdatum"})
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024;03-02-2024;",
                              header="BSN;Datum aanmelding;Startdatum;Einddatum"), rules=rules)
    assert result.reason is Code.DUPLICATE_COLUMN
    assert result.issues[0].message == ("Twee kolommen hebben dezelfde betekenis: 'Datum aanmelding' "
                                        "en 'Startdatum'")
