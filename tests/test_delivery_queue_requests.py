# ruff: noqa: F811  (the fixtures of test_delivery_queue are imported by name)
"""The delivery queue's requests, after a second hostile review (issue 13): a person's request
that meets a long delivery, the request id in the status, the same request twice whatever the
clock, dates typed in a reason, a hold renewed as the delivery ends.
Real parts: Azurite (queues, tables, blobs) and the asyncssh SFTP server on loopback."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.usecases.consumer import drain, process
from shared.usecases.status import StatusService
from tests.test_delivery_queue import finals, service, sng, word  # noqa: F401 (fixtures)
from tests.test_delivery_sftp import AFTER_SEND, DAY

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]


# -- a person's request that meets a long delivery waits for it: neither lost nor a failure --------
def test_a_manual_request_that_stays_busy_is_neither_lost_nor_a_failure(service, org_code, sng):
    """Another delivery of the organisation holds the lease longer than the queue's five tries
    (in Azure 5 x visibilityTimeout, about five minutes: a large file, a slow SNG, SFTP
    retries). Nothing failed; the person's re-delivery should wait or be sent after."""
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    lease = service.blobs.acquire_lease(service.settings.locks_container, f"{org_code}.lock", 60)
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    first = drain(service, retry_after=1, timeout=4)  # busy: sent again each second meanwhile
    assert first.outcomes and {o.status for o in first.outcomes} == {"busy"}
    assert first.retried == 0 and first.moved == 0  # no try used up
    lease.release()  # the long delivery ends
    drain(service, retry_after=1, timeout=30)
    latest = service.outcomes.latest(org_code, "delivery")
    assert "VISH_TST-1_20261128_002.csv" in finals(sng) and latest.get("error_kind") != "queue_poison", (
        f"busy x{first.retried}, moved to poison {first.moved}, recorded "
        f"{[(o.status, o.error_kind) for o in first.poisoned]}; files {finals(sng)}; status word "
        f"'{word(service)}' ({latest['status']}/{latest.get('error_kind')}); request {manual.id[:8]} "
        "is gone from the queue and nothing will send it")


# -- the status names the request an outcome answers -----------------------------------------------
def test_the_status_names_the_request_the_202_answer_gave(service, org_code, sng):
    """admin._queued: 'The outcome appears in the status, under ``request``'; cli: 'the status
    tells (the request's id is in its rows)'. _PUBLIC_FIELDS has no 'request'."""
    service.tick()
    drain(service, retry_after=0)
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    assert drain(service, retry_after=0).outcome_of(manual.id).status == "succeeded"
    assert service.outcomes.latest(org_code, "delivery")["request"] == manual.id  # it is stored
    status = StatusService(service.settings, service.organisations, service.outcomes,
                           now=lambda: AFTER_SEND)
    detail = json.dumps(status.organisation(org_code), default=str)
    overview = json.dumps(status.overview_page(), default=str)
    assert manual.id in detail or manual.id in overview, (
        "the 202 answer gives request id; neither the organisation's status nor its history "
        "shows any request id, so a person cannot tell which outcome is theirs")


# -- the request-id check compares no clocks -------------------------------------------------------
def test_a_manual_request_taken_twice_sends_one_file_whatever_the_clock(service, org_code, sng):
    """request.sent comes from DeliveryService.now (injectable); recorded_at/RowKey from
    datetime.now(UTC) in OutcomeStore. With the service's clock more than 5 minutes ahead of the
    store's (a test clock, or skew between the instance that queued and the one that records),
    the check finds nothing and the re-delivery is sent twice."""
    [queued] = service.tick()
    assert drain(service, retry_after=0).outcome_of(queued.id).status == "succeeded"
    service.now = lambda: datetime.now(UTC) + timedelta(minutes=10)
    manual = service.request_delivery(org_code, DAY, reason="SNG heeft het niet", manual=True)
    taken = service.queue.receive(visibility_timeout=30)
    assert process(service, taken.text).status == "succeeded"
    again = process(service, taken.text)  # the delete was lost
    assert again.request == manual.id
    assert finals(sng) == ["VISH_TST-1_20261128_001.csv", "VISH_TST-1_20261128_002.csv"], (
        f"{finals(sng)} ({again.status}): request_delivered looked only at rows recorded after "
        "sent - 5 min by another clock")


# -- every date typed in an operator's reason is masked --------------------------------------------
@pytest.mark.parametrize("typed", ["geboren 1 februari 1980", "geb. 01 02 1980", "geb 1-feb-1980",
                                   "geboortedatum 1 feb. '80", "geb: 19800201"])
def test_every_date_typed_in_a_reason_is_masked(typed):
    from shared.domain.privacy import operator_text

    shown = operator_text(typed)
    assert not re.search(r"1980|\b80\b|0201", shown), (
        f"{typed!r} rests as {shown!r} (operator_text: 'every date masked')")


# -- a hold renewed as the delivery ends does not keep the message ---------------------------------
def test_a_hold_renewed_as_the_delivery_ends_does_not_keep_the_message(
        service, org_code, sng, monkeypatch):
    """drain's keeper thread updates the message (new pop receipt) while work() deletes it with
    the old one (done.set() does not wait for a renewal in flight): the delete fails (stale pop
    receipt: Azure and Azurite answer 400/404), the message stays, and comes back after the
    hold to be worked again. The answer of the renewal is slowed here (network latency)
    to hit the window every time."""
    from shared.adapters.queue import DeliveryQueue

    def slow_answer(self, message, *, seconds, poison=False):
        client = self.poison if poison else self.queue
        updated = client.update_message(message.id, message.pop_receipt, visibility_timeout=seconds)
        time.sleep(2.0)  # the answer is still on its way
        message.pop_receipt = updated.pop_receipt

    monkeypatch.setattr(DeliveryQueue, "hold", slow_answer)
    real = service.credentials_for

    def slow_credentials(target):  # a delivery of a few seconds (Key Vault, a big file)
        time.sleep(1.5)
        return real(target)

    monkeypatch.setattr(service, "credentials_for", slow_credentials)
    [queued] = service.tick()
    done = drain(service, retry_after=0, hold=3, timeout=40)
    ours = [o.status for o in done.outcomes if o.request == queued.id]
    assert ours == ["succeeded"], (
        f"one request worked {len(ours)} times: {ours} (delete with a stale pop receipt, "
        "suppressed as 'gone already')")


