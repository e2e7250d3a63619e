"""One place that turns errors into HTTP responses in the Genesys error shape."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from journeyline.api.access_log import method_of, route_of
from journeyline.model.errors import JourneylineError, RateLimited

log = logging.getLogger("journeyline.api")


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(msgspec.json.encode(doc), status, headers, media_type="application/json")


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": str(uuid.uuid4()),
        "details": [],
        "errors": [],
    }
    if field:
        body["details"] = [{"fieldName": field}]
    return body


def error_headers(exc: JourneylineError) -> dict[str, str]:
    """What an error's answer says besides its body: how to authenticate, when to try again."""
    if exc.status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after_s)}
    return {}


async def journeyline_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JourneylineError)
    body = error_body(exc.status, exc.code, exc.message, exc.field)
    if exc.status >= 500:  # the code, not the message: a message may quote the request
        log.error("request failed: %s (contextId %s)", exc.code, body["contextId"])
    return json_response(body, exc.status, error_headers(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not.found", 405: "method.not.allowed"}.get(exc.status_code, "bad.request")
    body = error_body(exc.status_code, code, str(exc.detail))
    return json_response(body, exc.status_code, dict(exc.headers or {}))  # a 405's Allow


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away (or the server closed a request that took too long,
    ``api/server.py``) before its body was read: nobody is left to answer, nothing to log."""
    return Response(status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    body = error_body(500, "internal.server.error", "an unexpected error occurred")
    log.exception(  # the route, not the path (which may hold an email); logs.redact the rest
        "unexpected error on %s %s (contextId %s)",
        method_of(request.scope),
        route_of(request.scope),
        body["contextId"],
    )
    return json_response(body, 500)


HANDLERS = {
    JourneylineError: journeyline_error,
    HTTPException: http_error,
    ClientDisconnect: client_gone,
    Exception: unexpected_error,
}
