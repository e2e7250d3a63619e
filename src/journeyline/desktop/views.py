"""What the desktop's templates show: session cards, journey map items and the Now view, made
from the engine's records. Pure: no store, no request; the pages gather, these shape.

Text that journeyline itself writes (card titles and statuses, event labels) is marked with
``N_`` so that Babel extracts it and the templates translate it by key; anything that came from
data (a wrap-up code's name, a page title, a search) is shown as it is, escaped, and is never
passed through a translation (which would mark it safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from journeyline.model.card import Card, WebCard
from journeyline.model.contact import IdentityMatch
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession
from journeyline.store.base import AnySession


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    return message


#: What the engine writes on cards, to translate; a status not in here is a wrap-up code's name.
CARD_TEXT = frozenset(
    {
        N_("Inbound call"),
        N_("Outbound call"),
        N_("Web chat"),
        N_("Web messaging"),
        N_("Proactive web chat"),
        N_("Proactive web messaging"),
        N_("Conversation"),
        N_("Web session"),
        N_("App session"),
        N_("Waiting"),
        N_("Connected"),
        N_("Dialing"),
        N_("In IVR"),
        N_("In bot"),
        N_("Started"),
        N_("Ended in bot"),
        N_("Ended in IVR"),
        N_("Voicemail"),
        N_("Ended by customer"),
        N_("Not answered"),
        N_("After-call work"),
        N_("Ended by agent"),
        N_("Ended"),
        N_("Active"),
    }
)
#: Colour is never the only signal: each colour also has a word.
COLOR_TEXT = {"blue": N_("Active"), "white": N_("Abandoned"), "gray": N_("Ended")}
#: Words of the engine's own vocabulary the pages show: contact types, identifier types, roles.
VOCABULARY = (
    N_("Ephemeral"),
    N_("Identified"),
    N_("Curated"),
    N_("Cookie"),
    N_("Email"),
    N_("Phone"),
    N_("ExternalId"),
    N_("agent"),
    N_("supervisor"),
    N_("admin"),
)
#: Who vouched for the identifier an unverified card was matched by (``IdentityMatch.source``).
SOURCE_TEXT = {
    "webClaim": N_("a website visitor, in traits they typed (anyone can)"),
    "webCookie": N_("the visitor's own browser"),
    "contactCentre": N_("the contact centre"),
    "agentVerified": N_("an agent"),
    "conversationClaim": N_("the customer, in the address they wrote from (anyone can)"),
}
#: What the engine calls a person without a name (``Contact.display_name``, cards).
UNKNOWN = N_("Unknown")


def person_name(first_name: str | None, last_name: str | None) -> Text:
    """A contact's name as data, or the translated word for a contact without one."""
    name = " ".join(p for p in (first_name, last_name) if p)
    return Text(value=name) if name else Text(key=UNKNOWN)


ICON_TEXT = {
    "call": N_("Call"),
    "chat": N_("Chat"),
    "messaging": N_("Messaging"),
    "web": N_("Web"),
    "app": N_("App"),
}


@dataclass(frozen=True, slots=True)
class Text:
    """Something to show: ``key`` is translated, ``value`` is data shown as it is."""

    key: str | None = None
    value: str | None = None


def engine_text(text: str) -> Text:
    return Text(key=text) if text in CARD_TEXT else Text(value=text)


@dataclass(frozen=True, slots=True)
class MatchView:
    """Why an unverified card shows the person it shows: the identifier it matched by, who
    vouched for it, and — claimed on a website — when, in which web session, through which
    deployment (its name, or its id when it is gone)."""

    kind: str | None  # Email, Phone, Cookie, ExternalId (translated by key)
    value: str | None
    source_text: str
    web_claim: bool
    claimed_ms: int | None = None
    claimed_session_id: str | None = None
    claimed_through: str | None = None


def match_view(match: IdentityMatch, deployment_name: str | None = None) -> MatchView:
    return MatchView(
        kind=match.type,
        value=match.value,
        source_text=SOURCE_TEXT.get(match.source, match.source),
        web_claim=match.source == "webClaim",
        claimed_ms=match.claimed_ms,
        claimed_session_id=match.claimed_session_id,
        claimed_through=deployment_name or match.deployment_id,
    )


@dataclass(frozen=True, slots=True)
class CardView:
    session_id: str
    kind: str  # conversation | web | app
    contact_id: str | None
    verified: bool
    color: str  # blue | white | gray
    color_text: str
    title: Text
    icon: str  # call | chat | messaging | web | app
    icon_text: str
    duration_seconds: int
    ticking: bool  # the duration counts up in the browser (active sessions)
    status: Text
    started_ms: int
    queue: str | None = None
    agent: str | None = None
    wrapped_up: bool = False
    ended: bool = False
    customer_name: Text | None = None
    page_title: str | None = None
    page_url: str | None = None
    page_count: int = 0
    searches: tuple[str, ...] = ()
    conversation_id: str | None = None
    match: MatchView | None = None  # why it shows its person, when that is not verified


def card_view(
    session: AnySession,
    card: Card | WebCard,
    *,
    contact_id: str | None,
    verified: bool,
    customer_name: str | None = None,
    match: MatchView | None = None,
) -> CardView:
    common: dict[str, Any] = {
        "session_id": session.id,
        "contact_id": contact_id,
        "verified": verified,
        "match": match,
        "color": card.color,
        "color_text": COLOR_TEXT[card.color],
        "title": engine_text(card.title),
        "icon": card.icon,
        "icon_text": ICON_TEXT.get(card.icon, card.icon),
        "duration_seconds": card.duration_seconds,
        "status": engine_text(card.status),
        "started_ms": session.created_ms,
    }
    if isinstance(card, WebCard):
        assert isinstance(session, WebSession)
        page = card.current_page
        return CardView(
            kind=session.type,
            ticking=False,  # a web session's duration runs to its last event
            ended=card.color == "gray",
            customer_name=(
                Text(key=UNKNOWN)
                if card.customer_name == UNKNOWN
                else Text(value=card.customer_name)
            ),
            page_title=page.title if page else card.current_screen,
            page_url=page.url if page else None,
            page_count=card.pageview_count,
            searches=card.search_terms,
            **common,
        )
    assert isinstance(session, ConversationSession)
    return CardView(
        kind="conversation",
        ticking=session.ended_ms is None,
        queue=card.queue.name if card.queue else None,
        agent=card.agent.name if card.agent else None,
        wrapped_up=card.wrapup_code is not None,
        ended=session.ended_ms is not None,
        conversation_id=session.conversation_id,
        customer_name=_named(customer_name),
        **common,
    )


def _named(name: str | None) -> Text | None:
    """A linked person's name as data, the translated word for one without a name; None when
    no one is linked."""
    if name is None:
        return None
    return Text(key=UNKNOWN) if name in ("", UNKNOWN) else Text(value=name)


def duration_text(seconds: int) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour (what the browser's ticking shows too)."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


# -- the journey map ---------------------------------------------------------------------------

MAP_LABELS = {
    "page_viewed": N_("Page viewed"),
    "searched": N_("Searched"),
    "form_submitted": N_("Form submitted"),
    "form_abandoned": N_("Form abandoned"),
    "screen_viewed": N_("Screen viewed"),
    "custom": N_("Custom event"),
    "routed": N_("Routed"),
    "connected": N_("Connected"),
    "ended": N_("Ended"),
    "segment": N_("Segment matched"),
    "segment_unassigned": N_("Segment no longer matched"),
    "outcome": N_("Outcome achieved"),
    "offer": N_("Offer"),
}
OFFER_STATES = {
    "qualified": N_("qualified"),
    "offered": N_("offered"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "ignored": N_("ignored"),
    "timedout": N_("timed out"),
    "errored": N_("errored"),
    "engaged": N_("engaged"),
    "abandoned": N_("abandoned"),
    "completed": N_("completed"),
    "waiting": N_("waiting"),
}


@dataclass(frozen=True, slots=True)
class MapItem:
    id: str
    kind: str  # the icon: a MAP_LABELS key
    label: str  # a MAP_LABELS value, translated by the template
    created: str  # ISO 8601, as the API shows it
    page_title: str | None = None
    page_url: str | None = None
    name: str | None = None  # data: the search, the custom event's name, the segment's name
    state: str | None = None  # an offer's state (an OFFER_STATES key)
    color: str | None = None  # a segment's colour, as its definition gives it
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Dotted keys and their values; a typed attribute (``{"dataType", "value"}``) is its value."""
    if isinstance(value, Mapping) and set(value) == {"dataType", "value"}:
        yield from _flatten(value["value"], prefix)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if key != "selfUri":
                yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}[{index}]")
    elif value is not None:
        yield prefix, str(value).lower() if isinstance(value, bool) else str(value)


def _web_kind(payload: Mapping[str, Any]) -> str:
    name = str(payload.get("eventName", ""))
    return name if name in MAP_LABELS else "custom"


def map_item(doc: Mapping[str, Any]) -> MapItem:
    """One event of ``GET /sessions/{id}/events`` as an item of the journey map."""
    kind_of = str(doc.get("eventType", ""))
    payload: Mapping[str, Any] = {}
    extra: dict[str, Any] = {}
    if kind_of == "ConversationEvent":
        payload = doc.get("conversationEvent", {})
        kind = str(payload.get("eventName", "custom"))
        attributes = payload.get("attributes", {})
        name = attributes.get("queue.name") or attributes.get("agent.name")
        extra["name"] = _plain(name)
    elif kind_of in ("WebEvent", "AppEvent"):
        payload = doc.get("webEvent") or doc.get("appEvent") or {}
        kind = _web_kind(payload)
        page = payload.get("page") or {}
        extra["page_title"] = _plain(page.get("title")) or _plain(payload.get("screenName"))
        extra["page_url"] = _plain(page.get("url"))
        extra["name"] = _plain(payload.get("searchQuery")) or (
            _plain(payload.get("eventName")) if kind == "custom" else None
        )
    elif kind_of == "SegmentAssignmentEvent":
        payload = doc.get("segmentAssignmentEvent", {})
        segment = payload.get("segment", {})
        kind = "segment" if payload.get("assignmentState") != "Unassigned" else "segment_unassigned"
        extra["name"] = _plain(segment.get("displayName"))
        extra["color"] = _plain(segment.get("color"))
    elif kind_of == "OutcomeAchievedEvent":
        payload = doc.get("outcomeAchievedEvent", {})
        kind = "outcome"
        extra["name"] = _plain(payload.get("outcome", {}).get("displayName"))
    elif kind_of == "WebActionEvent":
        payload = doc.get("webActionEvent", {})
        kind = "offer"
        extra["name"] = _plain(payload.get("actionMap", {}).get("displayName"))
        state = payload.get("action", {}).get("state")
        extra["state"] = state if state in OFFER_STATES else None
    else:
        kind = "custom"
    kind = kind if kind in MAP_LABELS else "custom"
    return MapItem(
        id=str(doc.get("id", "")),
        kind=kind,
        label=MAP_LABELS[kind],
        created=str(doc.get("createdDate", "")),
        details=tuple(_flatten(payload)),
        **extra,
    )


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- the Now view ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueNow:
    name: str
    waiting: tuple[CardView, ...]
    longest_wait_seconds: int


@dataclass(frozen=True, slots=True)
class AgentNow:
    name: str
    connected: tuple[CardView, ...]


@dataclass(frozen=True, slots=True)
class NowView:
    queues: tuple[QueueNow, ...]
    agents: tuple[AgentNow, ...]
    browsing: tuple[CardView, ...]


def now_view(cards: Iterable[tuple[CardView, int]]) -> NowView:
    """Conversations waiting per queue (longest wait first), connected ones per agent, and
    visitors browsing. ``cards``: each live card with how long it has waited, in seconds."""
    queues: dict[str, list[tuple[CardView, int]]] = {}
    agents: dict[str, list[CardView]] = {}
    browsing: list[CardView] = []
    for card, waited in cards:
        if card.kind == "conversation" and card.status.key == "Waiting":
            queues.setdefault(card.queue or "", []).append((card, waited))
        elif card.kind == "conversation" and card.status.key == "Connected":
            agents.setdefault(card.agent or "", []).append(card)
        elif card.kind in ("web", "app") and card.color == "blue":
            browsing.append(card)
    queue_views = [
        QueueNow(
            name,
            tuple(c for c, _ in sorted(waits, key=lambda cw: -cw[1])),
            max(w for _, w in waits),
        )
        for name, waits in queues.items()
    ]
    queue_views.sort(key=lambda q: (-q.longest_wait_seconds, q.name))
    return NowView(
        queues=tuple(queue_views),
        agents=tuple(AgentNow(n, tuple(c)) for n, c in sorted(agents.items())),
        browsing=tuple(browsing),
    )
