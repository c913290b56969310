"""Reports per extract: JSON for machines, CSV in Dutch for the debt counsellor.

Neither holds an unmasked BSN: issues point at a line number and the dossiernummer. Every cell
of the CSV goes through :func:`spreadsheet_cell`, so a value from the extract (a dossiernummer
such as ``=HYPERLINK(...)``) is shown as text and never runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from shared.domain.issues import CODES, Code
from shared.domain.validation import ValidationResult

REPORT_CSV_HEADER = ("regel", "veld", "code", "ernst", "melding", "dossiernummer")
_SEVERITY_NL = {"error": "fout", "warning": "waarschuwing"}
DECISION_NL = {"accepted": "geaccepteerd", "rejected": "afgewezen"}
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, CSV
# injection), with the fullwidth forms some of them accept as well.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: a cell that starts with a formula
    trigger (also after leading whitespace) gets a ``'`` in front, as OWASP advises. Every
    other cell is left exactly as it is. Only for files people open: the snapshot and the SNG
    delivery file keep their values intact."""
    text = "" if value is None else str(value)
    if text and (text[0] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS):
        return "'" + text
    return text


def _row(*cells: object) -> list[str]:
    return [spreadsheet_cell(cell) for cell in cells]


def reason_message(code: Code | None) -> str | None:
    return CODES[code].message if code else None


def report_json(result: ValidationResult, *, organisation: str, extract: str,
                received_at: datetime) -> bytes:
    document = {
        "organisation": organisation,
        "extract": extract,
        "received_at": received_at.isoformat(),
        **result.to_contract(),
        "reason_message": reason_message(result.reason),
        "summary": result.summary(),
        "issue_counts": {code.value: n for code, n in sorted(result.issue_counts.items())},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def report_csv(result: ValidationResult) -> bytes:
    """Semicolon CSV with a BOM, so Excel with Dutch settings opens it correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_row(*REPORT_CSV_HEADER))
    decision = DECISION_NL[result.decision]
    reason = reason_message(result.reason)
    writer.writerow(_row("", "", "besluit", "", f"Bestand {decision}" + (f": {reason}" if reason else "")
                         + f" ({result.valid} van {result.total} regels geldig)", ""))
    for issue in result.issues:
        writer.writerow(_row(issue.row or "", issue.field or "", issue.code.value,
                             _SEVERITY_NL[issue.severity.value], issue.message,
                             issue.dossiernummer or ""))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
