"""Which pages may send a deployment's browser events, as a table of cases."""

from __future__ import annotations

import pytest

from journeyline.core.origin import refused_host, request_host
from journeyline.model.contact import Deployment

SHOP = Deployment("d1", "Shop", "k", allowed_domains=("shop.example.com", "*.Example.org"))
OPEN = Deployment("d2", "Open", "k", allow_all_domains=True)
CLOSED = Deployment("d3", "Closed", "k")


@pytest.mark.parametrize(
    ("deployment", "origin", "referer", "refused"),
    [
        (SHOP, None, None, None),  # not a browser: let through
        (SHOP, "https://shop.example.com", None, None),
        (SHOP, "https://SHOP.example.com:8443", None, None),
        (SHOP, "https://eu.shop.example.com", None, None),  # a subdomain
        (SHOP, "https://example.org", None, None),  # *.example.org admits the domain itself
        (SHOP, "https://a.b.example.org", None, None),
        (SHOP, "https://evil.example", None, "evil.example"),
        (SHOP, "https://notshop.example.com", None, "notshop.example.com"),
        (SHOP, "https://example.com", None, "example.com"),  # the parent is not allowed
        (SHOP, "null", None, "null"),  # an opaque origin
        (SHOP, " null ", None, "null"),
        (SHOP, "", None, ""),  # an origin with no host
        (SHOP, None, "https://shop.example.com/cart?x=1", None),
        (SHOP, None, "https://evil.example/page", "evil.example"),
        (SHOP, None, "", None),  # an empty Referer is no Referer
        (SHOP, "https://evil.example", "https://shop.example.com/", "evil.example"),
        (SHOP, "https://shop.example.com", "https://evil.example/", None),  # Origin first
        (OPEN, "https://evil.example", None, None),
        (OPEN, "null", None, None),
        (CLOSED, "https://shop.example.com", None, "shop.example.com"),
        (CLOSED, None, None, None),
    ],
)
def test_allowed_domains(
    deployment: Deployment, origin: str | None, referer: str | None, refused: str | None
) -> None:
    assert refused_host(deployment, origin, referer) == refused


@pytest.mark.parametrize(
    ("origin", "referer", "host"),
    [
        (None, None, None),
        ("https://Shop.Example.com", None, "shop.example.com"),
        ("null", "https://shop.example.com/", "null"),
        (None, "http://127.0.0.1:8000/demo/", "127.0.0.1"),
        ("not a url", None, ""),
        ("http://[", None, ""),  # urlsplit raises on these: a host nobody allows
        (None, "https://[bad]/x", ""),
        ("http://[::1", "https://shop.example.com/", ""),
    ],
)
def test_the_host_a_request_comes_from(
    origin: str | None, referer: str | None, host: str | None
) -> None:
    assert request_host(origin, referer) == host
