"""Rate limits: 429 with ``Retry-After`` per address, deployment, OAuth client and for tokens;
each bucket refills as the (fake) clock moves."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from starlette.requests import Request

from builders import web_event
from conftest import CHROME, Api, FakeClock, deployment, flows_api, make_client
from journeyline.api.ratelimit import KeyedRate, source_address
from journeyline.clock import iso

SHOP = {"Origin": "https://shop.example.com", "User-Agent": CHROME}
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"

Browser = Callable[[Api, dict[str, Any], dict[str, str]], httpx2.Response]


def web_events(api: Api, shop: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
    path = f"/api/v2/journey/deployments/{shop['id']}/webevents"
    return api.client.post(path, json=web_event(COOKIE, 0), headers={**SHOP, **headers})


def ping(api: Api, shop: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
    path = f"/api/v2/journey/deployments/{shop['id']}/customers/{COOKIE}/ping"
    return api.client.get(path, headers={**SHOP, **headers})


def segment_track(api: Api, shop: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
    message = {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": "anon-1",
        "messageId": str(uuid.uuid4()),
        "timestamp": iso(api.clock.now_ms - 1000),
    }
    key = base64.b64encode(f"{shop['writeKey']}:".encode()).decode()
    return api.client.post(
        "/v1/track", json=message, headers={**SHOP, "Authorization": f"Basic {key}", **headers}
    )


BROWSER_ROUTES = pytest.mark.parametrize("call", [web_events, ping, segment_track])


def assert_limited(response: httpx2.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(retry_after)
    body = response.json()
    assert (body["code"], body["status"]) == ("too.many.requests", 429)
    assert "rate limit exceeded" in body["message"]


@BROWSER_ROUTES
def test_a_public_route_limits_each_source_address(
    store_url: str, clock: FakeClock, call: Browser
) -> None:
    with flows_api(
        store_url, clock, address_requests_per_minute=3, trust_proxy=True
    ) as api:  # trust_proxy: X-Forwarded-For says who sends
        shop = deployment(api)
        one, other = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
        for _ in range(3):
            assert call(api, shop, one).status_code == 200
        assert_limited(call(api, shop, one), retry_after=20)  # one more every 60 / 3 s
        assert call(api, shop, other).status_code == 200  # another address has its own
        clock.advance(19)
        assert_limited(call(api, shop, one), retry_after=1)
        clock.advance(1)
        assert call(api, shop, one).status_code == 200
        assert call(api, shop, one).status_code == 429


@BROWSER_ROUTES
def test_a_deployment_has_its_own_limit_whoever_sends(
    store_url: str, clock: FakeClock, call: Browser
) -> None:
    with flows_api(store_url, clock, deployment_requests_per_minute=2, trust_proxy=True) as api:
        shop, other_shop = deployment(api), deployment(api)
        for n in range(2):
            assert call(api, shop, {"X-Forwarded-For": f"198.51.100.{n}"}).status_code == 200
        assert_limited(call(api, shop, {"X-Forwarded-For": "198.51.100.9"}), retry_after=30)
        assert call(api, other_shop, {}).status_code == 200
        clock.advance(30)
        assert call(api, shop, {}).status_code == 200


def test_an_oauth_client_is_limited_on_the_authenticated_routes(
    store_url: str, clock: FakeClock
) -> None:
    with flows_api(store_url, clock, client_requests_per_minute=2) as api:
        sessions = "/api/v2/journey/sessions"
        assert api.get(sessions).status_code == 200
        assert api.get(sessions).status_code == 200
        assert_limited(api.get(sessions), retry_after=30)
        other = make_client(store_url, "agent")
        token = api.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=other
        ).json()["access_token"]
        agent = {"Authorization": f"Bearer {token}"}
        assert api.client.get(sessions, headers=agent).status_code == 200
        clock.advance(30)
        assert api.get(sessions).status_code == 200


def test_a_request_asking_two_permissions_counts_once(store_url: str, clock: FakeClock) -> None:
    with flows_api(store_url, clock, client_requests_per_minute=2) as api:
        user = api.post("/api/v2/users", {"name": "Ann", "email": "ann@example.com"}).json()
        # deleting a user asks directory:write, then users:admin: still one request
        assert api.delete(f"/api/v2/users/{user['id']}").status_code == 204
        assert api.get("/api/v2/journey/sessions").status_code == 429


def mint(api: Api, credentials: tuple[str, str], address: str) -> httpx2.Response:
    return api.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=credentials,
        headers={"X-Forwarded-For": address},
    )


def test_tokens_are_throttled_per_client_and_per_address(store_url: str, clock: FakeClock) -> None:
    with flows_api(store_url, clock, tokens_per_minute=2, trust_proxy=True) as api:
        ann, bob = make_client(store_url, "agent"), make_client(store_url, "agent")
        assert mint(api, ann, "192.0.2.1").status_code == 200
        assert mint(api, ann, "192.0.2.2").status_code == 200
        assert_limited(mint(api, ann, "192.0.2.3"), retry_after=30)  # Ann's tokens
        assert mint(api, bob, "192.0.2.4").status_code == 200
        assert mint(api, bob, "192.0.2.4").status_code == 200
        carol = make_client(store_url, "agent")
        assert_limited(mint(api, carol, "192.0.2.4"), retry_after=30)  # that address's asks
        clock.advance(30)
        assert mint(api, ann, "192.0.2.5").status_code == 200
        assert mint(api, carol, "192.0.2.4").status_code == 200


def test_an_address_refused_too_often_is_throttled_even_with_good_credentials(
    store_url: str, clock: FakeClock
) -> None:
    with flows_api(store_url, clock, token_failures_per_minute=2, trust_proxy=True) as api:
        good = make_client(store_url, "agent")
        wrong = (good[0], "not-the-secret")
        assert mint(api, wrong, "192.0.2.9").status_code == 401
        assert mint(api, wrong, "192.0.2.9").status_code == 401
        assert_limited(mint(api, good, "192.0.2.9"), retry_after=30)
        assert mint(api, good, "192.0.2.10").status_code == 200  # another address may
        clock.advance(30)
        assert mint(api, good, "192.0.2.9").status_code == 200


def test_a_limit_of_zero_is_no_limit(store_url: str, clock: FakeClock) -> None:
    with flows_api(
        store_url, clock, address_requests_per_minute=0, deployment_requests_per_minute=0
    ) as api:
        shop = deployment(api)
        assert all(ping(api, shop, {}).status_code == 200 for _ in range(50))


def test_a_full_bucket_is_forgotten() -> None:
    clock = FakeClock()
    rate = KeyedRate(60, clock, "requests")
    rate.prune_at = 3
    rate.hit("a")
    clock.advance(0.5)
    rate.hit("b")
    clock.advance(0.6)  # a's bucket is full again, b's not yet
    rate.hit("c")
    assert set(rate.states) == {"b", "c"}


def request_from(host: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (host, 50000), "headers": headers})


@pytest.mark.parametrize(
    ("host", "forwarded", "expected"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # the header is api.proxies' to read
        ("2001:db8:1:2:3:4:5:6", None, "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", None, "203.0.113.7"),
        ("testclient", None, "testclient"),
    ],
)
def test_the_source_address(host: str, forwarded: str | None, expected: str) -> None:
    assert source_address(request_from(host, forwarded)) == expected
