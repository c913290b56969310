"""The daily schedule over a whole year of 15-minute ticks, both DST changes included."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.domain.localtime import AMSTERDAM
from shared.domain.schedule import is_due, next_due, send_moment

TICK = timedelta(minutes=15)


def simulate(start: datetime, end: datetime, send_time: time, *, down=None, ticks_per_slot=1):
    """Tick like the timer; deliver when due; return {local date: [delivery instants]}."""
    last_success = None
    deliveries: dict[date, list[datetime]] = {}
    now = start
    while now < end:
        if not (down and down[0] <= now < down[1]):
            for _ in range(ticks_per_slot):  # duplicate ticks at the same instant
                if is_due(now, send_time, last_success):
                    day = now.astimezone(AMSTERDAM).date()
                    deliveries.setdefault(day, []).append(now)
                    last_success = day
        now += TICK
    return deliveries


@pytest.mark.parametrize("send_time", [time(6, 0), time(2, 30), time(0, 0), time(23, 45)])
def test_exactly_one_delivery_per_local_day_for_a_year(send_time):
    start = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    end = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    deliveries = simulate(start, end, send_time, ticks_per_slot=2)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    wrong = [d for d in days if len(deliveries.get(d, [])) != 1]
    assert wrong == []
    for day in days:
        moment = deliveries[day][0]
        target = send_moment(day, send_time)
        assert timedelta(0) <= moment - target < TICK, (day, moment, target)


def test_dst_days_keep_the_local_send_time():
    # 29 March 2026: clocks go 02:00 -> 03:00; 25 October 2026: 03:00 -> 02:00.
    assert send_moment(date(2026, 3, 28), time(6)) == datetime(2026, 3, 28, 5, 0, tzinfo=UTC)
    assert send_moment(date(2026, 3, 29), time(6)) == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)
    assert send_moment(date(2026, 10, 25), time(6)) == datetime(2026, 10, 25, 5, 0, tzinfo=UTC)
    assert send_moment(date(2026, 3, 29), time(2, 30)).astimezone(AMSTERDAM).time() == time(3, 0)


def test_after_an_outage_todays_file_is_delivered_once_at_the_first_tick():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    end = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)
    down = (datetime(2026, 6, 1, 3, 0, tzinfo=UTC), datetime(2026, 6, 1, 11, 7, tzinfo=UTC))
    deliveries = simulate(start, end, time(6), down=down)
    assert deliveries[date(2026, 6, 1)] == [datetime(2026, 6, 1, 11, 15, tzinfo=UTC)]
    assert len(deliveries[date(2026, 6, 2)]) == 1


def test_next_due_is_today_until_delivered_then_tomorrow():
    now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 04:00 local
    assert next_due(now, time(6), None) == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert next_due(now, time(6), date(2026, 11, 28)) == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    later = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert next_due(later, time(6), date(2026, 11, 27)) < later  # overdue: due now
    assert is_due(later, time(6), date(2026, 11, 27)) and not is_due(later, time(6), date(2026, 11, 28))


def test_local_midnight_not_utc_midnight_decides_the_day():
    # 23:30 UTC on 28 Nov is 00:30 local on 29 Nov: the 29th's delivery, not a second 28th.
    now = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert is_due(now, time(0, 0), date(2026, 11, 28))
    assert not is_due(now, time(0, 0), date(2026, 11, 29))
