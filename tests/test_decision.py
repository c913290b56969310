"""The file-level decision (decision.py): its exact texts, carried-over records and issues, and
the mass-drop guard at its boundaries."""

from __future__ import annotations

import pytest

from shared.domain.bsn import mask_bsn
from shared.domain.issues import Code, Issue
from shared.domain.snapshot import SNAPSHOT_FIELDS
from shared.domain.validation import Rules
from shared.domain.validation.decision import carried_record
from tests.helpers import bsns, csv_bytes, run

B = bsns(30, seed=11)
END = SNAPSHOT_FIELDS.index("einddatum")


def valid_row(bsn: str) -> str:
    return f"{bsn};01-02-2024;01-02-2024;;"


def stored(bsn: str, *, naam: str = "Oud", dossier: str = "OUD-1", eind: str = "") -> list[str]:
    """A record as a snapshot in force holds it."""
    return [bsn, "", "1970-05-17", naam, "", "", "", "", "", "2024-02-01", "2024-02-01", eind,
            dossier, "", "", "", "2024-02-01", "7", "row"]


def only(result, code: Code) -> Issue:
    [found] = [i for i in result.issues if i.code is code]
    return found


@pytest.mark.parametrize(("bad", "threshold", "detail"), [
    (2, 0.05, "2 van 20 regels ongeldig, toegestaan is hoogstens 5%"),
    (3, 0.10, "3 van 20 regels ongeldig, toegestaan is hoogstens 10%"),
])
def test_too_many_invalid_rows_says_how_many_of_how_many_and_the_threshold(bad, threshold, detail):
    rows = [valid_row(b) for b in B[:20 - bad]] + [f"x{i};01-02-2024;;;" for i in range(bad)]
    result, _ = run(csv_bytes(*rows), rules=Rules(invalid_threshold=threshold, invalid_min_rows=1))
    assert result.reason is Code.TOO_MANY_INVALID and not result.accepted
    assert only(result, Code.TOO_MANY_INVALID) == Issue(Code.TOO_MANY_INVALID, detail=detail)


def test_a_held_mass_drop_says_how_many_would_leave_of_how_many_and_the_threshold():
    current = [stored(b) for b in B[:10]]
    result, _ = run(csv_bytes(*[valid_row(b) for b in B[:6]]), current=current)
    assert result.reason is Code.MASS_DROP_HELD and not result.accepted
    assert only(result, Code.MASS_DROP_HELD) == Issue(
        Code.MASS_DROP_HELD, detail="4 van 10 personen zouden verdwijnen, grens is 30%")
    result, _ = run(csv_bytes(*[valid_row(b) for b in B[:5]]), current=current,
                    rules=Rules(mass_drop_threshold=0.45))
    assert only(result, Code.MASS_DROP_HELD).detail == "5 van 10 personen zouden verdwijnen, grens is 45%"


@pytest.mark.parametrize(("removed", "min_removed", "held"), [
    (1, 1, True), (2, 2, True), (2, 3, False), (3, 3, True), (3, 4, False),
])
def test_the_mass_drop_guard_holds_from_exactly_its_minimum_number_removed(removed, min_removed, held):
    current = [stored(b) for b in B[:4]]
    result, _ = run(csv_bytes(*[valid_row(b) for b in B[removed:4]] or [valid_row(B[10])]),
                    current=current, rules=Rules(mass_drop_threshold=0.0,
                                                 mass_drop_min_removed=min_removed))
    assert result.removed == removed
    assert (result.reason is Code.MASS_DROP_HELD) is held and result.accepted is not held


def test_a_carried_over_person_gets_one_issue_on_the_bsn_of_their_first_invalid_line():
    keep, other = B[0], B[1]
    current = [stored(keep), stored(other), stored(keep, dossier="OUD-2")]  # keep twice: damaged
    data = csv_bytes(*[valid_row(b) for b in B[2:20]],
                     f"{keep};31-02-2024;;;D9",       # line 20: invalid (no such date)
                     f"{keep};01-13-2024;;;D9",       # line 21: invalid again
                     valid_row(other))
    result, records = run(data, current=current, snapshot=True,
                          rules=Rules(invalid_threshold=0.2, mass_drop_threshold=0.5))
    assert result.accepted and result.carried_over == 1 and result.removed == 1
    carried = [i for i in result.issues if i.code is Code.CARRIED_OVER]
    assert carried == [Issue(Code.CARRIED_OVER, 20, "bsn", mask_bsn(keep))]
    [kept] = [r for r in records if r[0] == keep]
    assert kept == [*stored(keep)[:-1], "carried_over"]


def test_a_carried_record_is_held_to_todays_rules():
    record = stored(B[0], naam="Jan\x07sen\u200b", dossier="ZK-\u0661\u0662\u0663", eind="9999-12-31")
    record[SNAPSHOT_FIELDS.index("contact_naam")] = "Yılmaz"  # other script, printable: kept
    record[SNAPSHOT_FIELDS.index("voorletters")] = "J.\x1b[31m"  # ASCII, not printable
    expected = list(record)
    expected[SNAPSHOT_FIELDS.index("achternaam")] = "Jansen"
    expected[SNAPSHOT_FIELDS.index("dossiernummer")] = "ZK-123"
    expected[SNAPSHOT_FIELDS.index("voorletters")] = "J."
    expected[END] = ""
    expected[-1] = "carried_over"
    original = list(record)
    assert carried_record(record) == expected
    assert record == original  # the stored record is not changed in place
    for eind, kept in [("9999-01-01", ""), ("2026-12-31", "2026-12-31"), ("", "")]:
        assert carried_record(stored(B[0], eind=eind))[END] == kept


def test_carried_records_reach_the_snapshot_cleaned():
    current = [stored(B[0], naam="Jan\x07sen", dossier="ZK-\u0661\u0662", eind="9999-12-31")]
    data = csv_bytes(f"{B[0]};31-02-2024;;;", *[valid_row(b) for b in B[1:20]])
    result, records = run(data, current=current, snapshot=True)
    assert result.accepted and result.carried_over == 1
    [kept] = [r for r in records if r[0] == B[0]]
    assert kept[SNAPSHOT_FIELDS.index("achternaam")] == "Jansen"
    assert kept[SNAPSHOT_FIELDS.index("dossiernummer")] == "ZK-12"
    assert kept[END] == "" and kept[-1] == "carried_over"
