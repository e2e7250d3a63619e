"""Session read routes: a session, its card, its events; sessions by conversation or contact."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from journeyline.api import wire
from journeyline.api.errors import json_response
from journeyline.api.services import Services, int_param, services
from journeyline.core.card import card_for
from journeyline.errors import InvalidInput, NotFound
from journeyline.model.session import ConversationSession
from journeyline.store.base import Page

MAX_PAGE = 200
EVENT_TYPES = {"ConversationEvent"}
EVENT_NAMES = ("routed", "connected", "ended")


def _session(svc: Services, request: Request) -> ConversationSession:
    session_id = request.path_params["sessionId"]
    found = svc.store.get_session(session_id)
    if found is None:
        raise NotFound(f"no session with id {session_id}", field="sessionId")
    return found


async def get_session(request: Request) -> Response:
    svc = services(request)
    svc.auth.require(request, "journey:read")
    return json_response(wire.session(_session(svc, request), now_ms=svc.clock()))


def name_of(svc: Services) -> wire.NameLookup:
    return wire.NameLookup(svc.store)


async def get_card(request: Request) -> Response:
    svc = services(request)
    svc.auth.require(request, "journey:read")
    session = _session(svc, request)
    card = card_for(
        session,
        now_ms=svc.clock(),
        acw_grace_ms=svc.settings.acw_grace_seconds * 1000,
        name_of=name_of(svc),
    )
    return json_response(wire.card(card))


def _next_uri(path: str, params: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return f"{path}?{urlencode({**params, 'after': cursor})}"


def _self_uri(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def get_session_events(request: Request) -> Response:
    svc = services(request)
    svc.auth.require(request, "journey:read")
    session = _session(svc, request)
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)
    names: tuple[str, ...] = ()
    event_type = request.query_params.get("eventType")
    if event_type:
        wanted = {t.strip() for t in event_type.split(",") if t.strip()}
        unknown = wanted - EVENT_TYPES - set(EVENT_NAMES)
        if unknown:
            known = ", ".join(sorted(EVENT_TYPES | set(EVENT_NAMES)))
            raise InvalidInput(
                f"unknown eventType {', '.join(sorted(unknown))} (known: {known})",
                field="eventType",
            )
        if not wanted & EVENT_TYPES:
            names = tuple(n for n in EVENT_NAMES if n in wanted)
    page = svc.store.session_events(
        session.id, after=request.query_params.get("after"), page_size=page_size, names=names
    )
    lookup = wire.NameLookup(svc.store)
    names_by_id = lookup.resolve(wire.name_keys(page.items))
    params = {"pageSize": str(page_size)}
    if event_type:
        params["eventType"] = event_type
    return json_response(
        {
            "entities": [wire.event(e, session, names_by_id) for e in page.items],
            "nextUri": _next_uri(request.url.path, params, page.next_cursor),
            "selfUri": _self_uri(request),
        }
    )


async def list_sessions(request: Request) -> Response:
    """``GET /api/v2/journey/sessions`` (our extension): newest first, or one conversation's."""
    svc = services(request)
    svc.auth.require(request, "journey:read")
    now = svc.clock()
    conversation_id = request.query_params.get("conversationId")
    if conversation_id is not None:
        found = svc.store.sessions_for_conversation(conversation_id)
        return json_response(
            {
                "entities": [wire.session(s, now_ms=now) for s in found],
                "selfUri": _self_uri(request),
            }
        )
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)
    page = svc.store.recent_sessions(after=request.query_params.get("after"), page_size=page_size)
    return _session_listing(request, page, page_size)


def _session_listing(request: Request, page: Page[ConversationSession], page_size: int) -> Response:
    now = services(request).clock()
    return json_response(
        {
            "entities": [wire.session(s, now_ms=now) for s in page.items],
            "nextUri": _next_uri(request.url.path, {"pageSize": str(page_size)}, page.next_cursor),
            "selfUri": _self_uri(request),
        }
    )


async def contact_sessions(request: Request) -> Response:
    svc = services(request)
    svc.auth.require(request, "journey:read")
    contact_id = request.path_params["contactId"]
    page_size = int_param(request, "pageSize", 25, low=1, high=MAX_PAGE)
    page = svc.store.sessions_for_contact(
        contact_id, after=request.query_params.get("after"), page_size=page_size
    )
    return _session_listing(request, page, page_size)
