"""The validation against an independent oracle: rows whose verdict is known by construction.

Every rule that decides whether a person goes to VISH (the 11-proef, required and readable dates,
today as the bound, the same-day einddatum, the open end 9999, the partner, eligibility on the
reference date, who leaves the snapshot in force) is computed here again, in the plainest way
and without the product's code, and each generated row is built so that its verdict is known.
Both passes over the records (the inline shortcut and the per-record path) must agree with it: a
rule written twice, or a weight swapped in the one implementation, shows here. Derandomized: a
failure reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.domain.validation.fast_path as fast_path
from shared.domain.snapshot import SNAPSHOT_FIELDS
from shared.domain.validation import Rules
from tests.helpers import TODAY, csv_bytes, run

HEADER = ("BSN;BSN partner;Geboortedatum;Achternaam;Postcode;Huisnummer;Startdatum traject;"
          "Datum toelating;Einddatum;Dossiernummer")
NO_TOELATING = "BSN;BSN partner;Geboortedatum;Achternaam;Postcode;Huisnummer;Startdatum traject;" \
               "Einddatum;Dossiernummer"
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
OPEN_END = date(9999, 12, 31)


# -- the oracle ---------------------------------------------------------------------------------
def eleven_proof(value: str) -> bool:
    """The 11-proef as the handreiking writes it, digit by digit."""
    if len(value) != 9 or any(c not in "0123456789" for c in value) or value == "0" * 9:
        return False
    return sum(int(c) * w for c, w in zip(value, WEIGHTS, strict=True)) % 11 == 0


def with_check_digit(head: str) -> str | None:
    total = sum(int(c) * w for c, w in zip(head, WEIGHTS[:8], strict=True)) % 11
    return head + str(total) if total < 10 else None


@st.composite
def valid_bsns(draw) -> str:
    """A BSN that passes by construction; a quarter of them with a leading zero."""
    high = 9_999_999 if draw(st.integers(0, 3)) == 0 else 99_999_999
    head = f"{draw(st.integers(1, high)):08d}"
    bsn = with_check_digit(head)
    if bsn is None:  # no ninth digit makes this head pass: take the next head that has one
        bsn = next(b for b in (with_check_digit(f"{int(head) + k:08d}") for k in range(1, 12)) if b)
    assert eleven_proof(bsn)
    return bsn


def broken(bsn: str, how: str, i: int, j: int, digit: int) -> str:
    """A BSN that fails by construction: two different digits swapped, or one digit changed
    (the 11-proef catches both: each weight difference and each weight is not a multiple of 11)."""
    if how == "swap":
        pairs = [(a, b) for a in range(9) for b in range(a + 1, 9) if bsn[a] != bsn[b]]
        a, b = pairs[(i * 9 + j) % len(pairs)]
        chars = list(bsn)
        chars[a], chars[b] = chars[b], chars[a]
        wrong = "".join(chars)
    else:
        new = str((int(bsn[i]) + 1 + digit % 9) % 10)
        wrong = bsn[:i] + new + bsn[i + 1:]
    assert not eleven_proof(wrong)
    return wrong


def dutch(d: date, style: int) -> str:
    """Day first, or ISO; styles 5 to 7 with the midnight Excel adds (issue 14)."""
    return (f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day}-{d.month}-{d.year}", d.isoformat(),
            f"{d.year}{d.month:02d}{d.day:02d}", f"{d.day:02d}/{d.month:02d}/{d.year}",
            f"{d.day:02d}-{d.month:02d}-{d.year} 00:00", f"{d.day}-{d.month}-{d.year} 0:00",
            f"{d.day:02d}-{d.month:02d}-{d.year} 00:00:00")[style]
STYLES = 7


@dataclass
class Row:
    cells: dict[str, str]
    valid: bool
    bsn: str  # the normalised nine digits when valid
    partner: str
    from_date: date | None
    end: date | None


UNREADABLE = ("31-02-2024", "12/31/2024", "2024-13-01", "1-1-24", "morgen", "13-01-25 00:00",
              "13-03-2024 25:99", "13-03-2024 09:30", "13-03-2024 00:00:01", "12/31/2024 00:00",
              "13-03-2024T00:00", "13-03-2024  00:00")
FAULTS = ("bsn_swapped", "bsn_digit", "bsn_empty", "bsn_zeros", "bsn_excel", "partner_broken",
          "start_empty",
          "start_bad", "start_future", "toel_bad", "toel_future", "eind_bad", "eind_before_start",
          "geb_bad", "geb_future")


@st.composite
def rows(draw, client: str, partner_pool: str, rule: str, toelating: bool, ref: date) -> Row:
    """A row that is clean but for at most one fault (half of the rows have none), with its
    dates on the boundaries that matter: today, the reference date, the startdatum."""
    fault = draw(st.sampled_from(FAULTS)) if draw(st.booleans()) else None

    def near(anchor: date) -> date:
        return anchor + timedelta(days=draw(st.sampled_from([-1, 0, 1])))

    def past(anchor_choices) -> date:  # on or before today, near a boundary or long before
        d = near(draw(st.sampled_from(anchor_choices)))
        return min(d, TODAY) if draw(st.integers(0, 5)) else TODAY - timedelta(days=4000)

    def cell_of(d: date | None) -> str:
        return "" if d is None else dutch(d, draw(st.integers(0, STYLES)))

    cell = client
    if client[0] == "0" and draw(st.booleans()):
        cell = client[1:]  # a spreadsheet dropped the leading zero: accepted with a warning
    how = {"bsn_swapped": "swap", "bsn_digit": "digit"}.get(fault)
    if how:
        cell = broken(client, how, *(draw(st.integers(0, 8)) for _ in range(3)))
    cell = {"bsn_empty": "", "bsn_zeros": "000000000", "bsn_excel": "1,23457E+08"}.get(fault, cell)
    if draw(st.integers(0, 7)) == 0:
        cell = f" {cell} "  # white space around a value: trimmed, not a fault
    pkind = draw(st.sampled_from(["none", "none", "valid", "self"]))
    partner = {"none": "", "valid": partner_pool, "self": client}[pkind]
    if fault == "partner_broken":
        partner = broken(partner_pool, "digit", draw(st.integers(0, 8)), 0, draw(st.integers(0, 8)))
    kept_partner = partner if pkind == "valid" and fault != "partner_broken" else ""

    start = past([TODAY, ref])
    toel = past([TODAY, ref, start]) if toelating and draw(st.integers(0, 4)) else None
    geb = past([TODAY]) if draw(st.integers(0, 3)) else None
    choice = draw(st.sampled_from(["none", "open", "start", "ref"]))
    eind = {"none": None, "open": OPEN_END, "start": start, "ref": ref}[choice]
    if eind is not None and eind != OPEN_END:
        eind = max(near(eind), start)  # on or after the startdatum: fine
    cells = {"bsn": cell, "partner": partner, "geb": cell_of(geb), "naam": "Jansen",
             "postcode": draw(st.sampled_from(["1234 AB", "1234ab", "", "1234AB", "0123 AB"])),
             "huisnr": draw(st.sampled_from(["12", "", "1", "99999", "012", "123456"])),
             "start": cell_of(start), "toel": cell_of(toel), "eind": cell_of(eind),
             # a dossiernummer Excel rounded: a warning, the row stays valid
             "dossier": draw(st.sampled_from(["D1", "D1", "D1", "1,23457E+08"]))}
    if fault and fault.startswith(("start", "toel", "eind", "geb")):
        name, what = fault.split("_", 1)
        if name == "toel" and not toelating:
            fault = None  # no such column
        elif what == "empty":
            cells[name] = ""
        elif what == "bad":
            cells[name] = draw(st.sampled_from(UNREADABLE))
        elif what == "future":
            cells[name] = cell_of(TODAY + timedelta(days=draw(st.sampled_from([1, 2, 400]))))
        else:  # eind_before_start
            cells[name] = cell_of(start - timedelta(days=draw(st.sampled_from([1, 2, 400]))))
    if not toelating:
        del cells["toel"]
    from_date = toel if rule == "toelating" and toelating else start
    end = None if eind == OPEN_END else eind
    return Row(cells, fault is None, client, kept_partner, from_date, end)


@st.composite
def extracts(draw, rule: str, toelating: bool):
    ref = TODAY - timedelta(days=draw(st.sampled_from([0, 0, 1, 30])))
    people = draw(st.lists(valid_bsns(), min_size=2, max_size=30, unique=True))
    half = len(people) // 2
    clients, partners = people[:half], people[half:]
    drawn = [draw(rows(c, partners[k % len(partners)], rule, toelating, ref))
             for k, c in enumerate(clients)]
    return ref, drawn


def eligible_on(r: Row, ref: date) -> bool:
    return r.from_date is not None and r.from_date <= ref and (r.end is None or r.end >= ref)


def expected(drawn: list[Row], ref: date) -> tuple[int, int, list[str]]:
    valid = [r for r in drawn if r.valid]
    ineligible = sum(1 for r in valid if not eligible_on(r, ref))
    return len(valid), ineligible, sorted(r.bsn for r in valid)


def expected_leaving(drawn: list[Row], ref: date, was_eligible: dict[str, bool]) -> tuple[int, int]:
    """The mass-drop guard's count against a snapshot in force of ``was_eligible``'s people
    (True: their record there is eligible on ``ref``): people on no valid row and not carried
    over (their own row invalid but their BSN readable), plus people on valid rows but on no
    eligible one whose record was eligible. Returns (all who leave, of them the latter)."""
    named = {p for r in drawn if r.valid for p in (r.bsn, r.partner) if p}
    eligible = {p for r in drawn if r.valid and eligible_on(r, ref) for p in (r.bsn, r.partner) if p}
    readable = {r.bsn for r in drawn if not r.valid
                and (eleven_proof(c := r.cells["bsn"].strip()) or eleven_proof("0" + c))}
    ended = sum(1 for p, was in was_eligible.items() if was and p in named - eligible)
    gone = sum(1 for p in was_eligible if p not in named and p not in readable)
    return gone + ended, ended


def current_records(was_eligible: dict[str, bool]) -> list[list[str]]:
    """The snapshot in force: eligible from long ago, and for some ended long ago."""
    current = []
    for bsn, was in was_eligible.items():
        record = dict.fromkeys(SNAPSHOT_FIELDS, "")
        record.update(bsn=bsn, startdatum="2000-01-01", eligible_from="2000-01-01",
                      einddatum="" if was else "2000-01-02", source_row="2", origin="row")
        current.append(list(record.values()))
    return current


@pytest.mark.parametrize(("rule", "toelating"), [("toelating", True), ("toelating", False),
                                                  ("start", True)])
@settings(max_examples=200, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_both_passes_decide_every_row_as_the_oracle_does(rule, toelating, data):
    ref, drawn = data.draw(extracts(rule, toelating))
    people = sorted({r.bsn for r in drawn} | {r.partner for r in drawn if r.partner})
    was = dict(zip(people, data.draw(st.lists(st.booleans(), min_size=len(people),
                                               max_size=len(people))), strict=True))
    header = HEADER if toelating else NO_TOELATING
    data = csv_bytes(*(";".join(r.cells.values()) for r in drawn), header=header)
    want_valid, want_ineligible, want_people = expected(drawn, ref)
    want_removed, want_ended = expected_leaving(drawn, ref, was)
    rules = Rules(eligibility_rule=rule, invalid_threshold=1.0, mass_drop_threshold=1.0)
    for shortcut in (True, False):
        fast_path.FAST_PATH = shortcut
        try:
            result, records = run(data, snapshot=True, reference_date=ref, rules=rules,
                                  current=current_records(was))
        finally:
            fast_path.FAST_PATH = True
        assert (result.removed, result.removed_ineligible) == (want_removed, want_ended), shortcut
        assert result.current_people == len(people), shortcut
        own = [dict(zip(SNAPSHOT_FIELDS, r, strict=True)) for r in records]
        own = [r for r in own if r["origin"] == "row"]
        assert (result.total, result.valid) == (len(drawn), want_valid), shortcut
        assert sum(1 for i in result.issues if i.code.value == "dossier_scientific_notation") \
            == sum(1 for r in drawn if r.cells["dossier"] == "1,23457E+08"), shortcut
        assert result.ineligible == want_ineligible, shortcut
        assert sorted(r["bsn"] for r in own) == want_people, shortcut
        def iso(d: date | None) -> str:
            return d.isoformat() if d else ""

        kept = {r["bsn"]: (r["partner_bsn"], r["einddatum"], r["eligible_from"]) for r in own}
        assert kept == {r.bsn: (r.partner, iso(r.end), iso(r.from_date))
                        for r in drawn if r.valid}, shortcut
