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
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from shared.domain.bsn import BsnCheck, check_bsn, mask_bsn
from shared.domain.columns import CANONICAL_FIELDS
from shared.domain.dates import _CACHE as DATE_CACHE
from shared.domain.dates import parse_dutch_date
from shared.domain.eligibility import Rule, eligible_from, is_eligible
from shared.domain.issues import Code, Issue
from shared.domain.reader import ExtractReader
from shared.domain.snapshot import ORIGIN_PARTNER, ORIGIN_ROW, new_writer
from shared.domain.validation.result import IssueCollector, ValidationResult

MAX_VALUE_LENGTH = 255
POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
_HUISNUMMER = re.compile(r"[1-9][0-9]{0,4}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
# Dutch numbers incl. the municipal "14 0xx" short numbers and international ones.
_PHONE = re.compile(r"(?:\+|00)?[0-9][0-9 ()\-]{3,18}[0-9]")
_MISSING = 1 << 30  # column index for a field the extract does not have
MISS = object()  # "not in the date cache"


class ShapeChecker:
    """``pattern.fullmatch`` with a bounded memo: contact details repeat on most rows.
    ``cache`` maps a text to whether it has the shape ('' counts as fine: the field is optional)."""

    LIMIT = 10_000

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        self.cache: dict[str, bool] = {"": True}

    def __call__(self, value: str) -> bool:
        hit = self.cache.get(value)
        if hit is None:
            if len(self.cache) >= self.LIMIT:
                self.cache = {"": True}
            hit = self.cache[value] = self.pattern.fullmatch(value) is not None
        return hit


@dataclass
class PeopleSeen:
    """What the row pass leaves for the decision and the snapshot writer."""

    explicit: set[int]  # people with an own valid row
    partners: set[int]  # people registered as a client's partner
    invalid: dict[int, int]  # BSN of an invalid row -> its line (for carry-over)
    merged: set[int]  # BSNs with more than one record in the spool
    carried: list[list[str]] = field(default_factory=list)

    def __contains__(self, key: int) -> bool:
        return key in self.explicit or key in self.partners

    @property
    def people(self) -> int:
        return len(self.explicit) + len(self.partners - self.explicit)


# Carry-over needs the BSNs of invalid rows; beyond this many the extract is rejected for
# too many invalid rows anyway (unless it has millions of rows), so memory stays bounded.
MAX_TRACKED_INVALID = 200_000


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
        # The same choice eligibility.eligible_from makes, once, for the inline shortcut.
        self.use_start = rule == "start" or not self.has_toelating
        self.result, self.add = result, issues.add
        self.width = len(reader.header or ())
        self.idx = {f: mapping.index.get(f, _MISSING) for f in CANONICAL_FIELDS}
        self.state = PeopleSeen(set(), set(), {}, set())
        self.writerow = new_writer(spool).writerow if spool is not None else None
        self.phone_ok, self.email_ok = ShapeChecker(_PHONE), ShapeChecker(_EMAIL)
        self.total = self.valid = self.ineligible = 0
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
            self.add(Issue(Code.BSN_FORMAT if verdict is BsnCheck.FORMAT else Code.BSN_CHECKSUM,
                           ln, name, None, dref))
            return "", True
        return value, False

    # -- the authoritative per-record path -------------------------------------------------
    def check(self, row: list[str], ln: int) -> None:
        """Count the record on line ``ln``, report what is wrong with it and, when it is valid,
        register its people and spool its normalised record (and its partner's)."""
        idx, n = self.idx, len(row)

        def cell(name: str) -> str:
            i = idx[name]
            return row[i].strip() if i < n else ""

        bsn = cell("bsn")
        if not bsn and not any(c.strip() for c in row):
            return  # blank line or a row of only delimiters (spreadsheets add those)
        self.total += 1
        doss = cell("dossiernummer")[:50]
        dref = doss or None
        errors = self._structure(row, ln, dref)
        bsn, partner, id_errors = self._identities(bsn, cell("partner_bsn"), ln, dref)
        dates, date_errors = self._dates(cell, ln, dref)
        if errors or id_errors or date_errors:
            if bsn and len(self.state.invalid) < MAX_TRACKED_INVALID:
                self.state.invalid.setdefault(int(bsn), ln)
            return
        self.valid += 1
        postcode, huisnummer, telefoon, email = self._optional_fields(cell, ln, dref)
        start, toel, eind = dates["startdatum"], dates["toelatingsdatum"], dates["einddatum"]
        from_date = eligible_from(self.rule, start, toel, self.has_toelating)
        if not is_eligible(from_date, eind, self.ref):
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

    def _structure(self, row: list[str], ln: int, dref: str | None) -> int:
        """Errors in the shape of the line: extra non-empty fields, an overlong value."""
        errors, n = 0, len(row)
        if n > self.width and any(c.strip() for c in row[self.width:]):
            self.add(Issue(Code.COLUMN_COUNT, ln, None,
                           f"{n} velden, kopregel heeft er {self.width}", dref))
            errors += 1
        if max(map(len, row)) > MAX_VALUE_LENGTH:
            self.add(Issue(Code.VALUE_TOO_LONG, ln, None, f"meer dan {MAX_VALUE_LENGTH} tekens",
                           dref))
            errors += 1
        return errors

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
        """Dates: never month-first; start and toelating not after today; end not before start.
        Returns the parsed dates (None where empty or wrong) and the number of errors."""
        add, today, errors = self.add, self.today, 0
        dates: dict[str, date | None] = {}
        for name in ("startdatum", "toelatingsdatum", "einddatum", "geboortedatum"):
            raw = cell(name)
            d = None
            if not raw:
                if name == "startdatum":
                    add(Issue(Code.REQUIRED, ln, name, None, dref))
                    errors += 1
            else:
                d = self.parse_date(raw)
                if d is None:
                    add(Issue(Code.DATE_FORMAT, ln, name, None, dref))
                    errors += 1
                elif d > today and name != "einddatum":
                    add(Issue(Code.DATE_IN_FUTURE, ln, name, None, dref))
                    errors += 1
                    d = None
            dates[name] = d
        start, eind = dates["startdatum"], dates["einddatum"]
        if start is not None and eind is not None and eind < start:
            add(Issue(Code.END_BEFORE_START, ln, "einddatum", None, dref))
            errors += 1
        return dates, errors

    def _optional_fields(self, cell, ln: int, dref: str | None) -> tuple[str, str, str, str]:
        """Postcode, huisnummer, telephone and e-mail: a bad shape is reported and left out
        (''); the person still counts."""
        add = self.add
        postcode = cell("postcode")
        if postcode:
            m = POSTCODE.fullmatch(postcode)
            if m:
                postcode = m.group(1) + m.group(2).upper()
            else:
                add(Issue(Code.POSTCODE_FORMAT, ln, "postcode", None, dref))
                postcode = ""
        huisnummer = cell("huisnummer")
        if huisnummer and not _HUISNUMMER.fullmatch(huisnummer):
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
        state, key = self.state, int(bsn)
        if key in state.explicit:
            state.merged.add(key)
            self.add(Issue(Code.DUPLICATE_BSN, ln, "bsn", mask_bsn(bsn), dref))
        else:
            state.explicit.add(key)
        if partner:
            pkey = int(partner)
            if pkey in state.partners:
                state.merged.add(pkey)
            state.partners.add(pkey)


def partner_record(record: tuple) -> tuple:
    """The partner is registered too, with the case's dates, dossier and contact; the client's
    name, birth date and address are not the partner's."""
    return (record[1], record[0], "", "", "", "", "", "", "", *record[9:18], ORIGIN_PARTNER)

