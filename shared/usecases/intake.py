"""Intake of one extract blob: validate, then write snapshot, reports, quarantine and outcome.

The shell around :func:`shared.domain.validation.validate_extract`, shared by the blob-trigger function
and ``vish intake``. Storage layout and retention: ARCHITECTURE.md.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from shared.adapters.blobs import BlobStore, ConcurrentUpdate
from shared.adapters.outcomes import OutcomeStore
from shared.clock import local_today, utcnow
from shared.config import OrganisationsDocument, Settings
from shared.domain import privacy
from shared.domain.delivery_rules import names_file
from shared.domain.issues import CODES, Code, Issue
from shared.domain.localtime import AMSTERDAM
from shared.domain.privacy import KNOWN_EXTENSIONS, safe_name
from shared.domain.report import report_csv, report_json
from shared.domain.snapshot import (
    SNAPSHOT_FORMAT_VERSION,
    SNAPSHOT_ORDER_BSN,
    SNAPSHOT_ORDER_KEY,
    SnapshotFormatError,
    iter_snapshot_bytes,
)
from shared.domain.validation import Rules, ValidationResult, validate_extract
from shared.log import get_logger, log_context

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient

EXTRACTS_CONTAINER = privacy.EXTRACTS_CONTAINER  # fixed: the blob trigger's path names it
SNAPSHOT_NAME = "current.csv"
KIND_EXTRACT = "extract"
_ATTEMPTS = 3

log = get_logger("intake")


@dataclass(frozen=True)
class IntakeOutcome:
    org: str
    decision: str  # accepted | rejected | duplicate | missing
    reason: str | None = None
    sha256: str | None = None
    report: str | None = None
    quarantined: str | None = None
    summary: dict | None = None


class Intake:
    def __init__(self, settings: Settings, organisations: OrganisationsDocument, blobs: BlobStore,
                 outcomes: OutcomeStore, *, now: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.organisations = organisations
        self.blobs = blobs
        self.outcomes = outcomes
        self.now = now

    def ensure_storage(self) -> None:
        s = self.settings
        self.blobs.ensure_containers(EXTRACTS_CONTAINER, s.quarantine_container,
                                     s.snapshots_container, s.reports_container,
                                     s.outbox_container, s.locks_container)
        self.outcomes.ensure_table()

    # -- entry point ---------------------------------------------------------------------------
    def process(self, blob_name: str, *, source: BlobClient | None = None,
                reference_date: date | None = None, override_mass_drop: bool = False,
                container: str = EXTRACTS_CONTAINER) -> IntakeOutcome:
        """Process ``{container}/{blob_name}`` where blob_name is ``{org}/{file}``: normally an
        incoming extract; a held extract is released from the quarantine container."""
        org_code, _, file_name = blob_name.partition("/")
        today = local_today(self.now())
        shown = safe_name(file_name or blob_name, today)
        organisation = self.organisations.get(org_code)
        # A configured code is configuration and is logged as it is; only a folder of no
        # organisation (anyone's typing, perhaps a name) is masked.
        logged = org_code if organisation else safe_name(org_code, today, 40, words=False)
        with log_context(org=logged, extract=shown):
            if organisation is None or not file_name:
                return self._reject_unknown(blob_name, org_code, shown)
            info = self.blobs.info(container, blob_name)
            if info is None:
                log.info("extract no longer present (processed earlier or removed); nothing to do")
                return IntakeOutcome(org_code, "missing")
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    return self._process_once(organisation, container, blob_name, shown, info,
                                              source, reference_date, override_mass_drop)
                except ConcurrentUpdate:
                    if attempt == _ATTEMPTS:
                        raise
                    log.warning("snapshot changed by a concurrent intake; validating again "
                                "(attempt %d)", attempt + 1)
        raise AssertionError("unreachable")

    # -- steps ---------------------------------------------------------------------------------
    def _process_once(self, organisation, container: str, blob_name: str, shown: str, info, source,
                      reference_date: date | None, override_mass_drop: bool) -> IntakeOutcome:
        s = self.settings
        org = organisation.code
        started = time.perf_counter()
        received_at = self.now()
        today = local_today(received_at)
        snapshot_name = f"{org}/{SNAPSHOT_NAME}"
        current = self.blobs.info(s.snapshots_container, snapshot_name)
        if s.work_dir is not None:  # a configured scratch folder that is not there yet is made
            s.work_dir.mkdir(parents=True, exist_ok=True)

        with tempfile.TemporaryFile("w+b", dir=s.work_dir) as spooled:
            out = io.TextIOWrapper(spooled, encoding="utf-8", newline="")
            if info.size > s.max_extract_bytes:
                result = _structural_rejection(
                    Code.TOO_LARGE, f"het bestand is {megabytes(info.size)}, de grens is "
                                    f"{megabytes(s.max_extract_bytes)}")
            else:
                result = self._validate(container, blob_name, info, source, current, organisation,
                                        today, reference_date, override_mass_drop, out)
            latest = self.outcomes.latest(org, KIND_EXTRACT)
            if (result.sha256 and latest and latest.get("sha256") == result.sha256
                    and latest.get("decision") == "accepted" and not override_mass_drop):
                # Same content as the extract accepted last: no second effect (no report,
                # snapshot or history row). Only that it came again is noted, so a daily export
                # that did not change is not called stale. A copy of a rejected or held file is
                # checked again (a new report): the settings may have changed since (a column
                # alias, a threshold), and the counsellor who sends it again gets an answer.
                self.outcomes.mark_seen(org, result.sha256, at=received_at)
                self.blobs.delete(container, blob_name)
                log.info("extract has the same content as the last one processed (%s); ignored",
                         latest.get("decision"))
                return IntakeOutcome(org, "duplicate", latest.get("reason"), result.sha256)

            stamp = received_at.strftime("%Y%m%dT%H%M%SZ")
            # Names that two uploads never share: the content's hash, or, for a file that was
            # not read (too large), one drawn from the blob's own version.
            identity = result.sha256 or unread_identity(blob_name, info.etag)
            base = f"{org}/{report_name(received_at, shown, identity)}"
            self.blobs.upload(s.reports_container, base + ".json",
                              report_json(result, organisation=org, extract=shown,
                                          received_at=received_at),
                              content_type="application/json")
            self.blobs.upload(s.reports_container, base + ".csv",
                              report_csv(result, organisation=org),
                              content_type="text/csv; charset=utf-8")
            quarantined = None
            if result.accepted:
                out.flush()
                spooled.seek(0)
                self.blobs.upload(
                    s.snapshots_container, snapshot_name, spooled,
                    metadata={"source_sha256": result.sha256, "people": str(result.people),
                              "accepted_at": received_at.isoformat(),
                              "format_version": SNAPSHOT_FORMAT_VERSION,
                              SNAPSHOT_ORDER_KEY: SNAPSHOT_ORDER_BSN,
                              "eligibility_basis": result.eligibility_basis},
                    content_type="text/csv; charset=utf-8",
                    if_match=current.etag if current else None,
                    if_none_exists=current is None,
                )
            elif container == EXTRACTS_CONTAINER:
                quarantined = f"{org}/{stamp}-{identity[:12]}-{shown}"
                self.blobs.copy((EXTRACTS_CONTAINER, blob_name),
                                (s.quarantine_container, quarantined))
            else:
                quarantined = blob_name  # released again but still rejected: it stays

        summary = result.summary()
        # The pointer to the extract the snapshot in force came from (status: snapshot age) is
        # written in the same transaction: a crash cannot leave one without the other.
        self.outcomes.record(org, KIND_EXTRACT, {
            **summary,
            "extract": shown,
            "report": f"{s.reports_container}/{base}.json",
            "quarantined": f"{s.quarantine_container}/{quarantined}" if quarantined else None,
            "override_mass_drop": override_mass_drop or None,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }, at=received_at, pointers=("extract_accepted",) if result.accepted else ())
        # Only now the original goes: should anything above fail, a retried event finds the blob
        # again; should this delete fail, the retry finds the recorded hash and only deletes.
        if result.accepted or container == EXTRACTS_CONTAINER:
            self.blobs.delete(container, blob_name)
        log.info("extract %s%s: %d rows, %d valid, %d ineligible, %d people",
                 result.decision, f" ({result.reason.value})" if result.reason else "",
                 result.total, result.valid, result.ineligible, result.people)
        return IntakeOutcome(org, result.decision, result.reason.value if result.reason else None,
                             result.sha256, f"{s.reports_container}/{base}.json",
                             quarantined, summary)

    def _validate(self, container, blob_name, info, source, current, organisation, today,
                  reference_date, override_mass_drop, out) -> ValidationResult:
        s = self.settings
        chunks = self.blobs.chunks(container, blob_name, etag=info.etag, client=source)
        snapshot = (iter_snapshot_bytes(self.blobs.chunks(s.snapshots_container, current.name,
                                                          etag=current.etag))
                    if current else None)
        try:
            return validate_extract(
                chunks, today=today, reference_date=reference_date or today,
                rules=Rules.of(organisation), current_snapshot=snapshot, snapshot_out=out,
                max_bytes=s.max_extract_bytes, max_issues=s.max_report_issues,
                override_mass_drop=override_mass_drop,
            )
        except ConcurrentUpdate:
            raise
        except SnapshotFormatError as exc:
            # Not the extract's fault: the stored snapshot is damaged. Keep the extract (it goes
            # to quarantine) and say so; the message names a line at most, never a value.
            log.error("current snapshot cannot be read (%s); extract kept in quarantine", exc)
            return _structural_rejection(Code.SNAPSHOT_UNREADABLE, str(exc))
        except Exception as exc:
            from azure.core.exceptions import AzureError

            if isinstance(exc, AzureError):
                raise  # storage trouble: let the trigger retry
            # A file that trips anything unforeseen ends as a rejection, never a retry loop.
            log.error("extract could not be processed (%s); rejected", type(exc).__name__)
            return _structural_rejection(
                Code.UNREADABLE, "bij het lezen ging intern iets mis, niet per se door het bestand; "
                                 "meld het aan de beheerder (de oorzaak staat in de logboeken)")

    def release_held(self, org: str, reason: str, sha256: str) -> IntakeOutcome:
        """Accept the extract the mass-drop guard held, after a person checked that file (the
        decision is recorded): ``sha256`` (at least its first 8 characters, as the report and the
        status show them) names it, so an extract held after the person looked (a newer export)
        is never released by mistake."""
        latest = self.outcomes.latest(org, KIND_EXTRACT)
        if not latest or latest.get("reason") != Code.MASS_DROP_HELD.value or not latest.get("quarantined"):
            raise NothingToRelease("the last extract of this organisation is not held")
        if not names_file(sha256, latest.get("sha256")):
            raise NotTheHeldExtract("the file named is not the extract held now")
        container, _, name = latest["quarantined"].partition("/")
        outcome = self.process(name, container=container, override_mass_drop=True)
        self.outcomes.record(org, "manual", {"action": "release", "reason": reason[:500],
                                              "decision": outcome.decision, "sha256": outcome.sha256})
        return outcome

    def _reject_unknown(self, blob_name: str, org_code: str, shown: str) -> IntakeOutcome:
        s = self.settings
        folder = (safe_name(org_code, local_today(self.now()), 40, words=False) if org_code
                  else "_geen_map")
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        info = self.blobs.info(EXTRACTS_CONTAINER, blob_name)
        if info is None:
            return IntakeOutcome(folder, "missing")
        target = f"_onbekend/{folder}/{stamp}-{unread_identity(blob_name, info.etag)[:12]}-{shown}"
        self.blobs.copy((EXTRACTS_CONTAINER, blob_name), (s.quarantine_container, target))
        self.blobs.delete(EXTRACTS_CONTAINER, blob_name)
        self.outcomes.record("_onbekend", KIND_EXTRACT, {
            "decision": "rejected", "reason": Code.UNKNOWN_ORGANISATION.value,
            "folder": folder, "extract": shown,
            "quarantined": f"{s.quarantine_container}/{target}",
        })
        log.warning("extract in folder that is no configured organisation; quarantined")
        return IntakeOutcome(folder, "rejected", Code.UNKNOWN_ORGANISATION.value,
                             quarantined=target)


class NothingToRelease(Exception):
    """There is no held extract to release."""


class NotTheHeldExtract(Exception):
    """The file a person checked is not the extract held now."""


# The part of a report's name taken from the uploaded file's name (after the time).
REPORT_NAME_STEM = 80
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def report_name(received_at: datetime, shown: str, sha256: str) -> str:
    """A report's name in ``reports/{org}/`` without its ``.json``/``.csv``: the local time it
    was received (Europe/Amsterdam, to the second), the uploaded file's name as
    :func:`privacy.safe_name` shows it (``shown``: only ``A-Za-z0-9._-``, words and numbers that
    can identify a person masked) without its extension and at most :data:`REPORT_NAME_STEM`
    characters, and the first 12 characters of the SHA-256 (``leeg`` when nothing was read):
    ``2026-11-29_093412_Vxxx_Vx-0001_20261129_001_3f2a1b9c0d1e``. Names sort by local time; two
    reports share a name only for the same content under the same name in the same second.
    The folder (``{org}/``) stays the prefix every reader and rule of ``reports/`` relies on."""
    stem = shown
    for _ in range(2):  # .csv, .csv.gz
        head, dot, extension = stem.rpartition(".")
        if dot and head and extension.lower() in KNOWN_EXTENSIONS:
            stem = head
    # ``shown`` is already safe; kept to the same characters here too, whoever calls this.
    stem = _NOT_NAME.sub("_", stem)[:REPORT_NAME_STEM].strip(".") or "_"
    local = received_at.astimezone(AMSTERDAM)
    return f"{local:%Y-%m-%d_%H%M%S}_{stem}_{(sha256 or 'leeg')[:12]}"


def unread_identity(blob_name: str, etag: str) -> str:
    """For names of a file whose content was not read: 12 hex characters from the blob's name and
    version (its ETag), so two uploads in the same second never share a report or quarantine
    name, and a retried event for the same blob finds the same one."""
    return hashlib.sha256(f"{blob_name}\n{etag}".encode()).hexdigest()[:12]


def megabytes(size: int) -> str:
    """A size as people read it (1 MB = 1024 × 1024 bytes, as Windows shows it): ``573 MB``,
    ``1,5 MB``, with a thousands point from 1.000 MB."""
    mb = size / (1024 * 1024)
    if mb < 10:
        return f"{mb:.1f} MB".replace(".", ",")
    return f"{round(mb):,} MB".replace(",", ".")


def _structural_rejection(code: Code, detail: str) -> ValidationResult:
    result = ValidationResult(reason=code)
    result.issues.append(Issue(code, detail=detail))
    result.issue_counts[code] += 1
    return result


def reason_text(code: str | None) -> str | None:
    return CODES[Code(code)].message if code else None
