"""Every health word from a scripted set of outcomes and a fixed clock (pure)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.health import ERROR_KINDS, HEALTHY, REJECTIONS, WORDS, assess
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


PENDING = "Levering van vandaag volgt op 28-11-2026 om 06:00"
IN_GRACE = ("Levering van vandaag is aan de beurt (verzendtijd 28-11-2026 om 06:00); is ze op "
            "28-11-2026 om 07:00 nog niet verzonden, dan is ze te laat")
NOT_SENT_TODAY = ("Levering van vandaag is niet verzonden (verwacht op 28-11-2026 om 06:00); controleer "
                  "of de dagelijkse levering (de timer) draait en test de verbinding")


@pytest.mark.parametrize(("now", "accepted", "attempt", "ok", "word", "reason"), [
    (MORNING, ACCEPTED, None, None, "pending", PENDING),
    (datetime(2026, 11, 28, 5, 30, tzinfo=UTC), ACCEPTED, None, None, "pending", IN_GRACE),
    (NOON, ACCEPTED, None, None, "late", NOT_SENT_TODAY),
    (NOON, ACCEPTED, success(NOON - timedelta(hours=5)), success(NOON - timedelta(hours=5)), "ok",
     "Levering van vandaag gelukt op 28-11-2026 om 07:00"),
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=1)), None, "failing",
     "Laatste levering mislukt op 28-11-2026 om 11:00 (auth): SNG weigert het aanmelden; controleer "
     "gebruikersnaam en sleutel of wachtwoord in Key Vault en of SNG de publieke sleutel heeft"),
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=3)), success(NOON - timedelta(hours=2)), "ok",
     "Levering van vandaag gelukt op 28-11-2026 om 10:00"),
    (NOON, {"recorded_at": NOON - timedelta(days=4)}, success(NOON), success(NOON), "stale_extract",
     "Geen nieuw geaccepteerd bestand sinds 24-11-2026 om 12:00 (langer dan 3 dagen); controleer of "
     "de export nog aangeleverd wordt"),
    (NOON, {"recorded_at": NOON - timedelta(days=3)}, success(NOON), success(NOON), "ok",
     "Levering van vandaag gelukt op 28-11-2026 om 12:00"),  # exactly stale_days old: not yet stale
    (NOON, {"recorded_at": NOON - timedelta(days=3, seconds=1)}, success(NOON), success(NOON),
     "stale_extract", "Geen nieuw geaccepteerd bestand sinds 25-11-2026 om 11:59 (langer dan 3 "
                      "dagen); controleer of de export nog aangeleverd wordt"),
    # a success recorded at the same instant as a failure: the failure is overcome
    (NOON, ACCEPTED, failure(NOON - timedelta(hours=1)), success(NOON - timedelta(hours=1)), "ok",
     "Levering van vandaag gelukt op 28-11-2026 om 11:00"),
    (MORNING, ACCEPTED, success(MORNING - timedelta(days=1), "2026-11-27"),
     success(MORNING - timedelta(days=1), "2026-11-27"), "pending", PENDING),
])
def test_health_words(now, accepted, attempt, ok, word, reason):
    health = assess(now, ORG, last_accepted=accepted, last_attempt=attempt, last_success=ok,
                    grace_minutes=60, stale_days=3)
    assert health.word == word
    assert health.healthy is (word in ("ok", "pending"))
    assert not re.search(r"om \d{2}-\d{2}-\d{4}", health.reason)  # never "om <date>"
    assert health.reason == reason  # Dutch, local time (CET in November), the case's own facts


def test_the_grace_period_ends_exactly_at_send_time_plus_grace():
    at_end = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 06:00 local send time + 60 minutes
    assert assess(at_end, ORG, last_accepted=ACCEPTED, last_attempt=None, last_success=None,
                  grace_minutes=60, stale_days=3).word == "pending"
    assert assess(at_end + timedelta(seconds=1), ORG, last_accepted=ACCEPTED, last_attempt=None,
                  last_success=None, grace_minutes=60, stale_days=3).word == "late"




def health(now, org=ORG, *, accepted=ACCEPTED, attempt=None, ok=None, grace=60,
           open_unconfirmed=None, last_extract=None):
    return assess(now, org, last_accepted=accepted, last_attempt=attempt, last_success=ok,
                  grace_minutes=grace, stale_days=3, open_unconfirmed=open_unconfirmed,
                  last_extract=last_extract)


# --- the due day: a missed day stays late, also over midnight ---------------------------------
LATE_EVENING = organisations_for("gem", sftp=SFTP, send_time="23:00").organisations[0]


def test_a_delivery_due_before_midnight_is_late_after_midnight():
    # send 23:00 local (22:00 UTC) on 28 Nov, grace 60: due until 00:00 local; nothing delivered
    yesterday = success(datetime(2026, 11, 27, 22, 0, tzinfo=UTC), "2026-11-27")
    half_past_midnight = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 local on 29 Nov
    result = health(half_past_midnight, LATE_EVENING, attempt=yesterday, ok=yesterday)
    assert (result.word, result.reason) == (
        "late", "Levering van 28-11-2026 is niet verzonden (verwacht op 28-11-2026 om 23:00); "
                "controleer of de dagelijkse levering (de timer) draait en test de verbinding")
    assert not result.healthy
    # midnight local is exactly send time + grace: not yet late; one second later it is
    midnight = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert health(midnight, LATE_EVENING, attempt=yesterday, ok=yesterday).word == "pending"
    assert health(midnight + timedelta(seconds=1), LATE_EVENING, attempt=yesterday,
                  ok=yesterday).word == "late"
    # delivered at 23:00 on the 28th: nothing late after midnight, today's follows at 23:00
    done = success(datetime(2026, 11, 28, 22, 0, tzinfo=UTC), "2026-11-28")
    result = health(half_past_midnight, LATE_EVENING, attempt=done, ok=done)
    assert (result.word, result.reason) == ("pending",
                                            "Levering van vandaag volgt op 29-11-2026 om 23:00")


def test_a_missed_yesterday_stays_late_until_todays_delivery():
    day_before = success(datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "2026-11-26")
    before_send = ("Levering van 27-11-2026 is niet verzonden (verwacht op 27-11-2026 om 06:00); "
                   "controleer of de dagelijkse levering (de timer) draait en test de verbinding")
    for now in (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), MORNING,  # 00:30 and 05:00 local
                datetime(2026, 11, 28, 5, 30, tzinfo=UTC)):  # today's send time, within grace
        result = health(now, attempt=day_before, ok=day_before)
        assert (result.word, result.reason) == ("late", before_send), now
    # today's moment + grace passed as well: now today is the day that is missing
    result = health(NOON, attempt=day_before, ok=day_before)
    assert (result.word, result.reason) == (
        "late", "Levering van vandaag is niet verzonden (verwacht op 28-11-2026 om 06:00); de laatste "
                "gelukte levering was die van 26-11-2026; controleer of de dagelijkse levering (de "
                "timer) draait en test de verbinding")
    today = success(datetime(2026, 11, 28, 5, 0, tzinfo=UTC))
    assert health(datetime(2026, 11, 28, 5, 30, tzinfo=UTC), attempt=today, ok=today).word == "ok"


def test_without_any_success_yesterday_counts_only_when_an_extract_was_there_in_time():
    # set up today (extract accepted at 02:00 local today): not late for yesterday
    assert health(MORNING).word == "pending"
    # an extract accepted before yesterday's 06:00, and nothing ever delivered: late
    early = {"recorded_at": datetime(2026, 11, 27, 4, 59, tzinfo=UTC)}
    result = health(MORNING, accepted=early)
    assert (result.word, result.reason) == (
        "late", "Levering van 27-11-2026 is niet verzonden (verwacht op 27-11-2026 om 06:00); "
                "controleer of de dagelijkse levering (de timer) draait en test de verbinding")
    assert health(MORNING, accepted={"recorded_at": datetime(2026, 11, 27, 5, 1, tzinfo=UTC)}).word \
        == "pending"


def test_a_grace_period_longer_than_a_day_looks_further_back():
    day_before = success(datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "2026-11-26")
    # 30 hours after yesterday's 06:00 is exactly now (12:00 local): the due day is the 26th
    assert health(NOON, attempt=day_before, ok=day_before, grace=30 * 60).word == "pending"
    result = health(NOON, attempt=day_before, ok=day_before, grace=24 * 60)
    assert result.reason.startswith("Levering van 27-11-2026 is niet verzonden (verwacht op "
                                    "27-11-2026 om 06:00);")


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
                "snapshot_unreadable", "remote_mismatch", "queue_poison", "unexpected"}


def test_every_error_kind_has_one_dutch_sentence():
    assert set(ERROR_KINDS) == LISTED_KINDS
    for kind, sentence in ERROR_KINDS.items():
        assert sentence and not sentence.endswith("."), kind
        assert "\n" not in sentence and "; " in sentence, kind  # what is wrong; what to do


@pytest.mark.parametrize(("kind", "reason"), [
    ("remote_full", "Laatste levering mislukt op 28-11-2026 om 11:00 (remote_full): de opslag op de "
                    "server van SNG is vol; neem contact op met SNG"),
    ("no_snapshot", "Laatste levering mislukt op 28-11-2026 om 11:00 (no_snapshot): er is geen "
                    "geaccepteerd bestand (snapshot) van deze organisatie om te leveren; laat de "
                    "organisatie de export opnieuw aanleveren"),
    ("iets_nieuws", "Laatste levering mislukt op 28-11-2026 om 11:00 (iets_nieuws)"),
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


# --- issue 14: not connected, no extract, rejected or held extract, empty deliveries ----------
def test_an_organisation_without_a_delivery_target_is_not_connected_and_not_unhealthy():
    expected = ("Nog niet aangesloten: er is geen SFTP-bestemming ingesteld, dus er wordt nog niets "
                "aan SNG geleverd; vul na de aansluiting bij SNG de sftp-gegevens van deze "
                "organisatie in")
    for accepted, attempt in ((ACCEPTED, None), (None, None),
                              (ACCEPTED, {**failure(NOON), "error_kind": "not_configured"})):
        result = health(NOON, NO_SFTP, accepted=accepted, attempt=attempt)
        assert (result.word, result.reason, result.healthy) == ("not_connected", expected, True)
    # a rejected extract of an organisation still being set up does not alert either
    rejected = extract_row(NOON, "too_many_invalid", rows_total=10, rows_invalid=9)
    assert health(NOON, NO_SFTP, last_extract=rejected).word == "not_connected"


NO_EXTRACT = ("Nog geen bestand van deze organisatie ontvangen; er wordt pas aan SNG geleverd na "
              "het eerste geaccepteerde bestand; vraag de organisatie de export aan te leveren in "
              "extracts/gem/")


def test_a_new_organisation_without_any_extract_says_so_instead_of_late():
    for now in (MORNING, NOON, NOON + timedelta(days=3)):
        result = health(now, accepted=None)
        assert (result.word, result.reason, result.healthy) == ("no_extract", NO_EXTRACT, False)
    # the delivery found no snapshot: nothing could be tried, so not "mislukt" either
    no_snapshot = {**failure(NOON - timedelta(hours=5)), "error_kind": "no_snapshot"}
    assert health(NOON, accepted=None, attempt=no_snapshot).reason == NO_EXTRACT
    # but a failure of something that was tried stays failing
    connect = {**failure(NOON - timedelta(hours=5)), "error_kind": "connect"}
    assert health(NOON, accepted=None, attempt=connect).word == "failing"


def extract_row(at, reason, **counts):
    return {"recorded_at": at, "decision": "rejected", "reason": reason, **counts}


ACCEPTED_BEFORE = {"recorded_at": datetime(2026, 11, 26, 8, 15, tzinfo=UTC)}
DELIVERED_TODAY = success(NOON - timedelta(hours=5))
STILL_DELIVERED = ("Tot dan wordt het bestand geleverd dat op 26-11-2026 om 09:15 is geaccepteerd, en "
                   "komen nieuwe cliënten niet in VISH")
REJECTED = ("Laatste bestand afgewezen op 28-11-2026 om 09:30: te veel regels zijn ongeldig (120 van "
            "250), daarom is het hele bestand niet verwerkt; bekijk het rapport, laat de fouten in "
            "de export herstellen en lever het bestand opnieuw aan. " + STILL_DELIVERED)


def test_a_rejected_extract_needs_attention_even_when_todays_delivery_succeeded():
    rejected = extract_row(NOON - timedelta(hours=2, minutes=30), "too_many_invalid",
                           rows_total=250, rows_invalid=120)
    result = health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                    last_extract=rejected)
    assert (result.word, result.reason, result.healthy) == ("rejected", REJECTED, False)
    # before today's send time too, and over a stale extract
    yesterday = success(MORNING - timedelta(days=1), "2026-11-27")
    assert health(MORNING, accepted={"recorded_at": NOON - timedelta(days=9)}, attempt=yesterday,
                  ok=yesterday, last_extract={**rejected, "recorded_at": MORNING}).word == "rejected"
    # a later accepted extract clears it; the same instant is the release of that very file
    for accepted_at in (rejected["recorded_at"], NOON):
        cleared = health(NOON, accepted={"recorded_at": accepted_at}, attempt=DELIVERED_TODAY,
                         ok=DELIVERED_TODAY, last_extract=rejected)
        assert cleared.word == "ok"
    # delivery trouble is said first
    failed = failure(NOON - timedelta(hours=1))
    assert health(NOON, accepted=ACCEPTED_BEFORE, attempt=failed, last_extract=rejected).word == "failing"
    assert health(NOON, accepted=ACCEPTED_BEFORE, last_extract=rejected).word == "late"


def test_a_rejected_first_extract_says_nothing_is_delivered_yet():
    result = health(NOON, accepted=None, last_extract=extract_row(NOON, "not_csv"))
    assert (result.word, result.reason) == (
        "rejected", "Laatste bestand afgewezen op 28-11-2026 om 12:00: dit is geen CSV-bestand "
                    "(bijvoorbeeld een Excel-werkmap of pdf); sla de export op als CSV en lever het "
                    "opnieuw aan. Tot er een bestand is geaccepteerd, wordt er niets aan SNG geleverd")


HELD_EXTRACT = ("Bestand ontvangen op 28-11-2026 om 08:50 wacht op vrijgave: 974 van 980 personen "
                "zouden uit VISH verdwijnen (van wie 12 niet meer toegelaten); controleer met de "
                "organisatie of dat klopt (bijvoorbeeld een grote uitstroom) en geef het dan vrij met "
                "POST /api/extracts/gem/release, of laat een nieuwe export aanleveren. " + STILL_DELIVERED)


def test_a_held_extract_waits_for_release_until_it_or_a_later_one_is_accepted():
    held_at = datetime(2026, 11, 28, 7, 50, tzinfo=UTC)
    held_extract = extract_row(held_at, "mass_drop_held", current_people=980, people_removed=974,
                               people_ineligible_now=12, people=6)
    result = health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                    last_extract=held_extract)
    assert (result.word, result.reason, result.healthy) == ("extract_held", HELD_EXTRACT, False)
    # the release records the extract again, accepted (a later instant): cleared
    released = {"recorded_at": held_at + timedelta(hours=2)}
    assert health(NOON, accepted=released, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                  last_extract={**released, "decision": "accepted"}).word == "ok"
    # without counts it still says what to do
    bare = health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                  last_extract=extract_row(held_at, "mass_drop_held"))
    assert bare.reason.startswith("Bestand ontvangen op 28-11-2026 om 08:50 wacht op vrijgave: te "
                                  "veel personen zouden uit VISH verdwijnen; controleer met de")


@pytest.mark.parametrize(("reason", "text"), [
    ("missing_column", "er ontbreekt een verplichte kolom (het rapport noemt welke); pas de export "
                       "aan en lever het bestand opnieuw aan"),
    ("empty_file", "het bestand is leeg; controleer de export en lever het opnieuw aan"),
    ("snapshot_unreadable", "de opgeslagen snapshot is beschadigd, daarom is het bestand niet "
                            "verwerkt; herstel of verwijder de snapshot en bied het bestand opnieuw aan"),
    # a code without a sentence of its own: the message, and the report to look at
    ("unknown_organisation", "de map in de opslag hoort niet bij een ingestelde organisatie; bekijk "
                             "het rapport van dit bestand, laat de export herstellen en lever het "
                             "opnieuw aan"),
    ("iets_nieuws", "reden iets_nieuws; bekijk het rapport van dit bestand, laat de export herstellen "
                    "en lever het opnieuw aan"),
    (None, "bekijk het rapport van dit bestand, laat de export herstellen en lever het opnieuw aan"),
])
def test_every_rejection_reason_says_what_is_wrong_and_what_to_do(reason, text):
    result = health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                    last_extract=extract_row(NOON, reason))
    assert result.reason == f"Laatste bestand afgewezen op 28-11-2026 om 12:00: {text}. {STILL_DELIVERED}"


def test_every_listed_rejection_has_one_dutch_sentence():
    assert {"too_many_invalid", "unreadable", "empty_file", "no_data_rows", "missing_column",
            "duplicate_column", "too_large", "not_csv", "snapshot_unreadable"} <= set(REJECTIONS)
    for code, sentence in REJECTIONS.items():
        assert "; " in sentence and not sentence.endswith(".") and sentence[0].islower(), code


EMPTY = ("Levering van vandaag op 28-11-2026 om 07:00 bevatte geen cliënten (0 regels): er staat nu "
         "niemand van deze organisatie in VISH; controleer in het rapport van het laatste bestand of "
         "de cliënten erin staan en toegelaten zijn (toelatingsdatum ingevuld)")


def test_a_delivery_of_nobody_is_never_ok():
    for fields in ({"records": 0, "people": 0}, {"records": 0}, {"records": 0, "people": None}):
        empty = {**DELIVERED_TODAY, **fields}
        result = health(NOON, attempt=empty, ok=empty)
        assert (result.word, result.reason, result.healthy) == ("empty", EMPTY, False), fields
    # a mutations file that takes the last people out: records, but nobody left
    last_out = {**DELIVERED_TODAY, "records": 5, "people": 0}
    assert health(NOON, attempt=last_out, ok=last_out).reason == (
        "Levering van vandaag op 28-11-2026 om 07:00 meldde de laatste cliënten af (5 afmeldingen): "
        "er staat nu niemand van deze organisatie in VISH; controleer in het rapport van het "
        "laatste bestand of de cliënten erin staan en toegelaten zijn (toelatingsdatum ingevuld)")
    # it stays said until a delivery with people, also before the next send time
    yesterday = {**success(MORNING - timedelta(days=1), "2026-11-27"), "records": 0, "people": 0}
    result = health(MORNING, attempt=yesterday, ok=yesterday)
    assert (result.word, result.reason) == (
        "empty", "Levering van 27-11-2026 op 27-11-2026 om 05:00 bevatte geen cliënten (0 regels): er "
                 "staat nu niemand van deze organisatie in VISH; controleer in het rapport van het "
                 "laatste bestand of de cliënten erin staan en toegelaten zijn (toelatingsdatum "
                 "ingevuld)")
    full = {**DELIVERED_TODAY, "records": 812, "people": 812}
    assert (health(NOON, attempt=full, ok=full).reason
            == "Levering van vandaag gelukt op 28-11-2026 om 07:00 (812 regels)")


def test_a_mutations_day_without_changes_is_healthy_but_not_called_ok():
    quiet = {**DELIVERED_TODAY, "records": 0, "people": 640}
    result = health(NOON, attempt=quiet, ok=quiet)
    assert (result.word, result.healthy) == ("no_changes", True)
    assert result.reason == ("Levering van vandaag gelukt op 28-11-2026 om 07:00: geen wijzigingen "
                             "(0 regels); 640 personen blijven in VISH")


def test_late_says_not_succeeded_only_when_an_attempt_for_that_day_failed():
    # today's attempt failed at 11:00 local; a manual delivery of yesterday succeeded afterwards
    failed_today = failure(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    yesterday_by_hand = success(datetime(2026, 11, 28, 10, 30, tzinfo=UTC), "2026-11-27")
    result = health(NOON, attempt=failed_today, ok=yesterday_by_hand)
    assert (result.word, result.reason) == (
        "late", "Levering van vandaag niet gelukt (verwacht op 28-11-2026 om 06:00): de laatste "
                "poging op 28-11-2026 om 11:00 mislukte")
    # nothing tried for today: "niet verzonden", never "niet gelukt"
    assert health(NOON, attempt=yesterday_by_hand, ok=yesterday_by_hand).reason == NOT_SENT_TODAY


def test_held_and_unconfirmed_deliveries_and_failures_go_before_the_extract_words():
    rejected = extract_row(NOON, "too_many_invalid")
    held_file = held(NOON - timedelta(hours=6), records=6, people=6, previous_people=980)
    assert health(NOON, attempt=held_file, last_extract=rejected).word == "held"
    open_one = unconfirmed(NOON - timedelta(hours=5))
    assert health(NOON, attempt=open_one, ok=open_one, open_unconfirmed=open_one,
                  last_extract=rejected).word == "unconfirmed"


def test_health_words_are_the_documented_list():
    assert WORDS == ("unreadable", "not_connected", "failing", "held", "unconfirmed", "no_extract", "late",
                     "extract_held", "rejected", "stale_extract", "empty", "ok", "no_changes",
                     "pending")
    assert set(HEALTHY) == {"ok", "no_changes", "pending", "not_connected"}


# --- edges a planted bug would pass otherwise -------------------------------------------------
def test_counts_that_are_not_numbers_are_not_written_as_numbers():
    for people, previous in ((True, 980), ("6", 980), (6, None)):
        attempt = held(NOON, people=people, previous_people=previous)
        assert "te veel personen zouden uit VISH verdwijnen" in health(NOON, attempt=attempt).reason
    held_extract = extract_row(NOON, "mass_drop_held", people_removed=974)  # no current_people
    assert ": te veel personen zouden uit VISH verdwijnen;" in health(
        NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
        last_extract=held_extract).reason
    # too many invalid rows without the count of invalid rows: no "(None van 250)"
    rejected = extract_row(NOON, "too_many_invalid", rows_total=250)
    assert health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                  last_extract=rejected).reason.startswith(
        "Laatste bestand afgewezen op 28-11-2026 om 12:00: te veel regels zijn ongeldig, daarom")


def test_a_failure_without_an_error_kind_names_no_code():
    attempt = {**failure(NOON - timedelta(hours=1)), "error_kind": None}
    assert health(NOON, attempt=attempt).reason == "Laatste levering mislukt op 28-11-2026 om 11:00"


def test_a_first_extract_accepted_after_todays_send_time_is_late_when_not_delivered():
    after_send = {"recorded_at": NOON - timedelta(hours=2)}  # 10:00 local, send time 06:00
    assert health(NOON, accepted=after_send).reason == NOT_SENT_TODAY


def test_deliveries_without_any_accepted_extract_are_stale():
    today = success(NOON - timedelta(hours=5))
    result = health(NOON, accepted=None, attempt=today, ok=today)
    assert (result.word, result.reason) == (
        "stale_extract", "Nog geen geaccepteerd bestand ontvangen; lever een export aan")


def test_at_the_send_moment_the_delivery_is_due_not_still_to_come():
    at_send = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 06:00 local
    assert health(at_send).reason == IN_GRACE
    assert health(at_send - timedelta(seconds=1)).reason == PENDING


def test_an_extract_accepted_exactly_at_yesterdays_send_moment_made_yesterday_due():
    at_send = {"recorded_at": datetime(2026, 11, 27, 5, 0, tzinfo=UTC)}  # 06:00 local
    assert health(MORNING, accepted=at_send).word == "late"


def test_rows_without_a_file_or_a_day_still_read_well():
    open_one = {"recorded_at": NOON - timedelta(hours=5), "day": "2026-11-28", "status": "unconfirmed"}
    assert health(NOON, attempt=open_one, ok=open_one, open_unconfirmed=open_one).reason.startswith(
        "Levering van 28-11-2026 niet bevestigd: bestand van die dag is op de server hernoemd")
    # a row without its day: the local day it was recorded (00:30 local on the 29th)
    dayless = {"recorded_at": datetime(2026, 11, 28, 23, 30, tzinfo=UTC), "status": "held"}
    assert health(datetime(2026, 11, 28, 23, 45, tzinfo=UTC), attempt=dayless).reason.startswith(
        "Levering van 29-11-2026 tegengehouden:")


@pytest.mark.parametrize(("code", "reason"), [
    ("excel_workbook", "Laatste bestand afgewezen op 28-11-2026 om 12:00: dit is een Excel-werkmap, "
                       "geen CSV-bestand; sla het in Excel op als CSV UTF-8 en lever dat bestand aan "
                       "(bekijk het rapport voor de BSN-kolom)."),
    ("bsn_column_not_recognised",
     "Laatste bestand afgewezen op 28-11-2026 om 12:00: een kolom lijkt BSN's te bevatten maar is "
     "niet herkend (het rapport noemt welke), dus is het bestand niet verwerkt; noem de kolom 'BSN' "
     "of 'BSN partner', haal hem uit de export of laat de beheerder column_aliases instellen, en "
     "lever het opnieuw aan."),
])
def test_the_newest_rejections_say_what_to_do(code, reason):
    result = health(NOON, accepted=ACCEPTED_BEFORE, attempt=DELIVERED_TODAY, ok=DELIVERED_TODAY,
                    last_extract=extract_row(NOON, code))
    assert result.word == "rejected" and result.reason.startswith(reason)
