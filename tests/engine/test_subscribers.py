"""Post-commit subscribers behind the real writer and store: in order, resumable, harmless."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest

from builders import T0, Conversation, agent_ended
from conftest import FakeClock
from journeyline.core.conversation import session_id_for
from journeyline.engine.effects import Dispatcher, UnitView
from journeyline.engine.unit import Engine
from journeyline.engine.writer import Writer
from journeyline.ingest.genesys_detail import Accepted, parse_item
from journeyline.model.effects import Cursor, Effect, Envelope, SessionChanged
from journeyline.model.errors import StoreError
from journeyline.store import open_store
from journeyline.store.base import Store


class Recorder:
    """A subscriber that records what it is given, and can be told to fail some calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.received: list[Envelope] = []
        self.fail_times = fail_times
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, envelopes: Sequence[Envelope]) -> None:
        with self.lock:
            self.calls += 1
            if self.fail_times:
                self.fail_times -= 1
                raise RuntimeError("the subscriber is down")
            self.received.extend(envelopes)


def _calls(n: int) -> list[list[Accepted]]:
    return [
        [
            parse_item(w)
            for w in Conversation(f"conv-{i}")
            .customer_start(0)
            .flow(0, 10)
            .acd_start(10, "q-sales")
            .wire
        ]
        for i in range(n)
    ]


@pytest.fixture
def rig(store_url: str) -> Iterator[tuple[Writer, Dispatcher, Store, FakeClock]]:
    store = open_store(store_url)
    clock = FakeClock(T0 + 60_000)
    dispatcher = Dispatcher(lambda: open_store(store_url), retry_seconds=0.05)
    writer = Writer(Engine(store, clock), dispatcher=dispatcher, tick_check_seconds=0.05)
    yield writer, dispatcher, store, clock
    writer.close()
    dispatcher.close()
    store.close()


def _submit(writer: Writer, batch: list[Accepted]) -> list[str]:
    return [a.status for a in asyncio.run(writer.submit(batch))]


def test_a_subscriber_sees_every_committed_effect_in_order(
    rig: tuple[Writer, Dispatcher, Store, FakeClock],
) -> None:
    writer, dispatcher, store, _ = rig
    recorder = Recorder()
    dispatcher.subscribe("recorder", recorder)
    for batch in _calls(5):
        assert set(_submit(writer, batch)) == {"accepted"}
    assert dispatcher.drain()
    assert recorder.received == store.effects_after(Cursor(), limit=1000)
    assert dispatcher.cursor_of("recorder") != Cursor()


def test_a_failing_subscriber_unacknowledges_nothing_and_catches_up(
    rig: tuple[Writer, Dispatcher, Store, FakeClock],
) -> None:
    writer, dispatcher, store, _ = rig
    recorder = Recorder(fail_times=3)
    dispatcher.subscribe("flaky", recorder)
    for batch in _calls(4):
        assert set(_submit(writer, batch)) == {"accepted"}  # acknowledged while it fails
    assert dispatcher.drain()
    stored = store.effects_after(Cursor(), limit=1000)
    assert recorder.calls > 3
    assert recorder.received == stored  # every effect once, in order, after the failures
    assert store.log_count() == sum(len(b) for b in _calls(4))


def test_a_subscriber_resumes_from_its_cursor(
    rig: tuple[Writer, Dispatcher, Store, FakeClock],
) -> None:
    writer, dispatcher, store, _ = rig
    batches = _calls(4)
    for batch in batches[:2]:
        _submit(writer, batch)
    seen = store.effects_after(Cursor(), limit=1000)
    cursor = Cursor()
    for envelope in seen[:3]:
        cursor = cursor.after(envelope)
    recorder = Recorder()
    dispatcher.subscribe("resumed", recorder, cursor)
    for batch in batches[2:]:
        _submit(writer, batch)
    assert dispatcher.drain()
    assert recorder.received == store.effects_after(cursor, limit=1000)


def test_the_writer_runs_a_deadline_when_it_comes_due(
    rig: tuple[Writer, Dispatcher, Store, FakeClock],
) -> None:
    writer, dispatcher, _, clock = rig
    recorder = Recorder()
    dispatcher.subscribe("recorder", recorder)
    _submit(writer, agent_ended(at=50))
    clock.now_ms = T0 + 50_000 + 600_000  # the grace has ended: no request needed
    writer.wake()
    for _ in range(100):
        assert dispatcher.drain()
        changes = [
            e.effect
            for e in recorder.received
            if isinstance(e.effect, SessionChanged) and e.effect.reason == "time"
        ]
        if changes:
            break
        threading.Event().wait(0.05)
    [changed] = changes
    assert changed.after.status == "Ended by agent"


def test_old_effects_are_pruned_and_a_late_subscriber_is_told(store_url: str) -> None:
    store = open_store(store_url)
    clock = FakeClock(T0 + 60_000)
    writer = Writer(Engine(store, clock), effect_retention_ms=60_000, prune_every_seconds=0.0)
    try:
        for batch in _calls(2):
            _submit(writer, batch)
        assert store.effects_after(Cursor(), limit=1000)
        clock.advance(120)  # everything is now older than the retention
        writer.wake()
        for _ in range(100):
            if not store.effects_after(Cursor(), limit=1000):
                break
            threading.Event().wait(0.05)
        assert store.effects_after(Cursor(), limit=1000) == []
        answered = Conversation("conv-0").acd_end(40, "q-sales", "ANSWERED").user_start(40, "u-ann")
        _submit(writer, [parse_item(w) for w in answered.wire])  # positions go on where they were
        [first, *_] = store.effects_after(Cursor(), limit=1000)
        assert first.position > 1
    finally:
        writer.close()
        store.close()
    from journeyline.engine.effects import _gaps

    assert _gaps(Cursor(), [first]) == [first.partition]
    assert _gaps(Cursor().after(replace(first, position=first.position - 1)), [first]) == []


@pytest.mark.parametrize("store_failed", [False, True], ids=["a fault", "the store failing"])
def test_a_request_whose_unit_fails_fails_alone_in_its_group_commit(
    store_url: str, store_failed: bool
) -> None:
    """Three requests wait while the writer is busy, so one unit of work takes them all; one
    of them makes the engine fail (here, an in-transaction subscriber that refuses its call).
    Only that request gets the error: the other two are applied, and acknowledged (they failed
    with it before). The store itself failing (a StoreError: locked, full, gone) fails them all
    at once: applied one by one, each would only meet it again."""
    store = open_store(store_url)
    calls = _calls(3)
    refused = session_id_for("conv-1")
    units: list[int] = []

    def refuse(unit: UnitView) -> list[tuple[int, Effect]]:
        units.append(unit.unit)
        if any(getattr(effect, "session_id", None) == refused for _, effect in unit.effects):
            raise StoreError("the disk is full") if store_failed else RuntimeError("refused")
        return []

    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(refuse)
    writer = Writer(engine, tick_check_seconds=0.05)
    busy, release = threading.Event(), threading.Event()

    def hold(_: Store) -> None:
        busy.set()
        release.wait(10)

    holder = threading.Thread(target=writer.run, args=(hold,))
    holder.start()
    try:
        assert busy.wait(10)

        async def three() -> list[list[str] | BaseException]:
            tasks = [asyncio.ensure_future(writer.submit(batch)) for batch in calls]
            await asyncio.sleep(0.05)  # all three queued behind the busy writer
            release.set()
            answers = await asyncio.gather(*tasks, return_exceptions=True)
            return [a if isinstance(a, BaseException) else [r.status for r in a] for a in answers]

        first, second, third = asyncio.run(three())
        stored = {s.conversation_id for s in store.snapshot().conversations}
        if store_failed:
            assert all(isinstance(a, StoreError) for a in (first, second, third))
            assert (stored, len(units)) == (set(), 1)  # one unit of work, tried once
        else:
            assert first == ["accepted"] * len(calls[0])
            assert isinstance(second, RuntimeError)
            assert third == ["accepted"] * len(calls[2])
            assert stored == {"conv-0", "conv-2"}
            assert len(units) == 4  # the group's unit, then each request's alone
    finally:
        release.set()
        holder.join()
        writer.close()
        store.close()
