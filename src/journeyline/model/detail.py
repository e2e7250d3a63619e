"""A contact-centre conversation detail event, as the core sees it.

The wire shape (Genesys ``v2.detail.events.conversation.{id}.{topic}``) is parsed by
``journeyline.ingest.genesys_detail``; the core only ever sees :class:`DetailEvent`.
Enumerated values keep the Genesys detail-event spelling (``VOICE``, ``INBOUND``, ``CLIENT``).
"""

from __future__ import annotations

from journeyline.model.record import record

#: Every topic suffix we accept, in the order used to break ties between events that carry
#: the same ``eventTime`` (a start sorts before what follows it, wrap-up last).
TOPICS: tuple[str, ...] = (
    "customer.start",
    "outbound",
    "contact",
    "attributes",
    "flow.start",
    "flow.outcome",
    "flow.end",
    "acd.start",
    "acd.end",
    "user.start",
    "voicemail.start",
    "voicemail.end",
    "user.end",
    "customer.end",
    "acw",
    "wrapup",
)
TOPIC_RANK: dict[str, int] = {topic: rank for rank, topic in enumerate(TOPICS)}


@record
class JourneyContext:
    """The journey a conversation came from (a proactive offer, or a chat started on the site).

    Accepts both Genesys shapes: the detail event's ``{sessionId, sessionIdType, actionId,
    actionMapId}`` and the participant's ``{customer, customerSession, triggeringAction}``.
    """

    customer_id: str | None = None
    customer_id_type: str | None = None
    session_id: str | None = None
    session_type: str | None = None
    action_id: str | None = None
    action_map_id: str | None = None
    action_map_version: int | None = None


@record
class DetailEvent:
    """One conversation detail event. ``key`` is its idempotency key (a content hash)."""

    key: str
    topic: str
    conversation_id: str
    event_time: int  # epoch milliseconds
    participant_id: str | None = None
    comm_session_id: str | None = None  # the detail event's ``sessionId`` (a media session)
    media_type: str | None = None
    message_type: str | None = None
    direction: str | None = None
    provider: str | None = None
    ani: str | None = None
    dnis: str | None = None
    #: an email address normalised as web traits' are; None for one that is no valid address
    address_from: str | None = None
    address_to: str | None = None
    subject: str | None = None
    queue_id: str | None = None
    user_id: str | None = None
    answered_user_id: str | None = None
    disconnect_type: str | None = None
    acd_outcome: str | None = None
    wrapup_code: str | None = None
    wrapup_notes: str | None = None
    interacting_duration_ms: int | None = None
    external_contact_ids: tuple[str, ...] = ()
    journey_context: JourneyContext | None = None

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.event_time, TOPIC_RANK[self.topic], self.key)
