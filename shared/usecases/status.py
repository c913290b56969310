"""The status of every organisation, for monitors (JSON, 503) and people (HTML). No personal data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shared.clock import AMSTERDAM, local_today, utcnow
from shared.config import OrganisationsDocument, Settings
from shared.domain.health import assess, at_text, extract_problem
from shared.domain.schedule import next_due

KIND_EXTRACT, KIND_ACCEPTED = "extract", "extract_accepted"
KIND_DELIVERY, KIND_SUCCESS = "delivery", "delivery_success"
# A day's colour in the chart: its best outcome.
_DAY_RANK = {"failed": 0, "held": 1, "unconfirmed": 2, "succeeded": 3}
_PUBLIC_FIELDS = ("decision", "reason", "status", "rows_total", "rows_valid", "rows_invalid",
                  "rows_ineligible", "people", "file", "records", "size", "sha256", "day", "attempts",
                  "error_kind", "duration_ms", "extract", "report", "quarantined", "sequence", "manual",
                  "action", "kind", "previous_people", "reconciled", "current_people",
                  "people_removed", "people_ineligible_now", "added", "removed",
                  "override_mass_drop", "ok", "failed_step")


def _public(entity: dict | None) -> dict | None:
    """Only the fields meant for the status; times as ISO text."""
    if entity is None:
        return None
    out = {k: entity[k] for k in _PUBLIC_FIELDS if entity.get(k) is not None}
    if "recorded_at" in entity:
        out["at"] = entity["recorded_at"].isoformat()
        out["at_local"] = entity["recorded_at"].astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
        out["at_text"] = at_text(entity["recorded_at"])
    return out


def _next_text(health: str, due: datetime, now: datetime, nothing_yet: bool) -> str:
    """The next delivery in Dutch, never a moment in the past."""
    if health == "not_connected":
        return "geen (nog niet aangesloten)"
    if nothing_yet:
        return "na het eerste geaccepteerde bestand"
    if health == "held":
        return "na vrijgave van het tegengehouden bestand"
    if due <= now:
        return f"zo snel mogelijk (verwacht {at_text(due)})"
    return at_text(due)


class StatusService:
    def __init__(self, settings: Settings, organisations: OrganisationsDocument, outcomes, *,
                 now=utcnow) -> None:
        self.settings = settings
        self.organisations = organisations
        self.outcomes = outcomes
        self.now = now

    def overview(self) -> dict:
        now = self.now()
        items = [self._organisation(o, now) for o in self.organisations.organisations]
        return {"generated_at": now.isoformat(), "healthy": all(i["healthy"] for i in items),
                "organisations": items}

    def organisation(self, code: str, days: int = 30) -> dict | None:
        organisation = self.organisations.get(code)
        if organisation is None:
            return None
        now = self.now()
        item = self._organisation(organisation, now)
        item["history"] = self._history(code, now - timedelta(days=days))
        item["days"] = self._days(item["history"], local_today(now), days)
        return item

    def _organisation(self, organisation, now: datetime) -> dict:
        """The organisation's status. Keys other code reads stay as they are (add, never
        rename): ``health``, ``reason``, ``healthy``, ``last_*``, ``next_due.utc/local``."""
        code = organisation.code
        latest = {kind: self.outcomes.latest(code, kind)
                  for kind in (KIND_EXTRACT, KIND_ACCEPTED, KIND_DELIVERY, KIND_SUCCESS)}
        open_unconfirmed = next(iter(self.outcomes.unconfirmed(code)), None)  # the oldest
        health = assess(now, organisation, last_accepted=latest[KIND_ACCEPTED],
                        last_attempt=latest[KIND_DELIVERY], last_success=latest[KIND_SUCCESS],
                        grace_minutes=self.settings.delivery_grace_minutes,
                        stale_days=self.settings.stale_extract_days,
                        open_unconfirmed=open_unconfirmed, last_extract=latest[KIND_EXTRACT])
        problem = extract_problem(latest[KIND_EXTRACT], latest[KIND_ACCEPTED], code)
        success = latest[KIND_SUCCESS]
        done_day = date.fromisoformat(success["day"]) if success else None
        due = next_due(now, organisation.send_time, done_day)
        accepted = latest[KIND_ACCEPTED]
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
                                            accepted is None and success is None)},
            "extract_problem": {"word": problem.word, "reason": problem.reason} if problem else None,
            "snapshot_age_hours": round((now - accepted["recorded_at"]).total_seconds() / 3600, 1)
            if accepted else None,
            "people": accepted.get("people") if accepted else None,
        }

    def _history(self, code: str, since: datetime) -> list[dict]:
        items, token = [], None
        while True:
            page, token = self.outcomes.history_page(code, page_size=200, since=since,
                                                     continuation=token)
            items.extend(_public(e) for e in page)
            if not token:
                return items

    @staticmethod
    def _days(history: list[dict], today: date, days: int) -> list[dict]:
        """Per local day (oldest first): records delivered and the outcome, for the chart."""
        by_day: dict[str, dict] = {}
        for entry in history:
            if entry.get("kind") != KIND_DELIVERY or "day" not in entry:
                continue
            status = entry.get("status")
            if status not in _DAY_RANK:
                continue  # busy: another instance was at work, not an outcome of the day
            slot = by_day.setdefault(entry["day"], {"records": 0, "status": "failed"})
            if _DAY_RANK[status] > _DAY_RANK[slot["status"]]:
                slot["status"] = status
            if status in ("succeeded", "unconfirmed"):
                slot["records"] = max(slot["records"], entry.get("records", 0))
                if entry.get("people") is not None:
                    slot["people"] = max(slot.get("people", 0), entry["people"])
        out = []
        for i in range(days - 1, -1, -1):
            day = (today - timedelta(days=i)).isoformat()
            slot = by_day.get(day, {"records": 0, "status": "none"})
            out.append({"day": day, **slot})
        return out
