"""The conversation state machine.

A conversation session is a function of the *set* of its detail events: :func:`fold` drops
duplicates, sorts by ``(eventTime, topic rank, key)`` and walks the events once. Any arrival
order, with any duplication, gives the same session and the same journey events, with the same
ids (they are name-based UUIDs), so live processing and a replay of the log agree.

Journey events derived here (the contract segments, outcomes and action maps build on; see
docs/conversation-events.md):

- ``routed``    at each ``acd.start``: the customer waits in a queue.
- ``connected`` when an agent leg and the customer leg are both up (at ``user.start`` for an
  inbound conversation, at the customer's answer for an outbound call); once per agent leg.
- ``ended``     once, when the customer has left and no agent leg is open; ``endedBy`` says who
  ended it (``customer``, ``agent``, or ``system`` for a flow, a timeout or an error). Its
  wrap-up attributes fill in when the wrap-up arrives; its id does not change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from journeyline.model.detail import DetailEvent, JourneyContext
from journeyline.model.session import (
    AttributeValue,
    Channel,
    ConversationSession,
    Disposition,
    EndedBy,
    SessionEvent,
)

NAMESPACE = uuid.UUID("5b1f0d2e-7c1a-4f65-9a53-3f8e2a6d9c41")

CHANNEL_TYPE = {
    "VOICE": "Voice",
    "CALLBACK": "Callback",
    "CHAT": "Chat",
    "MESSAGE": "Message",
    "EMAIL": "Email",
    "VIDEO": "Video",
    "COBROWSE": "Cobrowse",
    "SCREENSHARE": "Screenshare",
    "INTERNALMESSAGE": "InternalMessage",
}
MESSAGE_TYPE = {
    "SMS": "Sms",
    "TWITTER": "Twitter",
    "FACEBOOK": "Facebook",
    "LINE": "Line",
    "WHATSAPP": "WhatsApp",
    "WEBMESSAGING": "WebMessaging",
    "OPEN": "Open",
    "INSTAGRAM": "Instagram",
    "APPLE": "Apple",
}
DIRECTION = {"INBOUND": "Inbound", "OUTBOUND": "Outbound"}
DISCONNECT_TYPE = {
    "ENDPOINT": "Endpoint",
    "CLIENT": "Client",
    "SYSTEM": "System",
    "TRANSFER": "Transfer",
    "ERROR": "Error",
    "PEER": "Peer",
    "OTHER": "Other",
    "SPAM": "Spam",
    "TIMEOUT": "Timeout",
    "TRANSPORT_FAILURE": "TransportFailure",
    "CONFERENCE_TRANSFER": "ConferenceTransfer",
    "CONSULT_TRANSFER": "ConsultTransfer",
    "FORWARD_TRANSFER": "ForwardTransfer",
    "NO_ANSWER_TRANSFER": "NoAnswerTransfer",
    "NOT_AVAILABLE_TRANSFER": "NotAvailableTransfer",
    "UNCALLABLE": "Uncallable",
    "DND_ENDPOINT": "DoNotDisturbEndpoint",
    "DND_TRANSFER": "DoNotDisturbTransfer",
    "INACTIVITY": "Timeout",  # the Session enum has no Inactivity
    "SESSION_EXPIRED": "SessionExpired",
    "TAKEOVER": "Takeover",
}
ACD_OUTCOME = {"ABANDON": "Abandon", "ANSWERED": "Answered", "FLOW_OUT": "FlowOut"}
TRANSFERS = frozenset(t for t in DISCONNECT_TYPE if t.endswith("TRANSFER"))
#: On a participant's own ``*.end``: that participant hung up or closed the window.
OWN_SIDE = frozenset({"ENDPOINT", "CLIENT"})


def session_id_for(conversation_id: str) -> str:
    """The conversation session's id: stable, so replays and late events find the same one."""
    return str(uuid.uuid5(NAMESPACE, "conversation:" + conversation_id))


def _event_id(session_id: str, name: str, anchor: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{session_id}:{name}:{anchor}"))


@dataclass(frozen=True, slots=True)
class Folded:
    session: ConversationSession
    events: tuple[SessionEvent, ...]


@dataclass(slots=True)
class _Leg:
    start_ms: int
    queue_id: str | None = None
    user_id: str | None = None


def _unique_sorted(events: Iterable[DetailEvent]) -> list[DetailEvent]:
    by_key = {e.key: e for e in events}
    return sorted(by_key.values(), key=lambda e: e.sort_key)


def _originating_direction(events: list[DetailEvent]) -> str:
    if any(e.topic == "outbound" for e in events):
        return "Outbound"
    for e in events:
        if e.topic == "customer.start" and e.direction in DIRECTION:
            return DIRECTION[e.direction]
    for e in events:
        if e.direction in DIRECTION:
            return DIRECTION[e.direction]
    return "Unknown"


def _start_trigger(direction: str, media: str | None, context: JourneyContext | None) -> str:
    if direction == "Outbound":
        return "OutboundCall"
    if context is not None and context.action_id:
        return "ProactiveOffer"
    if media == "CHAT":
        return "ReactiveChat"
    if media == "MESSAGE":
        return "WebMessaging"
    return "InboundCall"


def _customer(
    events: list[DetailEvent], direction: str, context: JourneyContext | None
) -> tuple[str | None, str | None]:
    """Who the conversation is with: the journey context's customer, else a phone or email."""
    if context is not None and context.customer_id:
        return context.customer_id, context.customer_id_type or "cookie"
    for e in events:
        if e.topic not in ("customer.start", "customer.end", "outbound", "user.start"):
            continue
        if e.media_type in ("VOICE", "CALLBACK"):
            number = e.dnis if direction == "Outbound" else e.ani
            if number and number.startswith("+"):
                return number, "phone"
        elif e.address_from and "@" in e.address_from:
            return e.address_from.lower(), "email"
    return None, None


def fold(detail_events: Iterable[DetailEvent]) -> Folded:
    """Fold every detail event of one conversation into its session and journey events."""
    events = _unique_sorted(detail_events)
    if not events:
        raise ValueError("a conversation needs at least one detail event")
    conversation_id = events[0].conversation_id
    session_id = session_id_for(conversation_id)
    direction = _originating_direction(events)
    outbound = direction == "Outbound"
    has_customer_leg = any(e.topic in ("customer.start", "customer.end") for e in events)

    channels: list[Channel] = []
    media: str | None = None
    message_type: str | None = None
    subject: str | None = None
    context: JourneyContext | None = None
    external_contact: str | None = None
    customer_open = not has_customer_leg and not outbound  # missing start: assume present
    customer_started = False
    customer_end_ms: int | None = None
    customer_end_disconnect: str | None = None
    acd_legs: dict[tuple[str | None, str | None], _Leg] = {}
    user_legs: dict[tuple[str | None, str | None], _Leg] = {}
    flow_open = 0
    voicemail = False
    queued = False
    last_queue: str | None = None
    last_user: str | None = None
    last_routed_ms: int | None = None
    disposition: Disposition | None = None
    last_user_disconnect: str | None = None
    last_user_end_disconnect: str | None = None
    last_agent_end_ms: int | None = None
    last_acd_outcome: str | None = None
    abandon_ms: int | None = None
    agent_connected = False
    wait_ms = 0
    talk_ms = 0
    end_ms = 0
    derived: list[SessionEvent] = []

    def common() -> dict[str, AttributeValue]:
        attrs: dict[str, AttributeValue] = {"direction": direction}
        if media is not None:
            attrs["mediaType"] = CHANNEL_TYPE.get(media, "Unknown")
        if message_type is not None:
            attrs["messageType"] = message_type
        return attrs

    def connect(anchor: DetailEvent, leg: _Leg) -> None:
        nonlocal agent_connected
        agent_connected = True
        attrs = common()
        if leg.queue_id or last_queue:
            attrs["queue.id"] = leg.queue_id or last_queue or ""
        if leg.user_id:
            attrs["agent.id"] = leg.user_id
        waited = anchor.event_time - last_routed_ms if last_routed_ms is not None else 0
        attrs["waitSeconds"] = max(waited, 0) // 1000
        derived.append(
            SessionEvent(
                _event_id(session_id, "connected", anchor.key),
                session_id,
                "connected",
                anchor.event_time,
                attrs,
            )
        )

    for e in events:
        t = e.event_time
        leg_key = (e.participant_id, e.comm_session_id)
        if e.media_type and e.media_type != "UNKNOWN":
            media = e.media_type
            if media == "MESSAGE" and e.message_type:
                message_type = MESSAGE_TYPE.get(e.message_type, "Unknown")
            elif media != "MESSAGE":
                message_type = None
            channel = Channel(CHANNEL_TYPE.get(media, "Unknown"), message_type, e.provider)
            if channel not in channels:
                channels.append(channel)
        if subject is None and e.subject:
            subject = e.subject
        if e.external_contact_ids:
            external_contact = e.external_contact_ids[-1]
        if e.journey_context is not None:
            context = e.journey_context
        topic = e.topic
        if topic == "customer.start":
            customer_started = True
            customer_open = True
            if any(leg.user_id for leg in user_legs.values()):
                connect(e, next(reversed(user_legs.values())))
        elif topic == "customer.end":
            customer_open = False
            customer_end_ms = t
            customer_end_disconnect = e.disconnect_type
            end_ms = max(end_ms, t)
        elif topic == "flow.start":
            flow_open += 1
        elif topic == "flow.end":
            flow_open = max(flow_open - 1, 0)
        elif topic == "acd.start":
            queued = True
            acd_legs[leg_key] = _Leg(t, queue_id=e.queue_id)
            last_queue = e.queue_id or last_queue
            last_routed_ms = t
            attrs = common()
            if e.queue_id:
                attrs["queue.id"] = e.queue_id
            derived.append(
                SessionEvent(_event_id(session_id, "routed", e.key), session_id, "routed", t, attrs)
            )
        elif topic == "acd.end":
            acd_leg = acd_legs.pop(leg_key, None)
            if acd_leg is not None:
                wait_ms += t - acd_leg.start_ms
            last_queue = e.queue_id or last_queue
            if e.acd_outcome:
                last_acd_outcome = ACD_OUTCOME.get(e.acd_outcome, "Unknown")
            abandon_ms = t if e.acd_outcome == "ABANDON" else None
            end_ms = max(end_ms, t)
        elif topic == "user.start":
            leg = _Leg(t, queue_id=e.queue_id or last_queue, user_id=e.user_id)
            user_legs[leg_key] = leg
            last_user = e.user_id or last_user
            last_queue = e.queue_id or last_queue
            abandon_ms = None
            if customer_open:
                connect(e, leg)
        elif topic == "user.end":
            user_leg = user_legs.pop(leg_key, None)
            if e.interacting_duration_ms is not None:
                talk_ms += e.interacting_duration_ms
            elif user_leg is not None and agent_connected:
                talk_ms += t - user_leg.start_ms
            if e.disconnect_type:
                last_user_disconnect = DISCONNECT_TYPE.get(e.disconnect_type, "Unknown")
                if e.disconnect_type not in TRANSFERS:
                    last_user_end_disconnect = e.disconnect_type
            last_agent_end_ms = t
            end_ms = max(end_ms, t)
        elif topic in ("acw", "wrapup") and e.wrapup_code:
            disposition = Disposition(e.wrapup_code, e.wrapup_notes, e.user_id or last_user)
        elif topic in ("voicemail.start", "voicemail.end"):
            voicemail = True
            end_ms = max(end_ms, t) if topic == "voicemail.end" else end_ms

    customer_gone = customer_end_ms is not None or (abandon_ms is not None and not user_legs)
    if has_customer_leg or not outbound:
        ended = customer_gone and not user_legs and (has_customer_leg or abandon_ms is not None)
    else:  # an outbound call the customer never answered
        ended = last_agent_end_ms is not None and not user_legs
    created_ms = events[0].event_time
    ended_ms = max(end_ms, created_ms) if ended else None

    ended_by: EndedBy | None = None
    if ended:
        if (
            last_acd_outcome == "Abandon" and abandon_ms is not None
        ) or customer_end_disconnect in OWN_SIDE:
            ended_by = "customer"
        elif (
            customer_end_disconnect == "PEER" and agent_connected
        ) or last_user_end_disconnect in OWN_SIDE:
            ended_by = "agent"
        elif last_user_end_disconnect == "PEER":
            ended_by = "customer"
        else:
            ended_by = "system"
        attrs = common()
        if last_queue:
            attrs["queue.id"] = last_queue
        if last_user:
            attrs["agent.id"] = last_user
        disconnect = last_user_disconnect if agent_connected else None
        if disconnect is None and customer_end_disconnect:
            disconnect = DISCONNECT_TYPE.get(customer_end_disconnect, "Unknown")
        if disconnect:
            attrs["disconnectType"] = disconnect
        if last_acd_outcome:
            attrs["acdOutcome"] = last_acd_outcome
        attrs["endedBy"] = ended_by
        if disposition is not None:
            attrs["wrapupCode.id"] = disposition.code
        attrs["waitSeconds"] = wait_ms // 1000
        attrs["talkSeconds"] = talk_ms // 1000
        assert ended_ms is not None
        derived.append(
            SessionEvent(
                _event_id(session_id, "ended", "session"), session_id, "ended", ended_ms, attrs
            )
        )

    if ended:
        phase = "ended"
    elif user_legs and (customer_open or not outbound):
        phase = "connected"
    elif user_legs:
        phase = "dialing"
    elif acd_legs:
        phase = "waiting"
    elif flow_open:
        phase = "ivr"
    elif agent_connected:
        phase = "connected"
    else:
        phase = "started"

    derived.sort(key=lambda ev: (ev.created_ms, ev.id))
    customer_id, customer_id_type = _customer(events, direction, context)
    first_media = next((e.media_type for e in events if e.media_type), None)
    session = ConversationSession(
        id=session_id,
        conversation_id=conversation_id,
        created_ms=created_ms,
        ended_ms=ended_ms,
        latest_ms=events[-1].event_time,
        originating_direction=direction,
        channels=tuple(channels),
        media_type=media,
        start_trigger=_start_trigger(direction, first_media, context),
        subject=subject,
        customer_id=customer_id,
        customer_id_type=customer_id_type,
        external_contact_id=external_contact,
        journey_context=context,
        last_queue_id=last_queue,
        last_user_id=last_user,
        last_disposition=disposition,
        last_user_disconnect_type=last_user_disconnect,
        last_acd_outcome=last_acd_outcome,
        ended_by=ended_by,
        phase=phase,
        agent_connected=agent_connected,
        customer_connected=customer_started,
        queued=queued,
        voicemail=voicemail,
        last_agent_end_ms=last_agent_end_ms,
        wait_ms=wait_ms,
        talk_ms=talk_ms,
        event_count=len(derived),
        last_event=derived[-1] if derived else None,
        detail_event_count=len(events),
    )
    return Folded(session, tuple(derived))
