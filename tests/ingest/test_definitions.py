"""Definition bodies: decoding, validation with the JSON path, PATCH, encoding round trips."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from journeyline.ingest import definitions as d
from journeyline.model.definitions import (
    ActionMap,
    ActionTemplate,
    Criterion,
    EventCondition,
    JourneyPattern,
    Outcome,
    Segment,
)
from journeyline.model.errors import InvalidInput

NOW = 1_795_600_000_000
Body = dict[str, Any]


def raw(body: Body) -> bytes:
    return json.dumps(body).encode()


def criterion(key: str = "page.url", operator: str = "containsAny", *values: str) -> Body:
    return {
        "key": key,
        "values": list(values or ("/boots",)),
        "operator": operator,
        "shouldIgnoreCase": False,
    }


def web_pattern(**fields: Any) -> Body:
    return {
        "criteria": [criterion()],
        "count": 1,
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    } | fields


SEGMENT: Body = {
    "displayName": "Abandoned in Sales",
    "description": "Waited more than a minute in Sales and gave up",
    "color": "#008000",
    "isActive": True,
    "shouldDisplayToAgent": True,
    "scope": "Customer",
    "assignmentExpirationDays": 30,
    "context": {
        "patterns": [
            {
                "criteria": [
                    {
                        "key": "geolocation.postalCode",
                        "values": ["SW1A"],
                        "operator": "startsWith",
                        "shouldIgnoreCase": True,
                        "entityType": "visit",
                    }
                ]
            }
        ]
    },
    "journey": {
        "patterns": [
            web_pattern(count=2),
            {
                "criteria": [
                    criterion("queue.name", "equal", "Sales"),
                    criterion("endedBy", "equal", "customer"),
                    criterion("waitSeconds", "greaterThan", "60"),
                ],
                "count": 1,
                "streamType": "Conversation",
                "sessionType": "conversation",
                "eventName": "ended",
            },
        ]
    },
}
OUTCOME: Body = {
    "displayName": "Bought",
    "isPositive": True,
    "journey": {
        "patterns": [
            web_pattern(criteria=[criterion("page.url", "endsWith", "/paymentSuccessful")])
        ]
    },
    "associatedValueField": {"dataType": "Number", "name": "attributes.total"},
}
ACTION_MAP: Body = {
    "displayName": "Offer help at checkout",
    "triggerWithSegments": ["seg-1", "seg-2", "seg-1"],
    "triggerWithEventConditions": [
        {
            "key": "page.title",
            "values": ["Checkout"],
            "operator": "containsAll",
            "streamType": "Web",
            "sessionType": "web",
            "eventName": "page_viewed",
        }
    ],
    "pageUrlConditions": [{"values": ["https://shop.example.com"], "operator": "startsWith"}],
    "activation": {"type": "delay", "delayInSeconds": 10},
    "weight": 3,
    "action": {
        "mediaType": "architectFlow",
        "architectFlowFields": {
            "architectFlow": {"id": "flow-1"},
            "flowRequestMappings": [
                {
                    "name": "Total",
                    "attributeType": "Number",
                    "mappingType": "HardCoded",
                    "value": "12.5",
                },
                {
                    "name": "Page",
                    "attributeType": "String",
                    "mappingType": "Lookup",
                    "value": "page.url",
                },
            ],
        },
    },
    "actionMapScheduleGroups": {"actionMapScheduleGroup": {"id": "sg-1"}},
    "ignoreFrequencyCap": True,
    "startDate": "2026-12-01T09:00:00.000Z",
    "endDate": "2026-12-24T18:00:00.000Z",
}
TEMPLATE: Body = {
    "name": "Spring sale",
    "description": "Banner",
    "mediaType": "contentOffer",
    "state": "Active",
    "contentOffer": {
        "displayMode": "Overlay",
        "layoutMode": "LeftText",
        "imageUrl": "https://cdn.example.com/spring.png",
        "imageAltText": "Spring",
        "title": "Spring sale",
        "headline": "20% off",
        "body": "Boots and hats",
        "callToAction": {"text": "Shop", "url": "https://shop.example.com/sale", "target": "Blank"},
        "style": {
            "offer": {"padding": "8px", "backgroundColor": "#fff"},
            "closeButton": {"opacity": 0.5},
        },
    },
}

Decode = Callable[..., Any]
Encode = Callable[[Any], dict[str, Any]]
KINDS: list[tuple[str, Body, Decode, Encode]] = [
    ("segment", SEGMENT, d.decode_segment, d.encode_segment),
    ("outcome", OUTCOME, d.decode_outcome, d.encode_outcome),
    ("actionmap", ACTION_MAP, d.decode_action_map, d.encode_action_map),
    ("template", TEMPLATE, d.decode_action_template, d.encode_action_template),
]
KIND_IDS = [k[0] for k in KINDS]
SELF = {
    "segment": "segments",
    "outcome": "outcomes",
    "actionmap": "actionmaps",
    "template": "actiontemplates",
}


def test_a_segment_decodes_to_its_record() -> None:
    seg = d.decode_segment(raw(SEGMENT), id="seg-1", now_ms=NOW)
    assert isinstance(seg, Segment)
    assert (seg.id, seg.version, seg.created_ms, seg.modified_ms) == ("seg-1", 1, NOW, NOW)
    assert seg.scope == "Customer"
    assert seg.context_patterns[0].criteria == (
        Criterion("geolocation.postalCode", ("SW1A",), "startsWith", True, "visit"),
    )
    assert seg.journey_patterns[1] == JourneyPattern(
        (
            Criterion("queue.name", ("Sales",), "equal", False),
            Criterion("endedBy", ("customer",), "equal", False),
            Criterion("waitSeconds", ("60",), "greaterThan", False),
        ),
        1,
        "Conversation",
        "conversation",
        "ended",
    )


def test_defaults_of_a_minimal_segment() -> None:
    seg = d.decode_segment(
        raw(
            {
                "displayName": "x",
                "journey": {
                    "patterns": [web_pattern(criteria=[{"key": "page.url", "values": ["a"]}])]
                },
            }
        )
    )
    assert (seg.is_active, seg.scope, seg.should_display_to_agent) == (True, "Session", None)
    assert seg.journey_patterns[0].criteria[0] == Criterion("page.url", ("a",), "equal", False)


def test_an_action_map_decodes_to_its_record() -> None:
    m = d.decode_action_map(raw(ACTION_MAP), id="m1", now_ms=NOW)
    assert isinstance(m, ActionMap)
    assert m.trigger_with_segments == ("seg-1", "seg-2")
    assert m.trigger_with_event_conditions == (
        EventCondition("page.title", ("Checkout",), "containsAll", "Web", "web", "page_viewed"),
    )
    assert (m.activation.type, m.activation.delay_seconds, m.weight) == ("delay", 10, 3)
    assert m.action.architect_flow_id == "flow-1"
    assert [x.mapping_type for x in m.action.flow_request_mappings] == ["HardCoded", "Lookup"]
    assert m.start_ms == 1_796_115_600_000
    assert m.schedule_group_id == "sg-1"
    assert d.references(m) == (("seg-1", "seg-2"), ("flow-1",), ())


def test_references_of_a_content_offer() -> None:
    body = {
        "displayName": "x",
        "triggerWithSegments": ["s"],
        "action": {"mediaType": "contentOffer", "actionTemplate": {"id": "t1"}},
    }
    assert d.references(d.decode_action_map(raw(body))) == (("s",), (), ("t1",))


def test_a_naive_start_date_is_utc() -> None:
    body = ACTION_MAP | {"startDate": "2026-12-01T09:00:00", "endDate": None}
    m = d.decode_action_map(raw(body))
    assert (m.start_ms, m.end_ms) == (1_796_115_600_000, None)


def test_an_action_template_decodes_to_its_record() -> None:
    t = d.decode_action_template(raw(TEMPLATE), id="t1", now_ms=NOW)
    assert isinstance(t, ActionTemplate)
    assert t.content_offer is not None
    assert t.content_offer.style == {
        "offer": {"padding": "8px", "backgroundColor": "#fff"},
        "closeButton": {"opacity": 0.5},
    }
    assert t.content_offer.call_to_action is not None
    assert t.content_offer.call_to_action.target == "Blank"


@pytest.mark.parametrize(("kind", "body", "decode", "encode"), KINDS, ids=KIND_IDS)
def test_round_trip_decode_encode_decode(
    kind: str, body: Body, decode: Decode, encode: Encode
) -> None:
    first = decode(raw(body), id="x1", now_ms=NOW)
    shape = encode(first)
    assert (shape["id"], shape["version"]) == ("x1", 1)
    assert shape["createdDate"] == shape["modifiedDate"] == "2026-11-25T09:46:40.000Z"
    assert shape["selfUri"] == f"/api/v2/journey/{SELF[kind]}/x1"
    again = decode(raw(shape), id="x1", now_ms=NOW)
    assert again == first
    assert encode(again) == shape


@pytest.mark.parametrize(("kind", "body", "decode", "encode"), KINDS, ids=KIND_IDS)
def test_patch_keeps_untouched_fields(
    kind: str, body: Body, decode: Decode, encode: Encode
) -> None:
    stored = decode(raw(body), id="x1", now_ms=NOW)
    field = "name" if kind == "template" else "displayName"
    patched = decode(raw({field: "Renamed", "version": 1}), current=stored, now_ms=NOW + 5)
    assert (patched.id, patched.version, patched.created_ms, patched.modified_ms) == (
        "x1",
        2,
        NOW,
        NOW + 5,
    )
    before, after = encode(stored), encode(patched)
    assert after[field] == "Renamed"
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {field, "version", "modifiedDate"}


def test_patch_merges_nested_objects_and_null_removes() -> None:
    stored = d.decode_action_map(raw(ACTION_MAP), id="m1", now_ms=NOW)
    patched = d.decode_action_map(
        raw(
            {
                "activation": {"type": "immediate", "delayInSeconds": None},
                "endDate": None,
                "action": {"architectFlowFields": {"architectFlow": {"id": "flow-2"}}},
            }
        ),
        current=stored,
        now_ms=NOW,
    )
    assert (patched.activation.type, patched.activation.delay_seconds, patched.end_ms) == (
        "immediate",
        None,
        None,
    )
    assert patched.action.architect_flow_id == "flow-2"
    assert patched.action.flow_request_mappings == stored.action.flow_request_mappings
    assert patched.start_ms == stored.start_ms


def test_patch_replaces_lists_whole() -> None:
    stored = d.decode_segment(raw(SEGMENT), id="s1", now_ms=NOW)
    patched = d.decode_segment(
        raw({"journey": {"patterns": [web_pattern(count=5)]}}), current=stored, now_ms=NOW
    )
    assert [p.count for p in patched.journey_patterns] == [5]
    assert patched.context_patterns == stored.context_patterns


def test_a_patch_is_validated_as_a_whole() -> None:
    stored = d.decode_segment(
        raw({"displayName": "x", "journey": {"patterns": [web_pattern()]}}), id="s1"
    )
    with pytest.raises(InvalidInput) as caught:
        d.decode_segment(raw({"journey": None}), current=stored)
    assert caught.value.field == "journey.patterns"


def test_a_patch_with_a_stale_version_is_refused() -> None:
    stored = d.decode_outcome(raw(OUTCOME), id="o1", now_ms=NOW)
    with pytest.raises(InvalidInput) as caught:
        d.decode_outcome(raw({"displayName": "y", "version": 7}), current=stored)
    assert caught.value.field == "version"


def test_read_only_fields_of_a_body_are_ignored() -> None:
    stored = d.decode_outcome(raw(OUTCOME), id="o1", now_ms=NOW)
    patched = d.decode_outcome(
        raw({"id": "other", "createdDate": "2020-01-01T00:00:00Z"}), current=stored, now_ms=NOW
    )
    assert isinstance(patched, Outcome)
    assert (patched.id, patched.created_ms) == ("o1", NOW)


def test_merge_patch() -> None:
    assert d.merge_patch(
        {"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"c": None, "e": 3}, "d": [2]}
    ) == {"a": {"b": 1, "e": 3}, "d": [2]}


def _with(body: Body, path: str, value: Any) -> Body:
    """``body`` with the value at a dotted path (``journey.patterns.0.count``) replaced;
    ``...`` deletes it."""
    doc = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return doc


P0 = "journey.patterns.0"
P1 = "journey.patterns.1"
INVALID_SEGMENTS: list[tuple[str, Any, str]] = [
    # (dotted path to change, new value or ... to delete, expected field)
    (f"{P1}.criteria.1.operator", "like", "journey.patterns[1].criteria[1].operator"),
    (f"{P1}.criteria.1.key", "hungUpBy", "journey.patterns[1].criteria[1].key"),
    (f"{P0}.criteria.0.key", "queue.name", "journey.patterns[0].criteria[0].key"),
    (f"{P0}.count", 0, "journey.patterns[0].count"),
    (f"{P0}.count", "2", "journey.patterns[0].count"),
    (f"{P0}.count", 10_001, "journey.patterns[0].count"),
    (f"{P0}.count", ..., "journey.patterns[0].count"),
    (f"{P0}.streamType", "Email", "journey.patterns[0].streamType"),
    (f"{P0}.streamType", ..., "journey.patterns[0].streamType"),
    (f"{P0}.sessionType", "app", "journey.patterns[0].sessionType"),
    (f"{P0}.sessionType", ..., "journey.patterns[0].sessionType"),
    (f"{P0}.eventName", "page viewed", "journey.patterns[0].eventName"),
    (f"{P1}.eventName", "abandoned", "journey.patterns[1].eventName"),
    (f"{P0}.criteria.0.values", [], "journey.patterns[0].criteria[0].values"),
    (f"{P0}.criteria.0.values", "/boots", "journey.patterns[0].criteria[0].values"),
    (f"{P0}.criteria.0.values", ["/boots", ""], "journey.patterns[0].criteria[0].values[1]"),
    (f"{P1}.criteria.2.values", ["sixty"], "journey.patterns[1].criteria[2].values[0]"),
    (
        f"{P0}.criteria.0.shouldIgnoreCase",
        "yes",
        "journey.patterns[0].criteria[0].shouldIgnoreCase",
    ),
    (f"{P0}.criteria.0.key", ..., "journey.patterns[0].criteria[0].key"),
    (f"{P0}.criteria", {"key": "page.url"}, "journey.patterns[0].criteria"),
    ("context.patterns.0.criteria.0.key", "page.url", "context.patterns[0].criteria[0].key"),
    (
        "context.patterns.0.criteria.0.entityType",
        "session",
        "context.patterns[0].criteria[0].entityType",
    ),
    ("context.patterns.0.criteria", [], "context.patterns[0].criteria"),
    ("displayName", ..., "displayName"),
    ("displayName", "", "displayName"),
    ("displayName", "   ", "displayName"),
    ("displayName", "x" * 256, "displayName"),
    ("displayName", 7, "displayName"),
    ("description", "x" * 4097, "description"),
    ("color", "green", "color"),
    ("scope", "Visit", "scope"),
    ("isActive", "true", "isActive"),
    ("assignmentExpirationDays", 0, "assignmentExpirationDays"),
    ("externalSegment", {"id": "e", "name": "n", "source": "Salesforce"}, "externalSegment.source"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    INVALID_SEGMENTS,
    ids=[f"{p}={v!r}"[:60] for p, v, _ in INVALID_SEGMENTS],
)
def test_an_invalid_segment_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_segment(raw(_with(SEGMENT, path, value)))
    assert caught.value.field == field
    assert caught.value.message.startswith(field)


def test_a_segment_without_any_condition_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_segment(
            raw({"displayName": "x", "context": {"patterns": []}, "journey": {"patterns": []}})
        )
    assert caught.value.field == "journey.patterns"


def test_an_external_segment_needs_no_condition() -> None:
    seg = d.decode_segment(
        raw(
            {
                "displayName": "x",
                "externalSegment": {"id": "e1", "name": "AEP", "source": "AdobeExperiencePlatform"},
            }
        )
    )
    assert seg.external_segment is not None
    assert seg.external_segment.source == "AdobeExperiencePlatform"


INVALID_OUTCOMES: list[tuple[str, Any, str]] = [
    ("journey", ..., "journey.patterns"),
    ("associatedValueField.dataType", "String", "associatedValueField.dataType"),
    ("associatedValueField.name", "", "associatedValueField.name"),
    ("isPositive", 1, "isPositive"),
    (f"{P0}.criteria.0.operator", "matches", "journey.patterns[0].criteria[0].operator"),
]


@pytest.mark.parametrize(("path", "value", "field"), INVALID_OUTCOMES)
def test_an_invalid_outcome_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_outcome(raw(_with(OUTCOME, path, value)))
    assert caught.value.field == field


C0 = "triggerWithEventConditions.0"
FLOW = "action.architectFlowFields"
INVALID_ACTION_MAPS: list[tuple[str, Any, str]] = [
    (f"{C0}.operator", "like", "triggerWithEventConditions[0].operator"),
    (f"{C0}.key", "queue.name", "triggerWithEventConditions[0].key"),
    (f"{C0}.streamType", "Email", "triggerWithEventConditions[0].streamType"),
    (f"{C0}.sessionType", "conversation", "triggerWithEventConditions[0].sessionType"),
    (f"{C0}.eventName", ..., "triggerWithEventConditions[0].eventName"),
    (f"{C0}.values", [], "triggerWithEventConditions[0].values"),
    ("triggerWithSegments", [""], "triggerWithSegments[0]"),
    ("triggerWithSegments", "seg-1", "triggerWithSegments"),
    ("pageUrlConditions.0.operator", "regex", "pageUrlConditions[0].operator"),
    ("pageUrlConditions.0.values", [""], "pageUrlConditions[0].values[0]"),
    ("activation.type", "later", "activation.type"),
    ("activation.delayInSeconds", ..., "activation.delayInSeconds"),
    ("activation.delayInSeconds", 0, "activation.delayInSeconds"),
    ("activation", {"type": "immediate", "delayInSeconds": 5}, "activation.delayInSeconds"),
    ("weight", 0, "weight"),
    ("weight", "high", "weight"),
    ("action", ..., "action"),
    ("action.mediaType", "webchat", "action.mediaType"),
    (f"{FLOW}", ..., "action.architectFlowFields"),
    (f"{FLOW}.architectFlow", ..., "action.architectFlowFields.architectFlow"),
    (
        f"{FLOW}.flowRequestMappings.0.attributeType",
        "Date",
        "action.architectFlowFields.flowRequestMappings[0].attributeType",
    ),
    (
        f"{FLOW}.flowRequestMappings.0.mappingType",
        "Computed",
        "action.architectFlowFields.flowRequestMappings[0].mappingType",
    ),
    (
        f"{FLOW}.flowRequestMappings.0.value",
        "twelve",
        "action.architectFlowFields.flowRequestMappings[0].value",
    ),
    ("action.actionTemplate", {"id": "t1"}, "action.actionTemplate"),
    ("action.mediaType", "contentOffer", "action.architectFlowFields"),
    ("startDate", "the first of December", "startDate"),
    ("endDate", "2026-11-01T00:00:00Z", "endDate"),
    ("ignoreFrequencyCap", "no", "ignoreFrequencyCap"),
    ("displayName", ..., "displayName"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    INVALID_ACTION_MAPS,
    ids=[f"{p}={v!r}"[:60] for p, v, _ in INVALID_ACTION_MAPS],
)
def test_an_invalid_action_map_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_action_map(raw(_with(ACTION_MAP, path, value)))
    assert caught.value.field == field


def test_an_action_map_needs_a_trigger() -> None:
    body = _with(_with(ACTION_MAP, "triggerWithSegments", []), "triggerWithEventConditions", [])
    with pytest.raises(InvalidInput) as caught:
        d.decode_action_map(raw(body))
    assert caught.value.field == "triggerWithSegments"


def test_a_content_offer_action_needs_its_template() -> None:
    body = ACTION_MAP | {"action": {"mediaType": "contentOffer"}}
    with pytest.raises(InvalidInput) as caught:
        d.decode_action_map(raw(body))
    assert caught.value.field == "action.actionTemplate"


INVALID_TEMPLATES: list[tuple[str, Any, str]] = [
    ("name", ..., "name"),
    ("name", " ", "name"),
    ("mediaType", "banner", "mediaType"),
    ("state", "active", "state"),
    ("contentOffer", ..., "contentOffer"),
    ("contentOffer.displayMode", "Popup", "contentOffer.displayMode"),
    ("contentOffer.layoutMode", ..., "contentOffer.layoutMode"),
    ("contentOffer.imageUrl", ..., "contentOffer.imageUrl"),
    ("contentOffer.imageUrl", "javascript:alert(1)", "contentOffer.imageUrl"),
    ("contentOffer.callToAction.url", "/relative", "contentOffer.callToAction.url"),
    ("contentOffer.callToAction.target", "Parent", "contentOffer.callToAction.target"),
    (
        "contentOffer.style.offer",
        {"padding": ["8px"]},
        "contentOffer.style.offer[...]",
    ),  # msgspec names a map value so,
]


@pytest.mark.parametrize(("path", "value", "field"), INVALID_TEMPLATES)
def test_an_invalid_action_template_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_action_template(raw(_with(TEMPLATE, path, value)))
    assert caught.value.field == field


def test_a_text_only_offer_needs_no_image() -> None:
    body = _with(
        _with(TEMPLATE, "contentOffer.layoutMode", "TextOnly"), "contentOffer.imageUrl", ...
    )
    t = d.decode_action_template(raw(body))
    assert t.content_offer is not None
    assert t.content_offer.image_url is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "malformed JSON"),
        (b"[]", "the body must be a JSON object"),
        (b'"x"', "the body must be a JSON object"),
    ],
)
def test_a_body_that_is_no_json_object(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        d.decode_segment(body)
    assert caught.value.message.startswith(message)
    assert caught.value.field is None
