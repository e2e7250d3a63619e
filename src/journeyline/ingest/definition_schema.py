"""The rules across the fields of a definition body, as JSON Schema for the OpenAPI document.

``journeyline.ingest.definitions`` checks them after conversion, each with its own message;
the body Structs of ``definition_wire`` state them in their ``__json_schema__``
(``api.contract.SCHEMA_EXTRA``), made here from the same tables (``core.criteria``,
``SESSION_TYPES``), so that a request the schema allows is one the server takes.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from journeyline.core.criteria import ATTRIBUTE_PREFIX, CONTEXT_KEYS, CUSTOM_ATTRIBUTES, EVENT_KEYS
from journeyline.model.definitions import NUMERIC_OPERATORS, MediaType, StreamType

Schema = dict[str, Any]

#: The stream a pattern or a condition names -> the session type its events have.
SESSION_TYPES: dict[StreamType, str] = {"Web": "web", "App": "app", "Conversation": "conversation"}
CONVERSATION_EVENTS = ("connected", "ended", "routed")
#: The operators that take a value to look for: an empty one matches everything.
AFFIX_OPERATORS = (
    "containsAll",
    "containsAny",
    "endsWith",
    "notContainsAll",
    "notContainsAny",
    "startsWith",
)
#: A number as a numeric operator's value (``definitions._number``), spaces around it allowed.
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
#: An absolute http(s) URL (``urlsplit``: a scheme, then a host).
HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"


def present(name: str, schema: Schema) -> Schema:
    """The field ``name`` is there, and is ``schema``."""
    return {"required": [name], "properties": {name: schema}}


def _unless(name: str, values: tuple[str, ...] | frozenset[str], then: Schema) -> Schema:
    """``then`` holds unless the field ``name`` is absent or not one of ``values``."""
    return {"anyOf": [{"properties": {name: {"not": {"enum": sorted(values)}}}}, then]}


#: A context or a journey pattern, which an outcome needs, and a segment unless it is
#: external (``definitions._conditions``).
SOME_PATTERN = [
    present(part, {"type": "object", **present("patterns", {"minItems": 1})})
    for part in ("context", "journey")
]

#: A criterion's values as its operator needs them (``definitions._values``).
VALUES_FIT_OPERATOR: Schema = {
    "allOf": [
        _unless(
            "operator",
            NUMERIC_OPERATORS,
            {"properties": {"values": {"items": {"pattern": rf"^\s*{NUMBER}\s*$"}}}},
        ),
        _unless(
            "operator", AFFIX_OPERATORS, {"properties": {"values": {"items": {"minLength": 1}}}}
        ),
    ]
}


def _event_key(stream: StreamType) -> Schema:
    keys: list[Schema] = [{"enum": sorted(EVENT_KEYS[stream])}]
    if stream in CUSTOM_ATTRIBUTES:
        keys.append({"pattern": f"^{re.escape(ATTRIBUTE_PREFIX)}."})
    return {"anyOf": keys}


def _stream(stream: StreamType, *, keyed: str) -> Schema:
    """What a pattern or a condition of ``stream`` holds (``definitions._stream``): its
    session type, a conversation's event name, the keys its events have — of each criterion
    (``keyed="criteria"``) or of the condition itself (``keyed="key"``)."""
    properties: Schema = {"streamType": {"const": stream}}
    if stream in SESSION_TYPES:
        properties["sessionType"] = {"const": SESSION_TYPES[stream]}
    if stream == "Conversation":
        properties["eventName"] = {"enum": [*CONVERSATION_EVENTS, None]}
    key = _event_key(stream)
    if keyed == "criteria":
        properties["criteria"] = {"items": {"properties": {"key": key}}}
    else:
        properties["key"] = key
    return {"properties": properties}


#: A journey pattern's stream, session type, event name and criteria keys.
JOURNEY_PATTERN: Schema = {"anyOf": [_stream(s, keyed="criteria") for s in get_args(StreamType)]}
#: An action map's event condition: the same, and its values as its operator needs them.
EVENT_CONDITION: Schema = {
    "allOf": [
        {"anyOf": [_stream(s, keyed="key") for s in get_args(StreamType)]},
        VALUES_FIT_OPERATOR,
    ]
}
#: A context pattern's criteria: keys a visit has.
CONTEXT_PATTERN: Schema = {
    "properties": {"criteria": {"items": {"properties": {"key": {"enum": sorted(CONTEXT_KEYS)}}}}}
}
#: An action map is triggered by a segment or by an event condition.
SOME_TRIGGER: Schema = {
    "anyOf": [
        present(name, {"minItems": 1})
        for name in ("triggerWithSegments", "triggerWithEventConditions")
    ]
}

#: The fields of an action map's action, by the media type that takes (or needs) each one.
ACTION_FIELDS = {
    "actionTemplate": "contentOffer",
    "architectFlowFields": "architectFlow",
    "webMessagingOfferFields": "webMessagingOffer",
    "openActionFields": "openAction",
}
#: The media types that need their field (``definitions._action``).
NEEDS_FIELD = ("contentOffer", "architectFlow", "openAction")


def _action(media: str) -> Schema:
    properties: Schema = {"mediaType": {"const": media}}
    properties.update({name: {"type": "null"} for name, m in ACTION_FIELDS.items() if m != media})
    found: Schema = {"properties": properties}
    if media in NEEDS_FIELD:
        own = next(name for name, m in ACTION_FIELDS.items() if m == media)
        found["required"] = [own]
        properties[own] = {"type": "object"}
    return found


#: An action: the field of its media type, and no other's.
ACTION: Schema = {"anyOf": [_action(m) for m in get_args(MediaType)]}
#: An activation: ``delayInSeconds`` with the type ``delay``, and only with it.
ACTIVATION: Schema = {
    "anyOf": [
        {
            "required": ["delayInSeconds"],
            "properties": {"type": {"const": "delay"}, "delayInSeconds": {"type": "integer"}},
        },
        {"properties": {"type": {"not": {"const": "delay"}}, "delayInSeconds": {"type": "null"}}},
    ]
}
