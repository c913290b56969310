"""The delivery against a misbehaving SFTP server: what the server ends up holding, what it saw
the client do, what the outcome table says and how long the delivery waited between attempts.

Real parts: Azurite (snapshot, outbox, outcomes, the lease) and the asyncssh test server on
loopback with its faults; only the delivery's ``sleep`` is replaced, to record the backoff.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from devtools.sftp_testserver import SftpTestServer
from tests.helpers import deliver_via_queue
from tests.test_delivery_sftp import DAY, accept_extract, make_service

pytestmark = pytest.mark.integration
FILE = "VISH_TST-1_20261128_001.csv"
TEMP = f".{FILE}.part"  # the temporary name of the code before unique names: a leftover


def is_temp(name: str) -> bool:
    """This delivery's own temporary name: ``.{FILE}.{token}.part``."""
    return re.fullmatch(rf"\.{re.escape(FILE)}\.[0-9a-f]{{12}}\.part", name) is not None


@pytest.fixture
def sng(tmp_path):
    with SftpTestServer(tmp_path / "sng") as server:
        yield server


def seen(server: SftpTestServer, op: str) -> list[str]:
    """The paths (file names) of the server's events of kind ``op``, in order."""
    return [path.rsplit("/", 1)[-1] for kind, path in server.events if kind == op]


def waiting_service(settings, org_code, sng, monkeypatch, azurite, rows=40, **sftp):
    """A delivery service for ``sng`` whose sleep records the waits asked of it, with an
    accepted extract of ``rows`` rows."""
    service = make_service(settings, org_code, sng, monkeypatch, **sftp)
    waits: list[float] = []
    service.sleep = waits.append
    accept_extract(service, azurite, org_code, rows=rows)
    return service, waits


# -- retries: exactly the configured attempts, exponential backoff --------------------------------
def test_an_always_dropped_connection_is_tried_exactly_attempts_times_with_doubling_waits(
        settings, org_code, sng, monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, attempts=4, backoff_seconds=0.25)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 2000, 99  # every upload is cut
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "transfer", 4)
    opened = seen(sng, "open_write")
    assert len(seen(sng, "connect")) == 4 and len(opened) == 4 and len(set(opened)) == 1
    assert is_temp(opened[0])
    assert waits == [0.25, 0.5, 1.0]  # b, 2b, 4b: one fewer than the attempts
    latest = service.outcomes.latest(org_code, "delivery")
    assert (latest["status"], latest["error_kind"], latest["attempts"]) == ("failed", "transfer", 4)
    assert FILE not in sng.files()
    assert service.outcomes.latest(org_code, "delivery_success") is None


def test_the_default_three_attempts_wait_two_then_four_seconds(settings, org_code, sng, monkeypatch,
                                                               azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, backoff_seconds=2)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 2000, 99
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.attempts) == ("failed", 3)
    assert len(seen(sng, "connect")) == 3 and waits == [2, 4]


def test_a_single_configured_attempt_is_never_retried(settings, org_code, sng, monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, attempts=1, backoff_seconds=5)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 2000, 99
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "transfer", 1)
    assert len(seen(sng, "connect")) == 1 and waits == []


def test_a_server_that_is_down_is_tried_attempts_times(settings, org_code, sng, monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     port=1, attempts=3, backoff_seconds=1)
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "connect", 3)
    assert waits == [1, 2]
    assert service.outcomes.latest(org_code, "delivery")["attempts"] == 3


def test_one_cut_costs_one_more_attempt_and_one_wait(settings, org_code, sng, monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, attempts=5, backoff_seconds=3)
    sng.faults.cut_after_bytes, sng.faults.cuts_left = 2000, 1
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.attempts) == ("succeeded", 2)
    assert len(seen(sng, "connect")) == 2 and waits == [3]
    assert service.outcomes.latest(org_code, "delivery_success")["attempts"] == 2


def test_refused_writes_are_not_retried_and_not_waited_for(settings, org_code, sng, monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     attempts=4, backoff_seconds=1)
    sng.faults.deny_write = True
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "permission", 1)
    assert len(seen(sng, "connect")) == 1 and waits == []


# -- the size check --------------------------------------------------------------------------------
def test_a_server_that_loses_the_end_of_the_file_once_gets_it_again(settings, org_code, sng,
                                                                    monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, backoff_seconds=1)
    sng.faults.drop_tail_bytes, sng.faults.drops_left = 100, 1
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.attempts) == ("succeeded", 2)
    archived = service.blobs.read_bytes("outbox", f"{org_code}/2026-11-28/{FILE}")
    assert sng.files() == {FILE: archived} and len(archived) == outcome.size
    assert waits == [1]
    assert seen(sng, "rename") == [FILE]  # renamed once: only the complete copy


def test_a_server_that_always_loses_the_end_never_gets_a_final_file(settings, org_code, sng,
                                                                    monkeypatch, azurite):
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, attempts=3, backoff_seconds=1)
    sng.faults.drop_tail_bytes, sng.faults.drops_left = 1, 99  # one byte short, every time
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "verify", 3)
    assert FILE not in sng.files() and seen(sng, "rename") == []
    assert waits == [1, 2]
    latest = service.outcomes.latest(org_code, "delivery")
    assert (latest["status"], latest["error_kind"]) == ("failed", "verify")
    assert service.outcomes.latest(org_code, "delivery_success") is None


# -- a leftover temporary file ------------------------------------------------------------------
def test_a_leftover_temporary_file_is_removed_before_the_upload(settings, org_code, sng, monkeypatch,
                                                               azurite):
    """A write-once server (many are) refuses to open an existing file for writing: the leftover
    of a broken attempt must go first, or every later delivery of the day fails."""
    service = make_service(settings, org_code, sng, monkeypatch)
    accept_extract(service, azurite, org_code)
    (sng.root / TEMP).write_bytes(b"x" * 1_000_000)  # bigger than the new file
    sng.faults.refuse_overwrite = True
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert outcome.status == "succeeded" and outcome.attempts == 1
    archived = service.blobs.read_bytes("outbox", f"{org_code}/2026-11-28/{FILE}")
    assert sng.files() == {FILE: archived}
    ops = [(kind, path.rsplit("/", 1)[-1]) for kind, path in sng.events if kind != "connect"]
    assert ops[0] == ("remove", TEMP) and ops[1][0] == "open_write" and is_temp(ops[1][1])


# -- the lease outlives a long upload ----------------------------------------------------------------
def test_the_lease_stays_ours_through_an_upload_longer_than_the_lease(settings, org_code, tmp_path,
                                                                       monkeypatch, azurite):
    """15 s lease (the shortest Azure grants), an upload of ~20 s to a slow server: the delivery
    renews the lease as the upload progresses, so no other instance can take it meanwhile."""
    lease_seconds = 15
    # A one-packet SSH window keeps the client's writes (and its progress) in step with the server.
    with SftpTestServer(tmp_path / "slow", window=32768) as slow:
        service = make_service(settings, org_code, slow, monkeypatch)
        service.lease_seconds = lease_seconds
        accept_extract(service, azurite, org_code, rows=8000)  # ~330 kB: 11 writes of 32 kB
        slow.faults.write_delay = 1.8
        container, lock = service.settings.locks_container, f"{org_code}.lock"
        taken: list[float] = []
        done = threading.Event()

        def another_instance() -> None:
            while not done.is_set() and not seen(slow, "open_write"):
                time.sleep(0.05)
            while not done.is_set():
                lease = service.blobs.acquire_lease(container, lock, lease_seconds)
                if lease is not None:
                    taken.append(time.monotonic() - started)
                    lease.release()
                done.wait(0.5)

        # the moment the delivery lets its lease go: a take after it is the next instance's right
        released: list[float] = []
        acquire = service.blobs.acquire_lease

        def acquire_and_note_release(*args, **kwargs):
            lease = acquire(*args, **kwargs)
            if lease is not None and threading.current_thread() is threading.main_thread():
                release = lease.release

                def noted_release():
                    released.append(time.monotonic() - started)
                    release()

                lease.release = noted_release
            return lease

        monkeypatch.setattr(service.blobs, "acquire_lease", acquire_and_note_release)
        started = time.monotonic()
        watcher = threading.Thread(target=another_instance)
        watcher.start()
        try:
            # called directly: the lease is noted on this (main) thread, not a consumer's
            outcome = service.deliver(org_code, DAY, reason="t")
        finally:
            done.set()
            watcher.join()
        elapsed = time.monotonic() - started
        assert outcome.status == "succeeded"
        assert elapsed > lease_seconds + 2  # the upload did outlast the lease
        assert len(released) == 1
        assert [t for t in taken if t < released[0]] == []  # nobody else got it meanwhile
        # released at the end: the next instance gets it at once
        lease = service.blobs.acquire_lease(container, lock, lease_seconds)
        assert lease is not None
        lease.release()


@pytest.mark.parametrize("fault", ["cuts_on_close_left", "cuts_on_stat_left"])
def test_a_connection_dropped_after_the_last_write_is_retried(settings, org_code, sng, monkeypatch,
                                                               azurite, fault):
    """The server has every byte but drops the connection when the file is closed, or at the
    size check before the rename: a transient failure, retried; the final file appears once,
    whole."""
    service, waits = waiting_service(settings, org_code, sng, monkeypatch, azurite,
                                     rows=400, backoff_seconds=1)
    setattr(sng.faults, fault, 1)
    outcome = deliver_via_queue(service, org_code, DAY, reason="t")
    assert (outcome.status, outcome.attempts) == ("succeeded", 2) and waits == [1]
    archived = service.blobs.read_bytes(service.settings.outbox_container,
                                        f"{org_code}/{DAY.isoformat()}/{outcome.file}")
    assert sng.files()[outcome.file] == archived
    assert len(seen(sng, "rename")) == 1
