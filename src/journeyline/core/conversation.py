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

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from journeyline.core.uuids import uuid5_text
from journeyline.model.detail import DetailEvent, JourneyContext
from journeyline.model.record import record
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


@functools.lru_cache(maxsize=1 << 16)  # a pure function asked again at every refold
def session_id_for(conversation_id: str) -> str:
    """The conversation session's id: stable, so replays and late events find the same one."""
    return uuid5_text(NAMESPACE, "conversation:" + conversation_id)


@functools.lru_cache(maxsize=1 << 16)  # a pure function asked again at every refold
def _event_id(session_id: str, name: str, anchor: str) -> str:
    return uuid5_text(NAMESPACE, f"{session_id}:{name}:{anchor}")


@record
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
        elif e.address_from and "@" in e.address_from:  # normalised by the adapter
            return e.address_from, "email"
    return None, None


@dataclass(slots=True)
class _FoldState:
    """The running state of one conversation while :func:`fold` walks its sorted events.

    One ``on_*`` handler per topic (see :data:`_HANDLERS`); :meth:`observe` first takes what
    every event may carry (media, subject, contact ids, journey context). :meth:`finish`
    decides whether the conversation has ended, and by whom, and builds the session.
    """

    conversation_id: str
    session_id: str
    direction: str
    outbound: bool
    has_customer_leg: bool
    customer_open: bool  # the customer's leg is up
    channels: list[Channel] = field(default_factory=list)
    media: str | None = None
    message_type: str | None = None
    subject: str | None = None
    context: JourneyContext | None = None
    external_contact: str | None = None
    customer_started: bool = False
    customer_end_ms: int | None = None
    customer_end_disconnect: str | None = None
    acd_legs: dict[tuple[str | None, str | None], _Leg] = field(default_factory=dict)
    user_legs: dict[tuple[str | None, str | None], _Leg] = field(default_factory=dict)
    flow_open: int = 0
    voicemail: bool = False
    queued: bool = False
    last_queue: str | None = None
    last_user: str | None = None
    last_routed_ms: int | None = None
    disposition: Disposition | None = None
    last_user_disconnect: str | None = None  # the Session spelling, transfers included
    last_user_end_disconnect: str | None = None  # the Genesys spelling, transfers excluded
    last_agent_end_ms: int | None = None
    last_acd_outcome: str | None = None
    abandon_ms: int | None = None
    agent_connected: bool = False
    wait_ms: int = 0
    talk_ms: int = 0
    end_ms: int = 0
    derived: list[SessionEvent] = field(default_factory=list)

    @classmethod
    def begin(cls, events: list[DetailEvent]) -> _FoldState:
        """The state before the first event; ``events`` are all of them, sorted."""
        conversation_id = events[0].conversation_id
        direction = _originating_direction(events)
        outbound = direction == "Outbound"
        has_customer_leg = any(e.topic in ("customer.start", "customer.end") for e in events)
        return cls(
            conversation_id=conversation_id,
            session_id=session_id_for(conversation_id),
            direction=direction,
            outbound=outbound,
            has_customer_leg=has_customer_leg,
            customer_open=not has_customer_leg and not outbound,  # missing start: assume present
        )

    # -- journey events --------------------------------------------------------------------

    def _common(self) -> dict[str, AttributeValue]:
        attrs: dict[str, AttributeValue] = {"direction": self.direction}
        if self.media is not None:
            attrs["mediaType"] = CHANNEL_TYPE.get(self.media, "Unknown")
        if self.message_type is not None:
            attrs["messageType"] = self.message_type
        return attrs

    def _emit(self, name: str, anchor: str, t: int, attrs: dict[str, AttributeValue]) -> None:
        session_id = self.session_id
        self.derived.append(
            SessionEvent(_event_id(session_id, name, anchor), session_id, name, t, attrs)
        )

    def _connect(self, anchor: DetailEvent, leg: _Leg) -> None:
        self.agent_connected = True
        attrs = self._common()
        if leg.queue_id or self.last_queue:
            attrs["queue.id"] = leg.queue_id or self.last_queue or ""
        if leg.user_id:
            attrs["agent.id"] = leg.user_id
        routed = self.last_routed_ms
        waited = anchor.event_time - routed if routed is not None else 0
        attrs["waitSeconds"] = max(waited, 0) // 1000
        self._emit("connected", anchor.key, anchor.event_time, attrs)

    # -- every event -----------------------------------------------------------------------

    def observe(self, e: DetailEvent) -> None:
        """What any event may carry: the media (a new channel), subject, contact, context."""
        if e.media_type and e.media_type != "UNKNOWN":
            media = self.media = e.media_type
            if media == "MESSAGE" and e.message_type:
                self.message_type = MESSAGE_TYPE.get(e.message_type, "Unknown")
            elif media != "MESSAGE":
                self.message_type = None
            channel = Channel(CHANNEL_TYPE.get(media, "Unknown"), self.message_type, e.provider)
            if channel not in self.channels:
                self.channels.append(channel)
        if self.subject is None and e.subject:
            self.subject = e.subject
        if e.external_contact_ids:
            self.external_contact = e.external_contact_ids[-1]
        if e.journey_context is not None:
            self.context = e.journey_context

    # -- one handler per topic -------------------------------------------------------------

    def on_customer_start(self, e: DetailEvent) -> None:
        self.customer_started = True
        self.customer_open = True
        user_legs = self.user_legs
        if any(leg.user_id for leg in user_legs.values()):
            self._connect(e, next(reversed(user_legs.values())))

    def on_customer_end(self, e: DetailEvent) -> None:
        self.customer_open = False
        self.customer_end_ms = e.event_time
        self.customer_end_disconnect = e.disconnect_type
        self.end_ms = max(self.end_ms, e.event_time)

    def on_flow_start(self, e: DetailEvent) -> None:
        self.flow_open += 1

    def on_flow_end(self, e: DetailEvent) -> None:
        self.flow_open = max(self.flow_open - 1, 0)

    def on_acd_start(self, e: DetailEvent) -> None:
        t = e.event_time
        self.queued = True
        self.acd_legs[(e.participant_id, e.comm_session_id)] = _Leg(t, queue_id=e.queue_id)
        self.last_queue = e.queue_id or self.last_queue
        self.last_routed_ms = t
        attrs = self._common()
        if e.queue_id:
            attrs["queue.id"] = e.queue_id
        self._emit("routed", e.key, t, attrs)

    def on_acd_end(self, e: DetailEvent) -> None:
        t = e.event_time
        acd_leg = self.acd_legs.pop((e.participant_id, e.comm_session_id), None)
        if acd_leg is not None:
            self.wait_ms += t - acd_leg.start_ms
        self.last_queue = e.queue_id or self.last_queue
        if e.acd_outcome:
            self.last_acd_outcome = ACD_OUTCOME.get(e.acd_outcome, "Unknown")
        self.abandon_ms = t if e.acd_outcome == "ABANDON" else None
        self.end_ms = max(self.end_ms, t)

    def on_user_start(self, e: DetailEvent) -> None:
        leg = _Leg(e.event_time, queue_id=e.queue_id or self.last_queue, user_id=e.user_id)
        self.user_legs[(e.participant_id, e.comm_session_id)] = leg
        self.last_user = e.user_id or self.last_user
        self.last_queue = e.queue_id or self.last_queue
        self.abandon_ms = None
        if self.customer_open:
            self._connect(e, leg)

    def on_user_end(self, e: DetailEvent) -> None:
        t = e.event_time
        user_leg = self.user_legs.pop((e.participant_id, e.comm_session_id), None)
        if e.interacting_duration_ms is not None:
            self.talk_ms += e.interacting_duration_ms
        elif user_leg is not None and self.agent_connected:
            self.talk_ms += t - user_leg.start_ms
        if e.disconnect_type:
            self.last_user_disconnect = DISCONNECT_TYPE.get(e.disconnect_type, "Unknown")
            if e.disconnect_type not in TRANSFERS:
                self.last_user_end_disconnect = e.disconnect_type
        self.last_agent_end_ms = t
        self.end_ms = max(self.end_ms, t)

    def on_wrapup(self, e: DetailEvent) -> None:
        """``acw`` and ``wrapup``: the latest wrap-up code is the disposition."""
        if e.wrapup_code:
            self.disposition = Disposition(
                e.wrapup_code, e.wrapup_notes, e.user_id or self.last_user
            )

    def on_voicemail_start(self, e: DetailEvent) -> None:
        self.voicemail = True

    def on_voicemail_end(self, e: DetailEvent) -> None:
        self.voicemail = True
        self.end_ms = max(self.end_ms, e.event_time)

    # -- the result ------------------------------------------------------------------------

    def _ended(self) -> bool:
        """The customer has left and no agent leg is open."""
        user_legs = self.user_legs
        if self.has_customer_leg or not self.outbound:
            customer_gone = self.customer_end_ms is not None or (
                self.abandon_ms is not None and not user_legs
            )
            return (
                customer_gone
                and not user_legs
                and (self.has_customer_leg or self.abandon_ms is not None)
            )
        # an outbound call the customer never answered
        return self.last_agent_end_ms is not None and not user_legs

    def _ended_by(self) -> EndedBy:
        customer_disconnect = self.customer_end_disconnect
        agent_disconnect = self.last_user_end_disconnect
        if (
            self.last_acd_outcome == "Abandon" and self.abandon_ms is not None
        ) or customer_disconnect in OWN_SIDE:
            return "customer"
        if (customer_disconnect == "PEER" and self.agent_connected) or agent_disconnect in OWN_SIDE:
            return "agent"
        if agent_disconnect == "PEER":
            return "customer"
        return "system"

    def _emit_ended(self, ended_ms: int, ended_by: EndedBy) -> None:
        attrs = self._common()
        if self.last_queue:
            attrs["queue.id"] = self.last_queue
        if self.last_user:
            attrs["agent.id"] = self.last_user
        disconnect = self.last_user_disconnect if self.agent_connected else None
        if disconnect is None and self.customer_end_disconnect:
            disconnect = DISCONNECT_TYPE.get(self.customer_end_disconnect, "Unknown")
        if disconnect:
            attrs["disconnectType"] = disconnect
        if self.last_acd_outcome:
            attrs["acdOutcome"] = self.last_acd_outcome
        attrs["endedBy"] = ended_by
        if self.disposition is not None:
            attrs["wrapupCode.id"] = self.disposition.code
        attrs["waitSeconds"] = self.wait_ms // 1000
        attrs["talkSeconds"] = self.talk_ms // 1000
        self._emit("ended", "session", ended_ms, attrs)

    def _phase(self, ended: bool) -> str:
        if ended:
            return "ended"
        if self.user_legs and (self.customer_open or not self.outbound):
            return "connected"
        if self.user_legs:
            return "dialing"
        if self.acd_legs:
            return "waiting"
        if self.flow_open:
            return "ivr"
        if self.agent_connected:
            return "connected"
        return "started"

    def finish(self, events: list[DetailEvent]) -> Folded:
        """The session and its journey events, once every event has been handled."""
        created_ms = events[0].event_time
        ended_ms: int | None = None
        ended_by: EndedBy | None = None
        ended = self._ended()
        if ended:
            ended_ms = max(self.end_ms, created_ms)
            ended_by = self._ended_by()
            self._emit_ended(ended_ms, ended_by)
        derived = self.derived
        derived.sort(key=lambda ev: (ev.created_ms, ev.id))
        customer_id, customer_id_type = _customer(events, self.direction, self.context)
        first_media = next((e.media_type for e in events if e.media_type), None)
        session = ConversationSession(
            id=self.session_id,
            conversation_id=self.conversation_id,
            created_ms=created_ms,
            ended_ms=ended_ms,
            latest_ms=events[-1].event_time,
            originating_direction=self.direction,
            channels=tuple(self.channels),
            media_type=self.media,
            start_trigger=_start_trigger(self.direction, first_media, self.context),
            subject=self.subject,
            customer_id=customer_id,
            customer_id_type=customer_id_type,
            external_contact_id=self.external_contact,
            journey_context=self.context,
            last_queue_id=self.last_queue,
            last_user_id=self.last_user,
            last_disposition=self.disposition,
            last_user_disconnect_type=self.last_user_disconnect,
            last_acd_outcome=self.last_acd_outcome,
            ended_by=ended_by,
            phase=self._phase(ended),
            agent_connected=self.agent_connected,
            customer_connected=self.customer_started,
            queued=self.queued,
            voicemail=self.voicemail,
            last_agent_end_ms=self.last_agent_end_ms,
            wait_ms=self.wait_ms,
            talk_ms=self.talk_ms,
            event_count=len(derived),
            last_event=derived[-1] if derived else None,
            detail_event_count=len(events),
        )
        return Folded(session, tuple(derived))


#: The handler of each topic; the other topics (``outbound``, ``contact``, ``attributes``,
#: ``flow.outcome``) only carry what :meth:`_FoldState.observe` takes.
_HANDLERS: dict[str, Callable[[_FoldState, DetailEvent], None]] = {
    "customer.start": _FoldState.on_customer_start,
    "customer.end": _FoldState.on_customer_end,
    "flow.start": _FoldState.on_flow_start,
    "flow.end": _FoldState.on_flow_end,
    "acd.start": _FoldState.on_acd_start,
    "acd.end": _FoldState.on_acd_end,
    "user.start": _FoldState.on_user_start,
    "user.end": _FoldState.on_user_end,
    "acw": _FoldState.on_wrapup,
    "wrapup": _FoldState.on_wrapup,
    "voicemail.start": _FoldState.on_voicemail_start,
    "voicemail.end": _FoldState.on_voicemail_end,
}


def fold(detail_events: Iterable[DetailEvent]) -> Folded:
    """Fold every detail event of one conversation into its session and journey events."""
    events = _unique_sorted(detail_events)
    if not events:
        raise ValueError("a conversation needs at least one detail event")
    state = _FoldState.begin(events)
    observe, handlers = state.observe, _HANDLERS
    for e in events:
        observe(e)
        handler = handlers.get(e.topic)
        if handler is not None:
            handler(state, e)
    return state.finish(events)
