"""Identity in the unit of work: load what a rule may consult, call it, write its decision.

The rules — who a cookie, a caller or a chat is, claims, PII matches, verification, merges —
are pure functions in ``journeyline.core.identity``. This module loads the state a rule needs
(the contacts and identifiers involved, one store read each, up front), calls the rule, writes
the :class:`~journeyline.core.identity.Decision` it returns and emits the decision's effects
into ``Identity.effects``, whose partition the engine sets before calling.

It runs inside the engine's unit of work (the single writer), so two requests racing for the
same new person are applied one after the other and can never create two owners of one
identifier. Every agent action is also a command in the event log (kind ``identity.command``),
so a replay of the log rebuilds contacts, identifiers and links exactly; commands logged in the
first shape (``{"name", "actor", "at_ms", "args"}``) are converted when they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec

from journeyline.core import identity as rules
from journeyline.core import recognition
from journeyline.core.identity import (
    AGENT,
    UNVERIFIED,
    VERIFIED,
    Decision,
    IdentityState,
    Key,
    LinkCustomer,
    LinkSession,
    MoveLinks,
)
from journeyline.core.identity_commands import execute as decide_command
from journeyline.engine.effects import Effects
from journeyline.model.commands import (
    ClaimIdentifier,
    Command,
    CreateContact,
    DeleteContact,
    IdentityCommand,
    MergeContacts,
    ReleaseIdentifier,
    UnmergeContact,
    UpdateContact,
    VerifySession,
)
from journeyline.model.contact import Contact, Identifier
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebEvent
from journeyline.store.base import Store

__all__ = ["AGENT", "COMMAND_KIND", "UNVERIFIED", "VERIFIED", "Identity"]

COMMAND_KIND = "identity.command"

K = TypeVar("K")
V = TypeVar("V")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Command)


class _FirstShape(msgspec.Struct):
    """A command as the log first stored it: its name, and its fields under ``args``."""

    name: str
    actor: str
    at_ms: int
    args: dict[str, Any] = {}


_first_shape = msgspec.json.Decoder(_FirstShape)


def encode_command(command: Command) -> bytes:
    return _encoder.encode(command)


def decode_command(body: bytes) -> Command:
    """A logged command, in today's shape or the first one. A body that is neither raises
    ``msgspec.ValidationError`` naming what is wrong with it in the shape it claims."""
    try:
        return _decoder.decode(body)
    except msgspec.ValidationError:
        if b'"command"' in body:  # today's shape, but wrong: say what is wrong with it
            raise
        old = _first_shape.decode(body)
    doc = {**old.args, "command": old.name, "actor": old.actor, "atMs": old.at_ms}
    converted: Command = msgspec.convert(doc, Command)
    return converted


#: Contacts (and identifiers) the engine remembers between units, at most (about 18 MiB; as
#: many as the conversations the engine keeps): past it they are all dropped, and read again
#: as they are needed.
REMEMBERED = 20_000


class _Known:
    """Contacts and identifiers as the store holds them, read or written by this engine and
    kept from one run of visitors to the next (a returning visitor's cookie and contact are
    not read again); shared by the run's loaders. In a run, the contacts and identifiers
    decided wait in ``put_*`` to be written together."""

    def __init__(self) -> None:
        self.contacts: dict[str, Contact | None] = {}
        self.identifiers: dict[Key, Identifier | None] = {}
        self.seen_cookies: set[tuple[str, str]] = set()  # (session type, cookie) with sessions
        self.put_contacts: dict[str, Contact] = {}
        self.put_identifiers: dict[Key, Identifier] = {}


class _Loader:
    """Reads the identity state a rule may consult, each row once."""

    def __init__(self, store: Store, known: _Known | None = None) -> None:
        self.store = store
        self.known = known
        self.contacts: dict[str, Contact | None] = {}
        self.identifiers: dict[Key, Identifier | None] = {}
        self.owned: dict[str, Sequence[Identifier]] = {}
        self.members: dict[str, Sequence[Contact]] = {}

    def contact(self, contact_id: str) -> Contact | None:
        known = self.known.contacts if self.known is not None else None
        return _read(self.contacts, known, contact_id, self.store.contact_get)

    def identifier(self, key: Key) -> Identifier | None:
        known = self.known.identifiers if self.known is not None else None
        return _read(self.identifiers, known, key, lambda k: self.store.identifier_get(*k))

    def owner(self, key: Key) -> Contact | None:
        """An identifier and the contact it names (live or not)."""
        found = self.identifier(key)
        return self.contact(found.contact_id) if found else None

    def owners(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.owner(key)

    def identifiers_of(self, contact_id: str) -> None:
        if contact_id not in self.owned:
            self._write_waiting()
            found = self.store.identifiers_of(contact_id)
            self.owned[contact_id] = found
            for identifier in found:
                self.identifiers.setdefault((identifier.type, identifier.value), identifier)

    def members_of(self, head_id: str) -> None:
        if head_id not in self.members:
            self._write_waiting()
            found = self.store.contact_members(head_id)
            self.members[head_id] = found
            for member in found:
                self.contacts.setdefault(member.id, member)

    def merge_set(self, contact_id: str) -> None:
        """A contact, the head of its merge set, the head's members and identifiers."""
        contact = self.contact(contact_id)
        head_id = rules.merge_head_id(contact) if contact else None
        head = self.contact(head_id) if head_id else None
        if head is not None and head.merged_from:
            self.members_of(head.id)
            self.identifiers_of(head.id)

    def _write_waiting(self) -> None:
        """A query over many rows reads the store: what waits to be written must be there."""
        if self.known is not None:
            _write_known(self.store, self.known)

    def state(self) -> IdentityState:
        return IdentityState(self.contacts, self.identifiers, self.owned, self.members)


def _read(
    mine: dict[K, V | None], known: dict[K, V | None] | None, key: K, read: Callable[[K], V | None]
) -> V | None:
    """``key``'s row for a loader: its own copy, else the remembered one, else read from the
    store (and remembered)."""
    if key not in mine:
        if known is None:
            mine[key] = read(key)
        elif key in known:
            mine[key] = known[key]
        else:
            mine[key] = known[key] = read(key)
    return mine[key]


def _write_known(store: Store, known: _Known) -> None:
    if known.put_contacts:
        store.contacts_put(list(known.put_contacts.values()))
        known.put_contacts.clear()
    if known.put_identifiers:
        store.identifiers_put(list(known.put_identifiers.values()))
        known.put_identifiers.clear()


class Identity:
    def __init__(self, store: Store, effects: Effects | None = None) -> None:
        self.store = store
        #: Where identity's effects go (contact created/changed/..., identifier claimed/...).
        self.effects = effects if effects is not None else Effects()
        #: What the store holds of contacts and identifiers, as far as this engine knows.
        self._rows = _Known()
        self._known: _Known | None = None  # the rows, during a run of visitors

    def forget(self) -> None:
        """Read contacts and identifiers from the store again (after a failed unit of work,
        a command or another writer's)."""
        self._rows = _Known()

    def _remembered(self) -> _Known:
        """The rows remembered, dropped first when there are too many (:data:`REMEMBERED`)."""
        rows = self._rows
        if len(rows.contacts) > REMEMBERED or len(rows.identifiers) > REMEMBERED:
            rows = self._rows = _Known()
        return rows

    def _write(self, decision: Decision) -> None:
        store = self.store
        in_run = self._known is not None  # a run of visitors: puts wait for its end
        rows = self._known if self._known is not None else self._rows
        for contact in decision.put_contacts:
            rows.contacts[contact.id] = contact
            if in_run:
                rows.put_contacts[contact.id] = contact
            else:
                store.contact_put(contact)
        for key in decision.delete_identifiers:
            rows.identifiers[key] = None
            rows.put_identifiers.pop(key, None)
            store.identifier_delete(*key)
        for identifier in decision.put_identifiers:
            key = (identifier.type, identifier.value)
            rows.identifiers[key] = identifier
            if in_run:
                rows.put_identifiers[key] = identifier
            else:
                store.identifier_put(identifier)
        for contact_id in decision.delete_contacts:
            rows.contacts[contact_id] = None
            rows.put_contacts.pop(contact_id, None)
        for link in decision.links:
            match link:
                case LinkSession(session_id, contact_id, level):
                    store.link_session(session_id, contact_id, level)
                case LinkCustomer(customer_id, contact_id, level):
                    store.relink_customer(customer_id, contact_id, level)
                case MoveLinks(from_id, to_id):
                    store.relink_contact(from_id, to_id)
        for contact_id in decision.delete_contacts:
            store.contact_delete(contact_id)
        for audit in decision.audits:
            store.audit_add(
                at_ms=audit.at_ms,
                actor=audit.actor,
                action=audit.action,
                contact_id=audit.contact_id,
                doc=audit.details,
            )
        for effect in decision.effects:
            self.effects.emit(effect)

    # -- web visitors ---------------------------------------------------------------------

    @contextmanager
    def visitors(self, runs: Iterable[Sequence[WebEvent]]) -> Iterator[None]:
        """A run of :meth:`visitor` calls, one per visitor of ``runs``: their cookies'
        identifiers, the contacts those name and the cookies' own contacts are read in one
        query each up front (those the engine does not remember from an earlier run), and the
        contacts and identifiers they decide are written in one statement each at the end
        (reads of many rows write what waits first)."""
        known = self._remembered()
        cookies = {(events[0].session_type, events[0].customer_cookie_id) for events in runs}
        keys = list({("Cookie", cookie) for _, cookie in cookies})
        missing = [key for key in keys if key not in known.identifiers]
        found = self.store.identifiers_get(missing)
        known.identifiers.update({key: found.get(key) for key in missing})
        owners = (known.identifiers[key] for key in keys)
        wanted = {i.contact_id for i in owners if i is not None}
        wanted.update(rules.cookie_contact_id(cookie) for _, cookie in cookies)
        wanted.difference_update(known.contacts)
        contacts = self.store.contacts_get(wanted)
        known.contacts.update({contact_id: contacts.get(contact_id) for contact_id in wanted})
        matched = {c.unverified_match for c in contacts.values() if c.unverified_match}
        matched.difference_update(known.contacts)  # whether the contacts they matched live on
        found_matched = self.store.contacts_get(matched)
        known.contacts.update({contact_id: found_matched.get(contact_id) for contact_id in matched})
        unknown: dict[str, list[str]] = {}
        for session_type, cookie in cookies:
            unowned = known.identifiers[("Cookie", cookie)] is None
            if unowned and (session_type, cookie) not in known.seen_cookies:
                unknown.setdefault(session_type, []).append(cookie)
        for session_type, ids in unknown.items():
            seen = self.store.customers_with_sessions(ids, session_type)
            known.seen_cookies.update((session_type, cookie) for cookie in seen)
        self._known = known
        try:
            yield
            _write_known(self.store, known)
        finally:
            self._known = None

    def visitor(self, events: Sequence[WebEvent]) -> tuple[str, bool, bool, str | None]:
        """The contact a visitor is, whether that is verified, whether the cookie is new, and
        the name the visitor's cards show (the contact's, or its merge head's).

        ``events``: one visitor's new events in arrival order. The cookie's identifier, its
        contact and every identifier the events bring are read once; the contact is written
        once, and only when it changed.
        """
        first = events[0]
        cookie = first.customer_cookie_id
        known = self._known
        load = _Loader(self.store, known)
        found = load.identifier(("Cookie", cookie))
        holder = load.owner(("Cookie", cookie))
        for candidate in (holder, load.contact(rules.cookie_contact_id(cookie))):
            if candidate is not None and candidate.unverified_match:
                load.contact(candidate.unverified_match)  # still there? (core.recognition)
        if holder is not None and rules.expired(holder, first.created_ms):
            load.identifiers_of(holder.id)
        for event in events:
            load.owners(rules.pii_of(event))
        if found is not None:
            seen = False
        elif known is not None and ("Cookie", cookie) in known.identifiers:
            seen = (first.session_type, cookie) in known.seen_cookies  # read for the run
        else:
            seen = bool(self.store.customer_web_sessions(cookie, first.session_type))
        decision, link = recognition.visitor(load.state(), events, cookie_seen=seen)
        self._write(decision)
        written = {c.id: c for c in decision.put_contacts}
        contact = written.get(link.contact_id) or load.contact(link.contact_id)
        if contact is not None and contact.canonical_id:
            contact = load.contact(contact.canonical_id) or contact
        name = contact.display_name if contact is not None else None
        return link.contact_id, link.verified, link.new_cookie, name

    # -- conversations --------------------------------------------------------------------

    def conversation(self, session: ConversationSession) -> tuple[str | None, bool]:
        """A conversation's contact, and whether that is verified (see
        ``core.identity.conversation``)."""
        load = _Loader(self.store, self._remembered())
        cookie, address = rules.conversation_keys(session)
        if cookie is not None:
            load.owner(cookie)
        if address is not None:
            owner = load.owner(address)
            if rules.live(owner, session.created_ms) is None:
                load.contact(recognition.conversation_contact_id(address))
        decision, link = recognition.conversation(load.state(), session)
        self._write(decision)
        return link.contact_id, link.verified

    def contact(self, contact_id: str) -> Contact | None:
        """A contact as the store holds it (remembered, or read and then remembered)."""
        return _Loader(self.store, self._remembered()).contact(contact_id)

    def refresh(self, contact_id: str | None) -> None:
        """Re-date a contact made from conversations from the sessions linked to it; drop it
        when none is left (see ``core.identity.refresh``)."""
        if not contact_id:
            return
        load = _Loader(self.store, self._remembered())
        contact = load.contact(contact_id)
        if contact is None or not rules.refreshes(contact):
            return
        activity = self.store.contact_activity(contact_id)
        if rules.refresh_touches_identifiers(contact, activity):
            load.identifiers_of(contact_id)
        self._write(recognition.refresh(load.state(), contact_id, activity))

    def expire(self, now_ms: int) -> int:
        """Remove the contacts that expired before ``now_ms`` (see ``core.recognition.expire``);
        returns how many."""
        found = self.store.contacts_expired(now_ms)
        if not found:
            return 0
        load = _Loader(self.store)
        for contact in found:
            load.contacts[contact.id] = contact
            load.identifiers_of(contact.id)
        self._write(recognition.expire(load.state(), [c.id for c in found], now_ms))
        return len(found)

    # -- agent commands -------------------------------------------------------------------

    def execute(self, command: IdentityCommand) -> dict[str, Any]:
        """Apply an agent's command; returns its answer (the ids it made or touched). Raises
        ``NotFound`` or ``InvalidInput`` when the command is refused: nothing is written."""
        decision = decide_command(self._load(command), command)
        self._write(decision)
        return dict(decision.answer)

    def _load(self, command: IdentityCommand) -> IdentityState:
        load = _Loader(self.store)
        match command:
            case CreateContact():
                load.contact(command.id)
                preview = rules.with_fields(Contact(command.id, "Curated", 0, 0, 0), command.fields)
                load.owners(rules.claimable(preview))
            case UpdateContact():
                contact = load.contact(command.id)
                if contact is not None:
                    load.owners(rules.claimable(rules.with_fields(contact, command.fields)))
            case DeleteContact():
                load.contact(command.id)
                load.identifiers_of(command.id)
                load.members_of(command.id)
                load.merge_set(command.id)  # a member's head, which must forget it
            case ClaimIdentifier() | ReleaseIdentifier():
                load.contact(command.contact_id)
                load.owner((command.type, command.value))
            case VerifySession():
                load.contact(command.contact_id)
                if command.cookie:
                    load.owner(("Cookie", command.cookie))
            case MergeContacts():
                load.contact(command.id)
                for contact_id in rules.merge_ids(command):
                    load.merge_set(contact_id)
            case UnmergeContact():
                load.contact(command.id)
                load.members_of(command.id)
                load.identifiers_of(command.id)
        return load.state()
