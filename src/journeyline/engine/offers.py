"""Web offers in the unit of work: what a qualified offer shows, and its reported lifecycle.

- :func:`offer_doc` is what ``engine.journeys`` keeps in a ``contentOffer`` or
  ``webMessagingOffer`` action's doc when it qualifies, so that the tracker's ping is a read of
  the action alone (no definition to load): the ``DeploymentWebAction`` properties (the offer
  text, or the action template's ``ContentOffer`` as it was then), the action map's
  ``pageUrlConditions`` and display name, and the action's ``prompt``.
- :class:`WebActions` applies a :class:`~journeyline.model.commands.RecordActionEvent` (the
  browser's ``POST …/actionevent``), logged like every command so a rebuild replays it: the
  action must exist, be a web offer of the named session on the named deployment, and the
  state must be allowed after its current one (``core.offers.transition``; the same state again
  changes nothing). Its state changes, ``action.changed`` is emitted, and the session's journey
  gets a ``WebActionEvent``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec

from journeyline.clock import iso
from journeyline.core.offers import TERMINAL, WEB_OFFERS, transition
from journeyline.engine.effects import Effects
from journeyline.engine.web import partition_of_session
from journeyline.ids import rule_event_id
from journeyline.model.commands import RecordActionEvent
from journeyline.model.definitions import ActionMap
from journeyline.model.effects import ActionChanged
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import JourneyAction, RuleEventRow, Store

_encoder = msgspec.json.Encoder()


def offer_doc(store: Store, action_map: ActionMap) -> dict[str, Any]:
    """What the ping serves of a web offer that qualifies now (empty for other media types)."""
    action = action_map.action
    if action.media_type not in WEB_OFFERS:
        return {}
    doc: dict[str, Any] = {
        "displayName": action_map.display_name,
        "pageUrlConditions": [
            {"values": list(c.values), "operator": c.operator}
            for c in action_map.page_url_conditions
        ],
    }
    if action.media_type == "webMessagingOffer":
        doc["webMessagingOfferProperties"] = {"offerText": action.offer_text}
        doc["prompt"] = action.offer_text
        return doc
    template = store.definition_get("actiontemplate", action.action_template_id or "")
    if template is not None:
        content = msgspec.json.decode(template.doc).get("contentOffer")
        if content is not None:
            doc["contentOfferProperties"] = content
            doc["prompt"] = content.get("headline") or content.get("title")
    return doc


def web_action_event(action: JourneyAction, doc: dict[str, Any], at_ms: int) -> dict[str, Any]:
    """The Genesys ``WebActionEvent`` payload of an action now in its (new) state.
    ``timeToDisposition``: for a final state, the milliseconds since it was offered (since it
    qualified, when it was never reported offered)."""
    event: dict[str, Any] = {
        "action": {
            "id": action.id,
            "state": action.state,
            "mediaType": action.media_type,
            "prompt": doc.get("prompt"),
            "createdDate": iso(action.created_ms),
        },
        "actionMap": {
            "id": action.action_map_id,
            "version": action.action_map_version,
            "displayName": doc.get("displayName"),
        },
        "timeToDisposition": at_ms - int(doc.get("offeredMs", action.created_ms))
        if action.state in TERMINAL
        else None,
        "errorCode": doc.get("errorCode"),
        "errorMessage": doc.get("errorMessage"),
    }
    event["action"] = {k: v for k, v in event["action"].items() if v is not None}
    event["actionMap"] = {k: v for k, v in event["actionMap"].items() if v is not None}
    return {k: v for k, v in event.items() if v is not None}


class WebActions:
    """Applies the browser's reports of web actions (see the module docstring)."""

    def __init__(self, store: Store, effects: Effects) -> None:
        self.store = store
        self.effects = effects

    def execute(self, command: RecordActionEvent) -> dict[str, Any]:
        store = self.store
        action = store.action_get(command.action_id)
        if action is None:
            raise NotFound(f"no action with id {command.action_id}", field="actionId")
        if action.media_type not in WEB_OFFERS:
            raise InvalidInput(
                f"action {action.id} is an {action.media_type} action, not a web offer",
                field="actionId",
            )
        if action.session_id != command.session_id:
            raise InvalidInput(
                f"action {action.id} is not an action of session {command.session_id}",
                field="sessionId",
            )
        session = store.web_session_get(action.session_id)
        if session is None or session.deployment_id != command.deployment_id:
            raise InvalidInput(
                f"action {action.id} was not offered on deployment {command.deployment_id}",
                field="deploymentId",
            )
        if not transition(action.state, command.action_state):
            return {"id": action.id, "actionState": action.state, "changed": False}
        at = command.at_ms
        doc: dict[str, Any] = msgspec.json.decode(action.doc)
        if command.action_state == "offered":
            doc["offeredMs"] = at
        if command.error_code is not None:
            doc["errorCode"] = command.error_code
        if command.error_message is not None:
            doc["errorMessage"] = command.error_message
        changed = dataclasses.replace(
            action, state=command.action_state, modified_ms=at, doc=_encoder.encode(doc)
        )
        store.action_put(changed)
        payload = {"webActionEvent": web_action_event(changed, doc, at)}
        row = RuleEventRow(
            rule_event_id("action", action.id, changed.state),  # once per state reached
            action.session_id,
            at,
            "WebActionEvent",
            _encoder.encode(payload),
        )
        store.journey_events_put([row])
        self.effects.at(partition_of_session(session))
        self.effects.emit(
            ActionChanged(
                action.id,
                action.action_map_id,
                action.action_map_version,
                action.media_type,
                action.session_id,
                action.contact_id,
                action.state,
                changed.state,
                at,
                command.error_code,
                command.error_message,
            )
        )
        return {"id": action.id, "actionState": changed.state, "changed": True}
