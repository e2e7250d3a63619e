"""The engine: stores accepted events in the log and updates the projections, in one unit of work.

``Engine.apply`` takes a batch of parsed events, appends the new ones to the log (duplicates are
recognised by their idempotency key), refolds every conversation the batch touched with the
pure ``core.conversation.fold`` and writes the session and its journey events — all in one
transaction, so an acknowledged batch is either wholly stored or not at all.

The engine keeps the detail events of recently touched conversations in memory (it is the only
writer, so the cache cannot go stale); a miss reloads them from the log. ``rebuild`` replays the
whole log through the same fold.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from journeyline.clock import Clock
from journeyline.core.conversation import Folded, fold, session_id_for
from journeyline.ingest import genesys_detail
from journeyline.ingest.genesys_detail import Accepted
from journeyline.model.detail import DetailEvent
from journeyline.store.base import LogRecord, Store

Status = Literal["accepted", "duplicate"]


@dataclass(frozen=True, slots=True)
class Applied:
    key: str
    status: Status
    session_id: str


@dataclass(slots=True)
class _Cached:
    events: dict[str, DetailEvent]
    folded: Folded


class Engine:
    def __init__(self, store: Store, clock: Clock, *, cache_size: int = 20_000) -> None:
        self.store = store
        self.clock = clock
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Cached] = OrderedDict()

    def apply(self, batch: Sequence[Accepted]) -> list[Applied]:
        """Store and apply a batch in one transaction; the caller acknowledges after it returns."""
        now = self.clock()
        records = [
            LogRecord(a.event.key, genesys_detail.KIND, a.event.conversation_id, now, a.body)
            for a in batch
        ]
        with self.store.transaction():
            new_keys = self.store.append(records)
            touched: dict[str, list[DetailEvent]] = {}
            for a in batch:
                if a.event.key in new_keys:
                    touched.setdefault(a.event.conversation_id, []).append(a.event)
            sessions = {cid: self._refold(cid, events) for cid, events in touched.items()}
        results: list[Applied] = []
        seen: set[str] = set()
        for a in batch:
            key = a.event.key
            status: Status = "accepted" if key in new_keys and key not in seen else "duplicate"
            seen.add(key)
            session_id = sessions.get(a.event.conversation_id)
            if session_id is None:
                session_id = session_id_for(a.event.conversation_id)
            results.append(Applied(key, status, session_id))
        return results

    def _refold(self, conversation_id: str, new: list[DetailEvent]) -> str:
        cached = self._cache.pop(conversation_id, None)
        if cached is None:
            stored = self.store.log_for_partition(genesys_detail.KIND, conversation_id)
            parsed = (genesys_detail.parse_canonical(body) for body in stored)
            events = {e.key: e for e in parsed}  # already holds `new`: appended above
            previous = None
        else:
            events = cached.events
            events.update((e.key, e) for e in new)
            previous = cached.folded
        folded = fold(events.values())
        self._write(folded, previous)
        self._cache[conversation_id] = _Cached(events, folded)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return folded.session.id

    def _write(self, folded: Folded, previous: Folded | None) -> None:
        if previous is None:
            self.store.save_conversation(folded.session, folded.events, (), replace_all=True)
            return
        before = {e.id: e for e in previous.events}
        changed = [e for e in folded.events if before.get(e.id) != e]
        current = {e.id for e in folded.events}
        removed = [i for i in before if i not in current]
        self.store.save_conversation(folded.session, changed, removed, replace_all=False)

    def forget(self) -> None:
        """Drop the in-memory cache (after the projections were rebuilt behind its back)."""
        self._cache.clear()


def rebuild(store: Store) -> int:
    """Replay the whole log into fresh projections; returns the number of sessions written."""
    count = 0
    with store.transaction():
        store.clear_projections()
        current: str | None = None
        events: list[DetailEvent] = []
        for partition_key, body in store.iter_log(genesys_detail.KIND):
            if partition_key != current and events:
                folded = fold(events)
                store.save_conversation(folded.session, folded.events, (), replace_all=True)
                count += 1
                events = []
            current = partition_key
            events.append(genesys_detail.parse_canonical(body))
        if events:
            folded = fold(events)
            store.save_conversation(folded.session, folded.events, (), replace_all=True)
            count += 1
    return count
