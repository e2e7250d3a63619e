"""Reverse proxies: whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed.

Only a peer named by ``JOURNEYLINE_TRUSTED_PROXIES`` (addresses, networks or ``*``; the older
``JOURNEYLINE_TRUST_PROXY=true`` is ``*``) may say who its client is and whether it came over
https. For such a peer, uvicorn's :class:`ProxyHeadersMiddleware` rewrites the request's client
(the rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy) and scheme before
any route sees them; from any other peer the headers are ignored. With every peer trusted
(``*``) no entry is "not a trusted proxy", and uvicorn would take the first — the one the
client wrote itself, a new address for every request it likes — so :class:`LastEntry` keeps only
the last, the one the proxy in front appended. The app does this itself,
whatever server runs it; ``journeyline serve`` turns uvicorn's own handling off so that it is
done once, by these rules. Routes read the result as :func:`client_ip` and ``request.url``.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from journeyline.config import Settings

FORWARDED_FOR = b"x-forwarded-for"


class LastEntry:
    """Every ``X-Forwarded-For`` entry but the last dropped (its header lines taken in order,
    as one list), before uvicorn's middleware reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            forwarded = [v for k, v in scope["headers"] if k.lower() == FORWARDED_FOR]
            if forwarded:
                last = b",".join(forwarded).rsplit(b",", 1)[-1].strip()
                headers = [(k, v) for k, v in scope["headers"] if k.lower() != FORWARDED_FOR]
                scope = {**scope, "headers": [*headers, (FORWARDED_FOR, last)]}
        await self.app(scope, receive, send)


def proxy_middleware(settings: Settings) -> list[Middleware]:
    """The middleware believing the trusted proxies' headers; none when no proxy is trusted."""
    proxies = settings.proxies
    if not proxies:
        return []
    if "*" in proxies:
        return [Middleware(LastEntry), Middleware(ProxyHeadersMiddleware, trusted_hosts="*")]
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(proxies))]


def client_ip(request: Request) -> str | None:
    """The client's address: the peer's, or what a trusted proxy forwarded."""
    return request.client.host if request.client is not None else None
