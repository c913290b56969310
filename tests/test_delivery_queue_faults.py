# ruff: noqa: F811  (the fixtures of test_delivery_queue are imported by name)
"""The delivery queue under the faults a hostile review found (issue 13): a request the queue
gives twice, a lease in flight, a worker that dies, storage blips in the consumer, messages no
tool of ours sends, the wrong day, a work folder that is not there, a reason with personal data.
Real parts: Azurite (queues, tables, blobs) and the asyncssh SFTP server on loopback."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.delivery_request import (
    MAX_DEQUEUE_COUNT,
    SCHEDULED_TTL_SECONDS,
)
from shared.usecases.consumer import HOLD_SECONDS, RETRY_AFTER_SECONDS, drain, process
from tests.test_delivery_queue import finals, service, sng, word  # noqa: F401 (fixtures)
from tests.test_delivery_sftp import AFTER_SEND, DAY, accept_extract, make_service

pytestmark = pytest.mark.integration


# -- a person's re-delivery taken twice (the queue delivers at least once) sends one file ----------
def test_a_manual_request_taken_twice_sends_one_file(service, org_code, sng):
    """At-least-once queue: the host takes a message again when its delete was lost, the worker
    died after recording, or its visibility lapsed. A scheduled request is then a no-op (day
    done); a person's re-delivery (manual=True) is sent AGAIN as a new sequence number."""
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    taken = service.queue.receive(visibility_timeout=30)
    first = process(service, taken.text)
    assert first.status == "succeeded" and first.file.endswith("_002.csv")
    # the same message once more (its delete was lost / the worker died before the delete)
    again = process(service, taken.text)
    assert again.request == manual.id
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv", "VISH_TST-1_20261128_002.csv"], (
        f"the one re-delivery the person asked for was sent twice: {finals(sng)} ({again.status})")


# -- a person's re-delivery that meets a delivery in flight comes back, not lost -------------------
def test_a_manual_request_that_finds_the_lease_taken_is_not_lost(service, org_code, sng):
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    # another delivery of this organisation is in flight (a settle, a release, a tick's request)
    lease = service.blobs.acquire_lease(service.settings.locks_container, f"{org_code}.lock", 15)
    threading.Timer(2.0, lease.release).start()
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    done = drain(service, retry_after=1)
    outcome = done.outcome_of(manual.id)
    time.sleep(2.5)
    drain(service, retry_after=1)  # whatever is left in the queue
    assert service.tick() == []  # the schedule will never send it: the day is done
    latest = service.outcomes.latest(org_code, "delivery")
    assert "VISH_TST-1_20261128_002.csv" in finals(sng), (
        f"202 'queued', outcome {outcome.status if outcome else None}, message gone "
        f"(waiting={service.queue.waiting()}), status row {latest['status']} seq "
        f"{latest.get('sequence')}: the person's re-delivery vanished")


# -- a poisoned re-delivery is recorded even when a later day succeeded ----------------------------
def test_a_poisoned_redelivery_of_an_earlier_day_is_recorded(service, org_code, sng, monkeypatch):
    yesterday = DAY - timedelta(days=1)
    # a person asks, before today's send, to deliver yesterday again; its worker dies each time
    asked = service.new_request(org_code, yesterday, reason="SNG heeft gisteren niet",
                                manual=True)
    asked = type(asked)(**{**asked.__dict__, "sent": datetime.now(UTC) - timedelta(minutes=5)})
    # meanwhile today's scheduled delivery succeeds (recorded after the person asked)
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    service.queue.poison.send_message(asked.to_json())  # the re-delivery used every try
    done = drain(service, retry_after=0)
    assert done.poisoned, ("the person's re-delivery of yesterday died in the poison queue and "
                           "nothing was recorded (today's success counted as 'its day is done')")


# -- storage blips in the consumer: counted, the work goes on, vish deliver tells the truth --------
def _cli(service, org_code, sng, monkeypatch):
    from shared.adapters.secrets import env_name

    monkeypatch.setenv(env_name("sng-key"), sng.client_private_key)


def test_a_storage_blip_on_receive_does_not_end_the_local_consumer(
        service, org_code, sng, monkeypatch):
    from azure.core.exceptions import ServiceRequestError

    real = service.queue.receive
    calls = []

    def blip(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ServiceRequestError("connection reset")
        return real(**kwargs)

    monkeypatch.setattr(service.queue, "receive", blip)
    [queued] = service.tick()
    done = drain(service, retry_after=0)
    waiting = service.queue.waiting()
    assert done.outcome_of(queued.id) is not None, (
        f"drain ended after one receive error with the request still queued (waiting={waiting})")
    assert done.errors == 1


def test_an_outcome_counts_even_when_the_delete_after_it_fails(service, org_code, sng, monkeypatch,
                                                              capsys):
    """The delivery ran and failed (no secret); the queue's delete then hit a storage blip: the
    outcome is still this run's answer (the message comes back later and finds it recorded).
    And vish deliver, which runs the trigger's code without a queue, says the failure: exit 1."""
    from azure.core.exceptions import ServiceRequestError

    from shared.adapters.queue import DeliveryQueue
    from shared.adapters.secrets import LocalSecrets
    from shared.cli import main

    service.secrets = LocalSecrets(environ={})  # no secret: the delivery fails, recorded
    real_delete = DeliveryQueue.delete

    def delete_once(self, message, *, poison=False):
        monkeypatch.setattr(DeliveryQueue, "delete", real_delete)
        raise ServiceRequestError("connection reset")

    monkeypatch.setattr(DeliveryQueue, "delete", delete_once)
    [queued] = service.tick()
    done = drain(service, retry_after=0, until=queued.id)
    assert (done.outcome_of(queued.id).status, done.errors) == ("failed", 1)
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", service.organisations.model_dump_json())
    code = main(["deliver", "--org", org_code, "--json"])
    out = capsys.readouterr().out
    assert service.outcomes.latest(org_code, "delivery")["status"] == "failed"
    assert code == 1 and json.loads(out.strip().splitlines()[-1])["status"] == "failed"


# -- a message that is not base64 (another tool's) is one bad message, not a stop ------------------
def test_a_message_that_is_not_base64_does_not_stop_the_consumer(service, org_code, azurite):
    from azure.storage.queue import QueueClient

    raw = QueueClient.from_connection_string(azurite.connection_string, service.queue.name)
    raw.send_message("kapot bericht: geen base64 {}")
    [queued] = service.tick()
    try:
        done = drain(service, retry_after=0, timeout=20)
    except Exception as exc:  # pragma: no cover - shown in the assertion
        pytest.fail(f"drain raised {type(exc).__name__}: {exc}")
    assert done.outcome_of(queued.id) is not None, (
        f"the tick's request was never delivered (timed_out={done.timed_out}, "
        f"ignored={done.ignored}, waiting={service.queue.waiting()})")


# -- a request whose every try runs out of time reaches the poison queue before it expires ---------
def test_a_request_whose_worker_runs_out_of_time_reaches_the_poison_queue():
    """host.json functionTimeout 30 min: a try that hangs is killed after 30 min, the message
    comes back after visibilityTimeout. A scheduled request lives SCHEDULED_TTL_SECONDS."""
    needed = (MAX_DEQUEUE_COUNT - 1) * (HOLD_SECONDS + RETRY_AFTER_SECONDS) + HOLD_SECONDS
    assert needed <= SCHEDULED_TTL_SECONDS, (
        f"a hanging request needs {needed / 60:.0f} min to use its {MAX_DEQUEUE_COUNT} tries, "
        f"but expires after {SCHEDULED_TTL_SECONDS / 60:.0f} min: no queue_poison is ever recorded")


# -- a request for a day ahead is refused (it would silence the schedule) --------------------------
def test_a_request_for_a_future_day_is_refused_by_the_consumer(service, org_code, sng):
    ahead = DAY + timedelta(days=400)
    text = json.dumps({"v": 1, "id": "c" * 32, "org": org_code, "day": ahead.isoformat(),
                       "reason": "schedule", "sent": AFTER_SEND.isoformat()})
    service.queue.queue.send_message(text)
    drain(service, retry_after=0)
    assert service.tick() != [], (
        f"a queued request for {ahead} was delivered ({finals(sng)}): the success pointer is "
        "there now, so the schedule sends nothing for 400 days (admin and CLI refuse a future "
        "day; the consumer does not)")


# -- a work folder missing on the delivering instance is made, not read as 'no snapshot' -----------
def test_an_unsorted_snapshot_and_a_missing_work_dir_is_not_called_no_snapshot(
        settings, org_code, sng, monkeypatch, azurite, tmp_path):
    from devtools.sample import unique_bsns
    from shared.domain import sorting
    from shared.usecases import delivery as delivery_module
    from shared.usecases.intake import SNAPSHOT_NAME

    monkeypatch.setenv("VISH_WORK_DIR", str(tmp_path / "niet-aangemaakt"))
    service = make_service(settings, org_code, sng, monkeypatch)
    (tmp_path / "niet-aangemaakt").mkdir(exist_ok=True)
    accept_extract(service, azurite, org_code)
    (tmp_path / "niet-aangemaakt").rmdir()  # another instance: the intake's mkdir was not here
    s = service.settings
    name = f"{org_code}/{SNAPSHOT_NAME}"
    lines = service.blobs.read_bytes(s.snapshots_container, name).decode().splitlines()
    header, template = lines[0], lines[1].split(";")
    bsns = unique_bsns(11)
    rows = [";".join([next(bsns), *template[1:]]) for _ in range(300)]
    # an older snapshot: no order metadata, not sorted
    service.blobs.upload(s.snapshots_container, name, ("\n".join([header, *rows]) + "\n").encode())
    # a snapshot over one run (50,000 records in production) spills: fewer records here
    monkeypatch.setattr(delivery_module, "sorted_by_bsn",
                        lambda records, tmpdir=None: sorting.sorted_by_bsn(records, run_records=50,
                                                                          tmpdir=tmpdir))
    [queued] = service.tick()
    outcome = drain(service, retry_after=0).outcome_of(queued.id)
    assert outcome.error_kind != "no_snapshot", (
        f"{outcome.status}/{outcome.error_kind}: 'no accepted extract yet' although the snapshot "
        "is there (the sort's temporary folder is missing: FileNotFoundError read as no snapshot)")


# -- vish deliver runs the trigger's code on its own request, never the app's queue ---------------
def test_vish_deliver_for_one_organisation_delivers_only_that_organisation(
        service, org_code, sng, monkeypatch, capsys):
    from shared.cli import main

    _cli(service, org_code, sng, monkeypatch)
    # another organisation's request waits in the queue (the timer's, for the function app)
    foreign = service.new_request(org_code, DAY, reason="schedule")
    service.queue.send(foreign)
    before = {q.name for q in service.queue.service.list_queues()}
    code = main(["deliver", "--org", org_code, "--date", "2026-11-28", "--json"])
    sent = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and sent["status"] == "succeeded"
    # the app's queue is untouched: its request is still there for the function app
    left = service.queue.receive(visibility_timeout=30)
    assert left is not None and json.loads(left.text)["id"] == foreign.id
    names = {q.name for q in service.queue.service.list_queues()}
    assert names <= before  # no queue of its own either: it needs no queue rights


# -- privacy and damaged snapshots on the new paths ------------------------------------------------
def test_a_crafted_reason_with_a_bsn_or_birth_date_rests_nowhere(service, org_code, sng, caplog):
    text = json.dumps({"v": 1, "id": "d" * 32, "org": org_code, "day": DAY.isoformat(),
                       "reason": "herlevering 111222333 geb 01-02-1980", "manual": True,
                       "sent": AFTER_SEND.isoformat()})
    service.queue.queue.send_message(text)
    done = drain(service, retry_after=0)
    rows = list(service.outcomes.table.query_entities(f"PartitionKey eq '{org_code}'"))
    assert "111222333" not in repr(rows) and "111222333" not in caplog.text
    hits = [(r["RowKey"], k, v) for r in rows for k, v in r.items() if "1980" in str(v)]
    assert not hits, hits
    assert done.outcomes[0].status == "succeeded"


def test_probe_a_snapshot_said_sorted_but_not_is_refused_without_a_bsn(
        service, org_code, sng, caplog):
    from shared.domain.snapshot import SNAPSHOT_ORDER_BSN, SNAPSHOT_ORDER_KEY
    from shared.usecases.intake import SNAPSHOT_NAME

    s = service.settings
    name = f"{org_code}/{SNAPSHOT_NAME}"
    lines = service.blobs.read_bytes(s.snapshots_container, name).decode().splitlines()
    body = list(reversed(lines[1:]))
    service.blobs.upload(s.snapshots_container, name, ("\n".join([lines[0], *body]) + "\n").encode(),
                         metadata={SNAPSHOT_ORDER_KEY: SNAPSHOT_ORDER_BSN})
    [queued] = service.tick()
    outcome = drain(service, retry_after=0).outcome_of(queued.id)
    rows = repr(list(service.outcomes.table.query_entities(f"PartitionKey eq '{org_code}'")))
    bsns = [line.split(";")[0] for line in body]
    assert outcome.error_kind == "snapshot_unreadable"
    assert not any(b in rows or b in caplog.text for b in bsns)
    assert sng.files() == {}
    # nothing committed in the outbox for a file that was never sent
    assert service.blobs.list_names(s.outbox_container, f"{org_code}/") == []


# -- a storage blip while the upload streams from the outbox is retried ----------------------------
def test_a_transient_outbox_read_error_during_the_upload_is_retried(service, org_code, sng,
                                                                       monkeypatch):
    from azure.core.exceptions import ServiceResponseError

    real = service.blobs.chunks
    calls = []

    def flaky(container, name, **kwargs):
        if container == service.settings.outbox_container:
            calls.append(name)
            if len(calls) == 1:
                raise ServiceResponseError("connection reset while reading the outbox")
        yield from real(container, name, **kwargs)

    monkeypatch.setattr(service.blobs, "chunks", flaky)
    [queued] = service.tick()
    outcome = drain(service, retry_after=0).outcome_of(queued.id)
    assert outcome.status == "succeeded", (
        f"{outcome.status}/{outcome.error_kind}: one read error of the outbox blob failed the "
        "delivery (the SFTP retry loop only retries SftpError); before, the bytes were in memory")


def test_a_manual_request_whose_worker_died_after_the_rename_is_not_sent_again(
        service, org_code, sng, monkeypatch):
    """The worker dies after the rename, before the success is recorded (the case the intent
    exists for). The host gives the message to another worker: for a scheduled request the
    intent is settled and that is all; for a person's re-delivery the intent is settled AND a
    new file is sent."""
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    taken = service.queue.receive(visibility_timeout=30)
    real = service.outcomes.record_delivery

    class WorkerDied(BaseException):
        pass

    def dies(*args, **kwargs):
        monkeypatch.setattr(service.outcomes, "record_delivery", real)
        raise WorkerDied()

    monkeypatch.setattr(service.outcomes, "record_delivery", dies)
    with pytest.raises(WorkerDied):
        process(service, taken.text)
    assert service.outcomes.intent(org_code) is not None  # renamed, not recorded
    # the host hands the message to the next worker (the dead one's lease is gone)
    again = process(service, taken.text)
    assert again.request == manual.id
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv", "VISH_TST-1_20261128_002.csv"], (
        f"one re-delivery asked, files on the server: {finals(sng)}")
