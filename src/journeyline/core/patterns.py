"""Journey patterns, event conditions and the definition index: evaluation one event at a time.

Nothing here rescans a session's history. A journey's state for one scope (a session, or a
customer) is a small immutable :class:`JourneyProgress`; :func:`advance` takes it and one
:class:`CriteriaEvent` and returns the next one:

- the patterns are a sequence: pattern N counts only events evaluated after pattern N-1 was
  satisfied that also happened (``created_ms``) strictly after the event that satisfied it, so
  neither a late-arriving earlier event nor one evaluated again counts out of order (two
  events in the same millisecond are not in sequence);
- a pattern is satisfied by ``count`` distinct events of its stream type, session type and
  (when given) event name on which every criterion holds;
- an event counts at most once, for one pattern: its id is remembered, so an event evaluated
  again (a late wrap-up filling ``wrapupCode.name`` on an ``ended`` event re-sends it) never
  counts twice. It may count the second time if it did not match the first;
- progress only goes forward: an event that changes or disappears after it was counted stays
  counted.

Action-map event conditions (:func:`conditions_match`) are about a single event: all of a map's
conditions hold of it. :class:`DefinitionIndex` finds the definitions an event could concern by
``(stream_type, event_name)``, so definitions about other events cost one dictionary miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from typing import Generic, TypeVar

from journeyline.core.criteria import Value, all_match, context_matches, matcher, read_key
from journeyline.model.definitions import (
    ActionMap,
    EventCondition,
    JourneyPattern,
    Outcome,
    PageUrlCondition,
    Segment,
)
from journeyline.model.effects import JourneyEventAdded, JourneyEventChanged
from journeyline.model.record import record

#: ``name_of(kind, id)``: the directory name of a queue, user or wrap-up code (the id when it is
#: unknown), as in ``core.card``.
NameOf = Callable[[str, str], str]

#: Id attributes whose names are resolved from the directory before evaluation
#: (docs/conversation-events.md: ``*.name`` attributes are resolved when the event is read).
NAMED_IDS: Mapping[str, str] = {
    "queue.id": "queue",
    "agent.id": "user",
    "wrapupCode.id": "wrapupcode",
}

#: The engine's attribute keys for web and app events that criteria spell the Genesys way.
KEY_ALIASES: Mapping[str, str] = {"search.query": "searchQuery", "screen.name": "screenName"}


@record
class CriteriaEvent:
    """One journey event, as criteria see it: flat dotted attributes."""

    event_id: str
    stream_type: str
    session_type: str
    event_name: str
    attributes: Mapping[str, Value]
    created_ms: int


def event_from_effect(
    effect: JourneyEventAdded | JourneyEventChanged,
    *,
    name_of: NameOf | None = None,
    stream_type: str = "Conversation",
    session_type: str = "conversation",
) -> CriteriaEvent:
    """The criteria view of a journey-event effect. ``JourneyEventChanged`` carries no stream
    or session type (only conversation events change), so they are taken from the keywords;
    ``name_of`` fills ``queue.name``, ``agent.name`` and ``wrapupCode.name`` from the ids;
    :data:`KEY_ALIASES` renames the engine's keys for web events."""
    if isinstance(effect, JourneyEventAdded):
        stream_type, session_type = effect.stream_type, effect.session_type
    attributes: dict[str, Value] = {}
    for key, value in effect.attributes.items():
        attributes[KEY_ALIASES.get(key, key)] = value
    if name_of is not None:
        for key, kind in NAMED_IDS.items():
            ident = effect.attributes.get(key)
            if isinstance(ident, str):
                attributes.setdefault(key.removesuffix(".id") + ".name", name_of(kind, ident))
    return CriteriaEvent(
        event_id=effect.event_id,
        stream_type=stream_type,
        session_type=session_type,
        event_name=effect.event_name,
        attributes=attributes,
        created_ms=effect.created_ms,
    )


# -- journey patterns -----------------------------------------------------------------------------


def pattern_matches(pattern: JourneyPattern, event: CriteriaEvent) -> bool:
    """Whether ``event`` is one of the events ``pattern`` counts."""
    return (
        event.stream_type == pattern.stream_type
        and event.session_type == pattern.session_type
        and (pattern.event_name is None or event.event_name == pattern.event_name)
        and all_match(pattern.criteria, event.attributes)
    )


@record
class JourneyProgress:
    """How far one scope is along a journey: ``pattern_index`` is the pattern being counted
    (``len(patterns)`` when the journey is complete), ``matched`` how many events it has
    counted so far, ``counted_event_ids`` every event counted for any pattern (at most the
    sum of the counts), ``since_ms`` the time of the event that satisfied the previous one."""

    pattern_index: int = 0
    matched: int = 0
    counted_event_ids: frozenset[str] = frozenset()
    since_ms: int | None = None

    def complete(self, patterns: Sequence[JourneyPattern]) -> bool:
        return self.pattern_index >= len(patterns)


START = JourneyProgress()


def advance(
    patterns: Sequence[JourneyPattern], progress: JourneyProgress, event: CriteriaEvent
) -> JourneyProgress:
    """The progress after ``event``; ``progress`` itself (the same object) when it changes
    nothing: the journey is complete, the event was counted already, did not happen after the
    previous pattern's satisfaction, or is not one the current pattern counts."""
    index = progress.pattern_index
    if index >= len(patterns) or event.event_id in progress.counted_event_ids:
        return progress
    if progress.since_ms is not None and event.created_ms <= progress.since_ms:
        return progress
    pattern = patterns[index]
    if not pattern_matches(pattern, event):
        return progress
    counted = progress.counted_event_ids | {event.event_id}
    if progress.matched + 1 < pattern.count:
        return JourneyProgress(index, progress.matched + 1, counted, progress.since_ms)
    return JourneyProgress(index + 1, 0, counted, event.created_ms)


def advance_all(
    patterns: Sequence[JourneyPattern], progress: JourneyProgress, events: Iterable[CriteriaEvent]
) -> JourneyProgress:
    """:func:`advance` over ``events`` in order (for tests and for a first evaluation)."""
    for event in events:
        progress = advance(patterns, progress, event)
    return progress


# -- action maps --------------------------------------------------------------------------------


def condition_matches(condition: EventCondition, event: CriteriaEvent) -> bool:
    """One event condition (exact case: Genesys has no ``shouldIgnoreCase`` on them)."""
    return (
        event.stream_type == condition.stream_type
        and event.session_type == condition.session_type
        and event.event_name == condition.event_name
        and matcher(condition.operator, condition.values, False)(
            read_key(event.attributes, condition.key)
        )
    )


def conditions_match(conditions: Sequence[EventCondition], event: CriteriaEvent) -> bool:
    """Whether the single ``event`` satisfies every one of an action map's event conditions
    (false when there are none: such a map is triggered by segments only)."""
    return bool(conditions) and all(condition_matches(c, event) for c in conditions)


def page_url_matches(conditions: Sequence[PageUrlCondition], url: str | None) -> bool:
    """Whether a page URL satisfies every page-URL condition (true when there are none)."""
    return all(matcher(c.operator, c.values, False)(url) for c in conditions)


# -- the index ------------------------------------------------------------------------------------

D = TypeVar("D", bound=Segment | Outcome | ActionMap)
AnyEvent = None  # the key of definitions that care about every event name of a stream


def _event_keys(definition: Segment | Outcome | ActionMap) -> set[tuple[str, str | None]]:
    if isinstance(definition, ActionMap):
        return {(c.stream_type, c.event_name) for c in definition.trigger_with_event_conditions}
    return {(p.stream_type, p.event_name) for p in definition.journey_patterns}


@record
class DefinitionIndex(Generic[D]):
    """Definitions by the events they could care about.

    ``by_event[(stream_type, event_name)]``: definitions with a journey pattern (or, for action
    maps, an event condition) on that event; ``event_name`` ``None`` for patterns on any event
    of the stream. ``context_only``: segments and outcomes without journey patterns, which an
    event concerns only through the visit it changes. ``by_segment``: action maps by the
    segments that trigger them. Inactive definitions are left out."""

    by_event: Mapping[tuple[str, str | None], tuple[D, ...]] = field(default_factory=dict)
    context_only: tuple[D, ...] = ()
    by_segment: Mapping[str, tuple[D, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, definitions: Iterable[D]) -> DefinitionIndex[D]:
        by_event: dict[tuple[str, str | None], list[D]] = {}
        context_only: list[D] = []
        by_segment: dict[str, list[D]] = {}
        for definition in definitions:
            if not definition.is_active:
                continue
            keys = _event_keys(definition)
            for key in sorted(keys, key=lambda k: (k[0], k[1] or "")):
                by_event.setdefault(key, []).append(definition)
            if isinstance(definition, ActionMap):
                for segment_id in dict.fromkeys(definition.trigger_with_segments):
                    by_segment.setdefault(segment_id, []).append(definition)
            elif not keys and definition.context_patterns:
                context_only.append(definition)
        return cls(
            {k: tuple(v) for k, v in by_event.items()},
            tuple(context_only),
            {k: tuple(v) for k, v in by_segment.items()},
        )

    def candidates(self, stream_type: str, event_name: str) -> tuple[D, ...]:
        """The definitions an event of this stream and name could concern: those with a
        pattern or condition on it or on any event of the stream, then the context-only ones;
        each once, in the order they were given to :meth:`build` within each group."""
        exact: tuple[D, ...] = self.by_event.get((stream_type, event_name), ())
        wide: tuple[D, ...] = self.by_event.get((stream_type, AnyEvent), ())
        if not wide and not self.context_only:
            return exact
        seen: dict[int, D] = {}
        for definition in (*exact, *wide, *self.context_only):
            seen.setdefault(id(definition), definition)
        return tuple(seen.values())

    def triggered_by(self, segment_id: str) -> tuple[D, ...]:
        """The action maps a segment's assignment triggers."""
        return self.by_segment.get(segment_id, ())


def is_matched(
    definition: Segment | Outcome, progress: JourneyProgress, context: Mapping[str, object]
) -> bool:
    """Whether a segment or outcome holds for a scope: its journey is complete and its
    context patterns hold of the visit's attributes (``core.criteria.context_of``)."""
    return progress.complete(definition.journey_patterns) and context_matches(
        definition.context_patterns, context
    )
