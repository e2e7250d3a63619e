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
from journeyline.core.card import web_card_due_ms, web_card_for
from journeyline.core.identity import AGENT, UNVERIFIED, VERIFIED
from journeyline.engine.effects import Effects
from journeyline.engine.queries import customer_name as customer_name_of
from journeyline.model.effects import (
    JourneyEventAdded,
    SessionChanged,
    SessionRemoved,
    SessionStarted,
)
from journeyline.model.session import AttributeValue
from journeyline.model.web import WebEvent, WebSession
from journeyline.store.base import Store, WebSessionWrite


def partition_of(event: WebEvent) -> str:
    """A visitor's customer key: its session type and cookie."""
    return f"{event.session_type}:{event.customer_cookie_id}"


def partition_of_session(session: WebSession) -> str:
    """The customer key of a web or app session's visitor (as :func:`partition_of`)."""
    return f"{session.type}:{session.customer_cookie_id}"


@dataclass(slots=True)
class _Visitor:
    events: list[WebEvent] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    session_of: dict[str, str] = field(default_factory=dict)  # event key -> session id
    sessions: dict[str, WebSession] = field(default_factory=dict)  # as last stored
    links: dict[str, tuple[str | None, int]] = field(default_factory=dict)  # each's, stored
    named: bool = False  # ``name`` is the one its cards last showed (not after a cache miss)
    name: str | None = None  # its contact's name, as its cards show it


def _agents(link: tuple[str | None, int]) -> bool:
    """Whether a session's stored link is an agent's, to a contact: it stands (an agent's link
    to no contact, its contact deleted, goes back to the visitor's)."""
    return link[1] == AGENT and link[0] is not None


def _attributes(event: WebEvent) -> dict[str, AttributeValue]:
    """A web event's attributes as effects carry them: page, search, custom attributes."""
    out: dict[str, AttributeValue] = {}
    if event.page is not None:
        out["page.url"] = event.page.url
        if event.page.title:
            out["page.title"] = event.page.title
    if event.screen_name:
        out["screen.name"] = event.screen_name
    if event.search_query:
        out["search.query"] = event.search_query
    for name, attribute in event.attributes.items():
        out["attributes." + name] = attribute.value  # as typed: 60.5 equals "60.50"
    return out


class WebProjector:
    def __init__(
        self,
        store: Store,
        effects: Effects | None = None,
        *,
        timeout_ms: int = websession.SESSION_TIMEOUT_MS,
        cache_size: int = 50_000,
    ) -> None:
        if not 0 < timeout_ms <= websession.VISIT_TIMEOUT_MS:
            raise ValueError("a web session timeout must be between 0 and 30 minutes")
        self.store = store
        self.effects = effects if effects is not None else Effects()
        self.timeout_ms = timeout_ms
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Visitor] = OrderedDict()
        self.pending: list[WebSessionWrite] = []
        self.deadlines: list[tuple[str, str, int | None]] = []

    def forget(self) -> None:
        self._cache.clear()
        self.pending.clear()
        self.deadlines.clear()

    def write(self) -> None:
        """Store the sessions the applied events changed, and their deadlines, in one go."""
        self.store.save_web_sessions(self.pending)
        self.pending.clear()
        if self.deadlines:
            self.store.deadlines_put(self.deadlines)
            self.deadlines.clear()

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
            visitor.sessions[session.id] = session
            for e in events:
                visitor.session_of[e.key] = session.id
        visitor.links = self.store.session_links(visitor.sessions)
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
        now_ms: int = 0,
        customer_name: str | None = None,
    ) -> dict[str, str]:
        """Add a visitor's new events; returns the session id of each new event's key.

        The sessions to store wait in ``pending`` until :meth:`write`. Emits a session started
        or changed effect for each session whose card or contact changed (cards at ``now_ms``),
        session removed for one a late event re-keyed, and journey event added for each new
        event and each event a re-keyed session handed to another (``moved_from``), in time
        order.
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
        linked = (contact_id, VERIFIED if verified else UNVERIFIED)
        # after a cache miss the name is as stored: taken as unchanged
        old_name = visitor.name if visitor.named else customer_name
        visitor.named, visitor.name = True, customer_name
        moved: list[tuple[WebEvent, str]] = []  # events a re-keyed session handed to another
        after: set[str] = set()
        contact_of: dict[str, str | None] = {}  # each refolded session's contact
        for session, events in websession.sessionize(cluster, self.timeout_ms):
            after.add(session.id)
            previous_session = visitor.sessions.get(session.id)  # None: not stored yet
            stored_link = visitor.links.get(session.id)
            kept = stored_link if stored_link is not None and _agents(stored_link) else linked
            names = (old_name, customer_name)
            if kept is not linked:  # the agent's contact, and its name, stay the session's
                name = customer_name_of(self.store, kept[0])
                names = (name, name)
            self._session_effects(
                previous_session,
                session,
                kept[0],
                now_ms,
                names,
                stored_link is not None and stored_link[0] != kept[0],  # a new name shows
            )
            visitor.sessions[session.id] = session
            visitor.links[session.id] = kept
            contact_of[session.id] = kept[0]
            known = session.id in before and all(
                visitor.session_of.get(e.key) == session.id
                for e in events
                if e.key not in fresh_keys
            )
            if appended_only and known:
                write = [e for e in events if e.key in fresh_keys]
                self.pending.append(WebSessionWrite(session, write, *kept, False))
            else:  # all its events, replacing those stored (when it is)
                stored = previous_session is not None
                self.pending.append(WebSessionWrite(session, events, *kept, stored))
            for e in events:
                previous = visitor.session_of.get(e.key)
                if previous is not None and previous != session.id and e.key not in fresh_keys:
                    moved.append((e, previous))
                visitor.session_of[e.key] = session.id
        for stale in sorted(before - after):
            self.store.delete_session(stale)
            visitor.links.pop(stale, None)
            gone = visitor.sessions.pop(stale, None)
            kind = gone.type if gone is not None else partition.split(":", 1)[0]
            self.effects.emit(SessionRemoved(stale, kind))
            self.deadlines.append((stale, kind, None))
        for session_id in sorted(visitor.sessions.keys() - after):  # the visitor's others
            stored_link = visitor.links.get(session_id)
            if stored_link == linked or (stored_link is not None and _agents(stored_link)):
                continue  # an agent's verification of a session stands
            session = visitor.sessions[session_id]  # its events and card as they were
            self.pending.append(WebSessionWrite(session, [], *linked, False))
            visitor.links[session_id] = linked
            self._session_effects(
                session,
                session,
                contact_id,
                now_ms,
                (old_name, customer_name),
                stored_link is not None and stored_link[0] != contact_id,
            )
        arrivals = [(e, None) for e in fresh] + moved
        for event, moved_from in sorted(arrivals, key=lambda a: (a[0].created_ms, a[0].key)):
            self.effects.emit(
                JourneyEventAdded(
                    session_id=visitor.session_of[event.key],
                    event_id=websession.web_event_id(event.key),
                    event_name=event.event_name,
                    stream_type="App" if event.session_type == "app" else "Web",
                    session_type=event.session_type,
                    created_ms=event.created_ms,
                    attributes=_attributes(event),
                    contact_id=contact_of[visitor.session_of[event.key]],
                    moved_from=moved_from,
                )
            )
        self._cache[partition] = visitor
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return {e.key: visitor.session_of[e.key] for e in new}

    def _session_effects(
        self,
        previous: WebSession | None,
        session: WebSession,
        contact_id: str | None,
        now_ms: int,
        names: tuple[str | None, str | None],
        relinked: bool,
    ) -> None:
        after = web_card_for(
            session, now_ms=now_ms, timeout_ms=self.timeout_ms, customer_name=names[1]
        )
        due = web_card_due_ms(session, timeout_ms=self.timeout_ms)
        if previous is None:
            if due > now_ms:  # a new session already idle has no deadline to set nor remove
                self.deadlines.append((session.id, session.type, due))
        elif due != web_card_due_ms(previous, timeout_ms=self.timeout_ms):
            self.deadlines.append((session.id, session.type, due if due > now_ms else None))
        if previous is None:
            self.effects.emit(SessionStarted(session.id, session.type, contact_id, after))
            return
        before = web_card_for(
            previous, now_ms=now_ms, timeout_ms=self.timeout_ms, customer_name=names[0]
        )
        if before != after or relinked:
            self.effects.emit(SessionChanged(session.id, session.type, contact_id, before, after))
