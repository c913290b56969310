"""Exactly once per organisation and day, under faults: the fault matrix of README.

Real parts: Azurite (snapshot, outbox, outcomes, the lease) and the asyncssh SFTP server on
loopback with its faults. A "crash" between two writes is a storage call that fails at that point
(the process goes on, but nothing after it is written, as after a crash); a "second instance" is a
second delivery service on the same storage. Each case checks what the server holds (no
duplicate, no truncated final file, no ``.part`` left where it could be removed), the outcome rows
and the status word.
"""

from __future__ import annotations

import threading
import time
from base64 import b64decode
from datetime import UTC, date, datetime, timedelta

import pytest
from azure.core.exceptions import ServiceRequestError

from devtools.sample import HEADER, sample_rows
from devtools.sftp_testserver import SftpTestServer
from shared import wiring
from shared.config import OrganisationsDocument
from shared.domain.delivery_request import MAX_DEQUEUE_COUNT, parse_request
from shared.usecases.consumer import drain
from shared.usecases.delivery import NotTheHeldFile
from shared.usecases.intake import EXTRACTS_CONTAINER
from shared.usecases.status import StatusService
from tests.conftest import organisations_for
from tests.helpers import TODAY, deliver_via_queue, release_via_queue, run_tick
from tests.test_delivery_faults import is_temp, seen
from tests.test_delivery_sftp import AFTER_SEND, DAY, accept_extract, make_service, target

pytestmark = pytest.mark.integration
FILE = "VISH_TST-1_20261128_001.csv"


@pytest.fixture
def sng(tmp_path):
    with SftpTestServer(tmp_path / "sng") as server:
        yield server


def finals(server: SftpTestServer) -> dict[str, bytes]:
    return {name: data for name, data in server.files().items() if not name.startswith(".")}


def temps(server: SftpTestServer) -> list[str]:
    return [name for name in server.files() if name.endswith(".part")]


def statuses(service, org: str) -> list[str]:
    """The delivery rows of ``org``'s history, oldest first."""
    return [row["status"] for row in reversed(service.outcomes.history(org, kind="delivery"))]


def word(service, now: datetime = AFTER_SEND) -> str:
    status = StatusService(service.settings, service.organisations, service.outcomes, now=lambda: now)
    return status.overview()["organisations"][0]["health"]


def archived(service, org: str, name: str, day: date = DAY) -> bytes:
    return service.blobs.read_bytes(service.settings.outbox_container, f"{org}/{day}/{name}")


class FailOnce:
    """Stands in for one storage call: the first call fails as an outage would (after the
    step before it happened: a crash between two writes), later calls go through."""

    def __init__(self, real, failures: int = 1) -> None:
        self.real, self.left = real, failures

    def __call__(self, *args, **kwargs):
        if self.left > 0:
            self.left -= 1
            raise ServiceRequestError("storage unreachable")
        return self.real(*args, **kwargs)


# -- 2, 3: a crash or outage after the rename: the next tick reconciles, never sends again --------
def test_an_outage_after_the_rename_is_reconciled_by_the_next_tick_not_sent_again(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    first = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (first.status, first.error_kind) == ("failed", "storage")
    assert list(finals(sng)) == [FILE]  # renamed: the file is there, its success is not recorded
    intent = service.outcomes.intent(org_code)
    assert (intent["file"], intent["size"]) == (FILE, len(sng.files()[FILE]))
    assert service.outcomes.latest(org_code, "delivery_success") is None

    [second] = run_tick(service)  # the next tick: the day looks undone
    assert (second.status, second.file) == ("succeeded", FILE)
    assert len(seen(sng, "open_write")) == 1 and len(seen(sng, "rename")) == 1  # uploaded once
    assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []
    success = service.outcomes.latest(org_code, "delivery_success")
    assert (success["day"], success["reconciled"], success["sequence"]) == ("2026-11-28", True, 1)
    assert service.outcomes.intent(org_code) is None
    assert statuses(service, org_code) == ["failed", "succeeded"]
    assert run_tick(service) == []  # and the day is done
    assert word(service) == "ok"


@pytest.mark.parametrize(("fault", "found"), [
    ("cuts_on_rename_left", "final"),  # renamed, but the answer was lost with the connection
    ("cuts_before_rename_left", "temp"),  # the connection dropped as the rename was asked
])
def test_a_rename_whose_answer_is_lost_is_settled_at_once_without_a_second_upload(
        settings, org_code, sng, monkeypatch, azurite, fault, found):
    service = make_service(settings, org_code, sng, monkeypatch, attempts=3)
    accept_extract(service, azurite, org_code)
    setattr(sng.faults, fault, 1)
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert outcome.status == "succeeded"
    assert len(seen(sng, "open_write")) == 1  # never uploaded again
    assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []
    renames = seen(sng, "rename")
    assert len(renames) == (1 if found == "final" else 2)  # the second: finishing the temp file
    assert service.outcomes.latest(org_code, "delivery_success")["reconciled"] is True
    assert service.outcomes.intent(org_code) is None
    assert word(service) == "ok"


def test_a_file_taken_away_before_the_answer_is_unconfirmed_and_never_sent_again(
        settings, org_code, sng, monkeypatch, azurite):
    """The receiving side takes each file at once; the answer to the rename is lost. Neither the
    final nor the temporary file is there: it may have arrived. Recorded ``unconfirmed`` for an
    operator, the day counts as done (no silent second file), the status is not healthy."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    sng.faults.take_away, sng.faults.cuts_on_rename_left = True, 1
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (outcome.status, outcome.error_kind) == ("unconfirmed", "not_found")
    assert sng.files() == {} and len(seen(sng, "open_write")) == 1
    pointer = service.outcomes.latest(org_code, "delivery_success")
    assert (pointer["status"], pointer["day"], pointer["file"]) == ("unconfirmed", "2026-11-28", FILE)
    assert run_tick(service) == []  # not sent again by the schedule
    assert len(seen(sng, "open_write")) == 1
    assert word(service) == "unconfirmed"
    # the operator confirmed with SNG that it did not arrive: a manual re-delivery sends it
    again = deliver_via_queue(service, org_code, DAY, reason="SNG heeft het niet ontvangen", manual=True)
    assert (again.status, again.file) == ("succeeded", "VISH_TST-1_20261128_002.csv")
    assert word(service) == "ok"


def test_another_file_under_the_final_name_is_left_alone_and_unconfirmed(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "failed"
    (sng.root / FILE).write_bytes(b"somebody else's file")
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (outcome.status, outcome.error_kind) == ("unconfirmed", "remote_mismatch")
    assert sng.files() == {FILE: b"somebody else's file"}  # never overwritten


def test_while_the_server_is_down_the_intent_waits_and_nothing_is_sent(
        settings, org_code, sng, monkeypatch, azurite, tmp_path):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "failed"
    sng.stop()
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (outcome.status, outcome.error_kind) == ("failed", "connect")
    assert service.outcomes.intent(org_code) is not None  # still to be settled
    assert word(service) == "failing"


# -- 1, 6: a lease lost during a slow step never renames; the other instance delivers once ---------
def test_an_instance_that_lost_its_lease_during_a_slow_step_never_renames(
        settings, org_code, sng, monkeypatch, azurite):
    """Instance A finishes its upload, then its intent write hangs (storage unreachable for it, its
    lease renewals failing too) past the 15 s lease. Instance B takes the lease and delivers. A's
    fence before the rename finds the lease gone: no rename, and without the lease it touches
    nothing more (its intent and temporary file stay for the holder); a lease_lost row in history
    only. (A's temporary file was a leftover when B began: B removed it.) The next tick settles A's
    intent: B's file is there and recorded, so the intent goes and nothing is recorded again. One
    file on the server, B's, whole; one success row."""
    a = make_service(settings, org_code, sng, monkeypatch)
    a.lease_seconds = 15
    b = make_service(settings, org_code, sng, monkeypatch)
    b.lease_seconds = 15
    accept_extract(a, azurite, org_code)
    b_done = threading.Event()
    partitioned = threading.Event()
    acquire = a.blobs.acquire_lease

    def a_lease(*args, **kwargs):
        lease = acquire(*args, **kwargs)
        renew = lease.renew

        def renew_unless_partitioned(**kw):
            if partitioned.is_set():
                raise ServiceRequestError("storage unreachable")
            return renew(**kw)

        lease.renew = renew_unless_partitioned
        return lease

    put_intent = a.outcomes.put_intent

    def hanging_put_intent(*args, **kwargs):
        partitioned.set()  # from here on A cannot reach storage ...
        assert b_done.wait(60)  # ... until B has delivered
        partitioned.clear()
        return put_intent(*args, **kwargs)

    monkeypatch.setattr(a.blobs, "acquire_lease", a_lease)
    monkeypatch.setattr(a.outcomes, "put_intent", hanging_put_intent)
    results = {}
    runner = threading.Thread(target=lambda: results.setdefault("a", a.deliver(org_code, DAY, reason="a")))
    runner.start()
    while not partitioned.is_set():
        time.sleep(0.05)
    while (outcome := b.deliver(org_code, DAY, reason="b")).status == "busy":
        time.sleep(0.5)  # A's lease has not run out yet
    results["b"] = outcome
    b_done.set()
    runner.join(60)
    assert results["b"].status == "succeeded"
    assert (results["a"].status, results["a"].error_kind) == ("failed", "lease_lost")
    assert b.outcomes.intent(org_code) is not None  # A's late intent: left for the holder
    [settled] = run_tick(b)  # the day is done; the open intent is settled anyway
    assert (settled.status, settled.reason) == ("skipped", "already_recorded")
    assert finals(sng) == {FILE: archived(b, org_code, FILE)} and temps(sng) == []
    opened = seen(sng, "open_write")
    assert len(opened) == 2 and len(set(opened)) == 2 and all(map(is_temp, opened))  # own names
    assert len(seen(sng, "rename")) == 1
    assert statuses(b, org_code).count("succeeded") == 1
    assert b.outcomes.latest(org_code, "delivery")["status"] == "succeeded"  # A's loss: history only
    assert b.outcomes.intent(org_code) is None
    assert word(b) == "ok"


def test_renewals_failing_during_a_long_upload_stop_it_before_the_rename(
        settings, org_code, tmp_path, monkeypatch, azurite):
    """Storage unreachable during the upload: the lease cannot be renewed. The upload is not
    stalled by it (renewals run beside it); once the lease may have run out the delivery stops,
    removes its temporary file and records lease_lost. No final file."""
    with SftpTestServer(tmp_path / "slow", window=32768) as slow:
        service = make_service(settings, org_code, slow, monkeypatch)
        service.lease_seconds = 15
        accept_extract(service, azurite, org_code, rows=8000)  # ~330 kB: 11 writes of 32 kB
        slow.faults.write_delay = 1.8  # ~20 s: longer than the lease
        acquire = service.blobs.acquire_lease

        def unrenewable(*args, **kwargs):
            lease = acquire(*args, **kwargs)

            def renew(**kw):
                raise ServiceRequestError("storage unreachable")

            lease.renew = renew
            return lease

        monkeypatch.setattr(service.blobs, "acquire_lease", unrenewable)
        outcome = deliver_via_queue(service, org_code, DAY, reason="t")
        assert (outcome.status, outcome.error_kind) == ("failed", "lease_lost")
        assert slow.files() == {}
        assert seen(slow, "rename") == []
        assert service.outcomes.intent(org_code) is None
        assert service.outcomes.latest(org_code, "delivery")["error_kind"] == "lease_lost"


# -- 4: an earlier day delivered by hand never makes today look undone -----------------------------
def test_a_manual_delivery_for_an_earlier_day_does_not_rewind_the_success_pointer(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    [today] = run_tick(service)
    assert today.status == "succeeded"
    earlier = deliver_via_queue(service, org_code, DAY - timedelta(days=1), reason="gisteren opnieuw",
                                manual=True)
    assert (earlier.status, earlier.file) == ("succeeded", "VISH_TST-1_20261127_001.csv")
    pointer = service.outcomes.latest(org_code, "delivery_success")
    assert (pointer["day"], pointer["file"]) == ("2026-11-28", FILE)
    assert run_tick(service) == []  # today is still done
    assert sorted(finals(sng)) == ["VISH_TST-1_20261127_001.csv", FILE]
    assert len(seen(sng, "open_write")) == 2
    manual = service.outcomes.latest(org_code, "manual")
    assert (manual["action"], manual["day"]) == ("redeliver", "2026-11-27")


# -- 5: one organisation's failure never stops another's -------------------------------------------
def two_organisations(first: str, second: str, server) -> OrganisationsDocument:
    orgs = [organisations_for(code, sftp=target(server), profile="vish-minimaal").organisations[0]
            .model_copy(update={"aansluitcode": code.upper()[:10]}) for code in (first, second)]
    return OrganisationsDocument(organisations=orgs)


def test_an_unforeseen_error_of_one_organisation_is_recorded_and_the_next_is_delivered(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    other = org_code[:-1] + ("x" if org_code[-1] != "x" else "y")
    service.organisations = two_organisations(org_code, other, sng)
    accept_extract(service, azurite, org_code)
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", service.organisations.model_dump_json())
    from shared import config

    config.get_settings.cache_clear()
    accept_extract(service, azurite, other)
    build = service._build

    def broken_for_the_first(organisation, *args, **kwargs):
        if organisation.code == org_code:
            raise RuntimeError("Jansen 123456782 1980-01-01")  # a message that quotes data
        return build(organisation, *args, **kwargs)

    monkeypatch.setattr(service, "_build", broken_for_the_first)
    first, second = run_tick(service)
    assert (first.org, first.status, first.error_kind) == (org_code, "failed", "unexpected")
    assert (second.org, second.status) == (other, "succeeded")
    row = service.outcomes.latest(org_code, "delivery")
    assert row["error"].startswith("unexpected error (RuntimeError at ")
    assert "123456782" not in str(row) and "Jansen" not in str(row) and "1980" not in str(row)


def test_a_server_that_refuses_removes_keeps_its_leftover_and_still_gets_the_file(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    (sng.root / f".{FILE}.0123456789ab.part").write_bytes(b"x" * 100)  # another instance's
    sng.faults.refuse_remove = True
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert outcome.status == "succeeded"
    assert finals(sng) == {FILE: archived(service, org_code, FILE)}
    assert temps(sng) == [f".{FILE}.0123456789ab.part"]  # could not be removed: it stays


def test_a_read_only_target_with_a_leftover_is_a_recorded_permission_failure_not_retried(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch, attempts=3)
    accept_extract(service, azurite, org_code)
    (sng.root / f".{FILE}.part").write_bytes(b"x")
    sng.faults.refuse_remove = sng.faults.deny_write = True
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "permission", 1)
    assert len(seen(sng, "connect")) == 1
    row = service.outcomes.latest(org_code, "delivery")
    assert (row["error_kind"], row["attempts"]) == ("permission", 1)
    assert word(service) == "failing"


def test_storage_down_for_the_failure_record_too_is_logged_and_the_tick_goes_on(
        settings, org_code, sng, monkeypatch, azurite, caplog):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)

    def unreachable(*args, **kwargs):
        raise ServiceRequestError("storage unreachable")

    monkeypatch.setattr(service.blobs, "acquire_lease", unreachable)
    monkeypatch.setattr(service.outcomes, "record", unreachable)
    [request] = service.tick()
    done = drain(service, retry_after=0)
    # Every try raised (the failure could not be recorded): the queue tried it as often as
    # host.json allows, then the poison queue's trigger could not record it either, so the
    # message ended where an operator finds it, not lost and not looping.
    assert done.outcomes == [] and done.poisoned == []
    assert (done.retried, done.moved, done.dead) == (2 * MAX_DEQUEUE_COUNT, 1, 1)
    assert "could not be recorded" in caplog.text
    left = service.queue.dead.receive_messages(max_messages=5)
    assert [parse_request(b64decode(message.content)).id for message in left] == [request.id]
    assert service.queue.waiting() == service.queue.waiting(poison=True) == 0


# -- 7: a full disk and a refused write are named, not retried, and cleaned up ----------------------
@pytest.mark.parametrize("bare", [False, True])
def test_a_full_disk_is_remote_full_not_retried_and_leaves_no_part(
        settings, org_code, sng, monkeypatch, azurite, bare):
    """``bare``: the server says only "Failure" (OpenSSH does for ENOSPC); the client then asks
    statvfs@openssh.com how much is free."""
    service = make_service(settings, org_code, sng, monkeypatch, attempts=3)
    accept_extract(service, azurite, org_code, rows=400)
    sng.faults.disk_capacity, sng.faults.bare_failures = 4096, bare
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "remote_full", 1)
    assert len(seen(sng, "connect")) == 1
    assert sng.files() == {}  # the partial temporary file is removed
    assert word(service) == "failing"
    reason = StatusService(service.settings, service.organisations, service.outcomes,
                           now=lambda: AFTER_SEND).overview()["organisations"][0]["reason"]
    assert "remote_full" in reason


# -- 8: busy is recorded, without hiding the last outcome ------------------------------------------
def test_a_delivery_found_busy_is_recorded_in_history_only(settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    sng.faults.deny_write = True
    assert deliver_via_queue(service, org_code, DAY, reason="t").error_kind == "permission"
    lease = service.blobs.acquire_lease(service.settings.locks_container, f"{org_code}.lock", 15)
    try:
        outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    finally:
        lease.release()
    assert outcome.status == "busy"
    assert statuses(service, org_code) == ["failed", "busy"]
    assert service.outcomes.latest(org_code, "delivery")["status"] == "failed"


# -- 10: a file that would drop too many people is held until a person releases it ----------------
def test_a_file_that_drops_too_many_people_is_held_until_released(settings, org_code, sng,
                                                                  monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code, rows=40)
    [first] = run_tick(service)
    assert first.status == "succeeded" and first.people >= 40
    # an extract with a quarter of the people, released past the intake's guard by a person
    data = ("\r\n".join([HEADER, *sample_rows(10, today=TODAY, seed=3, error_rate=0)]) + "\r\n").encode()
    service.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/klein.csv", data)
    wiring.intake.cache_clear()
    intake = wiring.intake()
    held = intake.process(f"{org_code}/klein.csv")
    assert held.reason == "mass_drop_held"
    assert intake.release_held(org_code, "gecontroleerd", held.sha256[:12]).decision == "accepted"

    next_day = AFTER_SEND + timedelta(days=1)
    service.now = lambda: next_day
    [held] = run_tick(service)
    assert (held.status, held.error_kind) == ("held", "mass_drop")
    assert held.people < first.people * 0.7
    assert list(finals(sng)) == [FILE]  # nothing sent
    assert word(service, next_day) == "held"
    row = service.outcomes.latest(org_code, "delivery")
    assert (row["status"], row["previous_people"], row["people"]) == ("held", first.people, held.people)
    assert run_tick(service)[0].status == "held"  # every tick holds it again ...
    assert statuses(service, org_code).count("held") == 1  # ... recorded once

    with pytest.raises(NotTheHeldFile):
        service.release_held(org_code, "klopt", "0" * 12)  # not the file held
    with pytest.raises(NotTheHeldFile):
        service.release_held(org_code, "klopt", held.sha256[:7])  # too short to name it
    released = release_via_queue(service, org_code, "klopt: dossiers afgesloten", held.sha256[:12].upper())
    assert (released.status, released.people) == ("succeeded", held.people)
    assert sorted(finals(sng)) == [FILE, "VISH_TST-1_20261129_001.csv"]
    action = service.outcomes.latest(org_code, "manual")
    assert (action["action"], action["day"]) == ("release_delivery", "2026-11-29")
    assert word(service, next_day) == "ok"
    assert run_tick(service) == []


def test_a_release_holds_for_the_day_even_when_its_send_fails(settings, org_code, sng, monkeypatch,
                                                              azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code, rows=40)
    service.outcomes.record_delivery(org_code, {"status": "succeeded", "day": "2026-11-27",
                                                "people": 400, "file": "VISH_TST-1_20261127_001.csv"})
    assert run_tick(service)[0].status == "held"
    sng.faults.deny_write = True
    released = release_via_queue(service, org_code, "klopt", service.outcomes.latest(
        org_code, "delivery")["sha256"])
    assert (released.status, released.error_kind) == ("failed", "permission")
    sng.faults.deny_write = False
    [sent] = run_tick(service)  # the person's decision stands: no second release needed
    assert sent.status == "succeeded" and list(finals(sng)) == [FILE]
    service.now = lambda: AFTER_SEND + timedelta(days=1)
    service.outcomes.record_delivery(org_code, {"status": "succeeded", "day": "2026-11-28",
                                                "people": 400, "file": FILE})
    assert run_tick(service)[0].status == "held"  # but only for that day


def test_a_release_without_a_held_delivery_is_refused(settings, org_code, sng, monkeypatch, azurite):
    from shared.usecases.delivery import NothingHeld

    service = make_service(settings, org_code, sng, monkeypatch)
    with pytest.raises(NothingHeld):
        service.release_held(org_code, "x", "0" * 64)


def test_nothing_in_the_fault_rows_names_a_person(settings, org_code, sng, monkeypatch, azurite):
    """Every row this suite's faults write holds kinds, sizes, names of files and counts only."""
    service = make_service(settings, org_code, sng, monkeypatch)
    data = accept_extract(service, azurite, org_code)
    sng.faults.take_away, sng.faults.cuts_on_rename_left = True, 1
    deliver_via_queue(service, org_code, DAY, reason="t")
    rows = service.outcomes.history(org_code, limit=100)
    text = repr(rows) + repr(service.outcomes.latest(org_code, "delivery_success"))
    for line in data.decode().splitlines()[1:]:
        fields = line.split(";")
        assert fields[0] not in text  # the BSN
        assert not any(len(f) > 3 and f.isalpha() and f in text for f in fields)  # names


def test_the_day_is_local(settings, org_code, sng, monkeypatch, azurite):
    """23:30 UTC on 28 November is 00:30 on the 29th in Amsterdam: a manual delivery then is
    the 29th's (and the 28th's success stays)."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    run_tick(service)
    service.now = lambda: datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert run_tick(service) == []  # the 29th's send time (06:00) has not come


def test_vish_deliver_holds_and_releases_through_the_same_path(settings, org_code, sng, monkeypatch,
                                                               azurite, capsys):
    import json

    from shared.adapters.secrets import env_name
    from shared.cli import main

    service = make_service(settings, org_code, sng, monkeypatch)
    monkeypatch.setenv(env_name("sng-key"), sng.client_private_key)
    accept_extract(service, azurite, org_code)
    assert main(["deliver", "--org", org_code, "--release", "0" * 12, "--reason", "x"]) == 2
    assert "geen tegengehouden levering" in capsys.readouterr().err  # nothing held
    service.outcomes.record_delivery(org_code, {"status": "succeeded", "day": "2000-01-01",
                                                "people": 4000, "file": "VISH_TST-1_20000101_001.csv"})
    assert main(["deliver", "--org", org_code]) == 1
    out = capsys.readouterr().out
    assert "TEGENGEHOUDEN" in out and "geef het vrij met --release" in out and sng.files() == {}
    held = service.outcomes.latest(org_code, "delivery")
    assert main(["deliver", "--org", org_code, "--release", held["sha256"][:12]]) == 2  # no reason
    assert main(["deliver", "--org", org_code, "--release", "  ", "--reason", "x"]) == 2  # no file named
    assert main(["deliver", "--org", org_code, "--release", "0" * 12, "--reason", "x"]) == 2
    assert "niet bij het bestand" in capsys.readouterr().err
    assert main(["deliver", "--org", org_code, "--release", held["sha256"][:12], "--reason",
                 "gecontroleerd", "--json"]) == 0
    sent = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert sent["status"] == "succeeded" and list(finals(sng)) == [sent["file"]]
    assert service.outcomes.latest(org_code, "manual")["action"] == "release_delivery"


# -- at the causes a hostile review found -------------------------------------------------------
def test_a_later_day_delivered_by_hand_never_makes_the_schedule_send_again(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    # by hand, directly (the queue's consumer refuses a day ahead of its clock)
    ahead = service.deliver(org_code, DAY + timedelta(days=1), reason="vooruit")
    assert ahead.status == "succeeded"
    assert run_tick(service) == [] and run_tick(service) == []  # today is covered by the later day
    assert len(seen(sng, "open_write")) == 1
    skipped = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (skipped.status, skipped.reason) == ("skipped", "already_delivered")


def test_vish_deliver_refuses_a_future_date_unless_dry_run(settings, org_code, sng, monkeypatch,
                                                          azurite, capsys):
    from shared.adapters.secrets import env_name
    from shared.cli import main
    from shared.clock import local_today

    service = make_service(settings, org_code, sng, monkeypatch)
    monkeypatch.setenv(env_name("sng-key"), sng.client_private_key)
    accept_extract(service, azurite, org_code)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert main(["deliver", "--org", org_code, "--date", tomorrow]) == 2
    assert "toekomst" in capsys.readouterr().err and sng.files() == {}
    assert main(["deliver", "--org", org_code, "--date", tomorrow, "--dry-run"]) == 0


def test_a_manual_delivery_of_an_earlier_day_takes_the_next_number_of_that_day(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    yesterday = DAY - timedelta(days=1)
    first = deliver_via_queue(service, org_code, yesterday, reason="gisteren")
    assert first.file.endswith("20261127_001.csv")
    run_tick(service)  # today's file
    again = deliver_via_queue(service, org_code, yesterday, reason="gisteren opnieuw", manual=True)
    assert again.file.endswith("20261127_002.csv")  # never the same name twice
    assert len(finals(sng)) == 3


def test_an_intent_another_instance_wrote_is_never_overwritten(settings, org_code, sng, monkeypatch,
                                                              azurite):
    """A stale instance's intent write lands during this delivery: the intent is not replaced
    (its owner could not clear ours), this delivery stops before the rename and removes its own
    temporary file; the next delivery settles the other one's intent."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    put_intent = service.outcomes.put_intent
    foreign = {"status": "renaming", "day": "2026-11-28", "file": FILE, "size": 5,
               "sha256": "0" * 64, "temp": f".{FILE}.aaaaaaaaaaaa.part"}

    def other_first(org, fields, *args, **kwargs):
        put_intent(org, foreign)
        return put_intent(org, fields, *args, **kwargs)

    monkeypatch.setattr(service.outcomes, "put_intent", other_first)
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind) == ("failed", "lease_lost")
    assert service.outcomes.intent(org_code)["temp"] == foreign["temp"]  # untouched
    assert sng.files() == {} and seen(sng, "rename") == []


@pytest.mark.parametrize("read_back", [True, False])
def test_an_intent_write_whose_answer_is_lost_never_loses_the_day(settings, org_code, sng,
                                                                 monkeypatch, azurite, read_back):
    """The intent was written but its answer lost. Read back, it is ours: the delivery goes on.
    Not readable either: the intent and the temporary file both stay, and the next delivery
    renames that file (it was verified) instead of recording a file that never arrived as sent."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    put_intent = service.outcomes.put_intent
    intent_etag = service.outcomes.intent_etag
    lost = []

    def committed_but_lost(*args, **kwargs):
        put_intent(*args, **kwargs)
        lost.append(True)
        raise ServiceRequestError("answer lost")

    def unreadable_after_the_loss(*args, **kwargs):
        if lost and not read_back:
            raise ServiceRequestError("storage unreachable")
        return intent_etag(*args, **kwargs)

    monkeypatch.setattr(service.outcomes, "put_intent", committed_but_lost)
    monkeypatch.setattr(service.outcomes, "intent_etag", unreadable_after_the_loss)
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    if read_back:
        assert outcome.status == "succeeded" and service.outcomes.intent(org_code) is None
        assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []
        return
    assert (outcome.status, outcome.error_kind) == ("failed", "storage")
    assert seen(sng, "rename") == []
    assert service.outcomes.intent(org_code) is not None and len(temps(sng)) == 1
    monkeypatch.setattr(service.outcomes, "put_intent", put_intent)
    lost.clear()
    settled = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert settled.status == "succeeded" and len(seen(sng, "open_write")) == 1
    assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []


def test_a_write_failing_in_the_middle_never_leaves_a_hole_under_the_final_name(
        settings, org_code, sng, monkeypatch, azurite):
    """One write of the upload fails and the later ones succeed: the file has the right size
    with zeros in it. The answer to every write is awaited, so the attempt fails and is tried
    again; the final file is the archived bytes."""
    service = make_service(settings, org_code, sng, monkeypatch, attempts=2)
    accept_extract(service, azurite, org_code, rows=2000)  # ~80 kB: three writes or more
    sng.faults.fail_write_at = 32768
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.attempts) == ("succeeded", 2)
    assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []


def test_an_intent_whose_rename_the_server_refuses_is_cleared_and_the_day_delivered_anew(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    temp = f".{FILE}.bbbbbbbbbbbb.part"
    (sng.root / temp).write_bytes(b"12345")
    service.outcomes.put_intent(org_code, {"status": "renaming", "day": "2026-11-28", "file": FILE,
                                           "size": 5, "sha256": "0" * 64, "temp": temp})
    sng.faults.deny_rename = True
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (outcome.status, outcome.error_kind) == ("failed", "rename")
    assert service.outcomes.intent(org_code) is None and sng.files() == {}
    sng.faults.deny_rename = False
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "succeeded"
    assert finals(sng) == {FILE: archived(service, org_code, FILE)}


def test_a_connection_dropped_while_settling_is_a_transfer_failure_and_the_intent_waits(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").error_kind == "storage"
    sng.faults.cuts_on_final_stat_left = 1
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert (outcome.status, outcome.error_kind) == ("failed", "transfer")
    assert service.outcomes.intent(org_code) is not None
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "succeeded"
    assert len(seen(sng, "open_write")) == 1


def test_without_posix_rename_the_plain_rename_is_used_and_fenced_again(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    sng.faults.no_posix_rename = True
    from shared.adapters.lease import LeaseKeeper

    confirms = []
    confirm = LeaseKeeper.confirm
    monkeypatch.setattr(LeaseKeeper, "confirm", lambda self, margin: (confirms.append(margin),
                                                                     confirm(self, margin)))
    assert deliver_via_queue(service, org_code, DAY, reason="t").status == "succeeded"
    assert list(finals(sng)) == [FILE] and len(confirms) == 2  # before each rename request


def test_an_operators_reason_is_masked_in_every_delivery_row(settings, org_code, sng, monkeypatch,
                                                            azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    deliver_via_queue(service, org_code, DAY, reason="client 123456782 belde")
    deliver_via_queue(service, org_code, DAY, reason="opnieuw voor 123456782", manual=True)
    rows = service.outcomes.history(org_code, limit=50)
    rows += [service.outcomes.latest(org_code, k) for k in ("delivery", "delivery_success", "manual")]
    assert rows and "123456782" not in repr(rows)


def test_a_release_is_for_the_file_that_was_checked(settings, org_code, sng, monkeypatch, azurite):
    """A new extract came in after the hold: its file is not the one a person checked, so the
    release does not send it; it is held again."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code, rows=40)
    service.outcomes.record_delivery(org_code, {"status": "succeeded", "day": "2026-11-27",
                                                "people": 400, "file": "VISH_TST-1_20261127_001.csv"})
    first = run_tick(service)[0]
    assert first.status == "held"
    accept_extract(service, azurite, org_code, rows=39)  # another file for the same day
    # the person checked the first file; a tick holds the second meanwhile
    second = run_tick(service)[0]
    assert second.status == "held" and second.sha256 != first.sha256
    with pytest.raises(NotTheHeldFile):
        service.release_held(org_code, "het eerste bestand klopte", first.sha256)
    assert sng.files() == {} and statuses(service, org_code).count("held") == 2
    # a release of the held file that then finds another file built holds that one again
    released = release_via_queue(service, org_code, "klopt", second.sha256)
    assert released.status == "succeeded"  # the same file: sent


@pytest.mark.parametrize("lost_as", ["conflict", "timeout"])
def test_a_success_whose_answer_was_lost_is_not_recorded_as_failed(settings, org_code, sng,
                                                                  monkeypatch, azurite, lost_as):
    """The success transaction committed, but its answer was lost: as the SDK's retry meeting
    its own rows (a transaction error), or as a read timeout. Recognised by its history row."""
    from azure.core.exceptions import ServiceResponseError
    from azure.data.tables import TableTransactionError

    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    table = service.outcomes.table
    submit = table.submit_transaction
    state = {"lost": False}

    def committed_then_lost(operations, **kwargs):
        result = submit(operations, **kwargs)
        if not state["lost"] and any(op[1].get("RowKey") == "latest-delivery_success"
                                     for op in operations):
            state["lost"] = True
            if lost_as == "conflict":
                raise TableTransactionError(message="The specified entity already exists.")
            raise ServiceResponseError("read timed out")
        return result

    monkeypatch.setattr(table, "submit_transaction", committed_then_lost)
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "succeeded"
    assert statuses(service, org_code) == ["succeeded"] and word(service) == "ok"


def test_the_lease_is_counted_from_its_request_not_its_answer(settings, org_code, sng, monkeypatch,
                                                             azurite):
    from shared.adapters.lease import LeaseKeeper

    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    acquire = service.blobs.acquire_lease

    def slow_answer(*args, **kwargs):
        lease = acquire(*args, **kwargs)
        time.sleep(1.0)  # the answer takes a second to arrive
        return lease

    seen_left = []
    enter = LeaseKeeper.__enter__
    monkeypatch.setattr(service.blobs, "acquire_lease", slow_answer)
    monkeypatch.setattr(LeaseKeeper, "__enter__", lambda self: (seen_left.append(self.remaining()),
                                                                enter(self))[1])
    assert deliver_via_queue(service, org_code, DAY, reason="t").status == "succeeded"
    assert seen_left and seen_left[0] <= service.lease_seconds - 1.0


# -- at the causes a second review found ---------------------------------------------------------
def test_an_intent_whose_write_was_retried_into_our_own_row_is_ours(settings, org_code, sng,
                                                                   monkeypatch, azurite):
    """The intent write committed, its answer was a timeout and the SDK's retry met our own row
    (409): read back, it names our temporary file, so the delivery goes on."""
    from shared.adapters.outcomes import IntentOpen

    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    put_intent = service.outcomes.put_intent

    def committed_then_409(*args, **kwargs):
        put_intent(*args, **kwargs)
        raise IntentOpen("another delivery's intent is open")

    monkeypatch.setattr(service.outcomes, "put_intent", committed_then_409)
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert outcome.status == "succeeded" and service.outcomes.intent(org_code) is None
    assert finals(sng) == {FILE: archived(service, org_code, FILE)} and temps(sng) == []


def test_a_stalled_instances_late_success_write_leaves_the_next_deliverys_intent_alone(
        settings, org_code, sng, monkeypatch, azurite):
    """A renames its file, then stalls before its success write; its lease runs out. B (a
    manual re-delivery) takes over, settles A's intent (A's file is there: recorded once) and
    sends _002; B's rename answer is lost. A wakes: its intent was settled by B, so it records
    nothing, and B's intent is still there for B to settle: _002 is recorded."""
    from azure.storage.blob import BlobLeaseClient

    a = make_service(settings, org_code, sng, monkeypatch)
    b = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(a, azurite, org_code)
    a_record = a.outcomes.record_delivery
    b_put = b.outcomes.put_intent
    results = {}

    def b_put_intent(org, fields, *args, **kwargs):
        etag = b_put(org, fields, *args, **kwargs)
        a_record(org, results["a_fields"], **results["a_kwargs"])  # A wakes up now
        sng.faults.cuts_on_rename_left = 1  # B's rename happens, its answer is lost
        return etag

    def a_stalls(org, fields, **kwargs):
        results["a_fields"], results["a_kwargs"] = fields, kwargs
        BlobLeaseClient(a.blobs.client(a.settings.locks_container, f"{org}.lock")).break_lease(
            lease_break_period=0)  # A's lease runs out while it stalls
        monkeypatch.setattr(b.outcomes, "put_intent", b_put_intent)
        results["b"] = b.deliver(org, DAY, reason="SNG mist het bestand", manual=True)

    monkeypatch.setattr(a.outcomes, "record_delivery", a_stalls)
    results["a"] = a.deliver(org_code, DAY, reason="schedule")
    assert results["b"].status == "succeeded" and results["b"].file.endswith("_002.csv")
    assert sorted(finals(sng)) == [FILE, "VISH_TST-1_20261128_002.csv"]
    rows = [r for r in a.outcomes.history(org_code, kind="delivery") if r["status"] == "succeeded"]
    assert sorted(r["file"] for r in rows) == [FILE, "VISH_TST-1_20261128_002.csv"]  # once each
    assert [r["action"] for r in a.outcomes.history(org_code, kind="manual")] == ["redeliver"]
    assert a.outcomes.intent(org_code) is None
    again = b.deliver(org_code, DAY, reason="nog eens", manual=True)
    assert again.file.endswith("_003.csv")  # never the name of a file already sent


def test_a_slow_first_rename_that_lands_during_the_settle_is_found_not_sent_again(
        settings, org_code, sng, monkeypatch, azurite):
    """The first rename times out on the client and reaches the server late, just before the
    settle's own rename, which then fails: the final name is looked at again."""
    service = make_service(settings, org_code, sng, monkeypatch)
    service.lease_seconds = 15  # one SFTP request: at most 5 s
    accept_extract(service, azurite, org_code)
    sng.faults.rename_delay = 8

    def flip():
        while not seen(sng, "rename"):
            time.sleep(0.01)
        time.sleep(0.5)
        sng.faults.rename_delay = 4  # the settle's rename is answered within its 5 s

    threading.Thread(target=flip, daemon=True).start()
    outcome = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert outcome.status == "succeeded" and list(finals(sng)) == [FILE]
    sng.faults.rename_delay = 0
    assert run_tick(service) == [] and len(seen(sng, "open_write")) == 1


def test_unconfirmed_stays_shown_after_later_days_until_a_person_confirms_it(
        settings, org_code, sng, monkeypatch, azurite, capsys):
    from shared.adapters.secrets import env_name
    from shared.cli import main

    service = make_service(settings, org_code, sng, monkeypatch)
    monkeypatch.setenv(env_name("sng-key"), sng.client_private_key)
    accept_extract(service, azurite, org_code)
    sng.faults.take_away, sng.faults.cuts_on_rename_left = True, 1
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "unconfirmed"
    sng.faults.take_away = False
    next_day = AFTER_SEND + timedelta(days=1)
    service.now = lambda: next_day
    assert run_tick(service)[0].status == "succeeded"
    assert word(service, next_day) == "unconfirmed"  # nobody acted yet
    assert main(["deliver", "--org", org_code, "--confirm"]) == 2  # a reason is required
    assert main(["deliver", "--org", org_code, "--confirm", "--reason", "SNG bevestigt"]) == 0
    assert word(service, next_day) == "ok"
    action = service.outcomes.latest(org_code, "manual")
    assert (action["action"], action["day"]) == ("confirm_delivery", "2026-11-28")
    assert main(["deliver", "--org", org_code, "--confirm", "--reason", "x"]) == 2  # nothing open


def test_an_intent_left_open_on_a_done_day_is_settled_by_the_next_tick(settings, org_code, sng,
                                                                      monkeypatch, azurite):
    """A --force re-delivery crashed after asking for its rename, on a day already delivered:
    the next tick settles it (not only tomorrow's), and an unconfirmed result is shown."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    run_tick(service)
    temp = ".VISH_TST-1_20261128_002.csv.cccccccccccc.part"
    service.outcomes.put_intent(org_code, {"status": "renaming", "day": "2026-11-28", "manual": True,
                                           "file": "VISH_TST-1_20261128_002.csv", "size": 5,
                                           "sha256": "0" * 64, "temp": temp, "sequence": 2})
    [settled] = run_tick(service)
    assert (settled.status, settled.error_kind) == ("unconfirmed", "not_found")
    assert service.outcomes.intent(org_code) is None
    assert word(service) == "unconfirmed"
    assert len(seen(sng, "open_write")) == 1  # nothing sent again


class _OutOfOrderChannel:
    """A fake SFTP channel that answers every write OK, each pair of write answers swapped (the
    protocol allows any order)."""

    def __init__(self, answers_wait: bool = False) -> None:
        self.inbuf, self.out, self.held, self.writes = b"", b"", None, 0
        self.answers_wait = answers_wait  # nothing reads as ready: all answers at the end

    @staticmethod
    def _packet(kind: int, payload: bytes) -> bytes:
        import struct

        return struct.pack(">IB", len(payload) + 1, kind) + payload

    def send(self, data: bytes) -> int:
        import struct

        self.inbuf += data
        while len(self.inbuf) >= 5:
            size = struct.unpack(">I", self.inbuf[:4])[0]
            if len(self.inbuf) < 4 + size:
                break
            kind, body = self.inbuf[4], self.inbuf[5:4 + size]
            self.inbuf = self.inbuf[4 + size:]
            if kind == 1:  # INIT
                self.out += self._packet(2, struct.pack(">I", 3))
                continue
            rid = body[:4]
            ok = rid + struct.pack(">III", 0, 0, 0)
            if kind == 3:  # OPEN
                self.out += self._packet(102, rid + struct.pack(">I", 1) + b"h")
            elif kind == 6:  # WRITE
                self.writes += 1
                if self.held is None:
                    self.held = self._packet(101, ok)
                else:
                    self.out += self._packet(101, ok) + self.held
                    self.held = None
            else:
                self.out += self._packet(101, ok)
        return len(data)

    def recv_ready(self) -> bool:
        return bool(self.out) and not self.answers_wait

    def recv(self, n: int) -> bytes:

        if not self.out:
            raise TimeoutError("timed out")
        data, self.out = self.out[:n], self.out[n:]
        return data

    def close(self) -> None:
        pass

    def get_name(self) -> str:
        return "fake"


@pytest.mark.parametrize("answers_wait", [False, True])
def test_write_answers_in_any_order_are_all_collected(answers_wait):
    """Answers read as they come during the writes, or all after the last write."""
    import paramiko

    from shared.adapters.sftp import UploadGuard, _write_all

    channel = _OutOfOrderChannel(answers_wait)
    _write_all(paramiko.SFTPClient(channel), "/x.part", b"a" * (32768 * 4), UploadGuard())
    assert channel.writes == 4


# -- at the causes a third review found ----------------------------------------------------------
def test_an_intent_settled_after_midnight_sends_nothing_for_the_new_day_before_its_time(
        settings, org_code, sng, monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "failed"  # intent left open
    service.now = lambda: datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th
    [settled] = run_tick(service)
    assert (settled.day, settled.status) == ("2026-11-28", "succeeded")
    assert list(finals(sng)) == [FILE]  # the 29th's file waits for 06:00
    service.now = lambda: datetime(2026, 11, 29, 5, 30, tzinfo=UTC)  # 06:30 on the 29th
    assert run_tick(service)[0].file == "VISH_TST-1_20261129_001.csv"


def test_every_unconfirmed_day_stays_shown_until_each_is_confirmed(settings, org_code, sng,
                                                                  monkeypatch, azurite):
    from shared.usecases.delivery import SeveralUnconfirmed

    service = make_service(settings, org_code, sng, monkeypatch)
    base = {"status": "unconfirmed", "error_kind": "not_found", "reconciled": True, "size": 10,
            "sha256": "a" * 64, "sequence": 1}
    for day in ("2026-11-27", "2026-11-28"):
        service.outcomes.record_delivery(org_code, {**base, "day": day,
                                                    "file": f"VISH_TST-1_{day.replace('-', '')}_001.csv"})
    with pytest.raises(SeveralUnconfirmed):
        service.confirm_unconfirmed(org_code, "SNG heeft het")  # which one?
    assert service.confirm_unconfirmed(org_code, "SNG heeft 28-11", DAY) == "2026-11-28"
    assert [row["day"] for row in service.outcomes.unconfirmed(org_code)] == ["2026-11-27"]
    status = StatusService(service.settings, service.organisations, service.outcomes,
                           now=lambda: AFTER_SEND).overview()["organisations"][0]
    assert status["health"] == "unconfirmed" and "27-11-2026" in status["reason"]
    assert service.confirm_unconfirmed(org_code, "ook 27-11") == "2026-11-27"
    assert service.outcomes.unconfirmed(org_code) == []


class _ClosingFails:
    """An SFTP session whose writes succeed but whose answer to CLOSE is an error (a quota or a
    failed commit that some servers report only then), with paramiko's own SFTPFile."""

    class _Channel:
        def recv_ready(self) -> bool:
            return False

    sock = _Channel()

    def __init__(self) -> None:
        self.pending: list = []

    def _log(self, *args) -> None:
        pass

    def open(self, path, mode):
        import paramiko

        return paramiko.SFTPFile(self, b"h", mode)

    def _async_request(self, fileobj, kind, *args):
        self.pending.append(fileobj)
        return len(self.pending)

    def _read_response(self, waitfor=None):
        from paramiko.message import Message
        from paramiko.sftp import CMD_STATUS, SFTP_OK

        fileobj = self.pending.pop(0)
        message = Message()
        message.add_int(SFTP_OK)
        message.add_string("ok")
        message.rewind()
        fileobj._async_response(CMD_STATUS, message, len(self.pending) + 1)
        return None, None

    def _request(self, kind, *args):
        raise OSError("Failure: quota exceeded while committing the file")


def test_an_error_answer_to_close_fails_the_write():
    from shared.adapters.sftp import UploadGuard, _write_all

    with pytest.raises(OSError, match="quota exceeded"):
        _write_all(_ClosingFails(), "/x/.f.part", b"x" * 100, UploadGuard())


def test_a_write_error_in_another_encoding_is_still_a_server_answer():
    from paramiko.message import Message
    from paramiko.sftp import CMD_STATUS

    from shared.adapters.sftp import _WriteAnswers

    answers = _WriteAnswers()
    answers.sent.add(1)
    message = Message()
    message.add_int(4)  # FX_FAILURE
    message.add_string("Disque plein: plus d'espace libre \xe9".encode("latin-1"))
    message.rewind()
    answers._async_response(CMD_STATUS, message, 1)
    with pytest.raises(OSError, match="Disque plein"):
        answers.raise_first()


def test_an_instance_that_lost_its_lease_leaves_the_holders_temporary_file_alone(
        settings, org_code, sng, monkeypatch, azurite):
    """A's fence finds its lease gone after its intent was written. B takes the lease and is
    about to rename A's verified file (settling A's intent) while A stops: A touches nothing (no
    intent removed, no file removed), so B renames A's file and records it. One file."""
    from azure.storage.blob import BlobLeaseClient

    from shared.adapters.lease import LeaseKeeper, LeaseLost

    a = make_service(settings, org_code, sng, monkeypatch)
    b = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(a, azurite, org_code)
    confirm = LeaseKeeper.confirm
    b_at_fence, a_done = threading.Event(), threading.Event()
    results = {}

    def fences(self, margin):
        if threading.current_thread().name == "B":
            b_at_fence.set()
            assert a_done.wait(20)  # B renames only once A has stopped and cleaned up
            return confirm(self, margin)
        lock = a.blobs.client(a.settings.locks_container, f"{org_code}.lock")
        BlobLeaseClient(lock).break_lease(lease_break_period=0)  # A's lease is gone
        runner = threading.Thread(name="B", target=lambda: results.setdefault(
            "b", b.deliver(org_code, DAY, reason="schedule")))
        results["runner"] = runner
        runner.start()
        assert b_at_fence.wait(20)  # B has found A's intent and its file
        raise LeaseLost("ran out")

    monkeypatch.setattr(LeaseKeeper, "confirm", fences)
    a_outcome = a.deliver(org_code, DAY, reason="schedule")
    a_done.set()
    results["runner"].join(30)
    assert (a_outcome.status, a_outcome.error_kind) == ("failed", "lease_lost")
    assert (results["b"].status, results["b"].file) == ("succeeded", FILE)
    assert finals(sng) == {FILE: archived(a, org_code, FILE)} and temps(sng) == []
    assert len(seen(sng, "open_write")) == 1  # A's upload, renamed by B
    assert a.outcomes.intent(org_code) is None and word(a) == "ok"


# -- at the causes a fourth review found ---------------------------------------------------------
LATE_TEMP = f".{FILE}.aaaaaaaaaaaa.part"


def late_intent_of_a_loser(service, org: str) -> None:
    """The state after the slow-step race: the holder delivered and recorded FILE; the loser's
    late intent (the same file and bytes, its own temporary name) is open."""
    from shared.adapters.outcomes import DeliveryRecord

    success = service.outcomes.latest(org, "delivery_success")
    fields = {k: success[k] for k in DeliveryRecord.model_fields if success.get(k) is not None}
    service.outcomes.put_intent(org, {**fields, "status": "renaming", "temp": LATE_TEMP, "reason": "a"})


@pytest.mark.parametrize("temp_survived", [False, True])
def test_a_late_intent_for_a_recorded_file_is_never_settled_again_after_sng_took_it(
        settings, org_code, sng, monkeypatch, azurite, temp_survived):
    """SNG collected the delivered file before the loser's late intent is settled: the file is
    recorded, so nothing is looked at, renamed or recorded again (neither an unconfirmed day
    nor a second copy for SNG); the loser's temporary copy goes."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    assert deliver_via_queue(service, org_code, DAY, reason="b").status == "succeeded"
    late_intent_of_a_loser(service, org_code)
    if temp_survived:
        (sng.root / LATE_TEMP).write_bytes(archived(service, org_code, FILE))
    (sng.root / FILE).unlink()  # SNG's side collected it
    [settled] = run_tick(service)
    assert (settled.status, settled.reason) == ("skipped", "already_recorded")
    assert sng.files() == {} and len(seen(sng, "rename")) == 1  # the holder's only
    assert statuses(service, org_code) == ["succeeded"] and service.outcomes.unconfirmed(org_code) == []
    assert service.outcomes.intent(org_code) is None and word(service) == "ok"


def test_a_temporary_copy_beside_the_final_file_is_removed_when_settling(settings, org_code, sng,
                                                                        monkeypatch, azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    temp = f".{FILE}.dddddddddddd.part"
    (sng.root / FILE).write_bytes(b"12345")
    (sng.root / temp).write_bytes(b"12345")
    service.outcomes.put_intent(org_code, {"status": "renaming", "day": "2026-11-28", "file": FILE,
                                           "size": 5, "sha256": "0" * 64, "temp": temp})
    settled = deliver_via_queue(service, org_code, DAY, reason="schedule")
    assert settled.status == "succeeded" and sng.files() == {FILE: b"12345"}


def test_a_settle_only_failure_is_recorded_for_the_intents_day(settings, org_code, sng, monkeypatch,
                                                              azurite):
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    monkeypatch.setattr(service.outcomes, "record_delivery", FailOnce(service.outcomes.record_delivery))
    assert deliver_via_queue(service, org_code, DAY, reason="schedule").status == "failed"
    sng.stop()
    service.now = lambda: datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th
    [failed] = run_tick(service)
    assert (failed.day, failed.status, failed.error_kind) == ("2026-11-28", "failed", "connect")
    assert service.outcomes.latest(org_code, "delivery")["day"] == "2026-11-28"


class _StrictSession(_ClosingFails):
    """Like the session above, but the answer to CLOSE goes through paramiko's own status
    reading, worded in Latin-1 (paramiko decodes it strictly as UTF-8)."""

    def __init__(self, text: bytes) -> None:
        super().__init__()
        self.text, self.closes = text, 0

    def _request(self, kind, *args):
        import paramiko
        from paramiko.message import Message

        self.closes += 1
        message = Message()
        message.add_int(4)
        message.add_string(self.text)
        message.rewind()
        paramiko.SFTPClient._convert_status(self, message)


def test_a_close_refused_in_another_encoding_is_still_an_oserror_and_sent_once():
    import gc

    from shared.adapters.sftp import UploadGuard, _write_all

    session = _StrictSession("Quota dépassé".encode("latin-1"))
    with pytest.raises(OSError, match="close"):
        _write_all(session, "/x.part", b"x" * 100, UploadGuard())
    gc.collect()  # paramiko's SFTPFile.__del__ must not close the handle a second time
    assert session.closes == 1
