"""Security headers on every response (issue 10): what a browser must not guess or allow.

Every answer gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and,
unless it says otherwise, ``X-Frame-Options: DENY``. A JSON answer also gets a
Content-Security-Policy that allows nothing (``default-src 'none'; frame-ancestors 'none'``): an
API answer opened in a browser runs nothing. Pages set their own policy (the desktop's, in
``desktop/render.py``); a header a route set is never replaced.
"""

from __future__ import annotations

from typing import Any

DEFAULTS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
JSON_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware adding :data:`DEFAULTS` (and :data:`JSON_CSP` to JSON) where absent."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = [(k, v) for k, v in DEFAULTS if k not in present]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"application/json") and JSON_CSP[0] not in present:
                    added.append(JSON_CSP)
                message = {**message, "headers": headers + added}
            await send(message)

        await self.app(scope, receive, with_headers)
