"""Masking that keeps personal data out of names, messages, logs and records. Pure.

* :func:`mask_bsns` masks every number that can be a BSN, in any punctuation and in any script
  of digits: nine digits passing the 11-proef (``123456782``, ``1234.56.782``, ``123-456-782``,
  ``123 456 782``) and eight plain digits that pass with a leading zero (a spreadsheet dropped
  it). Other numbers (dates, sequence numbers, counts) stay readable.
* :func:`redact` is that mask for free text: the log-record factory in ``shared.log`` applies it
  to every log record, the outcome store to every free text it keeps.
* :func:`shown_value` is how a value from a data row may appear in a report or on a screen: BSNs
  masked, control characters gone, length bounded (the dossiernummer).
* :func:`safe_name` is a blob or file name fit for outcome entities, reports and logs: exports
  are sometimes named after a client (``123456782-jansen-01-02-1980.csv``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from shared.domain.bsn import is_valid_bsn

# Digit groups joined by one separator: the ways people write a BSN. ``\d`` is any script.
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]\d+)*")
_GROUP = re.compile(r"\d+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Dates as file names carry them: 01-02-1980, 1-2-1980, 1980-02-01, 01021980, 19800201.
# A number of seven or more digits that is no date: a telephone number, say.
_NAME_NUMBER = re.compile(
    r"(?<!\d)(?:(\d{1,2})[-_. ](\d{1,2})[-_. ](\d{4})|(\d{4})[-_. ](\d{1,2})[-_. ](\d{1,2})"
    r"|(\d{8}))(?!\d)|(\d{7,})")
# A person born this many years before today can be a client (or a client's partner).
ADULT_YEARS = 16


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in text)


def _bsn_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a number that can be a BSN: a run of one or more consecutive digit
    groups with nine digits in all that passes the 11-proef, or one group of eight digits that
    passes with a leading zero."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start(), _ascii_digits(m.group()))
                  for m in _GROUP.finditer(run.group())]
        for i, (start, _, _) in enumerate(groups):
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > 9:
                    break
                single = i == j
                if ((len(digits) == 9 and is_valid_bsn(digits))
                        or (single and len(digits) == 8 and is_valid_bsn("0" + digits))):
                    spans.append((start, groups[j][1]))
                    break
    return spans


def mask_bsns(text: str, mask: str = "*") -> str:
    """``text`` with every number that can be a BSN replaced by ``*****`` and its last four
    digits (enough to recognise a client, useless to anyone else)."""
    spans = _bsn_spans(text)
    if not spans:
        return text
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue  # overlapping candidates: the first one already covers this
        digits = _ascii_digits("".join(c for c in text[start:end] if c.isdigit()))
        out.append(text[at:start])
        out.append(mask * 5 + digits[-4:])
        at = end
    out.append(text[at:])
    return "".join(out)


# Where names chosen by an organisation appear in text: the path of an incoming extract, in a
# URL or a message (``extracts/{org}/{file}``; the container name is fixed by the trigger).
EXTRACTS_CONTAINER = "extracts"
_EXTRACT_PATH = re.compile(rf"({EXTRACTS_CONTAINER}/[^/\s'\"?#]+/)([^\s'\"?#]+)")


def redact(text: str, today: date | None = None) -> str:
    """Mask every number in ``text`` that can be a BSN (the safety net under every log line)
    and, given ``today``, the file name in the path of an incoming extract (the Azure SDK logs
    request URLs) as :func:`safe_name` shows it."""
    if today is not None and EXTRACTS_CONTAINER in text:
        text = _EXTRACT_PATH.sub(
            lambda m: m.group(1) + safe_name(m.group(2), today), text)
    return mask_bsns(text)


def printable(text: str) -> str:
    """``text`` with anything a terminal or spreadsheet would act on shown escaped (``\\x1b``):
    control and format characters, line and paragraph separators."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def shown_value(value: str, limit: int = 50) -> str:
    """A value from a data row as a report or a screen may show it: BSNs masked, characters
    that are not printable dropped, at most ``limit`` characters."""
    if not value.isprintable():
        value = "".join(c for c in value if c.isprintable())
    return mask_bsns(value)[:limit]


def _year_of(year: str, month: str, day: str) -> int | None:
    """The year of a valid calendar date, else None."""
    try:
        return date(int(year), int(month), int(day)).year
    except ValueError:
        return None


def _old_enough(year: int, today: date) -> bool:
    return year <= today.year - ADULT_YEARS


def safe_name(name: str, today: date, limit: int = 120, *, words: bool = True) -> str:
    """A blob or file name for outcome entities, reports and logs: what helps an operator find
    the file, nothing that identifies a person.

    Kept: the extension, separators, short numbers and dates that cannot be a birth date (an
    export date). Masked with ``x``: numbers that can be a BSN, dates that can be a birth date
    (at least :data:`ADULT_YEARS` years ago), other numbers of seven or more digits (telephone
    numbers), and every letter of a word but the first (a surname), unless ``words`` is False
    (a storage folder, where an organisation code is expected).
    """
    stem, dot, extension = name.rpartition(".")
    if not dot or not (extension.isascii() and extension.isalnum() and len(extension) <= 5):
        stem, dot, extension = name, "", ""
    stem = "".join(c for c in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(c))
    stem = mask_bsns(stem, "x")

    def number_mask(m: re.Match) -> str:
        text = m.group(0)
        if m.group(7):
            d = m.group(7)
            readings = [(d[:4], d[4:6], d[6:]), (d[4:], d[2:4], d[:2])]  # yyyymmdd, ddmmyyyy
        elif m.group(3):
            readings = [(m.group(3), m.group(2), m.group(1))]
        elif m.group(4):
            readings = [(m.group(4), m.group(5), m.group(6))]
        else:
            readings = []
        years = [y for y in (_year_of(*r) for r in readings) if y is not None]
        if years and not any(_old_enough(y, today) for y in years):
            return text  # an export date, not a birth date
        return re.sub(r"\d", "x", text) if years or len(text) >= 7 else text

    stem = _NAME_NUMBER.sub(number_mask, stem)
    if words:
        stem = _LETTERS.sub(lambda m: m.group(0)[0] + "x" * (len(m.group(0)) - 1), stem)
    cleaned = _UNSAFE.sub("_", stem + dot + extension)
    return cleaned[-limit:] or "_"
