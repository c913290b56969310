"""The delivery queue's consumer.

On Azure the Functions host's queue listener takes each message and calls the queue trigger
(``functions/deliver_queue.py``), which calls :func:`process` (or :func:`process_poison` for the
poison queue). ``vish deliver`` calls :func:`process` on its own request, without a queue.
Where there is no host (the demo, the tests, the benchmarks) :func:`drain` does what the host
does, with the settings of host.json: a message is hidden while it is worked on; a try that
raises makes it visible again after ``visibilityTimeout``; after ``maxDequeueCount`` tries it
moves to the poison queue, whose trigger records the failure.

When a try raises: when the delivery's failure could not be recorded (storage down), when a
person's request has waited on another delivery for longer than :data:`BUSY_PATIENCE`, or when
the worker died (crash, out of memory, out of time): then the queue is the retry. Any other
failure is recorded for the organisation (status, alert) and the message is done; for the
schedule the next tick sends a new request anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from shared.clock import local_today
from shared.domain.delivery_request import MAX_DEQUEUE_COUNT, BadRequest, parse_request
from shared.log import get_logger, log_context

# host.json extensions.queues.visibilityTimeout: how long a failed try waits before the next.
RETRY_AFTER_SECONDS = 60
# How long a message being worked on stays hidden here; renewed every third of it while the
# delivery runs (as the host renews its own hold), so a consumer that dies (Ctrl-C, a closed
# laptop) keeps its message from the others for at most this long.
HOLD_SECONDS = 5 * 60

log = get_logger("queue")


# How long a person's request waits for another delivery of its organisation to end (it is
# sent again every RETRY_AFTER_SECONDS meanwhile) before it counts as a failed try.
BUSY_PATIENCE = timedelta(hours=2)


class TryAgain(Exception):
    """The request's outcome could not be recorded: the queue should try it again."""


class Busy(Exception):
    """A person's request met another delivery of its organisation in flight (not requeued);
    ``outcome`` is the busy outcome."""

    def __init__(self, outcome) -> None:
        super().__init__("another delivery of this organisation is in flight")
        self.outcome = outcome


def process(service, text: str | bytes, *, queue=None, requeue: bool = True,
            retry_after: float = RETRY_AFTER_SECONDS):
    """Handle one delivery request message. Returns the delivery's outcome, or None for a
    message that is no request or names no configured organisation (logged; retrying cannot
    help, so the message is done). Raises :class:`TryAgain` when the outcome could not be
    recorded. A person's request that meets another delivery of its organisation in flight
    is sent again to ``queue`` (default the app's), to be taken a minute later, without using
    up a try; after :data:`BUSY_PATIENCE` it counts as a failed try. ``requeue`` False: raise
    :class:`Busy` instead (``vish deliver`` says so)."""
    request = _request(text, poison=False)
    if request is None:
        return None
    if service.organisations.get(request.org) is None:
        log.warning("a delivery request names an organisation that is not configured (any more): "
                    "not acted on")
        return None
    if request.day > local_today(service.now()):
        # Never made by the timer, the admin actions or vish (they refuse it): a file for a
        # later day would move the success pointer past today and silence the schedule.
        log.error("delivery failed (bad_request): a delivery request for a day in the future; "
                  "removed")
        return None
    outcome = service.handle(request)
    if outcome.status == "failed" and not outcome.recorded:
        raise TryAgain("the delivery's failure could not be recorded")
    if outcome.status == "busy" and request.manual:
        # A person's request is not repeated by a tick: it comes back once the delivery in
        # flight is done (its id keeps it from being sent twice).
        if not requeue:
            raise Busy(outcome)
        if service.now() - request.sent > BUSY_PATIENCE:
            raise TryAgain("another delivery of this organisation has been in flight for hours")
        (queue or service.queue).send(request, delay=int(retry_after))
        log.info("another delivery of this organisation is in flight; the request is queued again")
    return outcome


def process_poison(service, text: str | bytes, tries: int | None = None):
    """A request that used every try the queue allows: recorded as a failed delivery of its
    organisation (alerted as any failure), unless its day was delivered after all. A record
    that fails raises (the poison queue tries again)."""
    request = _request(text, poison=True)
    if request is None or service.organisations.get(request.org) is None:
        return None
    outcome = service.record_poisoned(request, tries)
    if outcome is not None and not outcome.recorded:
        raise TryAgain("the poisoned request's failure could not be recorded")
    return outcome


def _request(text: str | bytes, *, poison: bool):
    try:
        return parse_request(text)
    except BadRequest as exc:
        # No organisation to record it for: an error line (the failed-delivery alert) without
        # the message's content.
        where = "poison queue" if poison else "delivery queue"
        log.error("delivery failed (bad_request): a message on the %s is not a delivery request "
                  "(%s); removed", where, exc)
        return None


@dataclass
class DrainResult:
    outcomes: list = field(default_factory=list)  # DeliveryOutcome, in the order they ended
    poisoned: list = field(default_factory=list)  # failures recorded from the poison queue
    retried: int = 0  # tries that raised
    moved: int = 0  # requests moved to the poison queue after their last try
    dead: int = 0  # poison-queue messages moved on to its own poison queue (nothing takes them)
    ignored: int = 0  # messages that were no request, or of no configured organisation
    errors: int = 0  # queue calls that failed (storage): the message stays for a later take
    seconds: float = 0.0
    timed_out: bool = False

    def outcome_of(self, request_id: str):
        return next((o for o in [*self.outcomes, *self.poisoned] if o is not None
                     and o.request == request_id), None)


def drain(service, *, queue=None, consumers: int = 1, retry_after: float = RETRY_AFTER_SECONDS,
          max_dequeue_count: int = MAX_DEQUEUE_COUNT, timeout: float | None = None,
          poll: float = 0.2, hold: int = HOLD_SECONDS, until: str | None = None,
          sleep: Callable[[float], None] = time.sleep) -> DrainResult:
    """Work the delivery queue (``queue``: another one, such as a private queue of ``vish
    deliver``; default the service's) and its poison queue with ``consumers`` threads until
    both are empty, as the Functions host would. A failing queue call (storage) is counted
    and the work goes on; ``timeout``: stop taking messages after that many seconds (messages
    left stay for the next run or the host). ``until``: stop once that request has its
    outcome (``vish deliver`` on its own queue)."""
    queue = queue or service.queue
    result = DrainResult()
    lock = threading.Lock()
    busy = [0]
    started = time.monotonic()
    stop = threading.Event()

    def failed_call(what: str, exc: Exception) -> None:
        log.warning("the delivery queue could not be %s (%s); going on", what, type(exc).__name__)
        with lock:
            result.errors += 1

    def take():
        message = queue.receive(visibility_timeout=hold)
        if message is not None:
            return message, False
        message = queue.receive(poison=True, visibility_timeout=hold)
        return (message, True) if message is not None else (None, False)

    def give_up(message, poison: bool) -> None:
        queue.to_poison(message, poison=poison)
        with lock:
            if poison:
                result.dead += 1
            else:
                result.moved += 1

    def held(message, poison: bool) -> Callable[[], None]:
        """Renew the message's hold every third of it while it is worked on; returns what
        ends the renewal (and waits for one in flight: its new receipt is the one to use)."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(hold / 3):
                try:
                    queue.hold(message, seconds=hold, poison=poison)
                except Exception as exc:
                    failed_call("held longer", exc)

        renewer = threading.Thread(target=renew, name="vish-queue-hold", daemon=True)
        renewer.start()

        def end() -> None:
            done.set()
            renewer.join()

        return end

    def work(message, poison: bool) -> None:
        if message.dequeue_count > max_dequeue_count:
            # Taken that often without an end (the worker died each time): as the host does.
            give_up(message, poison)
            return
        end_hold = held(message, poison)
        try:
            with log_context(queue_message=message.id):
                if poison:
                    outcome = process_poison(service, message.text, message.dequeue_count)
                else:
                    outcome = process(service, message.text, queue=queue, retry_after=retry_after)
        except Exception as exc:
            end_hold()
            log.warning("a delivery request's try failed (%s); the queue tries again",
                        type(exc).__name__)
            with lock:
                result.retried += 1
            if message.dequeue_count >= max_dequeue_count:
                give_up(message, poison)
            else:
                queue.release(message, after=int(retry_after), poison=poison)
            return
        end_hold()
        with lock:  # the outcome counts even when the delete below fails
            if outcome is None:
                result.ignored += 1
            elif poison:
                result.poisoned.append(outcome)
            else:
                result.outcomes.append(outcome)
        queue.delete(message, poison=poison)

    def consumer() -> None:
        while not stop.is_set():
            if until is not None and result.outcome_of(until) is not None:
                stop.set()
                return
            if timeout is not None and time.monotonic() - started > timeout:
                result.timed_out = True
                stop.set()
                return
            with lock:
                busy[0] += 1
            try:
                message, poison = take()
                if message is not None:
                    work(message, poison)
                    continue
            except Exception as exc:  # a queue call failed: the message (if any) comes back
                failed_call("read or updated", exc)
                sleep(poll)
                continue
            finally:
                with lock:
                    busy[0] -= 1
            with lock:
                idle = busy[0] == 0
            try:
                empty = idle and queue.waiting() == 0 and queue.waiting(poison=True) == 0
            except Exception as exc:
                failed_call("counted", exc)
                empty = False
            if empty:
                with lock:
                    if busy[0] == 0:
                        stop.set()
                        return
            sleep(poll)

    threads = [threading.Thread(target=consumer, name=f"vish-consumer-{n}", daemon=True)
               for n in range(max(1, consumers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
