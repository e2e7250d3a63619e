"""Identity: who a cookie, a caller or a chat is — contacts, identifiers, verification, merges.

Runs inside the engine's unit of work (the single writer), so two requests racing for the same
new person are applied one after the other and can never create two owners of one identifier.

- A cookie is owned by a contact: the first event of a new cookie creates an *Ephemeral* contact
  that claims it (it expires 60 days after its last activity).
- Traits with an email or phone: an identifier nobody owns is claimed by the visitor's contact
  (which becomes *Identified*); one owned by *another* contact is a match made from PII alone,
  stored as **unverified** (``Contact.unverified_match``) until an agent verifies it.
- A conversation is linked by the contact ids the contact centre gives (verified), else by its
  journey context (the visitor's cookie: verified), else by the caller's number or the chat's
  email (a match to an existing contact is unverified; a new number makes a new contact).
- Agents verify (link a session or a cookie to a contact), claim and release identifiers, merge
  2 to 25 contacts into a canonical contact and undo a merge; each of these is audited.

Every agent action is also a command in the event log (kind ``identity.command``), so a replay
of the log rebuilds contacts, identifiers and links exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from journeyline.core.conversation import NAMESPACE
from journeyline.engine.effects import Effects
from journeyline.errors import InvalidInput, NotFound
from journeyline.ingest.identifiers import (
    FIRST_NAME_TRAITS,
    LAST_NAME_TRAITS,
    first_of,
    normalise_email,
    normalise_phone,
)
from journeyline.model.contact import IDENTIFIER_TYPES, Contact, Identifier
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebEvent
from journeyline.store.base import Store

COMMAND_KIND = "identity.command"
#: Link levels of a session to its contact.
UNVERIFIED, VERIFIED, AGENT = 0, 1, 2
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


@dataclass(frozen=True, slots=True)
class Command:
    """An agent's or an integration's change to identity, as logged and replayed."""

    name: str  # create | update | delete | claim | release | verify_session | merge | unmerge
    actor: str
    at_ms: int
    args: dict[str, Any] = field(default_factory=dict)


def _named_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "contact:" + ":".join(parts)))


def normalise_identifier(kind: str, value: str) -> str:
    if kind not in IDENTIFIER_TYPES:
        raise InvalidInput(
            f"identifier.type must be one of {', '.join(IDENTIFIER_TYPES)}", field="identifier.type"
        )
    value = value.strip()
    if not value or len(value) > 255:
        raise InvalidInput("identifier.value must be 1 to 255 characters", field="identifier.value")
    if kind == "Email":
        return normalise_email(value, field="identifier.value")
    if kind == "Phone":
        return normalise_phone(value, field="identifier.value")
    if kind == "Cookie":
        return value.lower()
    return value


class Identity:
    def __init__(self, store: Store, effects: Effects | None = None) -> None:
        self.store = store
        #: Where identity's effects go (contact created/changed/..., identifier claimed/...).
        self.effects = effects if effects is not None else Effects()

    # -- lookups --------------------------------------------------------------------------

    def live_contact(self, contact_id: str | None, now_ms: int) -> Contact | None:
        contact = self.store.contact_get(contact_id) if contact_id else None
        if contact is None or contact.expired(now_ms):
            return None
        return contact

    def owner(self, kind: str, value: str, now_ms: int) -> Contact | None:
        found = self.store.identifier_get(kind, value)
        return self.live_contact(found.contact_id, now_ms) if found else None

    def canonical(self, contact: Contact) -> Contact:
        if contact.canonical_id:
            head = self.store.contact_get(contact.canonical_id)
            if head is not None:
                return head
        return contact

    def merge_set(self, contact: Contact) -> list[Contact]:
        head = self.canonical(contact)
        members = self.store.contact_members(head.id) if head.merged_from else []
        return [head, *members] if members else [contact]

    def _same_person(self, a: Contact, b: Contact) -> bool:
        return self.canonical(a).id == self.canonical(b).id

    # -- web visitors ---------------------------------------------------------------------

    def visitor(self, events: Sequence[WebEvent]) -> tuple[str, bool, bool]:
        """The contact a visitor is, whether that is verified, and whether the cookie is new.

        ``events``: one visitor's new events in arrival order. The contact is read once and
        written once, and only when it changed.
        """
        first = events[0]
        original, new_cookie = self._cookie_contact(first)
        own_id = _named_id("cookie", first.customer_cookie_id)
        now = first.created_ms
        contact = original or Contact(own_id, "Ephemeral", now, now, now)
        # dates are minimum and maximum over the events seen: arrival order is moot
        earliest = min(e.created_ms for e in events)
        own = contact.id == own_id
        contact = replace(
            contact,
            created_ms=min(contact.created_ms, earliest) if own else contact.created_ms,
            modified_ms=min(contact.modified_ms, earliest)
            if own and contact.type == "Ephemeral"
            else contact.modified_ms,
            last_activity_ms=max(contact.last_activity_ms, *(e.created_ms for e in events)),
        )
        for event in events:
            if event.traits or event.external_id:
                contact = self._observe(contact, event)
        if contact != original:
            self.store.contact_put(contact)
        if contact.unverified_match:
            return contact.unverified_match, False, new_cookie
        return contact.id, True, new_cookie

    def _cookie_contact(self, event: WebEvent) -> tuple[Contact | None, bool]:
        """The live contact owning a cookie (None: a fresh one is due), and if the cookie is new."""
        now = event.created_ms
        cookie = event.customer_cookie_id
        own_id = _named_id("cookie", cookie)
        found = self.store.identifier_get("Cookie", cookie)
        contact = self.store.contact_get(found.contact_id) if found else None
        if contact is not None and contact.expired(now) and contact.id == own_id:
            for identifier in self.store.identifiers_of(contact.id):  # 60 days unseen: anew
                self.store.identifier_delete(identifier.type, identifier.value)
            contact = None
        elif contact is not None and contact.expired(now):
            contact = None
        if contact is None:
            self.store.identifier_put(Identifier("Cookie", cookie, own_id, True, now))
        new = found is None and not self.store.customer_web_sessions(cookie, event.session_type)
        return contact, new

    def _observe(self, contact: Contact, event: WebEvent) -> Contact:
        """An identifying event's effect on its visitor's contact: identifiers, names."""
        now = event.created_ms
        traits = {name: attr.value for name, attr in event.traits.items()}
        pii = list(event.identifiers)
        if event.external_id:
            pii.append(("ExternalId", event.external_id))
        for kind, value in pii:
            owner = self.owner(kind, value, now)
            if owner is None:
                self.store.identifier_put(Identifier(kind, value, contact.id, False, now))
                contact = _with_identifier(contact, kind, value)
            elif not self._same_person(owner, contact) and contact.unverified_match is None:
                contact = replace(contact, unverified_match=owner.id)
        contact = replace(
            contact,
            first_name=contact.first_name or first_of(traits, FIRST_NAME_TRAITS),
            last_name=contact.last_name or first_of(traits, LAST_NAME_TRAITS),
        )
        if contact.type == "Ephemeral" and (pii or contact.first_name or contact.last_name):
            contact = replace(contact, type="Identified", modified_ms=now)
        return contact

    # -- conversations --------------------------------------------------------------------

    def conversation(self, session: ConversationSession) -> tuple[str | None, bool]:
        """A conversation's contact when the contact centre did not name one.

        Its journey context's visitor (verified: the visitor's own browser started it), else
        the owner of the caller's number or the chat's email, *unverified* (a match from PII
        alone); a number nobody owns gets a contact of its own, made from the number. Contact
        dates are minimum and maximum over the conversations seen, so arrival order is moot.
        """
        now = session.created_ms
        if session.journey_context is not None and session.customer_id_type == "cookie":
            visitor = self.owner("Cookie", (session.customer_id or "").lower(), now)
            if visitor is not None:
                return visitor.id, True
        kind = {"phone": "Phone", "email": "Email"}.get(session.customer_id_type or "")
        if kind is None or not session.customer_id:
            return None, False
        value = session.customer_id
        owner = self.owner(kind, value, now)
        if owner is not None:
            return owner.id, owner.origin == "conversation"
        contact = _with_identifier(
            Contact(
                _named_id(kind.lower(), value), "Identified", now, now, now, origin="conversation"
            ),
            kind,
            value,
        )
        self.store.contact_put(contact)
        self.store.identifier_put(Identifier(kind, value, contact.id, True, now))
        return contact.id, True

    def refresh(self, contact_id: str | None) -> None:
        """Re-date a contact made from conversations from the sessions linked to it; drop it
        when none is left (a conversation seen half-way may have named the wrong number)."""
        contact = self.store.contact_get(contact_id) if contact_id else None
        if contact is None or contact.origin != "conversation" or contact.canonical_id:
            return
        stats = self.store.contact_activity(contact.id)
        if stats is None:
            for identifier in self.store.identifiers_of(contact.id):
                self.store.identifier_delete(identifier.type, identifier.value)
            self.store.contact_delete(contact.id)
            return
        first, last = stats
        dated = replace(contact, created_ms=first, modified_ms=first, last_activity_ms=last)
        if dated != contact:
            self.store.contact_put(dated)
        if first != contact.created_ms:
            for identifier in self.store.identifiers_of(contact.id):
                self.store.identifier_put(replace(identifier, created_ms=first))

    # -- agent commands -------------------------------------------------------------------

    def execute(self, command: Command) -> dict[str, Any]:
        handler = getattr(self, "_cmd_" + command.name, None)
        if handler is None:
            raise InvalidInput(f"unknown identity command {command.name}")
        result: dict[str, Any] = handler(command)
        return result

    def _audit(self, command: Command, contact_id: str | None, **details: Any) -> None:
        self.store.audit_add(
            at_ms=command.at_ms,
            actor=command.actor,
            action=command.name,
            contact_id=contact_id,
            doc={"args": command.args, **details},
        )

    def _require(self, contact_id: str, now_ms: int) -> Contact:
        contact = self.live_contact(contact_id, now_ms)
        if contact is None:
            raise NotFound(f"no external contact with id {contact_id}", field="contactId")
        return contact

    def _cmd_create(self, command: Command) -> dict[str, Any]:
        fields = command.args["fields"]
        contact = Contact(
            id=command.args["id"],
            type="Curated",
            created_ms=command.at_ms,
            modified_ms=command.at_ms,
            last_activity_ms=command.at_ms,
            **fields,
        )
        self.store.contact_put(contact)
        self._claim_fields(contact, command.at_ms)
        self._audit(command, contact.id)
        return {"id": contact.id}

    def _cmd_update(self, command: Command) -> dict[str, Any]:
        contact = self._require(command.args["id"], command.at_ms)
        updated = replace(contact, modified_ms=command.at_ms, **command.args["fields"])
        if updated.type == "Ephemeral":
            updated = replace(updated, type="Identified")
        self.store.contact_put(updated)
        self._claim_fields(updated, command.at_ms)
        self._audit(command, contact.id)
        return {"id": contact.id}

    def _cmd_delete(self, command: Command) -> dict[str, Any]:
        contact = self._require(command.args["id"], command.at_ms)
        for identifier in self.store.identifiers_of(contact.id):
            self.store.identifier_delete(identifier.type, identifier.value)
        members = self.store.contact_members(contact.id)
        for member in members:
            self.store.contact_put(replace(member, canonical_id=None))
        self.store.relink_contact(contact.id, members[0].id if members else None)
        self.store.contact_delete(contact.id)
        self._audit(command, contact.id)
        return {"id": contact.id}

    def _claim_fields(self, contact: Contact, now_ms: int) -> None:
        for name in EMAIL_FIELDS + PHONE_FIELDS:
            value = getattr(contact, name)
            kind = "Email" if name in EMAIL_FIELDS else "Phone"
            if value and self.owner(kind, value, now_ms) is None:
                self.store.identifier_put(Identifier(kind, value, contact.id, True, now_ms))

    def _cmd_claim(self, command: Command) -> dict[str, Any]:
        contact = self._require(command.args["contactId"], command.at_ms)
        kind, value = command.args["type"], command.args["value"]
        previous = self.store.identifier_get(kind, value)
        self.store.identifier_put(Identifier(kind, value, contact.id, True, command.at_ms))
        if kind == "Cookie":
            self.store.relink_customer(value, contact.id, AGENT)
        if previous is not None and previous.contact_id != contact.id:
            self._clear_match(previous.contact_id, contact)
        self._audit(command, contact.id, previousOwner=previous.contact_id if previous else None)
        return {"id": contact.id}

    def _clear_match(self, old_owner_id: str, contact: Contact) -> None:
        old = self.store.contact_get(old_owner_id)
        if old is not None and old.unverified_match:
            self.store.contact_put(replace(old, unverified_match=None))

    def _cmd_release(self, command: Command) -> dict[str, Any]:
        contact = self._require(command.args["contactId"], command.at_ms)
        kind, value = command.args["type"], command.args["value"]
        found = self.store.identifier_get(kind, value)
        if found is None or found.contact_id != contact.id:
            raise NotFound(f"contact {contact.id} does not own {kind} {value}", field="identifier")
        self.store.identifier_delete(kind, value)
        self._audit(command, contact.id)
        return {"id": contact.id}

    def _cmd_verify_session(self, command: Command) -> dict[str, Any]:
        """An agent confirms who a session is: the session, and a web visitor's cookie, link."""
        contact = self._require(command.args["contactId"], command.at_ms)
        session_id = command.args["sessionId"]
        self.store.link_session(session_id, contact.id, AGENT)
        cookie = command.args.get("cookie")
        if cookie:
            previous = self.store.identifier_get("Cookie", cookie)
            self.store.identifier_put(Identifier("Cookie", cookie, contact.id, True, command.at_ms))
            self.store.relink_customer(cookie, contact.id, AGENT)
            if previous is not None and previous.contact_id != contact.id:
                self._clear_match(previous.contact_id, contact)
        self._audit(command, contact.id, sessionId=session_id)
        return {"id": contact.id, "sessionId": session_id}

    def _cmd_merge(self, command: Command) -> dict[str, Any]:
        ids: Sequence[str] = command.args["contactIds"]
        inputs = [self._require(i, command.at_ms) for i in ids]
        members: dict[str, Contact] = {}
        replaced: list[str] = []
        for contact in inputs:
            for member in self.merge_set(contact):
                if member.merged_from:  # an older canonical head is replaced by the new one
                    replaced.append(member.id)
                else:
                    members[member.id] = member
        override: dict[str, Any] = command.args.get("valueOverride") or {}
        values = {
            name: override.get(name)
            or next((getattr(c, name) for c in inputs if getattr(c, name)), None)
            for name in CONTACT_FIELDS
        }
        curated = any(c.type == "Curated" for c in members.values())
        head = Contact(
            id=command.args["id"],
            type="Curated" if curated else "Identified",
            created_ms=command.at_ms,
            modified_ms=command.at_ms,
            last_activity_ms=max(c.last_activity_ms for c in members.values()),
            merged_from=tuple(sorted(members)),
            **values,
        )
        self.store.contact_put(head)
        for member in members.values():
            self.store.contact_put(replace(member, canonical_id=head.id, unverified_match=None))
        for old_head in replaced:
            self.store.relink_contact(old_head, head.id)
            self.store.move_identifiers(old_head, head.id)
            self.store.contact_delete(old_head)
        self._audit(command, head.id, members=sorted(members))
        return {"id": head.id}

    def _cmd_unmerge(self, command: Command) -> dict[str, Any]:
        head = self._require(command.args["id"], command.at_ms)
        if not head.merged_from:
            raise InvalidInput(f"contact {head.id} is not the head of a merge", field="contactId")
        members = self.store.contact_members(head.id)
        for member in members:
            self.store.contact_put(replace(member, canonical_id=None))
        heir = members[0].id if members else None
        self.store.relink_contact(head.id, heir)
        moved = [i.value for i in self.store.identifiers_of(head.id)]
        if heir is not None:  # what was claimed on the merged contact goes to its first member
            self.store.move_identifiers(head.id, heir)
        self.store.contact_delete(head.id)
        self._audit(command, head.id, members=list(head.merged_from), movedIdentifiers=moved)
        return {"id": head.id, "contactIds": list(head.merged_from)}


def _with_identifier(contact: Contact, kind: str, value: str) -> Contact:
    """Fill the first empty email or phone field with a newly claimed identifier."""
    names = PREFERRED.get(kind, ())
    if any(getattr(contact, name) == value for name in names):
        return contact
    for name in names:
        if getattr(contact, name) is None:
            return replace(contact, **cast(dict[str, Any], {name: value}))
    return contact
