"""Identity questions the API asks, answered from the store with the rules of ``core.identity``.

Read-only: who a contact's merge set is, whether a contact is live, which contact a session
shows and why. Route handlers call these rather than repeat the rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Protocol

from journeyline.core import identity as rules
from journeyline.core import provenance
from journeyline.model.contact import Contact, Identifier, IdentityMatch
from journeyline.model.errors import NotFound
from journeyline.model.web import WebSession
from journeyline.store.base import AnySession, Store


class JourneyReader(Protocol):
    """What the questions about one session read: the store, or a page's ``ReadAhead``."""

    def session_link(self, session_id: str) -> tuple[str | None, int] | None: ...
    def contact_get(self, contact_id: str) -> Contact | None: ...
    def identifier_get(self, kind: str, value: str) -> Identifier | None: ...
    def identifiers_get(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], Identifier]: ...
    def web_session_at(self, customer_id: str, at_ms: int) -> str | None: ...


def live_contact(store: Store, contact_id: str, now_ms: int) -> Contact:
    """A contact that exists and has not expired; NotFound otherwise."""
    contact = rules.live(store.contact_get(contact_id), now_ms)
    if contact is None:
        raise NotFound(f"no external contact with id {contact_id}", field="contactId")
    return contact


def merge_set(store: Store, contact: Contact) -> list[Contact]:
    """The contact and those merged with it: its merge set's head first, then the members;
    the contact alone when it is in no merge set."""
    head_id = rules.merge_head_id(contact)
    if head_id is None:
        return [contact]
    head = contact if head_id == contact.id else store.contact_get(head_id)
    members = store.contact_members(head_id) if head is not None and head.merged_from else []
    return rules.merge_set(contact, head, members)


def merge_members(store: Store, contact: Contact) -> list[str]:
    """The members of the merge set a contact is in (not its head); none when it is in none."""
    head_id = rules.merge_head_id(contact)
    return [c.id for c in store.contact_members(head_id)] if head_id else []


def journey_contact_ids(store: Store, contact_id: str, *, include_merged: bool) -> list[str]:
    """The contacts whose sessions make up a contact's journey: itself, or with
    ``include_merged`` its whole merge set."""
    contact = store.contact_get(contact_id) if include_merged else None
    if contact is None:
        return [contact_id]
    return [c.id for c in merge_set(store, contact)]


def session_contact(store: JourneyReader, session_id: str) -> tuple[str | None, bool]:
    """The contact a session shows — the head of the merge set of the contact it is linked to
    — and whether the link is verified."""
    contact_id, level = store.session_link(session_id) or (None, rules.VERIFIED)
    verified = level > rules.UNVERIFIED
    if contact_id is None:
        return None, verified
    contact = store.contact_get(contact_id)
    return (rules.canonical_id(contact) if contact is not None else contact_id), verified


def customer_name(store: JourneyReader, contact_id: str | None) -> str | None:
    """The name a contact's cards show: its merge set's head's, or its own."""
    contact = store.contact_get(contact_id) if contact_id else None
    if contact is not None and contact.canonical_id:
        contact = store.contact_get(contact.canonical_id) or contact
    return contact.display_name if contact is not None else None


def identity_match(store: JourneyReader, session: AnySession) -> IdentityMatch | None:
    """Why a session shows the contact it shows (``core.provenance``), with the web session
    of the visitor who claimed the identifier it matched by, when a website claimed it."""
    contact_id, level = store.session_link(session.id) or (None, rules.VERIFIED)
    if contact_id is None:
        return None
    contact = store.contact_get(contact_id)
    contact_ids = {contact_id, rules.canonical_id(contact) if contact else contact_id}
    visitor = None
    if isinstance(session, WebSession):
        cookie = store.identifier_get("Cookie", session.customer_cookie_id)
        visitor = store.contact_get(cookie.contact_id) if cookie else None
    keys = provenance.candidates(session, level, visitor)
    found = store.identifiers_get(keys) if keys else {}
    match = provenance.explain(session, level, contact_ids, found, visitor)
    if match is None or match.claimed_by is None or match.claimed_ms is None:
        return match
    claimed_in = store.web_session_at(match.claimed_by, match.claimed_ms)
    return replace(match, claimed_session_id=claimed_in)
