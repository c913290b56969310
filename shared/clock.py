"""The clock: the one place outside the domain that asks the system for the time.

Use cases take ``now`` as a parameter (default :func:`utcnow`), so tests inject their own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.domain.localtime import AMSTERDAM, local_date

__all__ = ["AMSTERDAM", "local_today", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Europe/Amsterdam (at ``now`` when given)."""
    return local_date(now or utcnow())
