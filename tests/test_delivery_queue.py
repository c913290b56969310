"""The delivery queue: the timer's requests, the consumer that does what the Functions host does,
the poison queue, and a message read as hostile input.

Real parts: Azurite's queues, tables and blobs, the asyncssh SFTP server on loopback.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from devtools.sftp_testserver import SftpTestServer
from shared.domain.delivery_request import (
    MAX_DEQUEUE_COUNT,
    MAX_MESSAGE_CHARS,
    BadRequest,
    DeliveryRequest,
    parse_request,
    poison_queue,
)
from shared.usecases.consumer import HOLD_SECONDS, RETRY_AFTER_SECONDS, drain, process
from shared.usecases.status import StatusService
from tests.test_delivery_sftp import AFTER_SEND, DAY, accept_extract, make_service

ROOT = Path(__file__).resolve().parent.parent
SENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def sng(tmp_path):
    with SftpTestServer(tmp_path / "sng") as server:
        yield server


@pytest.fixture
def service(settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    return service


def finals(server) -> list[str]:
    return sorted(name for name in server.files() if not name.startswith("."))


def word(service) -> str:
    status = StatusService(service.settings, service.organisations, service.outcomes,
                           now=lambda: AFTER_SEND)
    return status.overview()["organisations"][0]["health"]


# -- the message ------------------------------------------------------------------------------------
def request(**changes) -> DeliveryRequest:
    fields = {"org": "gemeente-x", "day": date(2026, 11, 28), "reason": "schedule", "id": "a" * 32,
              "sent": SENT}
    return DeliveryRequest(**{**fields, **changes})


def test_a_request_reads_back_as_itself():
    for made in (request(), request(manual=True, reason="SNG miste het"), request(settle_only=True)):
        assert parse_request(made.to_json()) == made
        assert parse_request(made.to_json().encode()) == made


def test_scheduled_requests_expire_sooner_than_a_persons():
    assert request().scheduled and not request(manual=True).scheduled
    assert request().ttl_seconds < request(manual=True).ttl_seconds


@pytest.mark.parametrize("change", [
    lambda d: "not json",
    lambda d: json.dumps([d]),
    lambda d: json.dumps({**d, "extra": 1}),
    lambda d: json.dumps({k: v for k, v in d.items() if k != "org"}),
    lambda d: json.dumps({**d, "v": 2}),
    lambda d: json.dumps({**d, "v": True}),
    lambda d: json.dumps({**d, "org": "../etc"}),
    lambda d: json.dumps({**d, "org": "Gemeente"}),
    lambda d: json.dumps({**d, "org": 12}),
    lambda d: json.dumps({**d, "day": "2026-02-30"}),
    lambda d: json.dumps({**d, "day": "2026-W05-1"}),
    lambda d: json.dumps({**d, "day": 20261128}),
    lambda d: json.dumps({**d, "id": "x" * 32}),
    lambda d: json.dumps({**d, "reason": ""}),
    lambda d: json.dumps({**d, "reason": "r" * 501}),
    lambda d: json.dumps({**d, "manual": 1}),
    lambda d: json.dumps({**d, "manual": True, "settle_only": True}),
    lambda d: json.dumps({**d, "sent": "2026-11-28T09:00:00"}),
    lambda d: json.dumps({**d, "sent": "gisteren"}),
    lambda d: json.dumps({**d, "reason": "x" * MAX_MESSAGE_CHARS}),
    lambda d: "[" * 100_000,
])
def test_anything_but_a_request_is_refused_without_quoting_it(change):
    text = change(json.loads(request().to_json()))
    with pytest.raises(BadRequest) as refused:
        parse_request(text)
    assert "gemeente-x" not in str(refused.value) and "../etc" not in str(refused.value)


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(BadRequest):
        parse_request(b"\xff\xfe{}")


def test_host_json_says_what_the_consumer_and_the_code_assume():
    host = json.loads((ROOT / "host.json").read_text())
    queues = host["extensions"]["queues"]
    assert queues["maxDequeueCount"] == MAX_DEQUEUE_COUNT
    assert queues["messageEncoding"] == "base64"  # the adapter sends base64 text
    hours, minutes, seconds = (int(x) for x in queues["visibilityTimeout"].split(":"))
    assert hours * 3600 + minutes * 60 + seconds == RETRY_AFTER_SECONDS
    hours, minutes, seconds = (int(x) for x in host["functionTimeout"].split(":"))
    timeout = hours * 3600 + minutes * 60 + seconds
    # every try may hang until the function's timeout: all of them fit the request's life
    assert MAX_DEQUEUE_COUNT * (timeout + RETRY_AFTER_SECONDS) <= request().ttl_seconds
    assert timeout > HOLD_SECONDS  # the local consumer renews its hold, as the host does
    # one delivery at a time per instance: its memory is bounded by one delivery's
    assert (queues["batchSize"], queues["newBatchThreshold"]) == (1, 0)


# -- the timer only queues ---------------------------------------------------------------------------
def test_the_tick_queues_one_request_and_sends_nothing(service, org_code, sng):
    [queued] = service.tick()
    assert (queued.org, queued.day, queued.reason, queued.manual) == (org_code, DAY, "schedule", False)
    assert sng.files() == {} and service.outcomes.latest(org_code, "delivery") is None
    taken = service.queue.receive(visibility_timeout=30)
    assert parse_request(taken.text) == queued
    assert "BSN" not in taken.text and taken.text.isascii()


def test_duplicate_requests_deliver_the_day_once(service, org_code, sng):
    """Ticks that overlap (or a request sent twice) queue the same day more than once: the
    first delivers, the others find the day done or in flight. One file on the server."""
    first, second, third = service.tick(), service.tick(), service.tick()
    assert len(first + second + third) == 3
    done = drain(service, consumers=3, retry_after=0)
    statuses = sorted(outcome.status for outcome in done.outcomes)
    assert statuses.count("succeeded") == 1
    assert set(statuses) <= {"succeeded", "skipped", "busy"}
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv"]
    assert service.queue.waiting() == 0


def test_a_scheduled_request_taken_after_midnight_delivers_its_own_day_once(service, org_code, sng):
    """Queued at 23:55 for a late send time, taken at 00:02: that day's file, not skipped (the
    day would be lost) and not the new day's (its own tick decides that)."""
    late = service.new_request(org_code, DAY, reason="schedule")
    service.queue.send(late)
    service.now = lambda: AFTER_SEND + timedelta(days=1)
    outcome = drain(service, retry_after=0).outcome_of(late.id)
    assert (outcome.status, outcome.day) == ("succeeded", DAY.isoformat())
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv"]
    service.queue.send(late)  # the same request again (a duplicate): nothing more
    assert drain(service, retry_after=0).outcome_of(late.id).status == "skipped"
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv"]


def test_a_persons_reason_rests_in_the_queue_with_bsns_masked(service, org_code):
    typed = service.new_request(org_code, DAY, reason="dossier van 111222333 opnieuw", manual=True)
    service.queue.send(typed)
    assert "111222333" not in service.queue.receive(visibility_timeout=30).text


# -- what cannot be done ------------------------------------------------------------------------------
def test_a_message_that_is_no_request_is_removed_and_alerted_without_its_content(service, caplog):
    service.queue.queue.send_message("BSN 111222333 van Jansen")
    done = drain(service, retry_after=0)
    assert done.ignored == 1 and service.queue.waiting() == 0
    assert "delivery failed (bad_request)" in caplog.text
    assert "111222333" not in caplog.text and "Jansen" not in caplog.text


def test_a_request_for_an_organisation_no_longer_configured_is_dropped(service):
    service.queue.send(request(org="vertrokken"))
    done = drain(service, retry_after=0)
    assert done.ignored == 1 and done.outcomes == []


def test_a_request_whose_worker_dies_every_time_ends_as_a_recorded_failure(
        service, org_code, sng, monkeypatch, caplog):
    """Out of memory, out of time, a crash: every try ends without an answer. After host.json's
    maxDequeueCount tries the request is in the poison queue, whose trigger records the failure
    for the organisation: status and alert as any failed delivery."""
    tries = []

    def dies(request):
        tries.append(request.id)
        raise MemoryError("the worker ran out of memory")

    monkeypatch.setattr(service, "handle", dies)
    [queued] = service.tick()
    done = drain(service, retry_after=0)
    assert tries == [queued.id] * MAX_DEQUEUE_COUNT
    assert (done.moved, done.dead, done.retried) == (1, 0, MAX_DEQUEUE_COUNT)
    [failure] = done.poisoned
    assert (failure.status, failure.error_kind, failure.request) == ("failed", "queue_poison", queued.id)
    row = service.outcomes.latest(org_code, "delivery")
    assert (row["status"], row["error_kind"], row["day"]) == ("failed", "queue_poison", DAY.isoformat())
    assert word(service) == "failing"
    assert "delivery failed (queue_poison)" in caplog.text  # the failed-delivery alert's query
    assert service.queue.waiting() == service.queue.waiting(poison=True) == 0
    assert sng.files() == {}


def test_a_message_taken_too_often_without_an_end_goes_to_the_poison_queue_untried(
        service, org_code, monkeypatch):
    """The worker died mid-delivery each time (its hold ran out): the message comes back with a
    dequeue count past the limit and is moved, not tried again, as the host does."""
    [queued] = service.tick()
    for _ in range(MAX_DEQUEUE_COUNT):
        taken = service.queue.receive(visibility_timeout=30)
        service.queue.release(taken, after=0)  # the hold ends: as after a crash
    monkeypatch.setattr(service, "handle", lambda request: pytest.fail("tried again"))
    done = drain(service, retry_after=0)
    assert done.moved == 1 and done.poisoned[0].request == queued.id
    assert service.outcomes.latest(org_code, "delivery")["error_kind"] == "queue_poison"


def test_a_poisoned_request_for_a_day_delivered_after_all_records_nothing(service, org_code, sng):
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    service.queue.poison.send_message(queued.to_json())  # a duplicate that died meanwhile
    done = drain(service, retry_after=0)
    assert done.poisoned == [] and done.ignored == 1
    assert service.outcomes.latest(org_code, "delivery")["status"] == "succeeded"
    assert word(service) == "ok"


def test_a_failure_that_cannot_be_recorded_is_given_back_to_the_queue(service, org_code, monkeypatch):
    """Storage down for the record too: the try raises, so the queue (not the next tick) tries
    the request again once storage is back."""
    from azure.core.exceptions import ServiceRequestError

    real = service.outcomes.record
    calls = []

    def down_once(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:  # the lease's "busy" path is not taken: the failure's record fails
            raise ServiceRequestError("storage unreachable")
        return real(*args, **kwargs)

    def lease_down(*args, **kwargs):
        monkeypatch.setattr(service.blobs, "acquire_lease", real_lease)
        raise ServiceRequestError("storage unreachable")

    real_lease = service.blobs.acquire_lease
    monkeypatch.setattr(service.blobs, "acquire_lease", lease_down)
    monkeypatch.setattr(service.outcomes, "record", down_once)
    [queued] = service.tick()
    with pytest.raises(Exception, match="could not be recorded"):
        process(service, queued.to_json())
    done = drain(service, retry_after=0)  # the message is still there: tried again, delivered
    assert done.outcome_of(queued.id).status == "succeeded"


# -- the whole queue, several consumers -----------------------------------------------------------------
def test_many_organisations_are_delivered_by_several_consumers_each_once(
        settings, sng, monkeypatch, azurite):
    from shared import config
    from shared.adapters.secrets import LocalSecrets, env_name
    from shared.config import OrganisationsDocument
    from shared.wiring import build_delivery, build_intake
    from tests.conftest import organisations_for
    from tests.test_delivery_sftp import target

    codes = [f"q{n:02d}" + "abcdefghij"[n % 10] * 3 for n in range(6)]
    document = OrganisationsDocument.model_validate({"organisations": [
        organisations_for(code, sftp=target(sng, directory=code), aansluitcode=f"TST-{n}")
        .organisations[0].model_dump() for n, code in enumerate(codes)]})
    for code in codes:
        (sng.root / code).mkdir()
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", document.model_dump_json())
    config.get_settings.cache_clear()
    service = build_delivery(config.get_settings())
    service.secrets = LocalSecrets(environ={env_name("sng-key"): sng.client_private_key})
    service.now, service.sleep = (lambda: AFTER_SEND), (lambda seconds: None)
    build_intake(config.get_settings()).ensure_storage()
    service.queue.ensure()
    for seed, code in enumerate(codes):
        accept_extract(service, azurite, code, seed=seed + 3)
    queued = service.tick()
    assert sorted(r.org for r in queued) == sorted(codes)
    seen = []
    lock = threading.Lock()
    real = service.handle

    def counted(request):
        with lock:
            seen.append(threading.current_thread().name)
        return real(request)

    monkeypatch.setattr(service, "handle", counted)
    done = drain(service, consumers=3, retry_after=0)
    assert sorted(o.org for o in done.outcomes if o.status == "succeeded") == sorted(codes)
    for n, code in enumerate(codes):
        assert [p.name for p in (sng.root / code).iterdir()] == [f"VISH_TST-{n}_20261128_001.csv"]
    assert len(set(seen)) > 1  # the consumers shared the work
    assert run_again_is_empty(service)


def run_again_is_empty(service) -> bool:
    return service.tick() == [] and service.queue.waiting() == 0


def test_the_poison_queue_is_named_as_the_host_names_it():
    assert poison_queue("vish-deliveries") == "vish-deliveries-poison"


def test_retention_comes_with_the_request_and_the_tick_keeps_only_the_quiet_ones(
        service, org_code, settings, monkeypatch):
    """History past VISH_OUTCOME_RETENTION_DAYS goes when the organisation's request is
    handled; the tick purges only organisations that get no requests (no SFTP target), so 350
    delivered organisations cost no query per tick."""
    old = AFTER_SEND - timedelta(days=service.settings.outcome_retention_days + 5)
    service.outcomes.record(org_code, "connection_test", {"ok": True}, at=old)
    service.outcomes.record("zonder-sftp", "connection_test", {"ok": True}, at=old)

    def history(org):
        return list(service.outcomes.history(org, limit=50))

    assert len(history(org_code)) > 1 and len(history("zonder-sftp")) == 1
    purged = []
    real = service.outcomes.purge
    monkeypatch.setattr(service.outcomes, "purge",
                        lambda org, before: purged.append(org) or real(org, before))
    assert len(service.tick()) == 1
    assert purged == []  # due: its retention comes with its request
    drain(service, retry_after=0)
    assert purged == [org_code]
    assert all(row["recorded_at"] > old for row in history(org_code))
    purged.clear()
    assert service.tick() == [] and purged == []  # delivered today: no query per tick
    document = service.organisations.model_copy(deep=True)
    quiet = document.organisations[0].model_copy(update={"code": "zonder-sftp", "sftp": None})
    monkeypatch.setattr(service, "organisations", document.model_copy(
        update={"organisations": [*document.organisations, quiet]}))
    service.tick()
    assert purged == ["zonder-sftp"] and history("zonder-sftp") == []
