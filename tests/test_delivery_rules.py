"""The delivery's pure decisions: backoff, retry, already delivered, sequence, lease cadence."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.delivery_rules import (
    already_delivered,
    delivery_drop_held,
    lease_margin_ok,
    names_file,
    next_sequence,
    retry_wait,
    should_retry,
    step_timeout,
)

DAY = date(2026, 11, 28)


# -- backoff ---------------------------------------------------------------------------------
def test_the_wait_doubles_from_the_base_after_each_failed_attempt():
    assert [retry_wait(attempt, 2) for attempt in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_wait(1, 0.5) == 0.5 and retry_wait(3, 0.5) == 2.0
    assert retry_wait(5, 0) == 0


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_are_counted_from_one(attempt):
    with pytest.raises(ValueError) as exc:
        retry_wait(attempt, 2)
    assert str(exc.value) == "attempts are counted from 1"


@pytest.mark.parametrize(("attempts", "base", "expected"), [
    (1, 2, []),  # one attempt: never a wait
    (2, 2, [2]),
    (3, 2, [2, 4]),  # the default target: 3 attempts, 2 s
    (4, 1.5, [1.5, 3.0, 6.0]),
    (10, 1, [1, 2, 4, 8, 16, 32, 64, 128, 256]),  # the most attempts a target may configure
    (3, 0, [0, 0]),
])
def test_backoff_delays_one_fewer_than_the_attempts(attempts, base, expected):
    assert backoff_delays(attempts, base) == expected


@given(st.integers(min_value=1, max_value=10), st.floats(min_value=0.001, max_value=60))
def test_backoff_is_exponential_and_bounded(attempts, base):
    delays = backoff_delays(attempts, base)
    assert len(delays) == attempts - 1
    assert all(later == 2 * earlier for earlier, later in pairwise(delays))
    assert delays == [] or delays[0] == base
    assert sum(delays) == pytest.approx(base * (2 ** (attempts - 1) - 1))


# -- whether to retry ----------------------------------------------------------------------------
@pytest.mark.parametrize(("transient", "attempt", "attempts", "expected"), [
    (True, 1, 3, True),
    (True, 2, 3, True),
    (True, 3, 3, False),  # the last attempt failed: no more
    (True, 4, 3, False),
    (True, 1, 1, False),  # one attempt configured: never a retry
    (True, 1, 2, True),
    (False, 1, 3, False),  # auth, host key, permission: never retried
    (False, 3, 3, False),
])
def test_retry_only_transient_failures_with_an_attempt_left(transient, attempt, attempts, expected):
    assert should_retry(transient, attempt, attempts) is expected


@given(st.integers(min_value=1, max_value=10))
def test_a_failing_upload_makes_exactly_the_configured_attempts(attempts):
    made = 1
    while should_retry(True, made, attempts):
        made += 1
    assert made == attempts
    assert made - 1 == len(backoff_delays(attempts, 1))


# -- already delivered, next sequence -------------------------------------------------------------
def success(day: str = "2026-11-28", sequence: int | None = 1) -> dict:
    row = {"status": "succeeded", "day": day, "file": "VISH_TST-1_20261128_001.csv"}
    if sequence is not None:
        row["sequence"] = sequence
    return row



def backoff_delays(attempts: int, base: float) -> list[float]:
    """The waits between ``attempts`` attempts that all fail, as the uploader asks them."""
    return [retry_wait(attempt, base) for attempt in range(1, attempts)]

def test_nothing_delivered_yet():
    assert already_delivered(None, DAY, manual=False) is False
    assert already_delivered(None, DAY, manual=True) is False
    assert next_sequence(None, DAY) == 1


def test_a_success_for_the_day_means_done_unless_manual():
    assert already_delivered(success(), DAY, manual=False) is True
    assert already_delivered(success(), DAY, manual=True) is False  # manual re-delivery


def test_a_success_of_an_earlier_day_does_not_count():
    for other in ("2026-11-27", "2025-11-28", "2025-12-31"):
        assert already_delivered(success(other, 4), DAY, manual=False) is False
        assert already_delivered(success(other, 4), DAY, manual=True) is False
        assert next_sequence(success(other, 4), DAY) == 1  # a new day starts at 1


def test_a_later_day_delivered_covers_the_days_before_it_unless_manual():
    """A day delivered ahead by hand: the schedule must not then send today's file on every
    tick (the pointer never moves back, so 'not today' would stay true)."""
    for later in ("2026-11-29", "2027-01-01"):
        assert already_delivered(success(later, 4), DAY, manual=False) is True
        assert already_delivered(success(later, 4), DAY, manual=True) is False
        assert next_sequence(success(later, 4), DAY) == 1


def test_a_day_delivered_before_by_hand_takes_the_number_after_its_highest():
    assert next_sequence(success("2026-11-29", 4), DAY, delivered=2) == 3  # from history
    assert next_sequence(success(sequence=2), DAY, delivered=5) == 6  # the higher of both
    assert next_sequence(success(sequence=7), DAY, delivered=5) == 8


def test_a_manual_redelivery_on_the_delivered_day_takes_the_next_number():
    assert next_sequence(success(sequence=1), DAY) == 2
    assert next_sequence(success(sequence=2), DAY) == 3
    assert next_sequence(success(sequence=41), DAY) == 42


def test_a_success_row_without_a_sequence_counts_as_the_first_file():
    assert next_sequence(success(sequence=None), DAY) == 2
    assert already_delivered(success(sequence=None), DAY, manual=False) is True


def test_a_success_row_without_a_day_is_no_delivery_of_this_day():
    row = {"status": "succeeded", "sequence": 3}
    assert already_delivered(row, DAY, manual=False) is False and next_sequence(row, DAY) == 1


# -- the lease cadence ---------------------------------------------------------------------------
def test_a_step_fits_only_with_more_lease_left_than_it_may_take():
    assert lease_margin_ok(25.1, 25) and not lease_margin_ok(25, 25) and not lease_margin_ok(0, 0)


@pytest.mark.parametrize(("configured", "lease", "expected"), [
    (120, 60, 20), (15, 60, 15), (20, 60, 20), (30, 15, 5), (4, 15, 4)])
def test_one_request_may_take_the_configured_timeout_but_never_more_than_a_third_of_the_lease(
        configured, lease, expected):
    assert step_timeout(configured, lease) == expected


@pytest.mark.parametrize(("previous", "people", "threshold", "min_removed", "held"), [
    (None, 0, 0.3, 1, False),  # nothing delivered yet: nothing to compare with
    (0, 0, 0.3, 1, False),
    (974, 0, 0.3, 1, True),  # the file would empty VISH
    (3, 0, 0.3, 50, True),  # ... also below the minimum count
    (1000, 700, 0.3, 1, False),  # exactly the threshold: sent
    (1000, 699, 0.3, 1, True),  # just over it: held
    (1000, 699, 0.3, 301, True),  # 301 leave: at the minimum count
    (1000, 699, 0.3, 302, False),  # below the minimum count
    (1000, 1200, 0.3, 1, False),  # growth is never held
    (10, 6, 0.3, 1, True), (10, 7, 0.3, 1, False),
])
def test_the_delivery_drop_guard(previous, people, threshold, min_removed, held):
    assert delivery_drop_held(previous, people, threshold, min_removed) is held


@pytest.mark.parametrize(("given", "named"), [
    ("3f2a1b9c0d1e", True),           # the 12 characters a report and the status show
    (" 3F2A1B9C ", True),             # typed in capitals with spaces around it: 8 is enough
    ("3f2a1b9", False),               # 7 could name another file by chance
    ("3f2a1b9c0d1f", False),          # another file
    ("", False),
    ("3f2a1b9c0d1e" + "0" * 60, False),  # longer than the hash
])
def test_a_person_names_the_held_file_by_the_start_of_its_sha256(given, named):
    sha256 = "3f2a1b9c0d1e" + "a" * 52
    assert names_file(given, sha256) is named
    assert names_file(given, None) is False
