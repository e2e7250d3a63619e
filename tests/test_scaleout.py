"""Scale-out mode for real: two API nodes and two workers on one PostgreSQL store and one NATS
JetStream stream (``journeyline.scale``). A worker is killed with SIGKILL while the events
come; the other takes its partitions, JetStream gives back what the dead one had not
acknowledged, and in the end every acknowledged event is applied exactly once, with the same
sessions as one process applying the same events."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

import pg
from builders import answered
from conftest import bearer, free_port, make_client, wait_healthy
from jetstream import nats_reachable
from journeyline.clock import system_clock
from journeyline.engine.unit import Engine
from journeyline.ingest import genesys_detail
from journeyline.ingest.genesys_detail import Accepted
from journeyline.model.effects import Cursor, SessionStarted
from journeyline.scale.stream import StreamIntake, connect, ensure_stream
from journeyline.store import Store, open_store

CALLS = 40


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg.fresh_url() as url:
        yield url


@pytest.fixture
def nats_url() -> str:
    return nats_reachable()


def test_an_unreachable_nats_fails_the_test_saying_how_to_start_it() -> None:
    with pytest.raises(pytest.fail.Exception, match="scripts/services"):
        nats_reachable(f"nats://127.0.0.1:{free_port()}")


def _start(
    url: str, nats: str, stream: str, role: str, port: int | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", url, "--role", role]
    command += ["--nats", nats, "--nats-stream", stream, "--log-level", "warning"]
    if port is not None:
        command += ["--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _sessions(store: Store) -> list[tuple[str, object, object]]:
    """What the events made, independent of when they were applied: each call's session and
    its journey events."""
    snapshot = store.snapshot()
    return sorted(
        [(s.conversation_id, s.phase, s.ended_ms) for s in snapshot.conversations]
        + [(e.session_id, e.event_name, e.created_ms) for e in snapshot.conversation_events],
        key=repr,
    )


def test_a_worker_killed_mid_load_loses_nothing_and_applies_nothing_twice(
    pg_url: str, nats_url: str, tmp_path: Path
) -> None:
    stream = f"test{os.getpid()}x{random.randrange(10**6)}"
    credentials = make_client(pg_url, "ingest")
    events = [e for n in range(CALLS) for e in answered(f"scale-{n:02}").wire]
    acknowledged: list[str] = []
    lock = threading.Lock()
    with ExitStack() as stack:
        ports = [free_port(), free_port()]
        nodes = [_start(pg_url, nats_url, stream, "api", port) for port in ports]
        workers = [_start(pg_url, nats_url, stream, "worker") for _ in range(2)]
        for process in nodes + workers:
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, node in zip(bases, nodes, strict=True):
            wait_healthy(base, node)
        with httpx.Client(base_url=bases[0]) as http:
            headers = bearer(http, credentials)
            assert http.get("/ready").json()["checks"]["nats"] == "ok"

        def send(part: int) -> None:
            with httpx.Client(base_url=bases[part], headers=headers, timeout=30) as http:
                for start in range(part * 5, len(events), 10):  # batches of five, both nodes
                    answer = http.post(
                        "/api/v2/journey/conversationevents", json=events[start : start + 5]
                    )
                    assert answer.status_code == 202, answer.text
                    with lock:
                        acknowledged.extend(e["id"] for e in answer.json()["entities"])
                    time.sleep(0.01)

        senders = [threading.Thread(target=send, args=(part,)) for part in (0, 1)]
        for sender in senders:
            sender.start()
        while len(acknowledged) < len(events) // 3:
            time.sleep(0.01)
        os.kill(workers[0].pid, signal.SIGKILL)  # in the middle of the load
        for sender in senders:
            sender.join(timeout=60)
        assert len(acknowledged) == len(events)

        store = open_store(pg_url)
        stack.callback(store.close)
        deadline = time.monotonic() + 60  # the killed worker's unacknowledged: after ack_wait
        while store.log_count() < len(events) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # anything applied twice would show by now
        logged = [record.key for record in store.iter_all_log() if record.kind != "clock.tick"]
        assert sorted(logged) == sorted(set(acknowledged))  # all of them, each once
        started = Counter(
            e.effect.session_id
            for e in store.effects_after(Cursor(), limit=100_000)
            if isinstance(e.effect, SessionStarted)
        )
        assert set(started.values()) == {1}  # announced once, whatever was delivered twice
        assert len(started) == CALLS

        alone = open_store(f"sqlite:///{tmp_path / 'alone.db'}")
        stack.callback(alone.close)
        parsed = genesys_detail.parse_many(events)
        Engine(alone, system_clock).apply([p for p in parsed if isinstance(p, Accepted)])
        assert _sessions(store) == _sessions(alone)


def test_an_event_logged_long_ago_is_a_duplicate_and_not_published_again(pg_url: str) -> None:
    """JetStream forgets a message id after its duplicate window (two minutes); the log does
    not. An event the log holds, sent again later, is answered as a duplicate and never reaches
    the stream a second time."""
    stream = f"test{os.getpid()}d{random.randrange(10**6)}"
    events = [
        p for p in genesys_detail.parse_many(answered("dup-0").wire) if isinstance(p, Accepted)
    ]
    store = open_store(pg_url)
    try:
        Engine(store, system_clock).apply(events[:2])  # applied long ago, through any route

        async def resend() -> tuple[list[str], int]:
            nc = await connect(nats_reachable())
            try:
                js = nc.jetstream()
                await ensure_stream(js, stream)
                intake = StreamIntake(js, stream, store, system_clock)
                statuses: list[str] = [a.status for a in await intake.submit(events)]
                held = (await js.stream_info(stream)).state.messages
                await js.delete_stream(stream)
                return statuses, held
            finally:
                await nc.close()

        statuses, held = asyncio.run(resend())
    finally:
        store.close()
    assert statuses == ["duplicate", "duplicate"] + ["accepted"] * (len(events) - 2)
    assert held == len(events) - 2  # only the new ones were published
