"""Crash safety with everything moving at once: a real server takes a sustained stream of calls
while an action map fires a flow on each of them and the delivery worker posts those flows to a
real receiver — and is killed with SIGKILL in the middle of both. Started again, it has every
acknowledged event exactly once, projections equal to a rebuild from the log, and every
delivery the acknowledged calls queued either done or still pending, then all done: none lost.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter

import httpx

from builders import Conversation
from conftest import bearer, make_client
from flow_receiver import Answer, running_receiver
from journeyline.clock import system_clock
from journeyline.core.conversation import session_id_for
from journeyline.demo.rules import ended_condition
from journeyline.engine.replay import rebuild
from journeyline.store import Store, open_store
from test_flows_crash import serving

EVENTS = "/api/v2/journey/conversationevents"
SENDERS = 4
CALLS_BEFORE_KILL = 40
DELIVERED_BEFORE_KILL = 5


def abandoned(conversation_id: str) -> Conversation:
    """A caller who gave up after 90 s in the Sales queue: the action map fires on it."""
    return (
        Conversation(conversation_id)
        .customer_start(0)
        .acd_start(10, "q-sales")
        .acd_end(100, "q-sales", "ABANDON")
        .customer_end(100, "CLIENT")
    )


def call_back(flow_id: str) -> dict[str, object]:
    return {
        "displayName": "Call back abandoned Sales callers",
        "triggerWithEventConditions": [
            ended_condition("queue.name", "Sales"),
            ended_condition("waitSeconds", "60", "greaterThan"),
        ],
        "activation": {"type": "immediate"},
        "action": {
            "mediaType": "architectFlow",
            "architectFlowFields": {"architectFlow": {"id": flow_id}},
        },
    }


def configure(base: str, headers: dict[str, str], receiver_url: str) -> str:
    """The Sales queue, a flow to the receiver and the action map, through the API; the
    flow's signing secret."""
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        queue = http.post("/api/v2/routing/queues", json={"id": "q-sales", "name": "Sales"})
        assert queue.status_code == 200, queue.text
        flow = http.post("/api/v2/flows", json={"name": "Call back", "url": receiver_url})
        assert flow.status_code == 200, flow.text
        made = http.post("/api/v2/journey/actionmaps", json=call_back(flow.json()["id"]))
        assert made.status_code == 200, made.text
        return str(flow.json()["secret"])


def delivery_of(store: Store, conversation_id: str) -> str | None:
    """The id of the flow delivery the action map queued for a call (None: none)."""
    actions = store.actions_of(session_id_for(conversation_id))
    assert len(actions) <= 1, conversation_id
    return str(json.loads(actions[0].doc)["deliveryId"]) if actions else None


def test_a_kill_during_ingest_and_flow_delivery_loses_nothing(store_url: str) -> None:
    credentials = make_client(store_url)
    acknowledged: list[str] = []  # event ids answered 202
    calls: list[str] = []  # conversations whose every event was answered 202
    lock = threading.Lock()
    stop = threading.Event()

    with running_receiver() as receiver:
        receiver.default = Answer(200, delay=0.05)  # slow enough to have some in flight
        with serving(store_url) as (first, base):
            with httpx.Client(base_url=base) as http:
                headers = bearer(http, credentials)
            secret = configure(base, headers, receiver.url)

            def send(sender: int) -> None:
                with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
                    for n in range(5000):  # bounded; the kill ends it long before
                        if stop.is_set():
                            return
                        call = f"crash-{sender}-{n:05d}"
                        try:
                            answer = http.post(EVENTS, json=abandoned(call).wire)
                        except httpx.TransportError:
                            return  # the server is gone
                        assert answer.status_code == 202, answer.text
                        with lock:
                            acknowledged.extend(e["id"] for e in answer.json()["entities"])
                            calls.append(call)

            senders = [threading.Thread(target=send, args=(s,)) for s in range(SENDERS)]
            for sender in senders:
                sender.start()
            deadline = time.monotonic() + 60
            while len(calls) < CALLS_BEFORE_KILL or len(receiver.ids()) < DELIVERED_BEFORE_KILL:
                assert time.monotonic() < deadline, (len(calls), len(receiver.ids()))
                time.sleep(0.01)
            os.kill(first.pid, signal.SIGKILL)  # calls and deliveries both in flight
            first.wait(timeout=10)
            stop.set()
            for sender in senders:
                sender.join(timeout=30)

        store = open_store(store_url)
        try:
            logged = Counter(record.key for record in store.iter_all_log())
            deliveries = {call: delivery_of(store, call) for call in calls}
            states = {d: store.outbox_get(d) for d in deliveries.values() if d is not None}
        finally:
            store.close()
        assert set(acknowledged) <= set(logged)  # every acknowledged event is in the log...
        assert max(logged.values()) == 1  # ...once
        assert None not in deliveries.values()  # every acknowledged call queued its flow...
        killed = Counter(d.state if d else "missing" for d in states.values())
        assert set(killed) <= {"pending", "delivered"}  # ...and it is done or still pending
        assert killed["pending"] >= 1  # the kill came in the middle of the deliveries

        with serving(store_url):  # started again: it sends what is pending
            deadline = time.monotonic() + 60
            while True:
                store = open_store(store_url)
                try:
                    counts = store.outbox_counts()
                finally:
                    store.close()
                if counts == {"pending": 0, "dead": 0}:
                    break
                assert time.monotonic() < deadline, counts
                time.sleep(0.1)

    store = open_store(store_url)
    try:
        done = {d: store.outbox_get(d) for d in states}
        assert {d.state for d in done.values() if d} == {"delivered"}
        live = store.snapshot()
        rebuild(store, system_clock)  # the projections are what the log says they are
        assert store.snapshot() == live
        assert len(live.conversations) >= len(calls)
    finally:
        store.close()
    accepted = {i for i, status in receiver.answered if status == 200}
    assert set(states) <= accepted  # each delivery of an acknowledged call reached the receiver
    assert all(r.verifies(secret) for r in receiver.received)
