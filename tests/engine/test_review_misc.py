"""Review: engine exception safety, subscriber-supplied partitions, a poisoned tick."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from builders import T0, Conversation
from conftest import FakeClock
from journeyline.engine.effects import Dispatcher, UnitView
from journeyline.engine.unit import Engine
from journeyline.errors import InvalidInput
from journeyline.ingest.genesys_detail import parse_item
from journeyline.model.effects import ContactDeleted, Cursor, Effect
from journeyline.store import open_store


def _wire(c: Conversation) -> list:
    return [parse_item(w) for w in c.wire]


def test_apply_is_not_safe_to_call_again_after_it_raised_without_forget(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    engine = Engine(store, FakeClock(T0 + 300_000))
    fail = [True]

    def sometimes(unit: UnitView) -> list[tuple[int, Effect]]:
        if fail[0]:
            fail[0] = False
            raise InvalidInput("no")
        return []

    fail[0] = False
    engine.in_transaction.append(sometimes)
    engine.apply(_wire(Conversation("c0").customer_start(0)))  # a good batch first
    fail[0] = True
    start = Conversation("c1").customer_start(0).flow(0, 10).acd_start(10, "q")
    with pytest.raises(InvalidInput):
        engine.apply(_wire(start))
    # no engine.forget(): e.g. a caller other than the writer catching and going on
    later = Conversation("c1").acd_end(40, "q", "ANSWERED").user_start(40, "u-ann", "q")
    out = engine.apply(_wire(later))
    print("\nafter a rolled-back batch:", [e.name for e in out.effects])
    live = store.snapshot()
    from journeyline.engine.unit import rebuild

    rebuild(store, FakeClock(T0 + 300_000))
    print("projections equal a rebuild:", store.snapshot() == live)
    assert out.effects[0].name == "session.started", "cached state of a rolled-back batch"
    store.close()


def test_an_out_of_range_partition_from_a_subscriber_kills_the_dispatcher(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(url)
    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(lambda unit: [(16, ContactDeleted("x"))])  # PARTITIONS == 16
    dispatcher = Dispatcher(lambda: open_store(url), retry_seconds=0.05)
    got: list = []
    dispatcher.subscribe("feed", lambda es: got.extend(es))
    try:
        dispatcher.publish(engine.apply(_wire(Conversation("c1").customer_start(0))).effects)
        time.sleep(0.3)
        engine.in_transaction.clear()
        dispatcher.publish(engine.apply(_wire(Conversation("c2").customer_start(0))).effects)
        time.sleep(0.3)
        assert dispatcher._thread.is_alive(), "the dispatcher thread died"
    finally:
        dispatcher.close()
        store.close()
