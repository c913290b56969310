"""Outcome store over the ``outcomes`` table: what happened, when, in numbers. No personal data.

Each kind is a pydantic model that lists the fields it may hold (``extra="forbid"``): a field
that is not on the list cannot reach the table. ``schema_version`` travels with every entity.

Layout (PartitionKey = organisation code):
* history rows, RowKey ``{inverted ms timestamp:013d}-{kind}-{id}``: newest sort first, so the
  latest N are one cheap range query;
* one ``latest-{kind}`` row per organisation and kind, written in the same transaction as its
  history row, so status look-ups never scan.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from azure.data.tables import TableClient

SCHEMA_VERSION = 1
_MAX_MS = 10**13


class _Outcome(BaseModel):
    """Base of the typed outcome kinds: only the fields listed may be stored (a whitelist, so no
    personal data slips into the table), plain values only."""

    model_config = ConfigDict(extra="forbid")


class ExtractOutcome(_Outcome):
    decision: Literal["accepted", "rejected"]
    reason: str | None = None
    rows_total: int | None = None
    rows_valid: int | None = None
    rows_invalid: int | None = None
    rows_ineligible: int | None = None
    people: int | None = None
    current_people: int | None = None
    people_removed: int | None = None
    carried_over: int | None = None
    errors: int | None = None
    warnings: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$|^$")
    bytes: int | None = None
    eligibility_basis: str | None = None
    extract: str | None = None  # redacted file name
    folder: str | None = None  # unknown organisation folder (sanitised)
    report: str | None = None
    quarantined: str | None = None
    override_mass_drop: bool | None = None
    duration_ms: int | None = None


class DeliveryRecord(_Outcome):
    status: Literal["succeeded", "failed"]
    day: str
    reason: str | None = None
    manual: bool | None = None
    file: str | None = None
    archive: str | None = None
    manifest: str | None = None
    records: int | None = None
    people: int | None = None
    added: int | None = None
    removed: int | None = None
    size: int | None = None
    sha256: str | None = None
    attempts: int | None = None
    sequence: int | None = None
    duration_ms: int | None = None
    profile: str | None = None
    error_kind: str | None = None
    error: str | None = None


class ManualAction(_Outcome):
    action: Literal["redeliver", "release"]
    reason: str  # typed by an operator: BSN-like numbers are masked on the way in
    day: str | None = None
    file: str | None = None
    decision: str | None = None
    sha256: str | None = None

    @field_validator("reason")
    @classmethod
    def _masked(cls, value: str) -> str:
        from shared.domain.privacy import redact

        return redact(value)[:500]


class ConnectionTest(_Outcome):
    ok: bool
    failed_step: str | None = None


KINDS: dict[str, type[_Outcome]] = {
    "extract": ExtractOutcome, "extract_accepted": ExtractOutcome,
    "delivery": DeliveryRecord, "delivery_success": DeliveryRecord,
    "manual": ManualAction, "connection_test": ConnectionTest,
}


def _typed(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    model = KINDS.get(kind)
    if model is None:
        raise ValueError(f"unknown outcome kind {kind!r}")
    return model.model_validate(fields).model_dump(exclude_none=True)


def _time_prefix(at: datetime) -> str:
    """13 digits that sort newest first; history RowKeys start with it."""
    return f"{_MAX_MS - int(at.timestamp() * 1000):013d}"


def history_key(at: datetime, kind: str) -> str:
    return f"{_time_prefix(at)}-{kind}-{uuid.uuid4().hex[:8]}"


class OutcomeStore:
    def __init__(self, table: TableClient) -> None:
        self.table = table

    def ensure_table(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self.table.create_table()

    def record(self, org: str, kind: str, fields: dict[str, Any],
               at: datetime | None = None) -> dict[str, Any]:
        """Append one history entity and replace the ``latest`` one, atomically."""
        at = at or datetime.now(UTC)
        body = _typed(kind, fields)
        body.update(kind=kind, recorded_at=at, schema_version=SCHEMA_VERSION)
        history = {"PartitionKey": org, "RowKey": history_key(at, kind), **body}
        latest = {"PartitionKey": org, "RowKey": f"latest-{kind}", **body,
                  "history_row": history["RowKey"]}
        self.table.submit_transaction([("create", history), ("upsert", latest, {"mode": "replace"})])
        return history

    def put_latest(self, org: str, kind: str, fields: dict[str, Any],
                   at: datetime | None = None) -> None:
        """Replace the ``latest-{kind}`` entity only (a pointer, e.g. the last success)."""
        at = at or datetime.now(UTC)
        body = _typed(kind, fields)
        body.update(kind=kind, recorded_at=at, schema_version=SCHEMA_VERSION)
        self.table.upsert_entity({"PartitionKey": org, "RowKey": f"latest-{kind}", **body},
                                 mode=_replace_mode())

    def latest(self, org: str, kind: str) -> dict[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return dict(self.table.get_entity(org, f"latest-{kind}"))
        except ResourceNotFoundError:
            return None

    def history_page(self, org: str, *, page_size: int = 50, since: datetime | None = None,
                     continuation: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of history, newest first, optionally only entries since ``since``.
        Returns the entities and the token for the next page (None at the end)."""
        flt = "PartitionKey eq @org and RowKey lt @upper"
        upper = "a" if since is None else _time_prefix(since) + "-~"  # newer sorts lower
        pages = self.table.query_entities(flt, parameters={"org": org, "upper": upper},
                                          results_per_page=page_size).by_page(
            continuation_token=continuation)
        page = next(pages, [])
        return [dict(e) for e in page], pages.continuation_token

    def purge(self, org: str, before: datetime) -> int:
        """Delete history older than ``before`` (retention). ``latest-*`` rows stay."""
        lower = _time_prefix(before) + "-~"  # older sorts higher
        old = self.table.query_entities("PartitionKey eq @org and RowKey gt @lower and RowKey lt 'a'",
                                        parameters={"org": org, "lower": lower}, select=["RowKey"])
        keys = [e["RowKey"] for e in old]
        for start in range(0, len(keys), 100):
            self.table.submit_transaction([("delete", {"PartitionKey": org, "RowKey": k})
                                           for k in keys[start:start + 100]])
        return len(keys)

    def history(self, org: str, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        """Newest first. History keys start with digits, so ``lt 'a'`` excludes ``latest-*``."""
        flt = "PartitionKey eq @org and RowKey lt 'a'"
        params = {"org": org}
        if kind:
            flt += " and kind eq @kind"
            params["kind"] = kind
        rows = self.table.query_entities(flt, parameters=params, results_per_page=min(limit, 1000))
        out = []
        for entity in rows:
            out.append(dict(entity))
            if len(out) >= limit:
                break
        return out


def _replace_mode():
    from azure.data.tables import UpdateMode

    return UpdateMode.REPLACE
