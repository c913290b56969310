"""The file-level decision: accept the extract as the new snapshot, or reject or hold it."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.bsn import mask_bsn
from shared.domain.dates import OPEN_END_YEAR
from shared.domain.issues import Code, Issue
from shared.domain.snapshot import BSN_INDEX, ORIGIN_CARRIED, ORIGIN_INDEX, SNAPSHOT_FIELDS
from shared.domain.text import clean_text
from shared.domain.validation.people import PeopleSeen
from shared.domain.validation.result import IssueCollector, Rules, ValidationResult

_END_INDEX = SNAPSHOT_FIELDS.index("einddatum")


def carried_record(record: list[str]) -> list[str]:
    """A record kept from the current snapshot, held to today's rules: no control characters or
    other scripts' digits, an einddatum in 9999 read as none (snapshots from before the rules)."""
    carried = [value if value.isascii() and value.isprintable()
               else clean_text(value, digits=True)[0] for value in record]
    if carried[_END_INDEX].startswith(f"{OPEN_END_YEAR}-"):
        carried[_END_INDEX] = ""
    carried[ORIGIN_INDEX] = ORIGIN_CARRIED
    return carried


def decide(result: ValidationResult, issues: IssueCollector, rules: Rules, state: PeopleSeen,
           current_snapshot: Iterable[list[str]] | None, override_mass_drop: bool) -> None:
    """Accept, or reject with the reason, once every record is counted.

    Too many invalid rows: ``too_many_invalid``. A person in the current snapshot whose row is
    invalid today keeps the earlier record (``carried_over``). When more than the threshold of
    the current people would leave: ``mass_drop_held`` (unless overridden by a release).
    """
    if result.invalid / result.total > rules.invalid_threshold:
        issues.reject(Code.TOO_MANY_INVALID,
                      detail=f"{result.invalid} van {result.total} regels ongeldig, toegestaan is "
                             f"{rules.invalid_threshold:.0%}")
        return
    current = removed = 0
    for record in current_snapshot or ():
        key = int(record[BSN_INDEX])
        current += 1
        if key in state:
            continue
        if state.invalid.discard(key):  # once: a second record of the person (a damaged
            state.carried += 1           # snapshot) then counts as removed, never as a copy
            if state.carry is not None:  # spooled after the rows, never held in memory
                state.carry(carried_record(record))
            issues.add(Issue(Code.CARRIED_OVER, state.invalid_lines.get(key), "bsn",
                             mask_bsn(record[BSN_INDEX])))
        else:
            removed += 1
    result.current_people, result.removed = current, removed
    result.carried_over = state.carried
    result.people = state.people + result.carried_over
    if (not override_mass_drop and current and removed >= rules.mass_drop_min_removed
            and removed / current > rules.mass_drop_threshold):
        issues.reject(Code.MASS_DROP_HELD,
                      detail=f"{removed} van {current} personen zouden verdwijnen, grens is "
                             f"{rules.mass_drop_threshold:.0%}")
        return
    result.decision = "accepted"

