"""The status of 350 organisations (a shared service delivering for hundreds of municipalities) on
Azurite, recorded through the real outcome store: one request counts all of them in the summary,
the pages list each organisation exactly once (those that need attention first), 503 whenever
any organisation needs attention (also one that is not on the page asked), the HTML page has its
Dutch navigation, and the table requests are one per organisation (never its history)."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func
import pytest

from devtools.devservices import user_function
from shared import wiring
from shared.adapters.outcomes import OutcomeStore
from shared.config import OrganisationsDocument, Settings
from shared.domain.health import WORDS
from shared.usecases.status import StatusService

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 12:00 local; send time 06:00 has passed
COUNT = 350
SFTP = {"host": "127.0.0.1", "username": "u", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
        "secret_name": "k"}
NAME, BIRTH, BSN = "J. de Vries", "12-03-1961", "123456782"


def state(i: int) -> str:
    """The state organisation ``i`` is given (first match wins); most are in order."""
    if i == 300:
        return "unreadable"
    for modulus, rest, word in ((50, 9, "not_connected"), (35, 1, "failing"), (35, 2, "late"),
                                (35, 4, "pending"), (70, 5, "unconfirmed"), (70, 6, "rejected"),
                                (70, 40, "stale_extract")):
        if i % modulus == rest:
            return word
    return "ok"


def letters(i: int) -> str:
    return chr(ord("a") + i // 26) + chr(ord("a") + i % 26)


class Counted:
    """Every HTTP request the table client sends (each page of a query is one)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request) -> None:
        with self.lock:
            self.urls.append(unquote(request.http_request.url))

    def filters(self) -> list[str]:
        return [dict(parse_qsl(urlsplit(url).query)).get("$filter", "") for url in self.urls]


@pytest.fixture(scope="module")
def many(azurite):
    """350 organisations in a mix of states, recorded on their own table; the status service
    reads it through a client that counts its requests."""
    from azure.data.tables import TableClient

    prefix = "m" + uuid.uuid4().hex[:6].translate(str.maketrans("0123456789", "ghijklmnop"))
    table = "status" + prefix
    codes = [f"{prefix}-{letters(i)}" for i in range(COUNT)]
    document = OrganisationsDocument.model_validate({"organisations": [
        {"code": code, "name": f"Gemeente {letters(i).upper()}", "aansluitcode": "TST-1",
         "contact": {"naam": "Team Test", "telefoon": "14 0999", "email": "test@voorbeeld.nl"},
         **({} if state(i) == "not_connected" else {"sftp": SFTP}),
         "send_time": "13:00" if state(i) == "pending" else "06:00"}
        for i, code in enumerate(codes)]})
    writer = OutcomeStore(TableClient.from_connection_string(azurite.connection_string, table))
    writer.ensure_table()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: record(writer, codes[i], state(i)), range(COUNT)))
    counted = Counted()
    reader = OutcomeStore(TableClient.from_connection_string(azurite.connection_string, table,
                                                             raw_request_hook=counted))
    service = StatusService(Settings(), document, reader, now=lambda: NOW)
    return {"service": service, "codes": codes, "words": {c: state(i) for i, c in enumerate(codes)},
            "counted": counted, "writer": writer}


def record(store: OutcomeStore, code: str, word: str) -> None:
    if word == "not_connected":
        return
    accepted_at = NOW - timedelta(days=5 if word == "stale_extract" else 0, hours=8)
    store.record(code, "extract", {"decision": "accepted", "rows_total": 10, "people": 12},
                 at=accepted_at, pointers=("extract_accepted",))
    done = {"status": "succeeded", "day": "2026-11-28", "records": 12, "people": 12,
            "file": "VISH_X.csv"}
    if word in ("ok", "rejected", "stale_extract", "unreadable"):
        # an operator typed a name, a birth date and a BSN in the reason of a re-delivery
        store.record_delivery(code, done, at=NOW - timedelta(hours=5), manual={
            "action": "redeliver", "reason": f"{NAME} {BIRTH} {BSN}", "day": "2026-11-28"})
    if word == "failing":
        store.record(code, "delivery", {"status": "failed", "day": "2026-11-28",
                                        "error_kind": "connect"}, at=NOW - timedelta(hours=1))
    if word == "unconfirmed":
        store.record_delivery(code, {**done, "status": "unconfirmed"}, at=NOW - timedelta(hours=5))
    if word == "rejected":
        store.record(code, "extract", {"decision": "rejected", "reason": "too_many_invalid"},
                     at=NOW - timedelta(hours=2))
    if word == "unreadable":  # a latest row written by something else: a count that is no number
        store.table.upsert_entity({"PartitionKey": code, "RowKey": "latest-delivery",
                                   "kind": "delivery", "status": "succeeded", "day": "2026-11-28",
                                   "records": "veel", "recorded_at": NOW - timedelta(hours=5)})


def get(service: StatusService, monkeypatch, **params):
    monkeypatch.setattr(wiring, "status_service", lambda: service)
    request = func.HttpRequest("GET", "http://localhost/api/status", params=params, headers={},
                               route_params={}, body=b"")
    return user_function("status")(request)


def expected_order(words: dict[str, str]) -> list[str]:
    healthy = ("ok", "pending", "not_connected")
    attention = sorted((c for c, w in words.items() if w not in healthy),
                       key=lambda c: (WORDS.index(words[c]), c))
    return attention + sorted(c for c, w in words.items() if w in healthy)


def test_one_request_counts_all_350_in_the_summary_and_needs_one_table_read_each(many, monkeypatch):
    counted, words = many["counted"], many["words"]
    counted.urls.clear()
    response = get(many["service"], monkeypatch)
    body = json.loads(response.get_body())
    assert response.status_code == 503 and body["healthy"] is False
    summary = body["summary"]
    tally = {w: sum(1 for v in words.values() if v == w) for w in set(words.values())}
    assert summary["organisations"] == COUNT
    assert {w: n for w, n in summary["health"].items() if n} == tally
    assert list(summary["health"]) == list(WORDS)  # every word, in the order of precedence
    assert summary["attention"] == COUNT - tally["ok"] - tally["pending"] - tally["not_connected"]
    assert summary["healthy"] == COUNT - summary["attention"]
    assert body["paging"] == {"page": 1, "per_page": 50, "pages": 7, "organisations": COUNT,
                              "attention_only": False}
    assert len(body["organisations"]) == 50
    # one range query per organisation over its latest-* and unconfirmed-* rows, and one for
    # the uploads to unknown folders: never an organisation's history, never a read per kind
    filters = counted.filters()
    assert len(filters) <= COUNT + 1, len(filters)
    status_reads = [f for f in filters if "RowKey ge 'latest-'" in f]
    assert sorted(f.split("'")[1] for f in status_reads) == sorted(many["codes"])
    assert [f for f in filters if f not in status_reads] == [
        next(f for f in filters if "PartitionKey eq '_onbekend'" in f)]


def test_the_pages_list_every_organisation_once_those_that_need_attention_first(many, monkeypatch):
    words = many["words"]
    seen, health = [], {}
    for page in range(1, 8):
        body = json.loads(get(many["service"], monkeypatch, page=str(page)).get_body())
        assert body["paging"]["page"] == page and body["summary"]["organisations"] == COUNT
        seen += [o["code"] for o in body["organisations"]]
        health.update({o["code"]: o["health"] for o in body["organisations"]})
    assert seen == expected_order(words) and len(set(seen)) == COUNT
    assert health == words
    past = json.loads(get(many["service"], monkeypatch, page="8").get_body())
    assert past["organisations"] == [] and past["paging"]["pages"] == 7
    # per_page bounded; a page of 100 is the same order
    hundred = json.loads(get(many["service"], monkeypatch, page="2", per_page="100").get_body())
    assert [o["code"] for o in hundred["organisations"]] == seen[100:200]
    assert hundred["paging"]["pages"] == 4
    for bad in ({"per_page": "101"}, {"per_page": "0"}, {"page": "0"}, {"page": "twee"},
                {"page": "²"}, {"attention": "misschien"}):
        response = get(many["service"], monkeypatch, **bad)
        assert response.status_code == 400, bad
        assert json.loads(response.get_body())["code"] == "invalid_parameter"


def test_only_those_that_need_attention_and_503_for_one_that_is_on_another_page(many, monkeypatch):
    words = many["words"]
    body = json.loads(get(many["service"], monkeypatch, attention="1").get_body())
    unhealthy = [c for c in expected_order(words) if words[c] not in ("ok", "pending", "not_connected")]
    assert [o["code"] for o in body["organisations"]] == unhealthy
    assert body["paging"]["attention_only"] and body["paging"]["organisations"] == len(unhealthy)
    assert body["summary"]["organisations"] == COUNT  # the summary is of all of them
    # the last page holds only healthy organisations: still 503, the alert relies on it
    last = get(many["service"], monkeypatch, page="7")
    assert last.status_code == 503
    assert all(o["healthy"] for o in json.loads(last.get_body())["organisations"])
    # all healthy but one, which is on the first page: every page says 503; without it, 200
    service = many["service"]
    healthy = [o for o in service.organisations.organisations if words[o.code] == "ok"]
    late = next(o for o in service.organisations.organisations if words[o.code] == "late")
    for chosen, status in (([late, *healthy], 503), (healthy, 200)):
        monkeypatch.setattr(service, "organisations",
                            service.organisations.model_copy(update={"organisations": chosen}))
        for page in ("1", "3", "6"):
            assert get(service, monkeypatch, page=page).status_code == status, (page, status)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[str] = []
        self.links: dict[str, str] = {}
        self.tallies: dict[str, str] = {}
        self.text: list[str] = []
        self.href = self.tally = None
        self.charts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "org":
            self.rows.append(a["data-org"])
        if tag == "a":
            self.href = a["href"]
        if tag == "li" and a.get("class") == "tally":
            self.tally = a["data-health"]
            self.tallies[self.tally] = ""
        if tag == "svg":
            self.charts += 1

    def handle_endtag(self, tag):
        if tag == "a":
            self.href = None
        if tag == "li":
            self.tally = None

    def handle_data(self, data):
        self.text.append(data)
        if self.href is not None:
            self.links[data] = self.href
        if self.tally is not None:
            self.tallies[self.tally] += data


def test_the_html_page_has_the_summary_and_dutch_navigation_through_every_page(many, monkeypatch):
    counted, words = many["counted"], many["words"]
    counted.urls.clear()
    response = get(many["service"], monkeypatch, format="html", code="sleutel")
    html = response.get_body().decode()
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = Page()
    page.feed(html)
    attention = sum(1 for w in words.values() if w not in ("ok", "pending", "not_connected"))
    assert f"{COUNT} organisaties, waarvan {attention} aandacht vragen." in "".join(page.text)
    assert page.tallies["failing"] == f"mislukt: {sum(w == 'failing' for w in words.values())}"
    assert page.tallies["ok"] == f"in orde: {sum(w == 'ok' for w in words.values())}"
    assert list(page.tallies)[:2] == ["unreadable", "failing"]  # attention first
    assert "pagina 1 van 7" in page.text and "vorige" not in page.links
    assert "alleen wat aandacht nodig heeft" in page.links
    # one query per organisation and one chart query per organisation shown, no more
    assert len(counted.urls) <= COUNT + 1 + 50, len(counted.urls)
    assert page.charts > 0 and len(page.rows) == 50
    # follow "volgende" to the end: every organisation once, and the key kept in each link
    shown, pages = list(page.rows), 1
    while "volgende" in page.links:
        href = page.links["volgende"]
        params = dict(parse_qsl(href.lstrip("?")))
        assert params["code"] == "sleutel" and params["format"] == "html"
        page = Page()
        page.feed(get(many["service"], monkeypatch, **params).get_body().decode())
        pages += 1
        assert f"pagina {pages} van 7" in page.text and "vorige" in page.links
        shown += page.rows
    assert pages == 7 and shown == expected_order(words)
    only = dict(parse_qsl(links_of(html)["alleen wat aandacht nodig heeft"].lstrip("?")))
    filtered = Page()
    filtered.feed(get(many["service"], monkeypatch, **only).get_body().decode())
    assert set(filtered.rows) == {c for c, w in words.items()
                                  if w not in ("ok", "pending", "not_connected")}
    assert "alle organisaties" in filtered.links


def links_of(html: str) -> dict[str, str]:
    page = Page()
    page.feed(html)
    return page.links


def test_no_name_birth_date_or_bsn_on_any_page(many, monkeypatch):
    for params in ({}, {"page": "5"}, {"format": "html"}, {"format": "html", "page": "2"}):
        body = get(many["service"], monkeypatch, **params).get_body().decode()
        for personal in (NAME, "Vries", BIRTH, BSN):
            assert personal not in body, (params, personal)
    # the reason was stored (masked where it is a number): the status leaves it out, not the table
    code = next(c for c, w in many["words"].items() if w == "ok")
    assert NAME in many["writer"].latest(code, "manual")["reason"]
