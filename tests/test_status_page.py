"""What the beheerder sees: the status document and page built from a scripted set of outcomes
(devtools.screenshots.scenario: one organisation per health word, Sunday 29-11-2026 09:34 in
Amsterdam) by the real status service and renderer. Pure: no Azurite."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from devtools.screenshots import NOW, ScriptedOutcomes, pages, scenario
from shared.config import Settings
from shared.domain.status_page import render
from shared.usecases.status import StatusService

WORD_OF = {"gemeente-a": "ok", "wijkteam-noord": "rejected", "gemeente-b": "extract_held",
           "gemeente-c": "held", "gemeente-d": "failing", "wijkteam-west": "not_connected",
           "wijkteam-zuid": "no_extract", "gemeente-e": "empty", "gemeente-f": "no_changes",
           "gemeente-g": "late", "gemeente-h": "unconfirmed", "gemeente-i": "pending",
           "gemeente-j": "stale_extract", "gemeente-k": "unreadable"}
# The keys the overview had before issue 14: other code (cli, admin, monitors) reads them.
OLD_KEYS = {"code", "name", "health", "reason", "healthy", "last_extract", "last_accepted_extract",
            "last_delivery", "last_successful_delivery", "next_due", "snapshot_age_hours", "people"}


def service(codes=None) -> StatusService:
    document, store = scenario()
    if codes is not None:
        document = document.model_copy(update={"organisations": [
            o for o in document.organisations if o.code in codes]})
    return StatusService(Settings(), document, store, now=lambda: NOW)


class Page(HTMLParser):
    """Visible text per organisation row and cell, badges, and the text outside rows."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict] = {}
        self.org = self.label = None
        self.cells: list[str] = []
        self.text: list[str] = []  # visible text (no titles: a chart's tooltips are plain text)
        self.nowrap: list[str] = []
        self.in_nowrap = self.in_title = self.in_style = False
        self.badge = False
        self.history: list[str] = []
        self.in_event = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "org":
            self.org = a["data-org"]
            self.rows[self.org] = {"health": a["data-health"], "cells": {}, "badge": ""}
        if tag == "tr" and a.get("class") == "event":
            self.in_event = True
            self.history.append("")
        if tag == "td" and self.org:
            self.label = a.get("data-label", "")
            self.rows[self.org]["cells"].setdefault(self.label, "")
        if tag == "span" and a.get("class") == "badge":
            self.badge = True
        if tag == "span" and a.get("class") == "nw":
            self.in_nowrap = True
            self.nowrap.append("")
        self.in_title |= tag == "title"
        self.in_style |= tag == "style"

    def handle_endtag(self, tag):
        if tag == "tr":
            self.org, self.label, self.in_event = None, None, False
        if tag == "span":
            self.badge = self.in_nowrap = False
        if tag == "title":
            self.in_title = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style or self.in_title:
            return
        self.text.append(data)
        if self.in_nowrap:
            self.nowrap[-1] += data
        if self.in_event:
            self.history[-1] += data
        if self.org and self.badge:
            self.rows[self.org]["badge"] += data
        elif self.org and self.label is not None:
            self.rows[self.org]["cells"][self.label] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_every_state_has_its_word_and_only_not_connected_ok_no_changes_and_pending_are_healthy():
    overview = service().overview()
    assert {o["code"]: o["health"] for o in overview["organisations"]} == WORD_OF
    assert {o["code"] for o in overview["organisations"] if o["healthy"]} == {
        "gemeente-a", "wijkteam-west", "gemeente-f", "gemeente-i"}
    assert overview["healthy"] is False
    for item in overview["organisations"]:
        assert set(item) >= OLD_KEYS, item["code"]  # added to, never renamed
        assert set(item["next_due"]) >= {"utc", "local", "text"}


def test_not_connected_does_not_put_the_page_in_503():
    assert service(["gemeente-a", "wijkteam-west", "gemeente-f", "gemeente-i"]).overview()["healthy"]
    for unhealthy in ("wijkteam-noord", "gemeente-b", "wijkteam-zuid", "gemeente-e"):
        assert not service(["gemeente-a", unhealthy]).overview()["healthy"], unhealthy


BADGES = {"ok": "in orde", "rejected": "laatste bestand afgewezen", "extract_held": "wacht op vrijgave",
          "held": "levering tegengehouden", "failing": "mislukt", "not_connected": "nog niet aangesloten",
          "no_extract": "nog geen bestand", "empty": "geleverd zonder cliënten",
          "no_changes": "geen wijzigingen", "late": "te laat", "unconfirmed": "niet bevestigd",
          "pending": "wacht op verzending", "stale_extract": "bestand verouderd",
          "unreadable": "status onleesbaar"}

# What the page says per organisation: the reason under the badge (fixed text, local times).
REASONS = {
    "gemeente-a": "Levering van vandaag gelukt op 29-11-2026 om 06:00 (812 regels)",
    "wijkteam-noord": "Laatste bestand afgewezen op 29-11-2026 om 08:00: te veel regels zijn ongeldig "
                      "(120 van 250), daarom is het hele bestand niet verwerkt; bekijk het rapport, "
                      "laat de fouten in de export herstellen en lever het bestand opnieuw aan. Tot "
                      "dan wordt het bestand geleverd dat op 27-11-2026 om 06:00 is geaccepteerd, en "
                      "komen nieuwe cliënten niet in VISH",
    "gemeente-b": "Bestand ontvangen op 29-11-2026 om 07:00 wacht op vrijgave: 974 van 980 personen "
                  "zouden uit VISH verdwijnen; controleer met de organisatie of dat klopt "
                  "(bijvoorbeeld een grote uitstroom) en geef het dan vrij met POST "
                  "/api/extracts/gemeente-b/release (reden en sha256 bbbbbbbbbbbb), of laat een "
                  "nieuwe export aanleveren. Tot dan "
                  "wordt het bestand geleverd dat op 28-11-2026 om 06:00 is geaccepteerd, en komen "
                  "nieuwe cliënten niet in VISH",
    "gemeente-c": "Levering van 29-11-2026 tegengehouden: 974 van 980 personen zouden uit VISH "
                  "verdwijnen; controleer het bestand en geef de levering vrij (bestand 3f9a0c17be42)",
    "gemeente-d": "Laatste levering mislukt op 29-11-2026 om 06:00 (host_key): de hostsleutel van de "
                  "server wijkt af van de vastgelegde sleutel; controleer de nieuwe sleutel via een "
                  "ander kanaal bij SNG voordat u host_key aanpast",
    "wijkteam-west": "Nog niet aangesloten: er is geen SFTP-bestemming ingesteld, dus er wordt nog "
                     "niets aan SNG geleverd; vul na de aansluiting bij SNG de sftp-gegevens van deze "
                     "organisatie in",
    "wijkteam-zuid": "Nog geen bestand van deze organisatie ontvangen; er wordt pas aan SNG geleverd "
                     "na het eerste geaccepteerde bestand; vraag de organisatie de export aan te "
                     "leveren in extracts/wijkteam-zuid/",
    "gemeente-e": "Levering van vandaag op 29-11-2026 om 06:00 bevatte geen cliënten (0 regels): er "
                  "staat nu niemand van deze organisatie in VISH; controleer in het rapport van het "
                  "laatste bestand of de cliënten erin staan en toegelaten zijn (toelatingsdatum "
                  "ingevuld)",
    "gemeente-f": "Levering van vandaag gelukt op 29-11-2026 om 06:00: geen wijzigingen (0 regels); "
                  "640 personen blijven in VISH",
    "gemeente-g": "Levering van vandaag is niet verzonden (verwacht op 29-11-2026 om 06:00); de "
                  "laatste gelukte levering was die van 27-11-2026; controleer of de dagelijkse "
                  "levering (de timer) draait en test de verbinding",
    "gemeente-h": "Levering van 29-11-2026 niet bevestigd: bestand VISH_SNG-0001_20261129_001.csv is "
                  "op de server hernoemd maar de aankomst kon niet worden gecontroleerd; vraag SNG of "
                  "het is aangekomen en lever het anders met de hand opnieuw",
    "gemeente-i": "Levering van vandaag volgt op 29-11-2026 om 13:00",
    "gemeente-j": "Geen nieuw geaccepteerd bestand sinds 24-11-2026 om 06:00 (langer dan 3 dagen); "
                  "controleer of de export nog aangeleverd wordt",
    "gemeente-k": "Status onleesbaar: de vastgelegde laatste levering van deze organisatie is niet "
                  "te lezen; controleer die regel in de uitkomstentabel of meld het aan de "
                  "ontwikkelaars",
}

# The columns per organisation, as read (labels as on a phone).
CELLS = {
    "wijkteam-noord": {"Laatste bestand": "op 29-11-2026 om 08:00afgewezen: 120 van 250 regels ongeldig",
                       "Laatste levering": "op 29-11-2026 om 06:00levering van 29-11-2026: 240 "
                                           "regels geleverd (bestand VISH_SNG-0001_20261129_001.csv)",
                       "Volgende levering": "op 30-11-2026 om 06:00"},
    "gemeente-b": {"Laatste bestand": "op 29-11-2026 om 07:00wacht op vrijgave: 974 van 980 personen "
                                      "zouden uit VISH verdwijnen"},
    "gemeente-c": {"Volgende levering": "na vrijgave van het tegengehouden bestand",
                   "Laatste levering": "op 29-11-2026 om 06:00levering van 29-11-2026 tegengehouden: "
                                       "974 van 980 personen zouden uit VISH verdwijnen"},
    "gemeente-d": {"Laatste levering": "op 29-11-2026 om 06:00levering van 29-11-2026 mislukt: de "
                                       "hostsleutel van de server wijkt af van de vastgelegde sleutel",
                   "Volgende levering": "na herstel van de fout"},
    "wijkteam-west": {"Laatste levering": "nog niets geleverd",
                      "Volgende levering": "geen (nog niet aangesloten)",
                      "Laatste 30 dagen": "nog geen leveringen"},
    "wijkteam-zuid": {"Laatste bestand": "nog geen bestand ontvangen",
                      "Laatste levering": "nog niets geleverd",
                      "Volgende levering": "na het eerste geaccepteerde bestand",
                      "Laatste 30 dagen": "nog geen leveringen"},
    "gemeente-e": {"Laatste bestand": "op 29-11-2026 om 03:00geaccepteerd: 38 regels, 0 personen",
                   "Laatste levering": "op 29-11-2026 om 06:00levering van 29-11-2026: geen cliënten "
                                       "geleverd, niemand van deze organisatie in VISH (bestand "
                                       "VISH_SNG-0001_leeg.csv)"},
    "gemeente-f": {"Laatste levering": "op 29-11-2026 om 06:00levering van 29-11-2026: geen "
                                       "wijzigingen, 640 personen blijven in VISH (bestand "
                                       "VISH_SNG-0001_20261129_001.csv)"},
    "gemeente-g": {"Volgende levering": "verzendtijd was op 29-11-2026 om 06:00; volgende poging "
                                        "bij de volgende tik (elk kwartier)"},
    "gemeente-k": {"Laatste levering": "niet te lezen",
                   "Volgende levering": "op 30-11-2026 om 06:00"},
    "gemeente-i": {"Volgende levering": "op 29-11-2026 om 13:00"},
}


def test_the_page_says_each_state_in_dutch_with_what_to_do():
    page = parse(pages()["overview"])
    assert set(page.rows) == set(WORD_OF)
    for code, row in page.rows.items():
        word = WORD_OF[code]
        assert (row["health"], row["badge"]) == (word, BADGES[word]), code
        # the cells without a label: the name and code, then the reason under the badge
        name = next(o.name for o in scenario()[0].organisations if o.code == code)
        assert row["cells"][""] == name + code + REASONS[code], code
    for code, cells in CELLS.items():
        for label, text in cells.items():
            assert page.rows[code]["cells"][label] == text, (code, label)


def test_local_times_everywhere_and_never_om_a_date():
    html = pages()["overview"]
    page = parse(html)
    text = "".join(page.text)
    assert "Bijgewerkt op 29-11-2026 om 09:34" in text  # 08:34 UTC: local time, not UTC
    assert "UTC" not in text and "08:34" not in text
    assert not re.search(r"om \d{2}-\d{2}-\d{4}", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", "\n".join(page.text))  # no ISO dates for people
    # every date is kept whole: the page wraps each in a span that does not break
    dates = re.findall(r"\d{2}-\d{2}-\d{4}", text)
    assert len(dates) > 40 and sorted(page.nowrap) == sorted(dates)
    assert ".nw,.when{white-space:nowrap}" in html
    # the chart's days are local days written in Dutch
    assert "<title>29-11-2026: 812 regels, geleverd</title>" in html
    assert "<small><span class=\"nw\">31-10-2026</span></small>" in html


def test_the_next_delivery_is_never_a_moment_in_the_past():
    overview = service().overview()
    for item in overview["organisations"]:
        text = item["next_due"]["text"]
        moment = datetime.fromisoformat(item["next_due"]["utc"])
        if moment > NOW:
            assert text.startswith("op "), item["code"]
        else:
            assert not text.startswith("op "), (item["code"], text)


def test_the_extract_problem_shows_on_the_page_also_when_the_badge_says_something_else():
    document, store = scenario()
    code = "gemeente-d"  # failing delivery; now its newest extract is rejected too
    store.extract(code, NOW - timedelta(minutes=30), decision="rejected", reason="missing_column",
                  rows_total=80)
    status = StatusService(Settings(), document, store, now=lambda: NOW)
    item = next(o for o in status.overview()["organisations"] if o["code"] == code)
    assert item["health"] == "failing"
    assert item["extract_problem"] == {
        "word": "rejected",
        "reason": "Laatste bestand afgewezen op 29-11-2026 om 09:04: er ontbreekt een verplichte kolom "
                  "(het rapport noemt welke); pas de export aan en lever het bestand opnieuw aan. Tot "
                  "dan wordt het bestand geleverd dat op 28-11-2026 om 10:00 is geaccepteerd, en komen "
                  "nieuwe cliënten niet in VISH"}
    page = parse(render({"generated_at": NOW.isoformat(), "healthy": False, "organisations": [item]},
                        {}))
    assert page.rows[code]["cells"]["Laatste bestand"] == (
        "op 29-11-2026 om 09:04afgewezen: er ontbreekt een verplichte kolom (het rapport noemt welke)"
        + item["extract_problem"]["reason"])
    # where the badge says it already, it is not said twice
    noord = parse(pages()["overview"]).rows["wijkteam-noord"]["cells"]["Laatste bestand"]
    assert "Tot dan" not in noord


HISTORY = [  # the newest entries of wijkteam-noord's page, as read
    "op 29-11-2026 om 08:00Bestand afgewezen: 120 van 250 regels ongeldig",
    "op 29-11-2026 om 06:00Levering van 29-11-2026: 240 regels geleverd (bestand "
    "VISH_SNG-0001_20261129_001.csv)",
    "op 28-11-2026 om 06:00Levering van 28-11-2026: 239 regels geleverd (bestand "
    "VISH_SNG-0001_20261128_001.csv)",
    "op 27-11-2026 om 06:00Bestand geaccepteerd: 249 regels, 5 ongeldig, 240 personen",
]


def test_the_page_of_one_organisation_shows_its_history():
    html = pages(["wijkteam-noord"])["wijkteam-noord"]
    page = parse(html)
    assert page.history[:4] == HISTORY
    assert len(page.history) == 32  # 30 days of deliveries and two extracts
    assert "Geschiedenis van Wijkteam Noord (laatste 30 dagen, nieuwste eerst)" in "".join(page.text)
    # the overview page has no history
    assert parse(pages()["overview"]).history == []


def test_history_says_actions_and_connection_tests_in_dutch_without_the_operators_words():
    document, store = scenario()
    code = "gemeente-c"
    store.add(code, "manual", NOW - timedelta(minutes=5), action="release_delivery",
              reason="mevrouw Jansen belde, bsn 111222333", day="2026-11-29")
    store.add(code, "connection_test", NOW - timedelta(minutes=4), ok=False, failed_step="hostsleutel")
    store.add(code, "connection_test", NOW - timedelta(minutes=3), ok=True)
    status = StatusService(Settings(), document, store, now=lambda: NOW)
    detail = status.organisation(code)
    html = render({"generated_at": NOW.isoformat(), "healthy": False, "organisations": [detail]},
                  {code: detail}, history=True)
    assert parse(html).history[:3] == [
        "op 29-11-2026 om 09:31Verbindingstest geslaagd",
        "op 29-11-2026 om 09:30Verbindingstest mislukt bij stap 'hostsleutel'",
        "op 29-11-2026 om 09:29Handeling: tegengehouden levering vrijgegeven (levering van 29-11-2026)"]
    assert "Jansen" not in html and "2333" not in html


def test_a_day_of_nobody_delivered_is_not_green_in_the_chart():
    html = pages(["gemeente-e"])["overview"]
    assert html.count('fill="#bc4c00"><title>') == 3  # three days of 0 people: orange, not green
    assert "<title>29-11-2026: 0 regels, geleverd zonder cliënten</title>" in html
    quiet = pages(["gemeente-f"])["overview"]  # a mutations day without changes keeps its colour
    assert "<title>29-11-2026: 0 regels, geleverd</title>" in quiet


def test_the_page_has_no_script_and_no_external_files():
    for html in pages().values():
        assert "<script" not in html and "http" not in html.replace("http-equiv", "")


def test_an_unknown_future_word_still_renders():
    item = service(["gemeente-a"]).overview()["organisations"][0]
    item = {**item, "health": "iets_nieuws"}
    page = parse(render({"generated_at": NOW.isoformat(), "healthy": False, "organisations": [item]}, {}))
    assert page.rows["gemeente-a"]["badge"] == "iets_nieuws"


@pytest.mark.parametrize("hour", [0, 5, 12, 22, 23])
def test_bijgewerkt_is_local_also_across_midnight_and_in_summer(hour):
    at = datetime(2026, 7, 1, hour, 15, tzinfo=UTC)  # CEST: two hours ahead
    html = render({"generated_at": at.isoformat(), "healthy": True, "organisations": []}, {})
    local = at + timedelta(hours=2)
    assert f"Bijgewerkt op <span class=\"nw\">{local:%d-%m-%Y}</span> om {local:%H:%M}" in html


def test_scripted_rows_pass_the_outcome_stores_whitelist():
    from pydantic import ValidationError

    store = ScriptedOutcomes()
    with pytest.raises(ValidationError):
        store.extract("x", NOW, decision="accepted", achternaam="Jansen")
    with pytest.raises(ValidationError):
        store.delivery("x", NOW, status="maybe", day="2026-11-29")
    assert store.latest("x", "extract") is None and store.history_page("x")[0] == []


# --- issue 13: many organisations: summary, pages, attention first -----------------------------
ATTENTION_ORDER = ["gemeente-k", "gemeente-d", "gemeente-c", "gemeente-h", "wijkteam-zuid",
                   "gemeente-g", "gemeente-b", "wijkteam-noord", "gemeente-j", "gemeente-e"]
HEALTHY_ORDER = ["gemeente-a", "gemeente-f", "gemeente-i", "wijkteam-west"]


def test_the_pages_put_what_needs_attention_first_by_precedence_then_the_rest_by_code():
    status = service()
    listed = [o["code"] for p in (1, 2, 3) for o in status.overview_page(p, 5)["organisations"]]
    assert listed == ATTENTION_ORDER + HEALTHY_ORDER
    only = status.overview_page(1, 50, attention=True)
    assert [o["code"] for o in only["organisations"]] == ATTENTION_ORDER
    assert only["paging"] == {"page": 1, "per_page": 50, "pages": 1, "organisations": 10,
                              "attention_only": True}
    summary = only["summary"]  # of all organisations, whatever the filter
    assert (summary["organisations"], summary["attention"], summary["healthy"]) == (14, 10, 4)
    assert summary["health"] == {word: 1 for word in WORDS_IN_ORDER}
    assert status.overview()["summary"] == summary
    for page, per_page in ((0, 50), (1, 0), (1, 101)):
        with pytest.raises(ValueError):
            status.overview_page(page, per_page)


WORDS_IN_ORDER = ["unreadable", "not_connected", "failing", "held", "unconfirmed", "no_extract",
                  "late", "extract_held", "rejected", "stale_extract", "empty", "ok",
                  "no_changes", "pending"]


def paged(page: int, per_page: int = 5, attention: bool = False, keep=None) -> str:
    overview = service().overview_page(page, per_page, attention=attention)
    return render(overview, {}, keep=keep if keep is not None else {"code": "k"})


def test_the_page_starts_with_the_counts_per_dutch_word_those_needing_attention_first():
    html = paged(1)
    text = "".join(parse(html).text)
    assert "14 organisaties, waarvan 10 aandacht vragen." in text
    tallies = re.findall(r'<li class="tally" data-health="(\w+)">.*?</span>([^<]+)<strong>(\d+)',
                         html)
    assert [w for w, _, _ in tallies] == [w for w in WORDS_IN_ORDER if w not in (
        "ok", "no_changes", "pending", "not_connected")] + ["not_connected", "ok", "no_changes",
                                                            "pending"]
    assert all(label == BADGES[word] + ": " and n == "1" for word, label, n in tallies)
    one = service(["gemeente-a", "gemeente-d"]).overview()
    assert "2 organisaties, waarvan 1 aandacht vraagt." in render(one, {})
    calm = service(["gemeente-a"]).overview()
    assert "1 organisatie, geen ervan vraagt aandacht." in render(calm, {})


def test_the_pages_link_to_each_other_in_dutch_and_keep_the_key():
    first, middle, last = paged(1), paged(2), paged(3)
    assert "pagina 1 van 3" in first and 'rel="prev"' not in first
    assert 'href="?format=html&amp;code=k&amp;per_page=5&amp;page=2">volgende</a>' in first
    assert ('href="?format=html&amp;code=k&amp;per_page=5">vorige</a>' in middle
            and "pagina 2 van 3" in middle
            and 'href="?format=html&amp;code=k&amp;per_page=5&amp;page=3">volgende</a>' in middle)
    assert "pagina 3 van 3" in last and 'rel="next"' not in last
    assert "Organisaties 6 tot en met 10 van 14, wat aandacht vraagt eerst." in middle
    assert ('href="?format=html&amp;code=k&amp;per_page=5&amp;attention=1">alleen wat aandacht '
            "nodig heeft</a>") in first
    only = paged(2, attention=True)
    assert 'href="?format=html&amp;code=k&amp;per_page=5">alle organisaties</a>' in only
    assert "Organisaties 6 tot en met 10 van 10, die aandacht vragen." in only
    assert set(parse(only).rows) == set(ATTENTION_ORDER[5:])
    # the navigation is above and under the table
    assert first.count('<nav class="pages"') == 2 and "<nav" not in paged(1, 50)


def test_a_page_past_the_last_says_so_and_links_back():
    html = paged(4)
    assert not parse(html).rows and "<table>" not in html.split("Onbekende")[0]
    assert "Pagina 4 bestaat niet; er zijn 3 pagina’s; ga terug met" in html
    assert 'href="?format=html&amp;code=k&amp;per_page=5&amp;page=3">vorige</a>' in html
    calm = render(service(["gemeente-a"]).overview_page(1, attention=True), {}, keep={})
    assert "Geen organisatie vraagt aandacht." in calm


def test_a_key_in_the_address_is_kept_escaped_and_the_page_stays_without_scripts():
    html = paged(1, keep={"code": '"><script>alert(1)</script>'})
    assert "<script" not in html
    assert "code=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in html
    assert "http" not in html
