"""When an organisation's daily delivery is due. Pure; local time is Europe/Amsterdam.

Flex Consumption runs NCRONTAB in UTC and ignores WEBSITE_TIME_ZONE, so the timer ticks often
(every 15 minutes by default) and this module decides: a delivery is due when the local send
time of today has passed and there is no successful delivery for today's local date. That rule
survives both DST changes (the send moment is computed per local day), outages (the first tick
afterwards delivers today's file once) and duplicate ticks (the success is recorded once; the
lease in the delivery service keeps two instances from both sending).

It also reads the timer's schedule (``parse_schedule``: a strict subset of NCRONTAB) and tells
whether a send time is reachable under it (``unreachable_message``): on every local day a tick
must fall at or after the send moment and before that local day ends, or that day's delivery
would never be made (e.g. 23:50 under the 15-minute schedule: the next tick is 00:00, the next
day). The configuration refuses such a send time.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
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
    done = last_success_day is not None and last_success_day >= today  # a later day covers today
    return not done and now >= send_moment(today, send_time)


def next_due(now: datetime, send_time: time, last_success_day: date | None) -> datetime:
    """When the next delivery is due: today's send moment, or that of the day after the last day
    delivered when that is today or later. A moment in the past means: due now (overdue)."""
    today = local_date(now)
    done = last_success_day is not None and last_success_day >= today
    return send_moment(last_success_day + timedelta(days=1) if done else today, send_time)


# --- the timer's NCRONTAB schedule ------------------------------------------------------------
# The timer ticks in UTC; a send time is only useful when, on every local day, a tick follows
# the send moment before that local day ends. Otherwise the day's tick falls on the next local
# day, where ``is_due`` looks at the next day's send moment: the day would never be delivered.

_FIELDS = (("seconde", 0, 59), ("minuut", 0, 59), ("uur", 0, 23))
_STAR_ONLY = ("dag", "maand", "dag van de week")
_NUMBER = re.compile(r"[0-9]{1,2}")


class ScheduleError(ValueError):
    """The schedule cannot be read (Dutch message: the operator reads it)."""


@dataclass(frozen=True)
class Schedule:
    """A six-field NCRONTAB schedule in UTC (second minute hour day month day-of-week) whose
    day, month and day-of-week are ``*``: the same ticks on every UTC day."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    times: tuple[time, ...]  # the UTC times of day of the ticks, earliest first

    def next_tick(self, at: datetime) -> datetime:
        """The first tick at or after the aware instant ``at`` (in UTC)."""
        at = at.astimezone(UTC)
        i = bisect_left(self.times, at.time().replace(tzinfo=None))
        if i < len(self.times):
            return datetime.combine(at.date(), self.times[i], tzinfo=UTC)
        return datetime.combine(at.date() + timedelta(days=1), self.times[0], tzinfo=UTC)

    def last_tick_before(self, at: datetime) -> datetime:
        """The last tick strictly before the aware instant ``at`` (in UTC)."""
        at = at.astimezone(UTC)
        i = bisect_left(self.times, at.time().replace(tzinfo=None)) - 1
        if i >= 0:
            return datetime.combine(at.date(), self.times[i], tzinfo=UTC)
        return datetime.combine(at.date() - timedelta(days=1), self.times[-1], tzinfo=UTC)


def _number(text: str, item: str, name: str, low: int, high: int) -> int:
    if not _NUMBER.fullmatch(text):
        raise ScheduleError(f"veld '{name}': '{item}' is niet te lezen (verwacht '*', een getal, "
                            "'a-b', '*/n' of 'a-b/n')")
    value = int(text)
    if not low <= value <= high:
        raise ScheduleError(f"veld '{name}': {value} valt buiten {low}-{high}")
    return value


def _values(part: str, name: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for item in part.split(","):
        base, slash, step_text = item.partition("/")
        step = _number(step_text, item, name, 0, 59) if slash else 1
        if step == 0:
            raise ScheduleError(f"veld '{name}': stap 0 in '{item}'")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = (_number(first, item, name, low, high), _number(last, item, name, low, high))
            if start > end:
                raise ScheduleError(f"veld '{name}': bereik '{base}' loopt achteruit")
        elif slash:
            raise ScheduleError(f"veld '{name}': een stap mag alleen na '*' of een bereik ('{item}')")
        else:
            start = end = _number(base, item, name, low, high)
        values.update(range(start, end + 1, step))
    return values


def parse_schedule(expression: str) -> Schedule:
    """Read a six-field NCRONTAB expression strictly: ``*``, numbers, ``a-b``, ``*/n``, ``a-b/n``
    and comma lists in second, minute and hour; day, month and day-of-week only ``*``."""
    parts = expression.split()
    if len(parts) != 6:
        raise ScheduleError(f"'{expression}' heeft {len(parts)} velden; verwacht zes "
                            "(seconde minuut uur dag maand dag-van-de-week)")
    for name, part in zip(_STAR_ONLY, parts[3:], strict=True):
        if part != "*":
            raise ScheduleError(f"veld '{name}': alleen '*' wordt ondersteund, niet '{part}' "
                                "(de levering moet elke dag kunnen lopen)")
    seconds, minutes, hours = (tuple(sorted(_values(part, name, low, high)))
                               for part, (name, low, high) in zip(parts[:3], _FIELDS, strict=True))
    times = tuple(time(h, m, sec) for h in hours for m in minutes for sec in seconds)
    return Schedule(" ".join(parts), seconds, minutes, hours, times)


# One local day of each kind the clock has: winter (UTC+1), summer (UTC+2) and both change
# days. Every local day in every year behaves like one of these, since the ticks are the same
# on every UTC day and only the offsets at the send moment and at the day's end matter.
REFERENCE_DAYS = (
    (date(2026, 1, 15), " in de winter"),
    (date(2026, 7, 1), " in de zomer"),
    (date(2026, 3, 29), " op de dag van de overgang naar zomertijd"),
    (date(2026, 10, 25), " op de dag van de overgang naar wintertijd"),
)


@dataclass(frozen=True)
class Unreachable:
    """A local day on which no tick follows the send moment before the day ends."""

    day: date
    label: str  # Dutch: " in de winter", …
    last_tick: datetime | None  # UTC: the day's last tick, None when it has none


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=AMSTERDAM).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=AMSTERDAM).astimezone(UTC)
    return start, end


def unreachable_days(schedule: Schedule, send_time: time) -> list[Unreachable]:
    """The reference days on which ``send_time`` gets no tick; empty when it is reachable."""
    out = []
    for day, label in REFERENCE_DAYS:
        start, end = _day_bounds(day)
        if schedule.next_tick(send_moment(day, send_time)) < end:
            continue
        last = schedule.last_tick_before(end)
        out.append(Unreachable(day, label, last if last >= start else None))
    return out


def is_reachable(schedule: Schedule, send_time: time) -> bool:
    """True when on every local day a tick falls at or after the send moment, that same day."""
    return not unreachable_days(schedule, send_time)


def _clock(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def unreachable_message(schedule: Schedule, send_time: time) -> str | None:
    """Why ``send_time`` is unreachable under ``schedule`` (Dutch), or None when it is reachable."""
    days = unreachable_days(schedule, send_time)
    if not days:
        return None
    first = days[0]
    if first.last_tick is None:
        return (f"verzendtijd {_clock(send_time)} wordt niet elke dag bereikt: het schema "
                f"'{schedule.expression}' tikt{first.label} geen enkele keer; kies een ander schema")
    local_last = {d.last_tick.astimezone(AMSTERDAM).time() if d.last_tick else None for d in days}
    everywhere = len(days) == len(REFERENCE_DAYS) and len(local_last) == 1
    label = "" if everywhere else first.label
    last = _clock(first.last_tick.astimezone(AMSTERDAM).time())
    return (f"verzendtijd {_clock(send_time)} valt na de laatste tik van het schema "
            f"'{schedule.expression}' (laatste tik {last} lokale tijd{label}); "
            "kies een vroegere verzendtijd")
