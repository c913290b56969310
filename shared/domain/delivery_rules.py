"""The delivery's decisions, as pure functions: retries and their backoff, whether a day is
already delivered and which sequence number the next file gets, how much of the lease a step
needs, and when a file would drop too many people from VISH. No I/O and no clock: the callers
pass in attempts, outcome rows, counts and seconds."""

from __future__ import annotations

from datetime import date

# The lease keeper renews every 1/RENEW_DIVISOR of the lease: two more chances before it would
# expire. One SFTP request may take at most that long during a delivery.
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
    """True when the success pointer (the latest day delivered, its outcome row, or None) is at
    ``day`` or later and this is no manual re-delivery: then there is nothing to do. A pointer
    on a later day (a day delivered ahead by hand) covers the days before it: the schedule
    never sends an older file after a newer one."""
    return success is not None and str(success.get("day", "")) >= day.isoformat() and not manual


def next_sequence(success: dict | None, day: date, delivered: int = 0) -> int:
    """The sequence number of the next file for ``day``: one past the highest already sent for
    that day, from the success pointer (when it is for ``day``) or ``delivered`` (the highest
    in history), else 1. A success row without a sequence counts as the day's first file."""
    highest = delivered
    if _same_day(success, day):
        highest = max(highest, int(success.get("sequence") or 1))
    return highest + 1


# -- the lease ---------------------------------------------------------------------------------
def lease_margin_ok(remaining: float, margin: float) -> bool:
    """True when more than ``margin`` seconds of the lease are surely left: a step that takes
    at most ``margin`` seconds ends while the lease is still ours."""
    return remaining > margin


def step_timeout(configured: float, lease_seconds: float) -> float:
    """The time one SFTP request may take during a delivery: the configured operation timeout,
    but never more than a third of the lease (a request that hangs cannot outlive the fence)."""
    return min(configured, lease_seconds / RENEW_DIVISOR)


# -- the drop guard ----------------------------------------------------------------------------
def delivery_drop_held(previous: int | None, people: int, threshold: float, min_removed: int) -> bool:
    """True when a file with ``people`` would replace the last file delivered (``previous``
    people; None: nothing delivered yet) with too few: a drop of at least ``min_removed`` and
    more than ``threshold`` of ``previous``, or any file that empties VISH."""
    if not previous:
        return False
    dropped = previous - people
    if people == 0:
        return True
    return dropped >= min_removed and dropped / previous > threshold


# -- releases ----------------------------------------------------------------------------------
# A person names the file they checked by the first characters of its SHA-256, as the status and
# the report show them (12); fewer than this could name another file by chance.
MIN_SHA256_PREFIX = 8


def names_file(given: str, sha256: str | None) -> bool:
    """True when ``given`` (what a person typed: at least :data:`MIN_SHA256_PREFIX` characters,
    any case, spaces around it ignored) is the start of ``sha256``: the file they checked is the
    file held now (a release of an extract or of a delivery)."""
    checked = given.strip().lower()
    return (len(checked) >= MIN_SHA256_PREFIX and bool(sha256)
            and str(sha256).lower().startswith(checked))
