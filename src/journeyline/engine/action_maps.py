"""Action maps whose trigger held: judged, weighed, then recorded and acted on.

The evaluator (``engine.journeys``) gathers, for one journey event, every action map it
triggered — by its event conditions or by a segment the event assigned — and hands them here.
Each is judged by the pure rules of ``core.action_maps`` (dates, once per session, page URL
an offer already pending, frequency capping), the web offers that pass are weighed
against each other (one is shown), and then:

- a **qualified** action is recorded (``journey_actions``, state ``qualified``) with
  ``action.qualified``; an ``architectFlow`` action queues its signed delivery in the outbox in
  the same transaction, due when its activation says (``delay``: ``delayInSeconds`` later);
- a **blocked** one is recorded (state ``blocked``, its Genesys ``blockingReason`` in its
  document), once per session and reason, with ``action.blocked``;
- an action whose activation is ``on-next-session`` (or ``on-next-visit``) is recorded as
  ``waiting``; when the contact's next session starts (a web session for a web offer, any
  session for a flow) it is taken there (:meth:`ActionMaps.activate`), if its map is still
  active and within its dates, and the waiting one becomes ``activated``.

Ids are made from the map, the session and the cause, so a replay records and queues the same
and never a second delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import msgspec

from journeyline.core import action_maps as rules
from journeyline.core.action_maps import Earlier, OfferPolicy, Verdict
from journeyline.core.criteria import as_number, read_key
from journeyline.core.patterns import CriteriaEvent
from journeyline.engine.effects import UnitView
from journeyline.engine.flows import delivery_id_for, enqueue_flow
from journeyline.engine.offers import offer_doc
from journeyline.model.definitions import ActionMap, Activation
from journeyline.model.effects import ActionBlocked, ActionQualified, Effect, SessionStarted
from journeyline.model.record import record
from journeyline.store.base import JourneyAction, Store

_encoder = msgspec.json.Encoder()
_doc = msgspec.json.Decoder(dict[str, Any])

#: Contact fields a flow request mapping may look up, as ``contact.<Genesys name>``.
CONTACT_KEYS = {
    "contact.id": "id",
    "contact.firstName": "first_name",
    "contact.lastName": "last_name",
    "contact.title": "title",
    "contact.workEmail": "work_email",
    "contact.personalEmail": "personal_email",
    "contact.otherEmail": "other_email",
    "contact.workPhone": "work_phone",
    "contact.cellPhone": "cell_phone",
    "contact.homePhone": "home_phone",
    "contact.otherPhone": "other_phone",
}


@record
class Triggered:
    """An action map whose trigger held on an event: ``trigger`` names what (``event:<id>`` or
    ``segment:<id>``); ``every_time``: triggered by visitor activity alone."""

    action_map: ActionMap
    trigger: str
    every_time: bool


@record
class _Candidate:
    """A triggered map to judge on a session: the event it is for, and the id of the action
    that waited for this session, if it is one."""

    triggered: Triggered
    event: CriteriaEvent
    waiting: str | None


#: What an Integer value may be: what the stores keep as an integer (SQLite's, PostgreSQL's
#: bigint).
INTEGER_RANGE = range(-(2**63), 2**63)


def typed(value: Any, attribute_type: str) -> Any:
    """A value as its ``attributeType`` says (None when it cannot be one: no number — ``inf``
    and ``nan`` are none, as for criteria, ``core.criteria.as_number`` — or too large)."""
    if value is None:
        return None
    match attribute_type:
        case "Number" | "Integer":
            scalar = int(value) if isinstance(value, bool) else value
            number = as_number(scalar) if isinstance(scalar, str | int | float) else None
            if number is None:
                return None
            if attribute_type == "Integer":  # exactly: float() would round a large one
                whole = int(number)  # a decimal's whole part
                return whole if whole in INTEGER_RANGE else None
            try:
                return float(number)
            except OverflowError:  # an integer text of 400 digits
                return None
        case "Boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
    return str(value)


def _earlier(store: Store, session_id: str) -> list[Earlier]:
    return [
        Earlier(a.action_map_id, a.media_type, a.state, a.created_ms)
        for a in store.actions_of(session_id)
    ]


class ActionMaps:
    def __init__(self, policy: OfferPolicy) -> None:
        self.policy = policy

    def take(
        self,
        unit: UnitView,
        triggered: Sequence[Triggered],
        session_id: str,
        contact_id: str | None,
        event: CriteriaEvent,
        visit: Callable[[], Mapping[str, Any]],
    ) -> list[Effect]:
        """Judge, weigh and act on the maps one event triggered on a session."""
        candidates: list[_Candidate] = []
        seen: set[str] = set()
        for t in triggered:
            if t.action_map.id in seen:
                continue  # its event conditions and one of its segments held together
            seen.add(t.action_map.id)
            candidates.append(_Candidate(t, event, None))
        return self._act(unit, candidates, session_id, contact_id, visit)

    def activate(
        self,
        unit: UnitView,
        started: SessionStarted,
        action_map_of: Mapping[str, ActionMap],
        visit: Callable[[], Mapping[str, Any]],
    ) -> list[Effect]:
        """Take the actions waiting for this contact's next session, on this session: judged
        and weighed there as if triggered now (one offer pending at a time, frequency capping),
        each waiting one ``activated`` either way."""
        if started.contact_id is None:
            return []
        store, now = unit.store, unit.now_ms
        woken: list[_Candidate] = []
        for waiting in store.actions_waiting(started.contact_id):
            if waiting.session_id == started.session_id:
                continue
            action_map = action_map_of.get(waiting.action_map_id)
            web = started.kind in ("web", "app")
            if action_map is None or not rules.in_force(action_map, now):
                continue  # a deleted, switched-off or ended map acts no more
            if rules.is_web_offer(action_map) and not web:
                continue  # an offer waits for a web session
            doc = _doc.decode(waiting.doc)
            store.action_put(replace(waiting, state="activated", modified_ms=now))
            event = CriteriaEvent(
                str(doc.get("eventId", "")),
                str(doc.get("streamType", "")),
                started.kind,
                str(doc.get("eventName", "")),
                {},
                now,
            )
            now_map = replace(action_map, activation=Activation("immediate"))
            trigger = Triggered(now_map, str(doc.get("trigger", "")), every_time=False)
            woken.append(_Candidate(trigger, event, waiting.id))
        return self._act(unit, woken, started.session_id, started.contact_id, visit)

    def _act(
        self,
        unit: UnitView,
        candidates: Sequence[_Candidate],
        session_id: str,
        contact_id: str | None,
        visit: Callable[[], Mapping[str, Any]],
    ) -> list[Effect]:
        """Judge the candidates on the session, weigh the offers that qualify, record each
        as qualified or blocked."""
        if not candidates:
            return []  # nothing to judge: not even the session's earlier actions to read
        store, now = unit.store, unit.now_ms
        earlier = _earlier(store, session_id)
        judged: list[tuple[_Candidate, Verdict]] = []
        for c in candidates:
            verdict = rules.judge(
                c.triggered.action_map,
                now_ms=now,
                every_time=c.triggered.every_time,
                earlier=earlier,
                policy=self.policy,
            )
            if verdict.state != "skip":
                judged.append((c, verdict))
        qualified = [c.triggered.action_map for c, v in judged if v.state == "qualified"]
        losers = {m.id for m in rules.weigh(qualified, session_id)}
        out: list[Effect] = []
        for c, verdict in judged:
            t = c.triggered
            if t.action_map.id in losers:
                verdict = Verdict("blocked", "MultipleSimultaneousOffers")
            if verdict.state == "blocked":
                out.append(self._blocked(store, t, verdict, session_id, contact_id, now))
            elif found := self._qualified(
                store, t, verdict, session_id, contact_id, now, c.event, visit, waiting=c.waiting
            ):
                out.append(found)
        return out

    # -- the writes -----------------------------------------------------------------------

    def _qualified(
        self,
        store: Store,
        t: Triggered,
        verdict: Verdict,
        session_id: str,
        contact_id: str | None,
        now: int,
        event: CriteriaEvent,
        visit: Callable[[], Mapping[str, Any]],
        *,
        waiting: str | None,
    ) -> Effect | None:
        """Record (and for a flow, queue) a qualified action; None when this very action was
        taken before (a late change to its triggering event fires it again: it keeps the state
        it has reached)."""
        action_map, action = t.action_map, t.action_map.action
        cause = f"after:{waiting}" if waiting else t.trigger if t.every_time else "session"
        action_id = _action_id(action_map.id, session_id, cause)
        if store.action_get(action_id) is not None:
            return None
        doc: dict[str, Any] = {"trigger": t.trigger, "activation": action_map.activation.type}
        doc.update(offer_doc(store, action_map))  # what the ping serves of a web offer
        if waiting:
            doc["activatedFrom"] = waiting
        state = "qualified"
        if verdict.due_ms is None:  # on the contact's next session
            state = "waiting"
            doc.update(
                eventId=event.event_id, eventName=event.event_name, streamType=event.stream_type
            )
        elif verdict.due_ms > now:
            doc["dueMs"] = verdict.due_ms
        flow_id = action.architect_flow_id if action.media_type == "architectFlow" else None
        if state == "qualified" and flow_id:
            delivery_id = delivery_id_for("flow", action_map.id, session_id, cause)
            payload = _payload(store, action_map, session_id, contact_id, action_id, event, visit)
            enqueue_flow(
                store,
                delivery_id=delivery_id,
                flow_id=flow_id,
                payload=payload,
                now_ms=now,
                due_ms=verdict.due_ms,
            )
            doc["deliveryId"] = delivery_id
        store.action_put(_action(action_id, action_map, session_id, contact_id, state, now, doc))
        return ActionQualified(
            action_id,
            action_map.id,
            action_map.version,
            action.media_type,
            session_id,
            contact_id,
            t.trigger,
            now,
        )

    def _blocked(
        self,
        store: Store,
        t: Triggered,
        verdict: Verdict,
        session_id: str,
        contact_id: str | None,
        now: int,
    ) -> Effect:
        action_map = t.action_map
        reason = verdict.reason or "Unknown"
        action_id = _action_id(action_map.id, session_id, f"blocked:{reason}")
        doc = {"trigger": t.trigger, "blockingReason": reason}
        if store.action_get(action_id) is None:  # blocked for this reason before: kept as it was
            store.action_put(
                _action(action_id, action_map, session_id, contact_id, "blocked", now, doc)
            )
        return ActionBlocked(
            action_id,
            action_map.id,
            action_map.version,
            action_map.action.media_type,
            session_id,
            contact_id,
            reason,
            now,
        )


def _action(
    action_id: str,
    action_map: ActionMap,
    session_id: str,
    contact_id: str | None,
    state: str,
    now: int,
    doc: dict[str, Any],
) -> JourneyAction:
    return JourneyAction(
        action_id,
        action_map.id,
        action_map.version,
        session_id,
        contact_id,
        action_map.action.media_type,
        state,
        now,
        now,
        _encoder.encode(doc),
    )


def _action_id(action_map_id: str, session_id: str, cause: str) -> str:
    return delivery_id_for("action", action_map_id, session_id, cause).removeprefix("msg_")


def lookup(
    store: Store,
    key: str,
    event: CriteriaEvent,
    contact_id: str | None,
    visit: Callable[[], Mapping[str, Any]],
) -> Any:
    """A flow request mapping's ``Lookup``: the key in the triggering event's attributes, else
    in the session's visit (device, browser, geolocation, referrer, campaign, ...), else a
    contact field (``contact.firstName``, ``contact.cellPhone``, ...)."""
    found = read_key(event.attributes, key)
    if found is not None:
        return found
    found = visit().get(key)
    if found is not None:
        return found
    field = CONTACT_KEYS.get(key)
    if field is None or contact_id is None:
        return None
    contact = store.contact_get(contact_id)
    return getattr(contact, field, None) if contact is not None else None


def _payload(
    store: Store,
    action_map: ActionMap,
    session_id: str,
    contact_id: str | None,
    action_id: str,
    event: CriteriaEvent,
    visit: Callable[[], Mapping[str, Any]],
) -> dict[str, Any]:
    """The flow's request: its ``flowRequestMappings`` (looked up, or hard-coded), typed by
    ``attributeType``, and the ids of what triggered it."""
    inputs: dict[str, Any] = {}
    for mapping in action_map.action.flow_request_mappings:
        raw: Any = mapping.value
        if mapping.mapping_type == "Lookup":
            raw = lookup(store, mapping.value, event, contact_id, visit)
        inputs[mapping.name] = typed(raw, mapping.attribute_type)
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
