"""The demo's segments, outcome and call-back flow fire where a newcomer can see them: on the
demo day's calls, decided as their rules say; and ``journeyline demo --serve`` delivers the
call-backs, signed, to its own ``/demo/callbacks``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from conftest import Api, FakeClock, free_port, wait_healthy
from journeyline.demo.load import load_demo
from journeyline.demo.rules import (
    ABANDONED_SEGMENT_ID,
    CALLBACK_FLOW_ID,
    CALLBACK_MAP_ID,
    SALE_OUTCOME_ID,
    ensure_callback_flow,
)
from journeyline.store import open_store
from journeyline.store.base import Snapshot, Store

SRC = Path(__file__).resolve().parents[1] / "src"
NOW = int(time.time() * 1000)


def _ended(store: Store, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Each conversation session's ``ended`` attributes, with the queue's and code's names."""
    ended: dict[str, dict[str, Any]] = {
        e.session_id: dict(e.attributes)
        for e in snapshot.conversation_events
        if e.event_name == "ended"
    }
    queues = store.directory_names("queue", [str(a.get("queue.id")) for a in ended.values()])
    codes = store.directory_names(
        "wrapupcode", [str(a.get("wrapupCode.id")) for a in ended.values()]
    )
    for attributes in ended.values():
        attributes["queue.name"] = queues.get(str(attributes.get("queue.id")))
        attributes["wrapupCode.name"] = codes.get(str(attributes.get("wrapupCode.id")))
    return ended


def test_the_demo_day_fires_its_rules_on_the_calls_they_describe(store_url: str) -> None:
    store = open_store(store_url)
    try:
        load_demo(store, clock=FakeClock(NOW), conversations=160)
        snapshot = store.snapshot()
        ended = _ended(store, snapshot)
        expected = {
            session_id
            for session_id, a in ended.items()
            if a.get("queue.name") == "Sales"
            and a.get("endedBy") == "customer"
            and a.get("acdOutcome") == "Abandon"
            and float(str(a.get("waitSeconds", 0))) > 60
        }
        called_back = {a.session_id for a in snapshot.actions if a.action_map_id == CALLBACK_MAP_ID}
        assert expected  # the demo day has such calls ...
        assert called_back == expected  # ... and only they fire the flow
        deliveries = [
            json.loads(a.doc)["deliveryId"]
            for a in snapshot.actions
            if a.action_map_id == CALLBACK_MAP_ID
        ]
        for delivery_id in deliveries:
            delivery = store.outbox_get(delivery_id)
            assert delivery is not None
            body = json.loads(delivery.body)
            assert delivery.flow_id == CALLBACK_FLOW_ID
            assert body["inputs"]["queue"] == "Sales"
            assert body["inputs"]["waitedSeconds"] > 60
            assert body["inputs"]["reason"] == "abandoned in queue"

        abandoned = {s for s, a in ended.items() if a.get("acdOutcome") == "Abandon"}
        segment = {
            a.session_id for a in snapshot.assignments if a.segment_id == ABANDONED_SEGMENT_ID
        }
        assert segment == {s for s in abandoned if ended[s].get("endedBy") == "customer"}
        sold = {s for s, a in ended.items() if a.get("wrapupCode.name") == "Sale"}
        achieved = {a.session_id for a in snapshot.achievements if a.outcome_id == SALE_OUTCOME_ID}
        assert sold
        assert achieved == sold
    finally:
        store.close()


def test_the_demo_receiver_takes_only_what_the_demo_flow_signed(api: Api) -> None:
    unsigned = api.client.post("/demo/callbacks", content=b'{"a": 1}')
    assert unsigned.status_code == 401  # no demo flow registered yet: nothing verifies
    store = open_store(api.store_url)
    try:
        ensure_callback_flow(store, NOW, url="http://127.0.0.1:8000/demo/callbacks")
    finally:
        store.close()
    forged = api.client.post(
        "/demo/callbacks",
        content=b'{"a": 1}',
        headers={
            "webhook-id": "msg_1",
            "webhook-timestamp": str(NOW // 1000),
            "webhook-signature": "v1,AAAA",
        },
    )
    assert forged.status_code == 401
    assert api.client.get("/demo/callbacks").json() == {"entities": []}


def test_journeyline_demo_serve_delivers_its_call_backs_to_itself(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path}/demo.db"
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "JOURNEYLINE_FLOWS_ALLOW_PRIVATE": "true",
    }
    command = [sys.executable, "-m", "journeyline.cli", "demo", "--serve", "--store", store_url]
    command += ["--port", str(port), "--log-level", "critical"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        store = open_store(store_url)
        try:
            expected = {
                json.loads(a.doc)["deliveryId"]
                for a in store.snapshot().actions
                if a.action_map_id == CALLBACK_MAP_ID
            }
        finally:
            store.close()
        assert expected
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30  # a bound on waiting, not a measure of speed
        while len(received) < len(expected) and time.monotonic() < deadline:
            received = httpx.get(f"{base}/demo/callbacks").json()["entities"]
            time.sleep(0.1)
        assert {r["webhookId"] for r in received} == expected
        assert all(r["body"]["actionMap"]["id"] == CALLBACK_MAP_ID for r in received)
    finally:
        process.kill()
        process.wait(timeout=10)
