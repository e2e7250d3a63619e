"""Review: a full disk inside a command's savepoint commits part of a failed batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import T0, Conversation
from conftest import FakeClock
from journeyline.engine.identity import Command
from journeyline.engine.unit import CommandInput, Engine
from journeyline.errors import StoreError
from journeyline.ingest.genesys_detail import parse_item
from journeyline.store import open_store


def test_a_full_disk_in_a_command_leaves_part_of_a_failed_batch_committed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'full.db'}")
    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.apply([parse_item(w) for w in Conversation("c0").customer_start(0).wire])
    log_before = store.log_count()
    effects_before = store._db.execute("SELECT count(*) FROM effect_log").fetchone()[0]
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages + 3}")  # SQLITE_FULL, as a full disk
    command = Command("create", "agent-1", T0, {"id": "k1", "fields": {"first_name": "x" * 20000}})
    batch = [
        *[parse_item(w) for w in Conversation("c1").customer_start(0).wire],
        CommandInput("cmd-1", command),
        *[parse_item(w) for w in Conversation("c2").customer_start(0).flow(0, 5).wire],
    ]
    with pytest.raises(StoreError):  # every request of the batch is answered with an error...
        engine.apply(batch)
    store._db.execute("PRAGMA max_page_count = 1073741823")
    effects_after = store._db.execute("SELECT count(*) FROM effect_log").fetchone()[0]
    # ...so nothing of it may be stored
    assert (store.log_count(), effects_after) == (log_before, effects_before)
    store.close()
