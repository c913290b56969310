"""Outcome store over the ``outcomes`` table: what happened, when, in numbers. No personal data.

Each kind is a pydantic model that lists the fields it may hold (``extra="forbid"``): a field
that is not on the list cannot reach the table. ``schema_version`` travels with every entity.

Layout (PartitionKey = organisation code):
* history rows, RowKey ``{inverted ms timestamp:013d}-{kind}-{id}``: newest sort first, so the
  latest N are one cheap range query;
* one ``latest-{kind}`` row per organisation and kind, written in the same transaction as its
  history row, so status look-ups never scan;
* the success pointer ``latest-delivery_success``: the latest *day* delivered. It is written in
  the same transaction as the delivery's history row, and only ever moves forward;
* ``intent-delivery``: a delivery that is about to rename its file on SNG's server (name, size,
  SHA-256). The next delivery reconciles it before anything else; the success removes it in the
  same transaction (that intent only, by its ETag);
* ``unconfirmed-{day}``: a delivery recorded ``unconfirmed``, one row per day, open until a
  success for that day or a person's acknowledgement (``confirm_delivery``);
* ``latest-delivery_release``: the last release of a held file (its day and SHA-256);
* ``latest-extract`` follows the time an extract was received, not the order intakes finish:
  an older extract recorded after a newer one (parallel intakes) leaves it as it is;
* ``latest-extract_seen``: the last upload identical to the extract processed last (its SHA-256
  and time only; no history row): a daily export that did not change keeps the status fresh.

Every entity of an organisation shares its partition, so each of these is one table
transaction: a crash leaves all of it or none of it.
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
    people_ineligible_now: int | None = None
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
    # succeeded; failed; held (the drop guard: waits for a release); busy (another instance
    # holds the lease: history only); unconfirmed (renamed on the server, but arrival could not
    # be confirmed afterwards: an operator checks with SNG; never sent again automatically)
    status: Literal["succeeded", "failed", "held", "busy", "unconfirmed"]
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
    request: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")  # the queue request's id
    previous_people: int | None = None  # people in the last file delivered (the drop guard)
    reconciled: bool | None = None  # recorded by a later delivery from the intent

    @field_validator("reason")
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        return _operator_text(value) if value is not None else None


class DeliveryIntent(DeliveryRecord):
    """A file uploaded and verified under its temporary name, about to be renamed."""

    status: Literal["renaming"]
    temp: str


class ManualAction(_Outcome):
    action: Literal["redeliver", "release", "release_delivery", "confirm_delivery"]
    reason: str  # typed by an operator: BSN-like numbers are masked on the way in
    day: str | None = None
    file: str | None = None
    decision: str | None = None
    sha256: str | None = None

    @field_validator("reason")
    @classmethod
    def _masked(cls, value: str) -> str:
        return _operator_text(value)


def _operator_text(value: str) -> str:
    """Text typed by an operator: BSN-like numbers and dates masked, at most 500 characters."""
    from shared.domain.privacy import operator_text

    return operator_text(value)


class ExtractSeen(_Outcome):
    """An upload identical to the extract processed last: only its hash (and the time)."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ConnectionTest(_Outcome):
    ok: bool
    failed_step: str | None = None


KINDS: dict[str, type[_Outcome]] = {
    "extract": ExtractOutcome, "extract_accepted": ExtractOutcome,
    "delivery": DeliveryRecord, "delivery_success": DeliveryRecord,
    "delivery_intent": DeliveryIntent, "manual": ManualAction, "connection_test": ConnectionTest,
    "delivery_release": ManualAction, "extract_seen": ExtractSeen,
}
INTENT_ROW = "intent-delivery"
SUCCESS_ROW = "latest-delivery_success"
UNCONFIRMED_PREFIX = "unconfirmed-"  # + day: open until a success for that day or a person
_CONFLICTS = 5  # a pointer or intent changed under a transaction: read again, at most this often


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
               at: datetime | None = None, *, latest: bool = True,
               pointers: tuple[str, ...] = ()) -> dict[str, Any]:
        """Append one history entity and replace the ``latest`` one, atomically.
        ``latest=False``: the history row only (an event that must not hide the last outcome,
        such as a delivery found busy). ``pointers``: more ``latest-{name}`` rows with the same
        body in the same transaction (the accepted extract the snapshot came from).
        ``latest-extract`` follows time, not write order: it is replaced only by a newer extract
        (a conditional write, read again on a conflict), so a newer rejected extract recorded
        before an older accepted one stays."""
        from azure.core import MatchConditions
        from azure.data.tables import TableTransactionError

        history, pointer = self._rows(org, kind, fields, at)
        extra = []
        for name in pointers:
            _typed(name, fields)  # the pointer's kind must allow every field too
            extra.append(("upsert", dict(pointer, RowKey=f"latest-{name}", kind=name),
                          {"mode": "replace"}))
        if not latest or kind != "extract":
            latest_write = [("upsert", pointer, {"mode": "replace"})] if latest else []
            self.table.submit_transaction([("create", history), *latest_write, *extra])
            return history
        for attempt in range(1, _CONFLICTS + 1):
            operations = [("create", history), *extra]
            current = self._entity(org, pointer["RowKey"])
            if current is None:
                operations.append(("create", pointer))
            elif not _newer(current.get("recorded_at"), pointer["recorded_at"]):
                operations.append(("update", pointer, {
                    "mode": "replace", "etag": current.metadata["etag"],
                    "match_condition": MatchConditions.IfNotModified}))
            try:
                self.table.submit_transaction(operations)
                return history
            except TableTransactionError:
                if self._entity(org, history["RowKey"]) is not None:
                    return history  # it did commit: only the answer was lost
                if attempt == _CONFLICTS:
                    raise
        raise AssertionError("unreachable")

    def mark_seen(self, org: str, sha256: str, at: datetime | None = None) -> None:
        """An upload identical to the extract processed last was received: ``latest-extract_seen``
        (hash and time only, no history row)."""
        from azure.data.tables import UpdateMode

        at = at or datetime.now(UTC)
        body = _typed("extract_seen", {"sha256": sha256})
        body.update(kind="extract_seen", recorded_at=at, schema_version=SCHEMA_VERSION)
        self.table.upsert_entity({"PartitionKey": org, "RowKey": "latest-extract_seen", **body},
                                 mode=UpdateMode.REPLACE)

    def deliveries_since(self, org: str, since: datetime) -> list[dict[str, Any]]:
        """The delivery rows of history since ``since``, newest first, with only the columns
        the chart needs (a cheap query for the overview)."""
        rows = self._query(
            "PartitionKey eq @org and RowKey lt @upper and kind eq 'delivery'",
            parameters={"org": org, "upper": _time_prefix(since) + "-~"},
            select=["kind", "day", "status", "records", "people", "error_kind", "recorded_at"])
        return [{k: v for k, v in dict(row).items() if v is not None} for row in rows]

    @staticmethod
    def _rows(org: str, kind: str, fields: dict[str, Any],
              at: datetime | None) -> tuple[dict[str, Any], dict[str, Any]]:
        at = at or datetime.now(UTC)
        body = _typed(kind, fields)
        body.update(kind=kind, recorded_at=at, schema_version=SCHEMA_VERSION)
        history = {"PartitionKey": org, "RowKey": history_key(at, kind), **body}
        latest = {"PartitionKey": org, "RowKey": f"latest-{kind}", **body,
                  "history_row": history["RowKey"]}
        return history, latest

    def record_delivery(self, org: str, fields: dict[str, Any], *,
                        manual: dict[str, Any] | None = None, at: datetime | None = None,
                        intent_etag: str | None = None) -> None:
        """A delivery's end (succeeded or unconfirmed), in one transaction: its history row and
        ``latest-delivery``; the success pointer, moved only forward (a delivery for an earlier
        day leaves a later day's pointer as it is); the manual action, if any; the delivery's
        own intent removed (``intent_etag``: only that one, never another delivery's); and the
        open ``unconfirmed`` row, written for an unconfirmed end, removed by a success for its
        day. Should a pointer change in between (another writer), the rows are read again and
        the transaction is tried again. :class:`AlreadySettled` when the intent is no longer
        the one given: another delivery recorded this file meanwhile; nothing is written."""
        from azure.core import MatchConditions
        from azure.data.tables import TableTransactionError

        history, latest = self._rows(org, "delivery", fields, at)
        pointer = dict(latest, RowKey=SUCCESS_ROW, kind="delivery_success")
        extra: list = []
        if manual is not None:
            manual_history, manual_latest = self._rows(org, "manual", manual, at)
            extra = [("create", manual_history), ("upsert", manual_latest, {"mode": "replace"})]
        open_key = UNCONFIRMED_PREFIX + fields["day"]
        if fields["status"] == "unconfirmed":
            extra.append(("upsert", dict(latest, RowKey=open_key, kind="delivery_unconfirmed"),
                          {"mode": "replace"}))

        def unchanged(entity) -> dict:
            return {"etag": entity.metadata["etag"], "match_condition": MatchConditions.IfNotModified}

        for attempt in range(1, _CONFLICTS + 1):
            operations = [("create", history), ("upsert", latest, {"mode": "replace"}), *extra]
            current = self._entity(org, SUCCESS_ROW)
            if current is None:
                operations.append(("create", pointer))
            elif str(current.get("day", "")) <= fields["day"]:
                operations.append(("update", pointer, {"mode": "replace", **unchanged(current)}))
            if intent_etag is not None:
                intent = self._entity(org, INTENT_ROW)
                if intent is None or intent.metadata["etag"] != intent_etag:
                    raise AlreadySettled("this delivery's intent was settled by another delivery")
                operations.append(("delete", {"PartitionKey": org, "RowKey": INTENT_ROW},
                                   unchanged(intent)))
            open_row = self._entity(org, open_key) if fields["status"] == "succeeded" else None
            if open_row is not None:
                operations.append(("delete", {"PartitionKey": org, "RowKey": open_key},
                                   unchanged(open_row)))
            try:
                self.table.submit_transaction(operations)
                return
            except Exception as exc:
                if self._entity(org, history["RowKey"]) is not None:
                    return  # it did commit: only the answer was lost
                if not isinstance(exc, TableTransactionError) or attempt == _CONFLICTS:
                    raise

    def unconfirmed(self, org: str) -> list[dict[str, Any]]:
        """The open unconfirmed deliveries, oldest day first (until a success for their day or
        an acknowledgement); each with its ``etag``."""
        rows = self._query(
            "PartitionKey eq @org and RowKey ge @low and RowKey lt @high",
            parameters={"org": org, "low": UNCONFIRMED_PREFIX, "high": UNCONFIRMED_PREFIX[:-1] + "."})
        return sorted(({**dict(row), "etag": row.metadata["etag"]} for row in rows),
                      key=lambda row: row["RowKey"])

    def status_rows(self, org: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """What the status reads of an organisation, in one range query over its partition
        (``latest-`` up to ``unconfirmed.``; history keys start with digits and are not read):
        every ``latest-{kind}`` row by kind (as :meth:`latest`), and the open unconfirmed
        deliveries, oldest day first, each with its ``etag`` (as :meth:`unconfirmed`). One
        request instead of one per kind; keys in between (none today) are read and left out."""
        rows = self._query("PartitionKey eq @org and RowKey ge @low and RowKey lt @high",
                           parameters={"org": org, "low": "latest-",
                                       "high": UNCONFIRMED_PREFIX[:-1] + "."})
        latest, open_rows = {}, []
        for row in rows:
            key = row["RowKey"]
            if key.startswith("latest-"):
                latest[key[len("latest-"):]] = dict(row)
            elif key.startswith(UNCONFIRMED_PREFIX):
                open_rows.append({**dict(row), "etag": row.metadata["etag"]})
        return latest, sorted(open_rows, key=lambda row: row["RowKey"])

    def _query(self, query_filter: str, *, limit: int | None = None, **kwargs) -> list:
        """The entities of a query (at most ``limit``); none while the table does not exist yet
        (a fresh deployment: status is asked before the first outcome is written)."""
        from azure.core.exceptions import ResourceNotFoundError

        found = []
        try:
            for entity in self.table.query_entities(query_filter, **kwargs):
                found.append(entity)
                if limit is not None and len(found) >= limit:
                    break
        except ResourceNotFoundError:
            return []
        return found

    def acknowledge_unconfirmed(self, org: str, row: dict[str, Any], action: dict[str, Any],
                                at: datetime | None = None) -> None:
        """A person confirmed the unconfirmed delivery ``row`` (as read, with its ETag): the
        action recorded and that row removed, in one transaction."""
        from azure.core import MatchConditions

        history, latest = self._rows(org, "manual", action, at)
        self.table.submit_transaction([
            ("create", history), ("upsert", latest, {"mode": "replace"}),
            ("delete", {"PartitionKey": org, "RowKey": row["RowKey"]},
             {"etag": row["etag"], "match_condition": MatchConditions.IfNotModified})])

    def put_intent(self, org: str, fields: dict[str, Any], at: datetime | None = None) -> str:
        """Note the file about to be renamed on the server (see :meth:`record_delivery`);
        returns the row's ETag (for :meth:`clear_intent`). Only when no intent is open:
        another delivery's intent is never overwritten (:class:`IntentOpen`)."""
        from azure.core.exceptions import ResourceExistsError

        at = at or datetime.now(UTC)
        body = _typed("delivery_intent", fields)
        body.update(kind="delivery_intent", recorded_at=at, schema_version=SCHEMA_VERSION)
        try:
            result = self.table.create_entity({"PartitionKey": org, "RowKey": INTENT_ROW, **body})
        except ResourceExistsError:
            raise IntentOpen("another delivery's intent is open") from None
        return result["etag"]

    def intent_etag(self, org: str) -> tuple[dict[str, Any], str] | None:
        """The open intent and its ETag, or None."""
        entity = self._entity(org, INTENT_ROW)
        return (dict(entity), entity.metadata["etag"]) if entity is not None else None

    def recorded(self, org: str, day: str, file: str, sha256: str) -> bool:
        """Whether history holds a success for exactly this file (its day, name and hash)."""
        rows = self._query(
            "PartitionKey eq @org and RowKey lt 'a' and kind eq 'delivery' and day eq @day "
            "and file eq @file and sha256 eq @sha and status eq 'succeeded'",
            limit=1, parameters={"org": org, "day": day, "file": file, "sha": sha256}, select=["RowKey"])
        return bool(rows)

    def request_delivered(self, org: str, request: str) -> dict[str, Any] | None:
        """The delivery recorded for the queue request ``request`` that put a file on the
        server (``succeeded`` or ``unconfirmed``), or None: a request taken again (the queue
        delivers at least once) must not send its file twice. The organisation's whole history
        is searched (retention bounds it; no clock is compared: the sender's and the table's
        may differ); asked for a person's requests only."""
        rows = self._query(
            "PartitionKey eq @org and RowKey lt 'a' and kind eq 'delivery' and request eq @request",
            parameters={"org": org, "request": request})
        done = [dict(row) for row in rows if row.get("status") in ("succeeded", "unconfirmed")]
        return done[0] if done else None

    def day_sequence(self, org: str, day: str) -> int:
        """The highest sequence number delivered (or unconfirmed) for ``day`` in history; 0."""
        rows = self._query(
            "PartitionKey eq @org and RowKey lt 'a' and kind eq 'delivery' and day eq @day",
            parameters={"org": org, "day": day}, select=["status", "sequence"])
        return max((int(r.get("sequence") or 1) for r in rows
                    if r.get("status") in ("succeeded", "unconfirmed")), default=0)

    def clear_intent(self, org: str, etag: str) -> bool:
        """Remove the intent written with ``etag`` (a rename that was never asked for); an
        intent written since by another delivery stays. True when it was removed."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        try:
            self.table.delete_entity(org, INTENT_ROW, etag=etag,
                                     match_condition=MatchConditions.IfNotModified)
        except (ResourceNotFoundError, ResourceModifiedError):
            return False
        return True

    def intent(self, org: str) -> dict[str, Any] | None:
        entity = self._entity(org, INTENT_ROW)
        return dict(entity) if entity is not None else None

    def _entity(self, org: str, row: str):
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self.table.get_entity(org, row)
        except ResourceNotFoundError:
            return None

    def latest(self, org: str, kind: str) -> dict[str, Any] | None:
        entity = self._entity(org, f"latest-{kind}")
        return dict(entity) if entity is not None else None

    def history_page(self, org: str, *, page_size: int = 50, since: datetime | None = None,
                     continuation: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of history, newest first, optionally only entries since ``since``.
        Returns the entities and the token for the next page (None at the end)."""
        flt = "PartitionKey eq @org and RowKey lt @upper"
        upper = "a" if since is None else _time_prefix(since) + "-~"  # newer sorts lower
        from azure.core.exceptions import ResourceNotFoundError

        pages = self.table.query_entities(flt, parameters={"org": org, "upper": upper},
                                          results_per_page=page_size).by_page(
            continuation_token=continuation)
        try:
            page = list(next(pages, []))
        except ResourceNotFoundError:  # no table yet
            return [], None
        return [dict(e) for e in page], pages.continuation_token

    def purge(self, org: str, before: datetime) -> int:
        """Delete history older than ``before`` (retention). ``latest-*`` rows stay."""
        lower = _time_prefix(before) + "-~"  # older sorts higher
        old = self._query("PartitionKey eq @org and RowKey gt @lower and RowKey lt 'a'",
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
        rows = self._query(flt, limit=limit, parameters=params, results_per_page=min(limit, 1000))
        return [dict(entity) for entity in rows]


def _newer(current, at: datetime) -> bool:
    """Whether the row in the table (``current``: its recorded_at) is newer than ``at``."""
    return isinstance(current, datetime) and current > at


class AlreadySettled(Exception):
    """A delivery's intent was settled (recorded) by another delivery meanwhile."""


class IntentOpen(Exception):
    """An intent is open already: another delivery is renaming (or its outcome is unknown)."""
