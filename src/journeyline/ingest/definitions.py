"""Adapter: Genesys segment, outcome, action-map and action-template bodies <-> definitions.

``decode_*`` turns a POST body (the whole definition) or a PATCH body (a JSON merge patch,
RFC 7396, applied to the stored definition's wire shape, then validated as a whole) into a
``model.definitions`` record; ``encode_*`` gives the Genesys response shape (``id``,
``version``, ``selfUri``, ``createdDate``, ``modifiedDate``). Invalid input raises
``InvalidInput`` whose ``field`` is the JSON path (``journey.patterns[0].criteria[1].operator``).
The rules, and where we extend Genesys, are in docs/definitions.md.

What needs the store (an action map naming an unknown segment, flow or action template) is not
checked here: :func:`references` lists what an action map names, for the API layer to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec

from journeyline.core.criteria import known_context_key, known_event_key
from journeyline.ingest.definition_encode import (
    encode_action_map,
    encode_action_template,
    encode_outcome,
    encode_segment,
)
from journeyline.ingest.definition_schema import (
    AFFIX_OPERATORS,
    CONVERSATION_EVENTS,
    NUMBER,
    SESSION_TYPES,
)
from journeyline.ingest.definition_wire import (
    ActionBody,
    ActionMapBody,
    ActionTemplateBody,
    ContextBody,
    CriteriaBody,
    EventConditionBody,
    JourneyBody,
    OutcomeBody,
    SegmentBody,
)
from journeyline.ingest.genesys_detail import validation_error
from journeyline.ingest.nul import refuse_nul
from journeyline.model.definitions import (
    NUMERIC_OPERATORS,
    ActionMap,
    ActionMapAction,
    ActionTemplate,
    Activation,
    AssociatedValueField,
    CallToAction,
    ContentOffer,
    ContextPattern,
    Criterion,
    EventCondition,
    ExternalSegment,
    FlowRequestMapping,
    JourneyPattern,
    Outcome,
    PageUrlCondition,
    Segment,
    StreamType,
)
from journeyline.model.errors import InvalidInput

Json = dict[str, Any]
__all__ = [
    "decode_action_map",
    "decode_action_template",
    "decode_outcome",
    "decode_segment",
    "encode_action_map",
    "encode_action_template",
    "encode_outcome",
    "encode_segment",
    "merge_patch",
    "references",
]
B = TypeVar("B", bound=msgspec.Struct)

#: The session type each stream's events have (``Custom`` sessions name their own).
READ_ONLY = ("id", "selfUri", "createdDate", "modifiedDate", "version")


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field)


# -- the body: JSON, merge patch, conversion -----------------------------------------------------


def _object(body: bytes) -> Json:
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, ``null`` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _body(body: bytes, wire: type[B], current: Json | None, current_version: int | None) -> B:
    doc = _object(refuse_nul(body))
    if current is not None:
        version = doc.get("version")
        if version is not None and version != current_version:
            raise _fail("version", f"{version} is not the current version {current_version}")
        base = {k: v for k, v in current.items() if k not in READ_ONLY}
        doc = merge_patch(base, {k: v for k, v in doc.items() if k not in READ_ONLY})
    try:
        return msgspec.convert(doc, wire)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc


def _stamp(
    current: Segment | Outcome | ActionMap | ActionTemplate | None, id: str, now_ms: int
) -> tuple[str, int, int]:
    """``(id, version, created_ms)``: a new definition is version 1; a patched one the next."""
    if current is None:
        return id, 1, now_ms
    return current.id, current.version + 1, current.created_ms


def _name(value: str, field: str) -> str:
    if not value.strip():
        raise _fail(field, "must not be blank")
    return value


# -- criteria -------------------------------------------------------------------------------------


def _values(operator: str, values: list[str], field: str) -> tuple[str, ...]:
    for i, value in enumerate(values):
        if operator in NUMERIC_OPERATORS and _number(value) is None:
            raise _fail(f"{field}[{i}]", f"{operator} needs a number, got {value!r}")
        if operator in AFFIX_OPERATORS and value == "":
            raise _fail(f"{field}[{i}]", f"{operator} needs a non-empty value")
    return tuple(values)


_NUMBER = re.compile(NUMBER)


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.fullmatch(text.strip()) else None


def _criterion(
    c: CriteriaBody, field: str, known: Callable[[str], bool], *, context: bool
) -> Criterion:
    if not known(c.key):
        raise _fail(f"{field}.key", f"unknown key {c.key!r}")
    return Criterion(
        key=c.key,
        values=_values(c.operator, c.values, f"{field}.values"),
        operator=c.operator,
        should_ignore_case=c.should_ignore_case,
        entity_type=(c.entity_type or "visit") if context else None,
    )


def _stream(stream: StreamType, session_type: str, event_name: str | None, field: str) -> None:
    expected = SESSION_TYPES.get(stream)
    if expected is not None and session_type != expected:
        raise _fail(f"{field}.sessionType", f"{stream} events have sessionType {expected!r}")
    if stream == "Conversation" and event_name not in (None, *CONVERSATION_EVENTS):
        raise _fail(f"{field}.eventName", f"Conversation events are {sorted(CONVERSATION_EVENTS)}")


def _context(body: ContextBody | None) -> tuple[ContextPattern, ...]:
    if body is None:
        return ()
    return tuple(
        ContextPattern(
            tuple(
                _criterion(
                    c, f"context.patterns[{i}].criteria[{j}]", known_context_key, context=True
                )
                for j, c in enumerate(p.criteria)
            )
        )
        for i, p in enumerate(body.patterns)
    )


def _journey(body: JourneyBody | None) -> tuple[JourneyPattern, ...]:
    if body is None:
        return ()
    patterns = []
    for i, p in enumerate(body.patterns):
        field = f"journey.patterns[{i}]"
        _stream(p.stream_type, p.session_type, p.event_name, field)
        known = partial(known_event_key, p.stream_type)
        criteria = tuple(
            _criterion(c, f"{field}.criteria[{j}]", known, context=False)
            for j, c in enumerate(p.criteria)
        )
        patterns.append(
            JourneyPattern(criteria, p.count, p.stream_type, p.session_type, p.event_name)
        )
    return tuple(patterns)


def _conditions(
    context: tuple[ContextPattern, ...], journey: tuple[JourneyPattern, ...], what: str
) -> None:
    if not context and not journey:
        raise _fail("journey.patterns", f"{what} needs at least one context or journey pattern")


# -- segments and outcomes ------------------------------------------------------------------------


def decode_segment(
    body: bytes, *, current: Segment | None = None, id: str = "", now_ms: int = 0
) -> Segment:
    """A segment from a POST body (``current`` None: id ``id``, version 1) or a PATCH body
    merged onto ``current`` (its id, the next version); ``now_ms`` is the modification time."""
    base = encode_segment(current) if current is not None else None
    b = _body(body, SegmentBody, base, current.version if current else None)
    context, journey = _context(b.context), _journey(b.journey)
    if b.external_segment is None:
        _conditions(context, journey, "a segment")
    seg_id, version, created = _stamp(current, id, now_ms)
    ext = b.external_segment
    return Segment(
        id=seg_id,
        version=version,
        display_name=_name(b.display_name, "displayName"),
        created_ms=created,
        modified_ms=now_ms,
        is_active=b.is_active,
        description=b.description,
        color=b.color,
        scope=b.scope,
        should_display_to_agent=b.should_display_to_agent,
        context_patterns=context,
        journey_patterns=journey,
        external_segment=ExternalSegment(ext.id, ext.name, ext.source) if ext else None,
        assignment_expiration_days=b.assignment_expiration_days,
    )


def decode_outcome(
    body: bytes, *, current: Outcome | None = None, id: str = "", now_ms: int = 0
) -> Outcome:
    """An outcome from a POST or PATCH body, as :func:`decode_segment`."""
    base = encode_outcome(current) if current is not None else None
    b = _body(body, OutcomeBody, base, current.version if current else None)
    context, journey = _context(b.context), _journey(b.journey)
    _conditions(context, journey, "an outcome")
    out_id, version, created = _stamp(current, id, now_ms)
    value = b.associated_value_field
    return Outcome(
        id=out_id,
        version=version,
        display_name=_name(b.display_name, "displayName"),
        created_ms=created,
        modified_ms=now_ms,
        is_active=b.is_active,
        description=b.description,
        is_positive=b.is_positive,
        context_patterns=context,
        journey_patterns=journey,
        associated_value_field=AssociatedValueField(value.data_type, value.name) if value else None,
    )


# -- action maps ----------------------------------------------------------------------------------


def _event_condition(c: EventConditionBody, field: str) -> EventCondition:
    _stream(c.stream_type, c.session_type, c.event_name, field)
    if not known_event_key(c.stream_type, c.key):
        raise _fail(f"{field}.key", f"unknown key {c.key!r} for {c.stream_type} events")
    return EventCondition(
        key=c.key,
        values=_values(c.operator, c.values, f"{field}.values"),
        operator=c.operator,
        stream_type=c.stream_type,
        session_type=c.session_type,
        event_name=c.event_name,
    )


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


_HARD_CODED: Mapping[str, Callable[[str], bool]] = {
    "String": lambda v: True,
    "Number": lambda v: _number(v) is not None,
    "Integer": lambda v: re.fullmatch(r"[+-]?\d+", v.strip()) is not None,
    "Boolean": lambda v: v in ("true", "false"),
}


def _action(a: ActionBody) -> ActionMapAction:
    media = a.media_type
    allowed = {
        "actionTemplate": media == "contentOffer",
        "architectFlowFields": media == "architectFlow",
        "webMessagingOfferFields": media == "webMessagingOffer",
        "openActionFields": media == "openAction",
    }
    given = {
        "actionTemplate": a.action_template,
        "architectFlowFields": a.architect_flow_fields,
        "webMessagingOfferFields": a.web_messaging_offer_fields,
        "openActionFields": a.open_action_fields,
    }
    for name, value in given.items():
        if value is not None and not allowed[name]:
            raise _fail(f"action.{name}", f"not for mediaType {media}")
    required = {
        "contentOffer": "actionTemplate",
        "architectFlow": "architectFlowFields",
        "openAction": "openActionFields",
    }.get(media)
    if required is not None and given[required] is None:
        raise _fail(f"action.{required}", f"required for mediaType {media}")
    flow = a.architect_flow_fields
    offer = a.web_messaging_offer_fields
    opened = a.open_action_fields
    mappings = []
    for i, m in enumerate(flow.flow_request_mappings if flow else []):
        if m.mapping_type == "HardCoded" and not _HARD_CODED[m.attribute_type](m.value):
            raise _fail(
                f"action.architectFlowFields.flowRequestMappings[{i}].value",
                f"{m.value!r} is not a {m.attribute_type}",
            )
        mappings.append(FlowRequestMapping(m.name, m.attribute_type, m.mapping_type, m.value))
    flow_ref = flow.architect_flow if flow else offer.architect_flow if offer else None
    return ActionMapAction(
        media_type=media,
        action_template_id=a.action_template.id if a.action_template else None,
        architect_flow_id=flow_ref.id if flow_ref else None,
        flow_request_mappings=tuple(mappings),
        offer_text=offer.offer_text if offer else None,
        open_action_id=opened.open_action.id if opened else None,
        open_action_name=opened.open_action.name if opened else None,
        configuration_fields=dict(opened.configuration_fields) if opened else {},
    )


def decode_action_map(
    body: bytes, *, current: ActionMap | None = None, id: str = "", now_ms: int = 0
) -> ActionMap:
    """An action map from a POST or PATCH body, as :func:`decode_segment`."""
    base = encode_action_map(current) if current is not None else None
    b = _body(body, ActionMapBody, base, current.version if current else None)
    conditions = tuple(
        _event_condition(c, f"triggerWithEventConditions[{i}]")
        for i, c in enumerate(b.trigger_with_event_conditions)
    )
    for i, segment_id in enumerate(b.trigger_with_segments):
        if not segment_id.strip():
            raise _fail(f"triggerWithSegments[{i}]", "must not be blank")
    if not b.trigger_with_segments and not conditions:
        raise _fail(
            "triggerWithSegments", "an action map needs triggerWithSegments or event conditions"
        )
    urls = tuple(
        PageUrlCondition(
            _values(c.operator, c.values, f"pageUrlConditions[{i}].values"), c.operator
        )
        for i, c in enumerate(b.page_url_conditions)
    )
    act = b.activation
    if act is not None and (act.type == "delay") != (act.delay_in_seconds is not None):
        raise _fail("activation.delayInSeconds", "required with type delay, and only with it")
    start, end = _ms(b.start_date), _ms(b.end_date)
    if start is not None and end is not None and end <= start:
        raise _fail("endDate", "must be after startDate")
    groups = b.action_map_schedule_groups
    map_id, version, created = _stamp(current, id, now_ms)
    return ActionMap(
        id=map_id,
        version=version,
        display_name=_name(b.display_name, "displayName"),
        action=_action(b.action),
        created_ms=created,
        modified_ms=now_ms,
        is_active=b.is_active,
        trigger_with_segments=tuple(dict.fromkeys(b.trigger_with_segments)),
        trigger_with_event_conditions=conditions,
        page_url_conditions=urls,
        activation=Activation(act.type, act.delay_in_seconds) if act else Activation("immediate"),
        weight=b.weight,
        ignore_frequency_cap=b.ignore_frequency_cap,
        start_ms=start,
        end_ms=end,
        schedule_group_id=groups.action_map_schedule_group.id
        if groups and groups.action_map_schedule_group
        else None,
        emergency_schedule_group_id=groups.emergency_action_map_schedule_group.id
        if groups and groups.emergency_action_map_schedule_group
        else None,
    )


def references(action_map: ActionMap) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(segment_ids, flow_ids, template_ids)`` an action map names, for the caller to check
    against the store (each once, in order)."""
    action = action_map.action
    flows = (action.architect_flow_id,) if action.architect_flow_id else ()
    templates = (action.action_template_id,) if action.action_template_id else ()
    return action_map.trigger_with_segments, flows, templates


# -- action templates -----------------------------------------------------------------------------


def _url(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:  # urlsplit raises on an unclosed IPv6 bracket, hostname on [abc], port on :x
        parts = urlsplit(value)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise _fail(field, f"not an http(s) URL: {value!r} ({exc})") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise _fail(field, f"not an http(s) URL: {value!r}")
    return value


def decode_action_template(
    body: bytes, *, current: ActionTemplate | None = None, id: str = "", now_ms: int = 0
) -> ActionTemplate:
    """An action template from a POST or PATCH body, as :func:`decode_segment`."""
    base = encode_action_template(current) if current is not None else None
    b = _body(body, ActionTemplateBody, base, current.version if current else None)
    offer = b.content_offer
    if b.media_type == "contentOffer" and offer is None:
        raise _fail("contentOffer", "required for mediaType contentOffer")
    content = None
    if offer is not None:
        if offer.layout_mode != "TextOnly" and offer.image_url is None:
            raise _fail("contentOffer.imageUrl", f"required with layoutMode {offer.layout_mode}")
        cta = offer.call_to_action
        style = msgspec.to_builtins(offer.style) if offer.style is not None else None
        content = ContentOffer(
            display_mode=offer.display_mode,
            layout_mode=offer.layout_mode,
            image_url=_url(offer.image_url, "contentOffer.imageUrl"),
            image_alt_text=offer.image_alt_text,
            title=offer.title,
            headline=offer.headline,
            body=offer.body,
            call_to_action=CallToAction(
                cta.text, _url(cta.url, "contentOffer.callToAction.url"), cta.target
            )
            if cta
            else None,
            style=style or None,
        )
    template_id, version, created = _stamp(current, id, now_ms)
    return ActionTemplate(
        id=template_id,
        version=version,
        name=_name(b.name, "name"),
        media_type=b.media_type,
        created_ms=created,
        modified_ms=now_ms,
        state=b.state,
        description=b.description,
        content_offer=content,
    )
