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
- an **action map** is triggered when an event meets all its event conditions, or when one of
  its segments is assigned; the maps one event triggers go to ``engine.action_maps``, which
  judges them (dates, once per session, page URL conditions, frequency capping, weight: the
  pure rules of ``core.action_maps``) and records each as qualified (a flow queued in the outbox in
  the same transaction, due when its activation says), blocked (with its Genesys reason) or
  waiting for the contact's next session — taken there when that session starts.

What this version leaves out (docs/definitions.md says so): context patterns for conversation
sessions (they have no visit), and schedule groups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from journeyline.core import patterns
from journeyline.core.action_maps import OfferPolicy
from journeyline.core.criteria import context_of, read_key
from journeyline.core.patterns import CriteriaEvent, JourneyProgress
from journeyline.engine.action_maps import ActionMaps, Triggered, typed
from journeyline.engine.assignments import Assignments
from journeyline.engine.definitions import Current, Definitions
from journeyline.engine.effects import UnitView
from journeyline.ids import rule_event_id
from journeyline.model.definitions import ActionMap, Outcome, Segment
from journeyline.model.effects import (
    Effect,
    JourneyEventAdded,
    JourneyEventChanged,
    OutcomeAchieved,
    SessionStarted,
)
from journeyline.model.record import record
from journeyline.store.base import Achievement, RuleEventRow, Store

_progress_decoder = msgspec.json.Decoder(JourneyProgress)
_encoder = msgspec.json.Encoder()


@record
class Progress:
    """The criteria progress of the definitions one event concerns: as stored before it
    (read in one go), and what it advanced (written in one go)."""

    before: Mapping[tuple[str, str], bytes]
    after: list[tuple[str, str, bytes]]


#: The effects definitions are evaluated on.
_EVALUATED = (JourneyEventAdded, JourneyEventChanged, SessionStarted)


def _visit(store: Store, session_id: str) -> Callable[[], dict[str, Any]]:
    """The session's visit attributes (``core.criteria.context_of``), read once when first
    asked for; none for a conversation session."""
    context: dict[str, Any] | None = None

    def visit() -> dict[str, Any]:
        nonlocal context
        if context is None:
            web = store.web_session_get(session_id)
            context = dict(context_of(web)) if web is not None else {}
        return context

    return visit


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
        rule_event_id("outcome", outcome.id, session_id),
        session_id,
        now_ms,
        "OutcomeAchievedEvent",
        _encoder.encode({"outcomeAchievedEvent": payload}),
    )
    store.journey_events_put([row])


class JourneyRules:
    """The in-transaction subscriber (see the module docstring). ``name_of(kind, id)`` gives
    the directory names (queues, agents, wrap-up codes) conversation criteria use."""

    def __init__(
        self,
        definitions: Definitions,
        name_of: Callable[[str, str], str],
        policy: OfferPolicy | None = None,
    ) -> None:
        self.definitions = definitions
        self.name_of = name_of
        self.action_maps = ActionMaps(policy or OfferPolicy())

    def __call__(self, unit: UnitView) -> Sequence[tuple[int, Effect]]:
        added: list[tuple[int, Effect]] = []
        if not any(isinstance(e, _EVALUATED) for _, e in unit.effects):
            return added  # a unit that changed no journey (a definition, say) decides nothing
        current = self.definitions.current()
        if current.empty:
            return added  # nothing defined: an event costs one attribute read
        waits = current.any_waits
        for partition, effect in unit.effects:
            if isinstance(effect, SessionStarted):
                if not waits:
                    continue
                visit = _visit(unit.store, effect.session_id)
                for found in self.action_maps.activate(unit, effect, current.action_map_of, visit):
                    added.append((partition, found))
                continue
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
        visit = _visit(store, session_id)
        triggered: list[Triggered] = []
        scoped = [
            (s, contact_id if s.scope == "Customer" and contact_id else session_id)
            for s in segments
        ]
        keys = [(s.id, scope) for s, scope in scoped] + [(o.id, session_id) for o in outcomes]
        progress = Progress(store.progress_get(keys) if keys else {}, [])
        for segment, scope in scoped:
            if self._matched(progress, segment, scope, event, visit):
                assigned = Assignments(store).assign(
                    segment, scope, session_id, contact_id, unit.now_ms
                )
                if assigned is not None:
                    out.append(assigned)
                    trigger = f"segment:{segment.id}"
                    triggered += [
                        Triggered(m, trigger, every_time=False)
                        for m in current.action_maps.triggered_by(segment.id)
                    ]
        for outcome in outcomes:
            if self._matched(progress, outcome, session_id, event, visit):
                value = None
                field = outcome.associated_value_field
                if field is not None:
                    raw = read_key(event.attributes, field.name)
                    number = typed(raw, field.data_type)  # an Integer past 64 bits is none
                    value = None if number is None else float(number)  # as the stores keep it
                if store.achievement_put(
                    Achievement(outcome.id, session_id, contact_id, unit.now_ms, value)
                ):
                    _outcome_event(store, outcome, session_id, unit.now_ms, value)
                    out.append(
                        OutcomeAchieved(outcome.id, session_id, contact_id, unit.now_ms, value)
                    )
        if progress.after:
            store.progress_put(progress.after)
        triggered += [
            Triggered(m, f"event:{event.event_id}", every_time=not m.trigger_with_segments)
            for m in action_maps
            if m.trigger_with_event_conditions
            and patterns.conditions_match(m.trigger_with_event_conditions, event)
        ]
        out += self.action_maps.take(unit, triggered, session_id, contact_id, event, visit)
        return out

    def _matched(
        self,
        progress: Progress,
        definition: Segment | Outcome,
        scope: str,
        event: CriteriaEvent,
        visit: Callable[[], dict[str, Any]],
    ) -> bool:
        stored = progress.before.get((definition.id, scope))
        before = _progress_decoder.decode(stored) if stored is not None else patterns.START
        after = patterns.advance(definition.journey_patterns, before, event)
        if after is not before:
            progress.after.append((definition.id, scope, _encoder.encode(after)))
        if not after.complete(definition.journey_patterns):
            return False
        return not definition.context_patterns or patterns.is_matched(definition, after, visit())
