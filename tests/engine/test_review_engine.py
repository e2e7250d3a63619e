"""Review: reproductions for effects, time and replay in the engine (real SQLite files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import T0, Conversation, web_event
from conftest import FakeClock
from journeyline.engine.unit import Engine, rebuild
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.ingest.genesys_detail import parse_item
from journeyline.model.contact import Deployment
from journeyline.model.effects import (
    Envelope,
    JourneyEventAdded,
    SessionChanged,
    SessionRemoved,
    SessionStarted,
)
from journeyline.store import open_store
from journeyline.store.base import Store

SHOP = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
MIN = 60_000


def _web(*events: dict[str, object]) -> list[web.AcceptedWeb]:
    ctx = web.Context(SHOP, T0 + 3_600_000, None, None, GeoLookup(None))
    return [web.parse_web(e, ctx) for e in events]


def _agent_ended(cid: str = "conv-acw") -> list:
    call = (
        Conversation(cid).customer_start(0).flow(0, 10).acd_start(10, "q-sales")
        .acd_end(40, "q-sales", "ANSWERED").user_start(40, "u-ann", "q-sales")
        .user_end(200, "u-ann").customer_end(200, "PEER")
    )
    return [parse_item(w) for w in call.wire]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'r.db'}"


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = open_store(url)
    yield opened
    opened.close()


def _names(envelopes: list[Envelope]) -> list[str]:
    return [e.name for e in envelopes]


# -- replay ----------------------------------------------------------------------------------


def test_a_rebuild_later_than_the_live_run_loses_a_pending_deadline(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    Engine(store, clock).apply(_agent_ended())  # deadline at T0 + 200 s + 10 min
    live = store.snapshot()
    assert store.next_deadline() == T0 + 200_000 + 600_000
    clock.now_ms = T0 + 3_600_000  # the server was down; the operator rebuilds an hour later
    rebuild(store, clock)
    assert store.next_deadline() == T0 + 200_000 + 600_000, "the ACW deadline is gone"
    assert store.snapshot() == live


def test_a_rebuild_ignores_the_configured_after_call_work_grace(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    Engine(store, clock, acw_grace_ms=30 * MIN).apply(_agent_ended())  # JOURNEYLINE_ACW_GRACE
    live = store.next_deadline()
    rebuild(store, clock)  # what `journeyline rebuild` calls: no acw_grace_ms parameter
    assert store.next_deadline() == live


def test_a_rebuild_does_not_run_in_transaction_subscribers(store: Store) -> None:
    """docs/architecture.md: 'During rebuild they run too'. rebuild() makes its own Engine
    with no subscribers, and replay() never calls them; its effects pile up in memory."""
    import journeyline.engine.unit as unit

    seen: list[str] = []
    engine = Engine(store, FakeClock(T0 + 300_000))
    engine.in_transaction.append(lambda view: seen.extend(e.name for _, e in view.effects) or [])
    engine.apply(_agent_ended())
    live_calls = len(seen)
    seen.clear()
    replayer = Engine(store, FakeClock(T0 + 300_000))
    replayer.in_transaction.append(lambda view: seen.extend(e.name for _, e in view.effects) or [])
    with store.transaction():
        store.clear_projections()
        replayer.replay([(k, kind, body) for _, k, kind, body in store.iter_all_log()])
    print(f"\nlive: {live_calls} effects seen by the subscriber; replay: {len(seen)};"
          f" effects left in replayer.effects: {len(replayer.effects.items)}")
    assert seen, "in-transaction subscribers are not run by replay"
    assert unit  # noqa


# -- web sessions ----------------------------------------------------------------------------


def test_a_late_earlier_web_event_rekeys_a_session_and_its_events_are_not_re_added(
    store: Store,
) -> None:
    engine = Engine(store, FakeClock(T0 + 3_600_000))
    engine.apply(_web(web_event(COOKIE, 600), web_event(COOKIE, 660, url="https://shop.example.com/b")))
    late = engine.apply(_web(web_event(COOKIE, 0, url="https://shop.example.com/first")))
    names = _names(late.effects)
    print("\nlate earlier event:", names)
    removed = [e.effect for e in late.effects if isinstance(e.effect, SessionRemoved)]
    started = [e.effect for e in late.effects if isinstance(e.effect, SessionStarted)]
    added = [e.effect for e in late.effects if isinstance(e.effect, JourneyEventAdded)]
    assert removed and started
    # the two events of the removed session now belong to the started one, yet only the late
    # event is announced: a subscriber that keeps a journey per session loses two events
    assert len(added) == 3, f"only {len(added)} journey.event.added for the new session"


def test_no_session_changed_for_an_unchanged_sibling_after_a_cache_miss(url: str) -> None:
    clock = FakeClock(T0 + 3_600_000)
    first = open_store(url)
    # two sessions in one 30-minute cluster: 0 s and 25 min (gap > 20 min session timeout)
    Engine(first, clock).apply(_web(web_event(COOKIE, 0), web_event(COOKIE, 25 * 60)))
    first.close()
    second = open_store(url)  # a restart (or any command: it empties the cache)
    try:
        out = Engine(second, clock).apply(
            _web(web_event(COOKIE, 26 * 60, url="https://shop.example.com/c"))
        )
        changes = [e.effect for e in out.effects if isinstance(e.effect, SessionChanged)]
        print("\nafter restart:", [(c.session_id[:8], c.before == c.after) for c in changes])
        assert all(c.before != c.after for c in changes), "session.changed with before == after"
    finally:
        second.close()


# -- time ------------------------------------------------------------------------------------


def test_many_deadlines_due_at_once(store: Store) -> None:
    import time as _t

    clock = FakeClock(T0 + 3_600_000)
    engine = Engine(store, clock)
    n = 3000
    batch = _web(*(web_event(f"{i:08d}-9a9e-4f0c-8d1d-6c2a8f7b9e10", 3500) for i in range(n)))
    engine.apply(batch)
    clock.now_ms += 21 * MIN
    start = _t.perf_counter()
    out = engine.tick()
    took = _t.perf_counter() - start
    print(f"\none tick: {len(out.effects)} effects for {n} deadlines in {took:.2f}s")
    assert len(out.effects) == n


def test_a_batch_after_a_due_deadline_but_before_its_tick_gives_a_before_never_announced(
    store: Store,
) -> None:
    """Cards 'before' are recomputed at the batch's time, not taken as last announced."""
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock)
    first = engine.apply(_agent_ended())  # announced: blue After-call work, due at 800 s
    announced = [e.effect for e in first.effects if isinstance(e.effect, SessionStarted)][0].card
    assert announced.status == "After-call work"
    clock.now_ms = T0 + 805_000  # the deadline passed; the tick has not run yet
    # a second agent leg ends a little later: the grace now ends at 810 s, also past
    late = Conversation("conv-acw").user_start(60, "u-bob", "q-sales", leg="agent2").user_end(
        210, "u-bob", leg="agent2"
    )
    out = engine.apply([parse_item(w) for w in late.wire])
    out2 = engine.tick()
    stream = [e.effect for e in out.effects + out2.effects if isinstance(e.effect, SessionChanged)]
    print("\nchanges:", [(c.before.status, c.after.status, c.reason) for c in stream])
    assert stream[0].before == announced, "before is not the card subscribers were last given"
