"""Web and app sessions in the engine: keep each visitor's events, refold the affected cluster.

Part of the engine's unit of work. Per visitor (cookie and session type) it keeps the sorted
events in memory and which session each belongs to; new events refold only the cluster of
events linked to them by gaps under 30 minutes (``core.websession.cluster_bounds``), so the
result is the same as folding every event of the visitor from scratch, in any arrival order.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from journeyline.core import websession
from journeyline.model.web import WebEvent
from journeyline.store.base import Store, WebSessionWrite


def partition_of(event: WebEvent) -> str:
    return f"{event.session_type}:{event.customer_cookie_id}"


@dataclass(slots=True)
class _Visitor:
    events: list[WebEvent] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    session_of: dict[str, str] = field(default_factory=dict)  # event key -> session id


class WebProjector:
    def __init__(
        self,
        store: Store,
        *,
        timeout_ms: int = websession.SESSION_TIMEOUT_MS,
        cache_size: int = 50_000,
    ) -> None:
        if not 0 < timeout_ms <= websession.VISIT_TIMEOUT_MS:
            raise ValueError("a web session timeout must be between 0 and 30 minutes")
        self.store = store
        self.timeout_ms = timeout_ms
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Visitor] = OrderedDict()
        self.pending: list[WebSessionWrite] = []

    def forget(self) -> None:
        self._cache.clear()
        self.pending.clear()

    def write(self) -> None:
        """Store the sessions the applied events changed, in one go."""
        self.store.save_web_sessions(self.pending)
        self.pending.clear()

    def _load(self, partition: str, *, new: bool = False) -> _Visitor:
        """A visitor's events so far, from the cache or the web-session projections.

        The projections, not the log: during a replay the log already holds later events.
        """
        visitor = self._cache.pop(partition, None)
        if visitor is not None:
            return visitor
        visitor = _Visitor()
        if new:  # a cookie seen for the first time has no events stored
            return visitor
        session_type, cookie = partition.split(":", 1)
        visitor.events = websession.ordered(self.store.web_events_of(cookie, session_type))
        visitor.keys = {e.key for e in visitor.events}
        for session, events in websession.sessionize(visitor.events, self.timeout_ms):
            for e in events:
                visitor.session_of[e.key] = session.id
        return visitor

    def session_of(self, partition: str, key: str) -> str | None:
        return self._load_cached(partition).session_of.get(key)

    def _load_cached(self, partition: str) -> _Visitor:
        visitor = self._load(partition)
        self._cache[partition] = visitor
        return visitor

    def apply(
        self,
        partition: str,
        new: Sequence[WebEvent],
        link: tuple[str | None, bool],
        *,
        new_visitor: bool = False,
    ) -> dict[str, str]:
        """Add a visitor's new events; returns the session id of each new event's key.

        The sessions to store wait in ``pending`` until :meth:`write`.
        """
        visitor = self._load(partition, new=new_visitor)
        fresh = [e for e in websession.ordered(new) if e.key not in visitor.keys]
        appended_only = bool(fresh) and (
            not visitor.events or fresh[0].created_ms >= visitor.events[-1].created_ms
        )
        for event in fresh:
            bisect.insort(visitor.events, event, key=lambda e: (e.created_ms, e.key))
            visitor.keys.add(event.key)
        start, end = websession.cluster_bounds(visitor.events, fresh)
        cluster = visitor.events[start:end]
        before = {visitor.session_of[e.key] for e in cluster if e.key in visitor.session_of}
        fresh_keys = {e.key for e in fresh}
        contact_id, verified = link
        after: set[str] = set()
        for session, events in websession.sessionize(cluster, self.timeout_ms):
            after.add(session.id)
            known = session.id in before and all(
                visitor.session_of.get(e.key) == session.id
                for e in events
                if e.key not in fresh_keys
            )
            if appended_only and known:
                write = [e for e in events if e.key in fresh_keys]
                self.pending.append(WebSessionWrite(session, write, contact_id, verified, False))
            else:
                self.pending.append(WebSessionWrite(session, events, contact_id, verified, True))
            for e in events:
                visitor.session_of[e.key] = session.id
        for stale in before - after:
            self.store.delete_session(stale)
        self._cache[partition] = visitor
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return {e.key: visitor.session_of[e.key] for e in new}
