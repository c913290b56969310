"""Every health word from a scripted set of outcomes and a fixed clock (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.health import assess
from tests.conftest import organisations_for

SFTP = {"host": "h", "username": "u", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "secret_name": "k"}
ORG = organisations_for("gem", sftp=SFTP, send_time="06:00").organisations[0]
NO_SFTP = organisations_for("gem").organisations[0]
MORNING = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 05:00 local, before the 06:00 send time
NOON = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 12:00 local
ACCEPTED = {"recorded_at": datetime(2026, 11, 28, 1, 0, tzinfo=UTC)}


def success(at, day="2026-11-28"):
    return {"recorded_at": at, "day": day, "status": "succeeded"}


def failure(at, day="2026-11-28"):
    return {"recorded_at": at, "day": day, "status": "failed", "error_kind": "auth"}


PENDING = "Levering van vandaag volgt om 28-11-2026 06:00"


@pytest.mark.parametrize(("now", "accepted", "attempt", "ok", "word", "reason"), [
    (MORNING, ACCEPTED, None, None, "pending", PENDING),
    (datetime(2026, 11, 28, 5, 30, tzinfo=UTC), ACCEPTED, None, None, "pending", PENDING),  # in grace
    (NOON, ACCEPTED, None, None, "late", "Levering van vandaag niet gelukt; verwacht om 28-11-2026 06:00"),
    (NOON, ACCEPTED, success(NOON - timedelta(hours=5)), success(NOON - timedelta(hours=5)), "ok",
     "Levering van vandaag gelukt om 28-11-2026 07:00"),
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=1)), None, "failing",
     "Laatste levering mislukt (auth) op 28-11-2026 11:00"),
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=3)), success(NOON - timedelta(hours=2)), "ok",
     "Levering van vandaag gelukt om 28-11-2026 10:00"),
    (NOON, {"recorded_at": NOON - timedelta(days=4)}, success(NOON), success(NOON), "stale_extract",
     "Geen geaccepteerd bestand sinds 24-11-2026 12:00"),
    (NOON, {"recorded_at": NOON - timedelta(days=3)}, success(NOON), success(NOON), "ok",
     "Levering van vandaag gelukt om 28-11-2026 12:00"),  # exactly stale_days old: not yet stale
    (NOON, {"recorded_at": NOON - timedelta(days=3, seconds=1)}, success(NOON), success(NOON),
     "stale_extract", "Geen geaccepteerd bestand sinds 25-11-2026 11:59"),
    (MORNING, None, None, None, "stale_extract", "Nog geen geaccepteerd bestand ontvangen"),
    # a success recorded at the same instant as a failure: the failure is overcome
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=1)), success(NOON - timedelta(hours=1)), "ok",
     "Levering van vandaag gelukt om 28-11-2026 11:00"),
    (MORNING, ACCEPTED, success(MORNING - timedelta(days=1), "2026-11-27"),
     success(MORNING - timedelta(days=1), "2026-11-27"), "pending", PENDING),
])
def test_health_words(now, accepted, attempt, ok, word, reason):
    health = assess(now, ORG, last_accepted=accepted, last_attempt=attempt, last_success=ok,
                    grace_minutes=60, stale_days=3)
    assert health.word == word
    assert health.healthy is (word in ("ok", "pending"))
    assert health.reason == reason  # Dutch, local time (CET in November), the case's own facts


def test_the_grace_period_ends_exactly_at_send_time_plus_grace():
    at_end = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 06:00 local send time + 60 minutes
    assert assess(at_end, ORG, last_accepted=ACCEPTED, last_attempt=None, last_success=None,
                  grace_minutes=60, stale_days=3).word == "pending"
    assert assess(at_end + timedelta(seconds=1), ORG, last_accepted=ACCEPTED, last_attempt=None,
                  last_success=None, grace_minutes=60, stale_days=3).word == "late"


def test_an_organisation_without_delivery_target_is_failing():
    health = assess(NOON, NO_SFTP, last_accepted=ACCEPTED, last_attempt=None, last_success=None,
                    grace_minutes=60, stale_days=3)
    assert health.word == "failing"
    assert health.reason == "Geen SFTP-bestemming ingesteld: er wordt niets aan SNG geleverd"
