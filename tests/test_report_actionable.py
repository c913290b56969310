"""Reports a counsellor can act on (issue 14, point 2): the besluit says what was decided, why,
what happens and what to do; errors come first and a repeated warning is one line; a held
extract names who would leave; columns carry the file's own names; one typo in a small file
does not reject it (``invalid_min_rows``). Every text is compared with the Dutch a counsellor
reads, written out here."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from shared.config import OrganisationsDocument
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
from shared.domain.validation.decision import percent
from tests.helpers import bsns, csv_bytes, invalid_checksum, run

B = bsns(400, seed=21)
PADDED = [b for b in bsns(2000, seed=22) if b.startswith("0")][:40]  # 8 digits once the 0 goes


def ok(bsn: str, dossier: str = "") -> str:
    return f"{bsn};01-02-2024;01-02-2024;;{dossier}"


def bad(n: int) -> str:
    return f"x{n};01-02-2024;;;F{n}"  # bsn_format


def stored(bsn: str, *, dossier: str = "OUD-1", naam: str = "Jansen") -> list[str]:
    """A record of the snapshot in force (with a name and a birth date, as it holds them)."""
    return [bsn, "", "1970-05-17", naam, "", "", "", "", "", "2024-02-01", "2024-02-01", "",
            dossier, "", "", "", "2024-02-01", "7", "row"]


def rows_of(report: bytes) -> list[list[str]]:
    text = report.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


# -- invalid_min_rows: one typo in a small file does not reject it -----------------------------
@pytest.mark.parametrize(("invalid", "accepted"), [(1, True), (2, True), (3, False)])
def test_a_small_file_is_rejected_for_invalid_rows_only_from_three_on(invalid, accepted):
    rows = [ok(b) for b in B[:15 - invalid]] + [bad(i) for i in range(invalid)]
    result, _ = run(csv_bytes(*rows))  # default rules: 5 %, at least 3 rows
    assert result.accepted is accepted
    assert (result.reason is Code.TOO_MANY_INVALID) is not accepted


def test_the_small_files_rejection_names_the_minimum_and_what_to_fix():
    result, _ = run(csv_bytes(*[ok(b) for b in B[:12]], bad(1), bad(2), bad(3)))
    assert besluit_lines(result) == [
        "Bestand afgewezen: 3 van 15 regels ongeldig, toegestaan is hoogstens 5% (in een klein "
        "bestand 2 regels).",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Verbeter minstens 1 van de 3 ongeldige regels (zie de fouten hieronder) en lever het "
        "hele bestand opnieuw aan.",
    ]


def test_a_large_files_rejection_names_only_the_share_and_how_many_rows_to_fix():
    result, _ = run(csv_bytes(*[ok(b) for b in B[:108]], *[bad(i) for i in range(12)]))
    assert besluit_lines(result) == [
        "Bestand afgewezen: 12 van 120 regels ongeldig, toegestaan is hoogstens 5%.",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Verbeter minstens 6 van de 12 ongeldige regels (zie de fouten hieronder) en lever het "
        "hele bestand opnieuw aan.",
    ]
    [deciding] = [i for i in result.issues if i.code is Code.TOO_MANY_INVALID]
    assert deciding.detail == "12 van 120 regels ongeldig, toegestaan is hoogstens 5%"


def test_when_every_invalid_row_must_be_fixed_the_besluit_says_all():
    result, _ = run(csv_bytes(*[ok(b) for b in B[:5]], bad(1), bad(2), bad(3)),
                    rules=Rules(invalid_threshold=0.0, invalid_min_rows=1))
    assert besluit_lines(result)[2] == ("Verbeter alle 3 ongeldige regels (zie de fouten "
                                        "hieronder) en lever het hele bestand opnieuw aan.")
    result, _ = run(csv_bytes(ok(B[0]), bad(1)), rules=Rules(invalid_threshold=0.0,
                                                             invalid_min_rows=1))
    assert besluit_lines(result) == [
        "Bestand afgewezen: 1 van 2 regels ongeldig, toegestaan is hoogstens 0%.",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Verbeter de ongeldige regel (zie de fouten hieronder) en lever het hele bestand "
        "opnieuw aan.",
    ]


def test_the_organisations_minimum_reaches_the_decision():
    organisation = OrganisationsDocument.model_validate({"organisations": [{
        "code": "vb", "name": "Voorbeeld", "aansluitcode": "SNG-1",
        "contact": {"naam": "Team", "telefoon": "14 0123", "email": "t@voorbeeld.nl"},
        "invalid_min_rows": 5}]}).organisations[0]
    rules = Rules.of(organisation)
    assert rules.invalid_min_rows == 5
    four_of_ten = csv_bytes(*[ok(b) for b in B[:6]], *[bad(i) for i in range(4)])
    assert run(four_of_ten, rules=rules)[0].accepted
    assert not run(four_of_ten, rules=Rules(invalid_min_rows=4))[0].accepted


@pytest.mark.parametrize("threshold", [0.0, 0.05, 0.07, 0.1, 0.29, 1 / 3, 0.5, 1.0])
@pytest.mark.parametrize("min_rows", [1, 3, 7])
def test_the_rows_allowed_agree_with_the_rejection_for_every_count(threshold, min_rows):
    rules = Rules(invalid_threshold=threshold, invalid_min_rows=min_rows)
    for total in range(1, 230):
        allowed = rules.invalid_allowed(total)
        assert [rules.too_many_invalid(k, total) for k in range(total + 1)] == [
            k > allowed for k in range(total + 1)], (total, allowed)


def test_rows_allowed_at_known_points():
    assert Rules().invalid_allowed(15) == 2  # 5 % of 15 is 0.75 rows; the minimum allows 2
    assert Rules().invalid_allowed(120) == 6
    assert Rules(invalid_threshold=0.29, invalid_min_rows=1).invalid_allowed(100) == 29
    assert Rules(invalid_threshold=0.07, invalid_min_rows=1).invalid_allowed(100) == 7


@pytest.mark.parametrize(("share", "shown"), [
    (0.05, "5%"), (0.3, "30%"), (0.025, "2,5%"), (1 / 3, "33,33%"), (0.0, "0%"), (1.0, "100%")])
def test_a_threshold_is_shown_as_a_dutch_percentage(share, shown):
    assert percent(share) == shown


# -- the besluit of an accepted extract -------------------------------------------------------
def test_a_clean_extract_says_nothing_needs_doing():
    result, _ = run(csv_bytes(*[ok(b, f"D{i}") for i, b in enumerate(B[:3])]))
    assert besluit_lines(result) == ["Bestand geaccepteerd: 3 van 3 regels geldig.",
                                     "U hoeft niets te doen."]


def test_an_accepted_extract_with_one_typo_names_the_row_and_who_is_not_registered():
    result, _ = run(csv_bytes(*[ok(b) for b in B[:14]], bad(1)))
    assert besluit_lines(result) == [
        "Bestand geaccepteerd: 14 van 15 regels geldig.",
        "Niet verwerkt: 1 ongeldige regel (regel 16).",
        "Wie daarop staat, is nu niet aangemeld bij VISH.",
        "Verbeter de ongeldige regel in het bronsysteem (zie de fouten hieronder); de volgende "
        "aanlevering neemt die mee.",
    ]


def test_an_accepted_extract_says_who_stays_with_earlier_data_who_waits_and_who_leaves():
    current = [stored(b) for b in B[:40]] + [stored(B[300])]
    lines = [ok(b) for b in B[:38]]
    lines += [f"{B[38]};31-02-2024;01-02-2024;;C1",  # invalid, carried over (line 40)
              bad(1),  # invalid, nobody known (line 41)
              f"{B[39]};01-02-2024;;;W1"]  # valid, no toelatingsdatum: waits (line 42)
    result, _ = run(csv_bytes(*lines), current=current)
    assert result.accepted
    assert besluit_lines(result) == [
        "Bestand geaccepteerd: 39 van 41 regels geldig.",
        "Niet verwerkt: 2 ongeldige regels (regels 40 en 41).",
        "Wie daarop staat, is nu niet aangemeld bij VISH, behalve 1 cliënt die al in VISH "
        "stond: die blijft staan met de eerdere gegevens.",
        "Nu (nog) niet in VISH: 1 geldige regel zonder toelatingsdatum, met een "
        "toelatingsdatum na de peildatum of met een verstreken einddatum.",
        "Afgemeld bij VISH: 2 personen uit de vorige aanlevering (niet meer in het bestand of "
        "niet meer toegelaten; staan hieronder).",
        "Verbeter de ongeldige regels in het bronsysteem (zie de fouten hieronder); de "
        "volgende aanlevering neemt ze mee.",
    ]


def test_when_every_invalid_row_was_in_vish_the_besluit_says_they_stay():
    current = [stored(b) for b in B[:30]]
    lines = [ok(b) for b in B[:28]] + [f"{B[28]};31-02-2024;;;", f"{B[29]};31-02-2024;;;"]
    result, _ = run(csv_bytes(*lines), current=current, rules=Rules(invalid_threshold=0.1))
    assert besluit_lines(result)[1:3] == [
        "Niet verwerkt: 2 ongeldige regels (regels 30 en 31).",
        "Wie daarop staat, stond al in VISH en blijft staan met de eerdere gegevens.",
    ]


def test_many_invalid_rows_in_an_accepted_besluit_are_named_up_to_ten():
    rows = [ok(b) for b in B[:300]] + [bad(i) for i in range(12)]
    result, _ = run(csv_bytes(*rows), rules=Rules(invalid_threshold=0.1))
    assert besluit_lines(result)[1] == ("Niet verwerkt: 12 ongeldige regels (regels 302, 303, "
                                        "304, 305, 306, 307, 308, 309, 310, 311 en nog 2).")


def test_warnings_only_ask_for_a_look():
    result, _ = run(csv_bytes(ok(B[0]) + ";", f"{B[1]};01-02-2024;01-02-2024;;;1234",
                              header="BSN;Startdatum;Toelatingsdatum;Einddatum;Dossiernummer;"
                                     "Postcode"))
    assert besluit_lines(result) == [
        "Bestand geaccepteerd: 2 van 2 regels geldig.",
        "U hoeft niets te doen; controleer wel de waarschuwingen hieronder."]


# -- the besluit of a rejected extract --------------------------------------------------------
def test_a_structural_rejection_quotes_its_reason_and_says_to_deliver_again():
    result, _ = run(b"")
    assert besluit_lines(result) == [
        "Bestand afgewezen: het bestand is leeg.",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "Los dit op en lever het bestand opnieuw aan."]


def test_a_damaged_snapshot_does_not_ask_the_counsellor_to_fix_the_file():
    result = ValidationResult(reason=Code.SNAPSHOT_UNREADABLE)
    result.issues.append(Issue(Code.SNAPSHOT_UNREADABLE, detail="regel 3"))
    assert besluit_lines(result) == [
        "Bestand afgewezen: de opgeslagen snapshot van deze organisatie is beschadigd, dus dit "
        "bestand kon niet veilig worden verwerkt; het staat in quarantaine. De beheerder moet "
        "de snapshot herstellen of verwijderen en het bestand opnieuw aanbieden.",
        "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens."]


# -- a held extract ---------------------------------------------------------------------------
def held(keep: int = 6, of: int = 10, **kwargs):
    current = [stored(b, dossier=f"DOS-{i}") for i, b in enumerate(B[:of])]
    return run(csv_bytes(*[ok(b, f"DOS-{i}") for i, b in enumerate(B[:keep])]),
               current=current, **kwargs)[0]


def test_a_held_besluit_says_who_releases_it_and_how():
    result = held()
    result.sha256 = "3f2a1b9c0d1e" + "7" * 52
    assert besluit_lines(result, "gemeente-x") == [
        "Bestand tegengehouden: 4 van 10 personen zouden verdwijnen, grens is 30%.",
        "Er is nog niets veranderd: wie al in VISH stond, blijft staan.",
        "Controleer de personen hieronder die zouden verdwijnen. Ontbreken ze door een fout in "
        "de export (een filter of selectie, einddatums of toelatingsdatums), lever dan een "
        "verbeterd bestand aan.",
        "Moeten ze echt uit VISH, vraag dan de beheerder dit bestand vrij te geven (beheeractie "
        "met de beheersleutel: POST /api/extracts/gemeente-x/release met een reden en met de "
        "eerste 12 tekens van de SHA-256 (3f2a1b9c0d1e) in het veld sha256).",
    ]


def test_a_held_besluit_of_vish_validate_says_what_the_intake_would_do():
    result = held()
    result.sha256 = "3f2a1b9c0d1e" + "7" * 52
    lines = besluit_lines(result, "gemeente-x", context="validate")
    assert lines == [
        "Bij aanlevering wordt dit bestand tegengehouden: 4 van 10 personen zouden verdwijnen, "
        "grens is 30%.",
        "Dit is alleen een controle: er is niets opgeslagen en er verandert niets in VISH.",
        "Controleer de personen hieronder die zouden verdwijnen. Ontbreken ze door een fout in "
        "de export (een filter of selectie, einddatums of toelatingsdatums), lever dan een "
        "verbeterd bestand aan.",
        "Moeten ze echt uit VISH, lever het bestand dan aan en vraag daarna de beheerder het vrij "
        "te geven (het bestand met SHA-256 3f2a1b9c0d1e…).",
    ]
    assert not any("/api/" in line or "release" in line for line in lines)


def test_the_held_besluit_names_the_file_by_the_sha256_that_validation_computed():
    result = held()
    assert len(result.sha256) == 64  # validation hashes what it read
    assert f"SHA-256 ({result.sha256[:12]}) in het veld sha256)." in besluit_lines(result, "vb")[-1]


def test_a_held_report_lists_the_dossiernummers_that_would_disappear():
    current = [stored(b, dossier=f"DOS-{i}") for i, b in enumerate(B[:10])]
    lines = [ok(b, f"DOS-{i}") for i, b in enumerate(B[:6])]
    lines.append(f"{B[6]};01-02-2024;01-02-2024;01-01-2025;DOS-6")  # ended: in the file, leaves
    result, _ = run(csv_bytes(*lines), current=current)
    rows = rows_of(report_csv(result, organisation="gemeente-x"))
    assert rows[1][2] == "besluit"
    assert rows[1][4].startswith("Bestand tegengehouden: 4 van 10 personen zouden verdwijnen "
                                 "(waarvan 1 niet meer toegelaten: einddatum verstreken of "
                                 "toelating leeg of in de toekomst), grens is 30%. ")
    leaving = [(r[2], r[4], r[5]) for r in rows[2:6]]
    masked = ["*****" + b[-4:] for b in B[6:10]]
    assert leaving == [
        ("verdwijnt", "Zou uit VISH verdwijnen: staat nog in het bestand, maar is op de "
                      f"peildatum niet (meer) toegelaten (BSN {masked[0]})", "DOS-6"),
        ("verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[1]})",
         "DOS-7"),
        ("verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[2]})",
         "DOS-8"),
        ("verdwijnt", f"Zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[3]})",
         "DOS-9"),
    ]
    assert len(rows) == 6  # the held reason is the besluit, not repeated below it
    document = json.loads(report_json(result, organisation="gemeente-x", extract="x.csv",
                                      received_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC)))
    assert [leaver["dossiernummer"] for leaver in document["leaving"]] == [
        "DOS-6", "DOS-7", "DOS-8", "DOS-9"]
    assert document["leaving_not_listed"] == 0
    assert [i["code"] for i in document["issues"]] == ["mass_drop_held"]  # JSON keeps each issue


def test_the_list_of_leavers_is_bounded_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr(decision_module, "MAX_LEAVERS_LISTED", 3)
    result = held(keep=2, of=12)
    assert len(result.leaving) == 3 and result.leaving_more == 7
    rows = rows_of(report_csv(result))
    assert [r[2] for r in rows[1:]] == ["besluit"] + ["verdwijnt"] * 4
    assert rows[-1][4] == "En nog 7 personen die zouden verdwijnen (niet in dit rapport opgesomd)"


def test_a_large_held_extract_keeps_the_first_thousand_leavers():
    many = bsns(3000, seed=23)
    current = [stored(b, dossier=f"D{i}") for i, b in enumerate(many)]
    result, _ = run(csv_bytes(*[ok(b) for b in many[:100]]), current=current)
    assert result.reason is Code.MASS_DROP_HELD
    assert len(result.leaving) == 1000 and result.leaving_more == 1900
    assert result.leaving[0].dossiernummer == "D100" and result.leaving[-1].dossiernummer == "D1099"


def test_an_accepted_extract_lists_who_is_afgemeld():
    result = held(keep=9)
    assert result.accepted and result.removed == 1
    assert result.to_contract()["leaving"] == [
        {"bsn": "*****" + B[9][-4:], "dossiernummer": "DOS-9", "in_file": False,
         "invalid_row": None}]
    rows = rows_of(report_csv(result))
    assert rows[2] == ["", "", "afgemeld", "",
                       f"Afgemeld bij VISH: staat niet meer in het bestand (BSN *****{B[9][-4:]})",
                       "DOS-9"]


def test_vish_validate_json_names_who_would_leave():
    contract = held(keep=8, rules=Rules(mass_drop_threshold=0.1)).to_contract()
    assert contract["leaving"] == [
        {"bsn": "*****" + B[8][-4:], "dossiernummer": "DOS-8", "in_file": False,
         "invalid_row": None},
        {"bsn": "*****" + B[9][-4:], "dossiernummer": "DOS-9", "in_file": False,
         "invalid_row": None}]
    assert contract["leaving_not_listed"] == 0


def test_a_held_report_masks_a_bsn_in_a_dossiernummer_and_never_names_anyone():
    leaving = B[9]
    current = [stored(b, dossier=f"DOS-{i}") for i, b in enumerate(B[:9])]
    current.append(stored(leaving, dossier=f"Z-{leaving}", naam="Vermeulen"))
    result, _ = run(csv_bytes(*[ok(b) for b in B[:5]]), current=current)
    text = report_csv(result).decode("utf-8") + report_json(
        result, organisation="vb", extract="x.csv",
        received_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC)).decode("utf-8")
    assert f"Z-*****{leaving[-4:]}" in text
    for person in B[:10]:
        assert person not in text
    assert "Vermeulen" not in text and "Jansen" not in text and "1970" not in text


# -- errors first, repeated warnings grouped ---------------------------------------------------
def padded_file(repeats: int) -> bytes:
    lines = [ok(b[1:], f"P{i}") for i, b in enumerate(PADDED[:repeats])]
    lines += [ok(b) for b in B[:40 - repeats]]
    lines.append(bad(1))  # line 42: an error, after the warnings in the file
    return csv_bytes(*lines)


def test_a_warning_on_thirty_lines_is_one_line_with_the_count_and_the_lines_after_the_errors():
    result, _ = run(padded_file(30))
    rows = rows_of(report_csv(result))
    assert [r[2] for r in rows[1:]] == ["besluit", "bsn_format", "bsn_left_padded"]
    assert rows[2] == ["42", "BSN", "bsn_format", "fout",
                       "Geen geldig BSN: een BSN bestaat uit 9 cijfers", "F1"]
    assert rows[3] == [", ".join(str(n) for n in range(2, 31)) + " en 31", "BSN",
                       "bsn_left_padded", "waarschuwing",
                       "30 regels: BSN had 8 cijfers; aangevuld met een voorloopnul "
                       "(controleer de export)", ""]
    assert issue_lines(result) == [
        "  regel 42 [BSN] (dossier F1): geen geldig BSN: een BSN bestaat uit 9 cijfers [bsn_format]",
        "  30 regels (2, 3, 4, 5, 6, 7, 8, 9, 10, 11 en nog 20) [BSN]: BSN had 8 cijfers; "
        "aangevuld met een voorloopnul (controleer de export) [bsn_left_padded]",
    ]
    # The JSON keeps each of them.
    document = json.loads(report_json(result, organisation="vb", extract="x.csv",
                                      received_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC)))
    assert [i["code"] for i in document["issues"]].count("bsn_left_padded") == 30


def test_a_warning_on_four_lines_stays_four_lines_with_their_dossiernummers():
    result, _ = run(padded_file(4))
    rows = rows_of(report_csv(result))
    assert [(r[0], r[2], r[5]) for r in rows[3:]] == [
        (str(n), "bsn_left_padded", f"P{n - 2}") for n in range(2, 6)]
    masked = "*****" + PADDED[0][-4:]
    assert rows[3][4] == ("BSN had 8 cijfers; aangevuld met een voorloopnul (controleer de "
                          f"export): {masked}")


def test_a_grouped_line_names_at_most_a_hundred_lines_and_counts_all_beyond_the_issue_limit():
    rows = [ok(b[1:]) for b in PADDED[:40]]
    result, _ = run(csv_bytes(*rows), max_issues=25)
    assert result.issue_counts[Code.BSN_LEFT_PADDED] == 40
    [grouped] = [r for r in rows_of(report_csv(result)) if r[2] == "bsn_left_padded"]
    assert grouped[0] == ", ".join(str(n) for n in range(2, 27)) + " en nog 15"
    assert grouped[4].startswith("40 regels: ")


# -- on a screen: the deciding line is never hidden --------------------------------------------
def test_the_deciding_line_comes_first_however_many_issues_there_are():
    result, _ = run(csv_bytes(*[ok(b) for b in B[:10]], *[bad(i) for i in range(40)]),
                    max_issues=20)
    lines = screen_lines(result, 5)
    assert lines[0] == ("Besluit: bestand afgewezen: 40 van 50 regels ongeldig, toegestaan is "
                        "hoogstens 5%.")
    assert lines[1:3] == [
        "  Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens.",
        "  Verbeter minstens 38 van de 40 ongeldige regels (zie de fouten hieronder) en lever "
        "het hele bestand opnieuw aan."]
    assert lines[3:] == [
        "  bestand: er zijn meer meldingen dan in dit rapport passen (fouten gaan voor "
        "waarschuwingen): 20 van de 41 meldingen staan erin, elke soort is geteld [issues_truncated]",
        *(f"  regel {n} [BSN] (dossier F{n - 12}): geen geldig BSN: een BSN bestaat uit 9 "
          "cijfers [bsn_format]" for n in range(12, 16)),
        "  ... en nog 16 meldingen (zie --json of --report-csv)"]
    # The deciding issue is kept past the issue limit (the JSON names it too).
    assert [i.code for i in result.issues].count(Code.TOO_MANY_INVALID) == 1


# -- columns as the file names them ------------------------------------------------------------
def test_the_veld_column_uses_the_files_own_header():
    result = ValidationResult(total=2)
    result.columns = {"partner_bsn": "Partner BSN", "contact_email": "E-mail consulent"}
    result.issues += [Issue(Code.BSN_CHECKSUM, 2, "partner_bsn"),
                      Issue(Code.EMAIL_FORMAT, 3, "contact_email"),
                      Issue(Code.PHONE_FORMAT, 3, "contact_telefoon")]
    rows = rows_of(report_csv(result))
    assert [r[1] for r in rows[2:]] == ["Partner BSN", "E-mail consulent",
                                        "Telefoon contactpersoon"]
    assert screen_lines(result)[-1].startswith("  regel 3 [Telefoon contactpersoon]: ")


def test_without_the_files_header_a_column_has_its_usual_name_never_an_internal_one():
    result = ValidationResult(total=1)
    result.issues += [Issue(Code.BSN_CHECKSUM, 2, "partner_bsn"),
                      Issue(Code.MISSING_COLUMN, None, "startdatum")]
    assert [r[1] for r in rows_of(report_csv(result))[2:]] == ["Startdatum", "BSN partner"]


def test_a_header_name_is_shown_masked_printable_and_bounded():
    result = ValidationResult(total=1)
    result.columns = {"bsn": "BSN 123456782\x1b[2J" + "x" * 80}
    result.issues.append(Issue(Code.BSN_FORMAT, 2, "bsn"))
    [veld] = [r[1] for r in rows_of(report_csv(result))[2:]]
    assert veld == "BSN *****6782[2J" + "x" * 24
    assert "123456782" not in report_csv(result).decode("utf-8")


def test_the_json_report_names_the_columns_and_the_besluit():
    result, _ = run(csv_bytes(ok(B[0])))
    result.columns = {"bsn": "BSN"}
    document = json.loads(report_json(result, organisation="vb", extract="x.csv",
                                      received_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC)))
    assert document["besluit"] == "Bestand geaccepteerd: 1 van 1 regel geldig. U hoeft niets te doen."
    assert document["columns"] == {"bsn": "BSN"}
    assert "leaving" not in document
    assert not re.search(r"\d{9}", json.dumps(document["besluit"]))


def test_errors_are_kept_before_warnings_when_the_issue_list_is_full():
    lines = [f"{b};01-02-2024;01-02-2024;;W{i};12" for i, b in enumerate(B[:30])]  # postcode
    lines += [f"x{i};01-02-2024;;;F{i};" for i in range(3)]  # lines 32-34: errors
    result, _ = run(csv_bytes(*lines, header="BSN;Startdatum;Toelatingsdatum;Einddatum;"
                                             "Dossiernummer;Postcode"),
                    rules=Rules(invalid_threshold=0.5), max_issues=10)
    assert result.accepted
    kept = [(i.row, i.code) for i in result.issues]
    assert kept == ([(n, Code.POSTCODE_FORMAT) for n in range(2, 9)]
                    + [(n, Code.BSN_FORMAT) for n in (32, 33, 34)]
                    + [(None, Code.ISSUES_TRUNCATED)])
    assert result.issue_counts[Code.POSTCODE_FORMAT] == 30
    rows = rows_of(report_csv(result))
    assert [r[2] for r in rows[1:]] == [
        "besluit", "issues_truncated", "bsn_format", "bsn_format", "bsn_format",
        "postcode_format"]
    assert rows[-1][0] == "2, 3, 4, 5, 6, 7, 8 en nog 23"
    assert rows[-1][4] == "30 regels: Postcode niet herkend (verwacht 1234 AB); postcode niet gebruikt"
    assert "(regels 32, 33 en 34)" in rows[1][4]


def test_errors_alone_past_the_limit_keep_the_first_ones():
    result, _ = run(csv_bytes(*[bad(i) for i in range(8)]), max_issues=5)
    assert [i.row for i in result.issues if i.code is Code.BSN_FORMAT] == [2, 3, 4, 5, 6]


def test_a_validated_files_own_headers_name_the_veld_column():
    header = "Klant BSN;Datum start;Datum toelating;Einddatum;Zaaknummer;BSN medeaanvrager;E-mailadres"
    lines = [f"{B[0]};01-02-2024;01-02-2024;;Z1;{invalid_checksum(B[1])};",
             f"{B[2]};01-02-2024;01-02-2024;;Z2;;geen-adres"]
    result, _ = run(csv_bytes(*lines, header=header), rules=Rules(invalid_threshold=1.0))
    rows = rows_of(report_csv(result))
    assert [(r[0], r[1], r[2]) for r in rows[2:]] == [
        ("2", "BSN medeaanvrager", "bsn_checksum"), ("3", "E-mailadres", "email_format")]
    assert not {r[1] for r in rows[2:]} & {"partner_bsn", "contact_email", "bsn"}


def test_a_held_extract_on_a_screen_shows_the_besluit_then_who_would_leave():
    result = held()
    masked = ["*****" + b[-4:] for b in B[6:10]]
    result.sha256 = "ab12cd34ef56" + "0" * 52
    assert screen_lines(result, 2, organisation="gemeente-x") == [
        "Besluit: bij aanlevering wordt dit bestand tegengehouden: 4 van 10 personen zouden "
        "verdwijnen, grens is 30%.",
        "  Dit is alleen een controle: er is niets opgeslagen en er verandert niets in VISH.",
        "  Controleer de personen hieronder die zouden verdwijnen. Ontbreken ze door een fout in "
        "de export (een filter of selectie, einddatums of toelatingsdatums), lever dan een "
        "verbeterd bestand aan.",
        "  Moeten ze echt uit VISH, lever het bestand dan aan en vraag daarna de beheerder het "
        "vrij te geven (het bestand met SHA-256 ab12cd34ef56…).",
        f"  dossier DOS-6: zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[0]})",
        f"  dossier DOS-7: zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[1]})",
        f"  dossier DOS-8: zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[2]})",
        f"  dossier DOS-9: zou uit VISH verdwijnen: staat niet meer in het bestand (BSN {masked[3]})",
    ]
