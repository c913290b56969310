"""The operators' alert on GET /api/status counts every health word that needs attention: each
such word answers 503 (through the registered HTTP function, on scripted outcomes), the alert
counts every 503 of the status functions whatever the body, and its text names every such word.
The words that need no one (ok, no_changes, pending, not_connected) answer 200."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import azure.functions as func
import pytest

from devtools.devservices import user_function
from devtools.screenshots import NOW, scenario
from shared import wiring
from shared.config import Settings
from shared.domain.health import HEALTHY, WORDS
from shared.usecases.status import StatusService

MONITORING = Path(__file__).resolve().parent.parent / "infra-bicep" / "modules" / "monitoring.bicep"
WORD_OF = {"gemeente-a": "ok", "wijkteam-noord": "rejected", "gemeente-b": "extract_held",
           "gemeente-c": "held", "gemeente-d": "failing", "wijkteam-west": "not_connected",
           "wijkteam-zuid": "no_extract", "gemeente-e": "empty", "gemeente-f": "no_changes",
           "gemeente-g": "late", "gemeente-h": "unconfirmed", "gemeente-i": "pending",
           "gemeente-j": "stale_extract", "gemeente-k": "unreadable"}


@cache
def alert() -> dict:
    from pycep import BicepParser

    return BicepParser().parse(file_path=MONITORING)["resources"]["statusUnhealthy"]["config"]["properties"]


def status_of(code: str, monkeypatch) -> func.HttpResponse:
    document, store = scenario()
    document = document.model_copy(update={"organisations": [
        o for o in document.organisations if o.code == code]})
    service = StatusService(Settings(), document, store, now=lambda: NOW)
    monkeypatch.setattr(wiring, "status_service", lambda: service)
    request = func.HttpRequest("GET", "http://localhost/api/status", params={}, headers={},
                               route_params={}, body=b"")
    return user_function("status")(request)


def test_the_scenario_has_every_health_word():
    assert set(WORD_OF.values()) == set(WORDS)


@pytest.mark.parametrize(("code", "word"), sorted(WORD_OF.items()))
def test_each_word_that_needs_attention_answers_503_and_the_others_200(code, word, monkeypatch):
    response = status_of(code, monkeypatch)
    assert f'"health": "{word}"' in response.get_body().decode()
    expected = 200 if word in ("ok", "no_changes", "pending", "not_connected") else 503
    assert response.status_code == expected


def test_the_alert_counts_every_503_of_the_status_functions_whatever_the_word():
    query = alert()["criteria"]["allOf"][0]["query"]
    assert query == 'requests | where name in ("status", "status_org") and resultCode == "503"'
    assert alert()["criteria"]["allOf"][0]["threshold"] == 0  # one 503 is enough


def test_the_alerts_text_names_every_word_that_answers_503_and_no_other():
    description = alert()["description"]
    said = set(re.findall(r"[a-z_]+", description))
    unhealthy = set(WORDS) - set(HEALTHY)
    assert unhealthy <= said, unhealthy - said
    assert not set(HEALTHY) & said
    assert alert()["displayName"] == "VISH: status meldt 503 (een organisatie vraagt aandacht)"
