"""The lease keeper with a scripted lease and clock: what it believes about the lease is never
later than what the storage service believes, and a taken lease stays lost."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from shared.adapters.lease import LeaseKeeper, LeaseLost


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ScriptedLease:
    """renew() takes ``takes`` seconds on the clock, then does what ``answers`` says next."""

    def __init__(self, clock: Clock, *answers, takes: float = 0.0) -> None:
        self.clock, self.answers, self.takes, self.calls = clock, list(answers), takes, 0

    def renew(self) -> None:
        self.calls += 1
        self.clock.now += self.takes
        answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "down":
            raise ServiceRequestError("unreachable")
        if answer == "taken":
            error = HttpResponseError("lease id mismatch")
            error.status_code = 409
            raise error


def keeper(lease, clock, seconds=60) -> LeaseKeeper:
    return LeaseKeeper(lease, seconds, clock=clock)


def test_a_fresh_lease_is_held_for_its_whole_duration_and_no_longer():
    clock = Clock()
    k = keeper(ScriptedLease(clock), clock)
    assert k.remaining() == 60 and k.held(59.9)
    clock.now += 35
    assert k.remaining() == 25 and k.held(24.9) and not k.held(25)
    clock.now += 25
    assert not k.held() and k.remaining() == 0
    with pytest.raises(LeaseLost):
        k.check()


def test_a_renewal_counts_from_when_it_was_sent_not_when_it_returned():
    clock = Clock()
    k = keeper(ScriptedLease(clock, takes=12), clock)
    clock.now += 30
    assert k.renew() is True
    assert k.remaining() == 48  # sent at +30, answered at +42: the service's expiry is later


def test_a_storage_outage_does_not_lose_the_lease_until_it_runs_out():
    clock = Clock()
    k = keeper(ScriptedLease(clock, "down", "down", "ok"), clock)
    clock.now += 20
    assert k.renew() is False and k.held() and k.remaining() == 40
    clock.now += 20
    assert k.renew() is False and k.remaining() == 20
    assert k.renew() is True and k.remaining() == 60  # storage back in time: ours again


def test_a_lease_another_holder_took_stays_lost_even_if_storage_answers_again():
    clock = Clock()
    lease = ScriptedLease(clock, "taken", "ok")
    k = keeper(lease, clock)
    assert k.renew() is False and not k.held() and k.lost
    assert k.renew() is False and lease.calls == 1  # never asked again
    with pytest.raises(LeaseLost):
        k.confirm(margin=1)


def test_confirm_renews_and_demands_the_margin():
    clock = Clock()
    k = keeper(ScriptedLease(clock, "ok", "ok", takes=40), clock)
    clock.now += 59
    k.confirm(margin=15)  # renewed: 60 s from the send, 40 of them gone on the way
    assert k.remaining() == 20
    with pytest.raises(LeaseLost):
        k.confirm(margin=25)  # a slow renewal leaves too little for the rename


def test_the_thread_renews_every_third_of_the_lease():
    import threading

    renewed = threading.Event()
    calls = []

    class Lease:
        def renew(self):
            calls.append(1)
            if len(calls) >= 2:
                renewed.set()

    with LeaseKeeper(Lease(), 0.3):  # a third: 0.1 s
        assert renewed.wait(5)
    count = len(calls)
    renewed.wait(0.3)
    assert len(calls) == count  # stopped with the block


def test_the_lease_counts_from_when_it_was_asked_for():
    clock = Clock()
    k = LeaseKeeper(ScriptedLease(clock), 60, clock=clock, acquired_at=clock.now - 12)
    assert k.remaining() == 48  # the acquire took 12 s to answer
