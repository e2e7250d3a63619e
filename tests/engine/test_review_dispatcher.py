"""Review: reproductions for the post-commit Dispatcher (real SQLite, no mocks)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from builders import T0, Conversation
from conftest import FakeClock
from journeyline.engine.effects import Dispatcher
from journeyline.engine.unit import Engine
from journeyline.ingest.genesys_detail import parse_item
from journeyline.model.effects import Cursor, Envelope
from journeyline.store import open_store


def _call(cid: str) -> list:
    c = Conversation(cid).customer_start(0).flow(0, 10).acd_start(10, "q-sales")
    return [parse_item(w) for w in c.wire]


def test_drain_returns_before_a_slow_subscriber_was_offered_the_effects(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    store = open_store(url)
    engine = Engine(store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(url), retry_seconds=0.05)
    got: list[Envelope] = []

    def slow(envelopes: Sequence[Envelope]) -> None:
        time.sleep(0.3)
        got.extend(envelopes)

    dispatcher.subscribe("slow", slow)
    try:
        dispatcher.publish(engine.apply(_call("c1")).effects)
        time.sleep(0.05)  # the thread has taken the pending list and is inside slow()
        assert dispatcher.drain(timeout=5.0)
        assert got, "drain() said drained, but the subscriber has not been given anything yet"
    finally:
        dispatcher.close()
        store.close()


def test_a_second_writer_s_effects_are_skipped_by_a_live_subscriber(tmp_path: Path) -> None:
    """`journeyline import` beside a server: its effects are stored but never published to the
    server's dispatcher; the next live effect in that partition moves the cursor past them."""
    url = f"sqlite:///{tmp_path / 'two.db'}"
    server_store, import_store = open_store(url), open_store(url)
    server = Engine(server_store, FakeClock(T0 + 60_000))
    importer = Engine(import_store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(url), retry_seconds=0.05)
    got: list[Envelope] = []
    dispatcher.subscribe("feed", lambda es: got.extend(es), Cursor())  # from the beginning
    try:
        dispatcher.publish(server.apply(_call("conv-a")).effects)
        assert dispatcher.drain()
        # the importer writes another call (same conversation: same partition), unpublished
        later = Conversation("conv-a").acd_end(40, "q-sales", "ANSWERED").user_start(40, "u-ann")
        importer.apply([parse_item(w) for w in later.wire])
        end = Conversation("conv-a").user_end(90, "u-ann").customer_end(90, "PEER")
        dispatcher.publish(server.apply([parse_item(w) for w in end.wire]).effects)
        assert dispatcher.drain()
        time.sleep(0.2)
        stored = server_store.effects_after(Cursor(), limit=1000)
        assert [e.position for e in got] == [e.position for e in stored]
    finally:
        dispatcher.close()
        server_store.close()
        import_store.close()


def test_a_subscriber_that_always_fails_is_retried_at_the_publish_rate(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    store = open_store(url)
    engine = Engine(store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(url), retry_seconds=1.0)
    calls = 0

    def broken(envelopes: Sequence[Envelope]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("down")

    healthy_lag: list[float] = []
    sent: dict[int, float] = {}

    def healthy(envelopes: Sequence[Envelope]) -> None:
        for e in envelopes:
            if e.unit in sent:
                healthy_lag.append(time.monotonic() - sent.pop(e.unit))

    dispatcher.subscribe("healthy", healthy)
    dispatcher.subscribe("broken", broken)
    caplog.set_level(logging.ERROR, "journeyline.effects")
    try:
        start = time.monotonic()
        for n in range(40):  # 40 commits over ~2 s
            out = engine.apply(_call(f"c{n}"))
            sent[out.effects[0].unit] = time.monotonic()
            dispatcher.publish(out.effects)
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        tracebacks = sum(1 for r in caplog.records if r.exc_info)
        print(f"\nbroken called {calls}x, {tracebacks} tracebacks in {elapsed:.1f}s "
              f"(retry_seconds=1.0); healthy max lag {max(healthy_lag, default=0):.2f}s")
        assert calls <= elapsed / 1.0 + 2, "retry_seconds does not space the retries"
    finally:
        dispatcher.close()
        store.close()
