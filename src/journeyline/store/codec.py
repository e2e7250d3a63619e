"""Storage rows <-> domain records. The document columns hold the records as JSON."""

from __future__ import annotations

import base64

import msgspec

from journeyline.model.card import Card, WebCard
from journeyline.model.effects import BY_NAME, Effect, SessionChanged, SessionStarted
from journeyline.model.errors import InvalidInput
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebEvent, WebSession

_encoder = msgspec.json.Encoder()
_session_decoder = msgspec.json.Decoder(ConversationSession)
_event_decoder = msgspec.json.Decoder(SessionEvent)
_web_session_decoder = msgspec.json.Decoder(WebSession)
_web_event_decoder = msgspec.json.Decoder(WebEvent)


def encode(record: ConversationSession | SessionEvent) -> bytes:
    return _encoder.encode(record)


def decode_session(doc: bytes) -> ConversationSession:
    return _session_decoder.decode(doc)


def decode_web_session(doc: bytes) -> WebSession:
    return _web_session_decoder.decode(doc)


def decode_web_event(doc: bytes) -> WebEvent:
    return _web_event_decoder.decode(doc)


def decode_event(doc: bytes) -> SessionEvent:
    return _event_decoder.decode(doc)


def make_cursor(created_ms: int, record_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_ms}|{record_id}".encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, record_id = base64.urlsafe_b64decode(padded).decode().split("|", 1)
        value = int(created)
        if not 0 <= value < 2**63:
            raise ValueError("out of range")
        return value, record_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "the 'after' cursor is not one this server issued", field="after"
        ) from exc


def encode_effect(effect: Effect) -> bytes:
    return _encoder.encode(effect)


#: Session effects carry a conversation card or a web card (msgspec decodes no union of two
#: dataclasses): those are rebuilt by hand, the card type chosen by the session's kind.
_CARDED = (SessionStarted, SessionChanged)
_effect_decoders = {
    name: msgspec.json.Decoder(cls) for name, cls in BY_NAME.items() if cls not in _CARDED
}


def decode_effect(name: str, body: bytes) -> Effect:
    cls = BY_NAME[name]
    if cls is SessionStarted or cls is SessionChanged:
        doc = msgspec.json.decode(body)
        card_type = Card if doc["kind"] == "conversation" else WebCard
        for field in ("card", "before", "after"):
            if field in doc:
                doc[field] = msgspec.convert(doc[field], card_type)
        carded: Effect = cls(**doc)
        return carded
    decoded: Effect = _effect_decoders[name].decode(body)
    return decoded
