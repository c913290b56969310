"""Validate one extract: read it, map its columns, check every record, decide.

:func:`validate_extract` is the one entry point (the intake, ``vish validate`` and ``vish build``
call it). The steps live beside it: ``records`` (every rule for one row), ``fast_path`` (the
pass over the rows), ``decision`` (accept, reject, hold) and ``merge`` (the snapshot written).
"""

from __future__ import annotations

import gc
import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import IO

from shared.domain.columns import REQUIRED_FIELDS, aliases_of, map_headers
from shared.domain.dates import parse_dutch_date
from shared.domain.issues import Code, Issue
from shared.domain.privacy import shown_value
from shared.domain.reader import ExtractReader, UnreadableExtract
from shared.domain.text import clean_text
from shared.domain.validation.decision import decide, number
from shared.domain.validation.fast_path import run_records
from shared.domain.validation.merge import write_snapshot
from shared.domain.validation.people import PeopleSeen
from shared.domain.validation.records import RecordChecker
from shared.domain.validation.result import IssueCollector, Rules, ValidationResult

DEFAULT_RULES = Rules()  # frozen: safe to share as a default


def validate_extract(
    chunks: Iterable[bytes],
    *,
    today: date,
    reference_date: date | None = None,
    rules: Rules = DEFAULT_RULES,
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
    issues = IssueCollector(result, max_issues)
    reader = ExtractReader(chunks, max_bytes=max_bytes)
    # Valid records wait here until the decision; merged people are resolved when copying.
    spool = (tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
             if snapshot_out else None)
    try:
        try:
            header = reader.open()
            if header is None:
                issues.reject(Code.EMPTY_FILE)
            else:
                state = _validate_rows(reader, header, today, ref, rules, result, issues, spool,
                                       progress)
                if state is not None and result.reason is None:
                    decide(result, issues, rules, state, current_snapshot, override_mass_drop,
                           ref)
                    if result.accepted and snapshot_out is not None:
                        write_snapshot(spool, snapshot_out, state, on=ref)
        except UnreadableExtract as exc:
            issues.reject(Code(exc.code), detail=str(exc) or None)
        except UnicodeDecodeError:
            issues.reject(Code.UNREADABLE,
                          detail=f"tekens die niet als {reader.stats.encoding} te lezen zijn "
                                 f"(na regel {reader.line_num})")
        stats = reader.finish()  # a rejected file is not read any further
    finally:
        if spool is not None:
            spool.close()
    result.sha256 = stats.sha256
    result.bytes_read = stats.bytes_read
    result.encoding = stats.encoding
    result.delimiter = stats.delimiter
    # An ordinary Windows-1252 export (Excel's plain CSV) is read without a word (the encoding
    # stays in the result); a doubtful one is reported with why (reader.ReadStats.fallback_doubt).
    doubt = stats.fallback_doubt()
    if doubt is not None:
        issues.add(Issue(Code.ENCODING_FALLBACK, detail=doubt))
    if issues.truncated:
        result.issues.append(Issue(Code.ISSUES_TRUNCATED, detail=f"{number(max_issues)} van de "
                                   f"{number(sum(result.issue_counts.values()))} meldingen staan "
                                   "erin, elke soort is geteld"))
    return result


_BSN_SHAPE = re.compile(r"[0-9]{8,9}")


def _bsn_cell(i_bsn: int, cells: list[str]) -> str:
    """The BSN cell as check() will read it (cleaned, stripped, quotes off) when it holds a
    BSN-shaped number, else ''."""
    if i_bsn >= len(cells):
        return ""
    value = cells[i_bsn]
    if not value.isprintable():
        value = clean_text(value, digits=False)[0]
    value = value.strip().strip('"').strip()
    return value if _BSN_SHAPE.fullmatch(value) else ""
_DATA_LIKE = re.compile(r"\d(?:\W?\d){2}|@")  # three digits (in any punctuation), an e-mail


def _looks_like_data(cell: str) -> bool:
    value = cell.strip()
    return _DATA_LIKE.search(value) is not None or parse_dutch_date(value) is not None


def _header_names(names: list[str]) -> str:
    """Header cells as a message may show them: printable, BSNs masked, bounded."""
    return ", ".join(shown_value(n.strip(), 40) for n in names[:30] if n.strip())


_LABELS = {"bsn": "het BSN", "startdatum": "de startdatum"}  # the required fields, in a sentence
# A field as a sentence names it ("herkend als ...")
_FIELD_LABELS = {"partner_bsn": "BSN partner", "contact_naam": "contactpersoon",
                 "contact_telefoon": "telefoonnummer", "contact_email": "e-mailadres"}


def _alias_list(canonical: str, overrides) -> str:
    """The header names that map onto ``canonical``, for a message: quoted, 'of' before the
    last (an organisation's own aliases first; printable and bounded like any header name)."""
    names = [f"'{shown_value(a, 40)}'" for a in aliases_of(canonical, overrides)[:20]]
    return ", ".join(names[:-1]) + " of " + names[-1] if len(names) > 1 else "".join(names)


def _safe_headers(headers: list[str]) -> str:
    """Header names for a message, unless the 'header' looks like a data row (no header line):
    then naming it would put personal data in the report."""
    if any(_looks_like_data(cell) for cell in headers):
        return "de eerste regel lijkt gegevens te bevatten in plaats van kolomnamen"
    names = _header_names(headers)
    return "gevonden kolommen: " + names if names else "geen kolomnamen gevonden"


def _validate_rows(reader: ExtractReader, header: list[str], today: date, ref: date, rules: Rules,
                   result: ValidationResult, issues: IssueCollector, spool: IO[str] | None,
                   progress: Callable[[int], None] | None) -> PeopleSeen | None:
    mapping = map_headers(header, rules.column_aliases)
    result.columns = dict(mapping.names)  # reports name each field as the file's header does
    for canonical, names in mapping.duplicates:
        shown = [f"'{shown_value(n, 40)}'" for n in names[:5]]
        more = f" (en nog {len(names) - 5})" if len(names) > 5 else ""
        issues.reject(Code.DUPLICATE_COLUMN, field=canonical, detail=" en ".join(shown) + more)
    for missing in mapping.missing(REQUIRED_FIELDS):
        issues.reject(Code.MISSING_COLUMN, field=missing,
                      detail=f"geen kolom voor {_LABELS.get(missing, missing)} gevonden "
                             f"(gezocht naar {_alias_list(missing, rules.column_aliases)}); "
                             f"{_safe_headers(header)}")
    for name in mapping.bsn_like:
        shown = ("een kolom met een naam die op gegevens lijkt" if _looks_like_data(name)
                 else f"kolom '{shown_value(name, 40)}'")
        issues.reject(Code.BSN_COLUMN_NOT_RECOGNISED, detail=(
            f"{shown}; noem hem 'BSN' (cliënt) of 'BSN partner', haal hem uit de export of "
            "laat de beheerder column_aliases instellen"))
    if result.reason is not None:
        return None
    for name, canonical, used in mapping.unused:
        issues.add(Issue(Code.COLUMN_NOT_USED, field=canonical, detail=(
            f"kolom '{shown_value(name, 40)}' ({_FIELD_LABELS.get(canonical, canonical)}); "
            f"gebruikt is kolom '{shown_value(used, 40)}'")))
    if mapping.ignored:
        # A column named like data (a BSN or a date as header) is counted, not echoed.
        named = [n for n in mapping.ignored if not _looks_like_data(n)]
        hidden = len(mapping.ignored) - len(named)
        detail = _header_names(named) + (f"{', ' if named else ''}{hidden} kolom(men) met een "
                                         "naam die op gegevens lijkt" if hidden else "")
        issues.add(Issue(Code.COLUMN_IGNORED, detail=detail))
    i_bsn = mapping.index["bsn"]
    reader.bsn_cell = partial(_bsn_cell, i_bsn)
    has_toelating = "toelatingsdatum" in mapping.index
    if not has_toelating:
        issues.add(Issue(Code.TOELATINGSDATUM_COLUMN_MISSING, field="toelatingsdatum"))
    if "einddatum" not in mapping.index:
        issues.add(Issue(Code.EINDDATUM_COLUMN_MISSING, field="einddatum",
                         detail=_alias_list("einddatum", rules.column_aliases)))
    checker = RecordChecker(reader, mapping, today, ref, rules.eligibility_rule, result, issues,
                            spool)
    result.eligibility_basis = checker.basis
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the pass allocates many short-lived lists and no cycles
    try:
        run_records(checker, progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    result.total, result.valid, result.ineligible = checker.total, checker.valid, checker.ineligible
    if checker.open_end:
        issues.add(Issue(Code.OPEN_END_DATE, field="einddatum",
                         detail=f"{checker.open_end} regel(s)"))
    if checker.total == 0:
        issues.reject(Code.NO_DATA_ROWS)
        return None
    result.people = checker.state.people
    return checker.state

