"""Segments, outcomes and action maps, evaluated on every journey event: an in-transaction
subscriber of the unit of work.

For each journey event a unit added or changed (web, app and conversation events alike:
routed, connected, ended), the definitions that could care are found in the index
(``core.patterns.DefinitionIndex``, by stream and event name: unrelated definitions cost a
dictionary miss); each one's progress for the scope (the session, or the contact for customer
segments) is advanced by the event alone — never a rescan of history — and stored. Then:

- a **segment** whose journey is complete and whose context holds is assigned (once while
  assigned; ``assignmentExpirationDays`` sets when it lapses): ``segment.assigned``;
- an **outcome** is achieved at most once per session, with its value: ``outcome.achieved``;
- an **action map** fires when an event meets all its event conditions, or when one of its
  segments is assigned, if it is active and inside its start and end dates. Its journey action
  is recorded (``action.qualified``); an ``architectFlow`` action queues a signed delivery in
  the outbox in the same transaction (``engine.flows``), its id made from the map, the session
  and the trigger, so a replay can never queue it twice. Triggered by visitor activity alone
  it fires on every matching event; triggered by a segment, once per session.

What this first version leaves out (docs/definitions.md says so): context patterns for
conversation sessions (they have no visit), activation ``delay`` and ``on-next-session``
(treated as immediate and recorded as such), frequency capping, weights between maps and
schedule groups. A web offer (``contentOffer``, ``webMessagingOffer``) is recorded as
qualified with what the ping serves of it (``engine.actions.offer_doc``); the ping checks
its page URL conditions, and the browser reports the rest of its lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from journeyline.core import patterns
from journeyline.core.criteria import context_of, read_key
from journeyline.core.patterns import CriteriaEvent, JourneyProgress
from journeyline.engine.actions import offer_doc
from journeyline.engine.assignments import Assignments, event_id
from journeyline.engine.definitions import Current, Definitions
from journeyline.engine.effects import UnitView
from journeyline.engine.flows import delivery_id_for, enqueue_flow
from journeyline.model.definitions import ActionMap, Outcome, Segment
from journeyline.model.effects import (
    ActionQualified,
    Effect,
    JourneyEventAdded,
    JourneyEventChanged,
    OutcomeAchieved,
)
from journeyline.store.base import Achievement, JourneyAction, RuleEventRow, Store

_progress_decoder = msgspec.json.Decoder(JourneyProgress)
_encoder = msgspec.json.Encoder()


def _typed(value: Any, attribute_type: str) -> Any:
    """A flow input as its ``attributeType`` says (None when it cannot be one)."""
    if value is None:
        return None
    try:
        match attribute_type:
            case "Number":
                return float(value)
            case "Integer":
                return int(float(value))
            case "Boolean":
                return value if isinstance(value, bool) else str(value).lower() == "true"
    except (TypeError, ValueError):
        return None
    return str(value)


def _outcome_event(
    store: Store, outcome: Outcome, session_id: str, now_ms: int, value: float | None
) -> None:
    """The ``OutcomeAchievedEvent`` on the session's journey."""
    payload: dict[str, Any] = {
        "outcome": {
            "id": outcome.id,
            "displayName": outcome.display_name,
            "version": outcome.version,
        },
    }
    if value is not None:
        payload["associatedValue"] = value
    row = RuleEventRow(
        event_id("outcome", outcome.id, session_id),
        session_id,
        now_ms,
        "OutcomeAchievedEvent",
        _encoder.encode({"outcomeAchievedEvent": payload}),
    )
    store.journey_events_put([row])


class JourneyRules:
    """The in-transaction subscriber (see the module docstring). ``name_of(kind, id)`` gives
    the directory names (queues, agents, wrap-up codes) conversation criteria use."""

    def __init__(self, definitions: Definitions, name_of: Callable[[str, str], str]) -> None:
        self.definitions = definitions
        self.name_of = name_of

    def __call__(self, unit: UnitView) -> Sequence[tuple[int, Effect]]:
        added: list[tuple[int, Effect]] = []
        current = self.definitions.current()
        if current.empty:
            return added  # nothing defined: an event costs one attribute read
        for partition, effect in unit.effects:
            if isinstance(effect, JourneyEventAdded):
                if effect.moved_from is not None:
                    continue  # not new: it was evaluated on the session it came from
                stream_type, contact_id = effect.stream_type, effect.contact_id
            elif isinstance(effect, JourneyEventChanged):
                stream_type, contact_id = "Conversation", None  # only conversation events change
            else:
                continue
            concerned = current.candidates(stream_type, effect.event_name)
            if not any(concerned):
                continue
            if isinstance(effect, JourneyEventChanged):  # it names no contact: the session's
                link = unit.store.session_link(effect.session_id)
                contact_id = link[0] if link else None
            event = patterns.event_from_effect(effect, name_of=self.name_of)
            for found in self._event(
                unit, current, concerned, effect.session_id, contact_id, event
            ):
                added.append((partition, found))
        return added

    # -- one event ------------------------------------------------------------------------

    def _event(
        self,
        unit: UnitView,
        current: Current,
        concerned: tuple[tuple[Segment, ...], tuple[Outcome, ...], tuple[ActionMap, ...]],
        session_id: str,
        contact_id: str | None,
        event: CriteriaEvent,
    ) -> list[Effect]:
        """What one event decides for the definitions it concerns."""
        segments, outcomes, action_maps = concerned
        store = unit.store
        out: list[Effect] = []
        context: dict[str, Any] | None = None

        def visit() -> dict[str, Any]:
            nonlocal context
            if context is None:
                web = store.web_session_get(session_id)
                context = dict(context_of(web)) if web is not None else {}
            return context

        for segment in segments:
            scope = contact_id if segment.scope == "Customer" and contact_id else session_id
            if self._matched(store, segment, scope, event, visit):
                out += self._assign(unit, current, segment, scope, session_id, contact_id, event)
        for outcome in outcomes:
            if self._matched(store, outcome, session_id, event, visit):
                value = None
                field = outcome.associated_value_field
                if field is not None:
                    raw = read_key(event.attributes, field.name)
                    value = _typed(raw, field.data_type)
                if store.achievement_put(
                    Achievement(outcome.id, session_id, contact_id, unit.now_ms, value)
                ):
                    _outcome_event(store, outcome, session_id, unit.now_ms, value)
                    out.append(
                        OutcomeAchieved(outcome.id, session_id, contact_id, unit.now_ms, value)
                    )
        for action_map in action_maps:
            if action_map.trigger_with_event_conditions and patterns.conditions_match(
                action_map.trigger_with_event_conditions, event
            ):
                out += self._fire(
                    unit,
                    action_map,
                    session_id,
                    contact_id,
                    f"event:{event.event_id}",
                    event,
                    every_time=not action_map.trigger_with_segments,
                )
        return out

    def _matched(
        self,
        store: Store,
        definition: Segment | Outcome,
        scope: str,
        event: CriteriaEvent,
        visit: Callable[[], dict[str, Any]],
    ) -> bool:
        key = (definition.id, scope)
        stored = store.progress_get([key]).get(key)
        before = _progress_decoder.decode(stored) if stored is not None else patterns.START
        after = patterns.advance(definition.journey_patterns, before, event)
        if after is not before:
            store.progress_put([(definition.id, scope, _encoder.encode(after))])
        if not after.complete(definition.journey_patterns):
            return False
        return not definition.context_patterns or patterns.is_matched(definition, after, visit())

    def _assign(
        self,
        unit: UnitView,
        current: Current,
        segment: Segment,
        scope: str,
        session_id: str,
        contact_id: str | None,
        event: CriteriaEvent,
    ) -> list[Effect]:
        assigned = Assignments(unit.store).assign(
            segment, scope, session_id, contact_id, unit.now_ms
        )
        if assigned is None:
            return []
        out: list[Effect] = [assigned]
        for action_map in current.action_maps.triggered_by(segment.id):
            out += self._fire(
                unit,
                action_map,
                session_id,
                contact_id,
                f"segment:{segment.id}",
                event,
                every_time=False,
            )
        return out

    def _fire(
        self,
        unit: UnitView,
        action_map: ActionMap,
        session_id: str,
        contact_id: str | None,
        trigger: str,
        event: CriteriaEvent,
        *,
        every_time: bool,
    ) -> list[Effect]:
        store, now = unit.store, unit.now_ms
        if action_map.start_ms is not None and now < action_map.start_ms:
            return []
        if action_map.end_ms is not None and now >= action_map.end_ms:
            return []
        if not every_time and store.actions_of(session_id, action_map.id):
            return []  # once per session, unless triggered by visitor activity alone
        action = action_map.action
        cause = trigger if every_time else "session"
        action_id = delivery_id_for("action", action_map.id, session_id, cause).removeprefix("msg_")
        doc: dict[str, Any] = {"trigger": trigger, "activation": action_map.activation.type}
        doc.update(offer_doc(store, action_map))  # what the ping serves of a web offer
        if action.media_type == "architectFlow" and action.architect_flow_id:
            delivery_id = delivery_id_for("flow", action_map.id, session_id, cause)
            payload = self._payload(action_map, session_id, contact_id, action_id, event)
            enqueue_flow(
                store,
                delivery_id=delivery_id,
                flow_id=action.architect_flow_id,
                payload=payload,
                now_ms=now,
            )
            doc["deliveryId"] = delivery_id
        store.action_put(
            JourneyAction(
                action_id,
                action_map.id,
                action_map.version,
                session_id,
                contact_id,
                action.media_type,
                "qualified",
                now,
                now,
                _encoder.encode(doc),
            )
        )
        return [
            ActionQualified(
                action_id,
                action_map.id,
                action_map.version,
                action.media_type,
                session_id,
                contact_id,
                trigger,
                now,
            )
        ]

    def _payload(
        self,
        action_map: ActionMap,
        session_id: str,
        contact_id: str | None,
        action_id: str,
        event: CriteriaEvent,
    ) -> dict[str, Any]:
        """The flow's request: its ``flowRequestMappings`` (looked up from the triggering
        event's attributes, or hard-coded), typed by ``attributeType``, and the ids of what
        triggered it."""
        inputs: dict[str, Any] = {}
        for mapping in action_map.action.flow_request_mappings:
            raw: Any = mapping.value
            if mapping.mapping_type == "Lookup":
                raw = read_key(event.attributes, mapping.value)
            inputs[mapping.name] = _typed(raw, mapping.attribute_type)
        return {
            "actionId": action_id,
            "actionMap": {
                "id": action_map.id,
                "version": action_map.version,
                "displayName": action_map.display_name,
            },
            "session": {"id": session_id},
            "externalContact": {"id": contact_id} if contact_id else None,
            "event": {
                "id": event.event_id,
                "eventName": event.event_name,
                "streamType": event.stream_type,
            },
            "inputs": inputs,
        }
