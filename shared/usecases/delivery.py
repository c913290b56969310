"""The daily delivery: from the snapshot to SNG's SFTP server, once per organisation and local day.

What makes it once (README, "Exactly once: what is guaranteed"):
* One blob lease per organisation (``locks/{org}.lock``) lets one instance deliver. A keeper
  thread renews it beside the work; right before the rename the delivery renews it once more and
  goes on only with more lease left than the rename may take (the fence). An instance that lost
  its lease never renames.
* Every delivery writes under a temporary name of its own (``.{file}.{token}.part``), so two
  instances never touch each other's file; leftovers of broken attempts are removed first.
* Before the rename, an intent (file, size, SHA-256) is written. The success (history row,
  latest row, the success pointer, a person's action, the intent removed) is one table
  transaction. A crash or outage in between is reconciled by the next delivery, which looks on
  the server instead of sending again.
* The success pointer is the latest *day* delivered and never moves back.
* A file that would drop too many people against the last file delivered is held until a person
  releases it.
* Every failure is recorded for its organisation with an error kind; the tick goes on.

The exact bytes are archived in ``outbox/{org}/{day}/`` before the upload (proof of what was
sent; for mutation profiles also the manifest the next delivery compares against). Shared by the
timer function, ``vish deliver`` and the admin actions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta

from shared.adapters.blobs import BlobStore
from shared.adapters.lease import LeaseKeeper, LeaseLost
from shared.adapters.outcomes import AlreadySettled, DeliveryRecord, IntentOpen, OutcomeStore
from shared.adapters.queue import DeliveryQueue
from shared.adapters.secrets import SecretError, SecretProvider
from shared.adapters.sftp import BlobPayload, Credentials, SftpDelivery, SftpError, UploadGuard
from shared.clock import local_today, utcnow
from shared.config import OrganisationsDocument, Settings
from shared.domain.delivery_file import FileFacts, write_delivery_file
from shared.domain.delivery_request import DeliveryRequest
from shared.domain.delivery_rules import (
    already_delivered,
    delivery_drop_held,
    names_file,
    next_sequence,
    step_timeout,
)
from shared.domain.privacy import operator_text
from shared.domain.profile import profile_for
from shared.domain.schedule import is_due
from shared.domain.snapshot import (
    SNAPSHOT_ORDER_BSN,
    SNAPSHOT_ORDER_KEY,
    SnapshotFormatError,
    iter_snapshot_bytes,
)
from shared.domain.sorting import sorted_by_bsn
from shared.log import get_logger, log_context
from shared.usecases.intake import SNAPSHOT_NAME

KIND_DELIVERY = "delivery"
KIND_SUCCESS = "delivery_success"
KIND_MANUAL = "manual"
LEASE_SECONDS = 60
FENCE_SLACK_SECONDS = 5  # besides the longest SFTP request, this much lease must be left to rename

log = get_logger("delivery")


@dataclass(frozen=True)
class DeliveryOutcome:
    org: str
    day: str
    status: str  # succeeded | failed | held | unconfirmed | skipped | busy | dry_run
    reason: str | None = None
    file: str | None = None
    records: int | None = None
    people: int | None = None
    size: int | None = None
    sha256: str | None = None
    attempts: int | None = None
    error_kind: str | None = None
    manual: bool = False
    request: str | None = None  # the queue request this outcome answers
    recorded: bool = True  # False: the outcome could not be written (the queue tries again)

    def as_dict(self) -> dict:
        return asdict(self)


class DeliveryService:
    def __init__(self, settings: Settings, organisations: OrganisationsDocument, blobs: BlobStore,
                 outcomes: OutcomeStore, secrets: SecretProvider, queue: DeliveryQueue | None = None, *,
                 now: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep,
                 lease_seconds: int = LEASE_SECONDS) -> None:
        self.settings = settings
        self.organisations = organisations
        self.blobs = blobs
        self.outcomes = outcomes
        self.secrets = secrets
        self.queue = queue
        self.now = now
        self.sleep = sleep
        self.lease_seconds = lease_seconds  # Azure accepts 15-60 s (or -1: infinite)

    # -- the timer's entry point ---------------------------------------------------------------
    def tick(self) -> list[DeliveryRequest]:
        """Decide who is due now and put one request per due organisation on the delivery
        queue; the queue trigger (on Azure, scaled out by the platform) delivers each one. An
        organisation whose day is done but whose intent is left open gets a request to settle
        it, under that intent's own day. One organisation's trouble (its rows unreadable, the
        send refused) is logged and never stops the others. An organisation with nothing to
        deliver yet (no accepted extract and no delivery ever) is skipped like one without SFTP:
        there was nothing to try, so nothing failed. A request for a day already delivered or
        in flight is harmless (the delivery's lease and exactly-once rules), so a tick that
        overlaps the last one needs no coordination."""
        now = self.now()
        sent: list[DeliveryRequest] = []
        # Organisations that get no requests at all (no SFTP target, nothing accepted yet):
        # their retention is applied here; the others' comes with their requests.
        quiet = []
        for organisation in self.organisations.organisations:
            if organisation.sftp is None:
                quiet.append(organisation.code)
                continue
            try:
                done = self.last_success_day(organisation.code)
                due = is_due(now, organisation.send_time, done)
                intent = None if due else self.outcomes.intent(organisation.code)
                waiting = due and done is None and self._nothing_accepted(organisation.code)
            except Exception as exc:  # the outcomes table is unreachable: try again next tick
                log.error("cannot tell whether %s is due (%s)", organisation.code, _kind_of(exc))
                continue
            if waiting:
                log.info("%s has no accepted extract yet: nothing to deliver", organisation.code)
                quiet.append(organisation.code)
                continue
            if due:
                request = self.new_request(organisation.code, local_today(now), reason="schedule")
            elif intent is not None:  # an intent left open is settled, under its own day
                request = self.new_request(organisation.code, date.fromisoformat(intent["day"]),
                                           reason="schedule", settle_only=True)
            else:  # done for today: its retention came with its delivery request
                continue
            try:
                self.queue.send(request)
            except Exception as exc:  # the queue is unreachable: the next tick sends again
                log.error("delivery request for %s not queued (%s); next tick", organisation.code,
                          _kind_of(exc))
                continue
            sent.append(request)
        log.info("tick: %d delivery request(s) queued", len(sent))
        for code in quiet:
            self.apply_retention(code, now)
        return sent

    def new_request(self, org: str, day: date, *, reason: str, manual: bool = False,
                    settle_only: bool = False) -> DeliveryRequest:
        # Typed by a person: BSN-like numbers and dates masked before it rests in the queue.
        return DeliveryRequest(org=org, day=day, reason=operator_text(reason) or "-", id=uuid.uuid4().hex,
                               sent=self.now(), manual=manual, settle_only=settle_only)

    def request_delivery(self, org: str, day: date, *, reason: str, manual: bool = False,
                         send: bool = True) -> DeliveryRequest:
        """A person's delivery (the admin re-delivery): queued like the timer's, delivered by
        the same queue trigger. ``send`` False: only made (``vish deliver`` hands it to the
        trigger's code itself)."""
        if self.organisations.get(org) is None:
            raise KeyError(f"organisation '{org}' is not configured")
        request = self.new_request(org, day, reason=reason, manual=manual)
        if send:
            self.queue.send(request)
        return request

    # -- the queue's entry point ---------------------------------------------------------------
    def handle(self, request: DeliveryRequest) -> DeliveryOutcome:
        """Deliver what ``request`` asks, for its one organisation (the queue trigger and the
        local consumer call this), for the request's own day: a request queued at 23:55 and
        taken after midnight still delivers that day (a scheduled request lives an hour in the
        queue, so it is never much older; a later day already delivered makes it a no-op).
        Failures are recorded and returned (see :meth:`deliver`); ``recorded`` False tells the
        caller the record itself failed, so the queue should try the request again."""
        with log_context(request=request.id):
            outcome = replace(self.deliver(request.org, request.day, reason=request.reason,
                                           manual=request.manual, settle_only=request.settle_only,
                                           request=request),
                              request=request.id)
            self.apply_retention(request.org, self.now())
            return outcome

    def record_poisoned(self, request: DeliveryRequest, tries: int | None) -> DeliveryOutcome | None:
        """A request that failed every try the queue allows (the worker crashed, ran out of
        memory or time, or the failure could not be recorded): recorded as a failed delivery of
        its organisation (status and alert as any failure), unless its day was delivered after
        all. Returns the failure recorded, or None."""
        with log_context(org=request.org, day=request.day.isoformat(), request=request.id):
            if request.settle_only:
                done = self.outcomes.intent(request.org) is None
            elif request.manual:  # a person's re-delivery: done only by its own file
                done = self.outcomes.request_delivered(request.org, request.id) is not None
            else:
                done = _day_done(self.outcomes.latest(request.org, KIND_SUCCESS), request.day)
            if done:
                log.warning("a delivery request ended in the poison queue, but what it asked is done")
                return None
            attempt = _Attempt(request.org, request.day, request.reason, request.manual,
                               request=request)
            return replace(self._failed(attempt, _Stop(
                "queue_poison", f"the delivery request failed {tries or 'every'} time(s) in the queue "
                                "(worker stopped, out of memory or time, or storage unreachable)")),
                           request=request.id)

    def apply_retention(self, org: str, now: datetime) -> None:
        """Outcome history of ``org`` older than VISH_OUTCOME_RETENTION_DAYS goes (latest-* rows
        stay). Applied per organisation where its requests are handled, so a national day of
        hundreds of organisations never waits on one long loop."""
        before = now - timedelta(days=self.settings.outcome_retention_days)
        try:
            removed = self.outcomes.purge(org, before)
        except Exception as exc:
            log.error("retention not applied for %s (%s); next time", org, _kind_of(exc))
            return
        if removed:
            log.info("removed %d outcome rows past retention for %s", removed, org)

    def _nothing_accepted(self, org: str) -> bool:
        """No snapshot, and no extract was ever accepted (no delivery ever either: asked only
        then): a new organisation, not a snapshot that went missing."""
        s = self.settings
        return (self.blobs.info(s.snapshots_container, f"{org}/{SNAPSHOT_NAME}") is None
                and self.outcomes.latest(org, "extract_accepted") is None
                and self.outcomes.intent(org) is None)

    def last_success_day(self, org: str) -> date | None:
        latest = self.outcomes.latest(org, KIND_SUCCESS)
        return date.fromisoformat(latest["day"]) if latest else None

    # -- one delivery --------------------------------------------------------------------------
    def deliver(self, org: str, day: date, *, reason: str, manual: bool = False,
                dry_run: bool = False, settle_only: bool = False,
                request: DeliveryRequest | None = None) -> DeliveryOutcome:
        """Build and send ``org``'s file for ``day``. ``manual`` re-delivers even when the day
        already succeeded (an explicit, recorded action with ``reason``). ``settle_only``: only
        settle an intent left open (nothing is built or sent). ``request``: the queue request
        this answers; its id goes with the intent and the outcome rows, so a request taken again
        (the queue delivers at least once) never sends a person's re-delivery twice. Every
        failure is recorded for this organisation with an error kind and returned, never
        raised."""
        with log_context(org=org, day=day.isoformat()):
            organisation = self.organisations.get(org)
            if organisation is None:
                raise KeyError(f"organisation '{org}' is not configured")
            if dry_run:
                facts = self._build(organisation, day, sequence=1, out=_Discard()).facts
                return DeliveryOutcome(org, day.isoformat(), "dry_run", reason, facts.name,
                                       facts.records, facts.people, facts.size, facts.sha256)
            attempt = _Attempt(org, day, reason, manual, action="redeliver" if manual else None,
                               request=request)
            try:
                if organisation.sftp is None:
                    raise _Stop("not_configured", "no SFTP target configured for this organisation")
                asked = time.monotonic()  # the lease runs from its request, not its answer
                lease = self.blobs.acquire_lease(self.settings.locks_container, f"{org}.lock",
                                                 self.lease_seconds)
                if lease is None:
                    log.info("another instance is delivering this organisation's file; not again")
                    try:  # history only; should it fail, nothing is lost: the other delivers
                        self.outcomes.record(org, KIND_DELIVERY, {
                            "status": "busy", "day": day.isoformat(), "reason": reason,
                            "manual": manual or None, "request": attempt.request_id},
                            latest=False)
                    except Exception as exc:
                        log.warning("a busy delivery could not be noted (%s)", _kind_of(exc))
                    return DeliveryOutcome(org, day.isoformat(), "busy", reason, manual=manual,
                                           request=attempt.request_id)
                try:
                    with LeaseKeeper(lease, self.lease_seconds, acquired_at=asked) as keeper:
                        return self._deliver_leased(organisation, attempt, keeper, settle_only)
                finally:
                    try:
                        lease.release()
                    except Exception:  # an expired or taken lease needs no release
                        log.warning("lease could not be released (expired?)")
            except Exception as exc:  # recorded as an error kind, never raised
                return self._failed(attempt, exc)

    def release_held(self, org: str, reason: str, sha256: str, *,
                     send: bool = True) -> DeliveryRequest:
        """Send the file the drop guard held, after a person checked that file: ``sha256`` (at
        least its first 8 characters, as the status shows them) names it, so a file held after
        the person looked (a new extract came in) is never released by mistake. The decision is
        recorded first, for that file on that day, then the delivery is queued: should the
        send fail (or the queue be unreachable), the next tick sends it without asking again."""
        held = self.outcomes.latest(org, KIND_DELIVERY)
        if not held or held.get("status") != "held":
            raise NothingHeld("the last delivery of this organisation is not held")
        if not names_file(sha256, held.get("sha256")):
            raise NotTheHeldFile("the file named is not the file held now")
        self.outcomes.record(org, KIND_MANUAL, {"action": "release_delivery", "reason": reason,
                                                "day": held["day"], "file": held.get("file"),
                                                "sha256": held.get("sha256")},
                             pointers=("delivery_release",))
        return self.request_delivery(org, date.fromisoformat(held["day"]), reason=reason,
                                     manual=bool(held.get("manual")), send=send)

    def confirm_unconfirmed(self, org: str, reason: str, day: date | None = None) -> str | None:
        """A person checked with SNG that an unconfirmed delivery arrived (or that it no longer
        matters): recorded, and the status no longer shows it. ``day``: which one, needed when
        more than one is open. Returns the day confirmed, or None when nothing (of that day) is
        open; :class:`SeveralUnconfirmed` when the day is needed."""
        open_rows = self.outcomes.unconfirmed(org)
        if day is not None:
            open_rows = [row for row in open_rows if row.get("day") == day.isoformat()]
        if not open_rows:
            return None
        if len(open_rows) > 1:
            raise SeveralUnconfirmed(", ".join(str(row.get("day")) for row in open_rows))
        row = open_rows[0]
        from azure.data.tables import TableTransactionError

        try:
            self.outcomes.acknowledge_unconfirmed(org, row, {
                "action": "confirm_delivery", "reason": reason, "day": row.get("day"),
                "file": row.get("file"), "sha256": row.get("sha256")})
        except TableTransactionError:  # settled or replaced meanwhile: this row is not open now
            return None
        return row.get("day")

    def _released(self, org: str, day: date, sha256: str) -> bool:
        release = self.outcomes.latest(org, "delivery_release") or {}
        return (release.get("day"), release.get("sha256")) == (day.isoformat(), sha256)

    def _deliver_leased(self, organisation, attempt: _Attempt, keeper: LeaseKeeper,
                        settle_only: bool = False) -> DeliveryOutcome:
        org, day, reason, manual = attempt.org, attempt.day, attempt.reason, attempt.manual
        current = self.outcomes.intent_etag(org)
        settled = self._reconcile(organisation, *current, keeper) if current is not None else None
        ours = settled is not None and attempt.request_id is not None and (
            settled.request == attempt.request_id)  # this request's own file, settled now
        if settle_only or ours or (settled is not None and settled.day == day.isoformat()
                                   and not manual):
            return settled or DeliveryOutcome(org, day.isoformat(), "skipped", "nothing_to_settle",
                                              request=attempt.request_id)
        if manual and attempt.request is not None:
            done = self.outcomes.request_delivered(org, attempt.request.id)
            if done is not None:
                log.info("this request's file was delivered before (the queue gave it again)")
                return DeliveryOutcome(org, day.isoformat(), "skipped", "already_done", done.get("file"),
                                       request=attempt.request_id)
        success = self.outcomes.latest(org, KIND_SUCCESS)
        if already_delivered(success, day, manual):
            log.info("already delivered for this day (or a later one); nothing to do")
            return DeliveryOutcome(org, day.isoformat(), "skipped", "already_delivered",
                                   success.get("file"))
        sequence = next_sequence(success, day, self.outcomes.day_sequence(org, day.isoformat()))
        started = time.monotonic()
        try:
            built = self._build(organisation, day, sequence=sequence, success=success)
        except _NoSnapshot:
            raise _Stop("no_snapshot", "no accepted extract yet: nothing to deliver") from None
        except SnapshotFormatError as exc:
            raise _Stop("snapshot_unreadable", f"the stored snapshot or manifest cannot be read "
                                               f"({exc})") from None
        attempt.built = built
        previous = int(success.get("people") or 0) if success else None
        if (delivery_drop_held(previous, built.people, organisation.mass_drop_threshold,
                               organisation.mass_drop_min_removed)
                and not self._released(org, day, built.sha256)):
            return self._held(attempt, previous)
        keeper.check()
        # The exact bytes, already staged in the outbox while they were built, become the
        # archive now (a held file is never committed: its blocks are dropped by the service).
        built.commit()
        archive, manifest = built.archive, built.manifest
        fields = {
            "status": "succeeded", "day": day.isoformat(), "reason": reason, "manual": manual or None,
            "request": attempt.request_id,
            "file": built.name, "archive": f"{self.settings.outbox_container}/{archive}",
            "manifest": f"{self.settings.outbox_container}/{manifest}" if manifest else None,
            "records": built.records, "people": built.people, "added": built.added,
            "removed": built.removed, "size": built.size, "sha256": built.sha256,
            "sequence": sequence, "previous_people": previous,
            "profile": profile_for(organisation).name,
        }
        credentials = self.credentials_for(organisation.sftp)
        keeper.check()
        target = organisation.sftp
        step = step_timeout(target.operation_timeout, self.lease_seconds)
        guard = _Guard(self, attempt, keeper, fields, margin=step + FENCE_SLACK_SECONDS)

        def pause(seconds: float) -> None:  # backoff between attempts; the keeper renews meanwhile
            self.sleep(seconds)
            keeper.check()

        sftp = SftpDelivery(target, credentials, sleep=pause, operation_timeout=step)
        try:
            uploaded = sftp.upload(built.name, built.payload(self.blobs, self.settings.outbox_container),
                                   token=uuid.uuid4().hex[:12], guard=guard)
        except SftpError as exc:
            attempt.attempts = exc.attempts
            if exc.renaming:
                # Whether the rename happened is unknown: find out now rather than send again.
                current = self.outcomes.intent_etag(org)
                if current is None:
                    raise _Stop("storage", "the delivery's intent could not be read back") from None
                settled = self._reconcile(organisation, *current, keeper)
                if settled is not None:
                    return settled
            raise
        fields.update(attempts=uploaded.attempts,
                      duration_ms=int((time.monotonic() - started) * 1000))
        self._record_end(org, fields, attempt.action, reason, day.isoformat(), built.name,
                         guard.etag)
        log.info("delivered %s: %d records, %d bytes, %d attempt(s)", built.name, built.records,
                 built.size, uploaded.attempts)
        return DeliveryOutcome(org, day.isoformat(), "succeeded", reason, built.name, built.records,
                               built.people, built.size, built.sha256, uploaded.attempts,
                               manual=manual)

    def _reconcile(self, organisation, intent: dict, etag: str,
                   keeper: LeaseKeeper) -> DeliveryOutcome | None:
        """Settle a delivery that wrote its intent and then asked for the rename, without
        knowing whether the rename happened (a crash, a lost connection, a storage outage).
        Never uploads again: the final name with the intended size is a success; only the
        verified temporary file is renamed now (a success); a file of another size under the
        final name, or nothing at all (the receiving side may have taken it) is recorded
        ``unconfirmed`` for an operator, and the day counts as delivered. A rename the server
        refuses is a known answer: nothing arrived, the intent goes and None is returned (the
        caller delivers as usual)."""
        org = organisation.code
        target = organisation.sftp
        step = step_timeout(target.operation_timeout, self.lease_seconds)
        credentials = self.credentials_for(target)
        keeper.check()
        sftp = SftpDelivery(target, credentials, sleep=self.sleep, operation_timeout=step)
        if self.outcomes.recorded(org, intent["day"], intent["file"], intent["sha256"]):
            # An instance that lost its lease wrote this intent late, after the holder delivered
            # and recorded this very file: nothing to rename or record (SNG may have taken the
            # file already: looking would mislead). Only its temporary copy goes.
            sftp.discard(intent["temp"])
            self.outcomes.clear_intent(org, etag)
            log.info("an intent for a file already recorded as delivered was cleared")
            return DeliveryOutcome(org, intent["day"], "skipped", "already_recorded", intent["file"])
        where = sftp.settle(intent["file"], intent["temp"], int(intent["size"]),
                            fence=lambda: keeper.confirm(margin=step + FENCE_SLACK_SECONDS))
        if where == "refused":
            log.warning("an earlier delivery's file could not be renamed on the server; it is "
                        "delivered anew")
            self.outcomes.clear_intent(org, etag)
            return None
        fields = {k: intent[k] for k in DeliveryRecord.model_fields if intent.get(k) is not None}
        fields.update(reconciled=True)
        if where in ("final", "finished"):
            fields["status"] = "succeeded"
            log.info("an earlier delivery's file is on the server (%s); recorded as delivered", where)
        else:
            fields.update(status="unconfirmed", error_kind="remote_mismatch" if where == "mismatch"
                          else "not_found")
            log.error("an earlier delivery's file cannot be confirmed on the server (%s); recorded "
                      "as unconfirmed, not sent again", where)
        manual = bool(intent.get("manual"))
        self._record_end(org, fields, "redeliver" if manual else None, intent.get("reason") or "",
                         intent["day"], intent["file"], etag)
        return DeliveryOutcome(org, intent["day"], fields["status"], intent.get("reason"),
                               intent["file"], intent.get("records"), intent.get("people"),
                               intent.get("size"), intent.get("sha256"), intent.get("attempts"),
                               fields.get("error_kind"), manual, request=intent.get("request"))

    def _record_end(self, org: str, fields: dict, action: str | None, reason: str, day: str,
                    file: str, intent_etag: str | None) -> None:
        """The delivery's end and, for a re-delivery, the person's action: one transaction,
        which also removes this delivery's intent. When another delivery settled that intent
        meanwhile (this one stalled after its rename), it recorded this file: nothing again."""
        manual = ({"action": action, "reason": reason or "-", "day": day, "file": file}
                  if action else None)
        try:
            self.outcomes.record_delivery(org, fields, manual=manual, intent_etag=intent_etag)
        except AlreadySettled:
            log.warning("this delivery's file was recorded by another delivery meanwhile")

    def _held(self, attempt: _Attempt, previous: int) -> DeliveryOutcome:
        """The drop guard: the file would remove too many people from VISH against the last
        file delivered. Recorded once per file (a tick that builds the same file again does not
        add a row), alerted, and kept until an operator releases it."""
        built = attempt.built
        org, day = attempt.org, attempt.day.isoformat()
        latest = self.outcomes.latest(org, KIND_DELIVERY)
        if not (latest and latest.get("status") == "held" and latest.get("day") == day
                and latest.get("sha256") == built.sha256):
            self.outcomes.record(org, KIND_DELIVERY, {
                "status": "held", "day": day, "reason": attempt.reason, "request": attempt.request_id,
                "manual": attempt.manual or None, "error_kind": "mass_drop", "file": built.name,
                "records": built.records, "people": built.people, "previous_people": previous,
                "size": built.size, "sha256": built.sha256})
        log.error("delivery held: %d of %d people would leave VISH; waiting for a release",
                  previous - built.people, previous)
        return DeliveryOutcome(org, day, "held", attempt.reason, built.name, built.records,
                               built.people, built.size, built.sha256,
                               error_kind="mass_drop", manual=attempt.manual,
                               request=attempt.request_id)

    def _failed(self, attempt: _Attempt, exc: BaseException) -> DeliveryOutcome:
        """Record a failure of this organisation's delivery: an error kind and a message with
        no personal data (unknown errors: their type only). Should the record fail too (storage
        down), it is logged; the caller goes on with the next organisation."""
        kind, message = _classify(exc)
        built = attempt.built
        attempts = attempt.attempts if attempt.attempts is not None else getattr(exc, "attempts", None)
        recorded = True
        try:
            # An instance that lost its lease to one that then delivered the day: history only,
            # so the status shows the delivery, not the loser's failure.
            latest = not (kind == LeaseLost.kind and not attempt.manual and _day_done(
                self.outcomes.latest(attempt.org, KIND_SUCCESS), attempt.day))
            self.outcomes.record(attempt.org, KIND_DELIVERY, {
                "status": "failed", "day": attempt.day.isoformat(), "reason": attempt.reason,
                "manual": attempt.manual or None, "error_kind": kind, "error": message[:300],
                "attempts": attempts, "file": built.name if built else None,
                "sha256": built.sha256 if built else None, "request": attempt.request_id},
                latest=latest)
        except Exception as again:
            recorded = False
            log.error("delivery failed (%s) and the failure could not be recorded (%s)", kind,
                      _kind_of(again))
        log.error("delivery failed (%s): %s", kind, message)
        return DeliveryOutcome(attempt.org, attempt.day.isoformat(), "failed", attempt.reason,
                               built.name if built else None, attempts=attempts, error_kind=kind,
                               manual=attempt.manual, recorded=recorded,
                               request=attempt.request_id)

    def connection_test(self, org: str, *, probe: bool = True):
        """The same check as ``vish sftp-check``, recorded as an outcome (kind connection_test)."""
        from shared.adapters.sftp import CheckResult, check_connection

        organisation = self.organisations.get(org)
        if organisation is None or organisation.sftp is None:
            result = CheckResult(ok=False, steps=[("instellingen", False, "geen SFTP-bestemming")])
        else:
            # The server's host key first (a key exchange only): its fingerprint is there to
            # compare with SNG's even when the secret is not (a first set-up).
            target = organisation.sftp
            result = check_connection(target, lambda: self.credentials_for(target), probe=probe,
                                      sleep=self.sleep)
        failed = next((step for step, ok, _ in result.steps if not ok), None)
        self.outcomes.record(org, "connection_test", {"ok": result.ok, "failed_step": failed})
        return result

    # -- helpers -------------------------------------------------------------------------------
    def _build(self, organisation, day: date, *, sequence: int, success: dict | None = None,
               out=None) -> _Built:
        """Build the file streaming, from the snapshot (in BSN order: as the intake keeps it,
        or sorted here, bounded, for a snapshot from before that rule) into the outbox: staged
        blocks, committed by :meth:`_Built.commit` only when the file is to be sent. ``out``:
        another sink (the dry run). Memory does not grow with the file; its SHA-256 and size
        are known when the build ends, before anything is sent. ``success``: the last
        successful delivery, when the caller already read it."""
        s = self.settings
        current = self.blobs.info(s.snapshots_container, f"{organisation.code}/{SNAPSHOT_NAME}")
        if current is None:
            raise _NoSnapshot()
        profile = profile_for(organisation)
        if success is None:
            success = self.outcomes.latest(organisation.code, KIND_SUCCESS)
        previous = None
        if success and success.get("manifest") and profile.mode == "mutations":
            previous = iter_snapshot_bytes(self.blobs.chunks(
                s.outbox_container, success["manifest"].split("/", 1)[1]))
        snapshot = iter_snapshot_bytes(self.blobs.chunks(s.snapshots_container, current.name,
                                                         etag=current.etag))
        if current.metadata.get(SNAPSHOT_ORDER_KEY) != SNAPSHOT_ORDER_BSN:
            # A snapshot from before the rule: sorted here, bounded, spilling to the work
            # folder (made here: this instance may never have run an intake).
            if s.work_dir is not None:
                s.work_dir.mkdir(parents=True, exist_ok=True)
            snapshot = sorted_by_bsn(snapshot, tmpdir=s.work_dir)
        name = profile.render_file_name(organisation_code=organisation.code,
                                        aansluitcode=organisation.aansluitcode, on=day,
                                        sequence=sequence)
        archive = f"{organisation.code}/{day.isoformat()}/{name}"
        manifest = archive + ".manifest.csv" if profile.mode == "mutations" else None
        file_out = out if out is not None else self.blobs.block_writer(s.outbox_container, archive)
        manifest_out = None
        if manifest and out is None:
            manifest_out = self.blobs.block_writer(s.outbox_container, manifest)
        facts = write_delivery_file(snapshot, organisation, day, profile, file_out,
                                    manifest_out=manifest_out, previous=previous,
                                    sequence=sequence)
        return _Built(facts, archive, manifest, file_out, manifest_out)

    def credentials_for(self, target) -> Credentials:
        secret = self.secrets.get(target.secret_name)
        if target.auth == "password":
            return Credentials(password=secret)
        passphrase = self.secrets.get(target.passphrase_secret) if target.passphrase_secret else None
        return Credentials(private_key=secret, passphrase=passphrase)



# -- small parts -------------------------------------------------------------------------------
class _Guard(UploadGuard):
    """The delivery's say during the upload: no step without the lease; the intent, then the
    fence, before the rename; an abandoned temporary file removed only once no intent of ours
    can name it (otherwise the next delivery renames it instead of sending again)."""

    def __init__(self, service: DeliveryService, attempt: _Attempt, keeper: LeaseKeeper,
                 fields: dict, margin: float) -> None:
        self.service, self.attempt, self.keeper = service, attempt, keeper
        self.fields, self.margin = fields, margin
        self.etag: str | None = None
        self.unknown = False  # whether our intent was written is not known
        self.lost = False  # the fence found the lease gone

    def check(self) -> None:
        self.keeper.check()  # no I/O: the keeper renews in its own thread

    def before_rename(self, temp: str) -> None:
        outcomes, org = self.service.outcomes, self.attempt.org
        self.keeper.check()
        try:
            self.etag = outcomes.put_intent(org, {**self.fields, "status": "renaming", "temp": temp})
        except Exception as exc:
            # Written or not (an answer lost, and the SDK's retry met our own row)? Read it
            # back: ours names our temporary file.
            try:
                current = outcomes.intent_etag(org)
            except Exception:
                self.unknown = True
                raise exc from None
            if current is None or current[0].get("temp") != temp:
                if isinstance(exc, IntentOpen):
                    raise LeaseLost("another delivery's intent is open: it holds or held the "
                                    "lease") from None
                raise
            self.etag = current[1]  # ours: go on
        self.fence()

    def fence(self) -> None:
        try:
            self.keeper.confirm(margin=self.margin)
        except LeaseLost:
            self.lost = True
            raise

    def abandon(self) -> bool:
        if self.unknown or (self.lost and self.etag is not None):
            # Without the lease, touch nothing: our intent and its file stay for the lease
            # holder to settle (it may be renaming that file right now).
            return False
        if self.etag is None:
            return True
        try:
            self.service.outcomes.clear_intent(self.attempt.org, self.etag)
        except Exception as exc:
            log.warning("the delivery's intent could not be removed (%s); its file stays for "
                        "the next delivery to settle", _kind_of(exc))
            return False
        self.etag = None
        return True


@dataclass
class _Built:
    """A file built into the outbox's staged blocks: its facts, and where it is archived."""

    facts: FileFacts
    archive: str  # outbox path of the file
    manifest: str | None  # outbox path of its manifest (mode mutations)
    file_out: object
    manifest_out: object
    etag: str | None = None

    def __getattr__(self, name: str):  # name, sha256, size, records, people, added, removed
        return getattr(self.facts, name)

    def commit(self) -> None:
        """Make the staged bytes the archive (and the manifest) in the outbox."""
        if self.manifest_out is not None:
            self.manifest_out.commit(content_type="text/csv; charset=utf-8")
        self.etag = self.file_out.commit()

    def payload(self, blobs: BlobStore, container: str) -> BlobPayload:
        """The archived bytes, as the SFTP upload reads them: streamed from the outbox blob
        this delivery committed (its ETag: never another version)."""
        return BlobPayload(lambda: blobs.chunks(container, self.archive, etag=self.etag),
                           self.facts.size)


class _Discard:
    """A sink that keeps nothing (the dry run: only the facts count)."""

    def write(self, data: bytes) -> int:
        return len(data)


class _NoSnapshot(Exception):
    """The organisation has no snapshot in storage."""


class NothingHeld(Exception):
    """There is no held delivery to release."""


class NotTheHeldFile(Exception):
    """The file a person checked is not the file held now."""


class SeveralUnconfirmed(Exception):
    """More than one delivery is unconfirmed: say which day is confirmed."""


class _Stop(Exception):
    """A delivery that cannot go on, with its error kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _Attempt:
    """What one delivery knows so far (for its outcome, whatever happens)."""

    org: str
    day: date
    reason: str
    manual: bool
    built: _Built | None = None
    attempts: int | None = None
    intent_etag: str | None = None
    action: str | None = None  # the person's action recorded with the delivery's end
    request: DeliveryRequest | None = None  # the queue request being answered

    @property
    def request_id(self) -> str | None:
        return self.request.id if self.request is not None else None


def _day_done(success: dict | None, day: date) -> bool:
    return bool(success) and str(success.get("day", "")) >= day.isoformat()


def _kind_of(exc: BaseException) -> str:
    return type(exc).__name__


def _classify(exc: BaseException) -> tuple[str, str]:
    """The error kind and a message without personal data. Messages of our own errors name
    kinds, sizes and hosts only; anything unforeseen is named by its type alone."""
    if isinstance(exc, (_Stop, SftpError)):
        return exc.kind, str(exc)
    if isinstance(exc, SecretError):
        return "secret", str(exc)
    if isinstance(exc, LeaseLost):
        return LeaseLost.kind, str(exc)
    from azure.core.exceptions import AzureError

    if isinstance(exc, AzureError):
        status = getattr(exc, "status_code", None)
        return "storage", f"storage or table call failed ({_kind_of(exc)}{f' {status}' if status else ''})"
    return "unexpected", f"unexpected error ({_kind_of(exc)} at {_where(exc)})"


def _where(exc: BaseException) -> str:
    """Where an unforeseen error was raised (file:line of the last frames), never its message:
    a message may quote a value."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " < ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in reversed(frames))
