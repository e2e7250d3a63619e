"""Time is an input: deadlines come due, a tick changes cards, on a real SQLite file."""

from __future__ import annotations

from builders import COOKIE, T0, Conversation, agent_ended, web_event, web_inputs
from conftest import FakeClock
from journeyline.core.identity import expiry_ms
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest.genesys_detail import parse_item
from journeyline.model.effects import Envelope, SessionChanged
from journeyline.store import open_store
from journeyline.store.base import Store

GRACE_MS = 600_000


def _time_changes(effects: list[Envelope]) -> list[SessionChanged]:
    return [
        e.effect
        for e in effects
        if isinstance(e.effect, SessionChanged) and e.effect.reason == "time"
    ]


def _callers_expiry(store: Store) -> int:
    """The deadline left once the session's are done: the caller's contact expiring."""
    [caller], _ = store.contacts_page(page_number=1, page_size=10)
    expires = expiry_ms(caller)
    assert expires is not None
    return expires + 1


def test_after_call_work_turns_gray_when_the_grace_ends(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)  # 100 s after the agent hung up
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(agent_ended())
    due = T0 + 200_000 + GRACE_MS
    assert engine.next_deadline() == due
    clock.now_ms = due - 1
    assert engine.tick().effects == []  # not yet
    clock.now_ms = due
    [changed] = _time_changes(engine.tick().effects)
    assert (changed.before.color, changed.before.status) == ("blue", "After-call work")
    assert (changed.after.color, changed.after.status) == ("gray", "Ended by agent")
    assert store.next_deadline() is None  # no session's deadline is left
    assert engine.next_deadline() == _callers_expiry(store)
    assert engine.tick().effects == []  # a deadline fires once


def test_a_wrapup_before_the_grace_ends_cancels_the_deadline(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(agent_ended())
    wrapup = Conversation("conv-acw").acw(230, "u-ann", "w-sale")
    engine.apply([parse_item(w) for w in wrapup.wire])
    assert store.next_deadline() is None
    assert engine.next_deadline() == _callers_expiry(store)


def test_deadlines_survive_a_restart(store_url: str) -> None:
    clock = FakeClock(T0 + 300_000)
    first = open_store(store_url)
    Engine(first, clock, acw_grace_ms=GRACE_MS).apply(agent_ended())
    first.close()
    second = open_store(store_url)
    clock.now_ms = T0 + 200_000 + GRACE_MS + 5_000
    engine = Engine(second, clock, acw_grace_ms=GRACE_MS)
    [changed] = _time_changes(engine.tick().effects)
    assert changed.after.status == "Ended by agent"
    second.close()


def test_a_web_session_goes_idle_after_twenty_minutes(store: Store) -> None:
    clock = FakeClock(T0 + 60_000)
    engine = Engine(store, clock)
    engine.apply(web_inputs(web_event(COOKIE, 0), received_ms=T0 + 60_000))
    clock.now_ms = T0 + 20 * 60_000
    [changed] = _time_changes(engine.tick().effects)
    assert (changed.before.color, changed.after.color) == ("blue", "gray")
    assert changed.after.status == "Ended"


def test_a_rebuild_replays_ticks_to_the_same_projections(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(agent_ended())
    clock.now_ms = T0 + 200_000 + GRACE_MS
    engine.tick()
    live = store.snapshot()
    assert rebuild(store, clock) == len(agent_ended()) + 1  # the tick is in the log
    assert store.snapshot() == live
    assert store.next_deadline() is None
