"""Recognition: who a cookie, a caller or a chat is, from what the traffic itself says.

The rules for web visitors (:func:`visitor`) and conversations (:func:`conversation`,
:func:`refresh`), on the shared state, draft and decision of ``core.identity`` (see its
docstring for the whole of identity). Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from journeyline.core.identity import (
    FIRST_NAME_TRAITS,
    LAST_NAME_TRAITS,
    NO_MATCH,
    ConversationLink,
    Decision,
    Draft,
    IdentityState,
    Key,
    VisitorLink,
    canonical_id,
    conversation_keys,
    cookie_contact_id,
    expired,
    first_of,
    identifies,
    live,
    named_id,
    pii_of,
    refreshes,
    with_identifier,
)
from journeyline.model.contact import (
    CONTACT_CENTRE,
    CONVERSATION_CLAIM,
    WEB_CLAIM,
    WEB_COOKIE,
    Contact,
    Identifier,
)
from journeyline.model.record import replace
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebEvent

# -- web visitors -----------------------------------------------------------------------------


def visitor(
    state: IdentityState, events: Sequence[WebEvent], *, cookie_seen: bool = False
) -> tuple[Decision, VisitorLink]:
    """The contact a visitor is, from one visitor's new events (arrival order).

    State: the cookie's identifier and its contact, the cookie's own contact
    (:func:`cookie_contact_id`), the identifiers of an expired contact owning the cookie, and
    the identifiers :func:`pii_of` the events bring with their contacts. ``cookie_seen``: the
    cookie has sessions of the events' kind already (only consulted when no contact owns it).
    The contact is written once, and only when it changed; its dates are the minimum and
    maximum over the events, so arrival order is moot.
    """
    first = events[0]
    now = first.created_ms
    cookie = first.customer_cookie_id
    own_id = cookie_contact_id(cookie)
    draft = Draft(state, now)
    found = draft.identifier(("Cookie", cookie))
    holder = draft.contact(found.contact_id) if found else None
    if holder is not None and expired(holder, now):
        if holder.id == own_id:  # 60 days unseen: the cookie starts afresh
            for identifier in draft.identifiers_of(own_id):
                draft.release(identifier)
        holder = None
    # nobody owns the cookie (an agent released it, or the contact it was moved to is gone):
    # its own contact, when it still lives, takes it back as it is — names, merge and all
    own_contact = live(draft.contact(own_id), now) if holder is None else None
    contact = holder or own_contact or Contact(own_id, "Ephemeral", now, now, now)
    earliest = min(e.created_ms for e in events)
    own = contact.id == own_id
    created = min(contact.created_ms, earliest) if own else contact.created_ms
    modified = (
        min(contact.modified_ms, earliest)
        if own and contact.type == "Ephemeral"
        else contact.modified_ms
    )
    latest = max(contact.last_activity_ms, *(e.created_ms for e in events))
    if (created, modified, latest) != (
        contact.created_ms,
        contact.modified_ms,
        contact.last_activity_ms,
    ):
        contact = replace(
            contact, created_ms=created, modified_ms=modified, last_activity_ms=latest
        )
    claims: dict[Key, Identifier] = {}
    # a match made from PII alone never overrides an agent: a cookie on another contact than its
    # own is there because an agent put it there (claim, verify), and a curated contact is theirs
    may_match = own and contact.type != "Curated"
    for event in sorted(events, key=_time_order):  # in time order, whatever the arrival's
        if identifies(event):
            contact = _observe(draft, contact, event, claims, may_match=may_match)
    match = contact.unverified_match
    if match is not None and draft.contact(match) is None:  # expired but there, it stands
        contact = replace(contact, **NO_MATCH)  # the contact it matched is gone (deleted)
    if contact != holder:
        draft.put_contact(contact)
    if holder is None:
        draft.claim(Identifier("Cookie", cookie, own_id, True, earliest, WEB_COOKIE))
    elif (
        found is not None
        and found.contact_id == own_id
        and found.source == WEB_COOKIE  # an agent's claim keeps the agent's date
        and earliest < found.created_ms
    ):
        # the cookie's own claim dates from its earliest event, whatever order they came in
        draft.redate(replace(found, created_ms=earliest))
    for identifier in claims.values():
        draft.claim(identifier)
    link = VisitorLink(
        contact.unverified_match or contact.id,
        contact.unverified_match is None,
        found is None and not cookie_seen,
    )
    return draft.decision(), link


def _time_order(event: WebEvent) -> tuple[int, str]:
    return event.created_ms, event.key


def _observe(
    draft: Draft,
    contact: Contact,
    event: WebEvent,
    claims: dict[Key, Identifier],
    *,
    may_match: bool = True,
) -> Contact:
    """An identifying event's effect on its visitor's contact: identifiers, names, and — when
    ``may_match`` — a match to another contact that owns what the event names.

    An event earlier than the ones already applied (it came late) takes their place where
    the first one decides — on the visitor's own contact (``may_match``): the claim this
    cookie made of what it names is dated by it, and made through its deployment; the match it
    makes replaces a later one; the contact was identified then.
    So a visitor's events give the same contact in any arrival order (names excepted: the
    first to arrive fills an empty name)."""
    now = event.created_ms
    traits = {name: attr.value for name, attr in event.traits.items()}
    pii = pii_of(event)
    for key in pii:
        if key in claims:
            continue  # claimed by this visitor a moment ago
        owner = draft.owner(key, now)
        if owner is not None and owner.id == contact.id:
            held = draft.identifier(key)
            if (
                may_match
                and held is not None
                and held.source == WEB_CLAIM
                and not held.verified
                and held.claimed_by == event.customer_cookie_id
                and now < held.created_ms
            ):
                draft.redate(replace(held, created_ms=now, deployment_id=event.deployment_id))
            continue
        if owner is None:
            claims[key] = Identifier(
                key[0],
                key[1],
                contact.id,
                False,
                now,
                WEB_CLAIM,
                claimed_by=event.customer_cookie_id,
                deployment_id=event.deployment_id,
            )
            contact = with_identifier(contact, *key)
        elif (
            may_match
            and canonical_id(owner) != canonical_id(contact)
            and (contact.unverified_match is None or now < (contact.unverified_match_ms or now))
        ):
            contact = replace(
                contact,
                unverified_match=owner.id,
                unverified_match_by=key,
                unverified_match_ms=now,
                unverified_match_deployment=event.deployment_id,
            )
    first, last = first_of(traits, FIRST_NAME_TRAITS), first_of(traits, LAST_NAME_TRAITS)
    names = first or last
    contact = replace(
        contact, first_name=contact.first_name or first, last_name=contact.last_name or last
    )
    if contact.type == "Ephemeral" and (pii or contact.first_name or contact.last_name):
        contact = replace(contact, type="Identified", modified_ms=now, identified_ms=now)
    elif may_match and (pii or names) and now < (contact.identified_ms or now):
        unchanged = contact.modified_ms == contact.identified_ms  # since it was identified
        contact = replace(
            contact,
            modified_ms=now if unchanged else contact.modified_ms,
            identified_ms=now,
        )
    return contact


# -- conversations ----------------------------------------------------------------------------


def conversation(
    state: IdentityState, session: ConversationSession
) -> tuple[Decision, ConversationLink]:
    """A conversation's contact: the one the contact centre names (verified), else its
    journey context's visitor (verified: the visitor's own browser started it), else the
    owner of the caller's number or the chat's email — *unverified* (a match from PII alone)
    unless the owner is the contact made from that number; a number or an address nobody
    owns gets a contact of its own, made from it. Only a number is proof (the network
    delivered it, as a cookie is the browser's own): an address a chat, a message or an email
    came from was typed by whoever wrote, so a link by one is never verified, even to the
    contact made from it, and its identifier is a :data:`CONVERSATION_CLAIM`. State: the
    identifiers :func:`conversation_keys` names with their contacts, and the contact a new
    number or address would make (when nobody live owns it).
    """
    now = session.created_ms
    draft = Draft(state, now)
    if session.external_contact_id:
        return draft.decision(), ConversationLink(session.external_contact_id, True)
    cookie, address = conversation_keys(session)
    if cookie is not None:
        visitor_contact = draft.owner(cookie, now)
        if visitor_contact is not None:
            return draft.decision(), ConversationLink(visitor_contact.id, True)
    if address is None:
        return draft.decision(), ConversationLink(None, False)
    kind, value = address
    delivered = kind == "Phone"  # by the network; an address is what the customer typed
    owner = draft.owner(address, now)
    if owner is not None:
        own = owner.origin == "conversation"
        return draft.decision(), ConversationLink(owner.id, delivered and own)
    made = Contact(
        conversation_contact_id(address), "Identified", now, now, now, origin="conversation"
    )
    contact = with_identifier(made, kind, value)
    draft.put_contact(contact)
    source = CONTACT_CENTRE if delivered else CONVERSATION_CLAIM
    draft.claim(Identifier(kind, value, contact.id, delivered, now, source))
    return draft.decision(), ConversationLink(contact.id, delivered)


def conversation_contact_id(address: Key) -> str:
    """The id of the contact a number or an email nobody owns makes."""
    return named_id(address[0].lower(), address[1])


def refresh(state: IdentityState, contact_id: str, activity: tuple[int, int] | None) -> Decision:
    """Re-date a contact made from conversations from the sessions linked to it (``activity``:
    their first start and last activity); drop it when none is left (a conversation seen
    half-way may have named the wrong number). Its identifiers take its new creation date.
    State: the contact, and its identifiers when :func:`refresh_touches_identifiers`."""
    contact = state.contact(contact_id)
    if contact is None or not refreshes(contact):
        return Decision()
    draft = Draft(state, contact.last_activity_ms)
    if activity is None:
        for identifier in draft.identifiers_of(contact.id):
            draft.release(identifier)
        draft.delete_contact(contact.id)
        return draft.decision()
    first, last = activity
    draft.put_contact(replace(contact, created_ms=first, modified_ms=first, last_activity_ms=last))
    if first != contact.created_ms:
        for identifier in draft.identifiers_of(contact.id):
            draft.redate(replace(identifier, created_ms=first))
    return draft.decision()


def expire(state: IdentityState, contact_ids: Sequence[str], now_ms: int) -> Decision:
    """The clock's tick removes contacts that expired (``core.identity.expiry_ms``: 60 days
    without activity, never a curated contact or a merged head) and are in no merge set: each
    goes with its identifiers, which are anyone's to claim again. Its sessions stay linked to
    its id, so a returning cookie's fresh contact (the same id) finds them again, as it would
    have before the removal. State: the contacts and their identifiers."""
    draft = Draft(state, now_ms)
    for contact_id in contact_ids:
        contact = draft.contact(contact_id)
        if contact is None or contact.canonical_id or not expired(contact, now_ms):
            continue
        for identifier in draft.identifiers_of(contact_id):
            draft.release(identifier)
        draft.delete_contact(contact_id)
    return draft.decision()
