"""The validation rules, one requirement per test, on in-memory extracts."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.domain.validation.fast_path as fast_path
from shared.domain.issues import Code, Severity
from shared.domain.snapshot import SNAPSHOT_FIELDS
from shared.domain.validation import Rules
from tests.helpers import TODAY, bsns, codes, csv_bytes, invalid_checksum, run

B = bsns(40)
FULL_HEADER = ("BSN;BSN partner;Geboortedatum;Achternaam;Tussenvoegsel;Voorletters;Postcode;Huisnummer;"
               "Toevoeging;Startdatum traject;Datum toelating;Einddatum;Dossiernummer;Contactpersoon;"
               "Telefoonnummer;E-mail")


def full(bsn, *, partner="", geb="01-02-1980", naam="Jansen", postcode="1234 AB", huisnr="12",
         start="01-03-2024", toel="05-03-2024", eind="", dossier="D1", tel="014 0999",
         mail="schuldhulp@voorbeeld.nl") -> str:
    return ";".join([bsn, partner, geb, naam, "", "J.", postcode, huisnr, "", start, toel, eind, dossier,
                     "A. de Wit", tel, mail])


def records_by_bsn(records):
    return {r[0]: dict(zip(SNAPSHOT_FIELDS, r, strict=True)) for r in records}


def issue(result, code):
    return next(i for i in result.issues if i.code is code)


def test_a_clean_extract_is_accepted_and_normalised():
    data = csv_bytes(full(B[0]), full(B[1], postcode="1234ab", start="2024-03-01", toel="20240305"),
                     header=FULL_HEADER)
    result, records = run(data, snapshot=True)
    assert result.accepted and (result.total, result.valid, result.invalid) == (2, 2, 0)
    rec = records_by_bsn(records)
    assert rec[B[1]]["postcode"] == "1234AB" and rec[B[0]]["postcode"] == "1234AB"
    assert rec[B[1]]["startdatum"] == "2024-03-01" and rec[B[1]]["toelatingsdatum"] == "2024-03-05"
    assert rec[B[0]]["geboortedatum"] == "1980-02-01"
    assert rec[B[0]]["eligible_from"] == "2024-03-05" and rec[B[0]]["origin"] == "row"


def test_rejects_a_file_without_the_bsn_column_naming_the_column_and_headers_found():
    result, _ = run(csv_bytes("1;01-02-2024", header="Klantnummer;Startdatum"))
    assert result.reason is Code.MISSING_COLUMN
    [missing] = [i for i in result.issues if i.code is Code.MISSING_COLUMN]
    assert missing.field == "bsn" and "Klantnummer" in missing.message and "Startdatum" in missing.message


def test_a_data_row_in_place_of_the_header_is_not_echoed_in_the_report():
    result, _ = run(f"{B[0]};01-02-2024;Jansen\r\n{B[1]};01-02-2024;Bakker\r\n".encode())
    assert result.reason is Code.MISSING_COLUMN
    text = " ".join(i.message for i in result.issues)
    assert B[0] not in text and "Jansen" not in text and "gegevens" in text


def test_header_aliases_are_case_space_and_accent_insensitive():
    header = "  burgerServiceNummer ;START DATUM TRAJECT;datum_toelating;Beëindigingsdatum;Dossier-nr"
    result, records = run(csv_bytes(f"{B[0]};01-02-2024;01-02-2024;01-02-2030;X9", header=header),
                          snapshot=True)
    assert result.accepted
    assert records_by_bsn(records)[B[0]]["einddatum"] == "2030-02-01"
    assert records_by_bsn(records)[B[0]]["dossiernummer"] == "X9"


def test_organisation_column_aliases_override_the_defaults():
    rules = Rules(column_aliases={"Klant-ID (BSN)": "bsn", "Aanvang": "startdatum"})
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024", header="Klant-ID (BSN);Aanvang"), rules=rules)
    assert result.accepted and result.valid == 1


def test_two_columns_for_one_field_reject_the_file():
    result, _ = run(csv_bytes(f"{B[0]};{B[1]};01-02-2024", header="BSN;Burgerservicenummer;Startdatum"))
    assert result.reason is Code.DUPLICATE_COLUMN


def test_unknown_columns_are_reported_once_and_not_kept():
    result, records = run(csv_bytes(f"{B[0]};01-02-2024;01-02-2024;geheim", header=HEADER_EXTRA),
                          snapshot=True)
    assert codes(result).count("column_ignored") == 1
    assert "geheim" not in str(records)


HEADER_EXTRA = "BSN;Startdatum;Datum toelating;Opmerkingen"


def test_bsn_checksum_and_format_errors_make_the_row_invalid():
    data = csv_bytes(f"{invalid_checksum(B[0])};01-02-2024;01-02-2024;;D1", "12AB;01-02-2024;;;D2",
                     ";01-02-2024;;;D3", *[f"{b};01-02-2024;01-02-2024;;" for b in B[1:20]])
    result, _ = run(data, rules=Rules(invalid_threshold=0.5))
    assert (result.total, result.invalid) == (22, 3)
    assert [(i.code, i.row, i.field, i.dossiernummer) for i in result.issues] == [
        (Code.BSN_CHECKSUM, 2, "bsn", "D1"), (Code.BSN_FORMAT, 3, "bsn", "D2"),
        (Code.REQUIRED, 4, "bsn", "D3")]


def test_an_eight_digit_bsn_is_left_padded_with_a_warning():
    eight = next(b for b in bsns(400, seed=9) if b.startswith("0"))[1:]
    result, records = run(csv_bytes(f"{eight};01-02-2024;01-02-2024;;"), snapshot=True)
    assert result.accepted and result.valid == 1
    warning = issue(result, Code.BSN_LEFT_PADDED)
    assert warning.severity is Severity.WARNING and warning.row == 2
    assert records[0][0] == "0" + eight
    assert "0" + eight not in warning.message and eight not in warning.message


@pytest.mark.parametrize(("start", "toel", "eind", "expected"), [
    ("31-12-2026", "", "", Code.DATE_IN_FUTURE),
    ("01-02-2024", "01-01-2027", "", Code.DATE_IN_FUTURE),
    ("01-02-2024", "", "31-01-2024", Code.END_BEFORE_START),
    ("12/31/2024", "", "", Code.DATE_FORMAT),
    ("2024-13-01", "", "", Code.DATE_FORMAT),
    ("", "01-02-2024", "", Code.REQUIRED),
])
def test_date_rules(start, toel, eind, expected):
    result, _ = run(csv_bytes(f"{B[0]};{start};{toel};{eind};D1"), rules=Rules(invalid_threshold=1))
    assert result.invalid == 1 and expected in [i.code for i in result.issues]


def test_a_birth_date_in_the_future_is_an_error_and_never_echoed():
    result, _ = run(csv_bytes(full(B[0], geb="01-01-2030"), header=FULL_HEADER),
                    rules=Rules(invalid_threshold=1))
    assert result.invalid == 1 and issue(result, Code.DATE_IN_FUTURE).field == "geboortedatum"
    assert "2030" not in " ".join(i.message for i in result.issues)


@pytest.mark.parametrize(("kwargs", "code", "field", "index"), [
    ({"postcode": "12345"}, Code.POSTCODE_FORMAT, "postcode", 6),
    ({"huisnr": "12a"}, Code.HUISNUMMER_FORMAT, "huisnummer", 7),
    ({"mail": "geen-mail"}, Code.EMAIL_FORMAT, "contact_email", 15),
    ({"tel": "bel mij"}, Code.PHONE_FORMAT, "contact_telefoon", 14),
])
def test_optional_fields_with_a_bad_shape_are_warned_about_and_left_out(kwargs, code, field, index):
    result, records = run(csv_bytes(full(B[0], **kwargs), header=FULL_HEADER), snapshot=True)
    assert result.accepted and result.valid == 1
    warning = issue(result, code)
    assert warning.severity is Severity.WARNING and warning.field == field
    assert records[0][index] == ""


def test_duplicate_bsn_is_merged_latest_startdatum_wins():
    data = csv_bytes(full(B[0], start="01-03-2024", dossier="OUD"), full(B[1]),
                     full(B[0], start="01-06-2024", toel="02-06-2024", dossier="NIEUW"),
                     full(B[0], start="01-01-2024", dossier="OUDST"), header=FULL_HEADER)
    result, records = run(data, snapshot=True)
    assert result.accepted and result.valid == 4 and result.people == 2
    assert [i.row for i in result.issues if i.code is Code.DUPLICATE_BSN] == [4, 5]
    rec = records_by_bsn(records)
    assert len(records) == 2 and rec[B[0]]["dossiernummer"] == "NIEUW"
    assert all(B[0] not in i.message for i in result.issues)


def test_partners_are_both_registered_and_an_own_row_beats_the_derived_record():
    data = csv_bytes(full(B[0], partner=B[1], dossier="GEZIN"), full(B[2], partner=B[3]),
                     full(B[3], naam="Eigen", dossier="EIGEN", start="01-01-2024"), header=FULL_HEADER)
    result, records = run(data, snapshot=True)
    rec = records_by_bsn(records)
    assert set(rec) == set(B[:4]) and result.people == 4
    assert rec[B[1]]["origin"] == "partner" and rec[B[1]]["partner_bsn"] == B[0]
    assert rec[B[1]]["dossiernummer"] == "GEZIN" and rec[B[1]]["achternaam"] == ""
    assert rec[B[3]]["origin"] == "row" and rec[B[3]]["dossiernummer"] == "EIGEN"
    assert Code.DUPLICATE_BSN not in [i.code for i in result.issues]


def test_partner_equal_to_client_is_dropped_with_a_warning():
    result, records = run(csv_bytes(full(B[0], partner=B[0]), header=FULL_HEADER), snapshot=True)
    assert result.accepted and len(records) == 1 and records[0][1] == ""
    assert Code.PARTNER_IS_CLIENT in [i.code for i in result.issues]


def test_eligibility_is_counted_apart_from_validity():
    ref = date(2025, 1, 1)
    data = csv_bytes(f"{B[0]};01-02-2024;01-02-2024;;",  # eligible
                     f"{B[1]};01-02-2024;;;",  # no toelatingsdatum yet: not eligible
                     f"{B[2]};01-02-2024;01-02-2024;31-12-2024;",  # ended before ref
                     f"{B[3]};01-02-2024;01-01-2025;;",  # admitted on ref: eligible
                     f"{B[4]};01-02-2024;02-01-2025;;",  # admitted after ref
                     f"{B[5]};01-02-2024;01-02-2024;01-01-2025;")  # ends on ref: still eligible
    result, _ = run(data, reference_date=ref)
    assert (result.total, result.valid, result.invalid, result.ineligible) == (6, 6, 0, 3)


def test_rule_start_uses_the_startdatum():
    data = csv_bytes(f"{B[0]};01-02-2024;;;", f"{B[1]};01-02-2024;01-02-2024;;")
    assert run(data, rules=Rules(eligibility_rule="start"))[0].ineligible == 0
    assert run(data)[0].ineligible == 1


def test_without_a_toelatingsdatum_column_the_startdatum_counts_with_one_file_warning():
    data = csv_bytes(f"{B[0]};01-02-2024", f"{B[1]};01-02-2024", header="BSN;Startdatum")
    result, records = run(data, snapshot=True)
    assert result.ineligible == 0 and result.eligibility_basis == "startdatum"
    assert codes(result).count("toelatingsdatum_column_missing") == 1
    assert all(r[16] == "2024-02-01" for r in records)


def test_rejects_when_invalid_rows_exceed_the_threshold():
    good = [f"{b};01-02-2024;01-02-2024;;" for b in B[:19]]
    one_bad = csv_bytes(*good, "x;01-02-2024;;;")  # 1 of 20 = 5 %: not more than 5 %
    two_bad = csv_bytes(*good[:18], "x;01-02-2024;;;", "y;01-02-2024;;;")  # 10 %
    share_only = Rules(invalid_min_rows=1)  # the share alone (the minimum has its own tests)
    assert run(one_bad, rules=share_only)[0].accepted
    result, _ = run(two_bad, rules=share_only)
    assert result.reason is Code.TOO_MANY_INVALID and result.decision == "rejected"


def snapshot_records(bsn_list):
    return [[b, "", "", "", "", "", "", "", "", "2024-02-01", "2024-02-01", "", "", "", "", "",
             "2024-02-01", "2", "row"] for b in bsn_list]


def test_rejects_extract_that_drops_more_than_the_mass_drop_threshold_of_current_clients():
    current = snapshot_records(B[:10])
    keeps_six = csv_bytes(*[f"{b};01-02-2024;01-02-2024;;" for b in B[:6]])  # removes 40 %
    result, _ = run(keeps_six, current=current)
    assert result.reason is Code.MASS_DROP_HELD and (result.removed, result.current_people) == (4, 10)
    keeps_seven = csv_bytes(*[f"{b};01-02-2024;01-02-2024;;" for b in B[:7]])  # removes 30 %
    assert run(keeps_seven, current=current)[0].accepted
    assert run(keeps_six, current=current, override_mass_drop=True)[0].accepted


@pytest.mark.parametrize(("min_removed", "held"), [(3, True), (4, True), (5, False)])
def test_the_mass_drop_guard_holds_from_its_minimum_number_removed(min_removed, held):
    """mass_drop_min_removed is the least number of people that must disappear for the guard to
    hold the file: 4 removed of 10 (40 %) holds at a minimum of 3 or 4, not at 5."""
    current = snapshot_records(B[:10])
    keeps_six = csv_bytes(*[f"{b};01-02-2024;01-02-2024;;" for b in B[:6]])
    result, _ = run(keeps_six, current=current, rules=Rules(mass_drop_min_removed=min_removed))
    assert result.removed == 4
    assert (result.reason is Code.MASS_DROP_HELD) is held and result.accepted is not held


def test_a_registered_person_with_an_invalid_row_today_keeps_the_earlier_record():
    current = snapshot_records(B[:20])
    rows = [f"{b};01-02-2024;01-02-2024;;" for b in B[1:20]]
    data = csv_bytes(f"{B[0]};31-12-2099;;;BROKEN", *rows)  # B[0]'s row is invalid today
    result, records = run(data, current=current, snapshot=True)
    assert result.accepted and result.carried_over == 1 and result.removed == 0
    rec = records_by_bsn(records)
    assert rec[B[0]]["origin"] == "carried_over" and rec[B[0]]["startdatum"] == "2024-02-01"
    carried = issue(result, Code.CARRIED_OVER)
    assert carried.row == 2 and B[0] not in carried.message and B[0][-4:] in carried.message


def test_issue_list_is_capped_but_counts_are_complete():
    data = csv_bytes(*[f"x{i};01-02-2024;;;" for i in range(50)])
    result, _ = run(data, max_issues=10)
    assert result.issue_counts[Code.BSN_FORMAT] == 50
    # The first ten, then the deciding issue (always listed), then the note that some are not.
    assert [i.code for i in result.issues[9:]] == [
        Code.BSN_FORMAT, Code.TOO_MANY_INVALID, Code.ISSUES_TRUNCATED]


def test_contract_shape_of_the_json_output():
    result, _ = run(csv_bytes(f"{B[0]};01-02-2024;;;", "x;01-02-2024;;;"), rules=Rules(invalid_threshold=1))
    contract = result.to_contract()
    assert contract["rows"] == {"total": 2, "valid": 1, "invalid": 1, "ineligible": 1}
    assert contract["decision"] == "accepted" and contract["reason"] is None
    first = contract["issues"][0]
    assert {"row", "field", "code", "message"} <= set(first) and first["row"] == 3


# -- the inline shortcut decides exactly as the per-record path --------------------------------------
RAW = "raw:"
CELLS = {
    "bsn": st.sampled_from([B[0], B[1], B[2], invalid_checksum(B[3]), B[4][1:], "", " " + B[5], "12a"]),
    "partner": st.sampled_from(["", "", B[6], B[0], invalid_checksum(B[7])]),
    "date": st.sampled_from(["01-02-2024", "1-2-2024", "2024-02-01", "", "31-02-2024", "01-01-2030",
                             "20240201", " 05-05-2020", "12/31/2024", "31-12-9999", "9999-12-31",
                             "01-02-2\x0024", "١٢-٠٢-٢٠٢٤"]),
    "postcode": st.sampled_from(["1234 AB", "1234ab", "", "12345", "1234  AB"]),
    "huisnr": st.sampled_from(["12", "", "12a", "0", "١٢"]),
    # RAW: written without quoting (a stray quote as exports write them)
    "text": st.sampled_from(["Jansen", "", " de Vries", "Yılmaz", "\xa0x", 'a"b', "J\x00an",
                             "a\x1b[2J\x1b[31mb", "ZK-١٢٣", "\u200bx", "１２", RAW + 'O"Neill',
                             RAW + '"t Hart', "x\x85y"]),
    "tel": st.sampled_from(["014 0999", "", "+31 6 12345678", "bel"]),
    "mail": st.sampled_from(["a@b.nl", "", "geen"]),
}


@st.composite
def extract_lines(draw):
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        cells = [draw(CELLS["bsn"]), draw(CELLS["partner"]), draw(CELLS["date"]), draw(CELLS["text"]),
                 "", "J.", draw(CELLS["postcode"]), draw(CELLS["huisnr"]), "", draw(CELLS["date"]),
                 draw(CELLS["date"]), draw(CELLS["date"]), draw(CELLS["text"]), "W",
                 draw(CELLS["tel"]), draw(CELLS["mail"])]
        if draw(st.booleans()):  # every field quoted, as some exports write them
            rows.append(";".join(c[len(RAW):] if c.startswith(RAW) else
                                 '"' + c.replace('"', '""') + '"' for c in cells))
        else:
            rows.append(";".join(c[len(RAW):] if c.startswith(RAW) else f'"{c}"' if '"' in c else c
                                 for c in cells))
    return rows


def current_of_everyone() -> list[list[str]]:
    """A snapshot in force naming every person the drawn lines can name, most of them eligible
    today and two not (ended): the summary's people_removed and people_ineligible_now then
    show, person by person, whom each pass found on an eligible row, on a valid row only, on
    an invalid row (carried over) or nowhere."""
    current = []
    for k, bsn in enumerate(B[:8]):
        record = dict.fromkeys(SNAPSHOT_FIELDS, "")
        record.update(bsn=bsn, startdatum="2024-02-01", eligible_from="2024-02-01",
                      einddatum="2025-01-01" if k in (2, 6) else "", source_row="2", origin="row")
        current.append(list(record.values()))
    return current


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(extract_lines())
def test_fast_path_gives_the_same_result_as_the_per_record_path(monkeypatch_rows):
    data = csv_bytes(*monkeypatch_rows, header=FULL_HEADER)
    # never held, so that the snapshots are compared too
    rules = Rules(invalid_threshold=1, mass_drop_threshold=1.0)
    fast_result, fast_records = run(data, snapshot=True, rules=rules, current=current_of_everyone())
    fast_path.FAST_PATH = False
    try:
        slow_result, slow_records = run(data, snapshot=True, rules=rules,
                                        current=current_of_everyone())
    finally:
        fast_path.FAST_PATH = True
    assert fast_result.to_contract() == slow_result.to_contract()
    assert fast_result.summary() == slow_result.summary()
    assert sorted(fast_records) == sorted(slow_records)


def test_today_bounds_the_dates_not_the_reference_date():
    data = csv_bytes(f"{B[0]};01-02-2026;01-02-2026;;")
    result, _ = run(data, today=TODAY, reference_date=date(2025, 1, 1))
    assert result.accepted and result.ineligible == 1
