"""Session and session-event records: the projections the engine derives from the log."""

from __future__ import annotations

from typing import Literal

from journeyline.model.detail import JourneyContext
from journeyline.model.record import record

EndedBy = Literal["customer", "agent", "system"]
#: A journey event's attribute: conversation events carry ids and numbers, web events also a
#: custom attribute's boolean or decimal number, as typed (a criterion compares it as one).
AttributeValue = str | bool | int | float


@record
class Channel:
    """A Genesys ``ConversationChannel``: ``type`` Voice/Chat/Message/..., ``messageType``."""

    type: str
    message_type: str | None = None
    platform: str | None = None


@record
class Disposition:
    """A Genesys ``ConversationUserDisposition``: the wrap-up code an agent assigned."""

    code: str
    notes: str | None = None
    user_id: str | None = None


@record
class SessionEvent:
    """A journey event of a session: for conversations ``routed``, ``connected``, ``ended``.

    ``attributes`` hold ids only (``queue.id``, ``agent.id``, ``wrapupCode.id``); the matching
    ``*.name`` attributes are resolved from the directory when the event is read or evaluated.
    """

    id: str
    session_id: str
    event_name: str
    created_ms: int
    attributes: dict[str, AttributeValue]
    stream_type: str = "Conversation"
    session_type: str = "conversation"


@record
class ConversationSession:
    """A conversation session: one per contact-centre conversation (fields of Genesys Session)."""

    id: str
    conversation_id: str
    created_ms: int
    ended_ms: int | None
    latest_ms: int  # the time of its latest detail event
    originating_direction: str  # Unknown | Inbound | Outbound
    channels: tuple[Channel, ...]
    media_type: str | None  # the latest detail mediaType: drives the card icon
    start_trigger: str  # InboundCall | OutboundCall | ProactiveOffer | ReactiveChat | WebMessaging
    subject: str | None
    customer_id: str | None
    customer_id_type: str | None
    external_contact_id: str | None
    journey_context: JourneyContext | None
    last_queue_id: str | None
    last_user_id: str | None
    last_disposition: Disposition | None
    last_user_disconnect_type: str | None
    last_acd_outcome: str | None
    ended_by: EndedBy | None
    phase: str  # started | ivr | dialing | waiting | connected | ended
    agent_connected: bool
    customer_connected: bool
    queued: bool
    voicemail: bool
    last_agent_end_ms: int | None
    wait_ms: int
    talk_ms: int
    event_count: int
    last_event: SessionEvent | None = None
    detail_event_count: int = 0
