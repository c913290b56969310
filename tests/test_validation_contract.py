"""What validation hands on, pinned whole: the summary (outcome entities, logs), the
``vish validate --json`` contract and the organisation's rules as validation reads them.

Other parts rely on these names and values (ARCHITECTURE.md), so each is compared as a literal.
"""

from __future__ import annotations

import hashlib

import pytest

from shared.config import OrganisationsDocument
from shared.domain.issues import Code
from shared.domain.validation import Rules
from tests.helpers import bsns, csv_bytes, invalid_checksum, run

B = bsns(10, seed=11)


def snapshot_records(bsn_list):
    return [[b, "", "", "", "", "", "", "", "", "2024-02-01", "2024-02-01", "", "", "", "", "",
             "2024-02-01", "2", "row"] for b in bsn_list]


def test_the_summary_of_an_accepted_extract_with_a_current_snapshot():
    current = snapshot_records([B[0], B[1], B[2], B[3], B[9]])
    data = csv_bytes(
        f"{B[0]};01-02-2024;01-02-2024;;D1",
        f"{B[1]};01-02-2024;;;D2",               # valid, not admitted: ineligible, leaves
        f"{B[2]};01-02-2099;01-02-2024;;D3",     # start in the future: invalid, carried over
        f"{B[3]};01-02-2024;01-02-2024;2024-01-01;D4",  # end before start: invalid, carried
        f"{B[4]};01-02-2024;01-02-2024;;D5",
        f"{B[4]};01-02-2024;01-02-2024;;D6",     # the same person again: merged, a warning
    )
    result, _ = run(data, current=current,
                    rules=Rules(invalid_threshold=0.5, mass_drop_threshold=0.5))
    assert result.summary() == {
        "decision": "accepted", "reason": None,
        "rows_total": 6, "rows_valid": 4, "rows_invalid": 2, "rows_ineligible": 1,
        "people": 5, "current_people": 5, "people_removed": 2, "people_ineligible_now": 1,
        "carried_over": 2,
        "errors": 2, "warnings": 3,  # date_in_future, end_before_start; duplicate, 2 carried
        "encoding": "utf-8", "delimiter": ";", "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data), "eligibility_basis": "toelatingsdatum",
    }
    assert result.invalid == 2 and result.accepted


def test_the_summary_names_a_tab_delimiter_and_the_basis_without_a_toelating_column():
    data = csv_bytes(f"{B[0]}\t01-02-2024\tD1", header="BSN\tStartdatum traject\tDossiernummer")
    result, _ = run(data)
    summary = result.summary()
    assert summary["delimiter"] == "tab" and summary["eligibility_basis"] == "startdatum"
    assert (summary["errors"], summary["warnings"]) == (0, 2)
    assert [i.code for i in result.issues] == [Code.TOELATINGSDATUM_COLUMN_MISSING,
                                               Code.EINDDATUM_COLUMN_MISSING]


def test_the_contract_of_a_rejected_extract():
    data = csv_bytes(f"{B[0]};01-02-2024;01-02-2024;;D1", f"{invalid_checksum(B[1])};01-02-2024;;;D2")
    result, _ = run(data, rules=Rules(invalid_min_rows=1))  # 1 of 2 rejects without a minimum
    assert result.to_contract() == {
        "decision": "rejected", "reason": "too_many_invalid",
        "rows": {"total": 2, "valid": 1, "invalid": 1, "ineligible": 0},
        "issues": [
            {"row": 3, "field": "bsn", "code": "bsn_checksum", "severity": "error",
             "message": result.issues[0].message, "dossiernummer": "D2"},
            {"row": None, "field": None, "code": "too_many_invalid", "severity": "error",
             "message": result.issues[1].message, "dossiernummer": None},
        ],
    }
    assert "1 van 2 regels ongeldig, toegestaan is hoogstens 5%" in result.issues[1].message
    assert result.summary()["reason"] == "too_many_invalid" and not result.accepted


def test_a_held_extract_says_how_many_people_would_disappear():
    current = snapshot_records(B[:10])
    data = csv_bytes(*[f"{b};01-02-2024;01-02-2024;;" for b in B[:6]])
    result, _ = run(data, current=current)
    assert result.reason is Code.MASS_DROP_HELD
    held = [i for i in result.issues if i.code is Code.MASS_DROP_HELD]
    assert len(held) == 1 and "4 van 10 personen zouden verdwijnen, grens is 30%" in held[0].message


def test_the_rules_are_read_from_the_organisation():
    organisation = OrganisationsDocument.model_validate({"organisations": [{
        "code": "r1", "name": "Regels", "aansluitcode": "R-1",
        "contact": {"naam": "Team", "telefoon": "14 0999", "email": "t@voorbeeld.nl"},
        "eligibility_rule": "start", "invalid_threshold": 0.2, "mass_drop_threshold": 0.5,
        "mass_drop_min_removed": 7, "column_aliases": {"Klantnummer": "bsn"},
    }]}).organisations[0]
    assert Rules.of(organisation) == Rules(eligibility_rule="start", invalid_threshold=0.2,
                                           mass_drop_threshold=0.5, mass_drop_min_removed=7,
                                           column_aliases={"Klantnummer": "bsn"})


MISSING = ("Een verplichte kolom ontbreekt: geen kolom voor het BSN gevonden (gezocht naar 'BSN', "
           "'Burgerservicenummer', 'BSN-nummer', 'Burgerservicenummer (BSN)', 'BSN cliënt', "
           "'Cliënt BSN', 'BSN klant', 'Klant BSN', 'BSN aanvrager', 'Burgerservicenummer cliënt' "
           "of 'BSN hoofdaanvrager'); ")


@pytest.mark.parametrize(("header", "shown"), [
    ("Naam;Startdatum traject", "gevonden kolommen: Naam, Startdatum traject"),
    # a first line of data is not echoed: it would put a BSN or a date in the report
    ("123456782;01-02-2024", "de eerste regel lijkt gegevens te bevatten in plaats van kolomnamen"),
    ("klant@voorbeeld.nl;Startdatum traject",
     "de eerste regel lijkt gegevens te bevatten in plaats van kolomnamen"),
    (";;", "geen kolomnamen gevonden"),
    # at most 30 names, each at most 40 characters
    (";".join(f"Kolom {i}" for i in range(35)),
     "gevonden kolommen: " + ", ".join(f"Kolom {i}" for i in range(30))),
    (" Een hele lange kolomnaam die veel te lang is om te tonen ;Startdatum traject",
     "gevonden kolommen: Een hele lange kolomnaam die veel te lan, Startdatum traject"),
])
def test_a_missing_column_names_the_header_found_unless_it_looks_like_data(header, shown):
    result, _ = run(csv_bytes("x;y", header=header))
    assert result.reason is Code.MISSING_COLUMN
    assert result.issues[0].message == MISSING + shown


QUOTE_HEADER = "Startdatum traject;Dossiernummer;BSN"


@pytest.mark.parametrize(("first", "carried", "dossier"), [
    # a quote opened and never closed swallows the lines after it: its person, read where the
    # quoted fields put the BSN (quotes off), is carried over from the current snapshot
    ('01-02-2024;"D0";"{bsn}', True, "D0"),
    ('01-02-2024;"XD-0X";"{bsn}', True, "XD-0X"),
    # what is left after the quotes is no BSN: nobody to carry over
    ('01-02-2024;"D0";"{bsn}X', False, "D0"),
    # the line ends before the BSN column (and before the dossier): nothing breaks
    ('01-02-2024;"D0', False, "D0"),
    ('"01-02-2024', False, None),
])
def test_the_person_of_a_quote_line_is_carried_over_from_the_current_snapshot(first, carried,
                                                                              dossier):
    current = snapshot_records(B[:6])
    rows = [f"01-02-2024;D{i};{b}" for i, b in enumerate(B[1:6], start=1)]
    data = csv_bytes(first.format(bsn=B[0]), *rows, header=QUOTE_HEADER)
    result, records = run(data, current=current, snapshot=True, rules=Rules(invalid_threshold=0.5))
    found = [(i.code, i.row, i.field, i.dossiernummer) for i in result.issues
             if i.code in (Code.QUOTE_SWALLOWS_ROWS, Code.CARRIED_OVER)]
    assert found[0] == (Code.QUOTE_SWALLOWS_ROWS, 2, None, dossier)
    assert found[1:] == ([(Code.CARRIED_OVER, 2, "bsn", None)] if carried else [])
    assert (result.total, result.valid, result.carried_over, result.removed) == (
        6, 5, int(carried), int(not carried))
    origins = {r[0]: r[-1] for r in records}
    assert origins.get(B[0]) == ("carried_over" if carried else None)


def test_a_partner_is_registered_with_the_case_not_with_the_clients_name_or_address():
    data = csv_bytes(f"{B[0]};{B[1]};02-03-1980;Jansen;de;J.;1234 ab;12;A;01-02-2024;05-02-2024;"
                     "31-12-2030;ZK-1;A. de Wit;014 0999;schuldhulp@voorbeeld.nl",
                     header="BSN;BSN partner;Geboortedatum;Achternaam;Tussenvoegsel;Voorletters;"
                            "Postcode;Huisnummer;Toevoeging;Startdatum traject;Datum toelating;"
                            "Einddatum;Dossiernummer;Contactpersoon;Telefoonnummer;E-mail")
    result, records = run(data, snapshot=True)
    case = ["2024-02-01", "2024-02-05", "2030-12-31", "ZK-1", "A. de Wit", "014 0999",
            "schuldhulp@voorbeeld.nl", "2024-02-05", "2"]
    assert sorted(records) == sorted([
        [B[0], B[1], "1980-03-02", "Jansen", "de", "J.", "1234AB", "12", "A", *case, "row"],
        [B[1], B[0], "", "", "", "", "", "", "", *case, "partner"],
    ])
    assert (result.valid, result.people) == (1, 2)


def test_bad_optional_fields_are_warnings_that_name_the_dossier_and_leave_the_value_out():
    header = "BSN;Startdatum traject;Postcode;Huisnummer;Telefoonnummer;E-mail;Dossiernummer"
    data = csv_bytes(f"{B[0]};01-02-2024;12345;0;bel mij;geen;ZK-7", header=header)
    result, records = run(data, snapshot=True)
    assert [(i.row, i.field, i.code, i.dossiernummer) for i in result.issues
            if i.code not in (Code.TOELATINGSDATUM_COLUMN_MISSING,
                              Code.EINDDATUM_COLUMN_MISSING)] == [
        (2, "postcode", Code.POSTCODE_FORMAT, "ZK-7"),
        (2, "huisnummer", Code.HUISNUMMER_FORMAT, "ZK-7"),
        (2, "contact_telefoon", Code.PHONE_FORMAT, "ZK-7"),
        (2, "contact_email", Code.EMAIL_FORMAT, "ZK-7"),
    ]
    assert result.accepted and result.valid == 1
    (record,) = records
    assert record[:2] == [B[0], ""] and record[6:9] == ["", "", ""] and record[14:16] == ["", ""]


def test_each_row_rule_gives_its_issue_on_its_line_field_and_dossier():
    from devtools.sample import bsn_from_prefix

    padded = bsn_from_prefix(1_234_567)
    assert padded.startswith("0")
    header = "BSN;BSN partner;Startdatum traject;Datum toelating;Einddatum;Geboortedatum;Dossiernummer"
    rows = [f"{B[0]};;01-02-2024;;;;D1", f"{B[0]};;01-02-2024;;;;D2", f"{B[2]};{B[2]};01-02-2024;;;;D3",
            f"{invalid_checksum(B[3])};;01-02-2024;;;;D4", "12a;;01-02-2024;;;;D5", ";;01-02-2024;;;;D6",
            f"{B[4]};{invalid_checksum(B[5])};01-02-2024;;;;D7", f"{B[6]};;;;;;D8",
            f"{B[7]};;31-02-2024;;;;D9", f"{B[8]};;01-02-2099;01-02-2099;;01-01-2099;D10",
            f"{B[9]};;01-02-2024;;01-01-2024;;D11", f"{padded[1:]};;01-02-2024;;;;D12"]
    result, _ = run(csv_bytes(*rows, header=header), rules=Rules(invalid_threshold=1.0))
    future = "Datum ligt in de toekomst"
    checksum = "Geen geldig BSN: het nummer voldoet niet aan de 11-proef"
    assert [(i.row, i.field, i.code.value, i.dossiernummer, i.message) for i in result.issues] == [
        (3, "bsn", "duplicate_bsn", "D2",
         "BSN komt vaker voor; de regel die op de peildatum toegelaten is (anders de laatste "
         f"startdatum) is gebruikt: *****{B[0][-4:]}"),
        (4, "partner_bsn", "partner_is_client", "D3",
         "BSN partner is gelijk aan het BSN van de cliënt; partner niet gebruikt"),
        (5, "bsn", "bsn_checksum", "D4", checksum),
        (6, "bsn", "bsn_format", "D5", "Geen geldig BSN: een BSN bestaat uit 9 cijfers"),
        (7, "bsn", "required", "D6", "Verplicht veld is leeg"),
        (8, "partner_bsn", "bsn_checksum", "D7", checksum),
        (9, "startdatum", "required", "D8", "Verplicht veld is leeg"),
        (10, "startdatum", "date_format", "D9",
         "Datum niet herkend; gebruik dag-maand-jaar, bijvoorbeeld 03-04-2025: in het bestand "
         "staat '31-02-2024'"),
        # the dates of the case are shown as the file has them; the birth date never
        (11, "startdatum", "date_in_future", "D10",
         "Datum ligt in de toekomst: in het bestand staat '01-02-2099'"),
        (11, "toelatingsdatum", "date_in_future", "D10",
         "Datum ligt in de toekomst: in het bestand staat '01-02-2099'"),
        (11, "geboortedatum", "date_in_future", "D10", future),
        (12, "einddatum", "end_before_start", "D11",
         "Einddatum ligt voor de startdatum: in het bestand staat '01-01-2024'"),
        (13, "bsn", "bsn_left_padded", "D12", result.issues[-1].message),
    ]
    assert result.issues[-1].message.endswith(f"*****{padded[-4:]}")
    assert (result.total, result.valid) == (12, 4)  # D1, D2 (merged), D3, D12


def test_line_level_rules_name_the_dossier_and_count_what_they_say():
    header = "BSN;BSN partner;Startdatum traject;Einddatum;Huisnummer;Dossiernummer"
    rows = [f"{invalid_checksum(B[0])};{B[1]};01-02-2024;;;D1",  # a valid partner saves no one
            f"{B[2]};;01-02-2024;31-12-9999;;D2", f"{B[3]};;01-02-2024;9999-12-31;;D3",
            f"{B[4]};;01-02-2024;;012;D4",  # only the huisnummer is wrong: a warning
            f"{B[5]};;01-02-2024;;;D5\x00x", f"{B[6]};;01-02-2024;;;D6;;extra",
            f"{B[7]};;01-02-2024;;;" + "Z" * 60, f"{B[8]};;01-02-2024;;;" + "Y" * 255,
            f"{B[9]};;01-02-2024;;;" + "Y" * 256]
    result, records = run(csv_bytes(*rows, header=header), rules=Rules(invalid_threshold=1.0),
                          snapshot=True)
    assert [(i.row, i.field, i.code.value, i.dossiernummer) for i in result.issues] == [
        (None, "toelatingsdatum", "toelatingsdatum_column_missing", None),
        (2, "bsn", "bsn_checksum", "D1"),
        (5, "huisnummer", "huisnummer_format", "D4"),
        (6, "dossiernummer", "control_characters", "D5x"),
        (7, None, "column_count", "D6"),
        (10, None, "value_too_long", "Y" * 50),
        (None, "einddatum", "open_end_date", None),
    ]
    assert result.issues[4].message.endswith("8 velden, kopregel heeft er 6")
    assert result.issues[-1].message.endswith(": 2 regel(s)")
    assert (result.total, result.valid) == (9, 6)
    kept = {r[0]: (r[7], r[11], r[12]) for r in records}
    assert kept == {B[2]: ("", "", "D2"), B[3]: ("", "", "D3"), B[4]: ("", "", "D4"),
                    B[5]: ("", "", "D5x"), B[7]: ("", "", "Z" * 50), B[8]: ("", "", "Y" * 50)}


def test_every_date_rule_a_row_breaks_is_reported():
    header = "BSN;Startdatum traject;Datum toelating;Einddatum;Dossiernummer"
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024;01-02-2099;01-01-2024;D1", header=header),
                    rules=Rules(invalid_threshold=1.0))
    assert [(i.row, i.field, i.code) for i in result.issues] == [
        (2, "toelatingsdatum", Code.DATE_IN_FUTURE), (2, "einddatum", Code.END_BEFORE_START)]


DUPLICATE = "Twee kolommen hebben dezelfde betekenis: "


@pytest.mark.parametrize(("header", "shown"), [
    ("BSN;Burgerservicenummer;Startdatum traject", "'BSN' en 'Burgerservicenummer'"),
    (";".join(["BSN"] * 5) + ";Startdatum traject", " en ".join(["'BSN'"] * 5)),
    (";".join(["BSN"] * 7) + ";Startdatum traject", " en ".join(["'BSN'"] * 5) + " (en nog 2)"),
    (";".join(["BSN"] * 6) + ";Startdatum traject", " en ".join(["'BSN'"] * 5) + " (en nog 1)"),
])
def test_columns_with_the_same_meaning_are_named_at_most_five(header, shown):
    result, _ = run(csv_bytes("1;2", header=header))
    assert result.reason is Code.DUPLICATE_COLUMN
    assert [i.message for i in result.issues] == [DUPLICATE + shown]


def test_a_duplicate_column_name_is_shown_at_most_forty_characters():
    result, _ = run(csv_bytes("1;2", header="BSN;" + "x" * 45 + ";Startdatum traject"),
                    rules=Rules(column_aliases={"x" * 45: "bsn"}))
    assert result.reason is Code.DUPLICATE_COLUMN
    assert result.issues[0].message == DUPLICATE + f"'BSN' en '{'x' * 40}'"


IGNORED = "Kolom niet herkend en niet gebruikt: "


@pytest.mark.parametrize(("extra", "shown"), [
    ("Opmerking;123456782;01-02-2024", "Opmerking, 2 kolom(men) met een naam die op gegevens lijkt"),
    ("123456782", "1 kolom(men) met een naam die op gegevens lijkt"),
    ("Opmerking;Notitie", "Opmerking, Notitie"),
])
def test_file_level_notes_are_pinned_whole(extra, shown):
    """Columns not used are named (unless named like data: counted), the missing toelating
    column and the open end date are notes on their field."""
    n = extra.count(";") + 1
    header = f"BSN;Startdatum traject;{extra};Einddatum"
    rows = [f"{B[0]};01-02-2024;{';'.join(['x'] * n)};31-12-9999"]
    result, _ = run(csv_bytes(*rows, header=header))
    assert [(i.row, i.field, i.code, i.message) for i in result.issues] == [
        (None, None, Code.COLUMN_IGNORED, IGNORED + shown),
        (None, "toelatingsdatum", Code.TOELATINGSDATUM_COLUMN_MISSING, result.issues[1].message),
        (None, "einddatum", Code.OPEN_END_DATE, result.issues[2].message),
    ]
    assert result.summary()["people"] == 1 and result.accepted


def test_a_truncated_issue_list_says_how_many_there_were():
    result, _ = run(csv_bytes(*[f"x{i};01-02-2024;" for i in range(5)],
                              header="BSN;Startdatum traject;Einddatum"), max_issues=3)
    # Errors take the place of warnings once the list is full; the deciding issue is past it.
    assert [i.code for i in result.issues] == [
        Code.BSN_FORMAT, Code.BSN_FORMAT, Code.BSN_FORMAT,
        Code.TOO_MANY_INVALID, Code.ISSUES_TRUNCATED]
    assert result.issue_counts[Code.TOELATINGSDATUM_COLUMN_MISSING] == 1
    assert result.issues[-1].message.endswith(
        " (fouten gaan voor waarschuwingen): 3 van de 7 meldingen staan erin, elke soort is geteld")


def test_a_duplicate_column_is_reported_on_its_field():
    result, _ = run(csv_bytes("1;2;3", header="BSN;Burgerservicenummer;Startdatum traject"))
    assert [(i.code, i.field) for i in result.issues] == [(Code.DUPLICATE_COLUMN, "bsn")]


def test_progress_is_reported_every_50000_rows():
    from itertools import islice

    from devtools.sample import unique_bsns

    seen: list[int] = []
    rows = [f"{b};01-02-2024" for b in islice(unique_bsns(5), 120_000)]
    result, _ = run(csv_bytes(*rows, header="BSN;Startdatum traject"), progress=seen.append)
    assert result.valid == 120_000 and seen == [50_000, 100_000]


@pytest.mark.parametrize(("rule", "header", "basis"), [
    ("toelating", "BSN;Startdatum traject;Datum toelating", "toelatingsdatum"),
    ("start", "BSN;Startdatum traject;Datum toelating", "startdatum"),
    ("toelating", "BSN;Startdatum traject", "startdatum"),
])
def test_the_summary_names_the_date_that_admits(rule, header, basis):
    data = csv_bytes(f"{B[0]};01-02-2024" + (";01-03-2024" if "toelating" in header else ""),
                     header=header)
    result, _ = run(data, rules=Rules(eligibility_rule=rule))
    assert result.summary()["eligibility_basis"] == basis
