"""What a replay needs: clear every projection, and read them all back as records."""

from __future__ import annotations

import msgspec

from journeyline.model.contact import Contact
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebSession
from journeyline.store import codec
from journeyline.store.records import Audit, Deadline, SessionLink, Snapshot, StoredWebEvent
from journeyline.store.sql.conversations import EVENT_DOC, stored_doc
from journeyline.store.sql.definitions import rule_rows
from journeyline.store.sql.people import IDENTIFIER_COLUMNS, identifier_of
from journeyline.store.sql.query import Db

PROJECTIONS = (
    "session_events",
    "sessions",
    "contacts",
    "identifiers",
    "audits",
    "deadlines",
    "definitions",
    "criteria_progress",
    "segment_assignments",
    "outcome_achievements",
    "journey_actions",
    "rule_events",
)

_contact_decoder = msgspec.json.Decoder(Contact)
_details_decoder = msgspec.json.Decoder(dict[str, object])


class ProjectionMixin:
    _db: Db

    def clear_projections(self) -> None:
        for table in PROJECTIONS:
            self._db.execute(f"DELETE FROM {table}")

    def snapshot(self) -> Snapshot:
        conversations: list[ConversationSession] = []
        web_sessions: list[WebSession] = []
        links: list[SessionLink] = []
        rows = self._db.execute(
            "SELECT id, type, external_contact_id, contact_verified, doc FROM sessions"
        )
        for session_id, kind, contact_id, level, doc in rows:
            if kind == "conversation":
                conversations.append(codec.decode_session(doc))
            else:
                web_sessions.append(codec.decode_web_session(doc))
            links.append(SessionLink(session_id, contact_id, int(level)))
        conversation_events: list[SessionEvent] = []
        web_events: list[StoredWebEvent] = []
        rows = self._db.execute(f"SELECT session_id, event_type, {EVENT_DOC} FROM session_events e")
        for session_id, event_type, doc in rows:
            if event_type == "ConversationEvent":
                conversation_events.append(codec.decode_event(doc))
            else:
                event = codec.decode_web_event(stored_doc(doc))
                web_events.append(StoredWebEvent(session_id, event))
        identifiers = [
            identifier_of(row)
            for row in self._db.execute(f"SELECT {IDENTIFIER_COLUMNS} FROM identifiers")
        ]
        audits = [
            Audit(at_ms, actor, action, contact_id, _details_decoder.decode(doc))
            for at_ms, actor, action, contact_id, doc in self._db.execute(
                "SELECT at_ms, actor, action, contact_id, doc FROM audits ORDER BY seq"
            )
        ]
        assignments, achievements, actions, rule_events = rule_rows(self._db)
        return Snapshot.of(
            conversations=conversations,
            conversation_events=conversation_events,
            web_sessions=web_sessions,
            web_events=web_events,
            contacts=[
                _contact_decoder.decode(d) for (d,) in self._db.execute("SELECT doc FROM contacts")
            ],
            identifiers=identifiers,
            links=links,
            audits=audits,
            deadlines=[
                Deadline(session_id, kind, due)
                for session_id, kind, due in self._db.execute(
                    "SELECT session_id, kind, due_ms FROM deadlines"
                )
            ],
            assignments=assignments,
            achievements=achievements,
            actions=actions,
            rule_events=rule_events,
        )
