"""Reports per extract: JSON for machines, CSV in Dutch for the debt counsellor.

Neither holds an unmasked BSN: issues point at a line number and the dossiernummer.
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
    writer.writerow(REPORT_CSV_HEADER)
    decision = DECISION_NL[result.decision]
    reason = reason_message(result.reason)
    writer.writerow(("", "", "besluit", "", f"Bestand {decision}" + (f": {reason}" if reason else "")
                     + f" ({result.valid} van {result.total} regels geldig)", ""))
    for issue in result.issues:
        writer.writerow((issue.row or "", issue.field or "", issue.code.value,
                         _SEVERITY_NL[issue.severity.value], issue.message,
                         issue.dossiernummer or ""))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
