"""In scale-out mode an API node does no worker work: with no worker running, a deadline long due
stays where it is and a pending flow delivery is not posted — even while the node applies a
command of its own — and a worker started next applies the one and delivers the other."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import pg
from builders import T0, agent_ended
from conftest import FakeClock, bearer, make_client
from flow_receiver import running_receiver
from jetstream import nats_reachable
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.engine.flows import delivery_id_for, enqueue_flow, new_secret
from journeyline.engine.unit import Engine
from journeyline.model.flows import Flow
from journeyline.store import Store, open_store

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg.fresh_url() as url:
        yield url


def seed(store: Store, receiver_url: str) -> str:
    """A call Ann hung up on with no wrap-up (its after-call work ends ten minutes later: a
    deadline long past by now), and one pending delivery of a flow to ``receiver_url``."""
    Engine(store, FakeClock(T0)).apply(agent_ended("conv-due"))
    delivery = delivery_id_for("roles", "1")
    with store.transaction():
        store.flow_put(Flow("f1", "Hook", receiver_url, None, T0, T0))
        store.flow_secret_put("f1", new_secret(), T0)
        enqueue_flow(store, delivery_id=delivery, flow_id="f1", payload={"n": 1}, now_ms=T0)
    return delivery


def state(url: str, delivery: str) -> tuple[int, int, str]:
    """How many deadlines, how many ticks (the units that apply them) logged, the delivery's
    state."""
    store = open_store(url)
    try:
        deadlines = store.snapshot().deadlines
        ticks = [r for r in store.iter_all_log() if r.kind == "clock.tick"]
        found = store.outbox_get(delivery)
        return (
            len(deadlines),
            len(ticks),
            found.state if found else "",
        )
    finally:
        store.close()


def test_an_api_node_leaves_deadlines_and_deliveries_to_the_workers(pg_url: str) -> None:
    nats = nats_reachable()
    stream = f"roles{os.getpid()}x{random.randrange(10**6)}"
    with running_receiver() as receiver:
        store = open_store(pg_url)
        try:
            delivery = seed(store, receiver.url)
            [deadline] = store.snapshot().deadlines
        finally:
            store.close()
        assert deadline.due_ms < time.time() * 1000  # due: any process that ticks applies it
        before = state(pg_url, delivery)
        assert before == (1, 0, "pending")

        settings = Settings(
            store_url=pg_url,
            role="api",
            nats_url=nats,
            nats_stream=stream,
            flows_allow_private=True,
        )
        credentials = make_client(pg_url)
        with TestClient(create_app(settings)) as client:
            services = client.app.state.services  # type: ignore[attr-defined]
            assert services.deliveries is None
            headers = bearer(client, credentials)
            made = client.post(
                "/api/v2/externalcontacts/contacts", json={"firstName": "Ada"}, headers=headers
            )
            assert made.status_code == 200, made.text  # a unit of work on the node's writer
            services.writer.wake()
            time.sleep(1.5)
            assert state(pg_url, delivery) == before
        assert receiver.ids() == []

        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
            "JOURNEYLINE_FLOWS_ALLOW_PRIVATE": "true",
        }
        command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", pg_url]
        command += ["--role", "worker", "--nats", nats, "--nats-stream", stream]
        worker = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline_at = time.monotonic() + 30
            while state(pg_url, delivery)[::2] != (0, "delivered"):
                assert worker.poll() is None, "the worker exited"
                assert time.monotonic() < deadline_at, state(pg_url, delivery)
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        assert receiver.ids() == [delivery]
        assert state(pg_url, delivery)[1] >= 1  # a worker's tick applied the deadline
