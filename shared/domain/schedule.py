"""When an organisation's daily delivery is due. Pure; local time is Europe/Amsterdam.

Flex Consumption runs NCRONTAB in UTC and ignores WEBSITE_TIME_ZONE, so the timer ticks often
(every 15 minutes by default) and this module decides: a delivery is due when the local send
time of today has passed and there is no successful delivery for today's local date. That rule
survives both DST changes (the send moment is computed per local day), outages (the first tick
afterwards delivers today's file once) and duplicate ticks (the success is recorded once; the
lease in the delivery service keeps two instances from both sending).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from shared.domain.localtime import AMSTERDAM, local_date


def send_moment(day: date, send_time: time) -> datetime:
    """The UTC instant of ``send_time`` on local ``day``.

    A send time inside the spring-forward gap (e.g. 02:30) falls on the first moment after it;
    one inside the repeated autumn hour takes its first occurrence.
    """
    local = datetime.combine(day, send_time, tzinfo=AMSTERDAM)
    moment = local.astimezone(UTC)
    if moment.astimezone(AMSTERDAM).replace(tzinfo=None) != local.replace(tzinfo=None):
        # Non-existent local time: move to the end of the gap (the clock jumped past it).
        moment = datetime.combine(day, time(3, 0), tzinfo=AMSTERDAM).astimezone(UTC)
    return moment


def is_due(now: datetime, send_time: time, last_success_day: date | None) -> bool:
    """True when today's delivery (local date) should be made at ``now`` (aware)."""
    today = local_date(now)
    return last_success_day != today and now >= send_moment(today, send_time)


def next_due(now: datetime, send_time: time, last_success_day: date | None) -> datetime:
    """When the next delivery is due: today's send moment, or tomorrow's when today's is done.
    A moment in the past means: due now (overdue)."""
    today = local_date(now)
    day = today + timedelta(days=1) if last_success_day == today else today
    return send_moment(day, send_time)
