"""Property: no person is lost without an error on their own line.

Extracts are generated with rows that are valid or broken in many ways (bad BSN, bad dates,
stray quotes, quoted fields holding delimiters or line breaks, control characters, blank lines,
rows of only delimiters, LF, CRLF or CR line endings, odd chunk boundaries). For every row whose
first line the result does not name in an error-severity issue, the person must be in the
snapshot (when the row was generated with a valid BSN). A rejected file that names no line loses
everyone and fails the property too: stray quotes must never cost a file or a person.

Below it, the bounded state the row pass keeps about people and values: the BSN bitmap set
(people.BsnSet), the first lines of invalid rows (PeopleSeen.add_invalid) and the shape memo
of contact details (cells.ShapeChecker).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.domain.validation.people as people
from devtools.sample import bsn_from_prefix
from shared.domain.issues import CODES, Severity
from shared.domain.validation import Rules, validate_extract
from shared.domain.validation.cells import ShapeChecker
from shared.domain.validation.people import BsnSet, PeopleSeen
from tests.corpus import BsnPool, invalid_checksum, quoted

TODAY = date(2026, 11, 28)
COLUMNS = ("BSN", "Achternaam", "Geboortedatum", "Startdatum traject", "Datum toelating", "Einddatum",
           "Dossiernummer")
_POOL = BsnPool(seed=99)
BSNS = [_POOL.take() for _ in range(40)]
ZERO_BSNS = [_POOL.take(leading_zero=True) for _ in range(40)]
CONTROLS = ("\x00", "\x07", "\x1b", "\x1b[2J\x1b[31m", "\x7f", "\x85", "\x9b", "\u200b", "\u202e",
            "\ufeff", "\x0b", "\x0c", "\x1c", "\u2028")
MAX_ROWS = 18


@dataclass
class Row:
    text: str  # as written, without the line ending (may hold line breaks inside quotes)
    bsn: str | None  # the person's BSN when the row was generated with a valid one
    clean: bool  # valid in every rule and without a quote character


@st.composite
def rows(draw, index: int, delimiter: str, newline: str) -> Row:
    person = BSNS[index]
    bsn_kind = draw(st.sampled_from(["valid", "valid", "valid", "nbsp", "eight", "checksum", "short",
                                     "letters", "empty"]))
    bsn, cell = {
        "valid": (person, person),
        "nbsp": (person, f"\u00a0{person} "),
        "eight": ("0" + ZERO_BSNS[index][1:], ZERO_BSNS[index][1:]),
        "checksum": (None, invalid_checksum(person)),
        "short": (None, person[:7]),
        "letters": (None, person[:5] + "ab12"),
        "empty": (None, ""),
    }[bsn_kind]
    name_kind = draw(st.sampled_from(["plain", "plain", "literal_quote", "stray_open", "quoted_delimiter",
                                      "quoted_break", "control", "digits", "formula"]))
    name = {
        "plain": "Zwartkop",
        "literal_quote": 'O"Neill',
        "stray_open": '"t Hart',
        "quoted_delimiter": quoted(f"Zwartkop{delimiter} Piet"),
        "quoted_break": quoted(f"Zwart{newline}kop"),
        "control": "Zwart" + draw(st.sampled_from(CONTROLS)) + "kop",
        "digits": "Zwartkop \u0661\uff12",
        "formula": draw(st.sampled_from(["=1+1", "-Zwartkop", "@x", "+31"])),
    }[name_kind]
    start_kind = draw(st.sampled_from(["ok", "ok", "ok", "iso", "bad", "future", "empty"]))
    start = {"ok": "01-03-2025", "iso": "2025-03-01", "bad": "31-02-2025", "future": "01-01-2027",
             "empty": ""}[start_kind]
    end_kind = draw(st.sampled_from(["none", "none", "later", "before", "open"]))
    end = {"none": "", "later": "01-03-2026", "before": "01-01-2020", "open": "31-12-9999"}[end_kind]
    birth_kind = draw(st.sampled_from(["ok", "ok", "bad"]))
    birth = {"ok": "17-06-1971", "bad": "1971-17-06"}[birth_kind]
    dossier = draw(st.sampled_from(["D-1", "", '"D-2"', "D" + draw(st.sampled_from(CONTROLS)) + "3"]))
    text = delimiter.join([cell, name, birth, start, start, end, dossier])
    clean = (bsn is not None and start_kind in ("ok", "iso") and end_kind != "before"
             and birth_kind == "ok" and '"' not in text)
    return Row(text, bsn, clean)


@st.composite
def extracts(draw) -> tuple[bytes, list[tuple[int, Row]], int]:
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [delimiter.join(COLUMNS)]
    numbered: list[tuple[int, Row]] = []
    line = 2
    for index in range(draw(st.integers(min_value=1, max_value=MAX_ROWS))):
        row = draw(rows(index, delimiter, newline))
        numbered.append((line, row))
        lines.append(row.text)
        line += row.text.count(newline) + 1
        for _ in range(draw(st.sampled_from([0, 0, 0, 1]))):
            lines.append(draw(st.sampled_from(["", delimiter * (len(COLUMNS) - 1)])))
            line += 1
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    chunk = draw(st.sampled_from([1 << 20, 64, 7]))
    return text.encode("utf-8"), numbered, chunk


def snapshot_bsns(text: str) -> set[str]:
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert not records or records[0][0] == "bsn"
    return {r[0] for r in records[1:] if r}


@settings(derandomize=True, max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(extracts())
def test_a_person_without_an_error_on_their_line_is_in_the_snapshot(extract):
    data, numbered, chunk = extract
    out = io.StringIO()
    result = validate_extract([data[i:i + chunk] for i in range(0, len(data), chunk)], today=TODAY,
                              rules=Rules(invalid_threshold=1.0), snapshot_out=out, max_issues=1_000_000)
    assert "issues_truncated" not in {i.code.value for i in result.issues}
    errors = {i.row for i in result.issues if CODES[i.code].severity is Severity.ERROR}
    people = snapshot_bsns(out.getvalue())
    lost = [line for line, row in numbered if row.bsn and line not in errors and row.bsn not in people]
    assert not lost, (f"people lost without an error on their line: lines {lost}; decision "
                      f"{result.decision} ({result.reason}); errors on lines {sorted(errors, key=str)}")
    if b'"' not in data:
        # Without any quote, a row valid in every rule has no error at all (no blanket errors).
        flagged = [line for line, row in numbered if row.clean and line in errors]
        assert not flagged, f"valid rows with an error: lines {flagged}"


# -- BsnSet: a set of valid BSNs as one bit per eight-digit prefix --------------------------------
def _valid_in_byte(byte: int) -> list[str]:
    """The valid BSNs whose prefixes share byte ``byte`` of the bitmap (prefixes 8*byte..+7)."""
    return [b for p in range(8 * byte, 8 * byte + 8) if (b := bsn_from_prefix(p)) is not None]


def _byte_with_valid(start: int, at_least: int) -> list[str]:
    byte = start
    while len(found := _valid_in_byte(byte)) < at_least:
        byte += 1
    return found


SAME_BYTE = _byte_with_valid(1_234_567, 4)  # neighbours: a change to one must leave the others
KEYS = [*SAME_BYTE, *_byte_with_valid(1, 2), *_byte_with_valid(12_499_990, 2)]  # both ends too


def test_removing_a_bsn_leaves_its_neighbours_in_the_same_byte_alone():
    a, b, c, d = (int(x) for x in SAME_BYTE[:4])
    s = BsnSet()
    assert len(s) == 0 and a not in s and s.discard(a) is False  # nothing allocated yet
    assert s.add(a) and s.add(b) and s.add(c) and not s.add(b)
    assert s.discard(b) is True and s.discard(b) is False
    assert (a in s, b in s, c in s, d in s, len(s)) == (True, False, True, False, 2)
    assert s.discard(d) is False and len(s) == 2  # never added, in the same byte
    assert s.discard(a) is True and (a in s, c in s, len(s)) == (False, True, 1)
    s.recount()
    assert len(s) == 1
    assert s.add(b) and len(s) == 2 and b in s and d not in s


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "discard"]), st.sampled_from(KEYS)), max_size=40))
def test_a_bsn_set_behaves_as_a_set_of_ints(operations):
    s, model = BsnSet(), set()
    for operation, key in operations:
        key = int(key)
        if operation == "add":
            assert s.add(key) is (key not in model)
            model.add(key)
        else:
            assert s.discard(key) is (key in model)
            model.discard(key)
        assert len(s) == len(model)
        assert [int(k) in s for k in KEYS] == [int(k) in model for k in KEYS]
    s.recount()
    assert len(s) == len(model)


# -- PeopleSeen.add_invalid: the first line per person, for at most MAX_INVALID_LINES people -----
def test_an_invalid_person_keeps_the_line_of_their_first_invalid_row():
    state, key = PeopleSeen(), int(KEYS[0])
    state.add_invalid(key, 5)
    state.add_invalid(key, 9)
    assert state.invalid_lines == {key: 5} and key in state.invalid and len(state.invalid) == 1


def test_lines_of_invalid_rows_are_remembered_for_the_first_people_only(monkeypatch):
    monkeypatch.setattr(people, "MAX_INVALID_LINES", 3)
    state = PeopleSeen()
    for line, key in enumerate(KEYS[:6], start=2):
        state.add_invalid(int(key), line)
        state.add_invalid(int(key), line + 100)  # a second invalid row: neither kept nor counted
    assert state.invalid_lines == {int(k): line for line, k in enumerate(KEYS[:3], start=2)}
    assert len(state.invalid) == 6 and all(int(k) in state.invalid for k in KEYS[:6])


# -- ShapeChecker: pattern.fullmatch with a bounded memo -------------------------------------------
def test_the_shape_memo_answers_right_every_time_and_stays_bounded():
    check = ShapeChecker(re.compile(r"\d{5}"))
    assert check("") is True and check("") is True  # '' is fine: the field is optional
    limit = ShapeChecker.LIMIT
    for i in range(limit + 50):  # more distinct values than the memo keeps
        value = f"{i:05d}"
        assert check(value) is True and check(value) is True
        if i % 997 == 0 or i >= limit - 3:
            assert check(f"x{value}") is False and check(f"x{value}") is False
            assert check("\u0661" + value[1:]) is False  # another script's digit: never the shape
            assert check("") is True
        assert len(check.cache) <= limit
    assert check("") is True and check("XXXX") is False and check("00001") is True
