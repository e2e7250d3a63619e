"""Which web pages may send a deployment's browser events: its allowed domains.

A browser's request names where it comes from in its ``Origin`` header, else its ``Referer``.
A request with neither is not a browser's and is let through (servers and SDKs send events too);
an opaque origin (``null``: a sandboxed frame, a file) is only let through by a deployment that
allows all domains. An allowed domain ``example.com`` (or ``*.example.com``) admits the domain
and every subdomain of it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from journeyline.model.contact import Deployment


def request_host(origin: str | None, referer: str | None) -> str | None:
    """The host a request comes from (lower case): its ``Origin``, else its ``Referer``;
    ``"null"`` for an opaque origin; ``""`` for a header with no host in it; None for a request
    with neither header."""
    if origin is not None:
        return "null" if origin.strip() == "null" else _host(origin)
    return _host(referer) if referer else None


def _host(url: str) -> str:
    """A URL's host, lower case; ``""`` when it has none or is not a URL (``http://[``)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def domain_allowed(deployment: Deployment, host: str) -> bool:
    if deployment.allow_all_domains:
        return True
    if host in ("", "null"):
        return False
    for allowed in deployment.allowed_domains:
        allowed = allowed.lower().removeprefix("*.")
        if host == allowed or host.endswith("." + allowed):
            return True
    return False


def refused_host(deployment: Deployment, origin: str | None, referer: str | None) -> str | None:
    """The host a request comes from when the deployment does not allow it; None when the
    request may go on (an allowed host, or no browser headers at all)."""
    host = request_host(origin, referer)
    if host is None or domain_allowed(deployment, host):
        return None
    return host
