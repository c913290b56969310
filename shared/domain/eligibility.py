"""Who may be in VISH on a date. Validity (is the row right?) is a separate question."""

from __future__ import annotations

from datetime import date
from typing import Literal

Rule = Literal["toelating", "start"]


def eligibility_basis(rule: Rule, has_toelating_column: bool) -> str:
    """The date field that admits a client (see :func:`eligible_from`)."""
    return "startdatum" if rule == "start" or not has_toelating_column else "toelatingsdatum"


def eligible_from(rule: Rule, startdatum: date | None, toelatingsdatum: date | None,
                  has_toelating_column: bool) -> date | None:
    """The date from which a client may be registered.

    Rule ``toelating`` (the handreiking): the toelatingsdatum; empty means not yet admitted.
    Rule ``start``: the startdatum. An extract without a toelatingsdatum column falls back to
    the startdatum (the caller reports that once per file).
    """
    if eligibility_basis(rule, has_toelating_column) == "startdatum":
        return startdatum
    return toelatingsdatum


def is_eligible(from_date: date | None, einddatum: date | None, on: date) -> bool:
    """Admitted on or before ``on`` and no einddatum before ``on``."""
    return from_date is not None and from_date <= on and (einddatum is None or einddatum >= on)
