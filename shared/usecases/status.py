"""The status of every organisation, for monitors (JSON, 503) and people (HTML). No personal data.

Only codes and numbers leave: ``reason`` is shown for extracts only (a rejection code); on
deliveries and manual actions it is text an operator typed (a name may be in it), so it never
does. A row that does not read never breaks the status of the others: a ``latest-*`` row
makes its organisation ``unreadable``, a history row is left out.

Many organisations (a shared service delivering for hundreds): an organisation costs one table
query (its ``latest-*`` and ``unconfirmed-*`` rows in one range of its partition, never its
history), organisations are read :data:`WORKERS` at a time, and :meth:`StatusService.overview_page`
gives a ``summary`` of all of them with one page of them, those that need attention first.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from shared.clock import AMSTERDAM, local_today, utcnow
from shared.config import OrganisationsDocument, Settings
from shared.domain.health import (
    NEEDS_PERSON,
    WORDS,
    assess,
    at_text,
    extract_problem,
    readable,
    unreadable,
)
from shared.domain.privacy import safe_name
from shared.domain.schedule import next_due

log = logging.getLogger(__name__)

KIND_EXTRACT, KIND_ACCEPTED = "extract", "extract_accepted"
KIND_DELIVERY, KIND_SUCCESS = "delivery", "delivery_success"
KIND_SEEN = "extract_seen"
UNKNOWN_PARTITION = "_onbekend"  # intake's partition for uploads to a folder of no organisation
UNKNOWN_DAYS = 7
# Organisations read at a time (the table client is safe to share between threads; the SDK's
# connection pool holds 10 connections per host). Each one is a table request of a few ms.
WORKERS = 8
PER_PAGE, MAX_PER_PAGE = 50, 100  # organisations per page of the overview
# A day's colour in the chart: its best outcome ("nothing": a tick that found no accepted
# extract to deliver; not a failure).
_DAY_RANK = {"nothing": -1, "failed": 0, "held": 1, "unconfirmed": 2, "succeeded": 3}
# Kinds whose ``reason`` is a code (a rejection); elsewhere it is an operator's free text.
_REASON_IS_CODE = ("extract", "extract_accepted")
# Latest rows and what they are called in the Dutch reason when they do not read.
_LATEST = {KIND_EXTRACT: "laatste bestand", KIND_ACCEPTED: "laatste geaccepteerde bestand",
           KIND_DELIVERY: "laatste levering", KIND_SUCCESS: "laatste gelukte levering",
           KIND_SEEN: "laatste ontvangst van hetzelfde bestand"}
_PUBLIC_FIELDS = ("decision", "status", "rows_total", "rows_valid", "rows_invalid",
                  "rows_ineligible", "people", "file", "records", "size", "sha256", "day", "attempts",
                  "error_kind", "duration_ms", "extract", "report", "quarantined", "sequence", "manual",
                  "action", "kind", "previous_people", "reconciled", "current_people",
                  "people_removed", "people_ineligible_now", "added", "removed",
                  "override_mass_drop", "ok", "failed_step", "request")


def _public(entity: dict | None) -> dict | None:
    """Only the fields meant for the status; times as ISO text. ``reason`` only where it is a
    code (an extract's), never an operator's text."""
    if entity is None:
        return None
    out = {k: entity[k] for k in _PUBLIC_FIELDS if entity.get(k) is not None}
    if entity.get("kind") in _REASON_IS_CODE and isinstance(entity.get("reason"), str):
        out["reason"] = entity["reason"]
    if "recorded_at" in entity:
        out["at"] = entity["recorded_at"].isoformat()
        out["at_local"] = entity["recorded_at"].astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
        out["at_text"] = at_text(entity["recorded_at"])
    return out


def _next_text(health: str, due: datetime, now: datetime, nothing_yet: bool,
               error_kind=None) -> str:
    """The next delivery in Dutch, never a moment in the past dressed as a future one. The
    timer ticks every quarter of an hour (VISH_DELIVERY_SCHEDULE, ``0 */15 * * * *``)."""
    if health == "not_connected":
        return "geen (nog niet aangesloten)"
    if nothing_yet:
        return "na het eerste geaccepteerde bestand"
    if health == "held":
        return "na vrijgave van het tegengehouden bestand"
    if health == "failing":
        if error_kind in NEEDS_PERSON:
            return "na herstel van de fout"
        return "bij de volgende poging (elk kwartier)"
    if due <= now:
        return f"verzendtijd was {at_text(due)}; volgende poging bij de volgende tik (elk kwartier)"
    return at_text(due)


_CODE_LIKE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


def _shown_folder(folder: str, now: datetime) -> str:
    """A folder name as the status shows it: one that looks like an organisation code as
    recorded; anything else (capitals, spaces: it may be a person's name) with every word
    masked but its first letter."""
    if _CODE_LIKE.match(folder):
        return folder
    return safe_name(folder, local_today(now), 40)


def attention_order(item: dict) -> tuple:
    """Sort key of the overview's pages: organisations that need attention first, by the
    precedence of their word (:data:`~shared.domain.health.WORDS`), then by code; the healthy
    ones after them, by code."""
    if item["healthy"]:
        return (1, 0, item["code"])
    word = item["health"]
    return (0, WORDS.index(word) if word in WORDS else len(WORDS), item["code"])


def summary(items: list[dict]) -> dict:
    """How many organisations there are, how many need attention, and how many have each
    health word (every word, in the order of precedence; 0 where none has it)."""
    counts = dict.fromkeys(WORDS, 0)
    for item in items:
        counts[item["health"]] = counts.get(item["health"], 0) + 1
    attention = sum(1 for item in items if not item["healthy"])
    return {"organisations": len(items), "attention": attention,
            "healthy": len(items) - attention, "health": counts}


class StatusService:
    def __init__(self, settings: Settings, organisations: OrganisationsDocument, outcomes, *,
                 now=utcnow, workers: int = WORKERS) -> None:
        self.settings = settings
        self.organisations = organisations
        self.outcomes = outcomes
        self.now = now
        self.workers = workers

    def overview(self) -> dict:
        """Every organisation's status (``organisations``, in the order configured), their
        ``summary``, and the uploads to folders of no organisation in the last days
        (``unknown_folders``: they never make it unhealthy). Organisations are read
        :attr:`workers` at a time, the unknown folders alongside them."""
        now = self.now()
        organisations = self.organisations.organisations
        if self.workers < 2 or len(organisations) < 2:
            items = [self._organisation(o, now) for o in organisations]
            unknown = self.unknown_folders(now)
        else:
            with ThreadPoolExecutor(min(self.workers, len(organisations) + 1),
                                    thread_name_prefix="status") as pool:
                folders = pool.submit(self.unknown_folders, now)
                items = list(pool.map(lambda o: self._organisation(o, now), organisations))
                unknown = folders.result()
        return {"generated_at": now.isoformat(), "healthy": all(i["healthy"] for i in items),
                "organisations": items, "summary": summary(items), "unknown_folders": unknown}

    def overview_page(self, page: int = 1, per_page: int = PER_PAGE, *,
                      attention: bool = False) -> dict:
        """:meth:`overview` with one page of its organisations: those that need attention first
        (:func:`attention_order`); ``attention``: only those. ``healthy`` and ``summary`` are
        of all organisations, whatever the page. ``paging``: the page, its size, how many pages
        and organisations the list has (a page past the last one is empty). ValueError for a
        page below 1 or a size outside 1 to :data:`MAX_PER_PAGE`."""
        if not isinstance(page, int) or page < 1:
            raise ValueError("page must be 1 or more")
        if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1 to {MAX_PER_PAGE}")
        full = self.overview()
        listed = sorted(full["organisations"], key=attention_order)
        if attention:
            listed = [item for item in listed if not item["healthy"]]
        pages = max(1, -(-len(listed) // per_page))
        return {**full, "organisations": listed[(page - 1) * per_page:page * per_page],
                "paging": {"page": page, "per_page": per_page, "pages": pages,
                           "organisations": len(listed), "attention_only": attention}}

    def chart_days(self, codes: list[str], days: int = 30) -> dict[str, list[dict]]:
        """Per organisation code: its ``days`` for the chart (see :meth:`organisation`), read
        :attr:`workers` at a time; only the delivery rows of history are read."""
        now = self.now()
        if self.workers < 2 or len(codes) < 2:
            return {code: self._chart(code, now, days) for code in codes}
        with ThreadPoolExecutor(min(self.workers, len(codes)), thread_name_prefix="status") as pool:
            return dict(zip(codes, pool.map(lambda code: self._chart(code, now, days), codes),
                            strict=True))

    def organisation(self, code: str, days: int = 30, *, history: bool = True) -> dict | None:
        """One organisation's status with ``days`` (the chart). ``history``: with its history
        too (its page); without, only the delivery rows the chart needs are read."""
        organisation = self.organisations.get(code)
        if organisation is None:
            return None
        now = self.now()
        item = self._organisation(organisation, now)
        if history:
            item["history"] = self._history(code, now - timedelta(days=days))
            item["days"] = self._days(item["history"], local_today(now), days)
        else:
            item["days"] = self._chart(code, now, days)
        return item

    def _chart(self, code: str, now: datetime, days: int) -> list[dict]:
        since = now - timedelta(days=days)
        rows = [_public(e) for e in self.outcomes.deliveries_since(code, since) if readable(e)]
        return self._days(rows, local_today(now), days)

    def _current(self, code: str) -> tuple[dict[str, dict], list[dict]]:
        """The organisation's ``latest-*`` rows by kind and its open unconfirmed deliveries: one
        query (:meth:`OutcomeStore.status_rows`); a store that offers only the reads by kind (a
        scripted one) is asked per kind."""
        read = getattr(self.outcomes, "status_rows", None)
        if read is not None:
            return read(code)
        return ({kind: self.outcomes.latest(code, kind) for kind in _LATEST},
                self.outcomes.unconfirmed(code))

    def unknown_folders(self, now: datetime | None = None) -> list[dict]:
        """Per folder of no organisation: its sanitised name (as intake recorded it), the last
        upload there in the last :data:`UNKNOWN_DAYS` days and how many; newest first. Nothing
        else of those files (their names may hold anything)."""
        now = now or self.now()
        folders: dict[str, dict] = {}
        for entry in self._rows(UNKNOWN_PARTITION, now - timedelta(days=UNKNOWN_DAYS)):
            folder = entry.get("folder")
            if entry.get("kind") != KIND_EXTRACT or not isinstance(folder, str) or not folder:
                continue
            if folder in folders:
                folders[folder]["uploads"] += 1
                continue
            at = entry["recorded_at"]
            folders[folder] = {"folder": _shown_folder(folder, now), "at": at.isoformat(),
                               "at_local": at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
                               "at_text": at_text(at), "uploads": 1}
        return list(folders.values())

    def _organisation(self, organisation, now: datetime) -> dict:
        """:meth:`_assessed`; should a row pass :func:`readable` and still not read where it is
        used (a value of a kind no check foresaw), the organisation is ``unreadable`` too, and
        the others are still shown (never a 500). Storage errors are not caught here."""
        try:
            return self._assessed(organisation, now)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
            log.error("status: outcome rows of %s do not read (%s)", organisation.code,
                      type(exc).__name__)
            health = unreadable("uitkomst")
            due = next_due(now, organisation.send_time, None)
            return {
                "code": organisation.code, "name": organisation.name, "health": health.word,
                "reason": health.reason, "healthy": False, "last_extract": None,
                "last_accepted_extract": None, "last_delivery": None,
                "last_successful_delivery": None,
                "next_due": {"utc": due.isoformat(),
                             "local": due.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
                             "text": _next_text(health.word, due, now, False)},
                "extract_problem": None, "snapshot_age_hours": None, "people": None,
                "unreadable_rows": ["onbekend"],
            }

    def _assessed(self, organisation, now: datetime) -> dict:
        """The organisation's status. Keys other code reads stay as they are (add, never
        rename): ``health``, ``reason``, ``healthy``, ``last_*``, ``next_due.utc/local``.
        A latest row that does not read makes it ``unreadable`` (logged by kind, never its
        content); the others are shown as read."""
        code = organisation.code
        rows, unconfirmed = self._current(code)
        latest, broken = {}, []
        for kind in _LATEST:
            row = rows.get(kind)
            if row is not None and not readable(row):
                broken.append(kind)
                row = None
            latest[kind] = row
        if any(not readable(row) for row in unconfirmed):
            broken.append("unconfirmed")
        open_unconfirmed = next((row for row in unconfirmed if readable(row)), None)  # the oldest
        if broken:
            log.error("status: outcome rows of %s do not read (%s)", code, ", ".join(broken))
            which = _LATEST.get(broken[0], "niet bevestigde levering")
            health = unreadable(which)
        else:
            health = assess(now, organisation, last_accepted=latest[KIND_ACCEPTED],
                            last_attempt=latest[KIND_DELIVERY], last_success=latest[KIND_SUCCESS],
                            grace_minutes=self.settings.delivery_grace_minutes,
                            stale_days=self.settings.stale_extract_days,
                            open_unconfirmed=open_unconfirmed, last_extract=latest[KIND_EXTRACT],
                            last_seen=latest[KIND_SEEN])
        problem = extract_problem(latest[KIND_EXTRACT], latest[KIND_ACCEPTED], code)
        success = latest[KIND_SUCCESS]
        done_day = date.fromisoformat(success["day"]) if success else None
        due = next_due(now, organisation.send_time, done_day)
        accepted = latest[KIND_ACCEPTED]
        attempt = latest[KIND_DELIVERY]
        return {
            "code": code, "name": organisation.name, "health": health.word, "reason": health.reason,
            "healthy": health.healthy,
            "last_extract": _public(latest[KIND_EXTRACT]),
            "last_accepted_extract": _public(accepted),
            "last_delivery": _public(latest[KIND_DELIVERY]),
            "last_successful_delivery": _public(success),
            "next_due": {"utc": due.isoformat(),
                         "local": due.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
                         "text": _next_text(health.word, due, now,
                                            accepted is None and success is None,
                                            attempt.get("error_kind") if attempt else None)},
            "extract_problem": {"word": problem.word, "reason": problem.reason} if problem else None,
            "snapshot_age_hours": round((now - accepted["recorded_at"]).total_seconds() / 3600, 1)
            if accepted else None,
            "people": accepted.get("people") if accepted else None,
            "unreadable_rows": broken,
        }

    def _history(self, code: str, since: datetime) -> list[dict]:
        return [_public(e) for e in self._rows(code, since)]

    def _rows(self, code: str, since: datetime) -> list[dict]:
        """History rows since ``since``, newest first; a row that does not read is left out."""
        items, token, skipped = [], None, 0
        while True:
            page, token = self.outcomes.history_page(code, page_size=200, since=since,
                                                     continuation=token)
            for entity in page:
                if readable(entity):
                    items.append(entity)
                else:
                    skipped += 1
            if not token:
                break
        if skipped:
            log.error("status: %d history rows of %s do not read; left out", skipped, code)
        return items

    @staticmethod
    def _days(history: list[dict], today: date, days: int) -> list[dict]:
        """Per local day (oldest first): the outcome (its best) and the records and people of
        the day's last delivery that reached the server, for the chart. ``history`` is newest
        first. A tick that found no accepted extract is ``nothing``, not a failure."""
        by_day: dict[str, dict] = {}
        for entry in history:
            if entry.get("kind") != KIND_DELIVERY or "day" not in entry:
                continue
            status = entry.get("status")
            if status == "failed" and entry.get("error_kind") == "no_snapshot":
                status = "nothing"
            if status not in _DAY_RANK:
                continue  # busy: another instance was at work, not an outcome of the day
            slot = by_day.setdefault(entry["day"], {"records": 0, "status": status})
            if _DAY_RANK[status] > _DAY_RANK[slot["status"]]:
                slot["status"] = status
            if status in ("succeeded", "unconfirmed") and not slot.get("sent"):
                slot["sent"] = True  # the newest one: a later release of 0 people counts
                slot["records"] = entry.get("records") or 0
                if entry.get("people") is not None:
                    slot["people"] = entry["people"]
        out = []
        for i in range(days - 1, -1, -1):
            day = (today - timedelta(days=i)).isoformat()
            slot = {k: v for k, v in by_day.get(day, {"records": 0, "status": "none"}).items()
                    if k != "sent"}
            out.append({"day": day, **slot})
        return out
