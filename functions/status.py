"""HTTP status for monitors (JSON; 503 when any organisation needs attention) and people (HTML).

Function-key protected. ``GET /api/status`` and ``GET /api/status/{org}`` (the latter with 30
days of history, which its page shows too). ``?format=html`` or ``Accept: text/html`` gives the
page. Imports only the table SDK (through ``shared.wiring.status_service``), so the first
request stays fast.

``GET /api/status`` gives a ``summary`` of every organisation and one page of them, those that
need attention first: ``?page=N`` (from 1), ``?per_page=N`` (1 to 100, 50 by default),
``?attention=1`` only those that need attention. 503 when any organisation needs attention,
whatever the page shows. Only the organisations on the page get a chart.
"""

from __future__ import annotations

import azure.functions as func

from functions.http import error_response, json_response

bp = func.Blueprint()


def wants_html(req: func.HttpRequest) -> bool:
    return (req.params.get("format") == "html"
            or "text/html" in (req.headers.get("Accept") or "").split(",")[0])


@bp.function_name("status")
@bp.route(route="status", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def status(req: func.HttpRequest) -> func.HttpResponse:
    from shared.domain.status_page import render
    from shared.usecases.status import MAX_PER_PAGE, PER_PAGE
    from shared.wiring import status_service

    html = wants_html(req)
    try:
        page = _number(req, "page", 1, None)
        per_page = _number(req, "per_page", PER_PAGE, MAX_PER_PAGE)
        attention = _yes(req, "attention")
    except ValueError as exc:
        return _bad_parameter(str(exc), html)
    service = status_service()
    overview = service.overview_page(page, per_page, attention=attention)
    code = 200 if overview["healthy"] else 503
    if html:
        charts = service.chart_days([o["code"] for o in overview["organisations"]])
        details = {org: {"days": days} for org, days in charts.items()}
        keep = {k: req.params[k] for k in ("code",) if req.params.get(k)}
        return func.HttpResponse(render(overview, details, keep=keep), status_code=code,
                                 mimetype="text/html", charset="utf-8")
    return json_response(overview, code)


def _number(req: func.HttpRequest, name: str, default: int, highest: int | None) -> int:
    """A whole number parameter (1 or more, at most ``highest``), or ValueError with the
    Dutch message."""
    text = req.params.get(name)
    if text is None or text == "":
        return default
    bound = f" tot en met {highest}" if highest else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 6) or not (
            1 <= int(text) <= (highest or int(text))):
        raise ValueError(f"{name} moet een geheel getal zijn van 1{bound}")
    return int(text)


def _yes(req: func.HttpRequest, name: str) -> bool:
    text = (req.params.get(name) or "").lower()
    if text in ("", "0", "nee", "false"):
        return False
    if text in ("1", "ja", "true"):
        return True
    raise ValueError(f"{name} moet 1 (ja) of 0 (nee) zijn")


def _bad_parameter(message: str, html: bool) -> func.HttpResponse:
    if not html:
        return error_response("invalid_parameter", message, 400)
    from html import escape

    return func.HttpResponse(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>VISH-levering: ongeldig adres</title></head><body><h1>Ongeldig adres</h1>"
        f"<p>{escape(message)}. Open het overzicht zonder deze toevoeging.</p></body></html>",
        status_code=400, mimetype="text/html", charset="utf-8")


@bp.function_name("status_org")
@bp.route(route="status/{org}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def status_org(req: func.HttpRequest) -> func.HttpResponse:
    from shared.domain.status_page import render
    from shared.wiring import status_service

    service = status_service()
    org = req.route_params.get("org", "")
    detail = service.organisation(org)
    if detail is None:
        if wants_html(req):
            return func.HttpResponse(_not_found_page(org), status_code=404, mimetype="text/html",
                                     charset="utf-8")
        return error_response("unknown_organisation", "Organisatie is niet ingesteld", 404)
    code = 200 if detail["healthy"] else 503
    if wants_html(req):
        overview = {"generated_at": service.now().isoformat(), "healthy": detail["healthy"],
                    "organisations": [detail]}
        return func.HttpResponse(render(overview, {org: detail}, history=True), status_code=code,
                                 mimetype="text/html", charset="utf-8")
    return json_response(detail, code)


def _not_found_page(org: str) -> str:
    from html import escape

    return ('<!doctype html><html lang="nl"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<title>VISH-levering: organisatie onbekend</title></head><body>"
            "<h1>Organisatie niet gevonden</h1>"
            f"<p>Er is geen organisatie ingesteld met de code {escape(org[:40])}. Controleer de "
            "code in het adres, of bekijk het overzicht van alle organisaties.</p></body></html>")
