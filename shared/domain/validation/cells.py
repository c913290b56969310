"""The shape of single cells and lines: patterns, the length limit, control characters.

Shared by the per-record path (``records``) and the shortcut (``fast_path``).
"""

from __future__ import annotations

import re

from shared.domain.issues import Code
from shared.domain.text import clean_text, has_other_digits

MAX_VALUE_LENGTH = 255
POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
# Dutch numbers incl. the municipal "14 0xx" short numbers and international ones.
_PHONE = re.compile(r"(?:\+|00)?[0-9][0-9 ()\-]{3,18}[0-9]")
# Free text: digits of other scripts become 0-9 here. In the BSN, date, postcode, huisnummer
# and contact fields they are left for that field's own rule (a BSN in ١٢٣ is refused).
FREE_TEXT = frozenset({"achternaam", "voorvoegsel", "voorletters", "huisnummertoevoeging",
                       "dossiernummer", "contact_naam"})


class ShapeChecker:
    """``pattern.fullmatch`` with a bounded memo: contact details repeat on most rows.
    ``cache`` maps a text to whether it has the shape ('' counts as fine: the field is optional).
    A value with digits other than 0-9 (``١``, ``１``, ``²``) never has the shape."""

    LIMIT = 10_000

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        self.cache: dict[str, bool] = {"": True}

    def __call__(self, value: str) -> bool:
        hit = self.cache.get(value)
        if hit is None:
            if len(self.cache) >= self.LIMIT:
                self.cache = {"": True}
            hit = self.cache[value] = (self.pattern.fullmatch(value) is not None
                                       and not has_other_digits(value))
        return hit


def shape_errors(row: list[str], width: int) -> list[tuple[Code, str]]:
    """Errors in the shape of a line: extra non-empty fields, an overlong value."""
    errors, n = [], getattr(row, "total", 0) or len(row)  # reader.FieldList: more than kept
    if n > width and any(c.strip() for c in row[width:]):
        errors.append((Code.COLUMN_COUNT, f"{n} velden, kopregel heeft er {width}"))
    if max(map(len, row)) > MAX_VALUE_LENGTH:
        errors.append((Code.VALUE_TOO_LONG, f"meer dan {MAX_VALUE_LENGTH} tekens"))
    return errors


def clean_row(row: list[str], field_of: dict[int, str]) -> tuple[list[str], list[tuple[str, Code]]]:
    """The row without control characters, and free text with digits as 0-9 (``field_of``:
    column index -> field); which fields changed, for a warning each. Columns the extract
    does not use are left alone."""
    found: list[tuple[str, Code]] = []
    joined = "".join(row)
    if joined.isprintable() and not has_other_digits(joined):
        return row, found
    row = list(row)
    for i, name in field_of.items():
        if i < len(row):
            value, removed, converted = clean_text(row[i], digits=name in FREE_TEXT)
            row[i] = value
            if removed:
                found.append((name, Code.CONTROL_CHARACTERS))
            if converted:
                found.append((name, Code.NON_ASCII_DIGITS))
    return row, found
