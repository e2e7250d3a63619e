"""The response shapes of the journey routes, as msgspec Structs: sessions, their events and
cards, what intake answers, and the error shape every route shares.

The handlers build these answers as dicts (``api.wire``, ``api.wire_web``, ``api.wire_rules``);
these Structs describe them for the OpenAPI document (``api.contract``), and
``tests/api/test_openapi.py`` checks real answers against them. Every shape forbids fields it
does not name, so an answer that grows a field fails that test until the shape says so.
Genesys model names are kept (``Session``, ``EventListing``, ``ErrorBody``, ...); fields that
are ours are ``Ext``, and fields an answer leaves out when empty are ``Maybe``.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET

from journeyline.api.contract import Date, Ext, Maybe

SessionType = Literal["conversation", "web", "app"]


class Shape(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    """The base of the response shapes: camelCase, no field that is not named."""


# -- small pieces ---------------------------------------------------------------------------


class Ref(Shape):
    """An ``AddressableEntityRef``."""

    id: str
    self_uri: str


class IdRef(Shape):
    id: str


class NamedRef(Shape):
    id: str
    name: str


class SessionRef(Shape):
    """The session an event or an assignment belongs to."""

    id: str
    self_uri: str
    type: Maybe[SessionType] = UNSET


class CustomEventAttribute(Shape):
    data_type: str
    value: str | int | float | bool


class ErrorDetail(Shape):
    field_name: str


class ErrorBody(Shape):
    """The Genesys error shape: ``details`` names the field at fault; ``errors`` is empty."""

    message: str
    code: str
    status: int
    context_id: str
    details: list[ErrorDetail]
    errors: list[ErrorBody]


class OAuthError(msgspec.Struct, forbid_unknown_fields=True):
    """An error of ``POST /oauth/token``, in the OAuth shape."""

    error: str
    description: str


# -- web parts (Genesys JourneyPage, Referrer, JourneyCampaign, Browser, Device, ...) ---------


class JourneyPage(Shape):
    url: str
    title: Maybe[str] = UNSET
    domain: Maybe[str] = UNSET
    hostname: Maybe[str] = UNSET
    pathname: Maybe[str] = UNSET
    query_string: Maybe[str] = UNSET
    fragment: Maybe[str] = UNSET
    keywords: Maybe[str] = UNSET
    lang: Maybe[str] = UNSET
    breadcrumb: Maybe[list[str]] = UNSET


class Referrer(Shape):
    """``medium``: internal, search, social, email, paid or unknown."""

    url: str
    medium: str
    domain: Maybe[str] = UNSET
    hostname: Maybe[str] = UNSET
    pathname: Maybe[str] = UNSET
    query_string: Maybe[str] = UNSET
    fragment: Maybe[str] = UNSET
    keywords: Maybe[str] = UNSET
    name: Maybe[str] = UNSET


class JourneyCampaign(Shape):
    name: Maybe[str] = UNSET
    source: Maybe[str] = UNSET
    medium: Maybe[str] = UNSET
    term: Maybe[str] = UNSET
    content: Maybe[str] = UNSET
    click_id: Maybe[str] = UNSET
    network: Maybe[str] = UNSET


class Browser(Shape):
    family: Maybe[str] = UNSET
    version: Maybe[str] = UNSET
    lang: Maybe[str] = UNSET


class Device(Shape):
    category: Maybe[str] = UNSET
    type: Maybe[str] = UNSET
    is_mobile: Maybe[bool] = UNSET
    os_family: Maybe[str] = UNSET
    os_version: Maybe[str] = UNSET
    manufacturer: Maybe[str] = UNSET
    screen_height: Maybe[int] = UNSET
    screen_width: Maybe[int] = UNSET
    screen_density: Maybe[int] = UNSET


class JourneyGeolocation(Shape):
    country: Maybe[str] = UNSET
    country_name: Maybe[str] = UNSET
    region: Maybe[str] = UNSET
    region_name: Maybe[str] = UNSET
    locality: Maybe[str] = UNSET
    postal_code: Maybe[str] = UNSET
    latitude: Maybe[float] = UNSET
    longitude: Maybe[float] = UNSET
    timezone: Maybe[str] = UNSET
    source: Maybe[str] = UNSET


# -- sessions ---------------------------------------------------------------------------------


class ConversationChannel(Shape):
    type: str
    message_type: Maybe[str] = UNSET
    platform: Maybe[str] = UNSET


class ConversationUserDisposition(Shape):
    code: str
    notes: Maybe[str] = UNSET
    user: Maybe[Ref] = UNSET


class SessionLastEvent(Shape):
    id: str
    event_name: str
    created_date: Date


class JourneyContextCustomer(Shape):
    id: Maybe[str] = UNSET
    id_type: Maybe[str] = UNSET


class JourneyContextCustomerSession(Shape):
    id: Maybe[str] = UNSET
    type: Maybe[str] = UNSET


class JourneyContextActionMap(Shape):
    id: Maybe[str] = UNSET
    version: Maybe[int] = UNSET


class JourneyContextTriggeringAction(Shape):
    id: Maybe[str] = UNSET
    action_map: Maybe[JourneyContextActionMap] = UNSET


class JourneyContext(Shape):
    customer: Maybe[JourneyContextCustomer] = UNSET
    customer_session: Maybe[JourneyContextCustomerSession] = UNSET
    triggering_action: Maybe[JourneyContextTriggeringAction] = UNSET


class SegmentAssignmentOnSession(Shape):
    segment: IdRef
    assigned_date: Date


class OutcomeAchievement(Shape):
    outcome: IdRef
    achieved_date: Date


class IdentityClaimant(Shape):
    """Who claimed an identifier on a website: the visitor (cookie), their web session then
    (when it is still stored), and the deployment it came through."""

    customer_id: str
    customer_id_type: Literal["cookie"]
    deployment: Maybe[IdRef] = UNSET
    session: Maybe[Ref] = UNSET


class IdentityMatch(Shape):
    """Ours: why a session shows its contact (docs/api.md, "Identity matches").

    ``source`` (who vouched for the identifier it matched by, or for the link): ``webClaim``
    (a website visitor's traits: never proof), ``webCookie`` (the visitor's own browser),
    ``contactCentre``, ``agentVerified``, ``conversationClaim`` (the address a chat, message
    or email came from: never proof); ``verified``: whether the link is verified."""

    source: Literal["webClaim", "webCookie", "contactCentre", "agentVerified", "conversationClaim"]
    verified: bool
    type: Maybe[Literal["Cookie", "Email", "Phone", "ExternalId"]] = UNSET
    value: Maybe[str] = UNSET
    claimed_date: Maybe[Date] = UNSET
    claimed_by: Maybe[IdentityClaimant] = UNSET


class Session(Shape):
    """A Genesys ``Session``. The fields from ``conversation`` to ``journeyContext`` are a
    conversation session's, those from ``pageviewCount`` to ``visitCount`` a web or app
    session's."""

    id: str
    type: SessionType
    created_date: Date
    duration_in_seconds: int
    event_count: int
    self_uri: str
    customer_id: Maybe[str] = UNSET
    customer_id_type: Maybe[str] = UNSET
    external_contact: Maybe[Ref] = UNSET
    external_contact_verified: Maybe[Ext[bool]] = UNSET
    identity_match: Maybe[Ext[IdentityMatch]] = UNSET
    ended_date: Maybe[Date] = UNSET
    last_event: Maybe[SessionLastEvent] = UNSET
    conversation: Maybe[Ref] = UNSET
    originating_direction: Maybe[str] = UNSET
    conversation_channels: Maybe[list[ConversationChannel]] = UNSET
    conversation_subject: Maybe[str] = UNSET
    last_connected_queue: Maybe[Ref] = UNSET
    last_connected_user: Maybe[Ref] = UNSET
    last_user_disposition: Maybe[ConversationUserDisposition] = UNSET
    last_user_disconnect_type: Maybe[str] = UNSET
    last_acd_outcome: Maybe[str] = UNSET
    start_trigger: Maybe[Ext[str]] = UNSET
    journey_context: Maybe[Ext[JourneyContext]] = UNSET
    pageview_count: Maybe[int] = UNSET
    screenview_count: Maybe[int] = UNSET
    last_page: Maybe[JourneyPage] = UNSET
    last_screen: Maybe[str] = UNSET
    search_terms: Maybe[list[str]] = UNSET
    referrer: Maybe[Referrer] = UNSET
    mkt_campaign: Maybe[JourneyCampaign] = UNSET
    browser: Maybe[Browser] = UNSET
    device: Maybe[Device] = UNSET
    geolocation: Maybe[JourneyGeolocation] = UNSET
    ip_address: Maybe[str] = UNSET
    user_agent_string: Maybe[str] = UNSET
    authenticated: Maybe[bool] = UNSET
    visit_count: Maybe[Ext[int]] = UNSET
    segment_assignments: Maybe[list[SegmentAssignmentOnSession]] = UNSET
    outcome_achievements: Maybe[list[OutcomeAchievement]] = UNSET


class SessionListing(Shape):
    """Newest first; ``nextUri`` is null on the last page (absent for ``conversationId``)."""

    entities: list[Session]
    self_uri: str
    next_uri: Maybe[str | None] = UNSET


# -- events -----------------------------------------------------------------------------------


class ConversationRef(Shape):
    id: str


class ConversationEvent(Shape):
    """Our event payload for conversations: ``routed``, ``connected``, ``ended``."""

    event_name: str
    attributes: dict[str, CustomEventAttribute]
    stream_type: Maybe[str] = UNSET
    session_type: Maybe[str] = UNSET
    conversation: Maybe[ConversationRef] = UNSET


class WebEvent(Shape):
    """The Genesys ``WebEvent`` (and ``AppEvent``) payload, enriched at intake."""

    event_name: str
    attributes: dict[str, CustomEventAttribute]
    traits: dict[str, CustomEventAttribute]
    authenticated: bool
    page: Maybe[JourneyPage] = UNSET
    screen_name: Maybe[str] = UNSET
    search_query: Maybe[str] = UNSET
    referrer: Maybe[Referrer] = UNSET
    mkt_campaign: Maybe[JourneyCampaign] = UNSET
    browser: Maybe[Browser] = UNSET
    device: Maybe[Device] = UNSET
    geolocation: Maybe[JourneyGeolocation] = UNSET
    ip_address: Maybe[str] = UNSET
    user_agent_string: Maybe[str] = UNSET
    external_id: Maybe[str] = UNSET
    traits_refused: Maybe[Ext[Literal["unsigned", "badSignature", "noSecret"]]] = UNSET


class SegmentOfEvent(Shape):
    id: str
    display_name: str
    version: int
    color: Maybe[str] = UNSET


class SegmentAssignmentEvent(Shape):
    segment: SegmentOfEvent
    assignment_state: str
    date_assigned: Date
    date_for_unassignment: Maybe[Date] = UNSET


class OutcomeOfEvent(Shape):
    id: str
    display_name: str
    version: int


class OutcomeAchievedEvent(Shape):
    outcome: OutcomeOfEvent
    associated_value: Maybe[float] = UNSET


class WebActionOfEvent(Shape):
    id: str
    state: str
    media_type: str
    created_date: Date
    prompt: Maybe[str] = UNSET


class ActionMapOfEvent(Shape):
    id: str
    version: int
    display_name: Maybe[str] = UNSET


class WebActionEvent(Shape):
    action: WebActionOfEvent
    action_map: ActionMapOfEvent
    time_to_disposition: Maybe[int] = UNSET
    error_code: Maybe[str] = UNSET
    error_message: Maybe[str] = UNSET


class Event(Shape):
    """A Genesys ``Event``: the payload field is the one ``eventType`` names
    (``ConversationEvent`` is ours)."""

    id: str
    session: SessionRef
    event_type: Literal[
        "ConversationEvent",
        "WebEvent",
        "AppEvent",
        "SegmentAssignmentEvent",
        "OutcomeAchievedEvent",
        "WebActionEvent",
    ]
    created_date: Date
    customer_id: Maybe[str] = UNSET
    customer_id_type: Maybe[str] = UNSET
    conversation_event: Maybe[Ext[ConversationEvent]] = UNSET
    web_event: Maybe[WebEvent] = UNSET
    app_event: Maybe[WebEvent] = UNSET
    segment_assignment_event: Maybe[SegmentAssignmentEvent] = UNSET
    outcome_achieved_event: Maybe[OutcomeAchievedEvent] = UNSET
    web_action_event: Maybe[WebActionEvent] = UNSET


class EventListing(Shape):
    """Oldest first; ``nextUri`` is null on the last page."""

    entities: list[Event]
    next_uri: str | None
    self_uri: str


# -- cards (ours, docs/cards.md) --------------------------------------------------------------


class SessionCard(Shape):
    """A conversation session's card."""

    customer_name: str
    color: Literal["blue", "white", "gray"]
    title: str
    icon: Literal["call", "chat", "messaging"]
    duration_in_seconds: int
    queue: NamedRef | None
    agent: NamedRef | None
    status: str
    wrapup_code: NamedRef | None
    customer_name_verified: Maybe[Ext[bool]] = UNSET
    identity_match: Maybe[Ext[IdentityMatch]] = UNSET


class WebSessionCard(Shape):
    """A web or app session's card."""

    color: Literal["blue", "white", "gray"]
    title: str
    icon: Literal["web", "app"]
    duration_in_seconds: int
    status: str
    customer_name: str
    pageview_count: int
    search_terms: list[str]
    current_page: Maybe[JourneyPage] = UNSET
    current_screen: Maybe[str] = UNSET
    customer_name_verified: Maybe[Ext[bool]] = UNSET
    identity_match: Maybe[Ext[IdentityMatch]] = UNSET


# -- intake -----------------------------------------------------------------------------------


class IntakeSession(Shape):
    id: str
    type: Literal["conversation"]


class IntakeItem(Shape):
    """One item of the request, in order: ``id`` (its idempotency key) and ``session`` when
    kept, ``message`` and ``field`` when rejected."""

    index: int
    status: Literal["accepted", "duplicate", "rejected"]
    id: Maybe[str] = UNSET
    session: Maybe[IntakeSession] = UNSET
    message: Maybe[str] = UNSET
    field: Maybe[str] = UNSET


class IntakeResult(Shape):
    entities: list[IntakeItem]
    accepted: int
    duplicate: int
    rejected: int


class IntakeError(ErrorBody, kw_only=True):
    """A malformed body, or one of which nothing was accepted: the first fault, and every
    item's (``entities``)."""

    entities: Maybe[list[IntakeItem]] = UNSET


class WebEventSession(Shape):
    id: str
    duration_in_seconds: int
    event_count: int
    pageview_count: int
    created_date: Date
    self_uri: str
    referrer: Maybe[Referrer] = UNSET


class WebEventResponse(WebEvent, kw_only=True):
    """A Genesys ``WebEventResponse`` (and ``AppEventResponse``)."""

    customer_id: str
    customer_id_type: Literal["cookie"]
    created_date: Date
    session: WebEventSession
