"""The health word per organisation, from its outcomes and the clock. Pure.

``ok``: today's delivery succeeded. ``pending``: today's delivery is not yet due (or due and
within the grace period). ``late``: due + grace passed without success. ``failing``: the last
attempt failed (or delivery is not configured). ``stale_extract``: no accepted extract for more
than N days (the delivered data is getting old). The reason is Dutch: people read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.localtime import AMSTERDAM, local_date
from shared.domain.schedule import next_due, send_moment

HEALTHY = ("ok", "pending")


@dataclass(frozen=True)
class Health:
    word: str
    reason: str

    @property
    def healthy(self) -> bool:
        return self.word in HEALTHY


def _local(at: datetime) -> str:
    return at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def assess(now: datetime, organisation, *, last_accepted: dict | None, last_attempt: dict | None,
           last_success: dict | None, grace_minutes: int, stale_days: int) -> Health:
    """Entities are outcome rows (``recorded_at`` aware datetimes; deliveries carry ``day``)."""
    if organisation.sftp is None:
        return Health("failing", "Geen SFTP-bestemming ingesteld: er wordt niets aan SNG geleverd")
    today = local_date(now).isoformat()
    success_today = bool(last_success and last_success.get("day") == today)
    if (last_attempt and last_attempt.get("status") == "failed"
            and not (last_success and last_success["recorded_at"] >= last_attempt["recorded_at"])):
        return Health("failing", f"Laatste levering mislukt ({last_attempt.get('error_kind')}) op "
                                 f"{_local(last_attempt['recorded_at'])}")
    moment = send_moment(local_date(now), organisation.send_time)
    if not success_today and now > moment + timedelta(minutes=grace_minutes):
        return Health("late", f"Levering van vandaag niet gelukt; verwacht om {_local(moment)}")
    if last_accepted is None:
        return Health("stale_extract", "Nog geen geaccepteerd bestand ontvangen")
    if now - last_accepted["recorded_at"] > timedelta(days=stale_days):
        return Health("stale_extract", f"Geen geaccepteerd bestand sinds "
                                       f"{_local(last_accepted['recorded_at'])}")
    if success_today:
        return Health("ok", f"Levering van vandaag gelukt om {_local(last_success['recorded_at'])}")
    due = next_due(now, organisation.send_time, None)
    return Health("pending", f"Levering van vandaag volgt om {_local(due)}")
