"""What the desktop's pages read: a person found by what an agent types, their journey (session
cards and maps), and what is live now. Reads only, through the same helpers as the API, so the
desktop shows what the API shows and works with any store. Each takes the store first: a page
runs it with ``await svc.read(fn, ...)``, off the event loop.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from journeyline.api.services import Services
from journeyline.api.sessions import journey_page, session_card
from journeyline.core import identity as rules
from journeyline.desktop.views import (
    CardView,
    MapItem,
    NowView,
    card_view,
    map_item,
    match_view,
    now_view,
)
from journeyline.engine import queries
from journeyline.engine.reads import ReadAhead
from journeyline.ingest.identifiers import normalise_email, normalise_phone
from journeyline.model.contact import Contact, Identifier
from journeyline.model.errors import InvalidInput
from journeyline.model.session import ConversationSession
from journeyline.store.base import AnySession, Store

#: Sessions of one person shown at once (older ones a page further).
JOURNEY_PAGE = 200
#: Events of one session's map shown at once.
MAP_PAGE = 200
#: People a name search lists at most.
SEARCH_LIMIT = 50
_PHONE = re.compile(r"[+\d][\d\s().-]{4,}")


#: Customer names by contact id, as looked up (``queries.customer_name``).
Names = dict[str | None, str | None]


def card_of(
    reads: Store | ReadAhead,
    svc: Services,
    session: AnySession,
    now_ms: int,
    names: Names | None = None,
) -> CardView:
    """The card of a session as the desktop shows it; ``reads``: the page's reads loaded
    ahead (``engine.reads``), or the store; ``names``: the customer names already looked up,
    by contact (a journey's cards mostly share one)."""
    contact_id, verified = queries.session_contact(reads, session.id)
    known: Names = {} if names is None else names
    if contact_id not in known:
        known[contact_id] = queries.customer_name(reads, contact_id)
    name = known[contact_id]
    match = None
    if contact_id is not None and not verified:  # say why it shows them
        found = queries.identity_match(reads, session)
        if found is not None:
            site = found.deployment_id
            through = reads.deployment_get(site) if site else None
            match = match_view(found, through.name if through else None)
    return card_view(
        session,
        session_card(svc, reads, session, now_ms, customer_name=name),
        contact_id=contact_id,
        verified=verified,
        customer_name=name,
        match=match,
    )


# -- finding a person --------------------------------------------------------------------------


def _by_identifier(store: Store, kind: str, value: str, now_ms: int) -> list[Contact]:
    found = store.identifier_get(kind, value)
    contact = store.contact_get(found.contact_id) if found else None
    return _heads(store, [contact] if contact else [], now_ms)


def _heads(store: Store, contacts: list[Contact], now_ms: int) -> list[Contact]:
    """The live heads of the merge sets these contacts are in, each once, in order."""
    seen: dict[str, Contact] = {}
    for contact in contacts:
        head_id = rules.canonical_id(contact)
        head = contact if head_id == contact.id else store.contact_get(head_id)
        head = rules.live(head, now_ms)
        if head is not None and head.id not in seen:
            seen[head.id] = head
    return list(seen.values())


def _phones(text: str, region: str | None) -> list[str]:
    """The E.164 numbers ``text`` may be (as typed, then with a leading ``+``)."""
    tries = [(text, region)] + ([("+" + text.strip(), None)] if not text.startswith("+") else [])
    numbers: list[str] = []
    for value, in_region in tries:
        try:
            numbers.append(normalise_phone(value, region=in_region))
        except InvalidInput:
            continue
    return list(dict.fromkeys(numbers))


def find_people(store: Store, svc: Services, text: str, now_ms: int) -> list[Contact]:
    """People matching what an agent typed: an email, a phone number in any format, a visitor
    (cookie) id, a contact id, or part of a name."""
    text = text.strip()[:256]
    if not text:
        return []
    if "@" in text:
        try:
            return _by_identifier(store, "Email", normalise_email(text), now_ms)
        except InvalidInput:
            return []
    digits = unicodedata.normalize("NFKC", text)  # full-width digits, as ingest folds them
    if _PHONE.fullmatch(digits):
        region = svc.settings.phone_region
        for number in _phones(digits, region.upper() if region else None):
            found = _by_identifier(store, "Phone", number, now_ms)
            if found:
                return found
    for kind in ("Cookie", "ExternalId"):
        found = _by_identifier(store, kind, text, now_ms)
        if found:
            return found
    direct = store.contact_get(text)
    if direct is not None:
        return _heads(store, [direct], now_ms)
    return _heads(store, store.contacts_search(text, limit=SEARCH_LIMIT), now_ms)


# -- a person's journey ------------------------------------------------------------------------


def head_of(store: Store, contact_id: str, now_ms: int) -> str:
    """The head of the merge set a live contact is in (itself when in none); NotFound for a
    contact that does not exist or has expired."""
    contact = queries.live_contact(store, contact_id, now_ms)
    heads = _heads(store, [contact], now_ms)
    return heads[0].id if heads else contact.id


@dataclass(frozen=True, slots=True)
class Person:
    contact: Contact
    members: tuple[Contact, ...]  # merged into it (a merge set's head), none otherwise
    identifiers: tuple[Identifier, ...]
    cards: tuple[CardView, ...]  # newest first
    older: str | None  # the cursor of older sessions


def person(
    store: Store, svc: Services, contact_id: str, now_ms: int, after: str | None = None
) -> Person:
    contact = queries.live_contact(store, contact_id, now_ms)
    members = tuple(c for c in queries.merge_set(store, contact) if c.id != contact.id)
    ids = [contact.id, *(m.id for m in members)]
    page = store.recent_sessions(after=after, page_size=JOURNEY_PAGE, contact_ids=ids)
    identifiers = [i for one in ids for i in store.identifiers_of(one)]
    names: Names = {}
    reads = ReadAhead(store, page.items, names=True)
    return Person(
        contact=contact,
        members=members,
        identifiers=tuple(sorted(identifiers, key=lambda i: (i.type, i.value))),
        cards=tuple(card_of(reads, svc, s, now_ms, names) for s in page.items),
        older=page.next_cursor,
    )


def journey_map(store: Store, session_id: str) -> tuple[list[MapItem], str | None]:
    docs, cursor = journey_page(store, session_id, after=None, page_size=MAP_PAGE, event_type=None)
    return [map_item(doc) for doc in docs], cursor


# -- now ---------------------------------------------------------------------------------------

#: Live sessions the Now view looks at, at most.
NOW_LIMIT = 1000


def now(store: Store, svc: Services, now_ms: int) -> NowView:
    since = now_ms - svc.settings.web_session_timeout_seconds * 1000
    cards: list[tuple[CardView, int]] = []
    for session in store.sessions_live(since_ms=since, limit=NOW_LIMIT):
        waited = 0
        if isinstance(session, ConversationSession) and session.phase == "waiting":
            waited = max(now_ms - session.latest_ms, 0) // 1000
        cards.append((card_of(store, svc, session, now_ms), waited))
    return now_view(cards)
