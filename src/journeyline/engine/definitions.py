"""Definitions in the unit of work: segments, outcomes, action maps and action templates.

A definition is created, replaced and deleted by a command in the event log
(:class:`~journeyline.model.commands.PutDefinition`, ``DeleteDefinition``), so a replay meets
every version where it was made and decides from it what live processing did. This module
applies those commands (the version check and an action map's references to segments and
templates are here, in the single writer, so two clients racing cannot both win) and keeps the
typed definitions the evaluator uses, read from the store once and again after each change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field, replace
from typing import Any

import msgspec

from journeyline.core.patterns import DefinitionIndex
from journeyline.ingest import definitions as wire
from journeyline.model.commands import DefinitionCommand, DeleteDefinition, PutDefinition
from journeyline.model.definitions import ActionMap, ActionTemplate, Outcome, Segment
from journeyline.model.errors import Conflict, InvalidInput, NotFound
from journeyline.model.record import record
from journeyline.store.base import Store, StoredDefinition

KINDS = ("segment", "outcome", "actionmap", "actiontemplate")

_encoder = msgspec.json.Encoder()

#: How each kind is read back from its stored JSON (validated when it was written).
_DECODE: dict[str, Callable[..., Any]] = {
    "segment": wire.decode_segment,
    "outcome": wire.decode_outcome,
    "actionmap": wire.decode_action_map,
    "actiontemplate": wire.decode_action_template,
}


#: The Genesys JSON of each kind's record.
ENCODERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "segment": wire.encode_segment,
    "outcome": wire.encode_outcome,
    "actionmap": wire.encode_action_map,
    "actiontemplate": wire.encode_action_template,
}


def _record(kind: str, definition_id: str, doc: bytes, version: int, created: int, at: int) -> Any:
    record = _DECODE[kind](doc, id=definition_id, now_ms=at)
    return replace(record, version=version, created_ms=created)


def typed(row: StoredDefinition) -> Any:
    """A stored definition as its record (Segment, Outcome, ActionMap, ActionTemplate)."""
    return _record(row.kind, row.id, row.doc, row.version, row.created_ms, row.modified_ms)


@record
class Current:
    """The definitions in force, typed and indexed for the evaluator."""

    segments: DefinitionIndex[Segment]
    outcomes: DefinitionIndex[Outcome]
    action_maps: DefinitionIndex[ActionMap]
    #: every segment, active or not, by id (an expiring assignment names its segment)
    segment_of: Mapping[str, Segment] = field(default_factory=dict)
    #: every action map, active or not, by id (a waiting action names its map)
    action_map_of: Mapping[str, ActionMap] = field(default_factory=dict)
    #: some action map waits for a contact's next session (a session start may take it)
    any_waits: bool = False

    @property
    def empty(self) -> bool:
        """No active segment, outcome or action map: no event concerns any."""
        return not any(
            i.by_event or i.context_only for i in (self.segments, self.outcomes, self.action_maps)
        )

    def candidates(
        self, stream_type: str, event_name: str
    ) -> tuple[tuple[Segment, ...], tuple[Outcome, ...], tuple[ActionMap, ...]]:
        """The segments, outcomes and action maps an event of this stream and name could
        concern (see ``DefinitionIndex.candidates``)."""
        return (
            self.segments.candidates(stream_type, event_name),
            self.outcomes.candidates(stream_type, event_name),
            self.action_maps.candidates(stream_type, event_name),
        )


def stored(kind: str, record: Any) -> StoredDefinition:
    """What the store keeps of a definition record: its Genesys JSON and listing columns."""
    template = isinstance(record, ActionTemplate)  # a name and a state, not displayName
    return StoredDefinition(
        kind=kind,
        id=record.id,
        version=record.version,
        display_name=record.name if template else record.display_name,
        is_active=record.state == "Active" if template else record.is_active,
        created_ms=record.created_ms,
        modified_ms=record.modified_ms,
        doc=_encoder.encode(ENCODERS[kind](record)),
    )


class Definitions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._current: Current | None = None

    def forget(self) -> None:
        self._current = None

    def execute(self, command: DefinitionCommand) -> dict[str, Any]:
        if command.kind not in KINDS:
            raise InvalidInput(f"unknown kind of definition: {command.kind}", field="kind")
        before = self.store.definition_get(command.kind, command.id)
        match command:
            case PutDefinition():
                if command.expected_version is None and before is not None:
                    raise Conflict(f"{command.kind} {command.id} exists already", field="id")
                if command.expected_version is not None:
                    if before is None:
                        raise NotFound(f"no {command.kind} {command.id}")
                    if before.version != command.expected_version:
                        raise Conflict(
                            f"version {command.expected_version} of {command.kind} "
                            f"{command.id} is not the current one ({before.version})",
                            field="version",
                        )
                version = 1 if before is None else before.version + 1
                created = command.at_ms if before is None else before.created_ms
                doc = _encoder.encode(command.doc)
                record = _record(command.kind, command.id, doc, version, created, command.at_ms)
                if command.kind == "actionmap":
                    self._require_references(record)
                self.store.definition_put(stored(command.kind, record))
                self._current = None
                return {"id": command.id, "version": version}
            case DeleteDefinition():
                if before is None:
                    raise NotFound(f"no {command.kind} {command.id}")
                self._refuse_when_used(command.kind, command.id)
                self.store.definition_delete(command.kind, command.id)
        self._current = None
        return {"id": command.id}

    def _require_references(self, action_map: ActionMap) -> None:
        """An action map may only name segments and action templates that exist: checked here,
        in the single writer, so a DELETE applied between a request's own check and its PUT
        cannot leave it naming one that is gone. (Flows are not in the event log, so a replay
        could not check them: the API checks those.)"""
        segments, _, templates = wire.references(action_map)
        for index, segment_id in enumerate(segments):
            if self.store.definition_get("segment", segment_id) is None:
                raise InvalidInput(
                    f"no segment with id {segment_id}", field=f"triggerWithSegments[{index}]"
                )
        for template_id in templates:
            if self.store.definition_get("actiontemplate", template_id) is None:
                raise InvalidInput(
                    f"no action template with id {template_id}", field="action.actionTemplate.id"
                )

    def _refuse_when_used(self, kind: str, definition_id: str) -> None:
        """A segment or action template an action map names cannot go before the map."""
        if kind not in ("segment", "actiontemplate"):
            return
        for row in self.store.definitions("actionmap"):
            segments, _, templates = wire.references(typed(row))
            if definition_id in (segments if kind == "segment" else templates):
                raise Conflict(
                    f"{kind} {definition_id} is used by action map {row.id} ({row.display_name})",
                    field="id",
                )

    def current(self) -> Current:
        if self._current is None:
            load = self.store.definitions
            segments: list[Segment] = [typed(d) for d in load("segment")]
            outcomes: list[Outcome] = [typed(d) for d in load("outcome")]
            maps: list[ActionMap] = [typed(d) for d in load("actionmap")]
            self._current = Current(
                DefinitionIndex.build(segments),
                DefinitionIndex.build(outcomes),
                DefinitionIndex.build(maps),
                {s.id: s for s in segments},
                {m.id: m for m in maps},
                any(m.activation.type in ("on-next-session", "on-next-visit") for m in maps),
            )
        return self._current
