"""Reverse proxies: whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed.

Only a peer named by ``JOURNEYLINE_TRUSTED_PROXIES`` (addresses, networks or ``*``; the older
``JOURNEYLINE_TRUST_PROXY=true`` is ``*``) may say who its client is and whether it came over
https. For such a peer, uvicorn's :class:`ProxyHeadersMiddleware` rewrites the request's client
(the rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy) and scheme before
any route sees them; from any other peer the headers are ignored. The app does this itself,
whatever server runs it; ``journeyline serve`` turns uvicorn's own handling off so that it is
done once, by these rules. Routes read the result as :func:`client_ip` and ``request.url``.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from journeyline.config import Settings


def proxy_middleware(settings: Settings) -> list[Middleware]:
    """The middleware believing the trusted proxies' headers; none when no proxy is trusted."""
    proxies = settings.proxies
    if not proxies:
        return []
    trusted: str | list[str] = "*" if "*" in proxies else list(proxies)
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)]


def client_ip(request: Request) -> str | None:
    """The client's address: the peer's, or what a trusted proxy forwarded."""
    return request.client.host if request.client is not None else None
