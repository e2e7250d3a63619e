"""Definitions -> the Genesys response shapes (``JourneySegment``, ``Outcome``, ``ActionMap``,
``ActionTemplate``): camelCase, nulls omitted, dates ISO 8601 in UTC with milliseconds.

The decoder (``journeyline.ingest.definitions``) reads these shapes back, so a GET answer can be
sent again as a POST or a PATCH, and a PATCH is merged onto the stored definition's shape.
"""

from __future__ import annotations

from typing import Any

from journeyline.clock import iso
from journeyline.model.definitions import (
    ActionMap,
    ActionMapAction,
    ActionTemplate,
    Criterion,
    Outcome,
    Segment,
)

Json = dict[str, Any]


# -- encoding -------------------------------------------------------------------------------------


def _compact(doc: Json) -> Json:
    return {k: v for k, v in doc.items() if v is not None}


def _envelope(kind: str, d: Segment | Outcome | ActionMap | ActionTemplate) -> Json:
    return {
        "id": d.id,
        "version": d.version,
        "selfUri": f"/api/v2/journey/{kind}/{d.id}",
        "createdDate": iso(d.created_ms),
        "modifiedDate": iso(d.modified_ms),
    }


def _criterion_json(c: Criterion) -> Json:
    return _compact(
        {
            "key": c.key,
            "values": list(c.values),
            "shouldIgnoreCase": c.should_ignore_case,
            "operator": c.operator,
            "entityType": c.entity_type,
        }
    )


def _patterns(d: Segment | Outcome) -> Json:
    return {
        "context": {
            "patterns": [
                {"criteria": [_criterion_json(c) for c in p.criteria]} for p in d.context_patterns
            ]
        },
        "journey": {
            "patterns": [
                _compact(
                    {
                        "criteria": [_criterion_json(c) for c in p.criteria],
                        "count": p.count,
                        "streamType": p.stream_type,
                        "sessionType": p.session_type,
                        "eventName": p.event_name,
                    }
                )
                for p in d.journey_patterns
            ]
        },
    }


def encode_segment(s: Segment) -> Json:
    """A Genesys ``JourneySegment``."""
    ext = s.external_segment
    return _compact(
        {
            **_envelope("segments", s),
            "isActive": s.is_active,
            "displayName": s.display_name,
            "description": s.description,
            "color": s.color,
            "scope": s.scope,
            "shouldDisplayToAgent": s.should_display_to_agent,
            **_patterns(s),
            "externalSegment": {"id": ext.id, "name": ext.name, "source": ext.source}
            if ext
            else None,
            "assignmentExpirationDays": s.assignment_expiration_days,
        }
    )


def encode_outcome(o: Outcome) -> Json:
    """A Genesys ``Outcome``."""
    value = o.associated_value_field
    return _compact(
        {
            **_envelope("outcomes", o),
            "isActive": o.is_active,
            "displayName": o.display_name,
            "description": o.description,
            "isPositive": o.is_positive,
            **_patterns(o),
            "associatedValueField": {"dataType": value.data_type, "name": value.name}
            if value
            else None,
        }
    )


def _action_json(a: ActionMapAction) -> Json:
    flow = {"id": a.architect_flow_id} if a.architect_flow_id else None
    mappings = [
        {"name": m.name, "attributeType": m.attribute_type, "mappingType": m.mapping_type}
        | {"value": m.value}
        for m in a.flow_request_mappings
    ]
    doc: Json = {"mediaType": a.media_type}
    if a.media_type == "contentOffer":
        doc["actionTemplate"] = {"id": a.action_template_id}
    elif a.media_type == "architectFlow":
        doc["architectFlowFields"] = {"architectFlow": flow, "flowRequestMappings": mappings}
    elif a.media_type == "webMessagingOffer" and (flow or a.offer_text is not None):
        doc["webMessagingOfferFields"] = _compact(
            {"offerText": a.offer_text, "architectFlow": flow}
        )
    elif a.media_type == "openAction":
        doc["openActionFields"] = {
            "openAction": _compact({"id": a.open_action_id, "name": a.open_action_name}),
            "configurationFields": dict(a.configuration_fields),
        }
    return doc


def _date(ms: int | None) -> str | None:
    return iso(ms) if ms is not None else None


def encode_action_map(m: ActionMap) -> Json:
    """A Genesys ``ActionMap``."""
    groups = _compact(
        {
            "actionMapScheduleGroup": {"id": m.schedule_group_id} if m.schedule_group_id else None,
            "emergencyActionMapScheduleGroup": {"id": m.emergency_schedule_group_id}
            if m.emergency_schedule_group_id
            else None,
        }
    )
    return _compact(
        {
            **_envelope("actionmaps", m),
            "isActive": m.is_active,
            "displayName": m.display_name,
            "triggerWithSegments": list(m.trigger_with_segments),
            "triggerWithEventConditions": [
                {
                    "key": c.key,
                    "values": list(c.values),
                    "operator": c.operator,
                    "streamType": c.stream_type,
                    "sessionType": c.session_type,
                    "eventName": c.event_name,
                }
                for c in m.trigger_with_event_conditions
            ],
            "pageUrlConditions": [
                {"values": list(c.values), "operator": c.operator} for c in m.page_url_conditions
            ],
            "activation": _compact(
                {"type": m.activation.type, "delayInSeconds": m.activation.delay_seconds}
            ),
            "weight": m.weight,
            "action": _action_json(m.action),
            "actionMapScheduleGroups": groups or None,
            "ignoreFrequencyCap": m.ignore_frequency_cap,
            "startDate": _date(m.start_ms),
            "endDate": _date(m.end_ms),
        }
    )


def encode_action_template(t: ActionTemplate) -> Json:
    """A Genesys ``ActionTemplate``."""
    offer = t.content_offer
    content = None
    if offer is not None:
        cta = offer.call_to_action
        content = _compact(
            {
                "imageUrl": offer.image_url,
                "imageAltText": offer.image_alt_text,
                "displayMode": offer.display_mode,
                "layoutMode": offer.layout_mode,
                "title": offer.title,
                "headline": offer.headline,
                "body": offer.body,
                "callToAction": _compact({"text": cta.text, "url": cta.url, "target": cta.target})
                if cta
                else None,
                "style": offer.style,
            }
        )
    return _compact(
        {
            **_envelope("actiontemplates", t),
            "name": t.name,
            "description": t.description,
            "mediaType": t.media_type,
            "state": t.state,
            "contentOffer": content,
        }
    )
