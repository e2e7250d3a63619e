"""Segment assignments: made, renewed, lapsed and unassigned, each with its journey event.

Three ways in, one place that writes:

- the evaluator (``engine.journeys``) assigns a segment whose conditions held on an event;
- time: an assignment with ``assignmentExpirationDays`` lapses when its ``unassign_ms``
  passes (the scheduler's tick runs :meth:`Assignments.expire`); its criteria progress is
  reset, so the segment is assigned again only when its conditions hold again;
- an API client: ``POST /api/v2/externalcontacts/contacts/{id}/journey/segments`` assigns or
  unassigns customer segments for a contact (:class:`~journeyline.model.commands.AssignSegments`,
  a logged command, so a replay does the same).

Every change made on a session adds a ``SegmentAssignmentEvent`` to that session's journey
(``assignmentState`` Assigned or Unassigned, the segment's name and colour); an assignment made
by an API client belongs to no session and adds none. Ids of those events are derived from what
they record, so a replay writes the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import msgspec

from journeyline.clock import iso
from journeyline.core.patterns import START
from journeyline.ids import rule_event_id
from journeyline.model.commands import AssignSegments
from journeyline.model.definitions import Segment
from journeyline.model.effects import Effect, SegmentAssigned, SegmentUnassigned
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import Assignment, RuleEventRow, Store

DAY_MS = 86_400_000
#: Segments one POST may assign, and unassign (Genesys: "up to 10 segments").
MAX_PER_REQUEST = 10

_encoder = msgspec.json.Encoder()


def held(assignment: Assignment | None, now_ms: int) -> bool:
    """Whether an assignment is in force at ``now_ms``."""
    return (
        assignment is not None
        and assignment.state == "Assigned"
        and (assignment.unassign_ms is None or assignment.unassign_ms > now_ms)
    )


def _until(segment: Segment, now_ms: int) -> int | None:
    """When an assignment made now lapses (None: never)."""
    days = segment.assignment_expiration_days
    return now_ms + days * DAY_MS if days else None


class Assignments:
    """Writes assignments and their journey events; returns the effects."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def assign(
        self,
        segment: Segment,
        scope: str,
        session_id: str,
        contact_id: str | None,
        now_ms: int,
    ) -> Effect | None:
        """Assign (None when it is held already)."""
        if held(self.store.assignment_get(segment.id, scope), now_ms):
            return None
        until = _until(segment, now_ms)
        self.store.assignment_put(
            Assignment(segment.id, scope, session_id, contact_id, now_ms, now_ms, until, "Assigned")
        )
        if session_id:
            self._event(segment, session_id, "Assigned", now_ms, now_ms, until)
        return SegmentAssigned(segment.id, scope, session_id, contact_id, now_ms, until)

    def expire(self, now_ms: int, segment_of: Mapping[str, Segment]) -> list[SegmentUnassigned]:
        """Unassign what has lapsed by ``now_ms``."""
        out: list[SegmentUnassigned] = []
        for lapsed in self.store.assignments_due(now_ms):
            at = lapsed.unassign_ms if lapsed.unassign_ms is not None else now_ms
            out.append(self._unassign(lapsed, at, "expired", segment_of.get(lapsed.segment_id)))
        return out

    def execute(
        self, command: AssignSegments, segment_of: Mapping[str, Segment]
    ) -> tuple[list[Effect], dict[str, Any]]:
        """An API client's assignments for a contact. Segments that cannot be assigned to a
        contact (unknown, inactive, or of session scope) come back unprocessed, as Genesys
        returns them "for the client to retry"."""
        if len(command.assign) > MAX_PER_REQUEST or len(command.unassign) > MAX_PER_REQUEST:
            raise InvalidInput(
                f"at most {MAX_PER_REQUEST} segments to assign and {MAX_PER_REQUEST} to unassign",
                field="assign",
            )
        if self.store.contact_get(command.contact_id) is None:
            raise NotFound(f"no contact with id {command.contact_id}", field="contactId")
        now, contact = command.at_ms, command.contact_id
        unprocessed: dict[str, list[str]] = {"assign": [], "unassign": []}
        effects: list[Effect] = []
        for segment_id in dict.fromkeys(command.assign):
            segment = segment_of.get(segment_id)
            if segment is None or not segment.is_active or segment.scope != "Customer":
                unprocessed["assign"].append(segment_id)
                continue
            before = self.store.assignment_get(segment_id, contact)
            if held(before, now) and before is not None:  # renew its expiry
                until = _until(segment, now)
                self.store.assignment_put(replace(before, modified_ms=now, unassign_ms=until))
                effects.append(
                    SegmentAssigned(
                        segment_id, contact, before.session_id, contact, before.assigned_ms, until
                    )
                )
            elif assigned := self.assign(segment, contact, "", contact, now):  # on no session
                effects.append(assigned)
        for segment_id in dict.fromkeys(command.unassign):
            before = self.store.assignment_get(segment_id, contact)
            if not held(before, now) or before is None:
                unprocessed["unassign"].append(segment_id)
                continue
            effects.append(self._unassign(before, now, "api", segment_of.get(segment_id)))
        return effects, unprocessed

    # -- the writes -----------------------------------------------------------------------

    def _unassign(
        self, a: Assignment, at_ms: int, reason: str, segment: Segment | None
    ) -> SegmentUnassigned:
        self.store.assignment_put(replace(a, modified_ms=at_ms, state="Unassigned"))
        self.store.progress_put([(a.segment_id, a.scope, _encoder.encode(START))])
        if a.session_id and segment is not None:
            self._event(segment, a.session_id, "Unassigned", at_ms, a.assigned_ms, a.unassign_ms)
        return SegmentUnassigned(a.segment_id, a.scope, a.session_id, a.contact_id, at_ms, reason)

    def _event(
        self,
        segment: Segment,
        session_id: str,
        state: str,
        at_ms: int,
        assigned_ms: int,
        until: int | None,
    ) -> None:
        payload: dict[str, Any] = {
            "segment": {
                "id": segment.id,
                "displayName": segment.display_name,
                "version": segment.version,
                **({"color": segment.color} if segment.color else {}),
            },
            "assignmentState": state,
            "dateAssigned": iso(assigned_ms),
        }
        if until is not None:
            payload["dateForUnassignment"] = iso(until)
        row = RuleEventRow(
            rule_event_id("segment", segment.id, session_id, state, at_ms),
            session_id,
            at_ms,
            "SegmentAssignmentEvent",
            _encoder.encode({"segmentAssignmentEvent": payload}),
        )
        self.store.journey_events_put([row])
