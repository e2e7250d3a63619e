"""Adapter: Genesys Cloud conversation detail events (wire) -> :class:`DetailEvent` (core).

Wire shape, one object per event (the notification envelope Genesys sends to an event bridge)::

    {"topicName": "v2.detail.events.conversation.{conversationId}.{topic}",
     "version": "2",
     "eventBody": {"eventTime": 1795600000000, "conversationId": "...", ...}}

Every accepted object is kept byte for byte as canonical JSON (keys sorted) in the event log;
its SHA-256 is the idempotency key, so the same event sent twice is recognised as a duplicate.
``parse_canonical`` turns a stored body back into a :class:`DetailEvent` for replays.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Annotated, Any

import msgspec
import phonenumbers

from journeyline.ingest.identifiers import normalise_email
from journeyline.ingest.nul import refuse_nul
from journeyline.model.detail import TOPIC_RANK, DetailEvent, JourneyContext
from journeyline.model.errors import InvalidInput
from journeyline.model.record import record

KIND = "genesys.conversation.detail"
MAX_ITEMS = 1000
TOPIC_RE = re.compile(r"^v2\.detail\.events\.conversation\.([^.\s]+)\.([a-z]+(?:\.[a-z]+)?)$")

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
EpochMs = Annotated[int, msgspec.Meta(ge=0, le=32503680000000)]  # up to year 3000
Ms = Annotated[int, msgspec.Meta(ge=0)]


class JourneyContextRef(msgspec.Struct):
    id: Id | None = None
    idType: Id | None = None  # noqa: N815 - Genesys field name
    type: Id | None = None
    version: int | None = None


class TriggeringAction(msgspec.Struct):
    id: Id | None = None
    actionMap: JourneyContextRef | None = None  # noqa: N815


class JourneyContextOfEvent(msgspec.Struct, rename="camel"):
    """A detail event's ``journeyContext``, in either Genesys shape."""

    session_id: Id | None = None
    session_id_type: Id | None = None
    action_id: Id | None = None
    action_map_id: Id | None = None
    customer: JourneyContextRef | None = None
    customer_session: JourneyContextRef | None = None
    triggering_action: TriggeringAction | None = None


class ConversationDetailEventBody(msgspec.Struct, rename="camel"):
    """A Genesys conversation detail event's ``eventBody``."""

    event_time: EpochMs
    conversation_id: Id
    participant_id: Id | None = None
    session_id: Id | None = None
    media_type: Id | None = None
    message_type: Id | None = None
    direction: Id | None = None
    provider: Text | None = None
    ani: Text | None = None
    dnis: Text | None = None
    address_from: Text | None = None
    address_to: Text | None = None
    subject: Text | None = None
    queue_id: Id | None = None
    user_id: Id | None = None
    answered_user_id: Id | None = None
    disconnect_type: Id | None = None
    acd_outcome: Id | None = None
    wrapup_code: Id | None = None
    wrapup_notes: Text | None = None
    interacting_duration_ms: Ms | None = None
    external_contact_id: Id | None = None
    conversation_external_contact_ids: list[Id] | None = None
    journey_context: JourneyContextOfEvent | None = None


class ConversationDetailEvent(msgspec.Struct, rename="camel"):
    """The notification envelope: ``topicName`` is
    ``v2.detail.events.conversation.{conversationId}.{topic}``."""

    topic_name: Annotated[str, msgspec.Meta(max_length=512)]
    event_body: ConversationDetailEventBody
    version: str | int | None = None


@record
class Accepted:
    """A valid wire object: its domain record and the canonical bytes to store."""

    event: DetailEvent
    body: bytes


@record
class Rejected:
    index: int
    message: str
    field: str | None


@functools.lru_cache(maxsize=65_536)  # the same numbers come back on every event of a call
def normalise_phone(value: str | None) -> str | None:
    """``tel:+1 555-158-5963`` -> ``+15551585963``; anything unparseable is kept as given."""
    if not value:
        return value
    raw = value.removeprefix("tel:").removeprefix("sip:").split("@", 1)[0].split(";", 1)[0]
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=65_536)  # the same address comes back on every event of a chat
def normalise_address(value: str | None) -> str | None:
    """An email address as web traits' are (``ingest.identifiers.normalise_email``: NFC, IDNA,
    lower case), so that a chat finds the contact a web visitor or an earlier chat made; one
    with an ``@`` that is no valid address is none (it names nobody); any other address (a
    messaging handle, a number) is kept as given."""
    if not value or "@" not in value:
        return value
    try:
        return normalise_email(value.strip())
    except InvalidInput:
        return None


def _context(wire: JourneyContextOfEvent | None) -> JourneyContext | None:
    if wire is None:
        return None
    customer = wire.customer or JourneyContextRef()
    session = wire.customer_session or JourneyContextRef()
    action = wire.triggering_action or TriggeringAction()
    action_map = action.actionMap or JourneyContextRef()
    return JourneyContext(
        customer_id=customer.id,
        customer_id_type=customer.idType,
        session_id=session.id or wire.session_id,
        session_type=session.type or wire.session_id_type,
        action_id=action.id or wire.action_id,
        action_map_id=action_map.id or wire.action_map_id,
        action_map_version=action_map.version,
    )


def _to_event(envelope: ConversationDetailEvent, key: str) -> DetailEvent:
    match = TOPIC_RE.match(envelope.topic_name)
    if match is None:
        raise InvalidInput(
            "topicName must look like v2.detail.events.conversation.{id}.{topic}",
            field="topicName",
        )
    conversation_id, topic = match.groups()
    if topic not in TOPIC_RANK:
        raise InvalidInput(f"unknown topic '{topic}'", field="topicName")
    body = envelope.event_body
    if conversation_id != body.conversation_id:
        raise InvalidInput(
            "eventBody.conversationId does not match the id in topicName",
            field="eventBody.conversationId",
        )
    contacts = tuple(body.conversation_external_contact_ids or ())
    if body.external_contact_id and body.external_contact_id not in contacts:
        contacts = (*contacts, body.external_contact_id)
    return DetailEvent(
        key=key,
        topic=topic,
        conversation_id=conversation_id,
        event_time=body.event_time,
        participant_id=body.participant_id,
        comm_session_id=body.session_id,
        media_type=_enum("mediaType", body.media_type),
        message_type=_enum("messageType", body.message_type),
        direction=_enum("direction", body.direction),
        provider=body.provider,
        ani=normalise_phone(body.ani),
        dnis=normalise_phone(body.dnis),
        address_from=normalise_address(body.address_from),
        address_to=body.address_to,
        subject=body.subject,
        queue_id=body.queue_id,
        user_id=body.user_id,
        answered_user_id=body.answered_user_id,
        disconnect_type=_enum("disconnectType", body.disconnect_type),
        acd_outcome=_enum("acdOutcome", body.acd_outcome),
        wrapup_code=body.wrapup_code,
        wrapup_notes=body.wrapup_notes,
        interacting_duration_ms=body.interacting_duration_ms,
        external_contact_ids=contacts,
        journey_context=_context(body.journey_context),
    )


#: The enumerations of the Genesys detail event models; other values are refused.
ENUMS: dict[str, frozenset[str]] = {
    "mediaType": frozenset(
        [
            "UNKNOWN",
            "VOICE",
            "CHAT",
            "EMAIL",
            "CALLBACK",
            "COBROWSE",
            "VIDEO",
            "SCREENSHARE",
            "MESSAGE",
            "INTERNALMESSAGE",
            "SCREENMONITORING",
        ]
    ),
    "direction": frozenset({"UNKNOWN", "INBOUND", "OUTBOUND"}),
    "messageType": frozenset(
        [
            "UNKNOWN",
            "SMS",
            "TWITTER",
            "FACEBOOK",
            "LINE",
            "WHATSAPP",
            "WEBMESSAGING",
            "OPEN",
            "INSTAGRAM",
            "APPLE",
            "LINKEDIN",
        ]
    ),
    "acdOutcome": frozenset({"UNKNOWN", "ABANDON", "ANSWERED", "FLOW_OUT"}),
    "disconnectType": frozenset(
        [
            "UNKNOWN",
            "ENDPOINT",
            "CLIENT",
            "SYSTEM",
            "TRANSFER",
            "ERROR",
            "PEER",
            "OTHER",
            "SPAM",
            "TIMEOUT",
            "TRANSPORT_FAILURE",
            "CONFERENCE_TRANSFER",
            "CONSULT_TRANSFER",
            "FORWARD_TRANSFER",
            "NO_ANSWER_TRANSFER",
            "NOT_AVAILABLE_TRANSFER",
            "UNCALLABLE",
            "DND_ENDPOINT",
            "DND_TRANSFER",
            "INACTIVITY",
            "SESSION_EXPIRED",
            "TAKEOVER",
        ]
    ),
}


def _enum(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if upper not in ENUMS[name]:
        raise InvalidInput(
            f"eventBody.{name}: '{value}' is not one of {', '.join(sorted(ENUMS[name]))}",
            field=f"eventBody.{name}",
        )
    return upper


_FIELD_RE = re.compile(r" - at `\$(?:\[\d+\])?\.?([^`]*)`$")


def validation_error(exc: msgspec.ValidationError) -> InvalidInput:
    text = str(exc)
    match = _FIELD_RE.search(text)
    field = match.group(1) if match else None
    message = text[: match.start()] if match else text
    missing = re.search(r"missing required field `(\w+)`", message)
    if missing:
        field = f"{field}.{missing.group(1)}" if field else missing.group(1)
        message = "required field is missing"
    if field:
        message = f"{field}: {message}"
    return InvalidInput(message, field=field or None)


def parse_item(item: Any) -> Accepted:
    """Validate one decoded wire object; raise :class:`InvalidInput` naming the bad field."""
    if not isinstance(item, dict):
        raise InvalidInput("each event must be a JSON object")
    try:
        envelope = msgspec.convert(item, ConversationDetailEvent)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc
    body = refuse_nul(msgspec.json.encode(item, order="sorted"))
    key = hashlib.sha256(body).hexdigest()[:32]
    return Accepted(_to_event(envelope, key), body)


def decode_items(raw: bytes) -> list[Any]:
    """Decode a request body holding one object or an array of them."""
    try:
        data = msgspec.json.decode(refuse_nul(raw))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise InvalidInput("the body must be an event object or an array of them")
    if not data:
        raise InvalidInput("the array of events is empty")
    if len(data) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} events per request, got {len(data)}")
    return data


def parse_many(items: list[Any]) -> list[Accepted | Rejected]:
    results: list[Accepted | Rejected] = []
    for index, item in enumerate(items):
        try:
            results.append(parse_item(item))
        except InvalidInput as exc:
            results.append(Rejected(index, exc.message, exc.field))
    return results


def parse_canonical(body: bytes) -> DetailEvent:
    """A stored canonical body back to its domain record (used by replays and cache misses)."""
    return parse_item(msgspec.json.decode(body)).event
