"""What one committed effect says on the live feed: a small message of ids, as an SSE frame.

The message format is the one ``journeyline.desktop.feed`` documents (``id``, ``event``,
``data``); the pages decide from it whether to refetch what they show. No personal data: names,
emails, phone numbers, page titles never go into a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sse_starlette import ServerSentEvent

from journeyline.model import effects as fx
from journeyline.model.effects import Cursor, Envelope


@dataclass(frozen=True, slots=True)
class Message:
    """One feed message: its place, its name, what it is about and its SSE frame."""

    partition: int
    position: int
    event: str
    session_id: str | None
    contacts: frozenset[str]
    frame: bytes  # id, event and data, encoded by sse-starlette


def _fields(effect: fx.Effect) -> dict[str, Any]:
    """The ids of an effect a page needs to decide whether to refetch (None: not known)."""
    match effect:
        case fx.SessionStarted():
            return {
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
                "kind": effect.kind,
            }
        case fx.SessionChanged():
            return {
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
                "kind": effect.kind,
                "reason": effect.reason,
            }
        case fx.SessionRemoved():
            return {"sessionId": effect.session_id, "kind": effect.kind}
        case fx.JourneyEventAdded():
            return {
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
                "kind": effect.session_type,
                "eventId": effect.event_id,
            }
        case fx.JourneyEventChanged() | fx.JourneyEventRemoved():
            return {"sessionId": effect.session_id, "eventId": effect.event_id}
        case fx.ContactCreated():
            return {"contactId": effect.contact.id}
        case fx.ContactChanged():
            return {"contactId": effect.after.id}
        case fx.ContactDeleted():
            return {"contactId": effect.contact_id}
        case fx.ContactMerged() | fx.ContactUnmerged():
            ids = [effect.contact_id, *effect.member_ids]
            return {"contactId": effect.contact_id, "contactIds": ids}
        case fx.ContactVerified():
            return {"contactId": effect.contact_id, "sessionId": effect.session_id}
        case fx.IdentifierClaimed():
            return {
                "contactId": effect.identifier.contact_id,
                "identifierType": effect.identifier.type,
                "previousContactId": effect.previous_contact_id,
            }
        case fx.IdentifierReleased():
            return {"contactId": effect.contact_id, "identifierType": effect.type}
        case fx.SegmentAssigned() | fx.SegmentUnassigned():
            return {
                "segmentId": effect.segment_id,
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
            }
        case fx.OutcomeAchieved():
            return {
                "outcomeId": effect.outcome_id,
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
            }
        case fx.ActionQualified() | fx.ActionBlocked() | fx.ActionChanged():
            return {
                "actionId": effect.action_id,
                "actionMapId": effect.action_map_id,
                "sessionId": effect.session_id,
                "contactId": effect.contact_id,
            }
        case fx.Erased():
            return {}  # an erased person's effect: only its place is left
    return {}  # pragma: no cover - every effect type has its case


Known = Callable[[str], "tuple[str | None, str] | None"]


def message(
    envelope: Envelope, after: Cursor, known: Known, previous: str | None = None
) -> Message:
    """``envelope`` as a feed message whose id is ``after`` (the cursor once it is read);
    ``known(session id)`` gives a session's (contact, kind) when the effect does not say;
    ``previous``: the contact a session was linked to before this effect."""
    fields = _fields(envelope.effect)
    if previous is not None:
        fields["previousContactId"] = previous
    session = fields.get("sessionId")
    if session is not None and (fields.get("contactId") is None or "kind" not in fields):
        found = known(session)
        if found is not None:
            if fields.get("contactId") is None:
                fields["contactId"] = found[0]
            fields.setdefault("kind", found[1])
    data = {name: value for name, value in fields.items() if value is not None}
    data["at"] = envelope.at_ms
    contacts = {data.get("contactId"), data.get("previousContactId"), *data.get("contactIds", ())}
    text = msgspec.json.encode(data).decode()
    frame = ServerSentEvent(data=text, event=envelope.name, id=str(after)).encode()
    return Message(
        envelope.partition,
        envelope.position,
        envelope.name,
        session,
        frozenset(c for c in contacts if c),
        frame,
    )
