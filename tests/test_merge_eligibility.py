"""The merge keeps, per person, a record eligible on the reference date when there is one.

A person whose own row has ended but who is the partner on an eligible client's row stays in
VISH: the mass-drop guard counts them as staying, so the snapshot must hold the eligible
(partner) record, and the SNG file of that day must name them. The order the merge uses:

1. eligible on the reference date > not ended (no einddatum, or one not before the reference
   date: admitted later, or not yet) > ended;
2. own row > partner-derived record;
3. latest startdatum;
4. latest line.

The generated oracle in ``test_merge.py`` checks the whole order; here are the cases by name,
the packing of the priority into one int, and one run through ``validate_extract`` with a
current snapshot, on both passes over the records (the inline shortcut and per record).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shared.domain.validation.fast_path as fast_path
import shared.domain.validation.merge as merge
from shared.domain.delivery_file import build_delivery_file
from shared.domain.profile import shipped_profile
from shared.domain.snapshot import ORIGIN_INDEX, SNAPSHOT_FIELDS
from shared.domain.validation import Rules
from shared.domain.validation.decision import was_eligible
from tests.conftest import organisations_for
from tests.helpers import TODAY, bsns, csv_bytes, run

B = bsns(20, seed=211)
HEADER = "BSN;BSN partner;Startdatum traject;Datum toelating;Einddatum;Dossiernummer"
FIELD = {name: i for i, name in enumerate(SNAPSHOT_FIELDS)}
ORG = organisations_for("gemeente").organisations[0]


def d(day: date) -> str:
    return day.strftime("%d-%m-%Y")


START = d(TODAY - timedelta(days=400))
ENDED = d(TODAY - timedelta(days=3))  # after the start, before the reference date: ended


def line(bsn: str, partner: str = "", *, start: str = START, toel: str | None = None,
         eind: str = "", doss: str = "D") -> str:
    return f"{bsn};{partner};{start};{start if toel is None else toel};{eind};{doss}"


def snapshot_of(lines: list[str], reference_date: date = TODAY, **kwargs):
    result, records = run(csv_bytes(*lines, header=HEADER), snapshot=True,
                          reference_date=reference_date, **kwargs)
    assert result.accepted, result.reason
    return result, {record[0]: record for record in records}


def delivered(records, on: date = TODAY) -> list[str]:
    built = build_delivery_file(records, ORG, on, shipped_profile("vish-minimaal"))
    text = built.content.decode(shipped_profile("vish-minimaal").encoding).split("\r\n")
    return [row.split(";")[1] for row in text[1:-1]]


# -- the cases by name ---------------------------------------------------------------------------
@pytest.mark.parametrize("partner_first", [False, True])
def test_an_ended_own_row_gives_way_to_an_eligible_partner_record_and_the_person_is_delivered(
        partner_first):
    person, client = B[0], B[1]
    own = line(person, eind=ENDED, doss="OWN")
    as_partner = line(client, person, doss="CLIENT")
    lines = [as_partner, own] if partner_first else [own, as_partner]
    _, kept = snapshot_of(lines)
    record = kept[person]
    assert record[ORIGIN_INDEX] == "partner" and record[FIELD["dossiernummer"]] == "CLIENT"
    assert record[FIELD["einddatum"]] == "" and was_eligible(record, TODAY)
    assert person in delivered(kept.values())
    assert sorted(delivered(kept.values())) == sorted([person, client])


def test_ended_own_and_ended_partner_record_keep_the_existing_order_own_first():
    person, client = B[0], B[1]
    _, kept = snapshot_of([line(client, person, eind=ENDED, doss="CLIENT"),
                           line(person, eind=ENDED, doss="OWN")])
    assert kept[person][ORIGIN_INDEX] == "row" and kept[person][FIELD["dossiernummer"]] == "OWN"
    assert delivered(kept.values()) == []


def test_two_ended_own_rows_keep_the_latest_startdatum():
    person = B[0]
    later = d(TODAY - timedelta(days=100))
    _, kept = snapshot_of([line(person, start=later, eind=ENDED, doss="LATER"),
                           line(person, eind=ENDED, doss="EARLIER")])
    assert kept[person][FIELD["dossiernummer"]] == "LATER"


# admitted after the reference date (a backdated reference date) or not admitted yet
FUTURE = [
    pytest.param(TODAY - timedelta(days=30), d(TODAY - timedelta(days=5)), id="starts-later"),
    pytest.param(TODAY, "", id="not-admitted-yet"),
]


@pytest.mark.parametrize(("ref", "toel"), FUTURE)
def test_a_future_own_row_wins_over_an_ended_partner_record(ref, toel):
    person, client = B[0], B[1]
    ended = d(ref - timedelta(days=3))
    _, kept = snapshot_of([line(person, toel=toel, start=toel or START, doss="OWN"),
                           line(client, person, eind=ended, doss="CLIENT")], ref)
    assert kept[person][FIELD["dossiernummer"]] == "OWN"


@pytest.mark.parametrize(("ref", "toel"), FUTURE)
def test_a_future_partner_record_wins_over_an_ended_own_row(ref, toel):
    """Own before partner would keep the ended row: the person would never be delivered."""
    person, client = B[0], B[1]
    ended = d(ref - timedelta(days=3))
    _, kept = snapshot_of([line(client, person, toel=toel, start=toel or START, doss="CLIENT"),
                           line(person, eind=ended, doss="OWN")], ref)
    record = kept[person]
    assert record[ORIGIN_INDEX] == "partner" and record[FIELD["dossiernummer"]] == "CLIENT"
    if toel:  # admitted on that day: delivered from then on, not before
        admitted = date.fromisoformat(record[FIELD["eligible_from"]])
        assert person not in delivered(kept.values(), ref)
        assert person in delivered(kept.values(), admitted)


def test_a_future_own_row_wins_over_a_later_ended_own_row():
    """Not ended beats ended even against a later startdatum and a later line."""
    person = B[0]
    ref = TODAY - timedelta(days=30)
    _, kept = snapshot_of([line(person, toel=d(TODAY - timedelta(days=5)), doss="FUTURE"),
                           line(person, start=d(ref - timedelta(days=20)),
                                eind=d(ref - timedelta(days=1)), doss="ENDED")], ref)
    assert kept[person][FIELD["dossiernummer"]] == "FUTURE"


def test_eligible_own_and_eligible_partner_record_keep_the_own_row():
    person, client = B[0], B[1]
    _, kept = snapshot_of([line(person, doss="OWN"), line(client, person, doss="CLIENT")])
    assert kept[person][ORIGIN_INDEX] == "row" and kept[person][FIELD["dossiernummer"]] == "OWN"


def test_an_eligible_partner_record_wins_over_an_own_row_not_admitted_yet():
    person, client = B[0], B[1]
    _, kept = snapshot_of([line(client, person, doss="CLIENT"),
                           line(person, start=d(TODAY - timedelta(days=1)), toel="", doss="OWN")])
    assert kept[person][FIELD["dossiernummer"]] == "CLIENT" and person in delivered(kept.values())


def test_an_einddatum_on_the_reference_date_is_still_eligible():
    person, client = B[0], B[1]
    _, kept = snapshot_of([line(client, person, eind=ENDED, doss="CLIENT"),
                           line(person, eind=d(TODAY), doss="OWN")])
    assert kept[person][FIELD["dossiernummer"]] == "OWN" and person in delivered(kept.values())


# -- the priority: one int, its fields never overlap ---------------------------------------------
def record_with(*, admitted: str, end: str, own: bool, start: str, row: int) -> list[str]:
    values = dict.fromkeys(SNAPSHOT_FIELDS, "")
    values.update(bsn=B[0], startdatum=start, einddatum=end, eligible_from=admitted,
                  source_row=str(row), origin="row" if own else "partner")
    return [values[f] for f in SNAPSHOT_FIELDS]


ON = date(2026, 11, 28)
STANDINGS = {  # (eligible_from, einddatum) -> its standing on ON
    ("2026-01-01", ""): merge.ELIGIBLE, ("2026-11-28", "2026-11-28"): merge.ELIGIBLE,
    ("2026-11-29", ""): merge.NOT_ENDED, ("", "2027-01-01"): merge.NOT_ENDED,
    ("", ""): merge.NOT_ENDED, ("2026-01-01", "2026-11-27"): merge.ENDED,
    ("", "2026-11-27"): merge.ENDED,
}


@pytest.mark.parametrize(("dates", "expected"), STANDINGS.items())
def test_the_standing_of_a_record(dates, expected):
    admitted, end = dates
    record = record_with(admitted=admitted, end=end, own=True, start="2026-01-01", row=2)
    assert merge.standing(record, ON) == expected
    assert (expected == merge.ELIGIBLE) == was_eligible(record, ON)


def test_the_extreme_values_fit_their_bits():
    assert (1 << merge.START_BITS) > 99_991_231 and merge.ELIGIBLE < 1 << 2  # 9999-12-31


fields = st.tuples(st.sampled_from(sorted(STANDINGS)), st.booleans(),
                   st.sampled_from(["", "0001-01-01", "2024-06-15", "2024-06-16", "9999-12-31"]),
                   st.sampled_from([0, 1, 2, 3, (1 << 32) + 1, (1 << merge.LINE_BITS) - 1]))


@settings(derandomize=True, max_examples=500, deadline=None)
@given(fields, fields)
def test_the_packed_priority_orders_as_the_fields_do(a, b):
    def record(f):
        (admitted, end), own, start, row = f
        return record_with(admitted=admitted, end=end, own=own, start=start, row=row)

    def key(f):
        return (STANDINGS[f[0]], f[1], f[2], f[3])

    pa, pb = merge._priority(record(a), ON), merge._priority(record(b), ON)
    assert (pa > pb) == (key(a) > key(b)) and (pa == pb) == (key(a) == key(b))


def test_the_extremes_of_every_field_order_as_tuples():
    """The largest value of a field never reaches the next field up."""
    grid = list(product(sorted(STANDINGS), [False, True], ["", "9999-12-31"],
                        [0, (1 << merge.LINE_BITS) - 1]))
    ranked = sorted(grid, key=lambda f: merge._priority(
        record_with(admitted=f[0][0], end=f[0][1], own=f[1], start=f[2], row=f[3]), ON))
    keys = [(STANDINGS[f[0]], f[1], f[2], f[3]) for f in ranked]
    assert keys == sorted(keys)


# -- end to end: validate_extract with a current snapshot ----------------------------------------
def stored(bsn: str) -> list[str]:
    """A record of the snapshot in force: eligible."""
    values = dict.fromkeys(SNAPSHOT_FIELDS, "")
    values.update(bsn=bsn, startdatum="2024-02-01", toelatingsdatum="2024-02-01",
                  eligible_from="2024-02-01", source_row="2", origin="row")
    return [values[f] for f in SNAPSHOT_FIELDS]


@pytest.mark.parametrize("shortcut", [True, False], ids=["shortcut", "per_record"])
def test_validate_extract_keeps_the_eligible_record_and_the_guard_agrees_with_the_snapshot(
        monkeypatch, shortcut):
    monkeypatch.setattr(fast_path, "FAST_PATH", shortcut)
    person, client, leaver, *others = B[:10]
    current = [stored(b) for b in (person, client, leaver, *others)]
    lines = [line(person, eind=ENDED, doss="OWN"),           # own row: ended
             line(client, person, doss="CLIENT"),           # the partner on an eligible row
             line(leaver, eind=ENDED, doss="LEAVER"),        # ended, nothing else: leaves
             *[line(b, doss=f"D{i}") for i, b in enumerate(others)]]
    result, kept = snapshot_of(lines, current=current)
    assert (result.current_people, result.removed, result.removed_ineligible) == (10, 1, 1)
    record = kept[person]
    assert record[ORIGIN_INDEX] == "partner" and record[FIELD["dossiernummer"]] == "CLIENT"
    assert was_eligible(record, TODAY)
    # the people the guard counts as leaving are exactly those the snapshot no longer delivers
    in_file = set(delivered(kept.values()))
    assert [b for b in (person, client, leaver, *others) if b not in in_file] == [leaver]
    assert result.removed == sum(1 for r in current if r[0] not in in_file)
    assert result.people == len(kept) == 10


def test_validate_extract_under_rule_start_keeps_the_eligible_partner_record():
    person, client = B[0], B[1]
    _, kept = snapshot_of([line(person, eind=ENDED, doss="OWN"),
                           line(client, person, toel="", doss="CLIENT")],
                          rules=Rules(eligibility_rule="start"))
    assert kept[person][FIELD["dossiernummer"]] == "CLIENT" and person in delivered(kept.values())
