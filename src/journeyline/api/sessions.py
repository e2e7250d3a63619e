"""Session reads: a session, its card, its events; listings; an agent's verification of a session.

Conversation, web and app sessions share these routes, as they share the Genesys Session shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from journeyline.api import wire, wire_rules, wire_web
from journeyline.api.contract import AFTER, INCLUDE_MERGED, Operation, Param, declare, page_size
from journeyline.api.errors import json_response
from journeyline.api.services import Services, caller, int_param, one_param, read_body, services
from journeyline.api.shapes import (
    EventListing,
    Session,
    SessionCard,
    SessionListing,
    WebSessionCard,
)
from journeyline.api.wire_rules import RULE_EVENT_TYPES
from journeyline.core.card import card_for, web_card_for
from journeyline.core.websession import web_event_id
from journeyline.engine import queries
from journeyline.engine.reads import ReadAhead
from journeyline.model.card import Card, WebCard
from journeyline.model.commands import VerifySession
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession
from journeyline.store import codec
from journeyline.store.base import AnySession, Page, Store

MAX_PAGE = 200
CONVERSATION_NAMES = ("routed", "connected", "ended")
READ = "journey:read"


def load(store: Store, session_id: str) -> AnySession:
    found: AnySession | None = store.get_session(session_id)
    if found is None:
        found = store.web_session_get(session_id)
    if found is None:
        raise NotFound(f"no session with id {session_id}", field="sessionId")
    return found


def identity_fields(reads: Store | ReadAhead, s: AnySession) -> wire.Json:
    """Our ``identityMatch`` of a session linked to someone: why it shows them; ``reads``:
    the page's reads loaded ahead, or the store, as for the others here."""
    match = wire_web.identity_match(queries.identity_match(reads, s))
    return {"identityMatch": match} if match else {}


def session_json(svc: Services, reads: Store | ReadAhead, s: AnySession, now_ms: int) -> wire.Json:
    """The Genesys Session of ``s``: read in a ``svc.read`` (off the loop)."""
    link = queries.session_contact(reads, s.id)
    rules = {**identity_fields(reads, s), **wire_rules.session_rules(reads, s.id)}
    if isinstance(s, ConversationSession):
        return {**wire.session(s, now_ms=now_ms, link=link), **rules}
    shown = wire_web.web_session(
        s,
        now_ms=now_ms,
        contact_id=link[0],
        verified=link[1],
        timeout_ms=svc.settings.web_session_timeout_seconds * 1000,
    )
    return {**shown, **rules}


@declare(Operation("GET", "A session: conversation, web or app", {200: Session}, READ))
async def get_session(request: Request) -> Response:
    svc = services(request)
    return json_response(await svc.read(_session_doc, svc, request.path_params["sessionId"]))


def _session_doc(store: Store, svc: Services, session_id: str) -> wire.Json:
    return session_json(svc, store, load(store, session_id), svc.clock())


def session_card(
    svc: Services,
    reads: Store | ReadAhead,
    session: AnySession,
    now_ms: int,
    *,
    customer_name: str | None,
) -> Card | WebCard:
    """The session's card at ``now_ms``, names from the directory; ``customer_name``: the
    name of the contact the session shows (a web card carries it)."""
    if isinstance(session, WebSession):
        return web_card_for(
            session,
            now_ms=now_ms,
            timeout_ms=svc.settings.web_session_timeout_seconds * 1000,
            customer_name=customer_name,
        )
    return card_for(
        session,
        now_ms=now_ms,
        acw_grace_ms=svc.settings.acw_grace_seconds * 1000,
        name_of=wire.NameLookup(reads),
    )


@declare(
    Operation(
        "GET",
        "The session's card (docs/cards.md)",
        {200: (SessionCard, WebSessionCard)},
        READ,
        extension=True,
    )
)
async def get_card(request: Request) -> Response:
    svc = services(request)
    return json_response(await svc.read(_card_doc, svc, request.path_params["sessionId"]))


def _card_doc(store: Store, svc: Services, session_id: str) -> wire.Json:
    session = load(store, session_id)
    contact_id, verified = queries.session_contact(store, session.id)
    name = queries.customer_name(store, contact_id)
    card = session_card(svc, store, session, svc.clock(), customer_name=name)
    linked = {"customerNameVerified": verified, **identity_fields(store, session)}
    if contact_id is None:
        linked = {}
    if isinstance(card, WebCard):
        doc = wire_web.record(card) or {}
        doc["durationInSeconds"] = doc.pop("durationSeconds")
        doc.setdefault("searchTerms", [])
        return {**doc, **linked}
    return {**wire.card(card, name), **linked}


def _next_uri(path: str, params: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return f"{path}?{urlencode({**params, 'after': cursor})}"


def _self_uri(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _event_filter(
    event_type: str | None, session: AnySession
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """What to list of the session's own events and of its rule events: event names (own)
    or event types (rules) to keep, ``()`` for all, ``None`` when the filter excludes them."""
    if not event_type:
        return (), ()
    wanted = {t.strip() for t in event_type.split(",") if t.strip()}
    if not wanted:
        raise InvalidInput("eventType names no event type", field="eventType")
    own = (
        ("ConversationEvent", *CONVERSATION_NAMES)
        if isinstance(session, ConversationSession)
        else ("AppEvent",)
        if session.type == "app"
        else ("WebEvent",)
    )
    known = {"ConversationEvent", "WebEvent", "AppEvent", *CONVERSATION_NAMES, *RULE_EVENT_TYPES}
    unknown = wanted - known
    if unknown:
        raise InvalidInput(
            f"unknown eventType {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})",
            field="eventType",
        )
    rules = tuple(t for t in RULE_EVENT_TYPES if t in wanted) or None
    if wanted & {own[0]}:
        return (), rules
    names = tuple(n for n in own[1:] if n in wanted)
    return names or None, rules


def journey_page(
    store: Store, session_id: str, *, after: str | None, page_size: int, event_type: str | None
) -> tuple[list[wire.Json], str | None]:
    """A page of the session's journey, oldest first: its own events (conversation, web or
    app) merged with the events definitions added (segment assignments, outcomes, web
    actions), one cursor over both (they share the ``(created, id)`` order). Returns the
    events and the cursor of the next page (None on the last)."""
    session = load(store, session_id)
    names, rule_types = _event_filter(event_type, session)
    items: list[tuple[int, str, wire.Json]] = []
    more = False
    if names is not None and isinstance(session, ConversationSession):
        page = store.session_events(session.id, after=after, page_size=page_size, names=names)
        names_by_id = wire.NameLookup(store).resolve(wire.name_keys(page.items))
        items += [(e.created_ms, e.id, wire.event(e, session, names_by_id)) for e in page.items]
        more = page.next_cursor is not None
    elif names is not None:
        web_page = store.web_events_page(session.id, after=after, page_size=page_size, names=())
        items += [
            (e.created_ms, web_event_id(e.key), wire_web.web_event(e, session.id))
            for e in web_page.items
        ]
        more = web_page.next_cursor is not None
    if rule_types is not None:
        rule_page = store.journey_events_page(
            session.id, after=after, page_size=page_size, types=rule_types
        )
        items += [(r.created_ms, r.id, wire_rules.rule_event(r, session)) for r in rule_page.items]
        more = more or rule_page.next_cursor is not None
    items.sort(key=lambda item: (item[0], item[1]))
    more = more or len(items) > page_size
    items = items[:page_size]
    cursor = codec.make_cursor(items[-1][0], items[-1][1]) if more and items else None
    return [item[2] for item in items], cursor


@declare(
    Operation(
        "GET",
        "The session's journey events, oldest first (EventListing)",
        {200: EventListing},
        READ,
        params=(
            page_size(MAX_PAGE),
            AFTER,
            Param(
                "eventType",
                str,
                "comma-separated: ConversationEvent or its names routed, connected, ended; "
                "WebEvent, AppEvent; SegmentAssignmentEvent, OutcomeAchievedEvent, "
                "WebActionEvent",
            ),
        ),
    )
)
async def get_session_events(request: Request) -> Response:
    """``GET /api/v2/journey/sessions/{sessionId}/events``: :func:`journey_page` by cursor."""
    svc = services(request)
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)
    event_type = one_param(request, "eventType")
    after = one_param(request, "after")
    params = {"pageSize": str(page_size)}
    if event_type:
        params["eventType"] = event_type
    entities, cursor = await svc.read(
        lambda store: journey_page(
            store,
            request.path_params["sessionId"],
            after=after,
            page_size=page_size,
            event_type=event_type,
        )
    )
    return json_response(
        {
            "entities": entities,
            "nextUri": _next_uri(request.url.path, params, cursor),
            "selfUri": _self_uri(request),
        }
    )


@declare(
    Operation(
        "GET",
        "Sessions, newest first; or one conversation's",
        {200: SessionListing},
        READ,
        params=(
            page_size(MAX_PAGE),
            AFTER,
            Param("conversationId", str, "only that conversation's session (no paging)"),
        ),
        extension=True,
    )
)
async def list_sessions(request: Request) -> Response:
    """``GET /api/v2/journey/sessions`` (our extension): newest first, or one conversation's."""
    svc = services(request)
    now = svc.clock()
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)  # checked either way
    conversation_id = one_param(request, "conversationId")
    if conversation_id is not None:

        def conversation(store: Store) -> list[wire.Json]:
            found = store.sessions_for_conversation(conversation_id)
            return _docs(svc, store, found, now)

        entities = await svc.read(conversation)
        return json_response({"entities": entities, "selfUri": _self_uri(request)})
    after = one_param(request, "after")
    return await _session_listing(
        request, page_size, lambda store: store.recent_sessions(after=after, page_size=page_size)
    )


def _docs(svc: Services, store: Store, found: Sequence[AnySession], now: int) -> list[wire.Json]:
    """The sessions' docs, what they show read ahead for them all."""
    reads = ReadAhead(store, found, names=False)
    return [session_json(svc, reads, s, now) for s in found]


async def _session_listing(
    request: Request, page_size: int, listed: Callable[[Store], Page[AnySession]]
) -> Response:
    """A listing of the page ``listed`` reads, with its cursor."""
    svc = services(request)
    now = svc.clock()
    params = {"pageSize": str(page_size)}
    if include_merged := one_param(request, "includeMerged"):
        params["includeMerged"] = include_merged

    def read(store: Store) -> tuple[list[wire.Json], str | None]:
        page = listed(store)
        return _docs(svc, store, page.items, now), page.next_cursor

    entities, cursor = await svc.read(read)
    return json_response(
        {
            "entities": entities,
            "nextUri": _next_uri(request.url.path, params, cursor),
            "selfUri": _self_uri(request),
        }
    )


@declare(
    Operation(
        "GET",
        "A contact's sessions, newest first (SessionListing)",
        {200: SessionListing},
        READ,
        params=(page_size(MAX_PAGE), AFTER, INCLUDE_MERGED),
    )
)
async def contact_sessions(request: Request) -> Response:
    """A contact's journey, newest first; ``includeMerged=true`` takes in its whole merge set."""
    contact_id = request.path_params["contactId"]
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)
    include_merged = (one_param(request, "includeMerged") or "false").lower()
    if include_merged not in ("true", "false"):
        raise InvalidInput("includeMerged must be true or false", field="includeMerged")
    after = one_param(request, "after")

    def listed(store: Store) -> Page[AnySession]:
        ids = queries.journey_contact_ids(
            store, contact_id, include_merged=include_merged == "true"
        )
        return store.recent_sessions(after=after, page_size=page_size, contact_ids=ids)

    return await _session_listing(request, page_size, listed)


class SessionContact(msgspec.Struct):
    """The contact an agent verifies a session to be."""

    id: str


@declare(
    Operation(
        "PUT",
        "An agent verifies who a session is",
        {200: Session},
        "contacts:write",
        body=SessionContact,
        extension=True,
    )
)
async def verify_session(request: Request) -> Response:
    """``PUT /api/v2/journey/sessions/{sessionId}/externalcontact`` (our extension).

    An agent confirms who the session is: ``{"id": contactId}``. The session is linked, verified;
    for a web session the visitor's cookie is claimed by the contact, so their other sessions
    follow. Audited.
    """
    svc = services(request)
    principal = caller(request)
    session = await svc.read(load, request.path_params["sessionId"])
    try:
        body = msgspec.json.decode(await read_body(request, 64 * 1024), type=SessionContact)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f'body must be {{"id": contactId}}: {exc}', field="id") from exc
    cookie = session.customer_cookie_id if isinstance(session, WebSession) else None
    await svc.run_command(
        VerifySession(
            actor=principal.client_id,
            at_ms=svc.clock(),
            contact_id=body.id,
            session_id=session.id,
            cookie=cookie,
        )
    )
    return json_response(await svc.read(_session_doc, svc, session.id))
