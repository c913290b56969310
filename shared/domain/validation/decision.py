"""The file-level decision: accept the extract as the new snapshot, or reject or hold it."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.bsn import mask_bsn
from shared.domain.issues import Code, Issue
from shared.domain.snapshot import BSN_INDEX, ORIGIN_CARRIED, ORIGIN_INDEX
from shared.domain.validation.people import PeopleSeen
from shared.domain.validation.result import IssueCollector, Rules, ValidationResult


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
        current += 1
        key = int(record[BSN_INDEX])
        if key in state:
            continue
        invalid_line = state.invalid.get(key)
        if invalid_line is not None:
            state.carried += 1
            if state.carry is not None:  # spooled after the rows, never held in memory
                carried = list(record)
                carried[ORIGIN_INDEX] = ORIGIN_CARRIED
                state.carry(carried)
            issues.add(Issue(Code.CARRIED_OVER, invalid_line, "bsn", mask_bsn(record[BSN_INDEX])))
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

