"""HTTP status for monitors (JSON; 503 when any organisation needs attention) and people (HTML).

Function-key protected. ``GET /api/status`` and ``GET /api/status/{org}`` (the latter with 30
days of history, which its page shows too). ``?format=html`` or ``Accept: text/html`` gives the
page. Imports only the table SDK (through ``shared.wiring.status_service``), so the first
request stays fast.
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
    from shared.wiring import status_service

    service = status_service()
    overview = service.overview()
    code = 200 if overview["healthy"] else 503
    if wants_html(req):
        details = {o["code"]: service.organisation(o["code"], history=False)
                   for o in overview["organisations"]}
        return func.HttpResponse(render(overview, details), status_code=code, mimetype="text/html",
                                 charset="utf-8")
    return json_response(overview, code)


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
