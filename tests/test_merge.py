"""The snapshot writer (merge.py): which record of a person wins, in passes of bounded size.

The main property validates generated extracts in which people have several records (duplicate
rows, partners named by several clients, an own row and a partner row, carried-over records)
and compares the whole snapshot with an oracle written plainly here: per person a record
eligible on the reference date beats one not ended (no einddatum, or one not before that date),
which beats an ended one; then an own row beats a partner-derived record, then the latest
startdatum, then the latest line. The reference date and the eligibility rule are drawn too (a
startdatum after the reference date, an einddatum on it, before it), and the mass-drop count
is checked against the snapshot written: a person the guard lets stay has an eligible record.
The number of people merged per pass is patched down to 1, 2 and 3 so that many passes and
their boundaries are crossed; the BSNs lie in neighbouring and far-apart buckets.
"""

from __future__ import annotations

import io
import tempfile
import tracemalloc
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.domain.sorting as sorting
import shared.domain.validation.merge as merge
from devtools.sample import bsn_from_prefix, unique_bsns
from shared.domain.snapshot import ORIGIN_INDEX, SNAPSHOT_FIELDS, new_writer
from shared.domain.validation import Rules
from shared.domain.validation.people import BUCKET_SHIFT, BUCKETS, PeopleSeen
from tests.helpers import TODAY, run

HEADER = "BSN;BSN partner;Achternaam;Startdatum traject;Datum toelating;Einddatum;Dossiernummer"
FIELD = {name: i for i, name in enumerate(SNAPSHOT_FIELDS)}
DEFAULT_MAX = merge.MAX_MERGED_PER_PASS


def bsn_at(prefix: int) -> str:
    """The first valid BSN from eight-digit prefix ``prefix`` on."""
    while (bsn := bsn_from_prefix(prefix)) is None:
        prefix += 1
    return bsn


def bucket(bsn: str) -> int:
    return (int(bsn) // 10) >> BUCKET_SHIFT


# Bucket 0 (leading zeros, the first pass), neighbours in one bucket, buckets 1 and 2, far ones.
PEOPLE = [bsn_at(1_000), bsn_at(1_003 + 8), bsn_at(131_072 + 77), bsn_at(2 * 131_072 + 5),
          bsn_at(2 * 131_072 + 9), bsn_at(50_000_000), bsn_at(99_990_000)]
assert len(set(PEOPLE)) == len(PEOPLE)
assert [bucket(b) for b in PEOPLE][:5] == [0, 0, 1, 2, 2] and bucket(PEOPLE[-1]) == BUCKETS - 1

DATES = {"01-03-2025": "2025-03-01", "15-06-2024": "2024-06-15", "01-01-2023": "2023-01-01"}
# 9999: no end date; 30-06-2025 (after every start): ended on some reference dates, not others
ENDS = {"": "", "31-12-2026": "2026-12-31", "31-12-9999": "", "30-06-2025": "2025-06-30"}
# TODAY; the day the end date above ends (still eligible), the day after; before 01-03-2025
REFS = [TODAY, date(2025, 6, 30), date(2025, 7, 1), date(2024, 12, 31)]
NAMES = ["Jansen", "Bakker", ""]


@dataclass
class Row:
    bsn: str
    partner: str
    naam: str
    start: str
    toel: str  # '' or the start
    eind: str
    valid: bool  # invalid: a startdatum that does not exist

    def text(self, line: int) -> str:
        start = self.start if self.valid else "31-02-2025"
        return ";".join([self.bsn, self.partner, self.naam, start, self.toel, self.eind, f"D{line}"])


@st.composite
def rows(draw) -> Row:
    bsn = draw(st.sampled_from(PEOPLE))
    partner = draw(st.one_of(st.just(""), st.sampled_from([p for p in PEOPLE if p != bsn])))
    start = draw(st.sampled_from(sorted(DATES)))
    return Row(bsn, partner, draw(st.sampled_from(NAMES)), start,
               draw(st.sampled_from(["", start])), draw(st.sampled_from(sorted(ENDS))),
               draw(st.sampled_from([True, True, True, False])))


def stored(bsn: str, eind: str) -> list[str]:
    """A record of the snapshot in force."""
    return [bsn, "", "1970-05-17", "Oud", "", "", "", "", "", "2020-01-01", "2020-01-01", eind,
            "OUD-1", "", "", "", "2020-01-01", "9", "row"]


def standing(record: list[str], ref: date) -> int:
    """2: eligible on ``ref`` (admitted on or before it, no einddatum before it); 1: not that,
    but not ended (no einddatum, or one on or after ``ref``); 0: ended. ISO text compares as
    the dates do."""
    admitted, end, on = record[FIELD["eligible_from"]], record[FIELD["einddatum"]], ref.isoformat()
    not_ended = not end or end >= on
    return 2 if admitted and admitted <= on and not_ended else int(not_ended)


def expected_snapshot(extract: list[Row], current: list[list[str]], ref: date = TODAY,
                      rule: str = "toelating") -> list[list[str]]:
    """Every record the rules give, then one per person: the best by the rules of the merge."""
    records, named, first_invalid = [], set(), {}
    for line, row in enumerate(extract, start=2):
        if not row.valid:
            first_invalid.setdefault(row.bsn, line)
            continue
        start, toel, eind = DATES[row.start], DATES.get(row.toel, ""), ENDS[row.eind]
        admitted = start if rule == "start" else toel
        case = [start, toel, eind, f"D{line}", "", "", "", admitted, str(line)]
        records.append([row.bsn, row.partner, "", row.naam, "", "", "", "", "", *case, "row"])
        named.add(row.bsn)
        if row.partner:
            records.append([row.partner, row.bsn, "", "", "", "", "", "", "", *case, "partner"])
            named.add(row.partner)
    carried = set()
    for record in current:  # a person with an invalid row today keeps the first stored record
        bsn = record[0]
        if bsn in first_invalid and bsn not in named and bsn not in carried:
            carried.add(bsn)
            kept = list(record)
            kept[FIELD["einddatum"]] = "" if kept[FIELD["einddatum"]].startswith("9999-") else \
                kept[FIELD["einddatum"]]
            kept[ORIGIN_INDEX] = "carried_over"
            records.append(kept)

    def rank(record: list[str]) -> tuple:
        return (standing(record, ref), record[ORIGIN_INDEX] == "row", record[FIELD["startdatum"]],
                int(record[FIELD["source_row"]]))

    best: dict[str, list[str]] = {}
    for record in records:
        if record[0] not in best or rank(record) > rank(best[record[0]]):
            best[record[0]] = record
    return sorted(best.values())


def leaving(current: list[list[str]], snapshot: list[list[str]], ref: date) -> int:
    """The people of ``current`` who leave VISH, read from the snapshot written: no record, or
    a record not eligible on ``ref`` while the current one is; a carried-over person stays once
    (a second current record of theirs counts as leaving, as the guard counts it)."""
    new = {record[0]: record for record in snapshot}
    removed, carried = 0, set()
    for record in current:
        kept = new.get(record[0])
        if kept is None:
            removed += 1
        elif kept[ORIGIN_INDEX] == "carried_over":
            removed += record[0] in carried
            carried.add(record[0])
        else:
            removed += standing(kept, ref) != 2 and standing(record, ref) == 2
    return removed


@st.composite
def cases(draw):
    extract = draw(st.lists(rows(), min_size=1, max_size=14))
    current = [stored(b, draw(st.sampled_from(["", "2027-01-01", "9999-12-31", "2025-01-01"])))
               for b in draw(st.lists(st.sampled_from(PEOPLE), max_size=8))]
    per_pass = draw(st.sampled_from([1, 2, 3, DEFAULT_MAX]))
    return extract, current, per_pass, draw(st.sampled_from(REFS)), draw(
        st.sampled_from(["toelating", "start"]))


@settings(derandomize=True, max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_the_snapshot_holds_the_winning_record_of_every_person(case):
    extract, current, per_pass, ref, rule = case
    data = ("\r\n".join([HEADER, *(row.text(line) for line, row in enumerate(extract, start=2))])
            + "\r\n").encode()
    with mock.patch.object(merge, "MAX_MERGED_PER_PASS", per_pass):
        result, records = run(data, snapshot=True, current=current, reference_date=ref,
                              rules=Rules(invalid_threshold=1.0, mass_drop_threshold=1.0,
                                          eligibility_rule=rule))
    assert result.accepted, result.reason
    expected = expected_snapshot(extract, current, ref, rule)
    assert sorted(records) == expected
    assert len({r[0] for r in records}) == len(records) == result.people
    # the guard and the snapshot agree: whom the guard lets stay has an eligible record
    assert result.removed == leaving(current, records, ref)


# -- the passes: bucket ranges of at most MAX_MERGED_PER_PASS people, as few as fit -------------
@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([0, 1, 2, 3, 5, 8, 100, 381, BUCKETS - 2, BUCKETS - 1]),
                       st.integers(min_value=0, max_value=4), max_size=8),
       st.sampled_from([1, 2, 3, 4, 5, 7, DEFAULT_MAX]))
def test_passes_cover_every_bucket_hold_at_most_the_maximum_and_are_as_few_as_fit(counts, per_pass):
    state = PeopleSeen()
    for b, n in counts.items():
        state.merged_per_bucket[b] = n
    with mock.patch.object(merge, "MAX_MERGED_PER_PASS", per_pass):
        passes = merge._passes(state)
    counts_of = state.merged_per_bucket
    people = [sum(counts_of[first:last]) for first, last in passes]
    # ascending, disjoint ranges; every bucket with people in exactly one of them
    assert all(first < last for first, last in passes)
    assert all(a[1] <= b[0] for a, b in pairwise(passes))
    assert sum(people) == sum(counts.values())
    for (first, last), n in zip(passes, people, strict=True):
        assert n > 0  # no pass without anybody to merge
        # at most the maximum, unless one bucket alone holds more (only when patched down)
        assert n <= per_pass or sum(1 for c in counts_of[first:last] if c) == 1
    for n, (nxt, last) in zip(people, passes[1:], strict=False):
        # a pass ends only where the next bucket with people would not fit: no pass too many
        following = next(c for c in counts_of[nxt:last] if c)
        assert n + following > per_pass


# -- write_snapshot on its own: what a pass ranks, and the memory it takes ----------------------
class CountedSpool(io.StringIO):
    """A spool that counts how often it is rewound (once before each pass over it)."""

    seeks = 0

    def seek(self, *args):
        self.seeks += 1
        return super().seek(*args)


def spooled(records: list[list[str]], spool=None):
    spool = spool if spool is not None else CountedSpool()
    writer = new_writer(spool)
    for record in records:
        writer.writerow(record)
    return spool


def own(bsn: str, start: str, line: int) -> list[str]:
    return [bsn, "", "", "X", "", "", "", "", "", start, "", "", f"D{line}", "", "", "", "", str(line),
            "row"]


def test_each_pass_ranks_the_records_of_its_own_people_only_and_each_record_once(monkeypatch):
    """A pass holds the winners of at most MAX_MERGED_PER_PASS people in memory: it ranks only
    records of merged people whose bucket lies in its range, and no record twice."""
    near, far, lone = bsn_at(10_000_000), bsn_at(90_000_000), bsn_at(40_000_000)
    neighbour = bsn_at(90_000_000 + 100)  # far's bucket: a bucket is never split
    assert bucket(near) < bucket(lone) < bucket(far) == bucket(neighbour)
    records = [own(far, "2024-01-01", 2), own(near, "2024-01-01", 3), own(lone, "2024-01-01", 4),
               own(neighbour, "2024-01-01", 5), own(near, "2025-01-01", 6), own(far, "2023-01-01", 7),
               own(neighbour, "2024-01-01", 8)]
    state = PeopleSeen()
    for record in records:
        state.add_own(int(record[0]))
    spool = spooled(records)
    ranked: list[tuple[int, str]] = []

    def priority(record, on):
        ranked.append((spool.seeks, record[0]))
        return real(record, on)

    real = merge._priority
    monkeypatch.setattr(merge, "_priority", priority)
    monkeypatch.setattr(merge, "MAX_MERGED_PER_PASS", 1)
    out = io.StringIO()
    merge.write_snapshot(spool, out, state, on=TODAY)
    per_pass: dict[int, set[str]] = {}
    for seek, bsn in ranked:
        per_pass.setdefault(seek, set()).add(bsn)
    assert sorted(per_pass.values(), key=sorted) == sorted([{near}, {far, neighbour}], key=sorted)
    assert sorted(b for _, b in ranked) == sorted([far, near, neighbour, near, far, neighbour])
    kept = [line.split(";")[FIELD["source_row"]] for line in out.getvalue().splitlines()[1:]]
    assert kept == ["6", "4", "2", "8"]  # the winners, in BSN order: near, lone, far, neighbour


class Sink:
    def write(self, text: str) -> int:
        return len(text)


def peak_while_writing(spool, state: PeopleSeen, *, sort: bool = True) -> int:
    """Peak memory of writing the snapshot (the spool read 16 KiB at a time): its external sort
    bounded to runs of 4,000 records and two runs merged at a time, or (``sort=False``) the
    kept records written in spool order, to measure the merge's own state only."""
    def in_spool_order(batches, **_):
        yield from batches

    open_runs, read_chars = sorting.MAX_OPEN_RUNS, sorting.READ_CHARS
    sorting.MAX_OPEN_RUNS, sorting.READ_CHARS = 2, 1 << 14  # the spool read in small pieces too
    tracemalloc.start()
    try:
        with mock.patch.object(merge, "sorted_batches",
                               merge.sorted_batches if sort else in_spool_order):
            merge.write_snapshot(spool, Sink(), state, on=TODAY, run_records=4_000)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sorting.MAX_OPEN_RUNS, sorting.READ_CHARS = open_runs, read_chars


def copy_peak(mib: int) -> int:
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        line = ";".join(own(bsn_at(12_345_678), "2024-01-01", 2)) + "\n"
        for _ in range((mib << 20) // len(line) + 1):
            spool.write(line)
        spool.flush()
        return peak_while_writing(spool, PeopleSeen())


def test_memory_of_a_copy_without_merged_people_does_not_grow_with_the_spool():
    assert copy_peak(16) < copy_peak(4) + (1 << 20)  # sorted in runs: no spool held whole


def merge_peak(n: int) -> int:
    """Peak memory of the merge of ``n`` spooled records, two of them one person's (the last
    one wins), the others of people with one record each."""
    people = unique_bsns(5)
    twice = next(people)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        spooled([own(twice, "2023-01-01", 2), *(own(next(people), "2024-01-01", line)
                                                for line in range(3, n + 1)),
                 own(twice, "2024-01-01", n + 1)], spool)
        state = PeopleSeen()
        state.add_own(int(twice))
        state.add_own(int(twice))
        return peak_while_writing(spool, state, sort=False)


def test_the_merge_keeps_about_one_bit_per_spooled_record():
    # 50,000 more records may cost some 6 KB (a bit each), far less than a byte each
    assert merge_peak(60_000) - merge_peak(10_000) < 50_000 // 2


@pytest.mark.parametrize(("per_pass", "passes"), [(3, 2), (4, 1)])
def test_people_merged_are_counted_per_bucket_to_plan_the_passes(monkeypatch, per_pass, passes):
    """Two buckets with two merged people each: four people in all, so a pass of at most three
    takes two passes over the spool, a pass of four takes one."""
    a, b = bsn_at(10_000_000), bsn_at(10_000_000 + 50)
    c, d = bsn_at(90_000_000), bsn_at(90_000_000 + 50)
    assert bucket(a) == bucket(b) != bucket(c) == bucket(d)
    records = [own(x, "2024-01-01", line) for line, x in enumerate([a, b, c, d, a, b, c, d], 2)]
    state = PeopleSeen()
    for record in records:
        state.add_own(int(record[0]))
    spool = spooled(records)
    monkeypatch.setattr(merge, "MAX_MERGED_PER_PASS", per_pass)
    out = io.StringIO()
    merge.write_snapshot(spool, out, state, on=TODAY)
    assert spool.seeks == passes + 2  # once to begin, once per pass, once for the copy
    assert [line.split(";")[FIELD["source_row"]] for line in out.getvalue().splitlines()[1:]] == [
        "6", "7", "8", "9"]
