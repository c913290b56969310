"""Local time in the one zone the law and the counsellors live in. Pure: the instant is given.

The clock itself (``utcnow``) lives in ``shared.clock``, outside the domain.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_date(at: datetime) -> date:
    """The date in Europe/Amsterdam at the aware instant ``at``."""
    return at.astimezone(AMSTERDAM).date()
