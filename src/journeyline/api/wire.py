"""Domain records -> Genesys-shaped JSON (camelCase, nulls omitted, ISO 8601 dates in UTC).

Where we extend the Genesys shapes, the extension is named here and in docs/api.md:
``Session.startTrigger``, ``Session.journeyContext`` and ``Event.conversationEvent``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from journeyline.clock import iso
from journeyline.core.ids import path_segment
from journeyline.model.card import Card, Ref
from journeyline.model.directory import DirectoryEntry
from journeyline.model.session import AttributeValue, ConversationSession, SessionEvent

Json = dict[str, Any]


class DirectoryReader(Protocol):
    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...


NAME_ATTRIBUTES = {"queue.id": "queue", "agent.id": "user", "wrapupCode.id": "wrapupcode"}
DIRECTORY_PATHS = {
    "queue": "/api/v2/routing/queues",
    "user": "/api/v2/users",
    "wrapupcode": "/api/v2/routing/wrapupcodes",
}


def compact(doc: Json) -> Json:
    return {k: v for k, v in doc.items() if v is not None}


def session_uri(session_id: str) -> str:
    return f"/api/v2/journey/sessions/{session_id}"


def _ref(kind: str, entry_id: str | None) -> Json | None:
    if entry_id is None:
        return None
    return {"id": entry_id, "selfUri": f"{DIRECTORY_PATHS[kind]}/{path_segment(entry_id)}"}


def session(
    s: ConversationSession, *, now_ms: int, link: tuple[str | None, bool] | None = None
) -> Json:
    """A conversation session; ``link``: the contact it is linked to, and whether verified."""
    end = s.ended_ms if s.ended_ms is not None else now_ms
    contact_id, verified = link if link is not None else (s.external_contact_id, True)
    disposition = s.last_disposition
    context = s.journey_context
    last = s.last_event
    return compact(
        {
            "id": s.id,
            "type": "conversation",
            "customerId": s.customer_id,
            "customerIdType": s.customer_id_type,
            "externalContact": {
                "id": contact_id,
                "selfUri": f"/api/v2/externalcontacts/contacts/{path_segment(contact_id)}",
            }
            if contact_id
            else None,
            "externalContactVerified": verified if contact_id else None,
            "conversation": {
                "id": s.conversation_id,
                "selfUri": f"/api/v2/conversations/{path_segment(s.conversation_id)}",
            },
            "originatingDirection": s.originating_direction,
            "conversationChannels": [
                compact({"type": c.type, "messageType": c.message_type, "platform": c.platform})
                for c in s.channels
            ],
            "conversationSubject": s.subject,
            "lastConnectedQueue": _ref("queue", s.last_queue_id),
            "lastConnectedUser": _ref("user", s.last_user_id),
            "lastUserDisposition": compact(
                {
                    "code": disposition.code,
                    "notes": disposition.notes,
                    "user": _ref("user", disposition.user_id),
                }
            )
            if disposition
            else None,
            "lastUserDisconnectType": s.last_user_disconnect_type,
            "lastAcdOutcome": s.last_acd_outcome,
            "createdDate": iso(s.created_ms),
            "endedDate": iso(s.ended_ms) if s.ended_ms is not None else None,
            "durationInSeconds": max(end - s.created_ms, 0) // 1000,
            "eventCount": s.event_count,
            "lastEvent": {
                "id": last.id,
                "eventName": last.event_name,
                "createdDate": iso(last.created_ms),
            }
            if last
            else None,
            "startTrigger": s.start_trigger,
            "journeyContext": compact(
                {
                    "customer": compact(
                        {"id": context.customer_id, "idType": context.customer_id_type}
                    )
                    or None,
                    "customerSession": compact(
                        {"id": context.session_id, "type": context.session_type}
                    )
                    or None,
                    "triggeringAction": compact(
                        {
                            "id": context.action_id,
                            "actionMap": compact(
                                {"id": context.action_map_id, "version": context.action_map_version}
                            )
                            or None,
                        }
                    )
                    or None,
                }
            )
            if context
            else None,
            "selfUri": session_uri(s.id),
        }
    )


def _attribute(value: AttributeValue) -> Json:
    if isinstance(value, bool):
        return {"dataType": "Boolean", "value": value}
    return {"dataType": "String" if isinstance(value, str) else "Number", "value": value}


def event(
    e: SessionEvent, s: ConversationSession | None, names: dict[tuple[str, str], str]
) -> Json:
    attributes: dict[str, Json] = {}
    for key, value in e.attributes.items():
        attributes[key] = _attribute(value)
        kind = NAME_ATTRIBUTES.get(key)
        if kind is not None and isinstance(value, str):
            name_key = key.removesuffix(".id") + ".name"
            attributes[name_key] = _attribute(names.get((kind, value), value))
    return compact(
        {
            "id": e.id,
            "customerId": s.customer_id if s else None,
            "customerIdType": s.customer_id_type if s else None,
            "session": {
                "id": e.session_id,
                "type": e.session_type,
                "selfUri": session_uri(e.session_id),
            },
            "eventType": "ConversationEvent",
            "createdDate": iso(e.created_ms),
            "conversationEvent": compact(
                {
                    "eventName": e.event_name,
                    "streamType": e.stream_type,
                    "sessionType": e.session_type,
                    "conversation": {"id": s.conversation_id} if s else None,
                    "attributes": attributes,
                }
            ),
        }
    )


def name_keys(events: Iterable[SessionEvent]) -> dict[str, set[str]]:
    """The directory ids that events refer to, by kind (to resolve their names in one go)."""
    wanted: dict[str, set[str]] = {}
    for e in events:
        for key, kind in NAME_ATTRIBUTES.items():
            value = e.attributes.get(key)
            if isinstance(value, str):
                wanted.setdefault(kind, set()).add(value)
    return wanted


def _named(ref: Ref | None) -> Json | None:
    return {"id": ref.id, "name": ref.name} if ref else None


def card(c: Card, customer_name: str | None = None) -> Json:
    return {
        "customerName": customer_name or "Unknown",
        "color": c.color,
        "title": c.title,
        "icon": c.icon,
        "durationInSeconds": c.duration_seconds,
        "queue": _named(c.queue),
        "agent": _named(c.agent),
        "status": c.status,
        "wrapupCode": _named(c.wrapup_code),
    }


def directory_entry(entry: DirectoryEntry) -> Json:
    return {
        "id": entry.id,
        "name": entry.name,
        "dateModified": iso(entry.modified_ms),
        "selfUri": f"{DIRECTORY_PATHS[entry.kind]}/{path_segment(entry.id)}",
    }


class NameLookup:
    """Resolves directory ids to names; an unknown id is shown as the id, never an error."""

    def __init__(self, store: DirectoryReader) -> None:
        self.store = store

    def __call__(self, kind: str, entry_id: str) -> str:
        return self.store.directory_names(kind, [entry_id]).get(entry_id, entry_id)

    def resolve(self, wanted: dict[str, set[str]]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for kind, ids in wanted.items():
            for entry_id, name in self.store.directory_names(kind, sorted(ids)).items():
                found[(kind, entry_id)] = name
        return found
