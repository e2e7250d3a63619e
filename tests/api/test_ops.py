"""Operating the server: ``GET /ready`` and ``GET /metrics`` through the ASGI app on a real
SQLite file, scraped and parsed as Prometheus does."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import sabotage
from builders import web_event
from conftest import SAMPLES, Api, FakeClock, deployment, flows_api, send
from journeyline.api.services import Services
from journeyline.config import Settings
from journeyline.model.effects import Envelope
from journeyline.model.errors import InvalidInput
from journeyline.model.flows import Delivery
from journeyline.store import Store

INTAKE = "/api/v2/journey/conversationevents"
SAMPLE = [
    json.loads(line) for line in (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()
]
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
TOKEN = "metrics-token-of-the-test-0123456789"


def services(api: Api) -> Services:
    found: Services = api.client.app.state.services  # type: ignore[attr-defined]
    return found


def scrape(api: Api, **headers: str) -> str:
    response = api.client.get("/metrics", headers=headers)  # no bearer token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def samples(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(scrape(api))
        for s in family.samples
    }


def metric(api: Api, name: str, **labels: str) -> float:
    return samples(api)[(name, frozenset(labels.items()))]


def events(api: Api, source: str) -> dict[str, float]:
    found = samples(api)
    return {
        outcome: found[
            ("journeyline_events_total", frozenset({("source", source), ("outcome", outcome)}))
        ]
        for outcome in ("accepted", "duplicate", "rejected")
    }


def broken(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "eventBody": {**item["eventBody"], "eventTime": "soon"}}


# -- /ready ----------------------------------------------------------------------------------


def test_ready_when_the_store_answers_and_the_writer_runs(api: Api) -> None:
    response = api.client.get("/ready")  # no token: probes have none
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"store": "ok", "writer": "ok"}}


def test_not_ready_when_the_stores_tables_are_gone_and_the_metrics_still_answer(
    api: Api,
) -> None:
    assert metric(api, "journeyline_outbox_depth") == 0
    sabotage.drop_tables(api.store_url)
    response = api.client.get("/ready")
    assert response.status_code == 503, response.text
    assert response.json() == {
        "status": "unavailable",
        "checks": {"store": "failed", "writer": "ok"},
    }
    names = {name for name, _ in samples(api)}
    assert "journeyline_events_total" in names
    assert "journeyline_outbox_depth" not in names  # left out, not a made-up zero


def test_not_ready_once_the_writer_has_stopped(api: Api) -> None:
    services(api).writer.close()
    response = api.client.get("/ready")
    assert response.status_code == 503, response.text
    assert response.json()["checks"] == {"store": "ok", "writer": "failed"}


# -- /metrics: events in ---------------------------------------------------------------------


def test_conversation_events_are_counted_by_outcome(api: Api) -> None:
    assert events(api, "conversation") == {"accepted": 0, "duplicate": 0, "rejected": 0}
    assert api.post(INTAKE, SAMPLE[:5]).status_code == 202
    mixed = api.post(INTAKE, [SAMPLE[0], broken(SAMPLE[5]), *SAMPLE[5:], SAMPLE[1]]).json()
    assert (mixed["accepted"], mixed["duplicate"], mixed["rejected"]) == (4, 2, 1)
    assert api.post(INTAKE, [broken(SAMPLE[0]), broken(SAMPLE[1])]).status_code == 400
    assert api.post(INTAKE, b"{not json").status_code == 400  # no events in it to count
    assert events(api, "conversation") == {"accepted": 9, "duplicate": 2, "rejected": 3}
    assert events(api, "web") == {"accepted": 0, "duplicate": 0, "rejected": 0}


def test_web_app_and_segment_events_are_counted_by_their_intake(api: Api) -> None:
    shop = deployment(api)
    first = web_event(COOKIE, 0)
    assert send(api, shop["id"], first).status_code == 200
    assert send(api, shop["id"], web_event(COOKIE, 1, name="searched")).status_code == 200
    assert send(api, shop["id"], first).status_code == 200  # the tracker's retry
    assert send(api, shop["id"], {"eventName": "page_viewed"}).status_code == 400
    foreign = send(api, shop["id"], first, Origin="https://elsewhere.example.org")
    assert foreign.status_code == 403  # a refused request: no event was read
    app_event = {
        "customerCookieId": COOKIE,
        "eventName": "screen_viewed",
        "screenName": "home",
        "createdDate": first["createdDate"],
        "app": {"name": "Shop", "namespace": "com.example.shop", "version": "1.2"},
    }
    path = f"/api/v2/journey/deployments/{shop['id']}/appevents"
    assert api.client.post(path, json=app_event).status_code == 200
    track = {"type": "track", "event": "Bought", "anonymousId": COOKIE, "messageId": "m-1"}
    batch = {"writeKey": shop["writeKey"], "batch": [track, track, {**track, "event": None}]}
    assert api.client.post("/v1/batch", json=batch).status_code == 200
    assert events(api, "web") == {"accepted": 2, "duplicate": 1, "rejected": 1}
    assert events(api, "app") == {"accepted": 1, "duplicate": 0, "rejected": 0}
    assert events(api, "segment") == {"accepted": 1, "duplicate": 1, "rejected": 1}
    assert events(api, "conversation") == {"accepted": 0, "duplicate": 0, "rejected": 0}


def test_each_group_commit_is_timed(api: Api) -> None:
    assert metric(api, "journeyline_apply_seconds_count") == 0
    for item in SAMPLE[:3]:  # one request after the other: a commit each
        assert api.post(INTAKE, item).status_code == 202
    assert metric(api, "journeyline_apply_seconds_count") == 3
    assert metric(api, "journeyline_apply_seconds_sum") > 0
    assert metric(api, "journeyline_apply_seconds_bucket", le="+Inf") == 3


# -- /metrics: the outbox and the dispatcher, read at scrape time -----------------------------


def test_the_outbox_depth_and_the_dead_letters_are_the_stores(
    api: Api, store: Store, clock: FakeClock
) -> None:
    later = clock.now_ms + 86_400_000  # not due: the delivery worker leaves them be
    states = ["pending", "pending", "pending", "dead", "dead", "delivered"]
    with store.transaction():
        for n, state in enumerate(states):
            store.outbox_put(Delivery(f"msg_{n}", "f1", b"{}", clock.now_ms, later, state=state))
    assert metric(api, "journeyline_outbox_depth") == 3
    assert metric(api, "journeyline_dead_letters") == 2
    with store.transaction():
        store.outbox_replay(None, later)
    assert metric(api, "journeyline_outbox_depth") == 5
    assert metric(api, "journeyline_dead_letters") == 0


def test_partition_lag_is_what_a_subscriber_has_not_taken_yet(api: Api) -> None:
    dispatcher = services(api).dispatcher
    entered, release = threading.Event(), threading.Event()
    held: list[Envelope] = []

    def slow(envelopes: Sequence[Envelope]) -> None:
        held.extend(envelopes)
        entered.set()
        assert release.wait(10)

    dispatcher.subscribe("slow", slow)  # offered after the flows and the live feed
    try:
        assert api.post(INTAKE, SAMPLE[:3]).status_code == 202
        assert entered.wait(10)
        behind = Counter(e.partition for e in held)
        found = samples(api)
        for subscriber in ("slow", "flows", "desktop-feed"):
            for partition in range(16):
                labels = frozenset({("subscriber", subscriber), ("partition", str(partition))})
                expected = behind[partition] if subscriber == "slow" else 0
                assert found[("journeyline_partition_lag", labels)] == expected
        assert sum(behind.values()) == len(held) > 0
        release.set()
        assert dispatcher.drain()
        lag = [v for (name, _), v in samples(api).items() if name == "journeyline_partition_lag"]
        assert lag == [0] * 3 * 16  # three subscribers, sixteen partitions
    finally:
        release.set()
        dispatcher.unsubscribe("slow")


# -- /metrics: requests, and who may read them -----------------------------------------------


def test_requests_are_counted_by_route_template_never_by_their_path(api: Api) -> None:
    assert api.get("/api/v2/journey/sessions/ada-lovelace-1815").status_code == 404
    assert api.client.get("/who/ada@example.com").status_code == 404
    text = scrape(api)
    assert "ada" not in text
    route = "/api/v2/journey/sessions/{sessionId}"
    count = "journeyline_http_request_seconds_count"
    assert metric(api, count, method="GET", route=route, status="404") == 1
    assert metric(api, count, method="GET", route="unmatched", status="404") == 1
    assert metric(api, count, method="POST", route="/oauth/token", status="200") == 1


def test_the_metrics_take_only_the_metrics_token_when_one_is_set(
    store_url: str, clock: FakeClock
) -> None:
    with flows_api(store_url, clock, metrics_token=TOKEN) as api:
        missing = api.client.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert api.get("/metrics").status_code == 401  # an OAuth token, even an admin's
        wrong = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 401
        right = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "journeyline_events_total" in right.text
        assert api.client.get("/ready").status_code == 200  # probes need no token


def test_openmetrics_when_the_scraper_asks_for_it(api: Api) -> None:
    accept = "application/openmetrics-text; version=1.0.0"
    response = api.client.get("/metrics", headers={"Accept": accept})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_a_metrics_token_is_long_enough() -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings(metrics_token="short")
    assert caught.value.field == "metrics_token"
