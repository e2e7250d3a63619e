"""The client's address: the peer's, or a trusted proxy's ``X-Forwarded-For``; never a body's;
kept only by a deployment that collects IP addresses."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from builders import web_event
from conftest import Api, FakeClock, bearer, deployment, make_client, send
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.model.errors import InvalidInput

COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
PROXY, CLIENT, SPOOFED = "192.0.2.10", "203.0.113.9", "198.51.100.1"


@contextlib.contextmanager
def api_from(store_url: str, clock: FakeClock, peer: str, **settings: Any) -> Iterator[Api]:
    credentials = make_client(store_url)
    app = create_app(Settings(store_url=store_url, **settings), clock=clock)
    with TestClient(app, client=(peer, 50000)) as client:
        yield Api(client, bearer(client, credentials), store_url, clock)


def stored_ip(api: Api, answer: Any) -> str | None:
    assert answer.status_code == 200, answer.text
    session = api.get(f"/api/v2/journey/sessions/{answer.json()['session']['id']}").json()
    found: str | None = session.get("ipAddress")
    return found


@pytest.mark.parametrize(
    ("settings", "forwarded", "expected"),
    [
        ({}, CLIENT, PROXY),  # no proxy trusted: the header is anyone's
        ({"trusted_proxies": SPOOFED}, CLIENT, PROXY),  # a proxy, but not this peer
        ({"trusted_proxies": PROXY}, CLIENT, CLIENT),
        ({"trusted_proxies": "10.0.0.0/8, 192.0.2.0/24"}, CLIENT, CLIENT),
        # the client put an address first; the proxy appended the one it saw
        ({"trusted_proxies": PROXY}, f"{SPOOFED}, {CLIENT}", CLIENT),
        # two proxies of ours in a row: the first address that is not one of them
        ({"trusted_proxies": f"{PROXY}, 10.0.0.7"}, f"{SPOOFED}, {CLIENT}, 10.0.0.7", CLIENT),
        # every peer trusted (`*`, or the older switch): the last entry, the one the proxy in
        # front appended; never the first, which the client wrote itself
        ({"trust_proxy": True}, CLIENT, CLIENT),
        ({"trust_proxy": True}, f"{SPOOFED}, {CLIENT}", CLIENT),
        ({"trusted_proxies": "*"}, f"{SPOOFED}, {CLIENT}", CLIENT),
    ],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    store_url: str, clock: FakeClock, settings: dict[str, Any], forwarded: str, expected: str
) -> None:
    with api_from(store_url, clock, PROXY, **settings) as api:
        d = deployment(api)
        answer = send(api, d["id"], web_event(COOKIE, 0), **{"X-Forwarded-For": forwarded})
        assert stored_ip(api, answer) == expected


def test_a_web_event_cannot_state_its_own_address(store_url: str, clock: FakeClock) -> None:
    with api_from(store_url, clock, CLIENT) as api:
        d = deployment(api)
        answer = send(api, d["id"], web_event(COOKIE, 0, ipAddress=SPOOFED))
        assert stored_ip(api, answer) == CLIENT


def test_ip_addresses_are_kept_only_when_collected(store_url: str, clock: FakeClock) -> None:
    with api_from(store_url, clock, CLIENT) as api:
        keep, drop = deployment(api), deployment(api, collectIpAddresses=False)
        assert stored_ip(api, send(api, keep["id"], web_event(COOKIE, 0))) == CLIENT
        other = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
        assert stored_ip(api, send(api, drop["id"], web_event(other, 0, ipAddress=CLIENT))) is None


@pytest.mark.parametrize("proxies", ["proxy.internal", "10.0.0.0/33", "10.0.0.1, *x"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(proxies: str) -> None:
    with pytest.raises(InvalidInput, match="JOURNEYLINE_TRUSTED_PROXIES"):
        Settings(trusted_proxies=proxies)


def test_the_older_switch_yields_to_the_list() -> None:
    assert Settings(trust_proxy=True).proxies == ("*",)
    assert Settings(trust_proxy=True, trusted_proxies=" 10.0.0.1 ,").proxies == ("10.0.0.1",)
    assert Settings().proxies == ()
