"""Response helpers shared by the HTTP functions: JSON bodies and JSON errors (code + message)."""

from __future__ import annotations

import json

import azure.functions as func


def json_response(body: dict, status: int) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False, default=str), status_code=status,
                             mimetype="application/json", charset="utf-8")


def error_response(code: str, message: str, status: int) -> func.HttpResponse:
    return json_response({"code": code, "message": message}, status)
