"""The Segment-spec collector (/v1/*): over the ASGI app, and with the real Segment SDK."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from segment.analytics import request as segment_request
from segment.analytics.client import Client as SegmentClient
from segment.analytics.request import APIError
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import Api, FakeClock, bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.api.segment import SEGMENT_ROUTES
from journeyline.clock import iso
from journeyline.config import Settings
from journeyline.ingest import segment

ANON = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
URL = "https://shop.example.com/boots?utm_source=news&utm_campaign=spring"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def with_segment_routes(app: Starlette) -> Starlette:
    """Mount the collector (until app.py does; then this is a no-op)."""
    if not any(getattr(route, "path", None) == "/v1/batch" for route in app.routes):
        app.router.routes.extend(SEGMENT_ROUTES)
    return app


def basic(write_key: str) -> dict[str, str]:
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Collector:
    api: Api
    write_key: str
    deployment_id: str

    @property
    def now(self) -> int:
        return self.api.clock.now_ms

    def post(
        self, path: str, body: Any, *, key: str | None = None, **headers: str
    ) -> httpx2.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        auth = basic(self.write_key if key is None else key) if key != "" else {}
        return self.api.client.post(
            path, content=content, headers={"Content-Type": "application/json", **auth, **headers}
        )

    def message(self, kind: str = "track", **fields: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "type": kind,
            "anonymousId": ANON,
            "messageId": str(uuid.uuid4()),
            "timestamp": iso(self.now - 1_000),
        }
        if kind == "track":
            base["event"] = "Order Completed"
        return {**base, **fields}

    def web_sessions(self) -> list[dict[str, Any]]:
        found = self.api.get("/api/v2/journey/sessions?pageSize=50").json()["entities"]
        return [s for s in found if s["type"] == "web"]

    def events(self, session_id: str) -> list[dict[str, Any]]:
        response = self.api.get(f"/api/v2/journey/sessions/{session_id}/events?pageSize=50")
        assert response.status_code == 200, response.text
        entities: list[dict[str, Any]] = response.json()["entities"]
        return entities


def create_deployment(client: TestClient | httpx.Client, headers: dict[str, str]) -> Any:
    response = client.post(
        "/api/v2/webdeployments/deployments",
        json={"name": "Shop", "allowedDomains": ["shop.example.com"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def collector(settings: Settings, clock: FakeClock) -> Iterator[Collector]:
    credentials = make_client(settings.store_url)
    with TestClient(with_segment_routes(create_app(settings, clock=clock))) as client:
        api = Api(client, bearer(client, credentials), settings.store_url, clock)
        deployment = create_deployment(client, api.headers)
        yield Collector(api, deployment["writeKey"], deployment["id"])


# -- intake over the ASGI app ----------------------------------------------------------------


def test_a_track_call_is_accepted_and_lands_in_a_web_session(collector: Collector) -> None:
    message = collector.message(
        userId="u-1",
        properties={"revenue": 42.5, "currency": "EUR", "items": [{"sku": "B-1"}]},
        context={"userAgent": CHROME, "ip": "203.0.113.9", "page": {"url": URL}},
    )
    response = collector.post("/v1/track", message)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    [session] = collector.web_sessions()
    assert session["customerId"] == ANON
    [event] = collector.events(session["id"])
    assert event["eventType"] == "WebEvent"
    web_event = event["webEvent"]
    assert web_event["eventName"] == "order_completed"
    assert web_event["attributes"] == {
        "revenue": {"dataType": "number", "value": 42.5},
        "currency": {"dataType": "string", "value": "EUR"},
        "items": {"dataType": "string", "value": '[{"sku":"B-1"}]'},
    }
    assert web_event["externalId"] == "u-1"
    assert web_event["browser"]["family"] == "Chrome"
    assert web_event["ipAddress"] == "203.0.113.9"
    assert web_event["page"]["url"] == URL
    assert event["createdDate"] == message["timestamp"]


def test_a_javascript_number_past_the_64_bit_range_is_a_number(collector: Collector) -> None:
    """analytics.js writes the number 1e20 as 100000000000000000000 (JSON.stringify keeps
    integers below 1e21 whole): a number, kept as the nearest float (typed ``integer`` it was
    out of range, and the whole call a 400); one in the range stays an integer."""
    message = collector.message(properties={"revenue": 10**20, "seats": 2**63 - 1})
    response = collector.post("/v1/track", message)
    assert response.status_code == 200, response.text
    [session] = collector.web_sessions()
    [event] = collector.events(session["id"])
    assert event["webEvent"]["attributes"] == {
        "revenue": {"dataType": "number", "value": 1e20},
        "seats": {"dataType": "integer", "value": 2**63 - 1},
    }


@pytest.mark.parametrize(
    ("path", "fields", "event_name"),
    [
        ("/v1/page", {"properties": {"url": URL, "title": "Boots"}}, "page_viewed"),
        ("/v1/screen", {"name": "Basket", "properties": {"url": URL}}, "screen_viewed"),
        ("/v1/identify", {"userId": "u-1", "traits": {"email": "ada@example.com"}}, "identified"),
        ("/v1/alias", {"previousId": ANON, "userId": "u-1"}, "aliased"),
        ("/v1/track", {"event": "Signed Up"}, "signed_up"),
    ],
)
def test_each_call_has_its_route(
    collector: Collector, path: str, fields: dict[str, Any], event_name: str
) -> None:
    message = {k: v for k, v in collector.message("x").items() if k != "type"}
    response = collector.post(path, {**message, **fields})
    assert response.status_code == 200, response.text
    [session] = collector.web_sessions()
    [event] = collector.events(session["id"])
    assert event["webEvent"]["eventName"] == event_name


def test_the_write_key_may_be_in_the_body(collector: Collector) -> None:
    body = {"batch": [collector.message()], "writeKey": collector.write_key}
    response = collector.post("/v1/batch", body, key="")
    assert response.json() == {"success": True}
    single = collector.post(
        "/v1/page", {**collector.message("page"), "writeKey": collector.write_key}, key=""
    )
    assert single.json() == {"success": True}


@pytest.mark.parametrize(
    ("headers", "body_key"),
    [
        ({}, None),
        ({}, "wrong"),
        ({}, 42),
        (basic("wrong"), None),
        (basic("wrong"), "RIGHT"),  # the header is the credential when there is one
        ({"Authorization": "Bearer abc"}, "RIGHT"),
        ({"Authorization": "Basic !!!"}, "RIGHT"),
        (basic(""), None),
    ],
)
def test_a_missing_or_unknown_write_key_is_a_401(
    collector: Collector, headers: dict[str, str], body_key: Any
) -> None:
    body: dict[str, Any] = {"batch": [collector.message()]}
    if body_key is not None:
        body["writeKey"] = collector.write_key if body_key == "RIGHT" else body_key
    response = collector.post("/v1/batch", body, key="", **headers)
    assert response.status_code == 401, response.text
    error = response.json()
    assert (error["status"], error["code"]) == (401, "authentication.required")
    assert error["message"]
    assert response.headers["www-authenticate"].startswith("Basic")
    assert collector.web_sessions() == []


def test_a_batch_with_bad_messages_keeps_the_good_ones(collector: Collector) -> None:
    first = collector.message(properties={"n": 1})
    collector.post("/v1/track", first)
    batch = [
        collector.message(event="Product Viewed"),
        collector.message(timestamp="yesterday"),
        first,  # an SDK retry: a duplicate
        collector.message("identify", traits={"email": "not-an-email"}),
        collector.message("group", groupId="g-1"),
        collector.message(properties={"blob": "x" * (33 * 1024)}),
        collector.message("page", properties={"url": URL}),
    ]
    response = collector.post("/v1/batch", {"batch": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is False
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert results[1]["field"] == "timestamp"
    assert "ISO-8601" in results[1]["message"]
    assert results[3]["field"] == "traits.email"
    assert "not supported" in results[4]["message"]
    assert "32 KB" in results[5]["message"]
    assert "message" not in results[0]
    [session] = collector.web_sessions()
    names = sorted(e["webEvent"]["eventName"] for e in collector.events(session["id"]))
    assert names == ["order_completed", "page_viewed", "product_viewed"]


def test_a_fully_good_batch_answers_like_segment(collector: Collector) -> None:
    batch = [collector.message("identify", userId="u-1"), collector.message("page")]
    response = collector.post("/v1/batch", {"batch": batch, "sentAt": iso(collector.now)})
    assert (response.status_code, response.json()) == (200, {"success": True})
    again = collector.post("/v1/batch", {"batch": batch})  # a retry of it all
    assert (again.status_code, again.json()) == (200, {"success": True})
    [session] = collector.web_sessions()
    assert session["eventCount"] == 2


def test_a_batch_context_applies_to_each_message(collector: Collector) -> None:
    body = {
        "batch": [collector.message(), collector.message(context={"ip": "203.0.113.1"})],
        "context": {"ip": "203.0.113.9", "userAgent": CHROME},
    }
    assert collector.post("/v1/batch", body).json() == {"success": True}
    [session] = collector.web_sessions()
    events = collector.events(session["id"])
    assert sorted(e["webEvent"]["ipAddress"] for e in events) == ["203.0.113.1", "203.0.113.9"]
    assert {e["webEvent"]["browser"]["family"] for e in events} == {"Chrome"}


def test_a_duplicate_message_id_is_a_duplicate(collector: Collector) -> None:
    message = collector.message(messageId="retry-me")
    assert collector.post("/v1/track", message).json() == {"success": True}
    retried = {**message, "sentAt": iso(collector.now), "properties": {"changed": True}}
    bad = collector.message(timestamp="nope")
    response = collector.post("/v1/batch", {"batch": [retried, bad]}).json()
    assert [r["status"] for r in response["results"]] == ["duplicate", "rejected"]
    [session] = collector.web_sessions()
    [event] = collector.events(session["id"])
    assert event["webEvent"]["attributes"] == {}  # the first copy stands


@pytest.mark.parametrize(
    ("fields", "text", "field"),
    [
        ({"timestamp": "yesterday"}, "not an ISO-8601 date", "timestamp"),
        ({"timestamp": "2026-11-26T04:26:35"}, "needs a time zone", "timestamp"),
        ({"timestamp": 1_795_600_000}, "ISO-8601 date string", "timestamp"),
        ({"timestamp": iso(1_795_600_000_000 - 2 * 3_600_000)}, "older than one hour", "timestamp"),
        ({"timestamp": iso(1_795_600_000_000 + 3_600_000)}, "in the future", "timestamp"),
        ({"event": None}, "track needs an event", "event"),
        ({"anonymousId": None}, "needs userId or anonymousId", "userId"),
    ],
)
def test_a_bad_single_call_is_a_400(
    collector: Collector, fields: dict[str, Any], text: str, field: str
) -> None:
    response = collector.post("/v1/track", collector.message(**fields))
    assert response.status_code == 400, response.text
    error = response.json()
    assert (error["status"], error["code"]) == (400, "bad.request")
    assert text in error["message"]
    assert error["details"] == [{"fieldName": field}]
    assert error["results"][0]["status"] == "rejected"
    assert collector.web_sessions() == []


def test_a_batch_of_only_bad_messages_is_a_400_with_results(collector: Collector) -> None:
    batch = [collector.message(timestamp="x"), collector.message("screen")]
    response = collector.post("/v1/batch", {"batch": batch})
    assert response.status_code == 400
    body = response.json()
    assert body["details"] == [{"fieldName": "timestamp"}]
    assert [r["index"] for r in body["results"]] == [0, 1]
    assert "screen calls need a page URL" in body["results"][1]["message"]


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        ("/v1/batch", b"{nope", "malformed JSON"),
        ("/v1/batch", b"[]", "must be a JSON object"),
        ("/v1/batch", {"messages": []}, "batch must be an array"),
        ("/v1/batch", {"batch": []}, "batch is empty"),
        ("/v1/track", b"42", "must be a JSON object"),
    ],
)
def test_malformed_bodies_are_a_400(collector: Collector, path: str, body: Any, text: str) -> None:
    response = collector.post(path, body)
    assert response.status_code == 400
    assert text in response.json()["message"]


def test_oversized_calls_are_a_413(collector: Collector) -> None:
    big = collector.message(properties={"blob": "x" * (32 * 1024)})
    single = collector.post("/v1/track", big)
    assert single.status_code == 413
    assert single.json()["code"] == "request.entity.too.large"
    fill = [collector.message(properties={"blob": "x" * (30 * 1024)}) for _ in range(17)]
    batch = collector.post("/v1/batch", {"batch": fill})
    assert batch.status_code == 413
    assert "512000 bytes" in batch.json()["message"]
    assert collector.web_sessions() == []


def test_gzip_bodies_are_read(collector: Collector) -> None:
    raw = json.dumps({"batch": [collector.message()]}).encode()
    response = collector.post("/v1/batch", gzip.compress(raw), **{"Content-Encoding": "gzip"})
    assert response.json() == {"success": True}
    bomb = gzip.compress(b" " * (600 * 1024))
    too_big = collector.post("/v1/batch", bomb, **{"Content-Encoding": "gzip"})
    assert too_big.status_code == 413
    broken = collector.post("/v1/batch", b"not gzip", **{"Content-Encoding": "gzip"})
    assert broken.status_code == 400
    other = collector.post("/v1/batch", raw, **{"Content-Encoding": "br"})
    assert other.status_code == 400


def test_browsers_are_held_to_the_allowed_domains(collector: Collector) -> None:
    ok = collector.post(
        "/v1/page",
        {**collector.message("page"), "writeKey": collector.write_key},
        key="",
        Origin="https://shop.example.com",
        **{"Content-Type": "text/plain"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["access-control-allow-origin"] == "https://shop.example.com"
    elsewhere = collector.post(
        "/v1/page", collector.message("page"), Origin="https://evil.example.org"
    )
    assert elsewhere.status_code == 403
    preflight = collector.api.client.options(
        "/v1/batch",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "Authorization" in preflight.headers["access-control-allow-headers"]


def test_unknown_calls_are_not_found(collector: Collector) -> None:
    assert collector.post("/v1/group", collector.message("group")).status_code == 404
    assert collector.post("/v1/nothing/here", {}).status_code == 404


# -- the real Segment SDK against a real server ----------------------------------------------


@dataclass
class SegmentServer:
    base_url: str
    http: httpx.Client
    write_key: str


@pytest.fixture
def segment_server(settings: Settings) -> Iterator[SegmentServer]:
    """A real uvicorn server on 127.0.0.1 (real clock) with the collector mounted."""
    credentials = make_client(settings.store_url)
    with serve(with_segment_routes(create_app(settings))) as base_url:
        try:
            with httpx.Client(base_url=base_url) as http:
                http.headers.update(bearer(http, credentials))
                deployment = create_deployment(http, dict(http.headers))
                yield SegmentServer(base_url, http, deployment["writeKey"])
        finally:
            segment_request._session.close()  # the SDK's pooled keep-alive connections


def test_the_segment_sdk_feeds_a_web_session(segment_server: SegmentServer) -> None:
    errors: list[Exception] = []
    analytics = SegmentClient(
        segment_server.write_key,
        host=segment_server.base_url,
        on_error=lambda error, batch: errors.append(error),
        max_retries=1,
        upload_interval=0.05,
    )
    anonymous_id = "visitor-7f3a"  # not a UUID: the cookie id is its uuid5
    context = {"userAgent": CHROME, "ip": "203.0.113.9"}
    try:
        analytics.identify(
            "user-42",
            {"email": "ada@example.com", "firstName": "Ada", "plan": "pro", "seats": 3},
            anonymous_id=anonymous_id,
            context=context,
            message_id="m-identify",
        )
        analytics.page(
            "user-42",
            category="Shop",
            name="Boots",
            properties={"url": URL, "title": "Boots | Shop"},
            anonymous_id=anonymous_id,
            context=dict(context),
            message_id="m-page",
        )
        analytics.track(
            "user-42",
            "Order Completed",
            {"revenue": 42.5, "currency": "EUR", "gift": False, "products": [{"sku": "B-1"}]},
            anonymous_id=anonymous_id,
            context=dict(context),
            message_id="m-track",
        )
        analytics.flush()
    finally:
        analytics.shutdown()
    assert errors == []

    sessions = segment_server.http.get("/api/v2/journey/sessions?pageSize=10").json()["entities"]
    [session] = [s for s in sessions if s["type"] == "web"]
    assert session["customerId"] == segment.cookie_id(anonymous_id)
    assert session["eventCount"] == 3
    assert session["pageviewCount"] == 1
    assert session["authenticated"] is True
    assert session["lastPage"]["url"] == URL
    path = f"/api/v2/journey/sessions/{session['id']}/events?pageSize=10"
    events = {
        e["webEvent"]["eventName"]: e["webEvent"]
        for e in segment_server.http.get(path).json()["entities"]
    }
    assert set(events) == {"identified", "page_viewed", "order_completed"}
    identified = events["identified"]
    assert identified["externalId"] == "user-42"
    assert identified["traits"] == {
        "email": {"dataType": "string", "value": "ada@example.com"},
        "firstName": {"dataType": "string", "value": "Ada"},
        "plan": {"dataType": "string", "value": "pro"},
        "seats": {"dataType": "integer", "value": 3},
    }
    page = events["page_viewed"]
    assert page["page"]["title"] == "Boots | Shop"
    assert page["mktCampaign"]["name"] == "spring"
    assert page["attributes"] == {
        "name": {"dataType": "string", "value": "Boots"},
        "category": {"dataType": "string", "value": "Shop"},
    }
    order = events["order_completed"]
    assert order["attributes"] == {
        "revenue": {"dataType": "number", "value": 42.5},
        "currency": {"dataType": "string", "value": "EUR"},
        "gift": {"dataType": "boolean", "value": False},
        "products": {"dataType": "string", "value": '[{"sku":"B-1"}]'},
    }
    assert order["browser"]["family"] == "Chrome"
    assert order["ipAddress"] == "203.0.113.9"

    # the SDK again, in sync mode: the same messageId is a duplicate and changes nothing
    sync = SegmentClient(
        segment_server.write_key, host=segment_server.base_url, sync_mode=True, max_retries=0
    )
    sync.track(
        "user-42",
        "Order Completed",
        {"revenue": 99},
        anonymous_id=anonymous_id,
        message_id="m-track",
    )
    raw = httpx.post(
        f"{segment_server.base_url}/v1/batch",
        json={
            "batch": [
                {
                    "type": "track",
                    "event": "x",
                    "anonymousId": anonymous_id,
                    "messageId": "m-track",
                },
                {"type": "track", "anonymousId": anonymous_id},
            ],
        },
        auth=(segment_server.write_key, ""),
    ).json()
    assert [r["status"] for r in raw["results"]] == ["duplicate", "rejected"]
    again = segment_server.http.get(path).json()["entities"]
    assert len(again) == 3
    [order_again] = [e for e in again if e["webEvent"]["eventName"] == "order_completed"]
    assert order_again["webEvent"]["attributes"]["revenue"]["value"] == 42.5


def test_the_segment_sdk_sees_rejections(segment_server: SegmentServer) -> None:
    wrong = SegmentClient("not-a-key", host=segment_server.base_url, sync_mode=True)
    with pytest.raises(APIError) as unknown:
        wrong.track("user-1", "Signed Up")
    assert (unknown.value.status, unknown.value.code) == (401, "authentication.required")
    analytics = SegmentClient(
        segment_server.write_key, host=segment_server.base_url, sync_mode=True
    )
    with pytest.raises(APIError) as bad:
        analytics.identify("user-1", {"email": "not-an-email"})
    assert bad.value.status == 400
    assert "traits.email" in bad.value.message
