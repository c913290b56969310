"""The per-record path: every rule for one row of an extract, in one place.

A row is *valid* when it passes every rule (warnings allowed): a BSN that passes the 11-proef
(an 8-digit one left-padded with a warning), an optional partner BSN likewise and not the
client's own, Dutch dates (never month-first; start, toelating and birth not after today; end
not before start), no value over :data:`MAX_VALUE_LENGTH`, no extra non-empty fields. Optional
fields with a bad shape (postcode, huisnummer, telephone, e-mail) are reported and left out: a
person is never kept out of VISH for an address or contact detail. Eligibility on the reference
date is counted apart from validity.
"""

from __future__ import annotations

import re
from datetime import date
from typing import IO

from shared.domain.bsn import BsnCheck, check_bsn, mask_bsn
from shared.domain.columns import CANONICAL_FIELDS
from shared.domain.dates import _CACHE as DATE_CACHE
from shared.domain.dates import parse_dutch_date, year_has_two_digits
from shared.domain.eligibility import Rule, eligibility_basis, eligible_from, is_eligible
from shared.domain.issues import Code, Issue
from shared.domain.privacy import ADULT_YEARS, may_be_birth_date, shown_value
from shared.domain.reader import ExtractReader
from shared.domain.snapshot import ORIGIN_PARTNER, ORIGIN_ROW, new_writer
from shared.domain.validation.cells import _EMAIL, _PHONE, ShapeChecker, clean_row, shape_errors
from shared.domain.validation.people import PeopleSeen
from shared.domain.validation.result import IssueCollector, ValidationResult
from shared.domain.validation.rules import (
    OPEN_END,
    date_findings,
    dossier_key,
    huisnummer_ok,
    normal_postcode,
)

_MISSING = 1 << 30  # column index for a field the extract does not have
_BSN_CODES = {BsnCheck.FORMAT: Code.BSN_FORMAT, BsnCheck.CHECKSUM: Code.BSN_CHECKSUM,
              BsnCheck.SCIENTIFIC: Code.BSN_SCIENTIFIC_NOTATION}
# The dates of the case (not the person's): a report may show what the file holds there, so the
# counsellor finds the cell. Never the birth date (nor a BSN, name, address or contact detail).
SHOWN_DATES = frozenset({"startdatum", "toelatingsdatum", "einddatum"})
# A wrong date of the case that may be shown: three groups of digits (day, month, year in any
# order and punctuation), maybe a time of day (h:mm, h:mm:ss) after it, or 1-4 or 8 digits. Not
# a name, a telephone number, a second date behind the first, nor 5-7 digits (an Excel serial
# date, a dmmjjjj typo: maybe a birth date the test below cannot read).
_DATE_LIKE = re.compile(r"[0-9]{1,4}([-/.])[0-9]{1,2}\1[0-9]{1,4}"
                        r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?Z?)?"
                        r"|[0-9]{1,4}|[0-9]{8}")
# A date Excel stored as its serial number (10000 is 18-05-1927): said so, never shown.
_EXCEL_SERIAL = re.compile(r"[1-9][0-9]{4}")
EXCEL_SERIAL_DETAIL = ("Excel heeft de datum als getal opgeslagen; maak de kolom in Excel op als "
                       "datum (dd-mm-jjjj) en maak de export opnieuw")


def shown_date(name: str, raw: str, today: date, swapped: bool = False) -> str | None:
    """The detail of an issue on date field ``name`` whose cell holds ``raw`` (stripped): the
    value as the file has it, for the case's dates and when it looks like an attempt at a date
    (:data:`_DATE_LIKE`; BSNs masked); else None. Never a value that could be a birth date
    (:func:`privacy.may_be_birth_date`: a year at least 16 years ago, as when the columns are
    swapped), nor any value of a row whose columns look swapped (``swapped``: its birth date
    cell holds a recent date)."""
    if _EXCEL_SERIAL.fullmatch(raw):
        return EXCEL_SERIAL_DETAIL
    if (swapped or name not in SHOWN_DATES or not raw.isascii()
            or _DATE_LIKE.fullmatch(raw) is None or may_be_birth_date(raw, today)
            or (len(raw) == 8 and raw.isdigit() and not _eight_digit_date(raw))):
        return None
    return f"in het bestand staat '{shown_value(raw, 40)}'"


def _eight_digit_date(raw: str) -> bool:
    """Eight plain digits that try to be a date (a year 1900-2199 or 9999 at either end) and
    are no BSN that lost its leading zero."""
    years = (int(raw[:4]), int(raw[4:]))
    return (any(1900 <= y <= 2199 or y == 9999 for y in years)
            and check_bsn(raw)[0] is not BsnCheck.LEFT_PADDED)


def columns_look_swapped(born: date | None, today: date) -> bool:
    """A birth date too recent for a client (past, but under ADULT_YEARS ago): the columns are
    probably swapped (a case date in the birth date column, the birth date in a case-date
    column), so no date of the row is shown in the report."""
    return born is not None and born <= today and born.year > today.year - ADULT_YEARS


MISS = object()  # "not in the date cache"
DATE_FIELDS = ("startdatum", "toelatingsdatum", "einddatum", "geboortedatum")  # date_findings' order


class RecordChecker:
    """Every rule for one record, and what the pass over the records accumulates.

    :meth:`check` handles one record and is the authority: it counts the row, records each
    issue, tracks the people seen and spools the normalised record. The pass over the file
    (:func:`shared.domain.validation.fast_path.run_records`) sends it every record that is not
    plainly clean; a test checks that the shortcut decides exactly as :meth:`check` would.
    """

    def __init__(self, reader: ExtractReader, mapping, today: date, ref: date, rule: Rule,
                 result: ValidationResult, issues: IssueCollector, spool: IO[str] | None) -> None:
        self.reader, self.today, self.ref, self.rule = reader, today, ref, rule
        self.has_toelating = "toelatingsdatum" in mapping.index
        self.basis = eligibility_basis(rule, self.has_toelating)  # for the result
        self.result, self.add = result, issues.add
        self.width = len(reader.header or ())
        self.idx = {f: mapping.index.get(f, _MISSING) for f in CANONICAL_FIELDS}
        self.state = PeopleSeen()
        self.writerow = new_writer(spool).writerow if spool is not None else None
        self.state.carry = self.writerow
        self.phone_ok, self.email_ok = ShapeChecker(_PHONE), ShapeChecker(_EMAIL)
        self.total = self.valid = self.ineligible = self.open_end = 0
        self._field_of = {i: f for f, i in self.idx.items() if i != _MISSING}
        self._iso: dict[date | None, str] = {None: ""}

    # -- helpers ---------------------------------------------------------------------------
    def iso(self, d: date | None) -> str:
        s = self._iso.get(d)
        if s is None:
            s = self._iso[d] = d.isoformat()
        return s

    def parse_date(self, raw: str) -> date | None:
        d = DATE_CACHE.get(raw, MISS)
        return parse_dutch_date(raw) if d is MISS else d

    def bsn_field(self, value: str, name: str, ln: int, dref: str | None) -> tuple[str, bool]:
        """The 11-proef on field ``name``: its normalised BSN ('' when it fails) and whether
        that is an error. An 8-digit value that passes with a leading zero is a warning."""
        verdict, value = check_bsn(value)
        if verdict is BsnCheck.LEFT_PADDED:
            self.add(Issue(Code.BSN_LEFT_PADDED, ln, name, mask_bsn(value), dref))
        elif verdict is not BsnCheck.OK:
            self.add(Issue(_BSN_CODES[verdict], ln, name, None, dref))  # never the value
            return "", True
        return value, False

    # -- the authoritative per-record path -------------------------------------------------
    def check(self, row: list[str], ln: int) -> None:
        """Count the record on line ``ln``, report what is wrong with it and, when it is valid,
        register its people and spool its normalised record (and its partner's)."""
        idx = self.idx
        if not any(c.strip() for c in row):
            return  # blank line or a row of only delimiters (spreadsheets add those)
        self.total += 1
        shape = shape_errors(row, self.width)
        errors = len(shape)
        row, cleaned = clean_row(row, self._field_of)
        n = len(row)

        def cell(name: str) -> str:
            i = idx[name]
            return row[i].strip() if i < n else ""

        bsn = cell("bsn")
        doss = cell("dossiernummer")[:50]
        dref = shown_value(doss) or None
        doss_key = dossier_key(doss, ln, dref, self.add)
        for name, code in cleaned:
            self.add(Issue(code, ln, name, None, dref))
        for code, detail in shape:
            self.add(Issue(code, ln, None, detail, dref))
        bsn, partner, id_errors = self._identities(bsn, cell("partner_bsn"), ln, dref)
        dates, date_errors = self._dates(cell, ln, dref)
        if errors or id_errors or date_errors:
            self._track_invalid(bsn, ln, doss_key)
            return
        self.valid += 1
        postcode, huisnummer, telefoon, email = self._optional_fields(cell, ln, dref)
        start, toel, eind = dates["startdatum"], dates["toelatingsdatum"], dates["einddatum"]
        from_date = eligible_from(self.rule, start, toel, self.has_toelating)
        if is_eligible(from_date, eind, self.ref):
            eligible = self.state.eligible
            eligible.add(int(bsn))
            if partner:
                eligible.add(int(partner))  # the partner's record has the client's dates
        else:
            self.ineligible += 1
        self._register(bsn, partner, ln, dref)
        if self.writerow is not None:
            iso = self.iso
            record = (bsn, partner, iso(dates["geboortedatum"]), cell("achternaam"),
                      cell("voorvoegsel"), cell("voorletters"), postcode, huisnummer,
                      cell("huisnummertoevoeging"), iso(start), iso(toel), iso(eind), doss,
                      cell("contact_naam"), telefoon, email, iso(from_date), str(ln))
            self.writerow((*record, ORIGIN_ROW))
            if partner:
                self.writerow(partner_record(record))

    def quote_error(self, text: str, ln: int) -> None:
        """Line ``ln`` opened a quote that would swallow whole records (see the reader): an
        invalid row. Its person, read with the quote as a literal character, can still be
        carried over from the current snapshot."""
        self.total += 1
        row, _ = clean_row(self.reader.quote_line_fields(text), self._field_of)
        n, i_bsn, i_doss = len(row), self.idx["bsn"], self.idx["dossiernummer"]
        bsn = row[i_bsn].strip().strip('"').strip() if i_bsn < n else ""
        doss = row[i_doss].strip().strip('"').strip()[:50] if i_doss < n else ""
        dref = shown_value(doss)
        self.add(Issue(Code.QUOTE_SWALLOWS_ROWS, ln, None, None, dref or None))
        verdict, bsn = check_bsn(bsn)
        self._track_invalid(bsn if verdict in (BsnCheck.OK, BsnCheck.LEFT_PADDED) else "", ln,
                            dossier_key(doss, ln, None, None))

    def _track_invalid(self, bsn: str, ln: int, dossier: str) -> None:
        if bsn:
            self.state.add_invalid(int(bsn), ln)
        self.state.add_invalid_dossier(dossier, ln)

    def _identities(self, bsn: str, partner: str, ln: int,
                    dref: str | None) -> tuple[str, str, int]:
        """The client's BSN (required) and the partner's (optional, not the client's own),
        normalised; '' for one that fails. Returns them with the number of errors."""
        errors = 0
        if not bsn:
            self.add(Issue(Code.REQUIRED, ln, "bsn", None, dref))
            errors += 1
        else:
            bsn, failed = self.bsn_field(bsn, "bsn", ln, dref)
            errors += failed
        if partner:
            partner, failed = self.bsn_field(partner, "partner_bsn", ln, dref)
            errors += failed
        if partner and partner == bsn:
            self.add(Issue(Code.PARTNER_IS_CLIENT, ln, "partner_bsn", None, dref))
            partner = ""
        return bsn, partner, errors

    def _dates(self, cell, ln: int, dref: str | None) -> tuple[dict[str, date | None], int]:
        """Dates: required startdatum, never month-first, then :func:`rules.date_findings`.
        Returns the parsed dates (None where empty, wrong or in the future, and for an open
        end) and the number of errors."""
        add, errors, today = self.add, 0, self.today
        dates: dict[str, date | None] = {}
        birth = cell("geboortedatum")
        swapped = columns_look_swapped(self.parse_date(birth) if birth else None, today)
        for name in DATE_FIELDS:
            raw = cell(name)
            d = None
            if not raw:
                if name == "startdatum":
                    add(Issue(Code.REQUIRED, ln, name, None, dref))
                    errors += 1
            else:
                d = self.parse_date(raw)
                if d is None:
                    code = Code.DATE_YEAR_TWO_DIGITS if year_has_two_digits(raw) else Code.DATE_FORMAT
                    add(Issue(code, ln, name, shown_date(name, raw, today, swapped), dref))
                    errors += 1
            dates[name] = d
        for name, finding in date_findings(*dates.values(), self.today):
            dates[name] = None
            if finding == OPEN_END:
                self.open_end += 1  # "no end date" in the case system: reported once
            else:
                add(Issue(finding, ln, name, shown_date(name, cell(name), today, swapped), dref))
                errors += 1
        return dates, errors

    def _optional_fields(self, cell, ln: int, dref: str | None) -> tuple[str, str, str, str]:
        """Postcode, huisnummer, telephone and e-mail: a bad shape is reported and left out
        (''); the person still counts."""
        add = self.add
        postcode = normal_postcode(cell("postcode"))
        if postcode is None:
            add(Issue(Code.POSTCODE_FORMAT, ln, "postcode", None, dref))
            postcode = ""
        huisnummer = cell("huisnummer")
        if not huisnummer_ok(huisnummer):
            add(Issue(Code.HUISNUMMER_FORMAT, ln, "huisnummer", None, dref))
            huisnummer = ""
        telefoon = cell("contact_telefoon")
        if telefoon and not self.phone_ok(telefoon):
            add(Issue(Code.PHONE_FORMAT, ln, "contact_telefoon", None, dref))
            telefoon = ""
        email = cell("contact_email")
        if email and not self.email_ok(email):
            add(Issue(Code.EMAIL_FORMAT, ln, "contact_email", None, dref))
            email = ""
        return postcode, huisnummer, telefoon, email

    def _register(self, bsn: str, partner: str, ln: int, dref: str | None) -> None:
        """Track the people of a valid record: a second own row of a BSN is merged
        (``duplicate_bsn``), a partner named twice too."""
        state = self.state
        if not state.add_own(int(bsn)):
            self.add(Issue(Code.DUPLICATE_BSN, ln, "bsn", mask_bsn(bsn), dref))
        if partner:
            state.add_partner(int(partner))


def partner_record(record: tuple) -> tuple:
    """The partner is registered too, with the case's dates, dossier and contact; the client's
    name, birth date and address are not the partner's."""
    return (record[1], record[0], "", "", "", "", "", "", "", *record[9:18], ORIGIN_PARTNER)

