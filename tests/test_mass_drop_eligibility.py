"""The mass-drop guard counts people who stay in the file but are no longer eligible (issue 10).

An export that sets every einddatum in the past (or empties every toelatingsdatum) still names
everyone, but the next delivery would name nobody: bailiffs resume collection. Such people leave
VISH as surely as people missing from the file, so the guard counts them: a person of the current
snapshot whose record there is eligible on the reference date, and who in the new extract has no
eligible valid row (own, or as the partner on an eligible client's row) and is not carried over.
Somebody who was not eligible and still is not does not leave. Every test runs on both passes
over the records (the inline shortcut and the per-record path) and expects the same counts.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

import shared.domain.validation.fast_path as fast_path
from shared.domain.issues import Code
from shared.domain.snapshot import SNAPSHOT_FIELDS
from shared.domain.validation import Rules, records
from tests.helpers import TODAY, bsns, csv_bytes, run

B = bsns(40, seed=101)
ENDED = (TODAY - timedelta(days=3)).strftime("%d-%m-%Y")  # valid (after the start), in the past
PARTNER_HEADER = "BSN;BSN partner;Startdatum traject;Datum toelating;Einddatum;Dossiernummer"
OF_WHICH = "niet meer toegelaten: einddatum verstreken of toelating leeg of in de toekomst"


def stored(bsn: str, *, eligible_from: str = "2024-02-01", eind: str = "") -> list[str]:
    """A record as the snapshot in force holds it."""
    record = dict.fromkeys(SNAPSHOT_FIELDS, "")
    record.update(bsn=bsn, startdatum="2024-02-01", toelatingsdatum=eligible_from,
                  einddatum=eind, eligible_from=eligible_from, source_row="2", origin="row")
    return list(record.values())


def row(bsn: str, *, start: str = "01-02-2024", toel: str = "01-02-2024", eind: str = "") -> str:
    return f"{bsn};{start};{toel};{eind};D-{bsn[-3:]}"


@pytest.fixture(params=["shortcut", "per_record"])
def validate(request, monkeypatch):
    """``run`` on one of the two passes; returns the result, the snapshot written and how many
    records went through :meth:`RecordChecker.check` (the shortcut must take clean ones)."""
    shortcut = request.param == "shortcut"
    monkeypatch.setattr(fast_path, "FAST_PATH", shortcut)
    checked = []
    check = records.RecordChecker.check

    def counting(self, cells, ln):
        checked.append(ln)
        return check(self, cells, ln)

    monkeypatch.setattr(records.RecordChecker, "check", counting)

    def go(data: bytes, current: list[list[str]], **kwargs):
        checked.clear()
        result, written = run(data, current=current, snapshot=True, **kwargs)
        return result, written, len(checked)

    go.shortcut = shortcut
    return go


def held_detail(result) -> str:
    [issue] = [i for i in result.issues if i.code is Code.MASS_DROP_HELD]
    return issue.detail


# -- an export that ends everyone ---------------------------------------------------------------
def test_an_export_that_ends_everyone_is_held_and_counts_them(validate):
    current = [stored(b) for b in B[:20]]
    result, written, checked = validate(csv_bytes(*[row(b, eind=ENDED) for b in B[:20]]), current)
    assert result.valid == 20 and result.ineligible == 20  # every row is right, nobody eligible
    assert result.reason is Code.MASS_DROP_HELD and not result.accepted and written == []
    assert (result.current_people, result.removed, result.removed_ineligible) == (20, 20, 20)
    assert held_detail(result) == f"20 van 20 personen zouden verdwijnen (waarvan 20 {OF_WHICH}), " \
                                  "grens is 30%"
    summary = result.summary()
    assert (summary["people_removed"], summary["people_ineligible_now"]) == (20, 20)
    assert checked == (0 if validate.shortcut else 20)


def test_the_count_is_the_people_who_leave_whether_missing_or_ended(validate):
    current = [stored(b) for b in B[:20]]
    lines = [row(b, eind=ENDED) for b in B[:12]] + [row(b) for b in B[12:17]]  # B[17:20]: gone
    result, _, _ = validate(csv_bytes(*lines), current)
    assert result.reason is Code.MASS_DROP_HELD
    assert (result.current_people, result.removed, result.removed_ineligible) == (20, 15, 12)
    assert held_detail(result) == f"15 van 20 personen zouden verdwijnen (waarvan 12 {OF_WHICH}), " \
                                  "grens is 30%"


def test_without_ineligible_leavers_the_held_text_is_as_before(validate):
    current = [stored(b) for b in B[:10]]
    result, _, _ = validate(csv_bytes(*[row(b) for b in B[:6]]), current)
    assert (result.removed, result.removed_ineligible) == (4, 0)
    assert held_detail(result) == "4 van 10 personen zouden verdwijnen, grens is 30%"


def test_a_release_accepts_it_with_the_counts(validate):
    current = [stored(b) for b in B[:10]]
    result, written, _ = validate(csv_bytes(*[row(b, eind=ENDED) for b in B[:10]]), current,
                                  override_mass_drop=True)
    assert result.accepted and (result.removed, result.removed_ineligible) == (10, 10)
    assert sorted(r[0] for r in written) == sorted(B[:10])


# -- admission moved: after the reference date, or emptied --------------------------------------
@pytest.mark.parametrize(("rule", "moved", "held"), [
    ("toelating", "toel", True),    # the toelatingsdatum admits: moved past the reference date
    ("start", "start", True),       # the startdatum admits
    ("start", "toel", False),       # the toelatingsdatum does not count under rule start
])
def test_admission_moved_after_the_reference_date_is_held_where_it_admits(validate, rule, moved,
                                                                          held):
    ref = TODAY - timedelta(days=30)
    later = (TODAY - timedelta(days=5)).strftime("%d-%m-%Y")  # not after today: a valid row
    current = [stored(b) for b in B[:10]]
    lines = [row(b, **{moved: later}) for b in B[:10]]
    result, _, _ = validate(csv_bytes(*lines), current, reference_date=ref,
                            rules=Rules(eligibility_rule=rule))
    assert result.valid == 10
    assert (result.removed, result.removed_ineligible) == ((10, 10) if held else (0, 0))
    assert (result.reason is Code.MASS_DROP_HELD) is held and result.accepted is not held


def test_an_emptied_toelatingsdatum_is_held(validate):
    current = [stored(b) for b in B[:10]]
    result, _, _ = validate(csv_bytes(*[row(b, toel="") for b in B[:10]]), current)
    assert result.valid == 10 and result.reason is Code.MASS_DROP_HELD
    assert (result.removed, result.removed_ineligible) == (10, 10)


def test_a_toelatingsdatum_after_today_is_an_invalid_row_so_the_person_is_carried(validate):
    later = (TODAY + timedelta(days=2)).strftime("%d-%m-%Y")
    current = [stored(b) for b in B[:20]]
    lines = [row(B[0], toel=later)] + [row(b) for b in B[1:20]]
    result, written, _ = validate(csv_bytes(*lines), current, rules=Rules(invalid_threshold=0.1))
    assert result.accepted and (result.carried_over, result.removed) == (1, 0)
    assert {r[0]: r[-1] for r in written}[B[0]] == "carried_over"


# -- the threshold ------------------------------------------------------------------------------
def test_below_the_threshold_it_is_accepted_and_counted(validate):
    current = [stored(b) for b in B[:10]]
    lines = [row(b, eind=ENDED) for b in B[:2]] + [row(b) for b in B[2:9]]  # B[9]: gone
    result, written, _ = validate(csv_bytes(*lines), current)
    assert result.accepted and (result.removed, result.removed_ineligible) == (3, 2)  # 30%
    assert result.summary()["people_removed"] == 3
    assert result.summary()["people_ineligible_now"] == 2
    assert sorted(r[0] for r in written) == sorted(B[:9])  # ended people keep their record
    lines[2] = row(B[2], eind=ENDED)  # one more: 40%
    result, _, _ = validate(csv_bytes(*lines), current)
    assert result.reason is Code.MASS_DROP_HELD and (result.removed, result.removed_ineligible) == (4, 3)


def test_ended_people_count_towards_the_minimum_removed(validate):
    current = [stored(b) for b in B[:10]]
    lines = [row(b, eind=ENDED) for b in B[:2]] + [row(b) for b in B[2:10]]
    strict = Rules(mass_drop_threshold=0.0, mass_drop_min_removed=2)
    assert validate(csv_bytes(*lines), current, rules=strict)[0].reason is Code.MASS_DROP_HELD
    lines[1] = row(B[1])
    assert validate(csv_bytes(*lines), current, rules=strict)[0].accepted


# -- who does not leave ------------------------------------------------------------------------
def test_people_not_eligible_before_who_stay_so_do_not_leave(validate):
    current = ([stored(b, eind="2025-01-01") for b in B[:6]]      # ended before the reference date
               + [stored(b, eligible_from="") for b in B[6:10]]     # not admitted yet
               + [stored(b) for b in B[10:14]])
    lines = ([row(b, eind="01-01-2025") for b in B[:6]] + [row(b, toel="") for b in B[6:10]]
             + [row(b) for b in B[10:14]])
    result, _, _ = validate(csv_bytes(*lines), current)
    assert result.accepted and result.ineligible == 10
    assert (result.current_people, result.removed, result.removed_ineligible) == (14, 0, 0)


def test_people_missing_from_the_file_count_as_before_eligible_or_not(validate):
    current = [stored(B[0], eind="2025-01-01")] + [stored(b) for b in B[1:10]]
    result, _, _ = validate(csv_bytes(*[row(b) for b in B[1:9]]), current)
    assert result.accepted and (result.removed, result.removed_ineligible) == (2, 0)


def test_an_ended_client_who_is_the_partner_on_an_eligible_row_stays(validate):
    client, other, dropped = B[0], B[1], B[2]
    current = [stored(b) for b in (client, other, dropped, *B[3:10])]
    lines = [f"{client};;01-02-2024;01-02-2024;{ENDED};D1",       # own row: ended
             f"{other};{client};01-02-2024;01-02-2024;;D2",        # partner on an eligible row
             f"{dropped};;01-02-2024;01-02-2024;{ENDED};D3",       # ended, no other row: leaves
             *[f"{b};;01-02-2024;01-02-2024;;D" for b in B[3:10]]]
    result, _, _ = validate(csv_bytes(*lines, header=PARTNER_HEADER), current)
    assert result.accepted and (result.removed, result.removed_ineligible) == (1, 1)


def test_a_partner_counts_with_the_client_rows_dates(validate):
    """A partner only on an ended client's row has that row's dates: leaves; a partner on an
    eligible row stays, though the partner has no own row."""
    current = [stored(b) for b in B[:10]]
    lines = [f"{B[0]};{B[1]};01-02-2024;01-02-2024;{ENDED};D1",   # both ended
             f"{B[2]};{B[3]};01-02-2024;01-02-2024;;D2",           # both eligible
             *[f"{b};;01-02-2024;01-02-2024;;D" for b in B[4:10]]]
    result, _, _ = validate(csv_bytes(*lines, header=PARTNER_HEADER), current,
                            rules=Rules(mass_drop_threshold=0.5))
    assert result.accepted and (result.removed, result.removed_ineligible) == (2, 2)


def test_carried_over_people_do_not_leave(validate):
    current = [stored(b) for b in B[:20]]
    lines = [row(b, start="31-02-2024") for b in B[:3]] + [row(b) for b in B[3:20]]  # 3 invalid
    result, written, _ = validate(csv_bytes(*lines), current, rules=Rules(invalid_threshold=0.2))
    assert result.accepted and (result.carried_over, result.removed) == (3, 0)
    assert result.removed_ineligible == 0
    assert sorted(r[0] for r in written if r[-1] == "carried_over") == sorted(B[:3])


def test_an_unreadable_date_in_the_current_snapshot_counts_the_person_as_leaving(validate):
    """``decide`` is given snapshot records as read; a damaged date must not crash it, and the
    guard errs on the side of holding."""
    current = [stored(b) for b in B[:10]]
    current[0][SNAPSHOT_FIELDS.index("eligible_from")] = "01-02-2024"  # not ISO: unreadable
    current[1][SNAPSHOT_FIELDS.index("einddatum")] = "2024-02-31"
    lines = [row(b, eind=ENDED) for b in B[:2]] + [row(b) for b in B[2:10]]
    result, _, _ = validate(csv_bytes(*lines), current)
    assert result.accepted and (result.removed, result.removed_ineligible) == (2, 2)


# -- through the intake, on Azurite ------------------------------------------------------------
@pytest.mark.integration
def test_the_intake_holds_an_export_that_ends_everyone(intake, azurite, org_code):
    from tests.test_intake_azurite import drop_and_trigger

    today = date.today()  # the intake reads the real clock
    ended = (today - timedelta(days=5)).strftime("%d-%m-%Y")
    header = "BSN;Startdatum;Datum toelating;Einddatum;Dossiernummer"
    people = B[:30]
    good = [f"{b};01-02-2024;01-02-2024;;D{i}" for i, b in enumerate(people)]
    drop_and_trigger(intake, azurite, org_code, "\n".join([header, *good]).encode())
    container = intake.settings.snapshots_container
    before = intake.blobs.info(container, f"{org_code}/current.csv")
    ending = [f"{b};01-02-2024;01-02-2024;{ended};D{i}" for i, b in enumerate(people)]
    drop_and_trigger(intake, azurite, org_code, "\n".join([header, *ending]).encode(),
                     name="2.csv")

    latest = intake.outcomes.latest(org_code, "extract")
    assert (latest["decision"], latest["reason"]) == ("rejected", "mass_drop_held")
    assert (latest["current_people"], latest["people_removed"]) == (30, 30)
    assert latest["people_ineligible_now"] == 30 and latest["rows_ineligible"] == 30
    assert intake.blobs.info(container, f"{org_code}/current.csv").etag == before.etag
    text = intake.blobs.read_bytes(container, f"{org_code}/current.csv").decode()
    assert {r["einddatum"] for r in csv.DictReader(io.StringIO(text), delimiter=";")} == {""}
