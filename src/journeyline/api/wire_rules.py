"""What evaluating definitions shows on a session, in the Genesys shapes: its
``segmentAssignments`` and ``outcomeAchievements``, and the journey events it added
(``SegmentAssignmentEvent``, ``OutcomeAchievedEvent``, ``WebActionEvent``) in the event envelope.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from journeyline.api.wire import Json, compact, session_uri
from journeyline.clock import iso
from journeyline.model.session import ConversationSession
from journeyline.store.base import AnySession, RuleEventRow
from journeyline.store.records import Achievement, Assignment

#: The journey event types definitions add (``RuleEventRow.event_type``).
RULE_EVENT_TYPES = ("SegmentAssignmentEvent", "OutcomeAchievedEvent", "WebActionEvent")

_payload = msgspec.json.Decoder(dict[str, Any])


def customer_of(s: AnySession) -> tuple[str | None, str | None]:
    """The session's ``customerId`` and ``customerIdType``."""
    if isinstance(s, ConversationSession):
        return s.customer_id, s.customer_id_type
    return s.customer_cookie_id, "cookie"


def rule_event(row: RuleEventRow, s: AnySession) -> Json:
    """A rule event in the Genesys event envelope."""
    customer_id, customer_id_type = customer_of(s)
    kind = "conversation" if isinstance(s, ConversationSession) else s.type
    return compact(
        {
            "id": row.id,
            "customerId": customer_id,
            "customerIdType": customer_id_type,
            "session": {"id": row.session_id, "type": kind, "selfUri": session_uri(s.id)},
            "eventType": row.event_type,
            "createdDate": iso(row.created_ms),
            **_payload.decode(row.doc),
        }
    )


class RulesReader(Protocol):
    """What :func:`session_rules` reads: the store, or a page's ``ReadAhead``."""

    def assignments_of(self, *, session_id: str) -> list[Assignment]: ...
    def achievements_of(self, session_id: str) -> list[Achievement]: ...


def session_rules(store: RulesReader, session_id: str) -> Json:
    """``segmentAssignments`` (every assignment made on the session, held or lapsed) and
    ``outcomeAchievements``, oldest first; absent when empty."""
    return compact(
        {
            "segmentAssignments": [
                {"segment": {"id": a.segment_id}, "assignedDate": iso(a.assigned_ms)}
                for a in store.assignments_of(session_id=session_id)
            ]
            or None,
            "outcomeAchievements": [
                {"outcome": {"id": a.outcome_id}, "achievedDate": iso(a.achieved_ms)}
                for a in store.achievements_of(session_id)
            ]
            or None,
        }
    )
