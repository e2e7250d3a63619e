"""The wire shapes of definition bodies: Genesys request models as msgspec structs.

``JourneySegmentRequest``, ``OutcomeRequest``, ``ActionMap`` and ``ActionTemplate`` bodies
(and their ``Patch*`` variants, the same shapes once merged onto the stored definition). Types,
enumerations, required fields and bounds are checked by msgspec on conversion, with the JSON
path of the failure; ``journeyline.ingest.definitions`` adds the rules that need more than one
field. Unknown fields are ignored, as Genesys does (so a GET answer can be sent back), and so
are the deprecated outcome-probability triggers of action maps. Bounds that Genesys does not
publish are ours, documented in docs/definitions.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

import msgspec

from journeyline.ingest.definition_schema import (
    ACTION,
    ACTIVATION,
    CONTEXT_PATTERN,
    EVENT_CONDITION,
    HTTP_URL,
    JOURNEY_PATTERN,
    SOME_PATTERN,
    SOME_TRIGGER,
    VALUES_FIT_OPERATOR,
    Schema,
    present,
)
from journeyline.model.definitions import (
    ActivationType,
    AttributeType,
    DisplayMode,
    EntityType,
    ExternalSource,
    LayoutMode,
    MappingType,
    MediaType,
    Operator,
    Scope,
    StreamType,
    Target,
    TemplateState,
    ValueDataType,
)

#: ``displayName`` / ``name`` of a definition (not blank either: checked after conversion).
Name = Annotated[
    str, msgspec.Meta(min_length=1, max_length=255, extra_json_schema={"pattern": r"\S"})
]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$")]
EventName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_]{1,255}$")]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CriterionValue = Annotated[str, msgspec.Meta(max_length=4096)]
Values = Annotated[list[CriterionValue], msgspec.Meta(min_length=1, max_length=100)]
#: at most this many events per journey pattern: a journey's progress remembers the ids of
#: the events it counted.
Count = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
Patterns = 20
Criteria = 20
#: An absolute http(s) URL (checked after conversion).
HttpUrl = Annotated[str, msgspec.Meta(max_length=4096, extra_json_schema={"pattern": HTTP_URL})]
#: A date: RFC 3339 as the schema says (Genesys writes ``Z``); a date without a time zone is
#: taken as UTC too (``definitions._ms``).
Date = Annotated[datetime, msgspec.Meta(extra_json_schema={"format": "date-time"})]


class CriteriaBody(msgspec.Struct, rename="camel"):
    """``Criteria`` / ``EntityTypeCriteria``."""

    __json_schema__: ClassVar[Schema] = VALUES_FIT_OPERATOR

    key: Key
    values: Values
    operator: Operator = "equal"
    should_ignore_case: bool = False
    entity_type: EntityType | None = None


class ContextPatternBody(msgspec.Struct):
    __json_schema__: ClassVar[Schema] = CONTEXT_PATTERN

    criteria: Annotated[list[CriteriaBody], msgspec.Meta(min_length=1, max_length=Criteria)]


class ContextBody(msgspec.Struct):
    patterns: Annotated[list[ContextPatternBody], msgspec.Meta(max_length=Patterns)] = []


class JourneyPatternBody(msgspec.Struct, rename="camel"):
    __json_schema__: ClassVar[Schema] = JOURNEY_PATTERN

    count: Count
    stream_type: StreamType
    session_type: Short
    criteria: Annotated[list[CriteriaBody], msgspec.Meta(max_length=Criteria)] = []
    event_name: EventName | None = None


class JourneyBody(msgspec.Struct):
    patterns: Annotated[list[JourneyPatternBody], msgspec.Meta(max_length=Patterns)] = []


class ExternalSegmentBody(msgspec.Struct):
    id: Short
    name: Short
    source: ExternalSource


class SegmentBody(msgspec.Struct, rename="camel"):
    """``JourneySegmentRequest``; ``scope`` is our extension of it (Genesys shows it only on
    ``JourneySegment``)."""

    __json_schema__: ClassVar[Schema] = {
        "anyOf": [*SOME_PATTERN, present("externalSegment", {"type": "object"})]
    }

    display_name: Name
    is_active: bool = True
    description: Text | None = None
    color: Color | None = None
    scope: Scope = "Session"
    should_display_to_agent: bool | None = None
    context: ContextBody | None = None
    journey: JourneyBody | None = None
    external_segment: ExternalSegmentBody | None = None
    assignment_expiration_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class AssociatedValueFieldBody(msgspec.Struct, rename="camel"):
    data_type: ValueDataType
    name: Key


class OutcomeBody(msgspec.Struct, rename="camel"):
    """``OutcomeRequest``."""

    __json_schema__: ClassVar[Schema] = {"anyOf": SOME_PATTERN}

    display_name: Name
    is_active: bool = True
    description: Text | None = None
    is_positive: bool | None = None
    context: ContextBody | None = None
    journey: JourneyBody | None = None
    associated_value_field: AssociatedValueFieldBody | None = None


class EventConditionBody(msgspec.Struct, rename="camel"):
    __json_schema__: ClassVar[Schema] = EVENT_CONDITION

    key: Key
    values: Values
    stream_type: StreamType
    session_type: Short
    event_name: EventName
    operator: Operator = "equal"


class UrlConditionBody(msgspec.Struct):
    __json_schema__: ClassVar[Schema] = VALUES_FIT_OPERATOR

    values: Values
    operator: Operator = "equal"


class ActivationBody(msgspec.Struct, rename="camel"):
    __json_schema__: ClassVar[Schema] = ACTIVATION

    type: ActivationType
    delay_in_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None


class RefBody(msgspec.Struct):
    id: Short


class NamedRefBody(msgspec.Struct):
    id: Short
    name: Short | None = None


class RequestMappingBody(msgspec.Struct, rename="camel"):
    name: Short
    attribute_type: AttributeType
    mapping_type: MappingType
    value: Text


class ArchitectFlowFieldsBody(msgspec.Struct, rename="camel"):
    architect_flow: RefBody
    flow_request_mappings: Annotated[list[RequestMappingBody], msgspec.Meta(max_length=50)] = []


class WebMessagingOfferFieldsBody(msgspec.Struct, rename="camel"):
    offer_text: Text | None = None
    architect_flow: RefBody | None = None


class OpenActionFieldsBody(msgspec.Struct, rename="camel"):
    open_action: NamedRefBody
    configuration_fields: dict[str, object] = {}


class ActionBody(msgspec.Struct, rename="camel"):
    """``ActionMapAction``."""

    __json_schema__: ClassVar[Schema] = ACTION

    media_type: MediaType
    action_template: RefBody | None = None
    architect_flow_fields: ArchitectFlowFieldsBody | None = None
    web_messaging_offer_fields: WebMessagingOfferFieldsBody | None = None
    open_action_fields: OpenActionFieldsBody | None = None


class ScheduleGroupsBody(msgspec.Struct, rename="camel"):
    action_map_schedule_group: RefBody | None = None
    emergency_action_map_schedule_group: RefBody | None = None


class ActionMapBody(msgspec.Struct, rename="camel"):
    """``ActionMap`` (the request and the response share the model)."""

    __json_schema__: ClassVar[Schema] = SOME_TRIGGER

    display_name: Name
    action: ActionBody
    is_active: bool = True
    trigger_with_segments: Annotated[
        list[Annotated[str, msgspec.Meta(extra_json_schema={"pattern": r"\S"})]],
        msgspec.Meta(max_length=100),
    ] = []
    trigger_with_event_conditions: Annotated[
        list[EventConditionBody], msgspec.Meta(max_length=Criteria)
    ] = []
    page_url_conditions: Annotated[list[UrlConditionBody], msgspec.Meta(max_length=Criteria)] = []
    activation: ActivationBody | None = None
    weight: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    action_map_schedule_groups: ScheduleGroupsBody | None = None
    ignore_frequency_cap: bool = False
    start_date: Date | None = None
    end_date: Date | None = None


class CallToActionBody(msgspec.Struct):
    text: Short | None = None
    url: HttpUrl | None = None
    target: Target | None = None


StyleProperties = dict[Short, str | float]


class StyleBody(msgspec.Struct, rename="camel", omit_defaults=True):
    """``ContentOfferStylingConfiguration``: each part a map of CSS-like properties."""

    position: StyleProperties | None = None
    offer: StyleProperties | None = None
    close_button: StyleProperties | None = None
    cta_button: StyleProperties | None = None
    title: StyleProperties | None = None
    headline: StyleProperties | None = None
    body: StyleProperties | None = None


class ContentOfferBody(msgspec.Struct, rename="camel"):
    """``imageUrl`` unless ``layoutMode`` is ``TextOnly``."""

    __json_schema__: ClassVar[Schema] = {
        "anyOf": [
            {"properties": {"layoutMode": {"const": "TextOnly"}}},
            present("imageUrl", {"type": "string"}),
        ]
    }
    display_mode: DisplayMode
    layout_mode: LayoutMode
    image_url: HttpUrl | None = None
    image_alt_text: Text | None = None
    title: Text | None = None
    headline: Text | None = None
    body: Text | None = None
    call_to_action: CallToActionBody | None = None
    style: StyleBody | None = None


class ActionTemplateBody(msgspec.Struct, rename="camel"):
    """``ActionTemplate``: ``contentOffer`` for the ``contentOffer`` media type."""

    __json_schema__: ClassVar[Schema] = {
        "anyOf": [
            {"properties": {"mediaType": {"not": {"const": "contentOffer"}}}},
            present("contentOffer", {"type": "object"}),
        ]
    }

    name: Name
    media_type: MediaType
    description: Text | None = None
    state: TemplateState = "Active"
    content_offer: ContentOfferBody | None = None
