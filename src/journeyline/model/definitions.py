"""Definitions: segments, outcomes, action maps and action templates, as domain records.

These are the administrator's definitions of ``/api/v2/journey/segments``, ``outcomes``,
``actionmaps`` and ``actiontemplates``: Genesys field names (camelCase on the wire) in
snake_case here, dates as epoch milliseconds. The wire is decoded and validated in
``journeyline.ingest.definitions``; the rules that evaluate criteria are ``journeyline.core.
criteria`` and ``journeyline.core.patterns``; docs/definitions.md has the semantics.

Where we differ from the Genesys models it is said on the field: a context criterion's
``entityType`` is always ``visit``; an action map's deprecated outcome-probability triggers and
``isPacingEnabled`` are not kept.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal, get_args

from journeyline.model.record import record

Operator = Literal[
    "containsAll",
    "containsAny",
    "notContainsAll",
    "notContainsAny",
    "equal",
    "notEqual",
    "greaterThan",
    "greaterThanOrEqual",
    "lessThan",
    "lessThanOrEqual",
    "startsWith",
    "endsWith",
]
StreamType = Literal["Web", "Custom", "Conversation", "App"]
EntityType = Literal["visit"]
Scope = Literal["Session", "Customer"]
ExternalSource = Literal["AdobeExperiencePlatform", "Custom"]
ValueDataType = Literal["Number", "Integer"]
ActivationType = Literal["immediate", "delay", "on-next-session", "on-next-visit"]
MediaType = Literal[
    "webMessagingOffer", "contentOffer", "integrationAction", "architectFlow", "openAction"
]
AttributeType = Literal["String", "Number", "Integer", "Boolean"]
MappingType = Literal["Lookup", "HardCoded"]
TemplateState = Literal["Active", "Inactive", "Deleted"]
DisplayMode = Literal["Modal", "Overlay", "Toast"]
LayoutMode = Literal["TextOnly", "ImageOnly", "LeftText", "RightText", "TopText", "BottomText"]
Target = Literal["Blank", "Self"]

#: The enumerations, in the Genesys order (for validation messages and tests).
OPERATORS: tuple[Operator, ...] = get_args(Operator)
STREAM_TYPES: tuple[StreamType, ...] = get_args(StreamType)
NUMERIC_OPERATORS: frozenset[Operator] = frozenset(
    {"greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"}
)


# -- criteria and patterns ----------------------------------------------------------------------


@record
class Criterion:
    """A Genesys ``Criteria`` (journey patterns) or ``EntityTypeCriteria`` (context patterns:
    ``entity_type`` is ``visit``). ``values`` are strings, as on the wire."""

    key: str
    values: tuple[str, ...]
    operator: Operator = "equal"
    should_ignore_case: bool = False
    entity_type: EntityType | None = None


@record
class ContextPattern:
    """A Genesys ``ContextPattern``: every criterion must hold of the visit's attributes."""

    criteria: tuple[Criterion, ...]


@record
class JourneyPattern:
    """A Genesys ``JourneyPattern``: at least ``count`` events of this stream, session type and
    (when given) event name, each satisfying every criterion."""

    criteria: tuple[Criterion, ...]
    count: int
    stream_type: StreamType
    session_type: str
    event_name: str | None = None


# -- segments and outcomes ------------------------------------------------------------------------


@record
class ExternalSegment:
    """A Genesys ``ExternalSegment``: a segment kept by another system (assigned by API)."""

    id: str
    name: str
    source: ExternalSource


@record
class Segment:
    """A Genesys ``JourneySegment``. ``context_patterns`` is ``context.patterns``,
    ``journey_patterns`` is ``journey.patterns``; ``scope`` Session or Customer."""

    id: str
    version: int
    display_name: str
    created_ms: int
    modified_ms: int
    is_active: bool = True
    description: str | None = None
    color: str | None = None
    scope: Scope = "Session"
    should_display_to_agent: bool | None = None
    context_patterns: tuple[ContextPattern, ...] = ()
    journey_patterns: tuple[JourneyPattern, ...] = ()
    external_segment: ExternalSegment | None = None
    assignment_expiration_days: int | None = None


@record
class AssociatedValueField:
    """A Genesys ``AssociatedValueField``: the event attribute holding an outcome's value."""

    data_type: ValueDataType
    name: str


@record
class Outcome:
    """A Genesys ``Outcome`` (deprecated by Genesys, kept here): a goal a journey reaches."""

    id: str
    version: int
    display_name: str
    created_ms: int
    modified_ms: int
    is_active: bool = True
    description: str | None = None
    is_positive: bool | None = None
    context_patterns: tuple[ContextPattern, ...] = ()
    journey_patterns: tuple[JourneyPattern, ...] = ()
    associated_value_field: AssociatedValueField | None = None


# -- action maps ----------------------------------------------------------------------------------


@record
class EventCondition:
    """A Genesys ``EventCondition``: a single event of this stream, session type and name
    whose ``key`` satisfies the operator."""

    key: str
    values: tuple[str, ...]
    operator: Operator
    stream_type: StreamType
    session_type: str
    event_name: str


@record
class PageUrlCondition:
    """A Genesys ``UrlCondition``: the page URL a web action may be shown on."""

    values: tuple[str, ...]
    operator: Operator


@record
class Activation:
    """A Genesys ``Activation``: ``delay_seconds`` is ``delayInSeconds`` (only for ``delay``)."""

    type: ActivationType
    delay_seconds: int | None = None


@record
class FlowRequestMapping:
    """A Genesys ``RequestMapping``: a flow input, looked up from the event or hard-coded."""

    name: str
    attribute_type: AttributeType
    mapping_type: MappingType
    value: str


@record
class ActionMapAction:
    """A Genesys ``ActionMapAction``, flattened: ``action_template_id`` is ``actionTemplate.id``;
    ``architect_flow_id`` is ``architectFlowFields.architectFlow.id`` (or, for a web messaging
    offer, ``webMessagingOfferFields.architectFlow.id``); ``offer_text`` is
    ``webMessagingOfferFields.offerText``; ``open_action_*`` are ``openActionFields``."""

    media_type: MediaType
    action_template_id: str | None = None
    architect_flow_id: str | None = None
    flow_request_mappings: tuple[FlowRequestMapping, ...] = ()
    offer_text: str | None = None
    open_action_id: str | None = None
    open_action_name: str | None = None
    configuration_fields: dict[str, object] = field(default_factory=dict)


@record
class ActionMap:
    """A Genesys ``ActionMap``. ``start_ms``/``end_ms`` are ``startDate``/``endDate``;
    ``schedule_group_id``/``emergency_schedule_group_id`` are ``actionMapScheduleGroups``."""

    id: str
    version: int
    display_name: str
    action: ActionMapAction
    created_ms: int
    modified_ms: int
    is_active: bool = True
    trigger_with_segments: tuple[str, ...] = ()
    trigger_with_event_conditions: tuple[EventCondition, ...] = ()
    page_url_conditions: tuple[PageUrlCondition, ...] = ()
    activation: Activation = Activation("immediate")
    weight: int = 2
    ignore_frequency_cap: bool = False
    start_ms: int | None = None
    end_ms: int | None = None
    schedule_group_id: str | None = None
    emergency_schedule_group_id: str | None = None


# -- action templates -----------------------------------------------------------------------------


@record
class CallToAction:
    """A Genesys ``CallToAction``."""

    text: str | None = None
    url: str | None = None
    target: Target | None = None


@record
class ContentOffer:
    """A Genesys ``ContentOffer``. ``style`` is the ``ContentOfferStylingConfiguration`` as
    given (``position``, ``offer``, ``closeButton``, ``ctaButton``, ``title``, ``headline``,
    ``body``, each a map of CSS-like properties), kept for the tracker to apply."""

    display_mode: DisplayMode
    layout_mode: LayoutMode
    image_url: str | None = None
    image_alt_text: str | None = None
    title: str | None = None
    headline: str | None = None
    body: str | None = None
    call_to_action: CallToAction | None = None
    style: dict[str, dict[str, str | float]] | None = None


@record
class ActionTemplate:
    """A Genesys ``ActionTemplate``: what a content offer shows."""

    id: str
    version: int
    name: str
    media_type: MediaType
    created_ms: int
    modified_ms: int
    state: TemplateState = "Active"
    description: str | None = None
    content_offer: ContentOffer | None = None


Definition = Segment | Outcome | ActionMap
