"""The delivery's decisions, as pure functions: retries and their backoff, whether a day is
already delivered and which sequence number the next file gets, and when the delivery lease is
renewed. No I/O and no clock: the callers pass in attempts, outcome rows and elapsed seconds.
"""

from __future__ import annotations

from datetime import date

# A lease is renewed once more than 1/RENEW_DIVISOR of its duration has passed since the last
# renewal: two more chances before it would expire.
RENEW_DIVISOR = 3


# -- retries ---------------------------------------------------------------------------------
def retry_wait(attempt: int, base: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): ``base`` doubled for
    every attempt before it (``base``, ``2*base``, ``4*base``, ...)."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return base * 2 ** (attempt - 1)


def should_retry(transient: bool, attempt: int, attempts: int) -> bool:
    """After failed attempt number ``attempt`` of at most ``attempts``: try again only when the
    failure is transient (network, timeout, a dropped connection, a wrong size) and an attempt is
    left. Authentication, host-key and permission problems are never retried."""
    return transient and attempt < attempts


# -- exactly once per day ----------------------------------------------------------------------
def _same_day(success: dict | None, day: date) -> bool:
    return success is not None and success.get("day") == day.isoformat()


def already_delivered(success: dict | None, day: date, manual: bool) -> bool:
    """True when the latest successful delivery (its outcome row, or None) is for ``day`` and
    this is no manual re-delivery: then there is nothing to do."""
    return _same_day(success, day) and not manual


def next_sequence(success: dict | None, day: date) -> int:
    """The sequence number of the next file for ``day``: one past the latest success when that
    success is for the same day (a manual re-delivery), else 1. A success row without a sequence
    counts as the day's first file."""
    if not _same_day(success, day):
        return 1
    return int(success.get("sequence") or 1) + 1


# -- the lease ---------------------------------------------------------------------------------
def lease_renewal_due(elapsed: float, lease_seconds: float) -> bool:
    """True when more than a third of the lease has passed since it was last renewed."""
    return elapsed > lease_seconds / RENEW_DIVISOR
