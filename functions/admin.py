"""Admin actions over HTTP (admin-level key): re-deliver, test the connection, release a held
extract, release a held delivery, confirm an unconfirmed one. Each goes through the same code as
the timer, ``vish sftp-check`` and the intake, and is recorded. Errors are JSON with a code and a
Dutch message."""

from __future__ import annotations

import azure.functions as func

from functions.http import error_response, json_response

bp = func.Blueprint()




def _body(req: func.HttpRequest) -> dict:
    """The JSON body as a dict; empty when there is none or it is not an object."""
    try:
        body = req.get_json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _field(req: func.HttpRequest, name: str) -> str | None:
    """A text field of the JSON body, stripped; None when absent or empty."""
    value = _body(req).get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _reason(req: func.HttpRequest) -> str | None:
    return _field(req, "reason")


def _day(req: func.HttpRequest):
    """The optional ``day`` of the body (JJJJ-MM-DD): a date, None when absent, or the error
    response for a day that is not one."""
    from datetime import date

    day_text = _field(req, "day")
    try:
        if day_text is None and _body(req).get("day") is not None:
            raise ValueError("not a text")
        return date.fromisoformat(day_text) if day_text else None
    except ValueError:
        return error_response("bad_day", "Geef de dag als JJJJ-MM-DD: {\"day\": \"2026-11-28\"}", 400)


def _storage_unavailable() -> func.HttpResponse:
    return error_response("storage_unavailable", "De opslag is nu niet bereikbaar; of de actie is "
                          "vastgelegd is niet zeker. Bekijk de status voordat u het opnieuw "
                          "probeert.", 503)


def _known(org: str) -> bool:
    from shared.config import get_settings, load_organisations

    return load_organisations(get_settings()).get(org) is not None


def _checked(req: func.HttpRequest, *, needs_reason: bool) -> tuple[str, str | None] | func.HttpResponse:
    """The organisation (and the reason) of an admin request, or the error response."""
    org = req.route_params.get("org", "")
    if not _known(org):
        return error_response("unknown_organisation", "Organisatie is niet ingesteld", 404)
    reason = _reason(req) if needs_reason else None
    if needs_reason and reason is None:
        return error_response("reason_required", "Geef een reden op: {\"reason\": \"...\"}", 400)
    return org, reason


@bp.function_name("redeliver")
@bp.route(route="deliveries/{org}", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def redeliver(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    from shared.clock import local_today
    from shared.wiring import delivery

    checked = _checked(req, needs_reason=True)
    if isinstance(checked, func.HttpResponse):
        return checked
    org, reason = checked
    day = _day(req)
    if isinstance(day, func.HttpResponse):
        return day
    today = local_today()
    if day is not None and day > today:
        return error_response("day_in_future", "Een dag in de toekomst kan niet worden geleverd", 400)
    try:
        # An earlier day (an unconfirmed one SNG did not get) takes that day's next number.
        request = delivery().request_delivery(org, day or today, reason=reason, manual=True)
    except AzureError:
        return _storage_unavailable()
    return _queued(request)


@bp.function_name("connection_test")
@bp.route(route="connection-test/{org}", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def connection_test(req: func.HttpRequest) -> func.HttpResponse:
    from shared.wiring import delivery

    checked = _checked(req, needs_reason=False)
    if isinstance(checked, func.HttpResponse):
        return checked
    org, _ = checked
    result = delivery().connection_test(org, probe=req.params.get("probe", "1") != "0")
    # The fingerprints (never the keys) let the operator compare the server's key with SNG's.
    return json_response({"ok": result.ok, "steps": [{"step": s, "ok": ok, "detail": d}
                                             for s, ok, d in result.steps],
                          "server_key": result.server_key, "pinned_key": result.pinned_key,
                          "keys_match": (result.server_key == result.pinned_key
                                         if result.server_key and result.pinned_key else None)},
                         200 if result.ok else 502)


@bp.function_name("release_extract")
@bp.route(route="extracts/{org}/release", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def release_extract(req: func.HttpRequest) -> func.HttpResponse:
    """Accept the extract intake's drop guard held: a person checked that file, named by
    ``sha256`` (at least its first 8 characters, as its report and the status show them)."""
    from azure.core.exceptions import AzureError

    from shared.usecases.intake import NothingToRelease, NotTheHeldExtract
    from shared.wiring import intake

    checked = _checked(req, needs_reason=True)
    if isinstance(checked, func.HttpResponse):
        return checked
    org, reason = checked
    sha256 = _field(req, "sha256")
    if sha256 is None:
        return error_response("sha256_required", "Noem het gecontroleerde bestand: {\"sha256\": "
                              "\"de eerste tekens (minstens 8) van de SHA-256 uit het rapport of de "
                              "status\"}", 400)
    try:
        outcome = intake().release_held(org, reason, sha256)
    except AzureError:
        return _storage_unavailable()
    except NothingToRelease:
        return error_response("nothing_held", "Er is geen tegengehouden bestand om vrij te geven", 409)
    except NotTheHeldExtract:
        return error_response("not_the_held_file", "Dit is niet het bestand dat nu is tegengehouden "
                              "(is er intussen een nieuwe export?); controleer de status", 409)
    if outcome.decision == "missing":  # removed from quarantine by its retention (14 days)
        return error_response("held_file_gone", "Het tegengehouden bestand is niet meer in de "
                              "quarantaine (na 14 dagen verwijderd); laat een nieuwe export "
                              "aanleveren", 409)
    answer = {"decision": outcome.decision, "reason": outcome.reason, "summary": outcome.summary}
    if outcome.decision != "accepted":  # checked again on release, and rejected for another cause
        answer["code"] = "rejected_on_release"
        answer["message"] = "Het bestand is bij de vrijgave opnieuw gecontroleerd en afgewezen; zie reason"
    return json_response(answer, 200 if outcome.decision == "accepted" else 409)


@bp.function_name("release_delivery")
@bp.route(route="deliveries/{org}/release", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def release_delivery(req: func.HttpRequest) -> func.HttpResponse:
    """Send the file the drop guard held: a person checked that file, named by ``sha256`` (at
    least its first 8 characters)."""
    from azure.core.exceptions import AzureError

    from shared.usecases.delivery import NothingHeld, NotTheHeldFile
    from shared.wiring import delivery

    checked = _checked(req, needs_reason=True)
    if isinstance(checked, func.HttpResponse):
        return checked
    org, reason = checked
    sha256 = _field(req, "sha256")
    if sha256 is None:
        return error_response("sha256_required", "Noem het gecontroleerde bestand: {\"sha256\": "
                              "\"de eerste tekens (minstens 8) van de SHA-256 uit de status\"}", 400)
    try:
        request = delivery().release_held(org, reason, sha256)
    except AzureError:
        return _storage_unavailable()
    except NothingHeld:
        return error_response("nothing_held", "Er is geen tegengehouden levering om vrij te geven", 409)
    except NotTheHeldFile:
        return error_response("not_the_held_file", "Dit is niet het bestand dat nu is tegengehouden "
                              "(is er intussen een nieuwe export?); controleer de status", 409)
    return _queued(request)


def _queued(request) -> func.HttpResponse:
    """202: the delivery is queued; the queue trigger sends it (a large file can take longer
    than an HTTP request may last). The outcome appears in the status, under ``request``."""
    return json_response({"status": "queued", "org": request.org, "day": request.day.isoformat(),
                          "request": request.id,
                          "message": "Levering in de wachtrij gezet; de uitkomst verschijnt in de "
                                     "status (GET /api/status/{org})".replace("{org}", request.org)},
                         202)


@bp.function_name("confirm_delivery")
@bp.route(route="deliveries/{org}/confirm", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def confirm_delivery(req: func.HttpRequest) -> func.HttpResponse:
    """A person checked with SNG that an unconfirmed delivery arrived: recorded, and the status
    no longer shows it. ``day`` (JJJJ-MM-DD) names it when more than one is open."""
    from azure.core.exceptions import AzureError

    from shared.usecases.delivery import SeveralUnconfirmed
    from shared.wiring import delivery

    checked = _checked(req, needs_reason=True)
    if isinstance(checked, func.HttpResponse):
        return checked
    org, reason = checked
    day = _day(req)
    if isinstance(day, func.HttpResponse):
        return day
    try:
        confirmed = delivery().confirm_unconfirmed(org, reason, day)
    except SeveralUnconfirmed as exc:
        return error_response("day_required", f"Meer dan één niet-bevestigde levering ({exc}); "
                              "noem de dag: {\"day\": \"JJJJ-MM-DD\"}", 409)
    except AzureError:
        return _storage_unavailable()
    if confirmed is None:
        return error_response("nothing_unconfirmed", "Er is geen niet-bevestigde levering", 409)
    return json_response({"confirmed": confirmed}, 200)
