"""The access log: one line per HTTP request on the ``journeyline.access`` logger, with no PII.

A line says what was asked and how it went, never who asked or about whom: the ``method``, the
``route`` template that matched (``/api/v2/journey/sessions/{sessionId}``, never the raw path),
the ``status``, ``durationMs`` and the response's ``bytes``. No query string, client address,
user agent or other header value is in it: emails and phone numbers travel in paths and query
strings (``identifierlookup``, ``?conversationId=``, ``/desktop/search?q=``), and a deployment
may not collect IP addresses at all (``collectIpAddresses: false``).

A request no route matched (a 404, a redirect to the path without its trailing slash) logs its
path redacted: each segment that is not a plain word (a letter first, then at most 39 letters,
digits, ``-`` or ``_``, no run of five digits) is ``*``. A method that is not a standard one is
``OTHER``. uvicorn's own access log is off (``journeyline serve``); this middleware replaces it.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.routing import Match

log = logging.getLogger("journeyline.access")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_WORD = re.compile(r"(?!.*\d{5})[A-Za-z][A-Za-z0-9_-]{0,39}")


def redact_path(path: str) -> str:
    """``path`` with every segment that is not a plain word replaced by ``*``."""
    return "/".join(s if not s or _WORD.fullmatch(s) else "*" for s in path.split("/"))


def method_of(scope: Any) -> str:
    """The request's method, or ``OTHER`` for one that is not standard (any token is allowed)."""
    method: str = scope["method"]
    return method if method in METHODS else "OTHER"


def route_of(scope: Any) -> str:
    """The template of the route that answers ``scope`` (as the app's router picks it: the first
    full match, else the first that matches all but the method), else its path redacted. Once
    the router has run, the route it picked is in the scope; before (a failure in a middleware
    outside it), the routes are matched here."""
    picked = scope.get("route")
    if picked is not None:
        return str(getattr(picked, "path", "*"))
    app = scope.get("app")
    partial = None
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "*"))
        if match == Match.PARTIAL and partial is None:
            partial = str(getattr(route, "path", "*"))
    return partial if partial is not None else redact_path(scope["path"])


class AccessLog:
    """ASGI middleware writing the line of each HTTP request once it has been answered (an
    exception that escapes is a 500, as the server error handler outside answers it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 500, 0

        async def counting(message: Any) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            method = method_of(scope)
            route = route_of(scope)
            fields = {
                "method": method,
                "route": route,
                "status": status,
                "durationMs": round((time.perf_counter() - started) * 1000, 1),
                "bytes": size,
            }
            log.info("%s %s %d", method, route, status, extra=fields)
