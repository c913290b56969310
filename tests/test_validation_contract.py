"""What validation hands on, pinned whole: the summary (outcome entities, logs), the
``vish validate --json`` contract and the organisation's rules as validation reads them.

Other parts rely on these names and values (ARCHITECTURE.md), so each is compared as a literal.
"""

from __future__ import annotations

import hashlib

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
        f"{B[1]};01-02-2024;;;D2",               # valid, not admitted yet: ineligible
        f"{B[2]};01-02-2099;01-02-2024;;D3",     # start in the future: invalid, carried over
        f"{B[3]};01-02-2024;01-02-2024;2024-01-01;D4",  # end before start: invalid, carried
        f"{B[4]};01-02-2024;01-02-2024;;D5",
        f"{B[4]};01-02-2024;01-02-2024;;D6",     # the same person again: merged, a warning
    )
    result, _ = run(data, current=current, rules=Rules(invalid_threshold=0.5))
    assert result.summary() == {
        "decision": "accepted", "reason": None,
        "rows_total": 6, "rows_valid": 4, "rows_invalid": 2, "rows_ineligible": 1,
        "people": 5, "current_people": 5, "people_removed": 1, "carried_over": 2,
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
    assert (summary["errors"], summary["warnings"]) == (0, 1)
    assert [i.code for i in result.issues] == [Code.TOELATINGSDATUM_COLUMN_MISSING]


def test_the_contract_of_a_rejected_extract():
    data = csv_bytes(f"{B[0]};01-02-2024;01-02-2024;;D1", f"{invalid_checksum(B[1])};01-02-2024;;;D2")
    result, _ = run(data)
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
    assert "1 van 2 regels ongeldig, toegestaan is 5%" in result.issues[1].message
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
