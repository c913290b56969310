"""Every health word from a scripted set of outcomes and a fixed clock (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.health import ERROR_KINDS, assess
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
     "Laatste levering mislukt (auth) op 28-11-2026 11:00: SNG weigert het aanmelden; controleer "
     "gebruikersnaam en sleutel of wachtwoord in Key Vault en of SNG de publieke sleutel heeft"),
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


def health(now, org=ORG, *, accepted=ACCEPTED, attempt=None, ok=None, grace=60,
           open_unconfirmed=None):
    return assess(now, org, last_accepted=accepted, last_attempt=attempt, last_success=ok,
                  grace_minutes=grace, stale_days=3, open_unconfirmed=open_unconfirmed)


# --- the due day: a missed day stays late, also over midnight ---------------------------------
LATE_EVENING = organisations_for("gem", sftp=SFTP, send_time="23:00").organisations[0]


def test_a_delivery_due_before_midnight_is_late_after_midnight():
    # send 23:00 local (22:00 UTC) on 28 Nov, grace 60: due until 00:00 local; nothing delivered
    yesterday = success(datetime(2026, 11, 27, 22, 0, tzinfo=UTC), "2026-11-27")
    half_past_midnight = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 local on 29 Nov
    result = health(half_past_midnight, LATE_EVENING, attempt=yesterday, ok=yesterday)
    assert (result.word, result.reason) == (
        "late", "Levering van 28-11-2026 niet gelukt; verwacht om 28-11-2026 23:00")
    assert not result.healthy
    # midnight local is exactly send time + grace: not yet late; one second later it is
    midnight = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert health(midnight, LATE_EVENING, attempt=yesterday, ok=yesterday).word == "pending"
    assert health(midnight + timedelta(seconds=1), LATE_EVENING, attempt=yesterday,
                  ok=yesterday).word == "late"
    # delivered at 23:00 on the 28th: nothing late after midnight, today's follows at 23:00
    done = success(datetime(2026, 11, 28, 22, 0, tzinfo=UTC), "2026-11-28")
    result = health(half_past_midnight, LATE_EVENING, attempt=done, ok=done)
    assert (result.word, result.reason) == ("pending", "Levering van vandaag volgt om 29-11-2026 23:00")


def test_a_missed_yesterday_stays_late_until_todays_delivery():
    day_before = success(datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "2026-11-26")
    before_send = "Levering van 27-11-2026 niet gelukt; verwacht om 27-11-2026 06:00"
    for now in (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), MORNING,  # 00:30 and 05:00 local
                datetime(2026, 11, 28, 5, 30, tzinfo=UTC)):  # today's send time, within grace
        result = health(now, attempt=day_before, ok=day_before)
        assert (result.word, result.reason) == ("late", before_send), now
    # today's moment + grace passed as well: now today is the day that is missing
    result = health(NOON, attempt=day_before, ok=day_before)
    assert (result.word, result.reason) == ("late", "Levering van vandaag niet gelukt; verwacht om "
                                                    "28-11-2026 06:00")
    today = success(datetime(2026, 11, 28, 5, 0, tzinfo=UTC))
    assert health(datetime(2026, 11, 28, 5, 30, tzinfo=UTC), attempt=today, ok=today).word == "ok"


def test_without_any_success_yesterday_counts_only_when_an_extract_was_there_in_time():
    # set up today (extract accepted at 02:00 local today): not late for yesterday
    assert health(MORNING).word == "pending"
    # an extract accepted before yesterday's 06:00, and nothing ever delivered: late
    early = {"recorded_at": datetime(2026, 11, 27, 4, 59, tzinfo=UTC)}
    result = health(MORNING, accepted=early)
    assert (result.word, result.reason) == (
        "late", "Levering van 27-11-2026 niet gelukt; verwacht om 27-11-2026 06:00")
    assert health(MORNING, accepted={"recorded_at": datetime(2026, 11, 27, 5, 1, tzinfo=UTC)}).word \
        == "pending"


def test_a_grace_period_longer_than_a_day_looks_further_back():
    day_before = success(datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "2026-11-26")
    # 30 hours after yesterday's 06:00 is exactly now (12:00 local): the due day is the 26th
    assert health(NOON, attempt=day_before, ok=day_before, grace=30 * 60).word == "pending"
    result = health(NOON, attempt=day_before, ok=day_before, grace=24 * 60)
    assert result.reason == "Levering van 27-11-2026 niet gelukt; verwacht om 27-11-2026 06:00"


# --- held, unconfirmed, failing with an explanation --------------------------------------------
def held(at, day="2026-11-28", **fields):
    return {"recorded_at": at, "day": day, "status": "held", "error_kind": "mass_drop", **fields}


HELD_REASON = ("Levering van 28-11-2026 tegengehouden: 974 van 980 personen zouden uit VISH "
               "verdwijnen; controleer het bestand en geef de levering vrij")


def test_a_held_delivery_is_held_until_a_success_is_recorded():
    attempt = held(NOON - timedelta(hours=6), records=6, people=6, previous_people=980)
    result = health(NOON, attempt=attempt)
    assert (result.word, result.reason, result.healthy) == ("held", HELD_REASON, False)
    # held beats late (yesterday's success, today overdue) and stale_extract
    yesterday = success(NOON - timedelta(days=1), "2026-11-27")
    assert health(NOON, attempt=attempt, ok=yesterday).reason == HELD_REASON
    assert health(NOON, accepted=None, attempt=attempt).word == "held"
    # still held the next morning, before the next send time
    assert health(MORNING + timedelta(days=1), attempt=attempt, ok=yesterday).word == "held"
    # released and delivered: a success at or after the held attempt ends it
    released = success(NOON - timedelta(hours=1))
    assert health(NOON, attempt=attempt, ok=released).word == "ok"
    assert health(NOON, attempt=attempt, ok=success(attempt["recorded_at"])).word == "ok"


def test_a_held_delivery_without_numbers_still_says_what_to_do():
    result = health(NOON, attempt=held(NOON, day="2026-11-27"))
    assert result.reason == ("Levering van 27-11-2026 tegengehouden: te veel personen zouden uit VISH "
                             "verdwijnen; controleer het bestand en geef de levering vrij")


def unconfirmed(at, day="2026-11-28", file="VISH_TST-1_20261128.csv"):
    return {"recorded_at": at, "day": day, "status": "unconfirmed", "file": file}


def test_an_unconfirmed_delivery_asks_the_operator_to_check_with_sng():
    pointer = unconfirmed(NOON - timedelta(hours=5))
    result = health(NOON, attempt=pointer, ok=pointer, open_unconfirmed=pointer)
    assert (result.word, result.healthy) == ("unconfirmed", False)
    assert result.reason == (
        "Levering van 28-11-2026 niet bevestigd: bestand VISH_TST-1_20261128.csv is op de server "
        "hernoemd maar de aankomst kon niet worden gecontroleerd; vraag SNG of het is aangekomen en "
        "lever het anders met de hand opnieuw")
    # still open after later days succeeded: nobody acted yet
    older = unconfirmed(datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "2026-11-26", "B.csv")
    today = success(NOON - timedelta(hours=5))
    result = health(NOON, attempt=today, ok=today, open_unconfirmed=older)
    assert result.word == "unconfirmed" and "bestand B.csv is op de server" in result.reason
    # over late and stale_extract too
    assert health(MORNING, accepted=None, attempt=older, ok=older,
                  open_unconfirmed=older).word == "unconfirmed"
    assert health(NOON, attempt=older, ok=older, open_unconfirmed=older).word == "unconfirmed"
    # acknowledged (nothing open): the pointer's status alone shows nothing
    assert health(NOON, attempt=pointer, ok=pointer).word == "ok"
    # a later failed attempt goes first
    failed = failure(NOON - timedelta(hours=1))
    assert health(NOON, attempt=failed, ok=pointer, open_unconfirmed=pointer).word == "failing"


LISTED_KINDS = {"connect", "auth", "host_key", "config", "transfer", "verify", "rename", "permission",
                "remote_full", "lease_lost", "storage", "secret", "no_snapshot", "not_configured",
                "snapshot_unreadable", "remote_mismatch", "unexpected"}


def test_every_error_kind_has_one_dutch_sentence():
    assert set(ERROR_KINDS) == LISTED_KINDS
    for kind, sentence in ERROR_KINDS.items():
        assert sentence and not sentence.endswith("."), kind
        assert "\n" not in sentence and "; " in sentence, kind  # what is wrong; what to do


@pytest.mark.parametrize(("kind", "reason"), [
    ("remote_full", "Laatste levering mislukt (remote_full) op 28-11-2026 11:00: de opslag op de "
                    "server van SNG is vol; neem contact op met SNG"),
    ("no_snapshot", "Laatste levering mislukt (no_snapshot) op 28-11-2026 11:00: er is nog geen "
                    "geaccepteerd bestand van deze organisatie; lever een extract aan"),
    ("iets_nieuws", "Laatste levering mislukt (iets_nieuws) op 28-11-2026 11:00"),
])
def test_a_failing_reason_explains_the_error_kind(kind, reason):
    attempt = {**failure(NOON - timedelta(hours=1)), "error_kind": kind}
    result = health(NOON, attempt=attempt)
    assert (result.word, result.reason) == ("failing", reason)
    # failing goes before held, unconfirmed and late: the last attempt is the failure
    assert health(NOON, attempt=attempt, ok=unconfirmed(NOON - timedelta(hours=2))).reason == reason


def test_a_held_delivery_names_the_file_to_release_by_its_hash():
    attempt = held(NOON, records=6, people=6, previous_people=980, sha256="0123456789ab" + "c" * 52)
    assert health(NOON, attempt=attempt).reason == HELD_REASON + " (bestand 0123456789ab)"
