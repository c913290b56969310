"""The daily schedule against UTC instants worked out by hand, both DST changes included.

Europe/Amsterdam in 2026: CET (UTC+1) until 29 March 01:00 UTC, when 02:00 local becomes 03:00
CEST (UTC+2); back to CET on 25 October at 01:00 UTC, when 03:00 CEST becomes 02:00 CET, so
02:00-02:59 local happens twice. No expected value below comes from the code under test or
from zoneinfo: each is written down as a literal.
"""

import time as host_time
from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.domain.localtime import AMSTERDAM
from shared.domain.schedule import (
    ScheduleError,
    is_due,
    is_reachable,
    next_due,
    parse_schedule,
    send_moment,
    unreachable_days,
    unreachable_message,
)

TICK = timedelta(minutes=15)
SECOND = timedelta(seconds=1)
SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (local day, send time, the UTC instant it must be), by hand.
EXPECTED = [
    # ordinary winter and summer days
    (date(2026, 1, 15), time(6, 0), utc(2026, 1, 15, 5, 0)),
    (date(2026, 7, 1), time(6, 0), utc(2026, 7, 1, 4, 0)),
    (date(2026, 11, 28), time(23, 45), utc(2026, 11, 28, 22, 45)),
    (date(2026, 7, 1), time(0, 0), utc(2026, 6, 30, 22, 0)),
    # the days around the spring change
    (date(2026, 3, 28), time(2, 30), utc(2026, 3, 28, 1, 30)),
    (date(2026, 3, 28), time(6, 0), utc(2026, 3, 28, 5, 0)),
    (SPRING, time(0, 0), utc(2026, 3, 28, 23, 0)),  # still CET
    (SPRING, time(1, 59), utc(2026, 3, 29, 0, 59)),  # last minute of CET
    (SPRING, time(2, 0), utc(2026, 3, 29, 1, 0)),  # in the gap: 03:00 CEST
    (SPRING, time(2, 30), utc(2026, 3, 29, 1, 0)),  # in the gap: 03:00 CEST
    (SPRING, time(2, 59), utc(2026, 3, 29, 1, 0)),  # in the gap: 03:00 CEST
    (SPRING, time(3, 0), utc(2026, 3, 29, 1, 0)),  # first minute of CEST
    (SPRING, time(6, 0), utc(2026, 3, 29, 4, 0)),
    (SPRING, time(23, 45), utc(2026, 3, 29, 21, 45)),
    (date(2026, 3, 30), time(2, 30), utc(2026, 3, 30, 0, 30)),
    # the days around the autumn change
    (date(2026, 10, 24), time(2, 30), utc(2026, 10, 24, 0, 30)),
    (AUTUMN, time(0, 0), utc(2026, 10, 24, 22, 0)),  # still CEST
    (AUTUMN, time(1, 30), utc(2026, 10, 24, 23, 30)),
    (AUTUMN, time(2, 0), utc(2026, 10, 25, 0, 0)),  # repeated hour: first occurrence (CEST)
    (AUTUMN, time(2, 30), utc(2026, 10, 25, 0, 30)),  # not 01:30 UTC (the second, CET)
    (AUTUMN, time(2, 59), utc(2026, 10, 25, 0, 59)),
    (AUTUMN, time(3, 0), utc(2026, 10, 25, 2, 0)),  # CET from here
    (AUTUMN, time(6, 0), utc(2026, 10, 25, 5, 0)),
    (AUTUMN, time(23, 45), utc(2026, 10, 25, 22, 45)),
    (date(2026, 10, 26), time(2, 30), utc(2026, 10, 26, 1, 30)),
    # another year, other dates (last Sunday of March and of October 2025)
    (date(2025, 3, 30), time(2, 30), utc(2025, 3, 30, 1, 0)),
    (date(2025, 10, 26), time(2, 30), utc(2025, 10, 26, 0, 30)),
]


@pytest.mark.parametrize(("day", "send_time", "expected"), EXPECTED,
                         ids=[f"{d}-{t:%H%M}" for d, t, _ in EXPECTED])
def test_send_moment_is_the_hand_computed_utc_instant(day, send_time, expected):
    assert send_moment(day, send_time) == expected


@pytest.fixture
def host_in_new_york(monkeypatch):
    """The machine's own zone is neither UTC nor Amsterdam (as on a developer's laptop)."""
    monkeypatch.setenv("TZ", "America/New_York")
    host_time.tzset()
    yield
    monkeypatch.undo()
    host_time.tzset()


@pytest.mark.parametrize(("day", "send_time", "text"), [
    (date(2026, 1, 15), time(6, 0), "2026-01-15T05:00:00+00:00"),
    (SPRING, time(2, 30), "2026-03-29T01:00:00+00:00"),  # in the gap
])
def test_send_moment_is_in_utc_whatever_the_hosts_zone(host_in_new_york, day, send_time, text):
    assert send_moment(day, send_time).isoformat() == text
    assert next_due(utc(2026, 1, 1), send_time, None).utcoffset() == timedelta(0)


@pytest.mark.parametrize(("day", "send_time", "expected"), EXPECTED,
                         ids=[f"{d}-{t:%H%M}" for d, t, _ in EXPECTED])
def test_due_from_exactly_the_send_moment_until_delivered(day, send_time, expected):
    before, after = expected - SECOND, expected + SECOND
    yesterday = day - timedelta(days=1)  # delivered (one second before 00:00 is still that day)
    assert not is_due(before, send_time, yesterday)
    assert is_due(expected, send_time, yesterday) and is_due(expected, send_time, None)
    assert is_due(after, send_time, yesterday) and is_due(after, send_time, None)
    assert not is_due(expected, send_time, day) and not is_due(after, send_time, day)
    # next_due: today's moment until today's delivery (in the past = overdue), then tomorrow's
    assert next_due(before, send_time, yesterday) == expected
    assert next_due(expected, send_time, None) == expected
    assert next_due(after, send_time, None) == expected
    assert next_due(after, send_time, day) == send_moment(day + timedelta(days=1), send_time)


def test_next_due_after_delivery_on_and_before_a_dst_day():
    # delivered on the day before a change: the next moment is on the changed clock
    assert next_due(utc(2026, 3, 28, 1, 30), time(2, 30), date(2026, 3, 28)) == utc(2026, 3, 29, 1, 0)
    assert next_due(utc(2026, 10, 24, 0, 30), time(2, 30), date(2026, 10, 24)) == \
        utc(2026, 10, 25, 0, 30)
    # delivered at the first 02:30 of the autumn day: the second 02:30 (01:30 UTC) is not due again
    assert not is_due(utc(2026, 10, 25, 1, 30), time(2, 30), AUTUMN)
    assert next_due(utc(2026, 10, 25, 1, 30), time(2, 30), AUTUMN) == utc(2026, 10, 26, 1, 30)


# --- a whole year of 15-minute ticks -----------------------------------------------------------
def hand_moment(day: date, send_time: time) -> datetime:
    """The expected UTC instant, by the rule written out (not by zoneinfo or the code)."""
    if day == SPRING:
        # before 02:00 still CET; 02:00-02:59 does not exist and becomes 03:00 CEST (01:00 UTC)
        if send_time < time(2, 0):
            offset = timedelta(hours=1)
        elif send_time < time(3, 0):
            return utc(2026, 3, 29, 1, 0)
        else:
            offset = timedelta(hours=2)
    elif day == AUTUMN:
        # before 03:00 the first occurrence (CEST), from 03:00 CET
        offset = timedelta(hours=2) if send_time < time(3, 0) else timedelta(hours=1)
    elif SPRING < day < AUTUMN:
        offset = timedelta(hours=2)
    else:
        offset = timedelta(hours=1)
    return datetime.combine(day, send_time, tzinfo=UTC) - offset


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


def test_the_hand_rule_agrees_with_the_literal_table():
    for day, send_time, expected in EXPECTED:
        if day.year == 2026:
            assert hand_moment(day, send_time) == expected, (day, send_time)


@pytest.mark.parametrize("send_time", [time(6, 0), time(2, 30), time(0, 0), time(23, 45)])
def test_exactly_one_delivery_per_local_day_for_a_year_at_the_expected_tick(send_time):
    start = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    end = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    deliveries = simulate(start, end, send_time, ticks_per_slot=2)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [d for d in days if len(deliveries.get(d, [])) != 1] == []
    # Every expected instant lies on the 15-minute grid, so the delivery is exactly at it.
    wrong = [(d, deliveries[d][0], hand_moment(d, send_time)) for d in days
             if deliveries[d][0] != hand_moment(d, send_time)]
    assert wrong == []


def test_dst_days_deliver_at_the_literal_instants():
    spring = simulate(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0), time(2, 30))
    assert spring == {date(2026, 3, 28): [utc(2026, 3, 28, 1, 30)], SPRING: [utc(2026, 3, 29, 1, 0)]}
    autumn = simulate(utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0), time(2, 30))
    assert autumn == {date(2026, 10, 24): [utc(2026, 10, 24, 0, 30)], AUTUMN: [utc(2026, 10, 25, 0, 30)]}


def test_after_an_outage_todays_file_is_delivered_once_at_the_first_tick():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    end = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)
    down = (datetime(2026, 6, 1, 3, 0, tzinfo=UTC), datetime(2026, 6, 1, 11, 7, tzinfo=UTC))
    deliveries = simulate(start, end, time(6), down=down)
    assert deliveries[date(2026, 6, 1)] == [datetime(2026, 6, 1, 11, 15, tzinfo=UTC)]
    assert deliveries[date(2026, 6, 2)] == [datetime(2026, 6, 2, 4, 0, tzinfo=UTC)]


def test_next_due_is_today_until_delivered_then_tomorrow():
    now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 04:00 local
    assert next_due(now, time(6), None) == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert next_due(now, time(6), date(2026, 11, 28)) == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    later = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert next_due(later, time(6), date(2026, 11, 27)) == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert is_due(later, time(6), date(2026, 11, 27))
    assert not is_due(later, time(6), date(2026, 11, 28))


def test_local_midnight_not_utc_midnight_decides_the_day():
    # 23:30 UTC on 28 Nov is 00:30 local on 29 Nov: the 29th's delivery, not a second 28th.
    now = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert is_due(now, time(0, 0), date(2026, 11, 28))
    assert not is_due(now, time(0, 0), date(2026, 11, 29))
    # and 22:59 UTC on 28 Nov is still the 28th locally: delivered that day, nothing due
    assert not is_due(datetime(2026, 11, 28, 22, 59, tzinfo=UTC), time(0, 0), date(2026, 11, 28))


# --- the timer's schedule and which send times it reaches -------------------------------------
WINTER, SUMMER = date(2026, 1, 15), date(2026, 7, 1)


@pytest.mark.parametrize(("expression", "seconds", "minutes", "hours"), [
    ("0 */15 * * * *", [0], [0, 15, 30, 45], list(range(24))),
    ("0 0 * * * *", [0], [0], list(range(24))),
    ("0 */15 4-20 * * *", [0], [0, 15, 30, 45], list(range(4, 21))),
    ("30 5,35 1-3,22 * * *", [30], [5, 35], [1, 2, 3, 22]),
    ("0 10-50/20 0-23/6 * * *", [0], [10, 30, 50], [0, 6, 12, 18]),
    ("  0\t*/30   2  *  *  *  ", [0], [0, 30], [2]),
])
def test_the_schedule_reader_reads_the_supported_subset(expression, seconds, minutes, hours):
    schedule = parse_schedule(expression)
    assert (list(schedule.seconds), list(schedule.minutes), list(schedule.hours)) == \
        (seconds, minutes, hours)


@pytest.mark.parametrize(("expression", "message"), [
    ("0 */15 * * *", "'0 */15 * * *' heeft 5 velden; verwacht zes"),
    ("", "'' heeft 0 velden; verwacht zes"),
    ("0 */15 * * * * *", "heeft 7 velden"),
    ("0 0 6 * * 1-5", "veld 'dag van de week': alleen '*' wordt ondersteund, niet '1-5'"),
    ("0 0 6 1 * *", "veld 'dag': alleen '*' wordt ondersteund, niet '1'"),
    ("0 0 6 * */2 *", "veld 'maand': alleen '*' wordt ondersteund, niet '*/2'"),
    ("0 0 6 * * MON", "veld 'dag van de week': alleen '*'"),
    ("0 60 * * * *", "veld 'minuut': 60 valt buiten 0-59"),
    ("60 0 * * * *", "veld 'seconde': 60 valt buiten 0-59"),
    ("0 0 24 * * *", "veld 'uur': 24 valt buiten 0-23"),
    ("0 5/15 * * * *", "veld 'minuut': een stap mag alleen na '*' of een bereik ('5/15')"),
    ("0 */0 * * * *", "veld 'minuut': stap 0 in '*/0'"),
    ("0 30-10 * * * *", "veld 'minuut': bereik '30-10' loopt achteruit"),
    ("0 1,,2 * * * *", "veld 'minuut': '' is niet te lezen"),
    ("0 -5 * * * *", "veld 'minuut': '-5' is niet te lezen"),
    ("0 1-2-3 * * * *", "veld 'minuut': '1-2-3' is niet te lezen"),
    ("0 */15/2 * * * *", "veld 'minuut': '*/15/2' is niet te lezen"),
    ("0 +5 * * * *", "veld 'minuut': '+5' is niet te lezen"),
    ("0 005 * * * *", "veld 'minuut': '005' is niet te lezen"),
    ("0 \u0663 * * * *", "is niet te lezen"),  # an Arabic-Indic digit three is not a number here
    ("0 L * * * *", "veld 'minuut': 'L' is niet te lezen"),
    ("0 0 */15 * * ?", "veld 'dag van de week'"),
])
def test_an_unreadable_schedule_is_refused_naming_the_field(expression, message):
    with pytest.raises(ScheduleError) as exc:
        parse_schedule(expression)
    assert message in str(exc.value)


LAST = "valt na de laatste tik van het schema"


@pytest.mark.parametrize(("expression", "send_time", "message"), [
    ("0 */15 * * * *", time(23, 45), None),
    ("0 */15 * * * *", time(23, 50), f"verzendtijd 23:50 {LAST} '0 */15 * * * *' "
                                     "(laatste tik 23:45 lokale tijd); kies een vroegere verzendtijd"),
    ("0 */15 * * * *", time(0, 0), None),
    ("0 */15 * * * *", time(23, 45, 1), f"verzendtijd 23:45:01 {LAST} '0 */15 * * * *' "
                                        "(laatste tik 23:45 lokale tijd); kies een vroegere verzendtijd"),
    ("0 0 * * * *", time(23, 0), None),
    ("0 0 * * * *", time(23, 30), f"verzendtijd 23:30 {LAST} '0 0 * * * *' "
                                  "(laatste tik 23:00 lokale tijd); kies een vroegere verzendtijd"),
    # UTC hours 4-20: the last tick is 21:45 local in winter, 22:45 in summer. Winter decides.
    ("0 */15 4-20 * * *", time(21, 45), None),
    ("0 */15 4-20 * * *", time(22, 0), f"verzendtijd 22:00 {LAST} '0 */15 4-20 * * *' (laatste tik "
                                       "21:45 lokale tijd in de winter); kies een vroegere verzendtijd"),
    ("0 */15 4-20 * * *", time(5, 0), None),
    ("0 */15 4-20 * * *", time(0, 0), None),
    # 22:00 and 23:00 UTC: in summer that is 00:00 and 01:00 local, the start of the day. Summer decides.
    ("0 0 22,23 * * *", time(0, 0), None),
    ("0 0 22,23 * * *", time(1, 0), f"verzendtijd 01:00 {LAST} '0 0 22,23 * * *' (laatste tik 00:00 "
                                    "lokale tijd op de dag van de overgang naar zomertijd); kies een "
                                    "vroegere verzendtijd"),
    ("0 0 22,23 * * *", time(6, 0), f"verzendtijd 06:00 {LAST} '0 0 22,23 * * *' (laatste tik "
                                    "01:00 lokale tijd in de zomer); kies een vroegere verzendtijd"),
    # 01:00 UTC only: 02:00 local in winter, so 02:30 waits for the next day; only winter fails.
    ("0 0 1 * * *", time(2, 30), f"verzendtijd 02:30 {LAST} '0 0 1 * * *' (laatste tik "
                                 "02:00 lokale tijd in de winter); kies een vroegere verzendtijd"),
    ("0 0 1 * * *", time(2, 0), None),
    # 22:30 UTC only: the 23-hour spring day (23:00 UTC to 22:00 UTC) has no tick at all.
    ("0 30 22 * * *", time(0, 15), "verzendtijd 00:15 wordt niet elke dag bereikt: het schema "
                                   "'0 30 22 * * *' tikt op de dag van de overgang naar zomertijd "
                                   "geen enkele keer; kies een ander schema"),
])
def test_a_send_time_after_the_last_tick_of_its_local_day_is_unreachable(expression, send_time,
                                                                        message):
    schedule = parse_schedule(expression)
    assert unreachable_message(schedule, send_time) == message
    assert is_reachable(schedule, send_time) is (message is None)


@pytest.mark.parametrize(("expression", "send_time", "days"), [
    ("0 */15 * * * *", time(23, 50), [WINTER, SUMMER, SPRING, AUTUMN]),
    ("0 */15 4-20 * * *", time(22, 0), [WINTER, AUTUMN]),  # 20:00 UTC on the spring day is 22:00
    ("0 */15 4-20 * * *", time(23, 0), [WINTER, SUMMER, SPRING, AUTUMN]),
    ("0 0 22,23 * * *", time(6, 0), [SUMMER, SPRING]),
    ("0 0 1 * * *", time(2, 30), [WINTER]),
    ("0 30 22 * * *", time(0, 15), [SPRING]),
    ("0 30 22 * * *", time(23, 30), [SUMMER, SPRING]),
])
def test_each_kind_of_local_day_is_checked(expression, send_time, days):
    found = unreachable_days(parse_schedule(expression), send_time)
    assert [d.day for d in found] == days


def test_the_last_tick_is_the_last_one_of_the_failing_local_day():
    [winter, autumn] = unreachable_days(parse_schedule("0 */15 4-20 * * *"), time(22, 0))
    assert winter.last_tick == utc(2026, 1, 15, 20, 45) and autumn.last_tick == utc(2026, 10, 25, 20, 45)
    [spring] = unreachable_days(parse_schedule("0 30 22 * * *"), time(0, 15))
    assert spring.last_tick is None


# (schedule, its ticks written out by hand: UTC hours, minutes)
HAND_TICKS = [
    ("0 */15 * * * *", range(24), (0, 15, 30, 45)),
    ("0 0 * * * *", range(24), (0,)),
    ("0 */15 4-20 * * *", range(4, 21), (0, 15, 30, 45)),
    ("0 0 22,23 * * *", (22, 23), (0,)),
    ("0 0 1 * * *", (1,), (0,)),
    ("0 30 22 * * *", (22,), (30,)),
]


@pytest.mark.parametrize(("expression", "hours", "minutes"), HAND_TICKS, ids=[e for e, _, _ in HAND_TICKS])
def test_reachable_exactly_when_every_day_of_the_year_has_a_tick_after_the_send_moment(expression, hours,
                                                                                      minutes):
    """Four reference days stand for every day: checked against all of 2026, tick by tick."""
    first = date(2025, 12, 31)
    ticks = sorted(datetime.combine(first + timedelta(days=i), time(h, m), tzinfo=UTC)
                   for i in range(368) for h in hours for m in minutes)
    schedule = parse_schedule(expression)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    for send_time in [time(h, m) for h in range(24) for m in (0, 10, 30, 50)]:
        missed = []
        for day in days:
            moment = send_moment(day, send_time)
            end = send_moment(day + timedelta(days=1), time(0, 0))  # local midnight always exists
            i = bisect_left(ticks, moment)
            if not ticks[i] < end:
                missed.append(day)
        assert is_reachable(schedule, send_time) is (missed == []), (send_time, missed[:3])


def test_under_the_15_minute_timer_2350_would_never_be_delivered():
    """Why 23:50 is refused: the tick after it is on the next local day, which is not due yet."""
    assert simulate(utc(2026, 11, 27, 0, 0), utc(2026, 11, 30, 0, 0), time(23, 50)) == {}
    assert simulate(utc(2026, 11, 27, 0, 0), utc(2026, 11, 30, 0, 0), time(23, 45)) == {
        date(2026, 11, 27): [utc(2026, 11, 27, 22, 45)], date(2026, 11, 28): [utc(2026, 11, 28, 22, 45)],
        date(2026, 11, 29): [utc(2026, 11, 29, 22, 45)]}


def test_a_day_delivered_ahead_covers_today_and_next_due_follows_it():
    """Someone delivered the 30th by hand on the 28th: the 28th and 29th are not sent by the
    schedule (a newer file is already there), and the next due moment is the 31st's."""
    now = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    ahead = date(2026, 11, 30)
    assert not is_due(now, time(6), ahead)
    assert not is_due(datetime(2026, 11, 29, 11, 0, tzinfo=UTC), time(6), ahead)
    assert is_due(datetime(2026, 12, 1, 11, 0, tzinfo=UTC), time(6), ahead)
    assert next_due(now, time(6), ahead) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert next_due(now, time(6), date(2026, 11, 28)) == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
