"""Identity questions the API asks, answered from the store with the rules of ``core.identity``.

Read-only: who a contact's merge set is, whether a contact is live, which contact a session
shows. Route handlers call these rather than repeat the rules.
"""

from __future__ import annotations

from journeyline.core import identity as rules
from journeyline.model.contact import Contact
from journeyline.model.errors import NotFound
from journeyline.store.base import Store


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


def session_contact(store: Store, session_id: str) -> tuple[str | None, bool]:
    """The contact a session shows — the head of the merge set of the contact it is linked to
    — and whether the link is verified."""
    contact_id, level = store.session_link(session_id) or (None, rules.VERIFIED)
    verified = level > rules.UNVERIFIED
    if contact_id is None:
        return None, verified
    contact = store.contact_get(contact_id)
    return (rules.canonical_id(contact) if contact is not None else contact_id), verified


def customer_name(store: Store, contact_id: str | None) -> str | None:
    """The name a contact's cards show: its merge set's head's, or its own."""
    contact = store.contact_get(contact_id) if contact_id else None
    if contact is not None and contact.canonical_id:
        contact = store.contact_get(contact.canonical_id) or contact
    return contact.display_name if contact is not None else None
