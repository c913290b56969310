"""Masking that keeps personal data out of names, messages, logs and records. Pure.

* :func:`mask_bsns` masks every number that can be a BSN, in any punctuation and in any script
  of digits: nine digits passing the 11-proef (``123456782``, ``1234.56.782``, ``123-456-782``,
  ``123 456 782``, ``123_456_782``, ``123\u2013456\u2013782``, ``12345\u200b6782``: digit groups
  joined by one or two characters that are neither letters nor digits) and eight plain digits
  that pass with a leading zero (a spreadsheet dropped it). Other numbers (dates, sequence
  numbers, counts) stay readable.
* :func:`redact` is that mask for free text: the log-record factory in ``shared.log`` applies it
  to every log record, the outcome store to every free text it keeps. It also sees through
  percent-encoding (``123%20456%20782`` in a request URL).
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

# A number that can be a BSN, found where it starts (the start of a digit group): eight plain
# digits, or nine digits in one or more consecutive groups joined by one to three characters that
# are neither letters nor digits (``123 456 782``, ``123_456_782``, ``12345\u200b6782``, ``123--456``,
# ``123 - 456 - 782``).
# ``\d`` is a digit of any script. Both readings are looked ahead (zero width), so that a
# candidate that fails the 11-proef does not hide one that starts in its next group; the first
# lookahead only lets the scan stop at starts where there is a candidate at all, and ``(?=\d)``
# first rejects most positions at once (three times faster on text without digits).
_NINE = r"\d(?:[\W_]{0,3}\d){8}(?!\d)"
_EIGHT = r"\d{8}(?!\d)"
_CANDIDATE = re.compile(rf"(?=\d)(?<!\d)(?={_EIGHT}|{_NINE})(?=({_EIGHT}))?(?=({_NINE}))?")
_NOT_DIGIT = re.compile(r"\D+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Numbers in file names: dates with a four-digit year (01-02-1980, 1-2-1980, 1980-02-01,
# 01021980, 19800201), dates with a two-digit year (17-06-71, 1.2.80, 80-02-01, 170671),
# and any other number of seven or more digits (a telephone number, say).
# Between day, month and year: one to three characters that are neither letters nor digits
# (``01-02-1980``, ``01/02/1980``, ``01 – 02 – 1980``, ``01,02,1980``).
_NAME_NUMBER = re.compile(
    r"(?<!\d)(?:(?P<d>\d{1,2})[\W_]{1,3}(?P<m>\d{1,2})[\W_]{1,3}(?P<y>\d{4})"
    r"|(?P<Y>\d{4})[\W_]{1,3}(?P<M>\d{1,2})[\W_]{1,3}(?P<D>\d{1,2})"
    r"|(?P<a>\d{1,2})[\W_]{1,3}(?P<b>\d{1,2})[\W_]{1,3}(?P<c>\d{1,2})"
    r"|(?P<eight>\d{8})|(?P<six>\d{6})|(?P<year>\d{4}))(?!\d)|(?P<long>\d{7,})")
# Words that say a name holds a birth date: a month (Dutch and English, written out or
# abbreviated) or "geb"/"geboren"/"geboortedatum", "dob", "born". With one of them in a name,
# every number of one or two digits (a day, a month, a year as '80) is masked as well.
_MONTHS = frozenset({
    "jan", "januari", "january", "feb", "febr", "februari", "february", "mrt", "maa", "maart",
    "mar", "march", "apr", "april", "mei", "may", "jun", "juni", "june", "jul", "juli", "july",
    "aug", "augustus", "august", "sep", "sept", "september", "okt", "oct", "oktober", "october",
    "nov", "november", "dec", "december"})
_BIRTH_WORDS = ("geb", "dob", "born")
_SHORT_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_QUOTED_YEAR = re.compile(r"(?<=['\u2019`])\d{2}(?!\d)")  # '80: a year, masked anywhere
# Three or more single letters in a row (``j.a.n.s.e.n``, ``J A N``): a name spelt out.
_SPELT = re.compile(r"(?<![^\W\d_])[^\W\d_](?![^\W\d_])"
                    r"(?:[\W_]{1,3}[^\W\d_](?![^\W\d_])){2,}")
# What a word of two letters or more becomes (its first letter, then this): the same length
# for every word, so the mask does not tell a name's length.
WORD_MASK = "xxxxx"
_HIDDEN = "\x01"  # a masked digit until the words are masked (no letter, so never a word)
# Extensions kept by :func:`safe_name` (compared without case): what extracts, their archives and
# the leftovers of uploads and editors are called. Anything else after the last dot is a word.
KNOWN_EXTENSIONS = frozenset({
    "csv", "tsv", "txt", "dat", "xlsx", "xls", "xlsm", "xlsb", "ods", "zip", "gz", "7z", "pdf",
    "json", "xml", "part", "partial", "lock", "tmp", "bak"})
# A person born this many years before today can be a client (or a client's partner).
ADULT_YEARS = 16


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) for c in text)


def _bsn_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a number that can be a BSN, overlapping candidates merged: a run of
    one or more consecutive digit groups with nine digits in all that passes the 11-proef, or
    one group of eight digits that passes with a leading zero. In order, not overlapping."""
    spans: list[tuple[int, int]] = []
    for m in _CANDIDATE.finditer(text):
        start = m.start()
        eight, nine = m.group(1), m.group(2)
        end = -1
        if eight is not None and is_valid_bsn("0" + _ascii_digits(eight)):
            end = start + 8
        if nine is not None and is_valid_bsn(_ascii_digits(_NOT_DIGIT.sub("", nine))):
            end = start + len(nine)
        if end < 0:
            continue
        if spans and start < spans[-1][1]:  # overlaps the one before: mask both as one
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _masked(text: str, spans: list[tuple[int, int]], mask: str,
            shown: str | None = None, starts: list[int] | None = None) -> str:
    """``text`` with each span replaced by the mask and its last four digits. The spans are in
    ``shown`` (``text`` itself unless given); ``starts`` maps each character of ``shown`` to
    where it starts in ``text`` (one more entry for the end)."""
    shown = text if shown is None else shown
    out, at = [], 0
    for start, end in spans:
        digits = _ascii_digits(_NOT_DIGIT.sub("", shown[start:end]))
        if starts is not None:
            start, end = starts[start], starts[end]
        out.append(text[at:start])
        out.append(mask * 5 + digits[-4:])
        at = end
    out.append(text[at:])
    return "".join(out)


def mask_bsns(text: str, mask: str = "*") -> str:
    """``text`` with every number that can be a BSN replaced by ``*****`` and its last four
    digits (enough to recognise a client, useless to anyone else)."""
    spans = _bsn_spans(text)
    return _masked(text, spans, mask) if spans else text


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _utf8_chars(data: bytes) -> list[tuple[str, int]]:
    """Each character of UTF-8 ``data`` with the offset of its first byte; a byte that starts
    no valid sequence is U+FFFD on its own."""
    chars, i = [], 0
    while i < len(data):
        lead = data[i]
        size = (1 if lead < 0x80 else 2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0
                else 4 if 0xF0 <= lead < 0xF5 else 1)
        try:
            char = data[i:i + size].decode("utf-8")
        except UnicodeDecodeError:
            char, size = "\ufffd", 1
        chars.append((char, i))
        i += size
    return chars


def _percent_decoded(text: str) -> tuple[str, list[int]]:
    """``text`` with every ``%XX`` escape decoded (UTF-8; bytes that are no UTF-8 become
    U+FFFD), and where each decoded character starts in ``text`` (one more entry for the end).
    One pass, no ``+`` for space: the path of a URL."""
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for m in _ESCAPES.finditer(text):
        parts.append(text[at:m.start()])
        starts.extend(range(at, m.start()))
        for char, offset in _utf8_chars(bytes.fromhex(m.group().replace("%", ""))):
            parts.append(char)
            starts.append(m.start() + 3 * offset)
        at = m.end()
    parts.append(text[at:])
    starts.extend(range(at, len(text) + 1))
    return "".join(parts), starts


# Where names chosen by an organisation appear in text: the path of an incoming extract, in a
# URL or a message (``extracts/{org}/{file}``; the container name is fixed by the trigger).
EXTRACTS_CONTAINER = "extracts"
# A slash may be percent-encoded (``extracts%2Fvb%2Fname.csv``); a literal ``?`` or ``#`` ends the
# path, an encoded one (``%3F``) is part of the name.
_SLASH = r"(?:/|%2[Ff])"
_EXTRACT_PATH = re.compile(
    rf"({EXTRACTS_CONTAINER}{_SLASH}(?:(?!%2[Ff])[^/\s'\"?#])+{_SLASH})([^\s'\"?#]+)")


def redact(text: str, today: date | None = None) -> str:
    """Mask every number in ``text`` that can be a BSN (the safety net under every log line),
    also where it is percent-encoded (``123%20456%20782``), and, given ``today``, the file name
    in the path of an incoming extract (the Azure SDK logs request URLs) as :func:`safe_name`
    shows it once decoded. The rest of the text stays as it was: decoding it all would let an
    encoded line break or control character into the log."""
    if today is not None and EXTRACTS_CONTAINER in text:
        text = _EXTRACT_PATH.sub(
            lambda m: m.group(1) + safe_name(_percent_decoded(m.group(2))[0], today), text)
    if "%" in text and _ESCAPES.search(text):
        shown, starts = _percent_decoded(text)
        spans = _bsn_spans(shown)
        return _masked(text, spans, "*", shown, starts) if spans else text
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


_DIGIT_RUNS = re.compile(r"[0-9]+")


def _birth_year(year: int, today: date) -> bool:
    """A four-digit year a client (or partner) can be born in: from 1900 to
    :data:`ADULT_YEARS` years ago."""
    return 1900 <= year <= today.year - ADULT_YEARS


def _birth_yy(yy: str, today: date) -> bool:
    """A two-digit year that can be a birth year: read in this century it is in the future
    (so it is 19yy) or at least :data:`ADULT_YEARS` years ago."""
    year = 2000 + int(yy)
    return year > today.year or year <= today.year - ADULT_YEARS


def may_be_birth_date(text: str, today: date) -> bool:
    """Whether a value meant as a date of the case (start, toelating, einddatum) could be a
    birth date, so a report must not show it: a year (four digits, or two as the last of three
    groups, or in eight or six plain digits) that is at least :data:`ADULT_YEARS` years ago.
    A recent wrong date (``31-02-2024``, ``01-02-2099``) stays showable."""
    runs = _DIGIT_RUNS.findall(text)
    if not runs:
        return False
    if len(runs) == 1:
        run = runs[0]
        if len(run) == 8:  # yyyymmdd or ddmmyyyy
            return _birth_year(int(run[:4]), today) or _birth_year(int(run[4:]), today)
        if len(run) == 6:  # ddmmyy or yymmdd
            return _birth_yy(run[4:], today) or _birth_yy(run[:2], today)
        return len(run) == 4 and _birth_year(int(run), today)
    # every run, not only a date's three groups: a second date or a year behind the first
    # ('13-03-2025 13.03.1985', '01-01-2025 1985') may be the birth date
    for run in runs:
        if len(run) >= 4 and any(_birth_year(int(run[k:k + 4]), today)
                                 for k in range(len(run) - 3)):
            return True
    groups = runs[:3]
    first, last = groups[0], groups[-1]
    return len(groups) == 3 and (
        (len(last) == 2 and len(first) <= 2 and _birth_yy(last, today))
        or (len(first) == 2 and len(last) <= 2 and _birth_yy(first, today)))


def _year_of(year: int, month: str, day: str) -> int | None:
    """The year of a valid calendar date, else None."""
    try:
        return date(year, int(month), int(day)).year
    except ValueError:
        return None


def _old_enough(year: int, today: date) -> bool:
    return year <= today.year - ADULT_YEARS


def _both_centuries(yy: str, month: str, day: str) -> list[tuple[int, str, str]]:
    return [(1900 + int(yy), month, day), (2000 + int(yy), month, day)]


def _date_readings(m: re.Match) -> tuple[list[tuple[int, str, str]], bool]:
    """The ways a number in a file name can be read as a date (year, month, day), and whether
    it is masked when it is no date at all (a long number)."""
    g = m.groupdict()
    if g["long"]:
        return [], True
    if g["eight"]:
        d = g["eight"]
        return [(int(d[:4]), d[4:6], d[6:]), (int(d[4:]), d[2:4], d[:2])], True  # yyyymmdd, ddmmyyyy
    if g["y"]:
        return [(int(g["y"]), g["m"], g["d"])], True
    if g["Y"]:
        return [(int(g["Y"]), g["M"], g["D"])], True
    if g["year"]:  # four digits alone: masked when it can be a birth year (1900 on)
        year = int(g["year"])
        return ([(year, "1", "1")] if year >= 1900 else []), False
    readings: list[tuple[int, str, str]] = []
    if g["six"]:
        d = g["six"]
        readings += _both_centuries(d[4:], d[2:4], d[:2])  # ddmmyy
        if not d.startswith("000"):  # 000123 is a counter, not 23 January 2000
            readings += _both_centuries(d[:2], d[2:4], d[4:])  # yymmdd
    else:
        a, b, c = g["a"], g["b"], g["c"]
        if len(c) == 2:
            readings += _both_centuries(c, b, a)  # d-m-yy
        if len(a) == 2:
            readings += _both_centuries(a, b, c)  # yy-m-d
    return readings, False


def _split_extension(name: str) -> tuple[str, str]:
    """``name`` as stem and known extensions (``.csv``, ``.csv.gz``; at most two)."""
    stem, suffix = name, ""
    for _ in range(2):
        head, dot, extension = stem.rpartition(".")
        if not dot or extension.lower() not in KNOWN_EXTENSIONS:
            break
        stem, suffix = head, dot + extension + suffix
    return stem, suffix


def safe_name(name: str, today: date, limit: int = 120, *, words: bool = True) -> str:
    """A blob or file name for outcome entities, reports and logs: what helps an operator find
    the file, nothing that identifies a person.

    Kept: a known extension (:data:`KNOWN_EXTENSIONS`, at most two: ``.csv.gz``; anything else
    after a dot may be a name, ``Jansen.piet``), separators, short numbers and dates that
    cannot be a birth date (an export date). Masked with ``x``: numbers that can be a BSN,
    dates that can be a birth date (at least :data:`ADULT_YEARS` years ago), a four-digit year
    from 1900 to then (``geb1980``, ``jansen 1 feb 1980``), every number of one or two digits
    in a name with a month or "geb" in it (``01 feb '80``), a year written ``'80``, other
    numbers of seven or more digits (telephone numbers), and each word of two letters or more
    but its first letter, as
    :data:`WORD_MASK` whatever its length (a surname), and a name spelt out in single letters,
    unless ``words`` is False (a storage folder, where an organisation code is expected).
    Format characters (zero-width space, soft hyphen) are removed first: they cannot split a
    word or a number.

    A date with a two-digit year (``17-06-71``, ``1-2-80``, ``01.02.80``, ``170671``) is read in
    both centuries, so a valid one is always masked: it can be a birth date. A six-digit number
    is masked when it is a valid date read as ddmmyy or as yymmdd, so an export date written
    yymmdd (``261129``) is masked too: that over-masking is the accepted price. Six digits that
    are no date (``101500``, a time) stay, and so does a counter with three leading zeros
    (``000123``).
    """
    stem, extension = _split_extension(name)
    stem = "".join(c for c in unicodedata.normalize("NFKD", stem)
                   if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    dated = any(w in _MONTHS or w.startswith(_BIRTH_WORDS)
                for w in (m.group(0).lower() for m in _LETTERS.finditer(stem)))

    def number_mask(m: re.Match) -> str:
        text = m.group(0)
        readings, mask_anyway = _date_readings(m)
        years = [y for y in (_year_of(*r) for r in readings) if y is not None]
        if m.group("year"):
            old = bool(years) and _old_enough(years[0], today)
            return re.sub(r"\d", _HIDDEN, text) if old else text
        if years and not any(_old_enough(y, today) for y in years):
            return text  # an export date, not a birth date
        return re.sub(r"\d", _HIDDEN, text) if years or mask_anyway else text

    def part(text: str) -> str:
        """A piece of the stem without a BSN: numbers, then words masked."""
        text = _NAME_NUMBER.sub(number_mask, text)
        text = _QUOTED_YEAR.sub(lambda m: _HIDDEN * 2, text)
        if dated:
            text = _SHORT_NUMBER.sub(lambda m: _HIDDEN * len(m.group(0)), text)
        if words:
            text = _SPELT.sub(lambda m: m.group(0)[0] + WORD_MASK, text)
            text = _LETTERS.sub(lambda m: m.group(0) if len(m.group(0)) == 1
                                else m.group(0)[0] + WORD_MASK, text)
        return text.replace(_HIDDEN, "x")

    # A BSN is masked to its last four digits, which then are no year or date of their own.
    pieces, at = [], 0
    for start, end in _bsn_spans(stem):
        pieces.append(part(stem[at:start]))
        pieces.append("x" * 5 + _ascii_digits(_NOT_DIGIT.sub("", stem[start:end]))[-4:])
        at = end
    pieces.append(part(stem[at:]))
    cleaned = _UNSAFE.sub("_", "".join(pieces) + extension)
    return cleaned[-limit:] or "_"


# A date as people type one: 1-2-1980, 01 02 80, 1980-02-01, 01/02/1980, 1.2.1980, 01021980,
# 19800201, 1 februari 1980, 1-feb-1980, 1 feb. '80; and a year of birth on its own ('80, 1980).
_REASON_MONTHS = (r"(?:jan(?:uari)?|feb(?:ruari)?|maa(?:rt)?|mrt|apr(?:il)?|mei|jun(?:i)?|jul(?:i)?"
           r"|aug(?:ustus)?|sep(?:t(?:ember)?)?|okt(?:ober)?|oct|nov(?:ember)?|dec(?:ember)?)\.?")
_REASON_DATE = re.compile(
    r"(?<!\d)(?:\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|[0-3]\d[01]\d(?:19|20)\d\d|(?:19|20)\d\d[01]\d[0-3]\d)(?!\d)"
    rf"|(?<!\w)\d{{1,2}}[-/. ]?{_REASON_MONTHS}[-/. ]*(?:'?\d{{2}}|\d{{4}})?(?!\w)"
    r"|(?<![\w-])'\d{2}(?!\d)|(?<!\d)(?:19|20)\d\d(?!\d)", re.IGNORECASE)


def operator_text(text: str, limit: int = 500) -> str:
    """Text an operator typed (a reason): every number that can be a BSN masked (:func:`redact`)
    and every date masked (it may be a birth date: nothing tells), at most ``limit``
    characters. A name cannot be told from other words: the guides ask never to type one."""
    return _REASON_DATE.sub(lambda m: "".join("x" if c.isalnum() else c for c in m.group()),
                           redact(text))[:limit]
