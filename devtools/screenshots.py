"""Screenshots of the status page: ``./run screenshots`` (``python -m devtools.screenshots``).

The pages are built by the real :class:`~shared.usecases.status.StatusService` and
:func:`~shared.domain.status_page.render` from a scripted set of outcomes (every health word,
each row checked against the outcome store's own field lists), at a fixed clock: no Azure, no
Azurite. Headless Chromium renders them at desktop (1280 px) and phone (390 px) width into
``docs/screenshots/``, each image as tall as its page. Development only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.adapters.outcomes import _typed
from shared.config import OrganisationsDocument, Settings
from shared.domain.status_page import render
from shared.usecases.status import StatusService

NOW = datetime(2026, 11, 29, 8, 34, tzinfo=UTC)  # 09:34 in Amsterdam
SFTP = {"host": "sftp.sng.example", "username": "vish", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
        "secret_name": "sng-key"}
SHA = "3f9a0c17be42" + "0" * 52
ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": 1280, "phone": 390}


class ScriptedOutcomes:
    """The reads the status service makes (``latest``, ``unconfirmed``, ``history_page``),
    answered from rows a script adds. Each row passes the outcome store's whitelist of its
    kind, so a script cannot show what the real table could not hold."""

    def __init__(self) -> None:
        self.history: dict[str, list[dict]] = defaultdict(list)
        self.pointers: dict[tuple[str, str], dict] = {}
        self.open: dict[str, list[dict]] = defaultdict(list)

    def add(self, org: str, kind: str, at: datetime, *, pointers: tuple[str, ...] = (),
            **fields) -> dict:
        row = {**_typed(kind, fields), "kind": kind, "recorded_at": at}
        self.history[org].append(row)
        for name in (kind, *pointers):
            current = self.pointers.get((org, name))
            if name == "extract" and current and current["recorded_at"] > at:
                continue  # as the table: latest-extract follows time, not write order
            self.pointers[(org, name)] = {**row, "kind": name}
        return row

    def seen(self, org: str, at: datetime, sha256: str) -> None:
        """An upload identical to the extract processed last (``latest-extract_seen``)."""
        self.pointers[(org, "extract_seen")] = {**_typed("extract_seen", {"sha256": sha256}),
                                                "kind": "extract_seen", "recorded_at": at}

    def extract(self, org: str, at: datetime, **fields) -> dict:
        accepted = fields.get("decision") == "accepted"
        return self.add(org, "extract", at, pointers=("extract_accepted",) if accepted else (),
                        **fields)

    def delivery(self, org: str, at: datetime, **fields) -> dict:
        row = self.add(org, "delivery", at, **fields)
        success = self.pointers.get((org, "delivery_success"))
        if row["status"] in ("succeeded", "unconfirmed") and (
                success is None or success["day"] <= row["day"]):
            self.pointers[(org, "delivery_success")] = {**row, "kind": "delivery_success"}
        if row["status"] == "unconfirmed":
            self.open[org].append(row)
        return row

    def latest(self, org: str, kind: str) -> dict | None:
        return self.pointers.get((org, kind))

    def unconfirmed(self, org: str) -> list[dict]:
        return sorted(self.open[org], key=lambda row: row["day"])

    def history_page(self, org: str, *, page_size: int = 50, since: datetime | None = None,
                     continuation: str | None = None) -> tuple[list[dict], str | None]:
        # The table orders by RowKey (the time written); a row whose recorded_at was spoiled
        # afterwards keeps its place in the fake too (its position: the time it was added).
        rows = sorted(self.history[org], key=_written)
        return [r for r in rows if since is None or not isinstance(r["recorded_at"], datetime)
                or r["recorded_at"] >= since], None

    def deliveries_since(self, org: str, since: datetime) -> list[dict]:
        rows = sorted(self.history[org], key=_written)
        return [r for r in rows if r.get("kind") == "delivery"
                and (not isinstance(r["recorded_at"], datetime) or r["recorded_at"] >= since)]


def _written(row: dict) -> float:
    """Newest first (a stable sort keeps rows of one instant in the order added)."""
    at = row.get("recorded_at")
    return -at.timestamp() if isinstance(at, datetime) else 0.0


def _org(code: str, name: str, **overrides) -> dict:
    return {"code": code, "name": name, "aansluitcode": "SNG-0001",
            "contact": {"naam": "Team Schuldhulp", "telefoon": "14 0123", "email": "shv@voorbeeld.nl"},
            "sftp": SFTP, "send_time": "06:00", **overrides}


def _daily(store: ScriptedOutcomes, org: str, days: int, people: int, *, skip: int = 0) -> None:
    """Successful deliveries at 06:00 local (05:00 UTC) for ``days`` days up to ``skip`` days
    ago, with a slowly changing number of people."""
    for ago in range(days, skip - 1, -1):
        at = NOW.replace(hour=5, minute=0) - timedelta(days=ago)
        count = people - ago % 7
        store.delivery(org, at + timedelta(seconds=42), status="succeeded",
                       day=(at + timedelta(hours=1)).date().isoformat(), records=count,
                       people=count, file=f"VISH_SNG-0001_{at:%Y%m%d}_001.csv", sha256=SHA)


def _accepted(store: ScriptedOutcomes, org: str, at: datetime, people: int, rows: int | None = None):
    store.extract(org, at, decision="accepted", rows_total=rows or people + 9, rows_valid=people + 4,
                  rows_invalid=5, people=people, sha256=SHA)


def scenario() -> tuple[OrganisationsDocument, ScriptedOutcomes]:
    """One organisation per state, at ``NOW`` (Sunday 29-11-2026, 09:34 in Amsterdam)."""
    store = ScriptedOutcomes()
    today = NOW.replace(hour=5, minute=0, second=42)  # 06:00:42 local: the daily tick
    hours = timedelta(hours=1)
    orgs = [
        _org("gemeente-a", "Gemeente A - Schuldhulpverlening"),
        _org("wijkteam-noord", "Wijkteam Noord"),
        _org("gemeente-b", "Gemeente B - Schuldhulp"),
        _org("gemeente-c", "Gemeente C - Schuldhulp"),
        _org("gemeente-d", "Gemeente D - Schuldhulpverlening"),
        {k: v for k, v in _org("wijkteam-west", "Wijkteam West").items() if k != "sftp"},
        _org("wijkteam-zuid", "Wijkteam Zuid"),
        _org("gemeente-e", "Gemeente E - Schuldhulp"),
        _org("gemeente-f", "Gemeente F (mutaties)", profile="voorbeeld-mutaties"),
        _org("gemeente-g", "Gemeente G - Schuldhulp"),
        _org("gemeente-h", "Gemeente H - Schuldhulp"),
        _org("gemeente-i", "Gemeente I - Schuldhulp", send_time="13:00"),
        _org("gemeente-j", "Gemeente J - Schuldhulp"),
        _org("gemeente-k", "Gemeente K - Schuldhulp"),
    ]
    # ok: accepted this morning, delivered at 06:00
    _accepted(store, "gemeente-a", today - 2 * hours, 812)
    _daily(store, "gemeente-a", 29, 812)
    # rejected: today's extract refused (too many invalid rows); the previous one still delivered
    _accepted(store, "wijkteam-noord", today - timedelta(days=2), 240)
    _daily(store, "wijkteam-noord", 29, 240)
    store.extract("wijkteam-noord", today + 2 * hours, decision="rejected", reason="too_many_invalid",
                  rows_total=250, rows_valid=130, rows_invalid=120, sha256="a" * 64)
    # extract held by intake's drop guard, waiting for a release
    _accepted(store, "gemeente-b", today - timedelta(days=1), 980)
    _daily(store, "gemeente-b", 29, 980)
    store.extract("gemeente-b", today + hours, decision="rejected", reason="mass_drop_held",
                  rows_total=12, rows_valid=12, people=6, current_people=980, people_removed=974,
                  sha256="b" * 64)
    # delivery held by the delivery's drop guard
    _accepted(store, "gemeente-c", today - 3 * hours, 6)
    _daily(store, "gemeente-c", 29, 980, skip=1)
    store.delivery("gemeente-c", today, status="held", day="2026-11-29", error_kind="mass_drop",
                   records=6, people=6, previous_people=980, sha256=SHA,
                   file="VISH_SNG-0001_20261129_001.csv")
    # failing: SNG's host key changed
    _accepted(store, "gemeente-d", today - timedelta(hours=20), 433)
    _daily(store, "gemeente-d", 29, 433, skip=1)
    store.delivery("gemeente-d", today, status="failed", day="2026-11-29", error_kind="host_key",
                   attempts=1)
    # not connected yet: extracts come in, no SFTP target
    _accepted(store, "wijkteam-west", today - 4 * hours, 57)
    # a new organisation: nothing received yet (wijkteam-zuid has no rows at all)
    # a file of 0 people delivered (every row not yet admitted)
    store.extract("gemeente-e", today - 3 * hours, decision="accepted", rows_total=38, rows_valid=38,
                  rows_ineligible=38, people=0, sha256=SHA)
    for ago in (2, 1, 0):
        store.delivery("gemeente-e", today - timedelta(days=ago), status="succeeded",
                       day=(NOW - timedelta(days=ago)).date().isoformat(), records=0, people=0,
                       file="VISH_SNG-0001_leeg.csv")
    # mutations profile, a day without changes
    _accepted(store, "gemeente-f", today - timedelta(hours=9), 640)
    _daily(store, "gemeente-f", 29, 640, skip=1)
    store.delivery("gemeente-f", today, status="succeeded", day="2026-11-29", records=0,
                   people=640, added=0, removed=0, file="VISH_SNG-0001_20261129_001.csv")
    # late: yesterday and today not delivered, no attempt recorded
    _accepted(store, "gemeente-g", today - timedelta(days=1, hours=3), 310)
    _daily(store, "gemeente-g", 29, 310, skip=2)
    # unconfirmed: renamed on the server, arrival not confirmed
    _accepted(store, "gemeente-h", today - 5 * hours, 150)
    _daily(store, "gemeente-h", 29, 150, skip=1)
    store.delivery("gemeente-h", today, status="unconfirmed", day="2026-11-29", records=150,
                   people=150, file="VISH_SNG-0001_20261129_001.csv", error_kind="remote_mismatch")
    # pending: sends at 13:00
    _accepted(store, "gemeente-i", today - timedelta(hours=2), 95)
    _daily(store, "gemeente-i", 29, 95, skip=1)
    # stale extract: nothing accepted for five days, still delivered
    _accepted(store, "gemeente-j", today - timedelta(days=5), 201)
    _daily(store, "gemeente-j", 29, 201)
    # unreadable: its last delivery's row was spoiled by hand (a count that is no number)
    _accepted(store, "gemeente-k", today - 2 * hours, 120)
    _daily(store, "gemeente-k", 29, 120)
    store.pointers[("gemeente-k", "delivery")]["records"] = "120"
    # an upload to a folder that is no organisation (quarantined by intake)
    store.extract("_onbekend", today + 3 * hours, decision="rejected", reason="unknown_organisation",
                  folder="gemeente-x", extract="export_2026-11-29.csv")
    document = OrganisationsDocument.model_validate({"organisations": orgs})
    return document, store


def pages(codes: list[str] | None = None) -> dict[str, str]:
    """The overview page (of ``codes`` only, when given) and each organisation's own page."""
    document, store = scenario()
    if codes is not None:
        document = document.model_copy(update={"organisations": [
            o for o in document.organisations if o.code in codes]})
    service = StatusService(Settings(), document, store, now=lambda: NOW)
    overview = service.overview()
    details = {o["code"]: service.organisation(o["code"]) for o in overview["organisations"]}
    out = {"overview": render(overview, details)}
    for code, detail in details.items():
        single = {"generated_at": overview["generated_at"], "healthy": detail["healthy"],
                  "organisations": [detail]}
        out[code] = render(single, {code: detail}, history=True)
    return out


# --- rendering -------------------------------------------------------------------------------
SHOTS = {  # image name: (organisations on the overview page, or one organisation's own page)
    "status-new-states": ["wijkteam-noord", "gemeente-b", "gemeente-c", "wijkteam-west",
                          "wijkteam-zuid", "gemeente-e"],
    "status-other-states": ["gemeente-a", "gemeente-f", "gemeente-d", "gemeente-g", "gemeente-h",
                            "gemeente-i", "gemeente-j", "gemeente-k"],
    "status-organisation": "wijkteam-noord",
}
PHONE_GROUPS = 3  # organisations per phone image: a phone page is long


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium is not installed (./run screenshots installs Debian's chromium)")


def _run(browser: str, work: Path, width: int, height: int, *args: str) -> str:
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--force-device-scale-factor=1", f"--window-size={width},{height}",
                           f"--user-data-dir={work / 'profile'}", *args],
                          check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


def screenshot(html: str, width: int, out: Path, *, browser: str) -> None:
    """``html`` rendered at ``width`` CSS pixels, as tall as the page. The height is measured
    first by a copy of the page with one line of script (the page itself has none)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        probe = work / "probe.html"
        probe.write_text(html.replace("</body>", "<script>document.title = 'hoogte-' + "
                                      "document.documentElement.scrollHeight</script></body>"),
                         encoding="utf-8")
        dom = _run(browser, work, width, 800, "--dump-dom", probe.as_uri())
        found = re.search(r"<title>hoogte-(\d+)</title>", dom)
        if found is None:
            raise SystemExit(f"could not measure the page for {out.name}")
        page = work / "page.html"
        page.write_text(html, encoding="utf-8")
        _run(browser, work, width, int(found.group(1)), f"--screenshot={out}", page.as_uri())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--html", action="store_true", help="write the HTML pages only (no Chromium)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    browser = None if args.html else chromium()
    for name, what in SHOTS.items():
        if isinstance(what, str):
            html = pages([what])[what]
            groups = [html]
        else:
            html = pages(what)["overview"]
            groups = [pages(what[i:i + PHONE_GROUPS])["overview"]
                      for i in range(0, len(what), PHONE_GROUPS)]
        if browser is None:
            (args.out / f"{name}.html").write_text(html, encoding="utf-8")
            continue
        screenshot(html, WIDTHS["desktop"], args.out / f"{name}-desktop.png", browser=browser)
        for i, part in enumerate(groups, 1):
            suffix = f"-{i}" if len(groups) > 1 else ""
            screenshot(part, WIDTHS["phone"], args.out / f"{name}-phone{suffix}.png", browser=browser)
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
