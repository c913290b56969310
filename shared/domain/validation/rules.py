"""The rules on a record's values, one implementation each, for both passes over the records.

The per-record path (:meth:`records.RecordChecker.check`) turns what these functions find into
issues; the shortcut (:func:`fast_path.run_records`) takes a record inline only when they find
nothing. So the two cannot disagree on a rule: the 11-proef (:func:`shared.domain.bsn.is_valid_bsn`),
the date format (:func:`shared.domain.dates.parse_dutch_date`), eligibility
(:mod:`shared.domain.eligibility`) and the rules below are each written once.
"""

from __future__ import annotations

from datetime import date

from shared.domain.bsn import in_scientific_notation
from shared.domain.dates import OPEN_END_YEAR
from shared.domain.issues import Code, Issue
from shared.domain.validation.cells import POSTCODE

# A finding that is not an error: an einddatum in 9999 means "no end date" (case systems write
# 31-12-9999); the record is kept without one and the file's report says so once.
OPEN_END = "open_end"

_FUTURE_START = (("startdatum", Code.DATE_IN_FUTURE),)
_FUTURE_TOEL = (("toelatingsdatum", Code.DATE_IN_FUTURE),)
_FUTURE_BIRTH = (("geboortedatum", Code.DATE_IN_FUTURE),)
_OPEN_END = (("einddatum", OPEN_END),)
_END_BEFORE_START = (("einddatum", Code.END_BEFORE_START),)


def date_findings(start: date | None, toel: date | None, eind: date | None, geb: date | None,
                  today: date) -> tuple[tuple[str, str], ...]:
    """The date rules of one record, on its parsed dates (None: empty, or unreadable, which the
    caller reports): start, toelating and birth not after ``today``; an einddatum in 9999 is no
    end date (:data:`OPEN_END`); an einddatum before a startdatum that is not in the future is an
    error (the same day is fine). Returns ``(field, finding)`` pairs in field order; ``()`` when
    there is nothing to say."""
    found: tuple[tuple[str, str], ...] = ()
    if start is not None and start > today:
        found, start = _FUTURE_START, None
    if toel is not None and toel > today:
        found += _FUTURE_TOEL
    if eind is not None and eind.year == OPEN_END_YEAR:
        found += _OPEN_END
        eind = None
    if geb is not None and geb > today:
        found += _FUTURE_BIRTH
    if start is not None and eind is not None and eind < start:
        found += _END_BEFORE_START
    return found


def normal_postcode(value: str) -> str | None:
    """A Dutch postcode as ``1234AB`` (one space and lower-case letters allowed); '' for an
    empty one, None for any other value."""
    if not value:
        return ""
    m = POSTCODE.fullmatch(value)
    return m.group(1) + m.group(2).upper() if m else None


def huisnummer_ok(value: str) -> bool:
    """Empty, or 1 to 5 ASCII digits without a leading zero."""
    return not value or (value.isascii() and value.isdigit() and value[0] != "0" and len(value) < 6)


def dossier_key(doss: str, ln: int, dref: str | None, add) -> str:
    """The dossiernummer to match an invalid row to a leaver by: '' for one Excel rounded (many
    clients may share it: it names no dossier), which ``add`` (if given) reports."""
    if not (doss and in_scientific_notation(doss)):
        return doss
    if add is not None:
        add(Issue(Code.DOSSIER_SCIENTIFIC_NOTATION, ln, "dossiernummer", None, dref))
    return ""
