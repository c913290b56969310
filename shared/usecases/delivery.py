"""The daily delivery: from the snapshot to SNG's SFTP server, exactly once per local day.

Per organisation and day, a blob lease (``locks/{org}/{day}.lock``) lets one instance deliver;
inside it the outcome store is read again, so a duplicate or retried tick finds the success and
does nothing. The exact bytes are archived in ``outbox/{org}/{day}/`` before the upload (proof of
what was sent; for mutation profiles also the manifest the next delivery compares against).
Shared by the timer function, ``vish deliver`` and the manual re-delivery.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from shared.adapters.blobs import BlobStore
from shared.adapters.outcomes import OutcomeStore
from shared.adapters.secrets import SecretError, SecretProvider
from shared.adapters.sftp import Credentials, SftpDelivery, SftpError
from shared.clock import local_today, utcnow
from shared.config import OrganisationsDocument, Settings
from shared.domain.delivery_file import DeliveryFile, build_delivery_file
from shared.domain.delivery_rules import already_delivered, lease_renewal_due, next_sequence
from shared.domain.profile import profile_for
from shared.domain.schedule import is_due
from shared.domain.snapshot import iter_snapshot_bytes, iter_snapshot_rows
from shared.log import get_logger, log_context
from shared.usecases.intake import SNAPSHOT_NAME

KIND_DELIVERY = "delivery"
KIND_SUCCESS = "delivery_success"
KIND_MANUAL = "manual"
LEASE_SECONDS = 60

log = get_logger("delivery")


@dataclass(frozen=True)
class DeliveryOutcome:
    org: str
    day: str
    status: str  # succeeded | failed | skipped | busy | dry_run
    reason: str | None = None
    file: str | None = None
    records: int | None = None
    people: int | None = None
    size: int | None = None
    sha256: str | None = None
    attempts: int | None = None
    error_kind: str | None = None
    manual: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


class DeliveryService:
    def __init__(self, settings: Settings, organisations: OrganisationsDocument, blobs: BlobStore,
                 outcomes: OutcomeStore, secrets: SecretProvider, *,
                 now: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep,
                 lease_seconds: int = LEASE_SECONDS) -> None:
        self.settings = settings
        self.organisations = organisations
        self.blobs = blobs
        self.outcomes = outcomes
        self.secrets = secrets
        self.now = now
        self.sleep = sleep
        self.lease_seconds = lease_seconds  # Azure accepts 15-60 s (or -1: infinite)

    # -- the timer's entry point ---------------------------------------------------------------
    def tick(self) -> list[DeliveryOutcome]:
        """Deliver for every organisation that is due now; one failure does not stop the others."""
        now = self.now()
        results = []
        for organisation in self.organisations.organisations:
            if organisation.sftp is None:
                continue
            if is_due(now, organisation.send_time, self.last_success_day(organisation.code)):
                results.append(self.deliver(organisation.code, local_today(now), reason="schedule"))
        self.apply_retention(now)
        return results

    def apply_retention(self, now: datetime) -> None:
        """Outcome history older than VISH_OUTCOME_RETENTION_DAYS goes (latest-* rows stay)."""
        before = now - timedelta(days=self.settings.outcome_retention_days)
        for organisation in self.organisations.organisations:
            removed = self.outcomes.purge(organisation.code, before)
            if removed:
                log.info("removed %d outcome rows past retention for %s", removed, organisation.code)

    def last_success_day(self, org: str) -> date | None:
        latest = self.outcomes.latest(org, KIND_SUCCESS)
        return date.fromisoformat(latest["day"]) if latest else None

    # -- one delivery --------------------------------------------------------------------------
    def deliver(self, org: str, day: date, *, reason: str, manual: bool = False,
                dry_run: bool = False) -> DeliveryOutcome:
        """Build and send ``org``'s file for ``day``. ``manual`` re-delivers even when the day
        already succeeded (an explicit, recorded action with ``reason``)."""
        with log_context(org=org, day=day.isoformat()):
            organisation = self.organisations.get(org)
            if organisation is None:
                raise KeyError(f"organisation '{org}' is not configured")
            if dry_run:
                built = self._build(organisation, day, sequence=1)
                return DeliveryOutcome(org, day.isoformat(), "dry_run", reason, built.name,
                                       built.records, built.people, len(built.content), built.sha256)
            if organisation.sftp is None:
                return self._failed(org, day, reason, manual, "not_configured",
                                    "no SFTP target configured for this organisation")
            lease = self.blobs.acquire_lease(self.settings.locks_container, f"{org}/{day}.lock",
                                             self.lease_seconds)
            if lease is None:
                log.info("another instance is delivering this organisation's file; not again")
                return DeliveryOutcome(org, day.isoformat(), "busy", reason, manual=manual)
            try:
                return self._deliver_leased(organisation, day, reason, manual, lease)
            finally:
                try:
                    lease.release()
                except Exception:  # an expired lease needs no release
                    log.warning("lease could not be released (expired?)")

    def _deliver_leased(self, organisation, day: date, reason: str, manual: bool,
                        lease) -> DeliveryOutcome:
        org = organisation.code
        success = self.outcomes.latest(org, KIND_SUCCESS)
        if already_delivered(success, day, manual):
            log.info("already delivered for this day; nothing to do")
            return DeliveryOutcome(org, day.isoformat(), "skipped", "already_delivered",
                                   success.get("file"))
        sequence = next_sequence(success, day)
        started = time.monotonic()
        try:
            built = self._build(organisation, day, sequence=sequence, success=success)
        except FileNotFoundError:
            return self._failed(org, day, reason, manual, "no_snapshot",
                                "no accepted extract yet: nothing to deliver")
        archive = f"{org}/{day.isoformat()}/{built.name}"
        self.blobs.upload(self.settings.outbox_container, archive, built.content)
        manifest = None
        if built.manifest:
            manifest = archive + ".manifest.csv"
            self.blobs.upload(self.settings.outbox_container, manifest, built.manifest)
        lease.renew()  # building took time: start the upload with a full lease
        last_renewal = [time.monotonic()]

        def keep_lease(done: int = 0, total: int = 0) -> None:
            if lease_renewal_due(time.monotonic() - last_renewal[0], self.lease_seconds):
                lease.renew()
                last_renewal[0] = time.monotonic()

        def pause(seconds: float) -> None:
            # Backoff between upload attempts: the lease must outlive it.
            self.sleep(seconds)
            keep_lease()

        try:
            credentials = self.credentials_for(organisation.sftp)
            uploaded = SftpDelivery(organisation.sftp, credentials, sleep=pause).upload(
                built.name, built.content, progress=keep_lease)
        except (SftpError, SecretError) as exc:
            kind = getattr(exc, "kind", "secret")
            return self._failed(org, day, reason, manual, kind, str(exc), built=built,
                                attempts=getattr(exc, "attempts", None))
        fields = {
            "status": "succeeded", "day": day.isoformat(), "reason": reason, "manual": manual or None,
            "file": built.name, "archive": f"{self.settings.outbox_container}/{archive}",
            "manifest": f"{self.settings.outbox_container}/{manifest}" if manifest else None,
            "records": built.records, "people": built.people, "added": built.added,
            "removed": built.removed, "size": len(built.content), "sha256": built.sha256,
            "attempts": uploaded.attempts, "sequence": sequence,
            "duration_ms": int((time.monotonic() - started) * 1000),
            "profile": profile_for(organisation).name,
        }
        self.outcomes.record(org, KIND_DELIVERY, fields)
        self.outcomes.put_latest(org, KIND_SUCCESS, fields)
        if manual:
            self.outcomes.record(org, KIND_MANUAL, {"action": "redeliver", "reason": reason,
                                                    "day": day.isoformat(), "file": built.name})
        log.info("delivered %s: %d records, %d bytes, %d attempt(s)", built.name, built.records,
                 len(built.content), uploaded.attempts)
        return DeliveryOutcome(org, day.isoformat(), "succeeded", reason, built.name, built.records,
                               built.people, len(built.content), built.sha256, uploaded.attempts,
                               manual=manual)

    def _failed(self, org: str, day: date, reason: str, manual: bool, kind: str, message: str,
                built: DeliveryFile | None = None, attempts: int | None = None) -> DeliveryOutcome:
        self.outcomes.record(org, KIND_DELIVERY, {
            "status": "failed", "day": day.isoformat(), "reason": reason, "manual": manual or None,
            "error_kind": kind, "error": message[:300], "attempts": attempts,
            "file": built.name if built else None, "sha256": built.sha256 if built else None,
        })
        log.error("delivery failed (%s): %s", kind, message)
        return DeliveryOutcome(org, day.isoformat(), "failed", reason,
                               built.name if built else None, attempts=attempts, error_kind=kind,
                               manual=manual)

    def connection_test(self, org: str, *, probe: bool = True):
        """The same check as ``vish sftp-check``, recorded as an outcome (kind connection_test)."""
        from shared.adapters.sftp import CheckResult

        organisation = self.organisations.get(org)
        if organisation is None or organisation.sftp is None:
            result = CheckResult(ok=False, steps=[("instellingen", False, "geen SFTP-bestemming")])
        else:
            try:
                credentials = self.credentials_for(organisation.sftp)
            except SecretError as exc:
                result = CheckResult(ok=False, steps=[("geheim ophalen", False, str(exc))])
            else:
                result = SftpDelivery(organisation.sftp, credentials, sleep=self.sleep).check(probe=probe)
        failed = next((step for step, ok, _ in result.steps if not ok), None)
        self.outcomes.record(org, "connection_test", {"ok": result.ok, "failed_step": failed})
        return result

    # -- helpers -------------------------------------------------------------------------------
    def _build(self, organisation, day: date, *, sequence: int,
               success: dict | None = None) -> DeliveryFile:
        """``success``: the last successful delivery, when the caller already read it."""
        s = self.settings
        current = self.blobs.info(s.snapshots_container, f"{organisation.code}/{SNAPSHOT_NAME}")
        if current is None:
            raise FileNotFoundError("snapshot")
        profile = profile_for(organisation)
        previous = None
        if success is None:
            success = self.outcomes.latest(organisation.code, KIND_SUCCESS)
        if success and success.get("manifest") and profile.mode == "mutations":
            name = success["manifest"].split("/", 1)[1]
            text = self.blobs.read_bytes(s.outbox_container, name).decode("utf-8")
            previous = list(iter_snapshot_rows(io.StringIO(text, newline="")))
        snapshot = iter_snapshot_bytes(self.blobs.chunks(s.snapshots_container, current.name,
                                                         etag=current.etag))
        return build_delivery_file(snapshot, organisation, day, profile, previous=previous,
                                   sequence=sequence)

    def credentials_for(self, target) -> Credentials:
        secret = self.secrets.get(target.secret_name)
        if target.auth == "password":
            return Credentials(password=secret)
        passphrase = self.secrets.get(target.passphrase_secret) if target.passphrase_secret else None
        return Credentials(private_key=secret, passphrase=passphrase)

