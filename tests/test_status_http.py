"""Status and admin endpoints on Azurite: health words, 503, history paging, the HTML page,
admin actions, and no personal data in any response."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import azure.functions as func
import pytest

from devtools.devservices import registered_functions, user_function
from shared import config, wiring
from shared.usecases.consumer import drain
from tests.conftest import organisations_for
from tests.helpers import run_tick
from tests.test_delivery_sftp import accept_extract, make_service

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 12:00 local
SFTP = {"host": "127.0.0.1", "username": "u", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
        "secret_name": "k"}


def get(function: str, route: str = "", params=None, headers=None, route_params=None):
    req = func.HttpRequest("GET", f"http://localhost/api/{route}", params=params or {},
                           headers=headers or {}, route_params=route_params or {}, body=b"")
    return user_function(function)(req)


def post(function: str, body: dict | None, route_params: dict):
    req = func.HttpRequest("POST", "http://localhost/api/x", route_params=route_params,
                           body=json.dumps(body).encode() if body is not None else b"",
                           headers={"Content-Type": "application/json"})
    return user_function(function)(req)


@pytest.fixture
def orgs(settings, monkeypatch, org_code):
    # unique per test: Azurite's table lives for the whole session
    codes = {word: f"{org_code}-{word[:4]}" for word in ["ok", "pending", "late", "failing", "stale"]}
    document = {"organisations": [
        organisations_for(code, sftp=SFTP, send_time="13:00" if word == "pending" else "06:00")
        .organisations[0].model_dump(mode="json") for word, code in codes.items()]}
    # and one being set up: no SFTP target yet
    codes["west"] = f"{org_code}-west"
    document["organisations"].append(organisations_for(codes["west"]).organisations[0]
                                     .model_dump(mode="json"))
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", json.dumps(document))
    config.get_settings.cache_clear()
    wiring.status_service.cache_clear()
    service = wiring.status_service()
    service.now = lambda: NOW
    store = service.outcomes
    store.ensure_table()
    for word, code in codes.items():
        accepted_at = NOW - timedelta(days=5 if word == "stale" else 0, hours=8)
        store.record(code, "extract", {"decision": "accepted", "rows_total": 10, "people": 12},
                     at=accepted_at, pointers=("extract_accepted",))
    ok_fields = {"status": "succeeded", "day": "2026-11-28", "records": 12, "file": "VISH_X.csv"}
    for code in (codes["ok"], codes["stale"]):
        store.record_delivery(code, ok_fields, at=NOW - timedelta(hours=5))
    store.record(codes["failing"], "delivery", {"status": "failed", "day": "2026-11-28",
                                                "error_kind": "host_key"}, at=NOW - timedelta(hours=1))
    yield codes
    wiring.status_service.cache_clear()


def test_every_health_word_and_503_when_any_is_late_failing_or_stale(orgs):
    response = get("status")
    assert response.status_code == 503 and response.mimetype == "application/json"
    body = json.loads(response.get_body())
    health = {o["code"]: o["health"] for o in body["organisations"]}
    assert health == {orgs["ok"]: "ok", orgs["pending"]: "pending", orgs["late"]: "late",
                      orgs["failing"]: "failing", orgs["stale"]: "stale_extract",
                      orgs["west"]: "not_connected"}
    ok = next(o for o in body["organisations"] if o["code"] == orgs["ok"])
    assert ok["last_delivery"]["records"] == 12 and ok["next_due"]["utc"].startswith("2026-11-29T05:00")
    assert ok["snapshot_age_hours"] == 8.0


def test_200_exactly_when_every_organisation_is_ok_pending_or_not_connected(orgs, monkeypatch):
    assert get("status_org", route_params={"org": orgs["late"]}).status_code == 503
    assert get("status_org", route_params={"org": orgs["ok"]}).status_code == 200
    west = get("status_org", route_params={"org": orgs["west"]})
    assert west.status_code == 200 and json.loads(west.get_body())["health"] == "not_connected"
    service = wiring.status_service()
    keep = [o for o in service.organisations.organisations
            if o.code in (orgs["ok"], orgs["pending"], orgs["west"])]
    monkeypatch.setattr(service, "organisations",
                        service.organisations.model_copy(update={"organisations": keep}))
    assert get("status").status_code == 200


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.badges, self.charts, self.external = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "org":
            self.rows.append((a["data-org"], a["data-health"]))
        if tag == "span" and a.get("class") == "badge":
            self.badges.append(a["style"])
        if tag == "svg":
            self.charts += 1
        if tag in ("script", "link") or any(v and "http" in v for k, v in attrs if k in ("src", "href")):
            self.external.append(tag)


def test_html_page_has_a_badge_and_a_chart_per_organisation(orgs):
    response = get("status", params={"format": "html"})
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = Page()
    page.feed(response.get_body().decode())
    words = {"stale": "stale_extract", "west": "not_connected"}
    assert sorted(page.rows) == sorted((code, words.get(word, word)) for word, code in orgs.items())
    # a chart where something was delivered or tried (ok, stale, failing); else it says so
    assert len(page.badges) == 6 and page.charts == 3 and page.external == []
    assert response.get_body().decode().count("nog geen leveringen") == 3
    same = get("status", headers={"Accept": "text/html,application/xhtml+xml"})
    assert same.mimetype == "text/html" and "Actie nodig" in same.get_body().decode()


def test_organisation_detail_has_thirty_days_of_history(orgs):
    body = json.loads(get("status_org", route_params={"org": orgs["ok"]}).get_body())
    assert len(body["days"]) == 30 and body["days"][-1] == {"day": "2026-11-28", "records": 12,
                                                            "status": "succeeded"}
    assert {h["kind"] for h in body["history"]} == {"extract", "delivery"}
    missing = get("status_org", route_params={"org": "bestaat-niet"})
    assert missing.status_code == 404 and json.loads(missing.get_body())["code"] == "unknown_organisation"


def test_history_is_paged_newest_first(orgs):
    store = wiring.status_service().outcomes
    code = orgs["late"]
    for i in range(7):
        store.record(code, "delivery", {"status": "failed", "day": "2026-11-2" + str(i)},
                     at=NOW - timedelta(days=10 - i))
    first, token = store.history_page(code, page_size=3)
    second, token2 = store.history_page(code, page_size=3, continuation=token)
    third, end = store.history_page(code, page_size=3, continuation=token2)
    times = [e["recorded_at"] for e in first + second + third]
    assert [len(first), len(second), len(third)] == [3, 3, 2] and token and token2 and end is None
    assert times == sorted(times, reverse=True)
    recent, _ = store.history_page(code, page_size=50, since=NOW - timedelta(days=5))
    assert all(e["recorded_at"] >= NOW - timedelta(days=5) for e in recent) and len(recent) == 3


def test_retention_removes_old_history_but_keeps_latest(orgs):
    store = wiring.status_service().outcomes
    code = orgs["ok"]
    store.record(code, "delivery", {"status": "succeeded", "day": "2025-01-01"}, at=NOW - timedelta(days=500))
    assert store.purge(code, NOW - timedelta(days=400)) == 1
    kept = store.history(code)  # the fixture's extract (8 h ago) and delivery (5 h ago) stay
    assert sorted((e["kind"], e["recorded_at"]) for e in kept) == [
        ("delivery", NOW - timedelta(hours=5)), ("extract", NOW - timedelta(hours=8))]
    assert store.latest(code, "delivery_success")["day"] == "2026-11-28"
    assert store.purge(code, NOW - timedelta(days=400)) == 0


SERVE_STATUS = """
import json, sys
import azure.functions as func
from devtools.devservices import registered_functions, user_function
from shared import wiring
from shared.usecases.status import StatusService

SDKS = ("paramiko", "asyncssh", "azure.keyvault.secrets", "azure.identity", "azure.storage.blob",
        "azure.data.tables")
registered_functions()
at_start = sorted(m for m in SDKS if m in sys.modules)
request = func.HttpRequest("GET", "http://localhost/api/status", params={}, headers={},
                           route_params={}, body=b"")
response = user_function("status")(request)
print(json.dumps({
    "at_start": at_start,
    "status_code": response.status_code,
    "codes": [o["code"] for o in json.loads(response.get_body())["organisations"]],
    "status_service": isinstance(wiring.status_service(), StatusService),
    "built": {name: getattr(wiring, name).cache_info().currsize
              for name in ("status_service", "intake", "delivery")},
    "after": sorted(m for m in SDKS if m in sys.modules),
}))
"""


def test_status_uses_the_status_service_without_delivery_sdks(azurite, org_code, tmp_path):
    """A cold worker serves GET /api/status from the status service alone: no intake or
    delivery service is built, and no SFTP, Key Vault, identity or blob SDK is imported."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "VISH_STORAGE_CONNECTION_STRING": azurite.connection_string,
           "VISH_WORK_DIR": str(tmp_path),
           "VISH_ORGANISATIONS_JSON": organisations_for(org_code, sftp=SFTP).model_dump_json()}
    env.pop("VISH_KEY_VAULT_URL", None)
    done = subprocess.run([sys.executable, "-c", SERVE_STATUS], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["at_start"] == []  # the app starts without any SDK
    assert out["status_code"] == 503 and out["codes"] == [org_code]  # no extract yet
    assert out["status_service"] is True
    assert out["built"] == {"status_service": 1, "intake": 0, "delivery": 0}
    assert out["after"] == ["azure.data.tables"]  # the request needed the table SDK only


def test_admin_routes_need_the_admin_key_and_status_the_function_key():
    levels = {name: {b.get("authLevel") for b in f.get_bindings_dict()["bindings"] if b.get("authLevel")}
              for name, f in registered_functions().items()}
    assert levels["status"] == {func.AuthLevel.FUNCTION} == levels["status_org"]
    for name in ("redeliver", "connection_test", "release_extract", "release_delivery",
                 "confirm_delivery"):
        assert levels[name] == {func.AuthLevel.ADMIN}


@pytest.fixture
def live(settings, org_code, tmp_path, monkeypatch, azurite):
    from devtools.sftp_testserver import SftpTestServer

    with SftpTestServer(tmp_path / "sng") as sng:
        service = make_service(settings, org_code, sng, monkeypatch)
        monkeypatch.setattr(wiring, "delivery", lambda: service)
        monkeypatch.setenv("VISH_SECRET_SNG_KEY", sng.client_private_key)
        yield service, sng


def test_admin_redelivery_connection_test_and_errors(live, org_code, azurite):
    from shared.clock import utcnow

    service, sng = live
    service.now = utcnow  # the admin action asks for today's date: the consumer's clock agrees
    accept_extract(service, azurite, org_code)
    assert post("redeliver", {}, {"org": org_code}).status_code == 400
    assert post("redeliver", None, {"org": org_code}).status_code == 400
    assert post("redeliver", {"reason": "x"}, {"org": "onbekend"}).status_code == 404
    response = post("redeliver", {"reason": "SNG miste het bestand"}, {"org": org_code})
    queued = json.loads(response.get_body())
    # Queued (a large file may take longer than an HTTP request lasts); the queue's consumer,
    # the same as the timer's requests use, sends it.
    assert response.status_code == 202 and (queued["status"], queued["org"]) == ("queued", org_code)
    assert service.outcomes.latest(org_code, "manual") is None and sng.files() == {}
    assert drain(service).outcome_of(queued["request"]).status == "succeeded"
    assert service.outcomes.latest(org_code, "manual")["reason"] == "SNG miste het bestand"
    check = post("connection_test", None, {"org": org_code})
    assert check.status_code == 200 and json.loads(check.get_body())["ok"] is True
    assert service.outcomes.latest(org_code, "connection_test")["ok"] is True
    sng.faults.deny_write = True
    failing = post("connection_test", None, {"org": org_code})
    assert failing.status_code == 502
    assert service.outcomes.latest(org_code, "connection_test")["failed_step"] == "proefbestand"


def test_the_connection_test_compares_host_keys_before_it_needs_the_secret(live, org_code, monkeypatch):
    """A first set-up: the secret is not in Key Vault yet. The admin action still shows the key
    the server offered next to the pinned one (fingerprints only), then the missing secret."""
    from shared.adapters.secrets import SecretError

    service, _ = live

    def no_secret(target):
        raise SecretError("geheim 'sng-key' niet gevonden in Key Vault")

    monkeypatch.setattr(service, "credentials_for", no_secret)
    answer = post("connection_test", None, {"org": org_code})
    body = json.loads(answer.get_body())
    assert answer.status_code == 502 and body["ok"] is False
    assert body["server_key"].startswith("SHA256:") and body["server_key"] == body["pinned_key"]
    assert body["keys_match"] is True
    assert [(step["step"], step["ok"]) for step in body["steps"]][-1] == ("geheim ophalen", False)
    assert "BEGIN" not in answer.get_body().decode()  # no key material, only fingerprints


def test_release_of_a_held_extract(live, org_code, azurite):
    from shared.usecases.intake import EXTRACTS_CONTAINER

    service, _ = live
    data = accept_extract(service, azurite, org_code, rows=40)
    assert post("release_extract", {"reason": "x", "sha256": "0" * 12}, {"org": org_code}).status_code == 409
    half = b"".join(data.splitlines(keepends=True)[:15])
    from azure.storage.blob import BlobClient

    service.blobs.upload(EXTRACTS_CONTAINER, f"{org_code}/half.csv", half)
    wiring.intake.cache_clear()
    user_function("validate_extract")(client=BlobClient.from_connection_string(
        azurite.connection_string, EXTRACTS_CONTAINER, f"{org_code}/half.csv"))
    held = service.outcomes.latest(org_code, "extract")
    assert held["reason"] == "mass_drop_held"
    assert post("release_extract", {}, {"org": org_code}).status_code == 400
    # The person names the file they checked (the report's and the status's first 12 characters
    # of the SHA-256): without it, or naming another file, nothing is released.
    missing = post("release_extract", {"reason": "klopt"}, {"org": org_code})
    assert missing.status_code == 400 and json.loads(missing.get_body())["code"] == "sha256_required"
    for wrong in ("0" * 12, held["sha256"][:7]):
        other = post("release_extract", {"reason": "klopt", "sha256": wrong}, {"org": org_code})
        assert other.status_code == 409 and json.loads(other.get_body())["code"] == (
            "not_the_held_file")
    assert service.outcomes.latest(org_code, "extract")["reason"] == "mass_drop_held"
    response = post("release_extract", {"reason": "Na uitstroom klopt dit: bevestigd",
                                        "sha256": f" {held['sha256'][:12].upper()} "}, {"org": org_code})
    assert response.status_code == 200 and json.loads(response.get_body())["decision"] == "accepted"
    manual = service.outcomes.latest(org_code, "manual")
    assert manual["action"] == "release" and manual["decision"] == "accepted"
    assert service.outcomes.latest(org_code, "extract_accepted")["people"] < 40


def test_release_of_a_held_delivery(live, org_code, azurite):
    """The drop guard held today's file (the last file delivered had many more people): the
    admin action sends it after a person checked, recorded with the reason."""
    service, sng = live
    accept_extract(service, azurite, org_code, rows=40)
    assert post("release_delivery", {"reason": "x", "sha256": "0" * 12},
                {"org": org_code}).status_code == 409
    service.outcomes.record_delivery(org_code, {"status": "succeeded", "day": "2026-11-27",
                                                "people": 400, "file": "VISH_TST-1_20261127_001.csv"})
    held = run_tick(service)[0]
    assert held.status == "held" and sng.files() == {}
    assert post("release_delivery", {}, {"org": org_code}).status_code == 400
    missing = post("release_delivery", {"reason": "x"}, {"org": org_code})
    assert (missing.status_code, json.loads(missing.get_body())["code"]) == (400, "sha256_required")
    other = post("release_delivery", {"reason": "x", "sha256": "0" * 12}, {"org": org_code})
    assert (other.status_code, json.loads(other.get_body())["code"]) == (409, "not_the_held_file")
    response = post("release_delivery", {"reason": "Klopt: 360 dossiers afgesloten",
                                         "sha256": held.sha256[:12]}, {"org": org_code})
    queued = json.loads(response.get_body())
    assert response.status_code == 202 and queued["status"] == "queued"
    body = drain(service).outcome_of(queued["request"])
    assert (body.status, body.people) == ("succeeded", held.people)
    assert list(sng.files()) == [body.file]
    manual = service.outcomes.latest(org_code, "manual")
    assert (manual["action"], manual["reason"]) == ("release_delivery", "Klopt: 360 dossiers afgesloten")
    assert post("release_delivery", {"reason": "x", "sha256": held.sha256},
                {"org": org_code}).status_code == 409  # nothing held any more


def test_confirm_of_an_unconfirmed_delivery(live, org_code, azurite):
    service, sng = live
    accept_extract(service, azurite, org_code)
    nothing = post("confirm_delivery", {"reason": "x"}, {"org": org_code})
    assert (nothing.status_code, json.loads(nothing.get_body())["code"]) == (409, "nothing_unconfirmed")
    sng.faults.take_away, sng.faults.cuts_on_rename_left = True, 1
    assert run_tick(service)[0].status == "unconfirmed"
    assert post("confirm_delivery", {}, {"org": org_code}).status_code == 400
    for bad in (20261128, "28-11-2026"):
        wrong = post("confirm_delivery", {"reason": "x", "day": bad}, {"org": org_code})
        assert (wrong.status_code, json.loads(wrong.get_body())["code"]) == (400, "bad_day")
    response = post("confirm_delivery", {"reason": "SNG heeft het ontvangen"}, {"org": org_code})
    assert response.status_code == 200 and service.outcomes.unconfirmed(org_code) == []
    assert service.outcomes.latest(org_code, "manual")["action"] == "confirm_delivery"


def test_no_bsn_name_or_birth_date_in_any_response(live, org_code, azurite):
    service, _ = live
    data = accept_extract(service, azurite, org_code)
    service.deliver(org_code, service.now().date(), reason="t")
    # and a rejected extract after it: its reason is on every status answer now
    lines = data.decode().strip().split("\r\n")
    broken = [lines[0]] + [";".join([*line.split(";")[:2], "31-02-1980", *line.split(";")[3:]])
                           for line in lines[1:]]
    drop_extract(service, azurite, org_code, "kapot.csv", ("\r\n".join(broken) + "\r\n").encode())
    assert service.outcomes.latest(org_code, "extract")["decision"] == "rejected"
    wiring.status_service.cache_clear()
    bodies = [get("status").get_body(), get("status", params={"format": "html"}).get_body(),
              get("status_org", route_params={"org": org_code}).get_body(),
              get("status_org", route_params={"org": org_code}, params={"format": "html"}).get_body(),
              post("connection_test", None, {"org": org_code}).get_body(),
              post("redeliver", {"reason": "r"}, {"org": org_code}).get_body()]
    corpus = b"\n".join(bodies).decode()
    numbers = {c for line in data.decode().splitlines()[1:] for c in line.split(";")[:2] if c}
    assert len(numbers) >= 40 and org_code in corpus
    assert [n for n in numbers if n in corpus] == []
    assert "Laatste bestand afgewezen op " in corpus and "Bestand afgewezen: " in corpus
    rows = [line.split(";") for line in data.decode().splitlines()[1:]]
    names = {row[3] for row in rows if len(row[3]) > 2}
    births = {row[2] for row in rows} | {"-".join(reversed(row[2].split("-"))) for row in rows}
    assert len(names) >= 5 and len(births) >= 40
    assert [n for n in names | births | {"31-02-1980"} if n in corpus] == []


def test_outcome_kinds_are_typed_whitelists(orgs):
    from pydantic import ValidationError

    store = wiring.status_service().outcomes
    code = orgs["ok"]
    with pytest.raises(ValidationError):
        store.record(code, "extract", {"decision": "accepted", "achternaam": "Jansen"})
    with pytest.raises(ValidationError):
        store.record(code, "delivery", {"status": "maybe", "day": "2026-11-28"})
    with pytest.raises(ValueError, match="unknown outcome kind"):
        store.record(code, "whatever", {})
    store.record(code, "manual", {"action": "release", "reason": "klant 111222333 belde"})
    latest = store.latest(code, "manual")
    assert latest["reason"] == "klant *****2333 belde" and latest["schema_version"] == 1


def test_admin_delivery_actions_say_storage_is_unavailable_instead_of_failing(live, org_code,
                                                                             monkeypatch):
    from azure.core.exceptions import ServiceRequestError

    service, _ = live

    def unreachable(*args, **kwargs):
        raise ServiceRequestError("storage unreachable")

    monkeypatch.setattr(service.outcomes, "latest", unreachable)
    monkeypatch.setattr(service.outcomes, "unconfirmed", unreachable)
    for name, body in (("release_delivery", {"reason": "x", "sha256": "0" * 12}),
                       ("confirm_delivery", {"reason": "x"})):
        response = post(name, body, {"org": org_code})
        assert (response.status_code, json.loads(response.get_body())["code"]) == (
            503, "storage_unavailable")


# --- issue 14: a rejected or held extract is seen; a store without tables --------------------
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def dutch_time(at: datetime) -> str:
    return at.astimezone(AMSTERDAM).strftime("op %d-%m-%Y om %H:%M")


def drop_extract(service, azurite, org: str, name: str, data: bytes) -> dict:
    """The extract through the registered blob function, as Event Grid would bring it."""
    from azure.storage.blob import BlobClient

    from shared.usecases.intake import EXTRACTS_CONTAINER

    service.blobs.upload(EXTRACTS_CONTAINER, f"{org}/{name}", data)
    wiring.intake.cache_clear()
    user_function("validate_extract")(client=BlobClient.from_connection_string(
        azurite.connection_string, EXTRACTS_CONTAINER, f"{org}/{name}"))
    return service.outcomes.latest(org, "extract")


@pytest.fixture
def status_at():
    """The status service of the current settings, its clock set by the test."""
    wiring.status_service.cache_clear()

    def at(now: datetime):
        service = wiring.status_service()
        service.now = lambda: now
        return service

    yield at
    wiring.status_service.cache_clear()


def test_a_rejected_extract_is_seen_with_its_reason_until_an_extract_is_accepted(live, org_code, azurite,
                                                                                status_at):
    service, _ = live
    data = accept_extract(service, azurite, org_code, rows=40)
    accepted = service.outcomes.latest(org_code, "extract_accepted")
    lines = data.decode().strip().split("\r\n")
    broken = [lines[0]] + [";".join(["12345", *line.split(";")[1:]]) for line in lines[1:31]] + lines[31:]
    rejected = drop_extract(service, azurite, org_code, "kapot.csv", ("\r\n".join(broken) + "\r\n").encode())
    assert (rejected["decision"], rejected["reason"], rejected["rows_invalid"], rejected["rows_total"]) == (
        "rejected", "too_many_invalid", 30, 40)
    at = rejected["recorded_at"]
    # today's delivery of the snapshot in force succeeded: still a reason for attention
    service.outcomes.record_delivery(org_code, {
        "status": "succeeded", "day": at.astimezone(AMSTERDAM).date().isoformat(), "records": 38,
        "people": 38, "file": "VISH_TST-1.csv"}, at=at - timedelta(minutes=1))
    status_at(at + timedelta(minutes=5))
    response = get("status")
    body = json.loads(response.get_body())
    [item] = body["organisations"]
    reason = (f"Laatste bestand afgewezen {dutch_time(at)}: te veel regels zijn ongeldig (30 van 40), "
              "daarom is het hele bestand niet verwerkt; bekijk het rapport, laat de fouten in de "
              "export herstellen en lever het bestand opnieuw aan. Tot dan wordt het bestand geleverd "
              f"dat {dutch_time(accepted['recorded_at'])} is geaccepteerd, en komen nieuwe cliënten "
              "niet in VISH")
    assert (response.status_code, item["health"], item["reason"], item["healthy"]) == (
        503, "rejected", reason, False)
    assert item["extract_problem"] == {"word": "rejected", "reason": reason}
    page = get("status", params={"format": "html"})
    html = page.get_body().decode()
    assert page.status_code == 503 and "laatste bestand afgewezen" in html
    assert "afgewezen: 30 van 40 regels ongeldig" in html and "(too_many_invalid)" not in html
    own = get("status_org", route_params={"org": org_code}, params={"format": "html"}).get_body().decode()
    assert "Bestand afgewezen: 30 van 40 regels ongeldig" in own and "Bestand geaccepteerd: 40 regels" in own
    assert "Geschiedenis van Testgemeente" in own
    # a later extract that is accepted ends it
    drop_extract(service, azurite, org_code, "hersteld.csv", data.replace(b"\r\n", b"\n"))
    later = service.outcomes.latest(org_code, "extract")
    assert later["decision"] == "accepted"
    status_at(later["recorded_at"] + timedelta(minutes=1))
    body = json.loads(get("status").get_body())
    assert body["organisations"][0]["health"] != "rejected"
    assert body["organisations"][0]["extract_problem"] is None


def test_a_held_extract_waits_for_release_on_the_status_and_the_release_clears_it(live, org_code,
                                                                                 azurite, status_at):
    service, _ = live
    data = accept_extract(service, azurite, org_code, rows=40)
    half = b"".join(data.splitlines(keepends=True)[:15])
    held = drop_extract(service, azurite, org_code, "half.csv", half)
    assert held["reason"] == "mass_drop_held"
    service.outcomes.record_delivery(org_code, {
        "status": "succeeded", "day": held["recorded_at"].astimezone(AMSTERDAM).date().isoformat(),
        "records": 38, "people": 38, "file": "VISH_TST-1.csv"}, at=held["recorded_at"])
    status_at(held["recorded_at"] + timedelta(minutes=2))
    response = get("status_org", route_params={"org": org_code})
    item = json.loads(response.get_body())
    assert (response.status_code, item["health"]) == (503, "extract_held")
    assert item["reason"].startswith(
        f"Bestand ontvangen {dutch_time(held['recorded_at'])} wacht op vrijgave: "
        f"{held['people_removed']} van {held['current_people']} personen zouden uit VISH verdwijnen")
    named = f"POST /api/extracts/{org_code}/release (reden en sha256 {held['sha256'][:12]})"
    assert named in item["reason"]
    assert post("release_extract", {"reason": "Klopt: grote uitstroom", "sha256": held["sha256"][:12]},
                {"org": org_code}).status_code == 200
    released = service.outcomes.latest(org_code, "extract")
    status_at(released["recorded_at"] + timedelta(minutes=1))
    item = json.loads(get("status_org", route_params={"org": org_code}).get_body())
    assert item["health"] not in ("extract_held", "rejected") and item["extract_problem"] is None


def test_vish_status_on_a_store_without_tables_says_nothing_was_received_yet(settings, monkeypatch,
                                                                            org_code, capsys):
    from shared.cli import main

    monkeypatch.setenv("VISH_OUTCOMES_TABLE", "leeg" + org_code[1:])  # never made
    document = {"organisations": [
        organisations_for(org_code, sftp=SFTP).organisations[0].model_dump(mode="json"),
        organisations_for(org_code + "-w").organisations[0].model_dump(mode="json")]}
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", json.dumps(document))
    config.get_settings.cache_clear()
    wiring.status_service.cache_clear()
    try:
        code = main(["status"])
    finally:
        wiring.status_service.cache_clear()
    out = capsys.readouterr()
    assert code == 1 and out.err == ""
    lines = out.out.splitlines()  # the CLI's own layout may change; the words and reasons not
    assert lines[0] == "Status VISH-levering: ACTIE NODIG"
    assert lines[1] == "  2 organisaties, waarvan 1 aandacht vraagt (die staan bovenaan)"
    lines.pop(1)
    # the badge's words are not said twice; nor the next delivery when the reason says it
    assert lines[1] == (
        f"  {org_code}: nog geen bestand van deze organisatie ontvangen; er wordt pas aan SNG "
        "geleverd na het eerste geaccepteerde bestand; vraag de organisatie de export aan te "
        f"leveren in extracts/{org_code}/")
    assert lines[2] == (
        f"  {org_code}-w: nog niet aangesloten: er is geen SFTP-bestemming ingesteld, dus er wordt "
        "nog niets aan SNG geleverd; vul na de aansluiting bij SNG de sftp-gegevens van deze "
        "organisatie in; volgende levering: geen (nog niet aangesloten)")
    assert "niet bereikbaar" not in out.out


def test_an_earlier_day_is_delivered_again_through_the_admin_action(live, org_code, azurite):
    """An unconfirmed day that SNG did not get, where only the app's own address may reach SNG:
    the admin action delivers that day again (its file name carries that day); never a future
    day, and a day as JJJJ-MM-DD only."""
    from shared.clock import local_today, utcnow

    service, sng = live
    service.now = utcnow  # the admin action reads the real date: the consumer's clock agrees
    accept_extract(service, azurite, org_code)
    yesterday = local_today() - timedelta(days=1)
    answer = post("redeliver", {"reason": "SNG kreeg het niet", "day": yesterday.isoformat()},
                  {"org": org_code})
    queued = json.loads(answer.get_body())
    # queued (admin answers 202); the queue's consumer delivers that day
    assert answer.status_code == 202 and queued["day"] == yesterday.isoformat()
    done = drain(service).outcome_of(queued["request"])
    assert done.status == "succeeded" and done.day == yesterday.isoformat()
    assert f"_{yesterday:%Y%m%d}_" in done.file
    assert done.file in [p.name for p in sng.root.rglob("*") if p.is_file()]
    tomorrow = local_today() + timedelta(days=1)
    for day, code in ((tomorrow.isoformat(), "day_in_future"), ("28-11-2026", "bad_day"),
                      (20261128, "bad_day")):
        refused = post("redeliver", {"reason": "x", "day": day}, {"org": org_code})
        assert refused.status_code == 400 and json.loads(refused.get_body())["code"] == code


def test_a_held_extract_gone_from_quarantine_is_said_so_on_release(live, org_code, azurite):
    service, _ = live
    data = accept_extract(service, azurite, org_code, rows=40)
    held = drop_extract(service, azurite, org_code, "half.csv",
                        b"".join(data.splitlines(keepends=True)[:15]))
    assert held["reason"] == "mass_drop_held"
    container, _, name = held["quarantined"].partition("/")
    service.blobs.delete(container, name)  # the quarantine's retention (14 days) removed it
    answer = post("release_extract", {"reason": "klopt", "sha256": held["sha256"][:12]},
                  {"org": org_code})
    assert answer.status_code == 409 and json.loads(answer.get_body())["code"] == "held_file_gone"
