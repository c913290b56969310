"""The file-level decision: accept the extract as the new snapshot, or reject or hold it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from shared.domain.bsn import mask_bsn
from shared.domain.dates import OPEN_END_YEAR
from shared.domain.eligibility import is_eligible
from shared.domain.issues import Code, Issue
from shared.domain.privacy import shown_value
from shared.domain.snapshot import BSN_INDEX, ORIGIN_CARRIED, ORIGIN_INDEX, SNAPSHOT_FIELDS
from shared.domain.text import clean_text
from shared.domain.validation.people import PeopleSeen
from shared.domain.validation.result import (
    MAX_LEAVERS_LISTED,
    IssueCollector,
    Leaver,
    Rules,
    ValidationResult,
)

_END_INDEX = SNAPSHOT_FIELDS.index("einddatum")
_FROM_INDEX = SNAPSHOT_FIELDS.index("eligible_from")
_DOSSIER_INDEX = SNAPSHOT_FIELDS.index("dossiernummer")


def percent(share: float) -> str:
    """A threshold as a counsellor reads it: ``5%``, ``2,5%``, ``33,33%`` (at most two
    decimals, a decimal comma)."""
    text = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def number(n: int) -> str:
    """A count as Dutch writes it: ``999``, ``1.000``, ``100.000``."""
    return f"{n:,}".replace(",", ".")


def of_total(part: int, total: int, one: str, more: str) -> str:
    """``1 van 1 regel``, ``3 van 15 regels``, ``1.000 van 100.000 regels``: the noun agrees
    with the total."""
    return f"{number(part)} van {number(total)} {one if total == 1 else more}"


def invalid_detail(invalid: int, total: int, rules: Rules) -> str:
    """The deciding line of ``too_many_invalid``. The minimum number of rows is named only
    where it allows more rows than the share does (a small file); a file smaller than that
    minimum with no valid row says so."""
    counted = f"{of_total(invalid, total, 'regel', 'regels')} ongeldig"
    if invalid >= total and total < rules.invalid_min_rows:
        return f"{counted}: er is geen enkele geldige regel"
    by_share = Rules(invalid_threshold=rules.invalid_threshold, invalid_min_rows=1)
    floor = min(rules.invalid_min_rows, total) - 1
    extra = (f" (in een klein bestand {floor} {'regel' if floor == 1 else 'regels'})"
             if floor > by_share.invalid_allowed(total) else "")
    return f"{counted}, toegestaan is hoogstens {percent(rules.invalid_threshold)}{extra}"


def held_detail(result: ValidationResult, rules: Rules) -> str:
    """The deciding line of ``mass_drop_held``."""
    ineligible_now = result.removed_ineligible
    of_which = (f" (waarvan {number(ineligible_now)} niet meer toegelaten: einddatum verstreken "
                "of toelating leeg of in de toekomst)" if ineligible_now else "")
    verb = "zou" if result.removed == 1 else "zouden"
    return (f"{of_total(result.removed, result.current_people, 'persoon', 'personen')} "
            f"{verb} verdwijnen{of_which}, grens is {percent(rules.mass_drop_threshold)}")


def _leaver(record: list[str], in_file: bool, invalid_row: int | None = None) -> Leaver:
    dossier = record[_DOSSIER_INDEX] if len(record) > _DOSSIER_INDEX else ""
    return Leaver(mask_bsn(record[BSN_INDEX]), shown_value(dossier), in_file, invalid_row)


def was_eligible(record: list[str], on: date) -> bool:
    """Whether a record of the current snapshot puts its person in VISH on ``on`` (its
    ``eligible_from`` and einddatum, as the delivery reads them). A record whose dates cannot be
    read (a damaged snapshot) counts as eligible: a removal is then counted, never missed."""
    try:
        from_text, end_text = record[_FROM_INDEX], record[_END_INDEX]
        from_date = date.fromisoformat(from_text) if from_text else None
        end = date.fromisoformat(end_text) if end_text else None
    except (IndexError, TypeError, ValueError):
        return True
    return is_eligible(from_date, end, on)


def carried_record(record: list[str]) -> list[str]:
    """A record kept from the current snapshot, held to today's rules: no control characters or
    other scripts' digits, an einddatum in 9999 read as none (snapshots from before the rules)."""
    carried = [value if value.isascii() and value.isprintable()
               else clean_text(value, digits=True)[0] for value in record]
    if carried[_END_INDEX].startswith(f"{OPEN_END_YEAR}-"):
        carried[_END_INDEX] = ""
    carried[ORIGIN_INDEX] = ORIGIN_CARRIED
    return carried


def _one_leaver_per_row(leaving: list[Leaver]) -> None:
    """An invalid row is named for a leaver only when its dossiernummer is that one leaver's:
    when two leavers share it (a placeholder dossiernummer), the row is named for neither."""
    rows = Counter(leaver.invalid_row for leaver in leaving if leaver.invalid_row is not None)
    for n, leaver in enumerate(leaving):
        if leaver.invalid_row is not None and rows[leaver.invalid_row] > 1:
            leaving[n] = replace(leaver, invalid_row=None)


def decide(result: ValidationResult, issues: IssueCollector, rules: Rules, state: PeopleSeen,
           current_snapshot: Iterable[list[str]] | None, override_mass_drop: bool,
           on: date) -> None:
    """Accept, or reject with the reason, once every record is counted.

    Too many invalid rows (more than the threshold's share and at least ``invalid_min_rows``, or
    every row of a smaller file): ``too_many_invalid``. A person in the current snapshot whose row is
    invalid today keeps the earlier record (``carried_over``). When more than the threshold of
    the current people would leave: ``mass_drop_held`` (unless overridden by a release).

    A person *leaves* when they are in the current snapshot and not carried over, and either
    the extract does not name them on a valid row, or it does but on no row eligible on ``on``
    (the reference date) while their current record is eligible on ``on`` (an export that ends
    everyone is a mass drop too; somebody who was not eligible and still is not does not leave).
    """
    result.rules = rules
    if rules.too_many_invalid(result.invalid, result.total):
        issues.reject(Code.TOO_MANY_INVALID,
                      detail=invalid_detail(result.invalid, result.total, rules))
        return
    current = removed = ineligible_now = 0
    eligible = state.eligible
    leaving = result.leaving
    for record in current_snapshot or ():
        key = int(record[BSN_INDEX])
        current += 1
        if key in eligible:
            continue
        if key in state:  # named on a valid row, but on none eligible on the reference date
            if was_eligible(record, on):
                ineligible_now += 1
                if len(leaving) < MAX_LEAVERS_LISTED:
                    leaving.append(_leaver(record, True))
            continue
        if state.invalid.discard(key):  # once: a second record of the person (a damaged
            state.carried += 1           # snapshot) then counts as removed, never as a copy
            if state.carry is not None:  # spooled after the rows, never held in memory
                state.carry(carried_record(record))
            issues.add(Issue(Code.CARRIED_OVER, state.invalid_lines.get(key), "bsn",
                             mask_bsn(record[BSN_INDEX])))
        else:
            removed += 1
            # Not named on any valid row. An invalid row with the same dossiernummer is most
            # likely this person with a BSN typo: the decision stays (a dossiernummer is no
            # identity), but the report names the row, so it can be fixed today.
            dossier = record[_DOSSIER_INDEX] if len(record) > _DOSSIER_INDEX else ""
            line = state.invalid_dossiers.get(dossier) or None if dossier else None
            if len(leaving) < MAX_LEAVERS_LISTED or (
                    line is not None and len(leaving) < 2 * MAX_LEAVERS_LISTED):
                leaving.append(_leaver(record, False, line))
    _one_leaver_per_row(leaving)
    removed += ineligible_now
    result.current_people, result.removed = current, removed
    result.removed_ineligible = ineligible_now
    result.carried_over = state.carried
    result.people = state.people + result.carried_over
    # Listed for an accepted extract too: those people are afgemeld, and the counsellor must
    # be able to see who (a BSN typo on one row takes its client out of VISH).
    result.leaving_more = removed - len(leaving)
    if (not override_mass_drop and current and removed >= rules.mass_drop_min_removed
            and removed / current > rules.mass_drop_threshold):
        issues.reject(Code.MASS_DROP_HELD, detail=held_detail(result, rules))
        return
    result.decision = "accepted"

