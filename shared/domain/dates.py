"""Dutch dates: day before month, always. ``03-04-2025`` is 3 April 2025.

Accepted: ``dd-mm-jjjj``, ``d-m-jjjj``, ``dd/mm/jjjj``, ``dd.mm.jjjj``, ISO ``jjjj-mm-dd``
and ``jjjjmmdd``. A midnight time may follow, as exports add one to a date: after an ISO date
as database exports write it (``2025-03-13 00:00:00``, ``2025-03-13T00:00:00Z``), after a
day-month-year date as Excel writes it (one space, then ``0:00``, ``00:00`` or ``00:00:00``:
``13-03-2025 00:00``). Any other time (``13-03-2025 09:30``, ``13-03-2025 25:99``) is no date:
a moment in the day is not what the field means, and no rule guesses which day it belongs to.
Two-digit years and month-first dates are never accepted: a value such as ``12/31/2024``
is an error, not a guess; :func:`year_has_two_digits` tells the caller why ``13-01-25`` is
one. Years run from 1900 to 2199, and 9999: case systems write ``31-12-9999`` for "no end
date" (the validation reads it so for an einddatum).
"""

from __future__ import annotations

import re
from datetime import date

MIN_YEAR = 1900
MAX_YEAR = 2199
OPEN_END_YEAR = 9999

_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?: 0?0:00(?::00)?)?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MIDNIGHT = re.compile(r"[ T]0{1,2}:00(:00(\.0+)?)?Z?")

_CACHE: dict[str, date | None] = {"": None}
_CACHE_LIMIT = 50_000


def _build(year: int, month: int, day: int) -> date | None:
    if not (MIN_YEAR <= year <= MAX_YEAR or year == OPEN_END_YEAR):
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse(value: str) -> date | None:
    if not value.isascii():
        return None
    n = len(value)
    if n == 8 and value.isdigit():
        return _build(int(value[:4]), int(value[4:6]), int(value[6:]))
    m = _DMY.fullmatch(value)
    if m:
        return _build(int(m.group(4)), int(m.group(3)), int(m.group(1)))
    if n >= 10:
        m = _ISO.fullmatch(value[:10])
        if m and (n == 10 or _MIDNIGHT.fullmatch(value[10:])):
            return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


_TWO_DIGIT_YEAR = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2\d{2}(?: 0?0:00(?::00)?)?")


def year_has_two_digits(value: str) -> bool:
    """Whether a stripped cell is a day-month-year date with a two-digit year (``13-01-25``,
    ``3/1/25``, ``13-01-25 00:00``): refused, with a reason of its own (which century?). Only
    when its first two groups are a day and a month: ``1/13/25`` and ``12/31/24`` are
    month-first, and a plain unrecognised date."""
    m = _TWO_DIGIT_YEAR.fullmatch(value) if value.isascii() else None
    return m is not None and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(3)) <= 12


def parse_dutch_date(value: str) -> date | None:
    """Parse a stripped cell; None when it is not an accepted Dutch date.

    Extracts repeat the same few thousand dates many times, so results are memoised in a
    bounded cache (cleared when full: memory stays flat on any input).
    """
    try:
        return _CACHE[value]
    except KeyError:
        pass
    result = _parse(value)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
        _CACHE[""] = None  # always known: lets callers tell "empty" from "never seen"
    _CACHE[value] = result
    return result
