"""Time is an input: deadlines come due, a tick changes cards, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import T0, Conversation, web_event
from conftest import FakeClock
from journeyline.engine.unit import Engine, rebuild
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.ingest.genesys_detail import Accepted, parse_item
from journeyline.model.contact import Deployment
from journeyline.model.effects import Envelope, SessionChanged
from journeyline.store import open_store
from journeyline.store.base import Store

GRACE_MS = 600_000
SHOP = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"


def _agent_ended() -> list[Accepted]:
    call = (
        Conversation("conv-acw")
        .customer_start(0)
        .flow(0, 10)
        .acd_start(10, "q-sales")
        .acd_end(40, "q-sales", "ANSWERED")
        .user_start(40, "u-ann", "q-sales")
        .user_end(200, "u-ann")
        .customer_end(200, "PEER")
    )
    return [parse_item(w) for w in call.wire]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'time.db'}"


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = open_store(url)
    yield opened
    opened.close()


def _time_changes(effects: list[Envelope]) -> list[SessionChanged]:
    return [
        e.effect
        for e in effects
        if isinstance(e.effect, SessionChanged) and e.effect.reason == "time"
    ]


def test_after_call_work_turns_gray_when_the_grace_ends(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)  # 100 s after the agent hung up
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(_agent_ended())
    due = T0 + 200_000 + GRACE_MS
    assert engine.next_deadline() == due
    clock.now_ms = due - 1
    assert engine.tick().effects == []  # not yet
    clock.now_ms = due
    [changed] = _time_changes(engine.tick().effects)
    assert (changed.before.color, changed.before.status) == ("blue", "After-call work")
    assert (changed.after.color, changed.after.status) == ("gray", "Ended by agent")
    assert engine.next_deadline() is None
    assert engine.tick().effects == []  # a deadline fires once


def test_a_wrapup_before_the_grace_ends_cancels_the_deadline(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(_agent_ended())
    wrapup = Conversation("conv-acw").acw(230, "u-ann", "w-sale")
    engine.apply([parse_item(w) for w in wrapup.wire])
    assert engine.next_deadline() is None


def test_deadlines_survive_a_restart(url: str) -> None:
    clock = FakeClock(T0 + 300_000)
    first = open_store(url)
    Engine(first, clock, acw_grace_ms=GRACE_MS).apply(_agent_ended())
    first.close()
    second = open_store(url)
    clock.now_ms = T0 + 200_000 + GRACE_MS + 5_000
    engine = Engine(second, clock, acw_grace_ms=GRACE_MS)
    [changed] = _time_changes(engine.tick().effects)
    assert changed.after.status == "Ended by agent"
    second.close()


def test_a_web_session_goes_idle_after_twenty_minutes(store: Store) -> None:
    clock = FakeClock(T0 + 60_000)
    engine = Engine(store, clock)
    ctx = web.Context(SHOP, T0 + 60_000, None, None, GeoLookup(None))
    engine.apply([web.parse_web(web_event(COOKIE, 0), ctx)])
    clock.now_ms = T0 + 20 * 60_000
    [changed] = _time_changes(engine.tick().effects)
    assert (changed.before.color, changed.after.color) == ("blue", "gray")
    assert changed.after.status == "Ended"


def test_a_rebuild_replays_ticks_to_the_same_projections(store: Store) -> None:
    clock = FakeClock(T0 + 300_000)
    engine = Engine(store, clock, acw_grace_ms=GRACE_MS)
    engine.apply(_agent_ended())
    clock.now_ms = T0 + 200_000 + GRACE_MS
    engine.tick()
    live = store.snapshot()
    assert rebuild(store, clock) == len(_agent_ended()) + 1  # the tick is in the log
    assert store.snapshot() == live
    assert store.next_deadline() is None
