"""The demo contact centre's segments, outcome and call-back flow, on conversation events.

- **Abandoned in a queue** (a session segment, orange): a call or chat that ended with the
  customer hanging up while waiting in a queue (``ended`` with ``endedBy`` customer and an
  ``acdOutcome`` of Abandon).
- **Bought by phone** (a customer segment, green, for 30 days): a conversation wrapped up with
  the code *Sale*.
- **Sale closed** (an outcome): the same wrap-up, once per session.
- **Call back abandoned Sales callers** (an action map): a call abandoned in the queue *Sales*
  after waiting more than 60 seconds fires the flow *Demo call-back*, a signed webhook to this
  server's own ``/demo/callbacks`` (``api/demo_callbacks.py``), with the wait, the queue and the
  caller's number as inputs. ``GET /demo/callbacks`` shows the requests it received, verified.

Like the shop's offers (``demo/offers.py``) they are the Genesys JSON an administrator would
POST, with fixed ids, turned into commands by :func:`definition_commands`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from journeyline.engine.definitions import ENCODERS
from journeyline.engine.flows import new_secret
from journeyline.engine.inputs import CommandInput
from journeyline.ingest import definitions as wire
from journeyline.model.commands import PutDefinition
from journeyline.model.flows import Flow
from journeyline.store.base import Store

CALLBACK_FLOW_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e10"
ABANDONED_SEGMENT_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e11"
BOUGHT_SEGMENT_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e12"
SALE_OUTCOME_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e13"
CALLBACK_MAP_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e14"


def _on_ended(key: str, value: str, operator: str = "equal") -> dict[str, Any]:
    return {"key": key, "values": [value], "operator": operator, "shouldIgnoreCase": True}


def _ended_pattern(*criteria: dict[str, Any]) -> dict[str, Any]:
    return {
        "criteria": list(criteria),
        "count": 1,
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": "ended",
    }


def ended_condition(key: str, value: str, operator: str = "equal") -> dict[str, Any]:
    """An action map's event condition on a conversation's ``ended`` event."""
    return {
        "key": key,
        "values": [value],
        "operator": operator,
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": "ended",
    }


def _lookup(name: str, attribute_type: str, key: str) -> dict[str, str]:
    return {"name": name, "attributeType": attribute_type, "mappingType": "Lookup", "value": key}


SALE = _on_ended("wrapupCode.name", "Sale")

#: (kind, id, Genesys JSON body), in the order they must be created.
DEFINITIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "segment",
        ABANDONED_SEGMENT_ID,
        {
            "displayName": "Abandoned in a queue",
            "description": "Hung up while waiting for an agent",
            "color": "#d9822b",
            "scope": "Session",
            "journey": {
                "patterns": [
                    _ended_pattern(
                        _on_ended("endedBy", "customer"), _on_ended("acdOutcome", "Abandon")
                    )
                ]
            },
        },
    ),
    (
        "segment",
        BOUGHT_SEGMENT_ID,
        {
            "displayName": "Bought by phone",
            "description": "A conversation wrapped up as a sale",
            "color": "#1f8a5b",
            "scope": "Customer",
            "assignmentExpirationDays": 30,
            "journey": {"patterns": [_ended_pattern(SALE)]},
        },
    ),
    (
        "outcome",
        SALE_OUTCOME_ID,
        {
            "displayName": "Sale closed",
            "isPositive": True,
            "journey": {"patterns": [_ended_pattern(SALE)]},
        },
    ),
    (
        "actionmap",
        CALLBACK_MAP_ID,
        {
            "displayName": "Call back abandoned Sales callers",
            "triggerWithEventConditions": [
                ended_condition("queue.name", "Sales"),
                ended_condition("endedBy", "customer"),
                ended_condition("acdOutcome", "Abandon"),
                ended_condition("waitSeconds", "60", "greaterThan"),
            ],
            "activation": {"type": "immediate"},
            "action": {
                "mediaType": "architectFlow",
                "architectFlowFields": {
                    "architectFlow": {"id": CALLBACK_FLOW_ID},
                    "flowRequestMappings": [
                        _lookup("waitedSeconds", "Number", "waitSeconds"),
                        _lookup("queue", "String", "queue.name"),
                        _lookup("phone", "String", "contact.cellPhone"),
                        {
                            "name": "reason",
                            "attributeType": "String",
                            "mappingType": "HardCoded",
                            "value": "abandoned in queue",
                        },
                    ],
                },
            },
        },
    ),
]

_DECODE: dict[str, Callable[..., Any]] = {
    "actiontemplate": wire.decode_action_template,
    "segment": wire.decode_segment,
    "outcome": wire.decode_outcome,
    "actionmap": wire.decode_action_map,
}


def definition_commands(
    definitions: Sequence[tuple[str, str, dict[str, Any]]], now_ms: int, *, actor: str = "demo"
) -> list[CommandInput]:
    """Definitions as the commands that create them (validated as a POST would be)."""
    commands: list[CommandInput] = []
    for kind, definition_id, body in definitions:
        record = _DECODE[kind](json.dumps(body).encode(), id=definition_id, now_ms=now_ms)
        command = PutDefinition(
            actor=actor, at_ms=now_ms, kind=kind, id=definition_id, doc=ENCODERS[kind](record)
        )
        commands.append(CommandInput(f"demo-{kind}-{definition_id}", command))
    return commands


def ensure_callback_flow(store: Store, now_ms: int, *, url: str) -> Flow:
    """The demo's call-back flow to ``url`` (the demo server's own ``/demo/callbacks``),
    registered once, with a signing secret of its own."""
    found = store.flow_get(CALLBACK_FLOW_ID)
    if found is not None:
        return found
    flow = Flow(
        CALLBACK_FLOW_ID,
        "Demo call-back",
        url,
        "Asks the demo's own /demo/callbacks to call an abandoned Sales caller back",
        now_ms,
        now_ms,
    )
    with store.transaction():
        store.flow_put(flow)
        store.flow_secret_put(flow.id, new_secret(), now_ms)
    return flow
