"""A crash loses no flow delivery: kill -9 a real server while deliveries are in flight, start
it again, and the receiver ends up with exactly the pending ones (duplicates only with the same
``webhook-id``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import free_port, wait_healthy
from flow_receiver import Answer, running_receiver
from journeyline.engine.flows import delivery_id_for, enqueue_flow, new_secret
from journeyline.model.flows import Delivery, Flow
from journeyline.store import Store, open_store

SRC = Path(__file__).resolve().parents[1] / "src"
PENDING = 12


@contextmanager
def server(store_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """``journeyline serve`` of this checkout, with small timeouts and backoffs."""
    with serving(store_url) as (process, _):
        yield process


@contextmanager
def serving(store_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """:func:`server`, and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "JOURNEYLINE_FLOWS_ALLOW_PRIVATE": "true",
        "JOURNEYLINE_FLOWS_TIMEOUT_MS": "5000",
        "JOURNEYLINE_FLOWS_RETRY_BASE_MS": "50",
        "JOURNEYLINE_FLOWS_MAX_ATTEMPTS": "50",
    }
    command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", store_url]
    command += ["--port", str(port), "--log-level", "critical"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def seed(store: Store, url: str) -> tuple[str, list[str], list[Delivery]]:
    """A flow, pending deliveries, and two delivered and one dead that must not be sent."""
    secret = new_secret()
    now = int(time.time() * 1000)
    pending = [delivery_id_for("crash", str(n)) for n in range(PENDING)]
    with store.transaction():  # as the action-map evaluator will, in one transaction
        store.flow_put(Flow("f1", "Orders", url, None, now, now))
        store.flow_secret_put("f1", secret, now)
        for n, delivery_id in enumerate(pending):
            enqueue_flow(store, delivery_id=delivery_id, flow_id="f1", payload={"n": n}, now_ms=now)
        others = [
            Delivery(f"msg_{name}", "f1", b"{}", now, now, 1, state, 200, None, now)
            for name, state in (("done-1", "delivered"), ("done-2", "delivered"), ("dead", "dead"))
        ]
        for other in others:
            store.outbox_put(other)
    return secret, pending, others


def states(store_url: str) -> Counter[str]:
    store = open_store(store_url)
    try:
        ids = [delivery_id_for("crash", str(n)) for n in range(PENDING)]
        found = [store.outbox_get(i) for i in ids]
        return Counter(d.state if d else "missing" for d in found)
    finally:
        store.close()


def test_pending_deliveries_survive_a_kill_and_are_sent_after_the_restart(store_url: str) -> None:
    with running_receiver() as receiver:
        store = open_store(store_url)
        try:
            secret, pending, others = seed(store, receiver.url)
        finally:
            store.close()
        stall = threading.Event()
        receiver.script = [Answer(200)] * 4 + [Answer(500)] + [Answer(500, hold=stall)] * 20

        with server(store_url) as first:
            deadline = time.monotonic() + 15
            while len(receiver.ids()) < 6:  # some delivered, one failed, one or more stalled
                assert time.monotonic() < deadline, receiver.ids()
                time.sleep(0.01)
            os.kill(first.pid, signal.SIGKILL)  # mid-flight: the stalled ones are unanswered
            first.wait(timeout=10)
            with receiver.lock:
                receiver.script.clear()  # from now on the receiver is well
            stall.set()
        killed = states(store_url)
        assert killed["pending"] >= 1  # in flight when killed: nothing recorded them
        assert killed["missing"] == 0

        with server(store_url):
            deadline = time.monotonic() + 15
            while states(store_url)["delivered"] < PENDING:
                assert time.monotonic() < deadline, states(store_url)
                time.sleep(0.05)

    received = receiver.ids()
    assert set(received) == set(pending)  # the delivered and dead ones were never sent
    assert all(r.verifies(secret) for r in receiver.received)
    accepted = Counter(i for i, status in receiver.answered if status == 200)
    assert set(accepted) == set(pending)  # each one accepted by the receiver...
    duplicates = [i for i, n in Counter(received).items() if n > 1]
    assert duplicates  # the ones in flight at the kill were sent again...
    assert all(i in pending for i in duplicates)  # ...under their own ids
    store = open_store(store_url)
    try:
        assert [store.outbox_get(o.id) for o in others] == others  # untouched
    finally:
        store.close()
