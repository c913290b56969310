"""Validate a client extract, row by row, streaming, and decide whether it may become the snapshot.

Pure domain code: bytes in, a :class:`ValidationResult` (and optionally the normalised snapshot)
out. No Azure, no clock: the caller passes ``today`` and the reference date.
"""

from __future__ import annotations

import csv
import gc
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from shared.bsn import BsnCheck, check_bsn, mask_bsn
from shared.columns import CANONICAL_FIELDS, REQUIRED_FIELDS, map_headers
from shared.dates import _CACHE as _DATE_CACHE
from shared.dates import parse_dutch_date
from shared.eligibility import Rule, eligible_from, is_eligible
from shared.issues import Code, Issue, Severity
from shared.reader import ExtractReader, UnreadableExtract
from shared.snapshot import (
    BSN_INDEX,
    ORIGIN_CARRIED,
    ORIGIN_INDEX,
    ORIGIN_PARTNER,
    ORIGIN_ROW,
    SNAPSHOT_FIELDS,
    SOURCE_ROW_INDEX,
    new_writer,
)

MAX_VALUE_LENGTH = 255
_POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
_HUISNUMMER = re.compile(r"[1-9][0-9]{0,4}")
_POSTCODE_OR_EMPTY = re.compile(r"(?:[1-9][0-9]{3} ?[A-Za-z]{2})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
# Dutch numbers incl. the municipal "14 0xx" short numbers and international ones.
_PHONE = re.compile(r"(?:\+|00)?[0-9][0-9 ()\-]{3,18}[0-9]")
_MISSING = 1 << 30  # column index for a field the extract does not have
# The inline shortcut for plainly clean records in _Engine.run; tests switch it off to prove
# that it decides exactly as the per-record path does.
FAST_PATH = True
_MISS = object()
# Fields copied as they are (no shape check that would catch surrounding white space).
_FREE_TEXT = ("achternaam", "voorvoegsel", "voorletters", "huisnummertoevoeging",
              "dossiernummer", "contact_naam")


class _ShapeChecker:
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


@dataclass(frozen=True)
class Rules:
    """The organisation's choices that validation needs (a subset of ``Organisation``)."""

    eligibility_rule: Rule = "toelating"
    invalid_threshold: float = 0.05
    mass_drop_threshold: float = 0.30
    mass_drop_min_removed: int = 1
    column_aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, organisation) -> Rules:
        return cls(
            eligibility_rule=organisation.eligibility_rule,
            invalid_threshold=organisation.invalid_threshold,
            mass_drop_threshold=organisation.mass_drop_threshold,
            mass_drop_min_removed=organisation.mass_drop_min_removed,
            column_aliases=dict(organisation.column_aliases),
        )


@dataclass
class ValidationResult:
    decision: str = "rejected"
    reason: Code | None = None
    total: int = 0
    valid: int = 0
    ineligible: int = 0
    people: int = 0
    current_people: int = 0
    removed: int = 0
    carried_over: int = 0
    issues: list[Issue] = field(default_factory=list)
    issue_counts: Counter = field(default_factory=Counter)
    encoding: str = "utf-8"
    delimiter: str = ";"
    sha256: str = ""
    bytes_read: int = 0
    eligibility_basis: str = "toelatingsdatum"

    @property
    def invalid(self) -> int:
        return self.total - self.valid

    @property
    def accepted(self) -> bool:
        return self.decision == "accepted"

    def count(self, severity: Severity) -> int:
        from shared.issues import CODES

        return sum(n for code, n in self.issue_counts.items() if CODES[code].severity == severity)

    def to_contract(self) -> dict:
        """The JSON object of ``vish validate --json`` (ARCHITECTURE.md)."""
        return {
            "decision": self.decision,
            "reason": self.reason.value if self.reason else None,
            "rows": {
                "total": self.total,
                "valid": self.valid,
                "invalid": self.invalid,
                "ineligible": self.ineligible,
            },
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def summary(self) -> dict:
        """Counts and decision without any issue text: safe for outcome entities and logs."""
        return {
            "decision": self.decision,
            "reason": self.reason.value if self.reason else None,
            "rows_total": self.total,
            "rows_valid": self.valid,
            "rows_invalid": self.invalid,
            "rows_ineligible": self.ineligible,
            "people": self.people,
            "current_people": self.current_people,
            "people_removed": self.removed,
            "carried_over": self.carried_over,
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "encoding": self.encoding,
            "delimiter": {"\t": "tab"}.get(self.delimiter, self.delimiter),
            "sha256": self.sha256,
            "bytes": self.bytes_read,
            "eligibility_basis": self.eligibility_basis,
        }


class _Collector:
    """Keeps the first ``limit`` issues and counts all of them (memory stays bounded)."""

    def __init__(self, result: ValidationResult, limit: int) -> None:
        self.result = result
        self.limit = limit
        self.truncated = False

    def add(self, issue: Issue) -> None:
        result = self.result
        result.issue_counts[issue.code] += 1
        if len(result.issues) < self.limit:
            result.issues.append(issue)
        elif not self.truncated:
            self.truncated = True


def _safe_headers(headers: list[str]) -> str:
    """Header names for a message, unless the 'header' looks like a data row (no header line):
    then naming it would put personal data in the report."""
    for cell in headers:
        value = cell.strip()
        digits = value.replace(" ", "")
        if (digits.isdigit() and len(digits) >= 6) or parse_dutch_date(value) is not None:
            return "de eerste regel lijkt gegevens te bevatten in plaats van kolomnamen"
    names = [h.strip()[:40] for h in headers if h.strip()][:30]
    return "gevonden kolommen: " + ", ".join(names) if names else "geen kolomnamen gevonden"


def validate_extract(
    chunks: Iterable[bytes],
    *,
    today: date,
    reference_date: date | None = None,
    rules: Rules = Rules(),
    current_snapshot: Iterable[list[str]] | None = None,
    snapshot_out: IO[str] | None = None,
    max_bytes: int | None = None,
    max_issues: int = 10_000,
    override_mass_drop: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ValidationResult:
    """Validate an extract given as byte chunks.

    ``current_snapshot``: records of the snapshot in force (for carry-over and the mass-drop
    guard). ``snapshot_out``: where to write the new snapshot when the extract is accepted.
    ``today`` bounds start/toelating dates; ``reference_date`` (default today) decides
    eligibility counts.
    """
    ref = reference_date or today
    result = ValidationResult()
    issues = _Collector(result, max_issues)
    reader = ExtractReader(chunks, max_bytes=max_bytes)
    # Valid records wait here until the decision; merged people are resolved when copying.
    spool = (tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
             if snapshot_out else None)
    try:
        try:
            header = reader.open()
            if header is None:
                _reject(result, issues, Code.EMPTY_FILE)
            else:
                state = _validate_rows(reader, header, today, ref, rules, result, issues, spool,
                                       progress)
                if state is not None and result.reason is None:
                    _decide(result, issues, rules, state, current_snapshot, override_mass_drop)
                    if result.accepted and snapshot_out is not None:
                        _write_snapshot(spool, snapshot_out, state)
        except UnreadableExtract as exc:
            _reject(result, issues, Code.UNREADABLE, detail=str(exc))
        stats = reader.finish()
    finally:
        if spool is not None:
            spool.close()
    result.sha256 = stats.sha256
    result.bytes_read = stats.bytes_read
    result.encoding = stats.encoding
    result.delimiter = stats.delimiter
    if stats.encoding == "windows-1252":
        issues.add(Issue(Code.ENCODING_FALLBACK))
    if issues.truncated:
        result.issues.append(Issue(Code.ISSUES_TRUNCATED, detail=f"{max_issues} van "
                                   f"{sum(result.issue_counts.values())} meldingen"))
    return result


def _reject(result: ValidationResult, issues: _Collector, code: Code, *, field: str | None = None,
            detail: str | None = None) -> None:
    result.decision = "rejected"
    result.reason = code
    issues.add(Issue(code, field=field, detail=detail))


@dataclass
class _State:
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
_MAX_TRACKED_INVALID = 200_000


def _bsn_fast_ok(value: str) -> bool:
    """Nine ASCII digits, not all zero, passing the 11-proef: ``is_valid_bsn`` in one
    expression, for the hot path."""
    b = value.encode()
    return (len(b) == 9 and b.isdigit() and b != b"000000000" and
            (9 * b[0] + 8 * b[1] + 7 * b[2] + 6 * b[3] + 5 * b[4] + 4 * b[5] + 3 * b[6]
             + 2 * b[7] - b[8] - 2064) % 11 == 0)


class _Engine:
    """One pass over the records.

    Every rule lives in :meth:`row`, which handles one record and is the authority. For speed,
    :meth:`batch` looks at a block of lines column by column with C-level operations
    (``map``, ``compress``, set algebra) and sends to :meth:`row` only the records that are
    not plainly clean; a block it cannot handle that way (quotes, ragged lines, duplicates)
    goes to :meth:`row` whole. A test checks that both paths give the same results.
    """

    def __init__(self, reader: ExtractReader, mapping, today: date, ref: date, rule: Rule,
                 result: ValidationResult, issues: _Collector, spool: IO[str] | None) -> None:
        self.reader, self.today, self.ref, self.rule = reader, today, ref, rule
        self.has_toelating = "toelatingsdatum" in mapping.index
        # The same choice eligibility.eligible_from makes, once, for the inline shortcut.
        self.use_start = rule == "start" or not self.has_toelating
        self.result, self.add = result, issues.add
        self.width = len(reader.header or ())
        self.idx = {f: mapping.index.get(f, _MISSING) for f in CANONICAL_FIELDS}
        self.state = _State(set(), set(), {}, set())
        self.writerow = new_writer(spool).writerow if spool is not None else None
        self.writerows = new_writer(spool).writerows if spool is not None else None
        self.phone_ok, self.email_ok = _ShapeChecker(_PHONE), _ShapeChecker(_EMAIL)
        self.total = self.valid = self.ineligible = 0
        self._iso: dict[date | None, str] = {None: ""}

    # -- helpers ---------------------------------------------------------------------------
    def iso(self, d: date | None) -> str:
        s = self._iso.get(d)
        if s is None:
            s = self._iso[d] = d.isoformat()
        return s

    def _date(self, raw: str) -> date | None:
        d = _DATE_CACHE.get(raw, _MISS)
        return parse_dutch_date(raw) if d is _MISS else d

    # -- the authoritative per-record path -------------------------------------------------
    def row(self, row: list[str], ln: int) -> None:
        add, idx, today, state = self.add, self.idx, self.today, self.state
        n = len(row)

        def cell(name: str) -> str:
            i = idx[name]
            return row[i].strip() if i < n else ""

        bsn = cell("bsn")
        if not bsn and not any(c.strip() for c in row):
            return  # blank line or a row of only delimiters (spreadsheets add those)
        self.total += 1
        doss = cell("dossiernummer")[:50]
        dref = doss or None
        errors = 0
        if n > self.width and any(c.strip() for c in row[self.width:]):
            add(Issue(Code.COLUMN_COUNT, ln, None, f"{n} velden, kopregel heeft er {self.width}",
                      dref))
            errors += 1
        if max(map(len, row)) > MAX_VALUE_LENGTH:
            add(Issue(Code.VALUE_TOO_LONG, ln, None, f"meer dan {MAX_VALUE_LENGTH} tekens", dref))
            errors += 1

        if not bsn:
            add(Issue(Code.REQUIRED, ln, "bsn", None, dref))
            errors += 1
        else:
            verdict, bsn = check_bsn(bsn)
            if verdict is BsnCheck.LEFT_PADDED:
                add(Issue(Code.BSN_LEFT_PADDED, ln, "bsn", mask_bsn(bsn), dref))
            elif verdict is not BsnCheck.OK:
                add(Issue(Code.BSN_FORMAT if verdict is BsnCheck.FORMAT else Code.BSN_CHECKSUM,
                          ln, "bsn", None, dref))
                errors += 1
                bsn = ""
        partner = cell("partner_bsn")
        if partner:
            verdict, partner = check_bsn(partner)
            if verdict is BsnCheck.LEFT_PADDED:
                add(Issue(Code.BSN_LEFT_PADDED, ln, "partner_bsn", mask_bsn(partner), dref))
            elif verdict is not BsnCheck.OK:
                add(Issue(Code.BSN_FORMAT if verdict is BsnCheck.FORMAT else Code.BSN_CHECKSUM,
                          ln, "partner_bsn", None, dref))
                errors += 1
                partner = ""
        if partner and partner == bsn:
            add(Issue(Code.PARTNER_IS_CLIENT, ln, "partner_bsn", None, dref))
            partner = ""

        # Dates: never month-first; start and toelating not after today; end not before start.
        dates: dict[str, date | None] = {}
        for name in ("startdatum", "toelatingsdatum", "einddatum", "geboortedatum"):
            raw = cell(name)
            d = None
            if not raw:
                if name == "startdatum":
                    add(Issue(Code.REQUIRED, ln, name, None, dref))
                    errors += 1
            else:
                d = self._date(raw)
                if d is None:
                    add(Issue(Code.DATE_FORMAT, ln, name, None, dref))
                    errors += 1
                elif d > today and name != "einddatum":
                    add(Issue(Code.DATE_IN_FUTURE, ln, name, None, dref))
                    errors += 1
                    d = None
            dates[name] = d
        start, toel, eind = dates["startdatum"], dates["toelatingsdatum"], dates["einddatum"]
        if start is not None and eind is not None and eind < start:
            add(Issue(Code.END_BEFORE_START, ln, "einddatum", None, dref))
            errors += 1

        if errors:
            if bsn and len(state.invalid) < _MAX_TRACKED_INVALID:
                state.invalid.setdefault(int(bsn), ln)
            return
        self.valid += 1

        # Optional fields: a bad shape is reported and left out; the person still counts.
        postcode = cell("postcode")
        if postcode:
            m = _POSTCODE.fullmatch(postcode)
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

        from_date = eligible_from(self.rule, start, toel, self.has_toelating)
        if not is_eligible(from_date, eind, self.ref):
            self.ineligible += 1

        key = int(bsn)
        if key in state.explicit:
            state.merged.add(key)
            add(Issue(Code.DUPLICATE_BSN, ln, "bsn", mask_bsn(bsn), dref))
        else:
            state.explicit.add(key)
        if partner:
            pkey = int(partner)
            if pkey in state.partners:
                state.merged.add(pkey)
            state.partners.add(pkey)
        if self.writerow is not None:
            iso = self.iso
            record = (bsn, partner, iso(dates["geboortedatum"]), cell("achternaam"),
                      cell("voorvoegsel"), cell("voorletters"), postcode, huisnummer,
                      cell("huisnummertoevoeging"), iso(start), iso(toel), iso(eind), doss,
                      cell("contact_naam"), telefoon, email, iso(from_date), str(ln))
            self.writerow((*record, ORIGIN_ROW))
            if partner:
                self.writerow(_partner_record(record))

    # -- the fast path -----------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None) -> None:
        """The pass over all records.

        A record that is plainly clean (the common case) is handled inline here with a few
        cheap tests; anything else, including every record that needs an issue, goes to
        :meth:`row`. So :meth:`row` decides everything that is not plainly fine, and the
        tests check that the shortcut gives what :meth:`row` would have given.
        """
        reader, state = self.reader, self.state
        width, delimiter = self.width, reader.stats.delimiter
        idx = {f: (i if i < width else width) for f, i in self.idx.items()}  # width: a ''
        i_bsn, i_partner, i_geb = idx["bsn"], idx["partner_bsn"], idx["geboortedatum"]
        i_start, i_toel, i_eind = idx["startdatum"], idx["toelatingsdatum"], idx["einddatum"]
        i_post, i_huis = idx["postcode"], idx["huisnummer"]
        i_tel, i_mail = idx["contact_telefoon"], idx["contact_email"]
        today, ref, use_start = self.today, self.ref, self.use_start
        dget, miss = _DATE_CACHE.get, _MISS
        postcode_ok = _POSTCODE_OR_EMPTY.fullmatch
        phone_known, email_known = self.phone_ok.cache, self.email_ok.cache
        explicit, partners, merged = state.explicit, state.partners, state.merged
        # White space at either end of a field: let row() strip and judge it.
        ws1, ws2 = delimiter + " ", " " + delimiter
        ws3 = "\t" if delimiter != "\t" else "\xa0"
        pad = any(i == width for i in idx.values())
        writerow, iso = self.writerow, self.iso
        parse = self._date
        total = valid = ineligible = 0
        ln = reader.line_num
        readlines = reader.lines.readlines
        fast_path = FAST_PATH
        while True:
            block = readlines(1 << 16)
            if not block:
                break
            short_lines = fast_path and max(map(len, block)) <= MAX_VALUE_LENGTH
            lines = iter(block)
            for text in lines:
                ln += 1
                body = text.rstrip("\r\n")
                row = body.split(delimiter)
                clean = (short_lines and len(row) == width and '"' not in body
                         and ws1 not in body and ws2 not in body and ws3 not in body
                         and "\xa0" not in body and body.strip() is body)
                if clean:
                    if pad:
                        row.append("")
                    bsn, partner = row[i_bsn], row[i_partner]
                    start = dget(row[i_start], miss)
                    toel = dget(row[i_toel], miss)
                    eind = dget(row[i_eind], miss)
                    geb = dget(row[i_geb], miss)
                    if start is miss or toel is miss or eind is miss or geb is miss:
                        start, toel = parse(row[i_start]), parse(row[i_toel])
                        eind, geb = parse(row[i_eind]), parse(row[i_geb])
                    b = bsn.encode()
                    clean = (
                        # the 11-proef inline (see shared.bsn.is_valid_bsn), on ASCII bytes
                        len(b) == 9 and b.isdigit() and b != b"000000000"
                        and (9 * b[0] + 8 * b[1] + 7 * b[2] + 6 * b[3] + 5 * b[4] + 4 * b[5]
                             + 3 * b[6] + 2 * b[7] - b[8] - 2064) % 11 == 0
                        and start is not None and start <= today
                        and (toel <= today if toel is not None else not row[i_toel])
                        and (eind >= start if eind is not None else not row[i_eind])
                        and (geb <= today if geb is not None else not row[i_geb])
                        and (not partner or (partner != bsn and _bsn_fast_ok(partner)))
                        and postcode_ok(row[i_post]) is not None
                        # huisnummer: empty, or 1-5 ASCII digits without a leading zero
                        and (not (h := row[i_huis])
                             or (h.isascii() and h.isdigit() and h[0] != "0" and len(h) < 6))
                        and phone_known.get(row[i_tel]) is True
                        and email_known.get(row[i_mail]) is True
                    )
                if clean:
                    key = int(bsn)
                    before = len(explicit)
                    explicit.add(key)  # one hash look-up; a duplicate leaves the size unchanged
                    clean = len(explicit) != before
                if not clean:
                    # Keep counts in one place: hand over, let row() count, take them back.
                    self.total, self.valid, self.ineligible = total, valid, ineligible
                    if '"' in text:
                        reader.line_num = ln
                        row, first = reader.split(text, lines), ln
                        ln = reader.line_num
                    else:
                        row, first = text.rstrip("\r\n").split(delimiter), ln
                    self.row(row, first)
                    total, valid, ineligible = self.total, self.valid, self.ineligible
                    continue
                total += 1
                valid += 1
                # eligibility.is_eligible, inline
                from_date = start if use_start else toel
                if from_date is None or from_date > ref or (eind is not None and eind < ref):
                    ineligible += 1
                if partner:
                    pkey = int(partner)
                    if pkey in partners:
                        merged.add(pkey)
                    partners.add(pkey)
                if writerow is not None:
                    record = (bsn, partner, iso(geb), row[idx["achternaam"]], row[idx["voorvoegsel"]],
                              row[idx["voorletters"]], _normal_postcode(row[i_post]), row[i_huis],
                              row[idx["huisnummertoevoeging"]], iso(start), iso(toel), iso(eind),
                              row[idx["dossiernummer"]][:50], row[idx["contact_naam"]], row[i_tel],
                              row[i_mail], iso(from_date), str(ln))
                    writerow((*record, ORIGIN_ROW))
                    if partner:
                        writerow(_partner_record(record))
                if progress is not None and not total % 50_000:
                    progress(total)
        reader.line_num = ln
        self.total, self.valid, self.ineligible = total, valid, ineligible


def _normal_postcode(value: str) -> str:
    if not value or (len(value) == 6 and value.isupper()):
        return value
    m = _POSTCODE.fullmatch(value)
    return m.group(1) + m.group(2).upper() if m else ""


def _partner_record(record: tuple) -> tuple:
    """The partner is registered too, with the case's dates, dossier and contact; the client's
    name, birth date and address are not the partner's."""
    return (record[1], record[0], "", "", "", "", "", "", "", *record[9:18], ORIGIN_PARTNER)


def _validate_rows(reader: ExtractReader, header: list[str], today: date, ref: date, rules: Rules,
                   result: ValidationResult, issues: _Collector, spool: IO[str] | None,
                   progress: Callable[[int], None] | None) -> _State | None:
    mapping = map_headers(header, rules.column_aliases)
    for canonical, names in mapping.duplicates:
        _reject(result, issues, Code.DUPLICATE_COLUMN, field=canonical,
                detail=" en ".join(f"'{n[:40]}'" for n in names))
    for missing in mapping.missing(REQUIRED_FIELDS):
        _reject(result, issues, Code.MISSING_COLUMN, field=missing,
                detail=f"kolom '{missing}' niet gevonden; {_safe_headers(header)}")
    if result.reason is not None:
        return None
    if mapping.ignored:
        issues.add(Issue(Code.COLUMN_IGNORED, detail=", ".join(n[:40] for n in mapping.ignored[:30])))
    has_toelating = "toelatingsdatum" in mapping.index
    if not has_toelating:
        issues.add(Issue(Code.TOELATINGSDATUM_COLUMN_MISSING, field="toelatingsdatum"))
    engine = _Engine(reader, mapping, today, ref, rules.eligibility_rule, result, issues, spool)
    result.eligibility_basis = "startdatum" if engine.use_start else "toelatingsdatum"
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the pass allocates many short-lived lists and no cycles
    try:
        engine.run(progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    result.total, result.valid, result.ineligible = engine.total, engine.valid, engine.ineligible
    if engine.total == 0:
        _reject(result, issues, Code.NO_DATA_ROWS)
        return None
    result.people = engine.state.people
    return engine.state


def _decide(result: ValidationResult, issues: _Collector, rules: Rules, state: _State,
            current_snapshot: Iterable[list[str]] | None, override_mass_drop: bool) -> None:
    if result.invalid / result.total > rules.invalid_threshold:
        _reject(result, issues, Code.TOO_MANY_INVALID,
                detail=f"{result.invalid} van {result.total} regels ongeldig, toegestaan is "
                       f"{rules.invalid_threshold:.0%}")
        return
    current = removed = 0
    for record in current_snapshot or ():
        current += 1
        key = int(record[BSN_INDEX])
        if key in state:
            continue
        invalid_line = state.invalid.get(key)
        if invalid_line is not None:
            carried = list(record)
            carried[ORIGIN_INDEX] = ORIGIN_CARRIED
            state.carried.append(carried)
            issues.add(Issue(Code.CARRIED_OVER, invalid_line, "bsn", mask_bsn(record[BSN_INDEX])))
        else:
            removed += 1
    result.current_people, result.removed = current, removed
    result.carried_over = len(state.carried)
    result.people = state.people + result.carried_over
    if (not override_mass_drop and current and removed >= rules.mass_drop_min_removed
            and removed / current > rules.mass_drop_threshold):
        _reject(result, issues, Code.MASS_DROP_HELD,
                detail=f"{removed} van {current} personen zouden verdwijnen, grens is "
                       f"{rules.mass_drop_threshold:.0%}")
        return
    result.decision = "accepted"


_START_INDEX = SNAPSHOT_FIELDS.index("startdatum")


def _priority(record: list[str]) -> tuple[bool, str, int]:
    """Which of several records of one person wins: an own row over a partner-derived one,
    then the latest startdatum (ISO text sorts as dates), then the latest line."""
    return (record[ORIGIN_INDEX] == ORIGIN_ROW, record[_START_INDEX],
            int(record[SOURCE_ROW_INDEX]))


def _write_snapshot(spool: IO[str], out: IO[str], state: _State) -> None:
    """Copy the spooled records, keeping only the winning record of each merged person."""
    merged = state.merged | (state.explicit & state.partners)
    best: dict[int, tuple] = {}
    if merged:
        spool.seek(0)
        for record in csv.reader(spool, delimiter=";"):
            key = int(record[BSN_INDEX])
            if key in merged:
                priority = _priority(record)
                if key not in best or priority > best[key]:
                    best[key] = priority
    writer = new_writer(out)
    writer.writerow(SNAPSHOT_FIELDS)
    spool.seek(0)
    for record in csv.reader(spool, delimiter=";"):
        if best:
            key = int(record[BSN_INDEX])
            if key in best and _priority(record) != best[key]:
                continue
        writer.writerow(record)
    writer.writerows(state.carried)
