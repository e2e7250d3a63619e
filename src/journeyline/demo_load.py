"""``journeyline demo``: put a realistic contact-centre day into a store (once).

The day ends now, so its last conversations are still live (blue cards). Loading is skipped
when the store already holds events, so running the command again changes nothing.
"""

from __future__ import annotations

from typing import Any

from journeyline.clock import Clock
from journeyline.demo import demo_day
from journeyline.directory_file import put_all
from journeyline.engine import Engine
from journeyline.ingest.batch import ingest_objects
from journeyline.store.base import DirectoryEntry, Store

HOUR_MS = 3_600_000


def load_demo(store: Store, *, clock: Clock, conversations: int = 160) -> dict[str, Any]:
    if store.log_count():
        return {
            "loaded": False,
            "reason": "the store already holds events",
            "events": store.log_count(),
        }
    now = clock()
    day = demo_day(day_start_ms=now - 18 * HOUR_MS, conversations=conversations)
    put_all(store, [DirectoryEntry(e.kind, e.id, e.name, now) for e in day.directory])
    summary = ingest_objects(Engine(store, clock), enumerate(day.events, 1))
    return {
        "loaded": True,
        "conversations": len(day.conversations),
        "directoryEntries": len(day.directory),
        **summary.counts(),
    }
