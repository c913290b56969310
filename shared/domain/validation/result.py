"""What validation needs (the organisation's rules) and what it gives (the result and its issues)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.domain.eligibility import Rule
from shared.domain.issues import CODES, Code, Issue, Severity


@dataclass(frozen=True)
class Rules:
    """The organisation's choices that validation needs (a subset of ``Organisation``)."""

    eligibility_rule: Rule = "toelating"
    invalid_threshold: float = 0.05
    # Invalid rows reject the extract only from this many on (and above the threshold): one
    # typo in a small team's file of 15 rows (6.7 %) must not keep everyone out for a day.
    invalid_min_rows: int = 3
    mass_drop_threshold: float = 0.30
    mass_drop_min_removed: int = 1
    column_aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, organisation) -> Rules:
        return cls(
            eligibility_rule=organisation.eligibility_rule,
            invalid_threshold=organisation.invalid_threshold,
            invalid_min_rows=organisation.invalid_min_rows,
            mass_drop_threshold=organisation.mass_drop_threshold,
            mass_drop_min_removed=organisation.mass_drop_min_removed,
            column_aliases=dict(organisation.column_aliases),
        )

    def too_many_invalid(self, invalid: int, total: int) -> bool:
        """Whether ``invalid`` of ``total`` rows reject the extract: more than the threshold's
        share, and at least :attr:`invalid_min_rows` rows, or all rows of a file smaller than
        that (the minimum is ``min(invalid_min_rows, total)``: a file of one or two rows that
        are all invalid has no valid row, and taking it would take everyone out of VISH but
        those carried over). A threshold of 1.0 (100%) still never rejects."""
        return (total > 0 and invalid >= min(self.invalid_min_rows, total)
                and invalid / total > self.invalid_threshold)

    def invalid_allowed(self, total: int) -> int:
        """The most invalid rows of ``total`` that do not reject the extract (the same test as
        :meth:`too_many_invalid`, so float rounding cannot make the two disagree)."""
        allowed = min(total, int(self.invalid_threshold * total) + 1)
        while allowed > 0 and self.too_many_invalid(allowed, total):
            allowed -= 1
        while allowed < total and not self.too_many_invalid(allowed + 1, total):
            allowed += 1
        return allowed


# A report lists at most this many of the people who leave VISH (held: would leave; accepted:
# afgemeld), memory and report size bounded however many leave; the rest is counted. People
# whose dossiernummer is on an invalid row are listed beyond it (at most as many again).
MAX_LEAVERS_LISTED = 1000


@dataclass(frozen=True)
class Leaver:
    """A person of the current snapshot who leaves VISH (or would: a held extract), as a
    report may show them: masked BSN, the dossiernummer as :func:`privacy.shown_value` shows
    it, and whether the file still names them (on no row eligible on the reference date) or
    not at all. ``invalid_row``: the line of an invalid row with the same dossiernummer (the
    row that probably is this person, with a BSN that could not be read or matched)."""

    bsn: str
    dossiernummer: str
    in_file: bool
    invalid_row: int | None = None

    def to_dict(self) -> dict:
        return {"bsn": self.bsn, "dossiernummer": self.dossiernummer or None,
                "in_file": self.in_file, "invalid_row": self.invalid_row}


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
    removed_ineligible: int = 0  # of ``removed``: still in the file, but no longer eligible
    carried_over: int = 0
    issues: list[Issue] = field(default_factory=list)
    issue_counts: Counter = field(default_factory=Counter)
    encoding: str = "utf-8"
    delimiter: str = ";"
    sha256: str = ""
    bytes_read: int = 0
    eligibility_basis: str = "toelatingsdatum"
    # The header as the file writes it, per canonical field (``{"partner_bsn": "BSN partner"}``):
    # reports name a column the way the counsellor's file does.
    columns: dict[str, str] = field(default_factory=dict)
    # The rules the decision was made with (None when the extract was rejected before it).
    rules: Rules | None = None
    # The people who leave VISH (held: who would), the first MAX_LEAVERS_LISTED of them (and
    # those with an invalid row of the same dossiernummer), and how many more there are.
    leaving: list[Leaver] = field(default_factory=list)
    leaving_more: int = 0

    @property
    def invalid(self) -> int:
        return self.total - self.valid

    @property
    def accepted(self) -> bool:
        return self.decision == "accepted"

    def count(self, severity: Severity) -> int:
        return sum(n for code, n in self.issue_counts.items() if CODES[code].severity == severity)

    def to_contract(self) -> dict:
        """The JSON object of ``vish validate --json`` (ARCHITECTURE.md). When people leave
        VISH (a held extract: would leave; an accepted one: afgemeld) it adds ``leaving`` (who,
        the first :data:`MAX_LEAVERS_LISTED`, each with ``invalid_row``) and
        ``leaving_not_listed`` (how many more)."""
        contract = {
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
        if self.leaving or self.leaving_more:
            contract["leaving"] = [leaver.to_dict() for leaver in self.leaving]
            contract["leaving_not_listed"] = self.leaving_more
        return contract

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
            "people_ineligible_now": self.removed_ineligible,
            "carried_over": self.carried_over,
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "encoding": self.encoding,
            "delimiter": {"\t": "tab"}.get(self.delimiter, self.delimiter),
            "sha256": self.sha256,
            "bytes": self.bytes_read,
            "eligibility_basis": self.eligibility_basis,
        }


class IssueCollector:
    """Keeps ``limit`` issues and counts all of them (memory stays bounded). Errors come first:
    once the list is full, an error takes the place of the last warning kept, so a file with
    thousands of warnings before its errors still lists the rows that must be fixed (the
    warnings stay counted in ``issue_counts``)."""

    def __init__(self, result: ValidationResult, limit: int) -> None:
        self.result = result
        self.limit = limit
        self.truncated = False
        self._warnings: list[int] = []  # where the warnings kept are in ``result.issues``

    def add(self, issue: Issue) -> None:
        result = self.result
        result.issue_counts[issue.code] += 1
        issues = result.issues
        warning = CODES[issue.code].severity is Severity.WARNING
        if len(issues) < self.limit:
            if warning:
                self._warnings.append(len(issues))
            issues.append(issue)
            return
        self.truncated = True
        if not warning and self._warnings:
            # Everything after the last warning is an error, so the other places stay right.
            del issues[self._warnings.pop()]
            issues.append(issue)

    def reject(self, code: Code, *, field: str | None = None, detail: str | None = None) -> None:
        """Record ``code`` as the reason the extract is rejected (the last one recorded wins).
        The reason's issue is listed even past the limit: the report must name what decided."""
        result = self.result
        result.decision = "rejected"
        result.reason = code
        result.issue_counts[code] += 1
        result.issues.append(Issue(code, field=field, detail=detail))

