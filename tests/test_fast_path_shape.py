"""Which lines the inline shortcut takes, and that near misses decide as the per-record path.

The shortcut is there for speed: plain clean lines, and lines with every field quoted (exports
that quote all), never reach :meth:`RecordChecker.check`. Every line that is nearly such a
line (a quote missing, one field more or less, an escaped quote, a space outside the quotes)
must give exactly what the per-record path gives.
"""

from __future__ import annotations

import pytest

import shared.domain.validation.fast_path as fast_path
from shared.domain.validation import Rules, records
from tests.helpers import HEADER, bsns, csv_bytes, run

B = bsns(6, seed=21)


def checked_lines(monkeypatch, data: bytes) -> tuple[list[int], tuple]:
    """The lines the per-record path was asked about, and the result and snapshot."""
    seen: list[int] = []
    check = records.RecordChecker.check

    def counting(self, row, ln):
        seen.append(ln)
        return check(self, row, ln)

    monkeypatch.setattr(records.RecordChecker, "check", counting)
    return seen, run(data, snapshot=True, rules=Rules(invalid_threshold=1.0))


@pytest.mark.parametrize(("line", "header"), [
    (f"{B[0]};01-02-2024;05-02-2024;;D1", HEADER),
    (f'"{B[0]}";"01-02-2024";"05-02-2024";"";"D1"', HEADER),
    (f'"{B[0]}";"2024-02-01";"20240205";"31-12-2030";"ZK 1"', HEADER),
    (f"{B[0]};01-02-2024;05-02-2024;;XD-1X", HEADER),         # X at the end stays
    (f"{B[0]};01-02-2024;05-02-2024;;Yılmaz-1", HEADER),      # not ASCII, no other digits
    (f"{B[0]}\t01-02-2024\t05-02-2024\t\tD 1", HEADER.replace(";", "\t")),  # tab-separated
    (f"{B[0]};01-02-2024 00:00;5-2-2024 0:00;31-12-2030 00:00:00;D1", HEADER),  # Excel's midnight
])
def test_clean_lines_plain_or_all_quoted_take_the_shortcut(monkeypatch, line, header):
    delimiter = "\t" if "\t" in header else ";"
    data = csv_bytes(line, line.replace(B[0], B[1]), header=header)
    seen, (result, snapshot) = checked_lines(monkeypatch, data)
    assert seen == []
    assert (result.total, result.valid) == (2, 2)
    assert sorted(r[0] for r in snapshot) == sorted([B[0], B[1]])
    assert {r[12] for r in snapshot} == {line.split(delimiter)[4].strip('"')}


@pytest.mark.parametrize(("line", "header"), [
    (f"{B[0]};01-02-2024;05-02-2024;; D1", HEADER),           # a space after the delimiter
    (f"{B[0]};01-02-2024 ;05-02-2024;;D1", HEADER),           # a space before it
    (f"{B[0]};Jansen ;01-02-2024;D1", "BSN;Achternaam;Startdatum traject;Dossiernummer"),
    (f"{B[0]}; Jansen;01-02-2024;D1", "BSN;Achternaam;Startdatum traject;Dossiernummer"),
    (f"{B[0]};01-02-2024;05-02-2024;;D\t1", HEADER),          # a tab inside a field
    (f"{B[0]};01-02-2024;05-02-2024;;D1 ", HEADER),           # a space at the end of the line
    (f"{B[0]}\t01-02-2024\t05-02-2024\t\tD\xa01", HEADER.replace(";", "\t")),  # NBSP
    (f"{B[0]};01-02-2024;05-02-2024;;ZK-١٢", HEADER),          # digits of another script
    (f"{B[0]};01-02-2024 00:00 ;05-02-2024;;D1", HEADER),     # a space after Excel's midnight
])
def test_a_clean_line_but_for_white_space_decides_as_the_per_record_path(monkeypatch, line,
                                                                         header):
    data = csv_bytes(line, header=header)
    fast = run(data, snapshot=True)
    monkeypatch.setattr(fast_path, "FAST_PATH", False)
    slow = run(data, snapshot=True)
    assert fast[0].to_contract() == slow[0].to_contract() and fast[1] == slow[1]
    assert [r[0] for r in fast[1]] == [B[0]]


NEAR_MISSES = [
    f'{B[0]}";"01-02-2024";"05-02-2024";"";"D1"',      # the first quote missing
    f'"{B[0]}";"01-02-2024";"05-02-2024";"";"D1',      # the last quote missing
    f'"{B[0]}";"01-02-2024";"05-02-2024";""',           # a field less
    f'"{B[0]}";"01-02-2024";"05-02-2024";"";"D1";"x"',  # a field more
    f'"{B[0]}";"01-02-2024";"05-02-2024";"";"D""1"',   # an escaped quote in a field
    f'"{B[0]}" ;"01-02-2024";"05-02-2024";"";"D1"',     # a space outside the quotes
    f'"{B[0]}";01-02-2024;"05-02-2024";"";"D1"',        # one field not quoted
    f'""{B[0]}";"01-02-2024";"05-02-2024";"";"D1"',     # a doubled opening quote
    f'"{B[0]}";"01-02-2024";"05-02-2024";"";"D1""',     # a doubled closing quote
    f'"{B[0]};01-02-2024;05-02-2024;;D1"',              # the whole line one quoted field
    f'"";"01-02-2024";"05-02-2024";"";"{B[0]}"',        # empty quoted BSN
    '"";"";"";"";""',                                  # every field quoted and empty
]


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_a_near_miss_of_an_all_quoted_line_decides_as_the_per_record_path(monkeypatch, line):
    data = csv_bytes(f"{B[2]};01-02-2024;05-02-2024;;D2", line, f'"{B[3]}";"01-02-2024";"";"";"D3"')
    fast = run(data, snapshot=True, rules=Rules(invalid_threshold=1.0))
    monkeypatch.setattr(fast_path, "FAST_PATH", False)
    slow = run(data, snapshot=True, rules=Rules(invalid_threshold=1.0))
    assert fast[0].to_contract() == slow[0].to_contract()
    assert fast[0].summary() == slow[0].summary()
    assert sorted(fast[1]) == sorted(slow[1])


def test_a_header_only_line_width_is_what_an_all_quoted_line_must_match(monkeypatch):
    """Two fields: one separator between quotes. A line with the header's width minus two
    separators is no all-quoted line of this file."""
    header = "BSN;Startdatum traject"
    data = csv_bytes(f'"{B[4]}";"01-02-2024"', f'"{B[5]}"', header=header)
    seen, (result, snapshot) = checked_lines(monkeypatch, data)
    assert seen == [3]  # only the short line was handed over
    assert (result.total, result.valid) == (2, 1)
    assert [r[0] for r in snapshot] == [B[4]]


@pytest.mark.parametrize("huisnummer", ["012", "0", "123456", "12a"])
def test_a_line_clean_but_for_its_huisnummer_gets_the_warning_every_time(monkeypatch, huisnummer):
    """The shortcut remembers its verdict per huisnummer: the first and the second line with
    the same wrong value are both handed over and warned about, the good ones are not."""
    header = "BSN;Startdatum traject;Huisnummer;Dossiernummer"
    data = csv_bytes(f"{B[0]};01-02-2024;{huisnummer};D1", f"{B[1]};01-02-2024;12;D2",
                     f"{B[2]};01-02-2024;{huisnummer};D3", header=header)
    seen, (result, snapshot) = checked_lines(monkeypatch, data)
    assert seen == [2, 4]
    assert [(i.row, i.field, i.dossiernummer) for i in result.issues if i.row] == [
        (2, "huisnummer", "D1"), (4, "huisnummer", "D3")]
    assert sorted(r[7] for r in snapshot) == ["", "", "12"]


GEB_HEADER = "BSN;Geboortedatum;Startdatum traject;Dossiernummer"


@pytest.mark.parametrize(("geb", "handed_over", "kept", "code"), [
    ("02-03-1980", [], "1980-03-02", None),
    ("", [], "", None),
    ("02-03-2099", [2], None, "date_in_future"),
    ("31-02-1980", [2], None, "date_format"),
])
def test_the_shortcut_applies_the_birth_date_rules(monkeypatch, geb, handed_over, kept, code):
    data = csv_bytes(f"{B[0]};{geb};01-02-2024;" + "Z" * 60, header=GEB_HEADER)
    seen, (result, snapshot) = checked_lines(monkeypatch, data)
    assert seen == handed_over
    assert [i.code.value for i in result.issues if i.row] == ([code] if code else [])
    if kept is None:
        assert snapshot == []
    else:  # the dossiernummer is cut at 50 characters on either path
        assert [(r[0], r[2], r[12]) for r in snapshot] == [(B[0], kept, "Z" * 50)]


def test_lines_read_again_after_a_runaway_quote_keep_every_rule(monkeypatch):
    """A quote that would swallow the lines after it: those lines are read again, each by the
    per-record path, so a value over the length limit among them is still an error."""
    header = "BSN;Achternaam;Startdatum traject;Dossiernummer"
    data = csv_bytes(f'{B[0]};"O;01-02-2024;D1', f"{B[1]};{'N' * 300};01-02-2024;D2",
                     f"{B[2]};Jansen;01-02-2024;D3", header=header)
    result, snapshot = run(data, snapshot=True, rules=Rules(invalid_threshold=1.0))
    assert [(i.row, i.code.value) for i in result.issues if i.row] == [
        (2, "quote_swallows_rows"), (3, "value_too_long")]
    assert [r[0] for r in snapshot] == [B[2]]
