"""Identity's rules: who a cookie, a caller or a chat is; claims, matches, verification, merges.

- A cookie is owned by a contact: the first event of a new cookie creates an *Ephemeral* contact
  that claims it. Ephemeral and identified contacts expire 60 days after their last activity
  (:func:`expiry_ms`); the clock's tick then removes them (``recognition.expire``), and a
  cookie whose own contact expired starts afresh.
- Traits with an email or phone: an identifier nobody owns is claimed by the visitor's contact
  (which becomes *Identified*); one owned by *another* person is a match made from PII alone,
  kept as **unverified** (``Contact.unverified_match``, the first such match) until an agent
  verifies it.
- A conversation is linked by the contact ids the contact centre gives (the engine does that),
  else by its journey context (the visitor's cookie: verified), else by the caller's number or
  the chat's email (a match to an existing contact is unverified; a new number or address makes
  a contact of its own, whose dates follow the conversations linked to it: :func:`refresh`;
  only a number, which the network delivers, is verified on it — an address was typed).
- Agents verify (link a session, and a web visitor's cookie, to a contact), claim and release
  identifiers, merge 2 to 25 contacts into a new canonical contact and undo a merge; each of
  these is audited.

Every rule is a function of the identity state it may consult (:class:`IdentityState`, loaded
by the engine beforehand) and its input, and returns a :class:`Decision`: the contacts and
identifiers to put and delete, the session links to change, the audits to add, and the effects
(``journeyline.model.effects``) in the order they happened. A rule reads no store and no clock;
it refuses input by raising ``InvalidInput`` or ``NotFound``.

This module holds what every rule shares: the small rules (expiry, ids, merge sets, what an
event or a session names), the state, the decision and the :class:`Draft` that builds it. The
rules themselves: ``core.recognition`` (who the traffic is: visitors, callers, chats) and
``core.identity_commands`` (agents' commands). ``journeyline.engine.identity`` loads the state,
calls the rule and writes its decision in the unit of work.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import field, fields
from typing import Any, cast

from journeyline.core.conversation import NAMESPACE
from journeyline.core.uuids import uuid5_text
from journeyline.model.commands import (
    Command,
    ContactFields,
    MergeContacts,
    command_args,
    command_name,
)
from journeyline.model.contact import Audit, Contact, Identifier
from journeyline.model.effects import (
    ContactChanged,
    ContactCreated,
    ContactDeleted,
    Effect,
    IdentifierClaimed,
    IdentifierReleased,
)
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.model.record import record, replace
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebEvent

#: Ephemeral and identified contacts expire this long after their last activity.
CONTACT_TTL_MS = 60 * 24 * 3600 * 1000
#: Link levels of a session to its contact.
UNVERIFIED, VERIFIED, AGENT = 0, 1, 2
#: How many distinct contacts one merge takes.
MERGE_MIN, MERGE_MAX = 2, 25
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "work_email",
    "personal_email",
    "other_email",
    "work_phone",
    "cell_phone",
    "home_phone",
    "other_phone",
)
EMAIL_FIELDS = ("work_email", "personal_email", "other_email")
PHONE_FIELDS = ("work_phone", "cell_phone", "home_phone", "other_phone")
#: Where an identifier a visitor or caller brings is written on their contact, in order.
PREFERRED = {
    "Email": ("personal_email", "work_email", "other_email"),
    "Phone": ("cell_phone", "home_phone", "work_phone", "other_phone"),
}
#: Traits that name a visitor.
FIRST_NAME_TRAITS = ("givenName", "firstName", "first_name")
LAST_NAME_TRAITS = ("familyName", "lastName", "last_name")

Key = tuple[str, str]  # (identifier type, value)


# -- small rules, shared with the engine's loaders and the API's queries ------------------------


def expiry_ms(contact: Contact) -> int | None:
    """When a contact expires: curated and canonical contacts never do (None); the others 60
    days after their last activity."""
    if contact.type == "Curated" or contact.merged_from:
        return None
    return contact.last_activity_ms + CONTACT_TTL_MS


def expired(contact: Contact, now_ms: int) -> bool:
    expires = expiry_ms(contact)
    return expires is not None and now_ms > expires


def live(contact: Contact | None, now_ms: int) -> Contact | None:
    """The contact, unless it is missing or expired."""
    return None if contact is None or expired(contact, now_ms) else contact


@functools.lru_cache(maxsize=1 << 14)  # a visitor's every batch asks again; uuid5 costs ~7 µs
def named_id(*parts: str) -> str:
    """A contact id made from what the contact is made from (a cookie, a number): stable, so a
    replay makes the same contacts."""
    return uuid5_text(NAMESPACE, "contact:" + ":".join(parts))


def cookie_contact_id(cookie: str) -> str:
    """The id of the ephemeral contact a new cookie makes."""
    return named_id("cookie", cookie)


def canonical_id(contact: Contact) -> str:
    """Who a contact is, merges considered: the head of its merge set, or itself."""
    return contact.canonical_id or contact.id


def merge_head_id(contact: Contact) -> str | None:
    """The head of the merge set a contact is in (itself, when it is a head); None when it is
    in none."""
    return contact.canonical_id or (contact.id if contact.merged_from else None)


def merge_set(contact: Contact, head: Contact | None, members: Sequence[Contact]) -> list[Contact]:
    """``contact`` and the contacts merged with it: the head of its merge set first, then the
    head's members (``members``, ordered by id); the contact alone when it is in no merge set.
    ``head`` is the contact :func:`merge_head_id` names (None when there is none)."""
    if head is None or not head.merged_from:
        return [contact]
    return [head, *members]


def merge_ids(command: MergeContacts) -> list[str]:
    """The distinct contacts a merge names, in order; refuses fewer than 2 or more than 25."""
    ids = list(dict.fromkeys(command.contact_ids))
    if not MERGE_MIN <= len(ids) <= MERGE_MAX:
        raise InvalidInput(
            f"contactIds must name {MERGE_MIN} to {MERGE_MAX} distinct contacts",
            field="contactIds",
        )
    return ids


def first_of(traits: Mapping[str, object], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = traits.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:1000]
    return None


def identifies(event: WebEvent) -> bool:
    """Whether a web event's traits or external id may identify its visitor: it has some, and
    they were not refused (a deployment requiring signed traits got none: ``core.signing``)."""
    return bool(event.traits or event.external_id) and event.traits_refused is None


def pii_of(event: WebEvent) -> list[Key]:
    """The identifiers a web event brings: its traits' emails and phones, its external id."""
    if not identifies(event):
        return []
    found = list(event.identifiers)
    if event.external_id:
        found.append(("ExternalId", event.external_id))
    return found


def conversation_keys(session: ConversationSession) -> tuple[Key | None, Key | None]:
    """What a conversation can be recognised by: the visitor's cookie of its journey context,
    and the caller's number or the chat's email; neither when the contact centre names it."""
    if session.external_contact_id:
        return None, None
    cookie: Key | None = None
    if session.journey_context is not None and session.customer_id_type == "cookie":
        cookie = ("Cookie", (session.customer_id or "").lower())
    kind = {"phone": "Phone", "email": "Email"}.get(session.customer_id_type or "")
    address = (kind, session.customer_id) if kind and session.customer_id else None
    return cookie, address


#: A contact's PII match, cleared (an agent verified, merged or moved the identifier).
NO_MATCH: dict[str, Any] = {
    "unverified_match": None,
    "unverified_match_by": None,
    "unverified_match_ms": None,
    "unverified_match_deployment": None,
}


def with_fields(contact: Contact, fields: ContactFields) -> Contact:
    return replace(contact, **cast(dict[str, Any], fields.given()))


def claimable(contact: Contact) -> list[Key]:
    """The emails and phones written on a contact, which it claims when nobody owns them."""
    found: list[Key] = []
    for name in EMAIL_FIELDS + PHONE_FIELDS:
        value = getattr(contact, name)
        if value:
            found.append(("Email" if name in EMAIL_FIELDS else "Phone", value))
    return found


def refreshes(contact: Contact | None) -> bool:
    """Whether :func:`refresh` re-dates this contact: one made from conversations, unmerged."""
    return contact is not None and contact.origin == "conversation" and not contact.canonical_id


def refresh_touches_identifiers(contact: Contact, activity: tuple[int, int] | None) -> bool:
    """Whether refreshing ``contact`` with ``activity`` changes its identifiers (the engine
    then loads them)."""
    return activity is None or activity[0] != contact.created_ms


# -- state and decisions ----------------------------------------------------------------------


class StateNotLoaded(LookupError):
    """A rule consulted something the engine did not load: a bug in the engine's loader."""


@record
class IdentityState:
    """What a rule may consult, loaded by the engine before it asks. A key that is present with
    ``None`` (or an empty tuple) was looked up and is absent; a key that is missing was not
    looked up, and consulting it raises :class:`StateNotLoaded`.

    ``contacts``: by id; ``identifiers``: by (type, value); ``owned``: a contact's identifiers
    (ordered by type, value); ``members``: a canonical contact's members (ordered by id).
    """

    contacts: Mapping[str, Contact | None] = field(default_factory=dict)
    identifiers: Mapping[Key, Identifier | None] = field(default_factory=dict)
    owned: Mapping[str, Sequence[Identifier]] = field(default_factory=dict)
    members: Mapping[str, Sequence[Contact]] = field(default_factory=dict)

    def contact(self, contact_id: str) -> Contact | None:
        try:
            return self.contacts[contact_id]
        except KeyError:
            raise StateNotLoaded(f"contact {contact_id}") from None

    def identifier(self, key: Key) -> Identifier | None:
        try:
            return self.identifiers[key]
        except KeyError:
            raise StateNotLoaded(f"identifier {key}") from None

    def identifiers_of(self, contact_id: str) -> Sequence[Identifier]:
        try:
            return self.owned[contact_id]
        except KeyError:
            raise StateNotLoaded(f"identifiers of {contact_id}") from None

    def members_of(self, head_id: str) -> Sequence[Contact]:
        try:
            return self.members[head_id]
        except KeyError:
            raise StateNotLoaded(f"members of {head_id}") from None


@record
class LinkSession:
    """Link one session to a contact at a level."""

    session_id: str
    contact_id: str
    level: int


@record
class LinkCustomer:
    """Link every session of a visitor (by cookie) to a contact at a level."""

    customer_id: str
    contact_id: str
    level: int


@record
class MoveLinks:
    """The sessions linked to ``from_id`` are linked to ``to_id`` (None: to nobody)."""

    from_id: str
    to_id: str | None


LinkChange = LinkSession | LinkCustomer | MoveLinks


@record
class Decision:
    """What a rule decided. Writing it: put the contacts, delete then put the identifiers,
    change the links in order, delete the contacts, add the audits; then emit the effects.
    ``answer``: a command's reply (the contact ids it made or touched)."""

    put_contacts: tuple[Contact, ...] = ()
    delete_contacts: tuple[str, ...] = ()
    put_identifiers: tuple[Identifier, ...] = ()
    delete_identifiers: tuple[Key, ...] = ()
    links: tuple[LinkChange, ...] = ()
    audits: tuple[Audit, ...] = ()
    effects: tuple[Effect, ...] = ()
    answer: dict[str, Any] = field(default_factory=dict)


@record
class VisitorLink:
    """Who a visitor is: their contact (the PII match, when there is an unverified one),
    whether that is verified, and whether the cookie is new."""

    contact_id: str
    verified: bool
    new_cookie: bool


@record
class ConversationLink:
    contact_id: str | None
    verified: bool


class Draft:
    """A rule's working copy: the state with the changes decided so far, and their effects in
    the order they were made. ``decision()`` turns it into the rule's :class:`Decision`."""

    def __init__(self, state: IdentityState, now_ms: int) -> None:
        self.state = state
        self.now = now_ms
        self._contacts: dict[str, Contact | None] = {}
        self._identifiers: dict[Key, Identifier | None] = {}
        self.links: list[LinkChange] = []
        self.audits: list[Audit] = []
        self.effects: list[Effect] = []

    # lookups, with the changes made so far

    def contact(self, contact_id: str) -> Contact | None:
        if contact_id in self._contacts:
            return self._contacts[contact_id]
        return self.state.contact(contact_id)

    def identifier(self, key: Key) -> Identifier | None:
        if key in self._identifiers:
            return self._identifiers[key]
        return self.state.identifier(key)

    def owner(self, key: Key, now_ms: int) -> Contact | None:
        """The live contact owning an identifier."""
        found = self.identifier(key)
        return live(self.contact(found.contact_id), now_ms) if found else None

    def require(self, contact_id: str) -> Contact:
        contact = live(self.contact(contact_id), self.now)
        if contact is None:
            raise NotFound(f"no external contact with id {contact_id}", field="contactId")
        return contact

    def identifiers_of(self, contact_id: str) -> list[Identifier]:
        found = {(i.type, i.value): i for i in self.state.identifiers_of(contact_id)}
        found.update((k, i) for k, i in self._identifiers.items() if i is not None)
        current = (self.identifier(key) for key in sorted(found))
        return [i for i in current if i is not None and i.contact_id == contact_id]

    def members_of(self, head_id: str) -> list[Contact]:
        found = {c.id: c for c in self.state.members_of(head_id)}
        found.update((k, c) for k, c in self._contacts.items() if c is not None)
        current = (self.contact(contact_id) for contact_id in sorted(found))
        return [c for c in current if c is not None and c.canonical_id == head_id]

    # changes

    def put_contact(self, after: Contact) -> None:
        """Created when there was none (or it had expired and comes back to life), changed when
        it differs in more than its dates, nothing when it is the same. (Every visit moves a
        contact's activity dates: announcing that would double the effects of the web path and
        tell nobody anything; the dates are in the contact's next change, and in the store.)"""
        before = self.contact(after.id)
        if before == after:
            return
        self._contacts[after.id] = after
        if before is None or (expired(before, self.now) and not expired(after, self.now)):
            self.effects.append(ContactCreated(after))
        elif _undated(before) != _undated(after):
            self.effects.append(ContactChanged(before, after))

    def delete_contact(self, contact_id: str) -> None:
        before = self.contact(contact_id)
        self._contacts[contact_id] = None
        if before is not None:
            self.effects.append(ContactDeleted(contact_id))

    def claim(self, identifier: Identifier) -> None:
        key = (identifier.type, identifier.value)
        before = self.identifier(key)
        if before == identifier:
            return
        self._identifiers[key] = identifier
        moved = before is not None and before.contact_id != identifier.contact_id
        previous = before.contact_id if before is not None and moved else None
        self.effects.append(IdentifierClaimed(identifier, previous))

    def redate(self, identifier: Identifier) -> None:
        """A new date for an identifier its owner keeps: no effect (the owner's change is one)."""
        self._identifiers[(identifier.type, identifier.value)] = identifier

    def release(self, identifier: Identifier) -> None:
        key = (identifier.type, identifier.value)
        before = self.identifier(key)
        self._identifiers[key] = None
        if before is not None:
            self.effects.append(IdentifierReleased(before.type, before.value, before.contact_id))

    def audit(
        self,
        command: Command,
        contact_id: str | None,
        *,
        args: dict[str, Any] | None = None,
        **details: Any,
    ) -> None:
        """Who did what to which contact; ``args``: the command's own, unless given."""
        args = command_args(command) if args is None else args
        self.audits.append(
            Audit(
                at_ms=command.at_ms,
                actor=command.actor,
                action=command_name(command),
                contact_id=contact_id,
                details={"args": args, **details},
            )
        )

    def decision(self, **answer: Any) -> Decision:
        return Decision(
            put_contacts=tuple(c for c in self._contacts.values() if c is not None),
            delete_contacts=tuple(k for k, c in self._contacts.items() if c is None),
            put_identifiers=tuple(i for i in self._identifiers.values() if i is not None),
            delete_identifiers=tuple(k for k, i in self._identifiers.items() if i is None),
            links=tuple(self.links),
            audits=tuple(self.audits),
            effects=tuple(self.effects),
            answer=answer,
        )


def with_identifier(contact: Contact, kind: str, value: str) -> Contact:
    """Fill the first empty email or phone field with a newly claimed identifier."""
    names = PREFERRED.get(kind, ())
    if any(getattr(contact, name) == value for name in names):
        return contact
    for name in names:
        if getattr(contact, name) is None:
            return replace(contact, **cast(dict[str, Any], {name: value}))
    return contact


_DATES = frozenset({"created_ms", "modified_ms", "last_activity_ms", "identified_ms"})
#: A contact's fields but its dates (a field added to Contact joins them by itself).
_UNDATED = operator.attrgetter(*(f.name for f in fields(Contact) if f.name not in _DATES))


def _undated(contact: Contact) -> tuple[Any, ...]:
    """A contact without its dates, to tell a real change from a visit."""
    return _UNDATED(contact)
