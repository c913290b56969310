"""The counsellor's CSV report: every cell shown as text, never run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from shared.domain.issues import Code, Issue
from shared.domain.report import FORMULA_TRIGGERS, REPORT_CSV_HEADER, report_csv, spreadsheet_cell
from shared.domain.validation import ValidationResult

# Values a hostile or careless export can put in a dossiernummer (OWASP CSV injection).
PAYLOADS = (
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    " =1",
    "  +1",
    "\u3000=1",  # ideographic space
    "\uff1d1+1",  # fullwidth equals sign
    "\uff0bcmd",
    "\uff0d1",
    "\uff20SUM(1)",
    "\n=1",
)


def parse(report: bytes) -> list[list[str]]:
    text = report.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def is_live(cell: str) -> bool:
    return bool(cell) and (cell[0] in FORMULA_TRIGGERS or cell.lstrip()[:1] in FORMULA_TRIGGERS)


def result_with(dossiernummers, *, detail: str | None = None) -> ValidationResult:
    result = ValidationResult(total=len(dossiernummers), valid=0)
    for row, dossier in enumerate(dossiernummers, start=2):
        result.issues.append(Issue(Code.BSN_FORMAT, row, "bsn", detail, dossier))
    return result


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spreadsheet_cell_neutralises_every_formula_trigger(payload):
    cell = spreadsheet_cell(payload)
    assert cell == "'" + payload
    assert not is_live(cell)


@pytest.mark.parametrize("value", ["D-123", "2024-0001", "abc=1", "", "12", "Jansen + zn", "'quoted"])
def test_spreadsheet_cell_leaves_other_values_exactly_as_they_are(value):
    assert spreadsheet_cell(value) == value


def test_spreadsheet_cell_takes_numbers_and_none():
    assert spreadsheet_cell(3) == "3"
    assert spreadsheet_cell(-3) == "'-3"
    assert spreadsheet_cell(None) == ""


def test_report_csv_has_no_live_formula_in_any_cell():
    report = report_csv(result_with(PAYLOADS))
    rows = parse(report)
    assert tuple(rows[0]) == REPORT_CSV_HEADER
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if is_live(cell)]
    # Every payload is still there, readable, behind the quote.
    dossiers = [row[5] for row in rows[2:]]
    assert dossiers == ["'" + p for p in PAYLOADS]


def test_report_csv_neutralises_every_column_not_only_the_dossiernummer():
    result = result_with(["D-1"], detail="=1+1")
    result.issues.append(Issue(Code.REQUIRED, None, "-veld", None, None))
    rows = parse(report_csv(result))
    assert not [cell for row in rows for cell in row if is_live(cell)]
    # File-level errors come before row errors.
    assert rows[2][1] == "'-veld"
    assert rows[3][4].endswith(": =1+1")  # the message starts with Dutch text, left alone


def test_report_csv_keeps_plain_values_and_its_layout():
    result = result_with(["D-2024-001", "12345"])
    text = report_csv(result).decode("utf-8")
    assert text.startswith("\ufeffregel;veld;code;ernst;melding;dossiernummer\r\n")
    rows = parse(report_csv(result))
    assert rows[1][2] == "besluit" and rows[1][4].startswith("Bestand afgewezen")
    assert [row[0] for row in rows[2:]] == ["2", "3"]
    assert [row[5] for row in rows[2:]] == ["D-2024-001", "12345"]
