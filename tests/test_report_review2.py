"""The counsellor's reports after the second hostile review (issue 14, point 2): an accepted
extract names who is afgemeld (and the invalid row with their dossiernummer), a small file of
only invalid rows is rejected, the held besluit names the file by its SHA-256 and says what the
intake would do when read on a laptop, every missing column is named, no birth date is shown
from a case-date cell, and the Dutch reads right (agreement, thousands, limits). Every text is
written out here as the counsellor reads it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from shared.domain.issues import Code, Issue
from shared.domain.report import (
    besluit_lines,
    issue_lines,
    report_csv,
    report_json,
    screen_lines,
)
from shared.domain.validation import Rules, ValidationResult
from shared.domain.validation import decision as decision_module
from shared.domain.validation.decision import held_detail, invalid_detail, number
from tests.helpers import bsns, csv_bytes, invalid_checksum, run

B = bsns(60, seed=41)
RECEIVED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def ok(bsn: str, dossier: str) -> str:
    return f"{bsn};01-01-2025;01-01-2025;;{dossier}"


def stored(bsn: str, dossier: str) -> list[str]:
    """A record of the snapshot in force, with a name and a birth date as it holds them."""
    return [bsn, "", "1970-05-17", "Jansen", "", "", "", "", "", "2025-01-01", "2025-01-01", "",
            dossier, "", "", "", "2025-01-01", "2", "row"]


def rows_of(report: bytes) -> list[list[str]]:
    text = report.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def typo(index: int = 4, of: int = 20):
    """The reviewer's case: the snapshot holds ``of`` people with dossiers D0..; the new file
    has the same rows but the BSN of row ``index`` has a one-digit typo (line index + 2)."""
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:of])]
    rows = [ok(invalid_checksum(b) if i == index else b, f"D{i}") for i, b in enumerate(B[:of])]
    return run(csv_bytes(*rows), current=current)[0]


def no_personal_data(text: str) -> None:
    """No full BSN of B, no birth date or name of the stored records."""
    for bsn in B:
        assert bsn not in text and invalid_checksum(bsn) not in text
    assert "1970" not in text and "17-05" not in text and "Jansen" not in text


# -- B1: an accepted extract names who is afgemeld ----------------------------------------------
def test_a_bsn_typo_still_afmeldt_the_client_but_the_report_says_who_and_which_row():
    result = typo()
    assert (result.decision, result.removed, result.carried_over) == ("accepted", 1, 0)
    masked = "*****" + B[4][-4:]
    assert besluit_lines(result) == [
        "Bestand geaccepteerd: 19 van 20 regels geldig.",
        "Niet verwerkt: 1 ongeldige regel (regel 6).",
        "Wie daarop staat, is nu niet aangemeld bij VISH.",
        "Afgemeld bij VISH: 1 persoon uit de vorige aanlevering (niet meer in het bestand of "
        "niet meer toegelaten; staat hieronder).",
        "Het dossiernummer van deze persoon staat op regel 6, en die regel is ongeldig: verbeter "
        "die regel vandaag, dan wordt deze cliënt bij de volgende aanlevering weer aangemeld.",
        "Verbeter de ongeldige regel in het bronsysteem (zie de fouten hieronder); de volgende "
        "aanlevering neemt die mee.",
    ]
    rows = rows_of(report_csv(result, organisation="vb"))
    assert rows[2] == [
        "6", "", "afgemeld", "",
        f"Afgemeld bij VISH, waarschijnlijk omdat regel 6 ongeldig is (die heeft hetzelfde "
        f"dossiernummer; BSN {masked}). Verbeter die regel vandaag, dan wordt deze cliënt bij de "
        "volgende aanlevering weer aangemeld", "D4"]
    assert rows[3][:3] == ["6", "BSN", "bsn_checksum"]
    assert result.to_contract()["leaving"] == [
        {"bsn": masked, "dossiernummer": "D4", "in_file": False, "invalid_row": 6}]
    assert result.to_contract()["leaving_not_listed"] == 0
    document = report_json(result, organisation="vb", extract="x.csv", received_at=RECEIVED)
    for text in (report_csv(result).decode("utf-8"), document.decode("utf-8"),
                 "\n".join(screen_lines(result))):
        no_personal_data(text)


def test_the_screen_shows_the_afgemelde_client_and_the_row_to_fix():
    result = typo()
    masked = "*****" + B[4][-4:]
    assert issue_lines(result) == [
        f"  dossier D4: afgemeld bij VISH, waarschijnlijk omdat regel 6 ongeldig is (die heeft "
        f"hetzelfde dossiernummer; BSN {masked}). Verbeter die regel vandaag, dan wordt deze "
        "cliënt bij de volgende aanlevering weer aangemeld",
        "  regel 6 [BSN] (dossier D4): geen geldig BSN: het nummer voldoet niet aan de 11-proef "
        "[bsn_checksum]",
    ]


def test_a_client_gone_from_the_file_is_afgemeld_by_name_of_dossier_without_a_row():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:10])]
    result, _ = run(csv_bytes(*[ok(b, f"D{i}") for i, b in enumerate(B[:9])]), current=current)
    assert result.accepted and result.removed == 1
    rows = rows_of(report_csv(result))
    assert rows[2] == ["", "", "afgemeld", "",
                       f"Afgemeld bij VISH: staat niet meer in het bestand (BSN *****{B[9][-4:]})",
                       "D9"]
    assert "Het dossiernummer" not in rows[1][4]


def test_several_typos_are_named_with_their_rows_first():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:30])]
    rows = [ok(invalid_checksum(b) if i in (3, 7) else b, f"D{i}")
            for i, b in enumerate(B[:28])]  # D28 and D29 are gone
    result, _ = run(csv_bytes(*rows), current=current)
    assert result.accepted and result.removed == 4
    assert besluit_lines(result)[3:5] == [
        "Afgemeld bij VISH: 4 personen uit de vorige aanlevering (niet meer in het bestand of "
        "niet meer toegelaten; staan hieronder).",
        "Van 2 van hen staat het dossiernummer op een ongeldige regel (regels 5 en 9): verbeter "
        "die regels vandaag, dan worden deze cliënten bij de volgende aanlevering weer "
        "aangemeld.",
    ]
    listed = rows_of(report_csv(result))[2:6]
    assert [(r[0], r[2], r[5]) for r in listed] == [
        ("5", "afgemeld", "D3"), ("9", "afgemeld", "D7"), ("", "afgemeld", "D28"),
        ("", "afgemeld", "D29")]


def test_a_row_with_a_quote_is_matched_by_its_dossiernummer_too():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:20])]
    rows = [ok(b, f"D{i}") for i, b in enumerate(B[:20]) if i != 4]
    rows.insert(4, f'{invalid_checksum(B[4])};"01-01-2025;01-01-2025;;D4')
    result, _ = run(csv_bytes(*rows), current=current)
    assert result.accepted and result.removed == 1
    assert result.leaving[0].invalid_row == 6


def test_a_held_extract_names_the_invalid_row_of_who_would_leave():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:10])]
    rows = [ok(invalid_checksum(b) if i == 2 else b, f"D{i}") for i, b in enumerate(B[:7])]
    result, _ = run(csv_bytes(*rows), current=current, rules=Rules(invalid_threshold=0.5))
    assert result.reason is Code.MASS_DROP_HELD
    rows = rows_of(report_csv(result))
    assert [(r[0], r[2], r[4], r[5]) for r in rows[2:6]] == [
        ("4", "verdwijnt", "Zou uit VISH verdwijnen, waarschijnlijk omdat regel 4 ongeldig is "
                           f"(die heeft hetzelfde dossiernummer; BSN *****{B[2][-4:]})", "D2"),
        ("", "verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN "
                          f"*****{B[7][-4:]})", "D7"),
        ("", "verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN "
                          f"*****{B[8][-4:]})", "D8"),
        ("", "verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN "
                          f"*****{B[9][-4:]})", "D9"),
    ]


def test_the_list_of_the_afgemelden_is_bounded_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(decision_module, "MAX_LEAVERS_LISTED", 2)
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:20])]
    rows = [ok(invalid_checksum(b) if i == 19 else b, f"D{i}") for i, b in enumerate(B[:16])]
    rows.append(ok(invalid_checksum(B[19]), "D19"))
    result, _ = run(csv_bytes(*rows), current=current, rules=Rules(invalid_threshold=0.5))
    assert result.accepted and result.removed == 4
    # D16 and D17 fill the list; D19, whose row is invalid, is listed beyond it; D18 is counted
    assert [(leaver.dossiernummer, leaver.invalid_row) for leaver in result.leaving] == [
        ("D16", None), ("D17", None), ("D19", 18)]
    assert result.leaving_more == 1
    rows = rows_of(report_csv(result))
    assert rows[-2][2:5] == ["afgemeld", "", "En nog 1 persoon afgemeld (niet in dit rapport "
                                             "opgesomd)"]
    assert "de eerste 3 staan hieronder" in rows[1][4]


def test_the_invalid_rows_dossiernummers_kept_are_bounded(monkeypatch):
    from shared.domain.validation import people

    monkeypatch.setattr(people, "MAX_INVALID_LINES", 3)
    state = people.PeopleSeen()
    for n, dossier in enumerate(["E0", "E1", "E0", "E2", "E3", ""]):
        state.add_invalid_dossier(dossier, n + 2)
    # at most 3 dossiernummers; E0 is on two invalid rows, so it points at neither (0)
    assert state.invalid_dossiers == {"E0": 0, "E1": 3, "E2": 5}


# -- S2: a small file with only invalid rows ---------------------------------------------------
@pytest.mark.parametrize(("rows", "accepted", "detail"), [
    (["x1;01-01-2025;;;E1"], False, "1 van 1 regel ongeldig: er is geen enkele geldige regel"),
    (["x1;01-01-2025;;;E1", "x2;01-01-2025;;;E2"], False,
     "2 van 2 regels ongeldig: er is geen enkele geldige regel"),
    ([f"{B[0]};01-01-2025;01-01-2025;;D0", "x2;01-01-2025;;;E2"], True, None),
    ([f"{B[0]};01-01-2025;01-01-2025;;D0", "x2;01-01-2025;;;E2", "x3;01-01-2025;;;E3"], True,
     None),
    (["x1;01-01-2025;;;E1", "x2;01-01-2025;;;E2", "x3;01-01-2025;;;E3"], False,
     "3 van 3 regels ongeldig, toegestaan is hoogstens 5% (in een klein bestand 2 regels)"),
])
def test_a_file_whose_rows_are_all_invalid_is_rejected_however_small(rows, accepted, detail):
    result, _ = run(csv_bytes(*rows))  # no snapshot in force: an empty one was accepted before
    assert result.accepted is accepted
    if detail is not None:
        assert result.reason is Code.TOO_MANY_INVALID
        (deciding,) = [i for i in result.issues if i.code is Code.TOO_MANY_INVALID]
        assert deciding.detail == detail


def test_all_invalid_in_a_small_file_keeps_the_snapshot_in_force():
    current = [stored(B[0], "D0"), stored(B[1], "D1")]
    rows = [ok(invalid_checksum(B[0]), "D0"), ok(invalid_checksum(B[1]), "D1")]
    result, records = run(csv_bytes(*rows), current=current, snapshot=True)
    assert result.reason is Code.TOO_MANY_INVALID and records == []
    assert besluit_lines(result) == [
        "Bestand afgewezen: 2 van 2 regels ongeldig: er is geen enkele geldige regel.",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Verbeter minstens 1 van de 2 ongeldige regels (zie de fouten hieronder) en lever het "
        "hele bestand opnieuw aan.",
    ]


def test_the_minimum_of_invalid_rows_is_never_more_than_the_file_has():
    rules = Rules()  # 5 %, at least 3 rows
    assert [rules.too_many_invalid(k, 1) for k in (0, 1)] == [False, True]
    assert [rules.too_many_invalid(k, 2) for k in (0, 1, 2)] == [False, False, True]
    assert [rules.too_many_invalid(k, 3) for k in (0, 1, 2, 3)] == [False, False, False, True]
    assert [rules.invalid_allowed(t) for t in (1, 2, 3, 15)] == [0, 1, 2, 2]
    assert not Rules(invalid_threshold=1.0).too_many_invalid(2, 2)  # 100 %: never rejects
    assert Rules(invalid_min_rows=1).too_many_invalid(1, 2)


# -- S5: the held besluit at the intake and on a laptop ----------------------------------------
def held_file():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:10])]
    return run(csv_bytes(*[ok(b, f"D{i}") for i, b in enumerate(B[:6])]), current=current)[0]


def test_the_intake_report_asks_for_the_release_with_the_files_sha256_prefix():
    result = held_file()
    prefix = result.sha256[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", prefix)
    rows = rows_of(report_csv(result, organisation="vb"))
    assert rows[1][4].endswith(
        "Moeten ze echt uit VISH, vraag dan de beheerder dit bestand vrij te geven (beheeractie "
        "met de beheersleutel: POST /api/extracts/vb/release met een reden en met de eerste 12 "
        f"tekens van de SHA-256 ({prefix}) in het veld sha256).")
    document = json.loads(report_json(result, organisation="vb", extract="x.csv",
                                      received_at=RECEIVED))
    assert f"({prefix}) in het veld sha256)." in document["besluit"]


def test_the_report_of_vish_validate_says_what_the_intake_would_do():
    result = held_file()
    rows = rows_of(report_csv(result, organisation="vb", context="validate"))
    assert rows[1][4].startswith("Bij aanlevering wordt dit bestand tegengehouden: 4 van 10 "
                                 "personen zouden verdwijnen, grens is 30%. Dit is alleen een "
                                 "controle: er is niets opgeslagen en er verandert niets in "
                                 "VISH. ")
    assert "POST" not in rows[1][4]
    screen = screen_lines(result, organisation="vb")  # vish validate: the check by default
    assert screen[0].startswith("Besluit: bij aanlevering wordt dit bestand tegengehouden: ")
    assert screen[3] == ("  Moeten ze echt uit VISH, lever het bestand dan aan en vraag daarna "
                         f"de beheerder het vrij te geven (het bestand met SHA-256 "
                         f"{result.sha256[:12]}…).")


# -- S8: every missing column is named ---------------------------------------------------------
def test_a_header_without_bsn_and_startdatum_names_both():
    result, _ = run(b"Naam;Datum\r\nJansen;01-02-2024\r\n")
    assert result.reason is Code.MISSING_COLUMN
    assert besluit_lines(result) == [
        "Bestand afgewezen: de verplichte kolommen voor het BSN en voor de startdatum ontbreken "
        "(hieronder staat naar welke kolomnamen is gezocht).",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Los dit op en lever het bestand opnieuw aan."]
    rows = rows_of(report_csv(result))
    assert [(r[1], r[2]) for r in rows[2:]] == [("BSN", "missing_column"),
                                               ("Startdatum", "missing_column")]


def test_one_missing_column_keeps_its_own_sentence():
    result, _ = run(b"BSN;Naam\r\n123;Jansen\r\n")
    assert besluit_lines(result)[0].startswith(
        "Bestand afgewezen: een verplichte kolom ontbreekt: geen kolom voor de startdatum "
        "gevonden (gezocht naar 'Startdatum', ")


def test_two_duplicate_columns_are_counted_in_the_besluit():
    header = "BSN;Burgerservicenummer;Startdatum;Begindatum"
    result, _ = run(csv_bytes(f"{B[0]};{B[0]};01-01-2025;01-01-2025", header=header))
    assert besluit_lines(result)[0] == ("Bestand afgewezen: twee kolommen hebben dezelfde "
                                        "betekenis (2 keer, zie hieronder).")


# -- S9: no birth date from a case-date cell ---------------------------------------------------
DATE = "Datum niet herkend; gebruik dag-maand-jaar, bijvoorbeeld 03-04-2025"


@pytest.mark.parametrize(("value", "shown"), [
    ("31-02-2024", "31-02-2024"),  # a recent wrong date: shown, so it can be found
    ("2024/02/30", "2024/02/30"),
    ("1-1-24", "1-1-24"),  # two-digit year (date_year_two_digits), but 2024 is recent
    ("1-1-05", None),  # 2005: could be a birth year
    ("31-02-1965", None),  # a year 16 or more years ago: could be a birth date
    ("31-02-2010", None),
    ("31-02-2011", "31-02-2011"),
    ("1965-02-31", None),
    ("31021965", None),
    ("19650231", None),
    ("310265", None),
    ("31-02-65", None),
    ("31.02.1965 00:00", None),
])
def test_a_case_date_that_could_be_a_birth_date_is_not_shown(value, shown):
    result, _ = run(csv_bytes(f"{B[0]};{value};;;D1"), rules=Rules(invalid_threshold=1.0))
    (issue,) = [i for i in result.issues if i.field == "startdatum"]
    if shown is None:
        assert issue.detail is None or "in het bestand staat" not in issue.detail
    else:
        assert issue.detail == f"in het bestand staat '{shown}'"


def test_swapped_birth_and_end_columns_print_no_birth_date():
    header = "BSN;Startdatum;Einddatum;Geboortedatum;Dossiernummer"
    # The export swapped them: the birth date sits in the einddatum column, the end date in
    # the geboortedatum column.
    rows = [f"{B[0]};01-02-2024;06-06-1965;01-03-2025;D1",
            f"{B[1]};30-02-2025;07-07-1971;01-03-2025;D2"]
    result, _ = run(csv_bytes(*rows, header=header), rules=Rules(invalid_threshold=1.0))
    text = json.dumps(result.to_contract(), ensure_ascii=False) + report_csv(result).decode()
    assert "1965" not in text and "1971" not in text
    assert "30-02-2025" not in text  # the row looks swapped: none of its dates is shown
    assert [(i.row, i.field, i.code, i.detail) for i in result.issues
            if i.row is not None] == [(2, "einddatum", Code.END_BEFORE_START, None),
                                      (3, "startdatum", Code.DATE_FORMAT, None)]


def test_a_row_with_an_adult_birth_date_still_shows_its_wrong_case_date():
    header = "BSN;Geboortedatum;Startdatum;Dossiernummer"
    result, _ = run(csv_bytes(f"{B[0]};06-06-1965;30-02-2025;D1", header=header),
                    rules=Rules(invalid_threshold=1.0))
    (issue,) = [i for i in result.issues if i.row is not None]
    assert issue.message == DATE + ": in het bestand staat '30-02-2025'"


# -- the Dutch of the texts (NITs) -------------------------------------------------------------
def test_the_limit_reads_as_a_most_and_the_small_file_as_its_own_case():
    rules = Rules()
    assert invalid_detail(3, 15, rules) == ("3 van 15 regels ongeldig, toegestaan is hoogstens "
                                            "5% (in een klein bestand 2 regels)")
    assert invalid_detail(2, 2, rules) == "2 van 2 regels ongeldig: er is geen enkele geldige regel"
    assert invalid_detail(2, 10, Rules(invalid_min_rows=2)) == (
        "2 van 10 regels ongeldig, toegestaan is hoogstens 5% (in een klein bestand 1 regel)")
    assert invalid_detail(2, 20, Rules(invalid_min_rows=2)) == (
        "2 van 20 regels ongeldig, toegestaan is hoogstens 5%")  # 5 % of 20 allows 1 as well
    assert invalid_detail(40_000, 100_000, rules) == (
        "40.000 van 100.000 regels ongeldig, toegestaan is hoogstens 5%")


def test_counts_agree_with_one_and_use_a_thousands_point():
    assert [number(n) for n in (0, 999, 1000, 100_000, 1_234_567)] == [
        "0", "999", "1.000", "100.000", "1.234.567"]
    result = ValidationResult(removed=1, current_people=1, rules=Rules())
    assert held_detail(result, Rules()) == "1 van 1 persoon zou verdwijnen, grens is 30%"
    result = ValidationResult(removed=100_000, current_people=100_000, removed_ineligible=1_000)
    assert held_detail(result, Rules()) == (
        "100.000 van 100.000 personen zouden verdwijnen (waarvan 1.000 niet meer toegelaten: "
        "einddatum verstreken of toelating leeg of in de toekomst), grens is 30%")
    accepted = ValidationResult(decision="accepted", total=1, valid=1)
    assert besluit_lines(accepted)[0] == "Bestand geaccepteerd: 1 van 1 regel geldig."
    big = ValidationResult(decision="accepted", total=120_000, valid=120_000)
    assert besluit_lines(big)[0] == "Bestand geaccepteerd: 120.000 van 120.000 regels geldig."


def test_many_leavers_are_counted_with_a_thousands_point():
    result = ValidationResult(reason=Code.MASS_DROP_HELD, rules=Rules(), removed=100_000,
                              current_people=100_000, leaving_more=99_000)
    rows = rows_of(report_csv(result))
    assert rows[-1][4] == ("En nog 99.000 personen die zouden verdwijnen (niet in dit rapport "
                           "opgesomd)")


def test_a_held_screen_shows_a_few_leavers_and_keeps_the_errors_visible():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:40])]
    rows = [ok(b, f"D{i}") for i, b in enumerate(B[:10])]
    rows += [f"x{i};01-01-2025;;;E{i}" for i in range(2)]
    result, _ = run(csv_bytes(*rows), current=current, rules=Rules(invalid_threshold=0.5))
    assert result.reason is Code.MASS_DROP_HELD and result.removed == 30
    lines = issue_lines(result, 5)
    assert lines == [
        *(f"  dossier D{i}: zou uit VISH verdwijnen: staat niet meer in het bestand "
          f"(BSN *****{B[i][-4:]})" for i in range(10, 15)),
        "  en nog 25 personen (zie --report-csv)",
        "  regel 12 [BSN] (dossier E0): geen geldig BSN: een BSN bestaat uit 9 cijfers "
        "[bsn_format]",
        "  regel 13 [BSN] (dossier E1): geen geldig BSN: een BSN bestaat uit 9 cijfers "
        "[bsn_format]",
    ]
    assert len(rows_of(report_csv(result))) == 1 + 1 + 30 + 2  # the CSV lists everyone


def test_the_meldingen_counted_on_a_screen_are_issues_not_people():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:40])]
    rows = [ok(b, f"D{i}") for i, b in enumerate(B[:10])]
    rows += [f"x{i};01-01-2025;;;E{i}" for i in range(4)]
    result, _ = run(csv_bytes(*rows), current=current, rules=Rules(invalid_threshold=0.5))
    lines = issue_lines(result, 1)
    assert lines[-1] == "  ... en nog 3 meldingen (zie --json of --report-csv)"


def test_a_small_issue_limit_still_shows_the_total_of_a_repeated_warning():
    header = "BSN;Startdatum;Toelatingsdatum;Einddatum;Dossiernummer;Postcode"
    rows = [f"{b};01-02-2024;01-02-2024;;D{i};12345" for i, b in enumerate(B[:30])]
    result, _ = run(csv_bytes(*rows, header=header), max_issues=3)
    assert issue_lines(result) == [
        "  bestand: er zijn meer meldingen dan in dit rapport passen (fouten gaan voor "
        "waarschuwingen): 3 van de 30 meldingen staan erin, elke soort is geteld [issues_truncated]",
        "  30 regels (2, 3, 4 en nog 27) [Postcode]: postcode niet herkend (verwacht 1234 AB); "
        "postcode niet gebruikt [postcode_format]",
    ]
    rows = rows_of(report_csv(result))
    assert rows[-1][0] == "2, 3, 4 en nog 27"
    assert rows[-1][4] == ("30 regels: Postcode niet herkend (verwacht 1234 AB); postcode niet "
                           "gebruikt")


def test_a_damaged_snapshots_besluit_ends_on_its_own_sentence():
    result = ValidationResult(reason=Code.SNAPSHOT_UNREADABLE)
    result.issues.append(Issue(Code.SNAPSHOT_UNREADABLE, detail="regel 3: x"))
    first = besluit_lines(result)[0]
    assert first.endswith("De beheerder moet de snapshot herstellen of verwijderen en het "
                          "bestand opnieuw aanbieden.")
    assert "regel 3" not in first


def test_a_dossiernummer_on_two_invalid_rows_points_at_neither():
    current = [stored(b, f"D{i}") for i, b in enumerate(B[:30])]
    rows = [ok(b, f"D{i}") for i, b in enumerate(B[:28])]
    rows += [ok(invalid_checksum(B[28]), "D28"), ok(invalid_checksum(B[29]), "D28")]
    result, _ = run(csv_bytes(*rows), current=current)
    assert result.accepted and result.removed == 2
    assert [(leaver.dossiernummer, leaver.invalid_row) for leaver in result.leaving] == [
        ("D28", None), ("D29", None)]


def test_a_placeholder_dossiernummer_shared_by_two_leavers_names_no_row():
    current = [stored(b, "-" if i >= 18 else f"D{i}") for i, b in enumerate(B[:20])]
    rows = [ok(b, f"D{i}") for i, b in enumerate(B[:18])] + [ok(invalid_checksum(B[18]), "-")]
    result, _ = run(csv_bytes(*rows), current=current)
    assert result.accepted and result.removed == 2
    assert [leaver.invalid_row for leaver in result.leaving] == [None, None]
    assert "waarschijnlijk" not in report_csv(result).decode("utf-8")
