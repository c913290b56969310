"""Exports as they really come, after a hostile review (issue 14, point 3): a BSN column that
is not recognised, a fallback name beside the field's own column, two readers in one thread,
code pages other than Windows-1252, a dossiernummer Excel rounded, a character split across
chunks and a month-first date with a two-digit year. Fictitious data only."""

from __future__ import annotations

import io
import json

import pytest

from shared.domain.columns import map_headers
from shared.domain.issues import Code
from shared.domain.reader import ExtractReader, ReadStats, decode_to_utf8
from shared.domain.snapshot import SNAPSHOT_FIELDS, iter_snapshot_bytes
from shared.domain.validation import Rules, validate_extract
from tests.helpers import TODAY, bsns, csv_bytes, run

B = bsns(8, seed=31)
LENIENT = Rules(invalid_threshold=1.0, invalid_min_rows=1)
NOT_RECOGNISED = ("Een kolom lijkt BSN's te bevatten, maar is niet herkend; het bestand is niet "
                  "verwerkt, zodat niemand ongemerkt uit VISH wegvalt: ")
ADVICE = ("; noem hem 'BSN' (cliënt) of 'BSN partner', haal hem uit de export of laat de "
          "beheerder column_aliases instellen")


# -- 1: a BSN column that is not recognised is never passed over ---------------------------------
@pytest.mark.parametrize("header", [
    "BSN-nummer partner", "BSN nummer partner", "Partner BSN-nummer",
    "Burgerservicenummer (BSN) partner", "Partner burgerservicenummer (BSN)",
    "BSN-nummer medeaanvrager", "Medeaanvrager BSN", "Burgerservicenummer medeaanvrager",
])
def test_every_partner_form_of_the_client_names_is_the_partner(header):
    assert map_headers(["BSN-nummer", header, "Startdatum"]).index == {
        "bsn": 0, "partner_bsn": 1, "startdatum": 2}


def test_a_partner_under_a_new_name_is_registered():
    data = csv_bytes(f"{B[0]};{B[1]};01-01-2025", f"{B[2]};;01-01-2025",
                     header="BSN-nummer;BSN-nummer partner;Startdatum")
    result, records = run(data, snapshot=True)
    assert result.accepted and result.people == 3
    assert sorted(r[0] for r in records) == sorted(B[:3])


@pytest.mark.parametrize("name", ["BSN kind", "Partner-BSN (oud)", "bsn_echtgenoot",
                                  "Burgerservicenummer huisgenoot", "Sofinummer partner"])
def test_an_unrecognised_column_named_like_a_bsn_rejects_the_file(name):
    data = csv_bytes(f"{B[0]};01-01-2025;{B[1]}", header=f"BSN;Startdatum;{name}")
    result, _ = run(data)
    assert (result.decision, result.reason) == ("rejected", Code.BSN_COLUMN_NOT_RECOGNISED)
    assert [i.message for i in result.issues] == [NOT_RECOGNISED + f"kolom '{name}'" + ADVICE]
    assert B[1] not in json.dumps(result.to_contract())


def test_an_organisations_own_alias_makes_such_a_column_known():
    rules = Rules(column_aliases={"BSN kind": "partner_bsn"})
    result, _ = run(csv_bytes(f"{B[0]};01-01-2025;{B[1]}", header="BSN;Startdatum;BSN kind"),
                    rules=rules)
    assert result.accepted and result.people == 2


def test_a_bsn_like_header_that_looks_like_data_is_not_echoed():
    header = f"BSN;Startdatum;BSN {B[3]}"
    result, _ = run(csv_bytes(f"{B[0]};01-01-2025;x", header=header))
    assert [i.message for i in result.issues] == [
        NOT_RECOGNISED + "een kolom met een naam die op gegevens lijkt" + ADVICE]


# -- 2: 'Einde traject' is a fallback name, 'Datum einde traject' a full one --------------------
NOT_USED = ("Kolom herkend, maar niet gebruikt omdat een andere kolom met dezelfde betekenis "
            "voorgaat: ")


def test_einde_traject_beside_an_einddatum_is_not_used_and_its_reasons_are_no_errors():
    data = csv_bytes(f"{B[0]};01-01-2025;;", f"{B[1]};01-01-2024;01-06-2025;Schuldenvrij",
                     header="BSN;Startdatum;Einddatum;Einde traject")
    result, records = run(data, snapshot=True)
    assert result.accepted and result.valid == 2
    assert [(i.code, i.field, i.message) for i in result.issues if i.code is not
            Code.TOELATINGSDATUM_COLUMN_MISSING] == [
        (Code.COLUMN_NOT_USED, "einddatum",
         NOT_USED + "kolom 'Einde traject' (einddatum); gebruikt is kolom 'Einddatum'")]
    assert {r[0]: r[11] for r in records} == {B[0]: "", B[1]: "2025-06-01"}


def test_einde_traject_alone_is_the_einddatum():
    result, records = run(csv_bytes(f"{B[0]};01-01-2024;01-06-2025",
                                    header="BSN;Startdatum;Einde traject"), snapshot=True)
    assert result.accepted and result.columns["einddatum"] == "Einde traject"
    assert records[0][11] == "2025-06-01"


def test_datum_einde_traject_beside_an_einddatum_is_a_duplicate():
    result, _ = run(csv_bytes(f"{B[0]};01-01-2024;;",
                              header="BSN;Startdatum;Einddatum;Datum einde traject"))
    assert [i.message for i in result.issues] == [
        "Twee kolommen hebben dezelfde betekenis: 'Einddatum' en 'Datum einde traject'"]


# -- 3: two readers in one thread keep their own encoding --------------------------------------
SNAPSHOT_HEADER = ";".join(SNAPSHOT_FIELDS)


def _snapshot(name: str, encoding: str) -> bytes:
    record = dict.fromkeys(SNAPSHOT_FIELDS, "")
    record.update(bsn=B[4], achternaam=name, startdatum="2024-01-01", eligible_from="2024-01-01",
                  source_row="2", origin="row")
    return (SNAPSHOT_HEADER + "\r\n" + ";".join(record.values()) + "\r\n").encode(encoding)


@pytest.mark.parametrize(("extract", "snapshot"), [("cp1252", "utf-8"), ("utf-8", "cp1252")])
def test_a_snapshot_read_during_the_decision_does_not_change_the_extracts_encoding(
        extract, snapshot):
    data = csv_bytes(f"{B[0]};Cliënt;01-01-2025", f"{B[4]};Jansen;01-01-2025",
                     header="BSN;Achternaam;Startdatum", encoding=extract)
    snap_stats = ReadStats()
    current = iter_snapshot_bytes(decode_to_utf8([_snapshot("Müller", snapshot)],
                                                 stats=snap_stats))
    result = validate_extract([data], today=TODAY, current_snapshot=current,
                              snapshot_out=io.StringIO())
    assert result.accepted
    assert result.encoding == {"cp1252": "windows-1252", "utf-8": "utf-8"}[extract]
    assert snap_stats.encoding == {"cp1252": "windows-1252", "utf-8": "utf-8"}[snapshot]
    assert Code.ENCODING_FALLBACK not in [i.code for i in result.issues]


def test_two_readers_read_in_turn_count_apart():
    first = ExtractReader([b"Naam\r\nCli\xebnt\r\n"])  # Windows-1252
    second = ExtractReader([b"Naam\r\nM\xc3\xbcller \x91x\r\n"])  # UTF-8, then one byte not
    first.open()
    second.open()
    assert list(first.lines) == ["Cliënt\r\n"]
    assert list(second.lines) == ["Müller ‘x\r\n"]
    third = ExtractReader([b"Naam\r\nJansen\r\n"])
    third.open()
    list(third.lines)
    assert (first.finish().encoding, first.stats.utf8_seen) == ("windows-1252", False)
    assert (second.finish().encoding, second.stats.utf8_seen) == ("windows-1252", True)
    assert third.finish().encoding == "utf-8"


# -- 4: a code page other than Windows-1252 is doubted -----------------------------------------
HEADER4 = "BSN;Achternaam;Startdatum"
OTHER_PAGE = ("Het bestand is niet in UTF-8 opgeslagen; gelezen als Windows-1252: {} midden in "
              "een woord (zoals ‘ of Ž in een naam), dus het is waarschijnlijk in een andere "
              "tekenset opgeslagen (CSV (Macintosh) of MS-DOS) en letters als ë of é zijn "
              "verkeerd gelezen; ")
SAVE = "sla het bestand op als CSV UTF-8 en lever het opnieuw aan"
MAC_LINES = ("de regels eindigen zoals op een oude Mac, dus het is mogelijk opgeslagen als CSV "
             "(Macintosh) en letters als ë of é kunnen verkeerd gelezen zijn; ")


def _fallback(data: bytes) -> list[str]:
    result, _ = run(data)
    assert result.accepted
    return [i.message for i in result.issues if i.code is Code.ENCODING_FALLBACK]


def test_mac_roman_with_mac_line_endings_is_doubted():
    data = csv_bytes(f"{B[0]};Citroën;01-01-2025", f"{B[1]};Josée;01-01-2025",
                     header=HEADER4, encoding="mac_roman", newline="\r")
    assert _fallback(data) == [OTHER_PAGE.format("2 leestekens staan") + MAC_LINES + SAVE]


def test_mac_roman_with_windows_line_endings_is_doubted():
    data = csv_bytes(f"{B[0]};Citroën;01-01-2025", header=HEADER4, encoding="mac_roman")
    assert _fallback(data) == [OTHER_PAGE.format("1 leesteken staat") + SAVE]


def test_mac_line_endings_alone_are_doubted_when_the_fallback_was_used():
    data = csv_bytes(f"{B[0]};Jansen é;01-01-2025", header=HEADER4, encoding="mac_roman",
                     newline="\r")  # é is 0x8E: between a space and the delimiter
    assert _fallback(data) == [
        "Het bestand is niet in UTF-8 opgeslagen; gelezen als Windows-1252: " + MAC_LINES + SAVE]


def test_ms_dos_text_is_doubted():
    data = csv_bytes(f"{B[0]};Citroën;01-01-2025", f"{B[1]};Müller;01-01-2025",
                     header=HEADER4, encoding="cp850")
    assert _fallback(data) == [
        OTHER_PAGE.format("1 leesteken staat") + "1 teken is ook in Windows-1252 onleesbaar en "
        "vervangen door \ufffd; " + SAVE]


@pytest.mark.parametrize("name", ["Citroën", "José", "Müller", "€ 12,50", "12€50", "Zoë Brontë",
                                  "d’Ancona", "’t Hart", "Šimon"])
def test_an_ordinary_windows_1252_export_is_not_doubted(name):
    data = csv_bytes(f"{B[0]};{name};01-01-2025", header=HEADER4, encoding="cp1252")
    assert _fallback(data) == []


def test_utf8_with_mac_line_endings_is_not_doubted():
    data = csv_bytes(f"{B[0]};Citroën;01-01-2025", header=HEADER4, newline="\r")
    result, _ = run(data)
    assert result.accepted and result.encoding == "utf-8"
    assert Code.ENCODING_FALLBACK not in [i.code for i in result.issues]


# -- 5: a dossiernummer in scientific notation -------------------------------------------------
SCIENTIFIC = ("Dossiernummer staat in wetenschappelijke notatie (zoals 1,23457E+08): Excel heeft "
              "het als getal opgeslagen en cijfers weggelaten, dus het wijst geen dossier aan. "
              "Zet in Excel de kolom met het dossiernummer op Tekst en maak de export opnieuw")


@pytest.mark.parametrize("fast", [True, False])
def test_a_dossiernummer_in_scientific_notation_is_a_warning(fast, monkeypatch):
    import shared.domain.validation.fast_path as fast_path
    monkeypatch.setattr(fast_path, "FAST_PATH", fast)
    data = csv_bytes(f"{B[0]};01-01-2025;;;1,23457E+08", f"{B[1]};01-01-2025;;;1.23457e+08",
                     f"{B[2]};01-01-2025;;;D-2E5")
    result, _ = run(data)
    assert result.accepted and result.valid == 3
    assert [(i.row, i.field, i.message) for i in result.issues
            if i.code is Code.DOSSIER_SCIENTIFIC_NOTATION] == [
        (2, "dossiernummer", SCIENTIFIC), (3, "dossiernummer", SCIENTIFIC)]


def _current(*people: tuple[str, str]) -> list[list[str]]:
    records = []
    for bsn, dossier in people:
        record = dict.fromkeys(SNAPSHOT_FIELDS, "")
        record.update(bsn=bsn, startdatum="2024-01-01", eligible_from="2024-01-01",
                      dossiernummer=dossier, source_row="2", origin="row")
        records.append(list(record.values()))
    return records


def test_a_rounded_dossiernummer_matches_no_leaver_to_an_invalid_row():
    current = _current((B[0], "1,23457E+08"), (B[1], "D7"), (B[2], "D8"))
    data = csv_bytes(f"{B[2]};01-01-2025;01-01-2025;;D8", "123;01-01-2025;;;1,23457E+08",
                     "456;01-01-2025;;;D7")
    result, _ = run(data, current=current, rules=Rules(invalid_threshold=1.0, invalid_min_rows=1,
                                                       mass_drop_threshold=1.0))
    leavers = {leaver.dossiernummer: leaver.invalid_row for leaver in result.leaving}
    assert leavers == {"1,23457E+08": None, "D7": 4}


# -- 8: a UTF-8 character split across chunks is seen ------------------------------------------
def test_a_utf8_character_split_across_chunks_makes_a_mix():
    data = csv_bytes(f"{B[0]};Cliënt;01-01-2025", f"{B[1]};Muller;01-01-2025",
                     header=HEADER4).replace(b"Muller", b"M\xfcller")  # ü in Windows-1252
    at = data.index("ë".encode()) + 1  # between 0xC3 and 0xAB
    result = validate_extract([data[:at], data[at:]], today=TODAY)
    assert result.encoding == "windows-1252"
    assert [i.detail for i in result.issues if i.code is Code.ENCODING_FALLBACK] == [
        "het bevat ook tekst in UTF-8 (twee soorten opslag door elkaar), dus letters als ë of é "
        "kunnen verkeerd gelezen zijn; " + SAVE]


# -- 9: a month-first date with a two-digit year is a plain unrecognised date -------------------
@pytest.mark.parametrize(("value", "code"), [("1/13/25", Code.DATE_FORMAT),
                                             ("12/31/24", Code.DATE_FORMAT),
                                             ("13/1/25", Code.DATE_YEAR_TWO_DIGITS),
                                             ("31-12-24", Code.DATE_YEAR_TWO_DIGITS)])
def test_a_two_digit_year_is_named_only_after_a_day_and_a_month(value, code):
    result, _ = run(csv_bytes(f"{B[0]};{value};;;D1"), rules=LENIENT)
    assert [i.code for i in result.issues if i.row] == [code]
