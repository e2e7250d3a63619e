"""What a hostile review found in effects, subscribers, time and replay — each now a promise.

Real SQLite files, the real engine and dispatcher; a full disk is SQLite's own ``max_page_count``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from contextlib import closing

import pytest

from builders import (
    COOKIE,
    T0,
    Conversation,
    accepted,
    agent_ended,
    effects_of,
    web_event,
    web_inputs,
)
from conftest import FakeClock
from journeyline.engine.effects import Dispatcher, UnitView
from journeyline.engine.inputs import CommandInput, Input, Outcome
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest.genesys_detail import Accepted
from journeyline.model.commands import ContactFields, CreateContact
from journeyline.model.effects import (
    ContactDeleted,
    Cursor,
    Effect,
    Envelope,
    JourneyEventAdded,
    SessionChanged,
    SessionRemoved,
    SessionStarted,
)
from journeyline.model.errors import InvalidInput, StoreError
from journeyline.store import open_store
from journeyline.store.base import Store
from journeyline.store.sqlite import SqliteStore, path_of

MIN = 60_000


def _call(conversation_id: str) -> list[Accepted]:
    return accepted(Conversation(conversation_id).customer_start(0).flow(0, 10).acd_start(10, "q"))


def _stored_effects(store_url: str) -> int:
    with closing(sqlite3.connect(path_of(store_url))) as raw:
        return int(raw.execute("SELECT count(*) FROM effect_log").fetchone()[0])


# -- the engine ------------------------------------------------------------------------------


def test_a_full_disk_inside_a_command_fails_the_whole_batch(sqlite_url: str) -> None:
    store_url, store = sqlite_url, open_store(sqlite_url)  # SQLite's own way to fill a disk
    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.apply(_call("c0"))
    log_before, effects_before = store.log_count(), _stored_effects(store_url)
    with closing(sqlite3.connect(path_of(store_url))) as raw:
        (pages,) = raw.execute("PRAGMA page_count").fetchone()
    assert isinstance(store, SqliteStore)
    store._sqlite.execute(f"PRAGMA max_page_count = {pages + 3}")  # SQLITE_FULL: a full disk
    create = CreateContact(
        actor="agent-1", at_ms=T0, id="k1", fields=ContactFields(first_name="x" * 20_000)
    )
    batch: list[Input] = [*_call("c1"), CommandInput("cmd-1", create), *_call("c2")]
    with pytest.raises(StoreError):  # every request of the batch is answered with an error ...
        engine.apply(batch)
    store._sqlite.execute("PRAGMA max_page_count = 1073741823")
    # ... so nothing of it is stored: not the events before the command, nor those after it
    assert (store.log_count(), _stored_effects(store_url)) == (log_before, effects_before)
    store.close()


def test_apply_forgets_what_a_rolled_back_batch_left_in_memory(store: Store) -> None:
    refuse = [False]

    def sometimes(unit: UnitView) -> list[tuple[int, Effect]]:
        if refuse[0]:
            raise InvalidInput("no")
        return []

    engine = Engine(store, FakeClock(T0 + 300_000))
    engine.in_transaction.append(sometimes)
    refuse[0] = True
    with pytest.raises(InvalidInput):
        engine.apply(_call("c1"))
    refuse[0] = False  # no engine.forget() by the caller: the engine does it itself
    later = Conversation("c1").acd_end(40, "q", "ANSWERED").user_start(40, "u-ann", "q")
    out = engine.apply(accepted(later))
    assert effects_of(out.effects, SessionStarted)  # the rolled-back start was never stored
    live = store.snapshot()
    rebuild(store, FakeClock(T0 + 300_000))
    assert store.snapshot() == live


def test_a_subscriber_naming_a_partition_that_does_not_exist_fails_the_unit(
    store: Store,
) -> None:
    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(lambda unit: [(16, ContactDeleted("x"))])
    with pytest.raises(ValueError, match="partition 16"):
        engine.apply(_call("c1"))
    assert store.log_count() == 0


# -- replay ----------------------------------------------------------------------------------


def test_a_rebuild_long_after_keeps_the_deadlines_that_were_pending(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    Engine(store, clock).apply(agent_ended())
    due = T0 + 200_000 + 600_000
    assert store.next_deadline() == due
    live = store.snapshot()
    clock.now_ms = T0 + 3_600_000  # the server was down; the operator rebuilds an hour later
    rebuild(store, clock)
    assert store.next_deadline() == due  # replayed at the time it was applied
    assert store.snapshot() == live


def test_a_rebuild_uses_the_configured_after_call_work_grace(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    Engine(store, clock, acw_grace_ms=30 * MIN).apply(agent_ended())
    live = store.next_deadline()
    assert live == T0 + 200_000 + 30 * MIN
    rebuild(store, clock, acw_grace_ms=30 * MIN)
    assert store.next_deadline() == live


# -- web sessions ----------------------------------------------------------------------------


def test_a_late_earlier_web_event_announces_the_events_it_moves(store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 3_600_000))
    engine.apply(
        web_inputs(web_event(COOKIE, 600), web_event(COOKIE, 660, url="https://shop.example.com/b"))
    )
    late = engine.apply(web_inputs(web_event(COOKIE, 0, url="https://shop.example.com/first")))
    [removed] = effects_of(late.effects, SessionRemoved)
    [started] = effects_of(late.effects, SessionStarted)
    assert isinstance(removed, SessionRemoved)
    assert isinstance(started, SessionStarted)
    added = [
        e for e in effects_of(late.effects, JourneyEventAdded) if isinstance(e, JourneyEventAdded)
    ]
    assert [e.session_id for e in added] == [started.session_id] * 3
    assert [e.moved_from for e in added] == [None, removed.session_id, removed.session_id]


def test_no_session_changed_for_an_unchanged_sibling_after_a_cache_miss(store_url: str) -> None:
    clock = FakeClock(T0 + 3_600_000)
    first = open_store(store_url)
    # two sessions in one 30-minute cluster: at 0 s and 25 min (more than the 20 min timeout)
    Engine(first, clock).apply(web_inputs(web_event(COOKIE, 0), web_event(COOKIE, 25 * 60)))
    first.close()
    second = open_store(store_url)  # a restart empties the cache
    try:
        out = Engine(second, clock).apply(
            web_inputs(web_event(COOKIE, 26 * 60, url="https://shop.example.com/c"))
        )
        changes = [
            c for c in effects_of(out.effects, SessionChanged) if isinstance(c, SessionChanged)
        ]
        assert len(changes) == 1  # only the session the event joined
        assert changes[0].before != changes[0].after
    finally:
        second.close()


# -- time ------------------------------------------------------------------------------------


def test_a_batch_after_a_due_deadline_runs_the_deadline_first(store: Store) -> None:
    """Subscribers are told about the grace ending before the batch's own change, so every
    change's card before is the card they were last given."""
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock)
    first = engine.apply(agent_ended())
    [start] = [
        e for e in effects_of(first.effects, SessionStarted) if isinstance(e, SessionStarted)
    ]
    assert start.card.status == "After-call work"
    clock.now_ms = T0 + 805_000  # the grace ended at 800 s; the writer's tick has not run
    late = Conversation("conv-acw").acw(230, "u-ann", "w-sale")
    out = engine.apply(accepted(late))
    assert [r.status for r in out.results] == ["accepted"]  # one result per input, as ever
    changes = effects_of(out.effects, SessionChanged)
    assert [(c.reason, c.before.status, c.after.status) for c in changes] == [
        ("time", "After-call work", "Ended by agent"),
        ("event", "Ended by agent", "w-sale"),
    ]


def test_many_deadlines_due_at_once_are_one_tick(store: Store) -> None:
    clock = FakeClock(T0 + 3_600_000)
    engine = Engine(store, clock)
    visitors = 500
    cookies = [f"{i:08d}-9a9e-4f0c-8d1d-6c2a8f7b9e10" for i in range(visitors)]
    engine.apply(web_inputs(*(web_event(cookie, 3500) for cookie in cookies)))
    clock.now_ms += 21 * MIN
    out = engine.tick()
    assert len(effects_of(out.effects, SessionChanged)) == visitors
    assert store.next_deadline() is None


# -- the dispatcher --------------------------------------------------------------------------


def test_drain_waits_for_a_slow_subscriber(store_url: str, store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(store_url), retry_seconds=0.05)
    got: list[Envelope] = []

    def slow(envelopes: Sequence[Envelope]) -> None:
        time.sleep(0.3)
        got.extend(envelopes)

    dispatcher.subscribe("slow", slow)
    try:
        dispatcher.publish(engine.apply(_call("c1")).effects)
        time.sleep(0.05)  # the thread has taken the effects and is inside slow()
        assert dispatcher.drain(timeout=5.0)
        assert got == store.effects_after(Cursor(), limit=100)
    finally:
        dispatcher.close()


def test_a_live_subscriber_gets_another_writers_effects_too(store_url: str) -> None:
    """``journeyline import`` beside a server: its effects are stored but not published to the
    server's dispatcher; the subscriber notices the gap and reads them from the effect log."""
    server_store, import_store = open_store(store_url), open_store(store_url)
    server = Engine(server_store, FakeClock(T0 + 60_000))
    importer = Engine(import_store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(store_url), retry_seconds=0.05)
    got: list[Envelope] = []
    dispatcher.subscribe("feed", got.extend, Cursor())  # from the beginning
    try:
        dispatcher.publish(server.apply(_call("conv-a")).effects)
        assert dispatcher.drain()
        later = Conversation("conv-a").acd_end(40, "q", "ANSWERED").user_start(40, "u-ann")
        importer.apply(accepted(later))  # same conversation, same partition: unpublished here
        end = Conversation("conv-a").user_end(90, "u-ann").customer_end(90, "PEER")
        dispatcher.publish(server.apply(accepted(end)).effects)
        assert dispatcher.drain()
        assert got == server_store.effects_after(Cursor(), limit=1000)
    finally:
        dispatcher.close()
        server_store.close()
        import_store.close()


def test_a_subscriber_that_keeps_failing_backs_off_and_logs_once(
    store_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(store, FakeClock(T0 + 60_000))
    dispatcher = Dispatcher(lambda: open_store(store_url), retry_seconds=0.2)
    calls = 0
    healthy: list[Envelope] = []

    def broken(envelopes: Sequence[Envelope]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("down")

    dispatcher.subscribe("healthy", healthy.extend)
    dispatcher.subscribe("broken", broken)
    caplog.set_level(logging.ERROR, "journeyline.effects")
    try:
        for n in range(30):  # 30 commits over ~1.5 s
            dispatcher.publish(engine.apply(_call(f"c{n}")).effects)
            time.sleep(0.05)
        # retries at 0.2, 0.4, 0.8 s ... after the first failure: a handful, not one a commit
        assert 1 <= calls <= 6
        assert sum(1 for r in caplog.records if r.exc_info) == 1  # once per outage
        for _ in range(100):  # the healthy one is not held up
            if len(healthy) == len(store.effects_after(Cursor(), limit=10_000)):
                break
            threading.Event().wait(0.05)
        assert healthy == store.effects_after(Cursor(), limit=10_000)
    finally:
        dispatcher.close()


def test_an_empty_batch_is_nothing_even_with_a_deadline_due(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock)
    engine.apply(agent_ended())
    clock.now_ms = T0 + 900_000
    assert engine.apply([]) == Outcome([], [])
    assert store.next_deadline() is not None  # left for the tick
