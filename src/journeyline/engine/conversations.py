"""Conversation sessions in the engine: refold what a unit touched, link it, say what changed.

Part of the engine's unit of work. Each conversation the unit touched is folded again from the
set of its detail events (``core.conversation.fold``; recent conversations are kept in memory,
a miss reads the log), its rows are stored, its session linked to a contact (``Identity``),
and its effects emitted: session started or changed with the card before and after, journey
events added, changed or removed; with the deadline at which time alone will change its card.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from journeyline.core.card import card_due_ms, card_for
from journeyline.core.conversation import Folded, fold, session_id_for
from journeyline.engine.effects import Effects
from journeyline.engine.identity import AGENT, UNVERIFIED, VERIFIED, Identity
from journeyline.ingest import genesys_detail
from journeyline.ingest.genesys_detail import Accepted
from journeyline.model.card import Card
from journeyline.model.detail import DetailEvent
from journeyline.model.effects import (
    JourneyEventAdded,
    JourneyEventChanged,
    JourneyEventRemoved,
    SessionChanged,
    SessionStarted,
)
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.store.base import ConversationWrite, Store


@dataclass(slots=True)
class _Cached:
    events: dict[str, DetailEvent]
    folded: Folded
    link_key: tuple[object, ...] = ()  # what the contact link was decided from
    linked: str | None = None  # the contact it was linked to
    settled: bool = False  # whether that link can only change with ``link_key``


@dataclass(slots=True)
class _Refolded:
    conversation_id: str
    events: dict[str, DetailEvent]
    folded: Folded
    cached: _Cached | None
    row: tuple[str | None, int] | None  # the session's link, when a cache miss read it
    previous: Folded | None  # as stored before this unit (None: a new session)
    link_before: str | None  # the contact it was linked to before this unit


def _write(folded: Folded, previous: Folded | None, *, stored: bool = True) -> ConversationWrite:
    """The rows a refold changes: all of them for a conversation new to the cache (replacing
    what the store holds of it, when it is ``stored``)."""
    if previous is None:
        return ConversationWrite(folded.session, folded.events, (), stored)
    before = {e.id: e for e in previous.events}
    changed = [e for e in folded.events if before.get(e.id) != e]
    current = {e.id for e in folded.events}
    removed = [i for i in before if i not in current]
    return ConversationWrite(folded.session, changed, removed, False)


def _link_key(session: ConversationSession) -> tuple[object, ...]:
    return (
        session.external_contact_id,
        session.customer_id,
        session.customer_id_type,
        session.journey_context,
    )


def _added(event: SessionEvent, contact_id: str | None) -> JourneyEventAdded:
    return JourneyEventAdded(
        session_id=event.session_id,
        event_id=event.id,
        event_name=event.event_name,
        stream_type=event.stream_type,
        session_type=event.session_type,
        created_ms=event.created_ms,
        attributes=dict(event.attributes),
        contact_id=contact_id,
    )


class ConversationProjector:
    def __init__(
        self,
        store: Store,
        effects: Effects,
        identity: Identity,
        *,
        acw_grace_ms: int,
        cache_size: int = 20_000,
    ) -> None:
        self.store = store
        self.effects = effects
        self.identity = identity
        self.acw_grace_ms = acw_grace_ms
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._bodies: dict[str, bytes] = {}  # canonical bodies of the events being applied
        #: contacts whose linked sessions changed -> the conversation that changed them first
        #: (the partition of the contact's re-dating effects)
        self._stale_contacts: dict[str, str] = {}
        self._pending: list[ConversationWrite] = []  # conversation rows of the unit, to store
        #: directory names for the cards of effects; dropped by ``names_changed``
        self.names: dict[tuple[str, str], str] = {}
        self._deadlines: list[tuple[str, str, int | None]] = []
        self._now = 0

    def apply(self, touched: Mapping[str, Sequence[Accepted]], now_ms: int) -> dict[str, str]:
        """Project the new events of each touched conversation; returns their session ids.
        Contacts made from the conversations' numbers are re-dated afterwards."""
        self._now = now_ms
        for items in touched.values():
            self._bodies.update((a.event.key, a.body) for a in items)
        # the links of the conversations new to the cache, in one read (each refold's own)
        missed = [session_id_for(cid) for cid in touched if cid not in self._cache]
        links = self.store.session_links(missed) if missed else {}
        refolded = [
            self._refold(cid, [a.event for a in items], links) for cid, items in touched.items()
        ]
        self.store.save_conversations(self._pending)
        self._pending.clear()
        sessions: dict[str, str] = {}
        for item in refolded:
            self.effects.at(item.conversation_id)
            sessions[item.conversation_id] = self._settle(item)
        for contact_id, cause in sorted(self._stale_contacts.items()):
            self.effects.at(cause)
            self.identity.refresh(contact_id)
        self._stale_contacts.clear()
        if self._deadlines:
            self.store.deadlines_put(self._deadlines)
            self._deadlines.clear()
        self._bodies.clear()
        return sessions

    def card(self, session: ConversationSession, now_ms: int) -> Card:
        return card_for(session, now_ms=now_ms, acw_grace_ms=self.acw_grace_ms, name_of=self.name)

    def forget_cached(self) -> None:
        """Drop the cached conversations (the directory names stay: ``names_changed``)."""
        self._cache.clear()
        self._pending.clear()
        self._deadlines.clear()

    def _refold(
        self,
        conversation_id: str,
        new: list[DetailEvent],
        links: Mapping[str, tuple[str | None, int]],
    ) -> _Refolded:
        """Fold a conversation with its new events; its rows wait in ``_pending`` to be stored.
        ``links``: the stored link of each session new to the cache (none: not stored)."""
        cached = self._cache.pop(conversation_id, None)
        row: tuple[str | None, int] | None = None
        in_store = True
        if cached is None:
            events = {e.key: e for e in new}
            fresh = {self._bodies[e.key] for e in new if e.key in self._bodies}
            row = links.get(session_id_for(conversation_id))
            in_store = row is not None
            stored = (
                self.store.log_for_partition(genesys_detail.KIND, conversation_id)
                if row is not None
                else []
            )
            old: dict[str, DetailEvent] = {}
            for body in stored:
                if body not in fresh:  # the batch's own events are parsed already
                    event = genesys_detail.parse_canonical(body)
                    old[event.key] = event
                    events.setdefault(event.key, event)
            before = fold(old.values()) if old else None  # as stored: for the effects
            link_before = row[0] if row is not None else None
            previous = None
            row = row or (None, UNVERIFIED)
        else:
            events = cached.events
            events.update((e.key, e) for e in new)
            previous = before = cached.folded
            link_before = cached.linked
        folded = fold(events.values())
        self._pending.append(_write(folded, previous, stored=in_store))
        return _Refolded(conversation_id, events, folded, cached, row, before, link_before)

    def _settle(self, refolded: _Refolded) -> str:
        """After the rows are stored: the contact link, and the cache."""
        folded, cached = refolded.folded, refolded.cached
        key = _link_key(folded.session)
        if cached is not None and cached.link_key == key and cached.settled:
            linked, settled = cached.linked, True  # nothing a settled link depends on changed
        else:
            linked, settled = self._link(folded.session, refolded.row)
        if linked:
            self._stale_contacts.setdefault(linked, refolded.conversation_id)
        self._cache[refolded.conversation_id] = _Cached(
            refolded.events, folded, key, linked, settled
        )
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        self._conversation_effects(refolded.previous, folded, refolded.link_before, linked)
        return folded.session.id

    def _conversation_effects(
        self, before: Folded | None, after: Folded, link_before: str | None, linked: str | None
    ) -> None:
        """Session started or changed (card before and after), journey events added, changed
        or removed; and the session's deadline when time alone will change its card."""
        session = after.session
        card = self.card(session, self._now)
        due = card_due_ms(session, acw_grace_ms=self.acw_grace_ms)
        old_due = card_due_ms(before.session, acw_grace_ms=self.acw_grace_ms) if before else None
        if due != old_due:
            self._deadlines.append(
                (session.id, "conversation", due if due and due > self._now else None)
            )
        if before is None:
            self.effects.emit(SessionStarted(session.id, "conversation", linked, card))
        else:
            old_card = self.card(before.session, self._now)
            if old_card != card or link_before != linked:
                reason = "event" if old_card != card else "link"
                self.effects.emit(
                    SessionChanged(session.id, "conversation", linked, old_card, card, reason)
                )
        previous = {e.id: e for e in before.events} if before else {}
        current = {e.id for e in after.events}
        for event in after.events:
            old = previous.get(event.id)
            if old is None:
                self.effects.emit(_added(event, linked))
            elif old != event:
                self.effects.emit(
                    JourneyEventChanged(
                        event.session_id,
                        event.id,
                        event.event_name,
                        event.created_ms,
                        dict(event.attributes),
                    )
                )
        for event_id in previous:
            if event_id not in current:
                self.effects.emit(JourneyEventRemoved(session.id, event_id))

    def _card(self, session: ConversationSession, now_ms: int) -> Card:
        return card_for(session, now_ms=now_ms, acw_grace_ms=self.acw_grace_ms, name_of=self.name)

    def names_changed(self) -> None:
        """The directory may have changed: read names again for the next cards."""
        self.names.clear()

    def name(self, kind: str, entry_id: str) -> str:
        """A directory name for the cards of effects, read once and then kept."""
        name = self.names.get((kind, entry_id))
        if name is None:
            name = self.store.directory_names(kind, [entry_id]).get(entry_id, entry_id)
            self.names[(kind, entry_id)] = name
        return name

    def _link(
        self, session: ConversationSession, link: tuple[str | None, int] | None = None
    ) -> tuple[str | None, bool]:
        """Link a conversation session to its contact; returns the contact, and whether the link
        is settled — an agent's, the contact centre's or the visitor's own — rather than a match
        that later identity changes may move. ``link``: the current link, when known."""
        if link is None:
            link = self.store.session_link(session.id)
        before, level = link if link is not None else (None, UNVERIFIED)
        if before is not None and level == AGENT:
            return before, True  # an agent's verification stands
        contact_id: str | None
        if session.external_contact_id:  # named by the contact centre
            contact_id, verified = session.external_contact_id, True
        elif before is not None and level and not self._auto(before):
            return before, True  # the visitor's own cookie (a chat from the website)
        else:
            self.effects.at(session.conversation_id)
            contact_id, verified = self.identity.conversation(session)
        self.store.link_session(session.id, contact_id, VERIFIED if verified else UNVERIFIED)
        if before:
            self._stale_contacts.setdefault(before, session.conversation_id)
        settled = verified and contact_id is not None and not self._auto(contact_id)
        return contact_id, settled

    def _auto(self, contact_id: str) -> bool:
        contact = self.identity.contact(contact_id)
        return contact is not None and contact.origin == "conversation"
