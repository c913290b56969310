"""The status after the first hostile review (issue 14, point 1), on scripted outcomes: a tick
with nothing to deliver is no failure, operator text never reaches the status, a row that does
not read never breaks the others, a daily identical export is not stale, the next delivery is
never a past moment, unknown folders are shown, the history is collapsed and bounded, and the
texts say what happened."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import azure.functions as func
import pytest

from devtools.devservices import user_function
from devtools.screenshots import ScriptedOutcomes
from shared import wiring
from shared.config import OrganisationsDocument, Settings
from shared.domain.health import assess, fresh_at, readable
from shared.domain.status_page import render
from shared.usecases.status import StatusService

SFTP = {"host": "h", "username": "u", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
        "secret_name": "k"}
NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # 19:00 local, Sunday
SHA = "3f9a0c17be42" + "0" * 52
NAME, BIRTH = "J. de Vries", "12-03-1961"


def org(code="gem", **over) -> dict:
    return {"code": code, "name": "Gemeente", "aansluitcode": "SNG-1",
            "contact": {"naam": "T", "telefoon": "14 0123", "email": "a@b.nl"},
            "sftp": SFTP, "send_time": "06:00", **over}


def service(store, *orgs, now=NOW) -> StatusService:
    document = OrganisationsDocument.model_validate({"organisations": list(orgs) or [org()]})
    return StatusService(Settings(), document, store, now=lambda: now)


def page(status: StatusService, code="gem") -> tuple[dict, str]:
    detail = status.organisation(code)
    return detail, render({"generated_at": NOW.isoformat(), "healthy": detail["healthy"],
                           "organisations": [detail]}, {code: detail}, history=True)


def delivered(store, at, day, records=5, people=5, **more):
    return store.delivery("gem", at, status="succeeded", day=day, records=records, people=people,
                          **more)


def http(status: StatusService, monkeypatch, function="status", org_code=None, html=False):
    monkeypatch.setattr(wiring, "status_service", lambda: status)
    request = func.HttpRequest("GET", "http://localhost/api/status",
                               params={"format": "html"} if html else {}, headers={},
                               route_params={"org": org_code} if org_code else {}, body=b"")
    return user_function(function)(request)


# --- 1 and 4: a tick with nothing to deliver is no failure -------------------------------------
def test_ticks_of_a_new_organisation_with_nothing_to_deliver_read_niets_te_leveren():
    """Old rows (before the timer skipped such an organisation): no 'mislukt' anywhere, a grey
    bar that says why."""
    store = ScriptedOutcomes()
    for ago in range(3):
        at = NOW.replace(hour=5) - timedelta(days=ago)
        store.delivery("gem", at, status="failed", day=at.date().isoformat(),
                       error_kind="no_snapshot", reason="schedule")
    detail, html = page(service(store))
    assert (detail["health"], detail["healthy"]) == ("no_extract", False)
    assert "mislukt" not in html
    assert ('fill="#8c959f"><title>29-11-2026: 0 regels, niets te leveren</title>' in html)
    assert [d["status"] for d in detail["days"][-3:]] == ["nothing", "nothing", "nothing"]
    assert ('<td>Levering van <span class="nw">29-11-2026</span>: niets te leveren (geen '
            'geaccepteerd bestand)</td>') in html


def test_the_first_extract_accepted_after_a_tick_with_nothing_to_deliver_is_not_failing():
    store = ScriptedOutcomes()
    store.delivery("gem", NOW.replace(hour=9), status="failed", day="2026-11-29",
                   error_kind="no_snapshot", reason="schedule")
    store.extract("gem", NOW.replace(hour=9, minute=5), decision="accepted", rows_total=5, people=5)
    item = service(store, now=NOW.replace(hour=9, minute=10)).overview()["organisations"][0]
    assert (item["health"], item["reason"]) == (
        "late", "Levering van vandaag is niet verzonden (verwacht op 29-11-2026 om 06:00); "
                "controleer of de dagelijkse levering (de timer) draait en test de verbinding")


def test_a_snapshot_gone_after_deliveries_is_still_a_failure():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=2), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5) - timedelta(days=1), "2026-11-28")
    store.delivery("gem", NOW.replace(hour=5), status="failed", day="2026-11-29",
                   error_kind="no_snapshot", reason="schedule")
    item = service(store).overview()["organisations"][0]
    assert (item["health"], item["reason"]) == (
        "failing", "Laatste levering mislukt op 29-11-2026 om 06:00 (no_snapshot): er is geen "
                   "geaccepteerd bestand (snapshot) van deze organisatie om te leveren; laat de "
                   "organisatie de export opnieuw aanleveren")
    assert item["next_due"]["text"] == "na herstel van de fout"


# --- 2: operator text never in the status ------------------------------------------------------
def test_operator_text_of_manual_actions_never_reaches_json_or_html(monkeypatch):
    store = ScriptedOutcomes()
    typed = f"opnieuw voor mevrouw {NAME}, geb. {BIRTH}"
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
    store.extract("gem", NOW - timedelta(hours=2), decision="rejected", reason="too_many_invalid",
                  rows_total=10, rows_invalid=9)
    delivered(store, NOW.replace(hour=5), "2026-11-29", manual=True, reason=typed)
    for action in ("redeliver", "release", "release_delivery", "confirm_delivery"):
        store.add("gem", "manual", NOW.replace(hour=6), action=action, reason=typed)
    store.add("gem", "delivery_release", NOW.replace(hour=7), action="release_delivery",
              reason=typed)
    store.delivery("gem", NOW.replace(hour=8), status="failed", day="2026-11-29",
                   error_kind="connect", manual=True, reason=typed)
    status = service(store)
    bodies = [http(status, monkeypatch, html=html).get_body().decode() for html in (False, True)]
    bodies += [http(status, monkeypatch, "status_org", "gem", html).get_body().decode()
               for html in (False, True)]
    for body in bodies:
        assert NAME not in body and BIRTH not in body and "mevrouw" not in body
    detail = json.loads(bodies[2])
    # an extract's reason is a code and stays
    assert detail["last_extract"]["reason"] == "too_many_invalid"
    assert [e.get("reason") for e in detail["history"] if e["kind"] == "extract"] == [
        "too_many_invalid", None]
    assert all("reason" not in e for e in detail["history"] if e["kind"] != "extract")


# --- 3: latest-extract follows time ------------------------------------------------------------
def test_a_newer_rejected_extract_recorded_before_an_older_accepted_one_stays_shown():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=1), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5), "2026-11-29")
    store.extract("gem", NOW.replace(hour=17, second=30), decision="rejected",
                  reason="mass_drop_held", current_people=500, people_removed=400)
    store.extract("gem", NOW.replace(hour=17), decision="accepted", rows_total=5, people=5)
    item = service(store).overview()["organisations"][0]
    assert item["health"] == "extract_held"
    assert item["reason"].startswith("Bestand ontvangen op 29-11-2026 om 18:00 wacht op vrijgave: "
                                     "400 van 500 personen zouden uit VISH verdwijnen")


# --- 5: a row that does not read ---------------------------------------------------------------
@pytest.mark.parametrize(("kind", "bad", "which"), [
    ("delivery", {"recorded_at": "2026-11-29T05:00:00Z"}, "laatste levering"),
    ("delivery", {"records": "12"}, "laatste levering"),
    ("delivery_success", {"day": "29-11-2026"}, "laatste gelukte levering"),
    ("extract", {"people": "5"}, "laatste bestand"),
    ("extract_accepted", {"recorded_at": None}, "laatste geaccepteerde bestand"),
])
def test_a_row_that_does_not_read_makes_its_organisation_unreadable_and_no_other(
        kind, bad, which, monkeypatch, capsys):
    store = ScriptedOutcomes()
    for code in ("gem", "other"):
        store.extract(code, NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
        row = store.delivery(code, NOW.replace(hour=5), status="succeeded", day="2026-11-29",
                             records=5, people=5)
    row.update(bad)  # a spoiled history row of 'other' is left out
    store.pointers[("gem", kind)].update(bad)
    status = service(store, org(), org("other"))
    for html in (False, True):
        response = http(status, monkeypatch, html=html)
        assert response.status_code == 503
    overview = json.loads(http(status, monkeypatch).get_body())
    words = {o["code"]: (o["health"], o["reason"]) for o in overview["organisations"]}
    assert words == {
        "gem": ("unreadable", f"Status onleesbaar: de vastgelegde {which} van deze organisatie "
                              "is niet te lezen; controleer die regel in de uitkomstentabel of "
                              "meld het aan de ontwikkelaars"),
        "other": ("ok", "Levering van vandaag gelukt op 29-11-2026 om 06:00 (5 regels)")}
    assert http(status, monkeypatch, "status_org", "other", html=True).status_code == 200
    assert http(status, monkeypatch, "status_org", "gem", html=True).status_code == 503
    from shared import cli

    assert cli.cmd_status(argparse.Namespace(org=None, json=False, html=None)) == 1
    out = capsys.readouterr().out
    assert "  gem: status onleesbaar: de vastgelegde" in out
    assert "  other: in orde — levering van vandaag gelukt op 29-11-2026 om 06:00 (5 regels)" in out


def test_a_spoiled_history_row_is_left_out_of_history_and_chart():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5) - timedelta(days=1), "2026-11-28", records=7)
    delivered(store, NOW.replace(hour=5), "2026-11-29")["records"] = "12"
    detail = service(store).organisation("gem")
    assert [(e["kind"], e.get("records")) for e in detail["history"]] == [
        ("extract", None), ("delivery", 7)]
    assert [(d["day"], d["records"]) for d in detail["days"][-2:]] == [
        ("2026-11-28", 7), ("2026-11-29", 0)]
    assert not readable({"recorded_at": datetime(2026, 11, 29)})  # naive: no instant
    assert not readable({"recorded_at": NOW, "records": True})


# --- 6: a daily identical export ---------------------------------------------------------------
def test_an_identical_upload_of_the_accepted_file_keeps_it_fresh_a_copy_of_another_does_not():
    accepted = {"recorded_at": NOW - timedelta(days=5), "sha256": SHA, "decision": "accepted"}
    same = {"recorded_at": NOW - timedelta(hours=1), "sha256": SHA}
    assert fresh_at(accepted, same) == NOW - timedelta(hours=1)
    assert fresh_at(accepted, {**same, "sha256": "a" * 64}) == NOW - timedelta(days=5)
    assert fresh_at(accepted, None) == NOW - timedelta(days=5)
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=5), decision="accepted", rows_total=5, people=5,
                  sha256=SHA)
    delivered(store, NOW.replace(hour=5), "2026-11-29")
    assert service(store).overview()["organisations"][0]["health"] == "stale_extract"
    store.seen("gem", NOW - timedelta(hours=12), SHA)
    assert service(store).overview()["organisations"][0]["health"] == "ok"
    store.seen("gem", NOW - timedelta(hours=12), "a" * 64)  # not the accepted file
    item = service(store).overview()["organisations"][0]
    assert (item["health"], item["reason"]) == (
        "stale_extract", "Geen nieuw geaccepteerd bestand sinds 24-11-2026 om 19:00 (langer dan 3 "
                         "dagen); controleer of de export nog aangeleverd wordt")


# --- 7: the next delivery ----------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "text"), [
    ("connect", "bij de volgende poging (elk kwartier)"),
    ("transfer", "bij de volgende poging (elk kwartier)"),
    ("lease_lost", "bij de volgende poging (elk kwartier)"),
    ("auth", "na herstel van de fout"),
    ("host_key", "na herstel van de fout"),
    ("remote_mismatch", "na herstel van de fout"),
    ("snapshot_unreadable", "na herstel van de fout"),
])
def test_the_next_delivery_of_a_failing_organisation_says_when_not_a_past_moment(kind, text):
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(hours=20), decision="accepted", rows_total=5, people=5)
    store.delivery("gem", NOW.replace(hour=17, minute=45), status="failed", day="2026-11-29",
                   error_kind=kind)
    item = service(store).overview()["organisations"][0]
    assert (item["health"], item["next_due"]["text"]) == ("failing", text)


def test_the_next_delivery_of_a_late_organisation_says_the_send_time_was_past():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=3), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5) - timedelta(days=2), "2026-11-27")
    item = service(store).overview()["organisations"][0]
    assert (item["health"], item["next_due"]["text"]) == (
        "late", "verzendtijd was op 29-11-2026 om 06:00; volgende poging bij de volgende tik "
                "(elk kwartier)")


# --- 8 and 13: vish status ---------------------------------------------------------------------
def test_vish_status_shows_a_rejected_extract_behind_another_word_and_says_nothing_twice(
        monkeypatch, capsys):
    from shared import cli

    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=2), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW - timedelta(days=2), "2026-11-27")
    store.extract("gem", NOW.replace(hour=8), decision="rejected", reason="too_many_invalid",
                  rows_total=100, rows_invalid=90)
    pending = ScriptedOutcomes()
    pending.extract("pp", NOW - timedelta(hours=20), decision="accepted", rows_total=5, people=5)
    pending.delivery("pp", NOW.replace(hour=5) - timedelta(days=1), status="succeeded",
                     day="2026-11-28", records=5, people=5)
    status = service(store)
    monkeypatch.setattr(wiring, "status_service", lambda: status)
    cli.cmd_status(argparse.Namespace(org=None, json=False, html=None))
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "  gem: te laat — levering van vandaag is niet verzonden (verwacht op 29-11-2026 om 06:00); "
        "de laatste gelukte levering was die van 27-11-2026; controleer of de dagelijkse levering "
        "(de timer) draait en test de verbinding; volgende levering: verzendtijd was op 29-11-2026 "
        "om 06:00; volgende poging bij de volgende tik (elk kwartier)",
        "    laatste bestand afgewezen op 29-11-2026 om 09:00: te veel regels zijn ongeldig (90 van "
        "100), daarom is het hele bestand niet verwerkt; bekijk het rapport, laat de fouten in de "
        "export herstellen en lever het bestand opnieuw aan. Tot dan wordt het bestand geleverd "
        "dat op 27-11-2026 om 19:00 is geaccepteerd, en komen nieuwe cliënten niet in VISH"]
    # pending names the moment once
    later = service(pending, org("pp", send_time="20:00"))
    monkeypatch.setattr(wiring, "status_service", lambda: later)
    cli.cmd_status(argparse.Namespace(org=None, json=False, html=None))
    assert capsys.readouterr().out.splitlines()[1] == (
        "  pp: wacht op verzending — levering van vandaag volgt op 29-11-2026 om 20:00")


# --- 9: uploads to an unknown folder -----------------------------------------------------------
def test_uploads_to_an_unknown_folder_are_shown_without_their_names_and_stay_healthy(monkeypatch):
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5), "2026-11-29")
    for at, folder in ((NOW - timedelta(days=8), "oud"), (NOW - timedelta(hours=5), "gemeente-x"),
                       (NOW - timedelta(hours=2), "gemeente-x"), (NOW - timedelta(hours=1), "wijk")):
        store.extract("_onbekend", at, decision="rejected", reason="unknown_organisation",
                      folder=folder, extract="Jxxxxx_xx-xx-xxxx.csv")
    status = service(store)
    response = http(status, monkeypatch)
    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert body["unknown_folders"] == [
        {"folder": "wijk", "at": "2026-11-29T17:00:00+00:00", "at_local": "29-11-2026 18:00",
         "at_text": "op 29-11-2026 om 18:00", "uploads": 1},
        {"folder": "gemeente-x", "at": "2026-11-29T16:00:00+00:00", "at_local": "29-11-2026 17:00",
         "at_text": "op 29-11-2026 om 17:00", "uploads": 2}]
    html = http(status, monkeypatch, html=True).get_body().decode()
    assert "<h2>Onbekende mappen (laatste 7 dagen)</h2>" in html
    assert ('<td data-label="Map">gemeente-x</td><td data-label="Laatste upload">op '
            '<span class="nw">29-11-2026</span> om 17:00</td><td data-label="Aantal">2</td>') in html
    assert "Jxxxxx" not in html and "oud" not in html.split("Onbekende mappen")[1]


# --- 11: history collapsed and bounded; the overview reads only deliveries ----------------------
def test_repeated_failures_are_collapsed_and_the_history_is_bounded():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=40), decision="accepted", rows_total=5, people=5)
    for i in range(30 * 96):
        at = NOW - timedelta(minutes=15 * i)
        store.delivery("gem", at, status="failed", day=at.date().isoformat(), error_kind="connect")
    _, html = page(service(store))
    assert html.count('class="event"') == 31  # one row per day, the first day reaches past 30
    assert ('<td data-label="Tijdstip"><span class="when">van <span class="nw">28-11-2026</span> om '
            '01:00 tot <span class="nw">29-11-2026</span> om 00:45</span></td><td>96× Levering van '
            '<span class="nw">28-11-2026</span> mislukt: de SFTP-server van SNG is niet bereikbaar'
            '</td>') in html


def test_the_history_shows_at_most_200_rows_and_says_how_many_more():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=40), decision="accepted", rows_total=5, people=5)
    for i in range(250):
        at = NOW - timedelta(minutes=15 * i)
        kind = "connect" if i % 2 else "transfer"
        store.delivery("gem", at, status="failed", day="2026-11-29", error_kind=kind)
    detail, html = page(service(store))
    assert html.count('class="event"') == 200
    assert html.count('class="event more"') == 1
    assert ("En nog 50 oudere gebeurtenissen, niet getoond; de JSON van deze organisatie geeft "
            "ze alle.") in html
    assert len(detail["history"]) == 250


def test_the_overview_reads_only_the_deliveries_for_its_chart():
    class Counting(ScriptedOutcomes):
        pages = 0

        def history_page(self, *args, **kwargs):
            Counting.pages += 1
            return super().history_page(*args, **kwargs)

    store = Counting()
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5), "2026-11-29", records=9)
    status = service(store)
    light = status.organisation("gem", history=False)
    assert "history" not in light and Counting.pages == 0
    assert light["days"][-1] == {"day": "2026-11-29", "records": 9, "status": "succeeded",
                                 "people": 5}
    assert status.organisation("gem")["days"] == light["days"]


# --- 12 and 14: texts, 404 page, the chart's people --------------------------------------------
def test_a_held_extract_in_the_history_says_tegengehouden_once_released():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(days=1), decision="accepted", rows_total=500, people=500)
    delivered(store, NOW.replace(hour=5), "2026-11-29", records=500, people=500)
    store.extract("gem", NOW.replace(hour=9), decision="rejected", reason="mass_drop_held",
                  current_people=500, people_removed=400)
    _, html = page(service(store))
    assert "wacht op vrijgave: 400 van 500 personen zouden uit VISH verdwijnen" in html
    store.extract("gem", NOW.replace(hour=10), decision="accepted", rows_total=100, people=100)
    _, html = page(service(store))
    assert "wacht op vrijgave" not in html
    assert "Bestand tegengehouden: 400 van 500 personen zouden uit VISH verdwijnen" in html


def test_an_empty_delivery_of_unknown_records_names_no_count():
    now = NOW.replace(hour=10)
    row = {"status": "succeeded", "day": "2026-11-29", "people": 0, "recorded_at": now}
    result = assess(now, OrganisationsDocument.model_validate({"organisations": [org()]}).get("gem"),
                    last_accepted={"recorded_at": now - timedelta(hours=5)}, last_attempt=row,
                    last_success=row, grace_minutes=30, stale_days=3)
    assert result.reason.startswith("Levering van vandaag op 29-11-2026 om 11:00 bevatte geen "
                                    "cliënten: er staat nu niemand")


def test_an_unknown_organisations_page_is_a_dutch_html_404(monkeypatch):
    status = service(ScriptedOutcomes())
    response = http(status, monkeypatch, "status_org", "onbekend<b>", html=True)
    assert (response.status_code, response.mimetype) == (404, "text/html")
    body = response.get_body().decode()
    assert "<h1>Organisatie niet gevonden</h1>" in body
    assert "Er is geen organisatie ingesteld met de code onbekend&lt;b&gt;." in body
    assert json.loads(http(status, monkeypatch, "status_org", "onbekend").get_body())


def test_the_chart_shows_the_last_delivery_of_a_day_not_its_largest():
    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=0)
    delivered(store, NOW.replace(hour=5), "2026-11-29", records=500, people=500)
    delivered(store, NOW.replace(hour=9), "2026-11-29", records=0, people=0, manual=True)
    detail, html = page(service(store))
    assert detail["days"][-1] == {"day": "2026-11-29", "records": 0, "status": "succeeded",
                                  "people": 0}
    assert '<title>29-11-2026: 0 regels, geleverd zonder cliënten</title>' in html


def test_a_row_that_passes_the_checks_but_breaks_later_still_breaks_only_its_organisation(
        monkeypatch):
    """A day at the end of the calendar is an ISO date, but no next day follows it."""
    store = ScriptedOutcomes()
    for code in ("gem", "other"):
        store.extract(code, NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
        store.delivery(code, NOW.replace(hour=5), status="succeeded", day="2026-11-29", records=5,
                       people=5)
    store.pointers[("gem", "delivery_success")]["day"] = "9999-12-31"
    status = service(store, org(), org("other"))
    response = http(status, monkeypatch)
    assert response.status_code == 503
    words = {o["code"]: (o["health"], o["reason"])
             for o in json.loads(response.get_body())["organisations"]}
    assert words == {
        "gem": ("unreadable", "Status onleesbaar: de vastgelegde uitkomst van deze organisatie is "
                              "niet te lezen; controleer die regel in de uitkomstentabel of meld "
                              "het aan de ontwikkelaars"),
        "other": ("ok", "Levering van vandaag gelukt op 29-11-2026 om 06:00 (5 regels)")}
    assert http(status, monkeypatch, html=True).status_code == 503


def test_an_unknown_folder_that_may_be_a_name_is_masked_and_vish_status_lists_the_folders(
        monkeypatch, capsys):
    from shared import cli

    store = ScriptedOutcomes()
    store.extract("gem", NOW - timedelta(hours=10), decision="accepted", rows_total=5, people=5)
    delivered(store, NOW.replace(hour=5), "2026-11-29")
    store.extract("_onbekend", NOW - timedelta(hours=3), decision="rejected",
                  reason="unknown_organisation", folder="Piet Jansen 12-03-1961", extract="x.csv")
    store.extract("_onbekend", NOW - timedelta(hours=2), decision="rejected",
                  reason="unknown_organisation", folder="gemeente_x", extract="x.csv")
    status = service(store)
    assert [f["folder"] for f in status.overview()["unknown_folders"]] == [
        "gemeente_x", "Pxxxxx_Jxxxxx_xx-xx-xxxx"]
    monkeypatch.setattr(wiring, "status_service", lambda: status)
    assert cli.cmd_status(argparse.Namespace(org=None, json=False, html=None)) == 0
    assert capsys.readouterr().out.splitlines()[2:] == [
        "  onbekende map 'gemeente_x': laatste upload op 29-11-2026 om 17:00 (1 upload in 7 dagen; "
        "niet geleverd, controleer de mapnaam)",
        "  onbekende map 'Pxxxxx_Jxxxxx_xx-xx-xxxx': laatste upload op 29-11-2026 om 16:00 (1 upload "
        "in 7 dagen; niet geleverd, controleer de mapnaam)"]
