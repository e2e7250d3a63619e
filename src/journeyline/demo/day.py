"""A deterministic demo contact-centre day, as Genesys Cloud conversation detail events.

Pure: no I/O, no clock reads, no global random state; all randomness comes from a
``random.Random`` built from the seed. Events use the wire format of the
``v2.detail.events.conversation.{id}.{topic}`` topics. Conversations that end start between
08:00 and 17:00 after ``day_start_ms`` and finish before 18:00 (``NOW_OFFSET_MS``, the demo's
"now"); the ``ACTIVE_SCENARIOS`` start 8-15 minutes before 18:00 and are still open then.
"""

from __future__ import annotations

import copy
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_SEC = 1_000
_HOUR = 3_600 * _SEC
OPEN_OFFSET_MS = 8 * _HOUR
NOW_OFFSET_MS = 18 * _HOUR
_ARRIVALS_PER_HOUR = (6, 10, 12, 11, 8, 9, 11, 10, 7)  # 08:00 .. 16:00, mid-morning peak
_MAIN_NUMBER = "tel:+18005550100"
_NAMESPACE = uuid.UUID("5b2f7c1e-8d3a-4f6b-9c0e-1a2b3c4d5e6f")

QUEUE_NAMES = ("Sales", "Support", "Billing", "Retention")
# fmt: off
AGENT_NAMES = (
    "Maria Gonzalez", "James Okafor", "Priya Raman", "Tom Becker",
    "Aisha Khan", "Lucas Moreau", "Emily Chen", "Daniel Novak",
)
# fmt: on
WRAPUP_NAMES = ("Sale", "Resolved", "Follow-up", "Complaint", "No answer", "Voicemail left")
_WRAPUP_NOTES = {
    "Sale": "Order placed",
    "Resolved": "Resolved on first contact",
    "Follow-up": "Callback promised within 48h",
    "Complaint": "Escalated to team lead",
    "No answer": "No answer, retry tomorrow",
    "Voicemail left": "Left a voicemail",
}
_CODES_BY_QUEUE = {  # queue name -> (codes, weights) an agent picks from
    "Sales": (("Sale", "Follow-up", "Resolved"), (5, 3, 2)),
    "Support": (("Resolved", "Follow-up", "Complaint"), (6, 3, 1)),
    "Billing": (("Resolved", "Follow-up", "Complaint"), (5, 2, 2)),
    "Retention": (("Sale", "Follow-up", "Complaint"), (3, 3, 2)),
}
_FLOWS = {  # mediaType -> (flow name, flowType, flowVersion)
    "VOICE": ("Main IVR", "INBOUNDCALL", "7.0"),
    "CHAT": ("Web Chat Router", "INBOUNDCHAT", "2.0"),
    "MESSAGE": ("Web Messaging Bot", "INBOUNDSHORTMESSAGE", "12.0"),
}
_ACTION_MAPS = ("Proactive chat: pricing page", "Proactive chat: abandoned cart")
# fmt: off
_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Logan",
    "Mia", "Lucas", "Chloe", "Omar", "Zoe", "Hiro", "Fatima", "Mateo", "Grace", "Ravi",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
    "Anderson", "Thomas", "Taylor", "Moore", "Martin", "Lee", "Walker", "Hall", "Young",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    kind: str  # "queue" | "user" | "wrapupcode"
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoDay:
    directory: list[DirectoryEntry]
    events: list[dict[str, Any]]  # wire objects, in delivery order
    conversations: dict[str, str]  # conversationId -> scenario name


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """A person who contacts the centre; repeat contacts reuse the same instance."""

    name: str
    email: str
    phone: str  # "tel:+1555..." E.164
    contact_id: str | None  # external contact id when the customer is a known contact


_Party = tuple[str, str]  # (participantId, sessionId)
_Queue = tuple[str, str]  # (name, id)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fixed_id(name: str) -> str:
    """A stable id for configuration objects (flows, action maps) outside the directory."""
    return str(uuid.uuid5(_NAMESPACE, name))


def _ms(rng: random.Random, lo_s: float, hi_s: float) -> int:
    return rng.randint(int(lo_s * _SEC), int(hi_s * _SEC))


def _lognormal_ms(rng: random.Random, median_s: float, lo_s: float, hi_s: float) -> int:
    value = rng.lognormvariate(math.log(median_s), 0.6)
    return int(min(max(value, lo_s), hi_s) * _SEC)


def demo_directory(rng: random.Random) -> list[DirectoryEntry]:
    """Queues, agents and wrap-up codes with ids drawn from ``rng``."""
    groups = (("queue", QUEUE_NAMES), ("user", AGENT_NAMES), ("wrapupcode", WRAPUP_NAMES))
    return [DirectoryEntry(kind, _uuid(rng), name) for kind, names in groups for name in names]


def demo_customer(rng: random.Random) -> DemoCustomer:
    """A new customer; about 40% are already known external contacts."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    phone = f"tel:+1555{rng.randint(0, 9_999_999):07d}"
    contact_id = _uuid(rng) if rng.random() < 0.4 else None
    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com"
    return DemoCustomer(f"{first} {last}", email, phone, contact_id)


@dataclass(slots=True)
class _Directory:
    queues: dict[str, str]  # name -> id
    users: list[str]
    codes: dict[str, str]  # name -> id

    @classmethod
    def of(cls, entries: Sequence[DirectoryEntry]) -> _Directory:
        queues = {e.name: e.id for e in entries if e.kind == "queue"}
        users = [e.id for e in entries if e.kind == "user"]
        codes = {e.name: e.id for e in entries if e.kind == "wrapupcode"}
        if not queues or len(users) < 2 or not codes:
            raise ValueError("directory needs queues, at least two users and wrap-up codes")
        return cls(queues, users, codes)


@dataclass(slots=True)
class _Conv:
    """One conversation being written: common fields, parties and the events so far."""

    cid: str
    start: int
    rng: random.Random
    d: _Directory
    who: DemoCustomer
    common: dict[str, Any]
    cust: _Party
    link_contact: bool = False  # a known contact the agent links mid-call (``contact`` event)
    leg: _Party = ("", "")  # the latest agent participant, for its acw
    events: list[dict[str, Any]] = field(default_factory=list)

    def party(self) -> _Party:
        return _uuid(self.rng), _uuid(self.rng)

    def emit(self, topic: str, t: int, party: _Party, **extra: Any) -> None:
        body: dict[str, Any] = {
            "eventTime": t,
            "conversationId": self.cid,
            "participantId": party[0],
            "sessionId": party[1],
        }
        body.update(copy.deepcopy(self.common))
        body.update(extra)
        topic_name = f"v2.detail.events.conversation.{self.cid}.{topic}"
        self.events.append({"topicName": topic_name, "version": "2", "eventBody": body})

    def queue(self, *names: str) -> _Queue:
        """(name, id) of a queue, weighted towards Support; limited to ``names`` if present."""
        pool = [(n, i) for n, i in self.d.queues.items() if not names or n in names]
        pool = pool or list(self.d.queues.items())
        weights = [{"Support": 5, "Sales": 3, "Billing": 3}.get(n, 1) for n, _ in pool]
        return self.rng.choices(pool, weights=weights)[0]

    def code_for(self, queue_name: str) -> str:
        codes, weights = _CODES_BY_QUEUE.get(queue_name, (("Resolved",), (1,)))
        return self.rng.choices(codes, weights=weights)[0]

    def agent(self, *, other_than: str | None = None) -> str:
        return self.rng.choice([u for u in self.d.users if u != other_than])


def _customer_start(c: _Conv, t: int, **extra: Any) -> None:
    if c.common.get("conversationExternalContactIds"):
        extra = {"externalContactId": c.who.contact_id, **extra}
    c.emit("customer.start", t, c.cust, **extra)


def _flow(c: _Conv, t: int, dur: int, *, to_acd: bool, attrs: dict[str, str] | None = None) -> int:
    """IVR or bot: flow.start, optional participant data, flow.end. Returns the end time."""
    name, flow_type, version = _FLOWS[c.common["mediaType"]]
    info = {"flowId": _fixed_id("flow/" + name), "flowType": flow_type, "flowVersion": version}
    party, end = c.party(), t + dur
    c.emit("flow.start", t, party, **info)
    if attrs:
        comms = [{"id": c.cust[1], "mediaType": c.common["mediaType"]}]
        data = {"attributes": attrs, "communications": comms, "participantStartTime": c.start}
        c.emit("attributes", end, c.cust, **data)
    if to_acd:
        how = {"disconnectType": "TRANSFER", "exitReason": "TRANSFER", "transferType": "ACD"}
    else:
        how = {"disconnectType": "PEER", "exitReason": "DISCONNECT"}
    c.emit("flow.end", end, party, **info, **how, connectedDurationMs=dur)
    return end


def _acd(c: _Conv, t: int, queue: str, wait: int, outcome: str, user: str | None = None) -> int:
    """Queue visit: acd.start then acd.end with ``outcome``. Returns the end time."""
    party = c.party()
    c.emit("acd.start", t, party, queueId=queue)
    extra: dict[str, Any] = {"queueId": queue, "acdOutcome": outcome, "connectedDurationMs": wait}
    extra["disconnectType"] = "PEER" if outcome == "ABANDON" else "TRANSFER"
    if user is not None:
        extra["answeredUserId"] = user
    c.emit("acd.end", t + wait, party, **extra)
    return t + wait


def _agent(c: _Conv, t: int, queue: str, user: str, talk: int, end: str, **timing: int) -> int:
    """Agent leg from ``t``: user.start, optional contact link, user.end. Returns the talk end.

    ``end`` is the user.end disconnectType; ``timing`` replaces the default alertingDurationMs
    (outbound legs pass dialingDurationMs). With PEER the user.end lands just after the end.
    """
    party = c.party()
    c.emit("user.start", t, party, userId=user, queueId=queue)
    durations = timing or {"alertingDurationMs": _ms(c.rng, 2, 9)}
    talk_start = t + sum(durations.values())
    if c.link_contact:
        c.emit("contact", talk_start + talk // 3, c.cust, externalContactId=c.who.contact_id)
        c.common["conversationExternalContactIds"] = [c.who.contact_id]
        c.link_contact = False
    held = _ms(c.rng, 20, talk / 4 / _SEC) if talk > 90 * _SEC and c.rng.random() < 0.3 else 0
    talk_end = talk_start + talk
    finish = talk_end + (c.rng.randint(50, 900) if end == "PEER" else 0)
    ids = {"userId": user, "queueId": queue, "disconnectType": end}
    c.emit("user.end", finish, party, **ids, interactingDurationMs=talk, heldDurationMs=held,
           **durations)  # fmt: skip
    c.leg = party
    return talk_end


def _acw(c: _Conv, t: int, user: str, queue: str, code: str, wrap: int) -> None:
    """The agent's wrap-up, ``wrap`` ms after ``t``, on the latest agent participant."""
    data = {"userId": user, "queueId": queue, "wrapupCode": c.d.codes[code]}
    data["wrapupNotes"] = _WRAPUP_NOTES.get(code, code)
    c.emit("acw", t + wrap, c.leg, **data, wrapupDurationMs=wrap)


def _handled(c: _Conv, t: int, queue: _Queue, user: str, by_customer: bool, **timing: int) -> None:
    """The agent talks from ``t`` until one side ends, then wraps up (acw)."""
    end = _agent(c, t, queue[1], user, _talk(c), "PEER" if by_customer else "CLIENT", **timing)
    if by_customer:  # customer hangs up first; the wrap-up arrives well after customer.end
        c.emit("customer.end", end, c.cust, disconnectType="ENDPOINT")
        wrap = _ms(c.rng, 45, 240)
    else:  # agent ends; as in the reference sample, customer.end follows the wrap-up
        wrap = _ms(c.rng, 8, 60)
        c.emit("customer.end", end + wrap + _ms(c.rng, 0.5, 2), c.cust, disconnectType="PEER")
    _acw(c, end, user, queue[1], c.code_for(queue[0]), wrap)


# Per media type: (IVR/bot duration range s, median queue wait s, median talk s).
_TIMING = {"VOICE": ((8, 45), 40, 240), "CHAT": ((1, 3), 30, 420), "MESSAGE": ((30, 180), 60, 600)}


def _flow_time(c: _Conv) -> int:
    return _ms(c.rng, *_TIMING[c.common["mediaType"]][0])


def _wait(c: _Conv) -> int:  # ms in queue, at most 7 minutes
    return _lognormal_ms(c.rng, _TIMING[c.common["mediaType"]][1], 3, 420)


def _talk(c: _Conv) -> int:  # ms talking, at most 20 minutes
    return _lognormal_ms(c.rng, _TIMING[c.common["mediaType"]][2], 30, 1_200)


def _menu(c: _Conv, queue_name: str) -> dict[str, str]:
    if c.common["mediaType"] == "MESSAGE":
        return {"bot.intent": queue_name, "bot.confidence": f"{c.rng.uniform(0.6, 0.99):.2f}"}
    if c.common["mediaType"] == "CHAT":
        return {"chat.topic": queue_name, "chat.page": f"/help/{queue_name.lower()}"}
    return {"ivr.menuChoice": queue_name.lower(), "ivr.language": "en-US"}


def _routed(c: _Conv, queue: _Queue, user: str, **start: Any) -> int:
    """customer.start, IVR/bot flow, queue answered by ``user``. Returns the answer time."""
    _customer_start(c, c.start, **start)
    t = _flow(c, c.start, _flow_time(c), to_acd=True, attrs=_menu(c, queue[0]))
    return _acd(c, t, queue[1], _wait(c), "ANSWERED", user)


def _abandoned(c: _Conv) -> None:
    queue = c.queue()
    _customer_start(c, c.start)
    t = _flow(c, c.start, _flow_time(c), to_acd=True, attrs=_menu(c, queue[0]))
    t = _acd(c, t, queue[1], _lognormal_ms(c.rng, 90, 10, 420), "ABANDON")
    c.emit("customer.end", t, c.cust, disconnectType="ENDPOINT")


def inbound_answered(c: _Conv) -> None:
    queue, user = c.queue(), c.agent()
    _handled(c, _routed(c, queue, user), queue, user, False)


def inbound_customer_hangs_up_after_talk(c: _Conv) -> None:
    queue, user = c.queue(), c.agent()
    _handled(c, _routed(c, queue, user), queue, user, True)


def inbound_abandon_in_queue(c: _Conv) -> None:
    _abandoned(c)


def inbound_ivr_only(c: _Conv) -> None:
    _customer_start(c, c.start)
    t = _flow(c, c.start, _ms(c.rng, 10, 120), to_acd=False)
    c.emit("customer.end", t, c.cust, disconnectType="ENDPOINT")


def inbound_transfer(c: _Conv) -> None:
    first, user1 = c.queue("Sales", "Support", "Billing"), c.agent()
    second = c.queue(*(n for n in c.d.queues if n != first[0]))
    user2 = c.agent(other_than=user1)
    t = _agent(c, _routed(c, first, user1), first[1], user1, _talk(c) // 2, "TRANSFER")
    t = _acd(c, t, second[1], _wait(c), "ANSWERED", user2)
    _handled(c, t, second, user2, c.rng.random() < 0.3)


def inbound_voicemail(c: _Conv) -> None:
    queue = c.queue()
    _customer_start(c, c.start)
    t = _flow(c, c.start, _flow_time(c), to_acd=True, attrs=_menu(c, queue[0]))
    t = _acd(c, t, queue[1], _ms(c.rng, 120, 300), "FLOW_OUT")
    party, dur = c.party(), _ms(c.rng, 15, 90)
    c.emit("voicemail.start", t, party, queueId=queue[1])
    ended = {"disconnectType": "PEER", "voicemailDurationMs": dur}
    c.emit("voicemail.end", t + dur, party, queueId=queue[1], **ended)
    c.emit("customer.end", t + dur, c.cust, disconnectType="ENDPOINT")


def _dial(c: _Conv, queue: _Queue) -> None:
    """``outbound`` marks the dial, just after the agent's user.start (emitted by ``_agent``)."""
    extra: dict[str, str] = {}
    if queue[0] == "Retention" or c.rng.random() < 0.4:  # a preview-campaign record
        extra = {
            "outboundCampaignId": _fixed_id("campaign/" + queue[0]),
            "outboundContactListId": _fixed_id("contactlist/" + queue[0]),
            "outboundContactId": _uuid(c.rng),
        }
    c.emit("outbound", c.start + c.rng.randint(100, 600), c.party(), **extra)


def outbound_answered(c: _Conv) -> None:
    queue, user, dial = c.queue("Sales", "Retention"), c.agent(), _ms(c.rng, 6, 25)
    _dial(c, queue)
    _customer_start(c, c.start + dial)
    _handled(c, c.start, queue, user, c.rng.random() < 0.35, dialingDurationMs=dial)


def outbound_no_answer(c: _Conv) -> None:
    queue, user, dial = c.queue("Sales", "Retention"), c.agent(), _ms(c.rng, 25, 45)
    _dial(c, queue)
    end = _agent(c, c.start, queue[1], user, 0, "CLIENT", dialingDurationMs=dial)
    _acw(c, end, user, queue[1], "No answer", _ms(c.rng, 5, 20))


def web_chat_reactive(c: _Conv) -> None:
    queue, user = c.queue(), c.agent()
    _handled(c, _routed(c, queue, user), queue, user, c.rng.random() < 0.4)


def web_chat_proactive(c: _Conv) -> None:
    queue, user = c.queue("Sales", "Retention"), c.agent()
    journey = {
        "sessionId": _uuid(c.rng),
        "sessionIdType": "web",
        "actionId": _uuid(c.rng),
        "actionMapId": _fixed_id("actionmap/" + c.rng.choice(_ACTION_MAPS)),
    }
    t = _routed(c, queue, user, journeyContext=journey)
    _handled(c, t, queue, user, c.rng.random() < 0.4)


def web_messaging(c: _Conv) -> None:
    queue, user = c.queue(), c.agent()
    _handled(c, _routed(c, queue, user), queue, user, c.rng.random() < 0.25)


def web_messaging_abandon(c: _Conv) -> None:
    _abandoned(c)


def active_waiting(c: _Conv) -> None:
    _customer_start(c, c.start)
    c.emit("acd.start", c.start + _ms(c.rng, 0, 1), c.party(), queueId=c.queue()[1])


def active_connected(c: _Conv) -> None:
    queue, user = c.queue(), c.agent()
    t = _routed(c, queue, user)
    c.emit("user.start", t, c.party(), userId=user, queueId=queue[1])


_Scenario = Callable[[_Conv], None]
# name -> (function, mediaType, direction, weight in the day's mix)
_SCENARIOS: dict[str, tuple[_Scenario, str, str, float]] = {
    f.__name__: (f, media, direction, weight)
    for f, media, direction, weight in (
        (inbound_answered, "VOICE", "INBOUND", 30),
        (inbound_customer_hangs_up_after_talk, "VOICE", "INBOUND", 10),
        (inbound_abandon_in_queue, "VOICE", "INBOUND", 8),
        (inbound_ivr_only, "VOICE", "INBOUND", 5),
        (inbound_transfer, "VOICE", "INBOUND", 5),
        (inbound_voicemail, "VOICE", "INBOUND", 3),
        (outbound_answered, "VOICE", "OUTBOUND", 8),
        (outbound_no_answer, "VOICE", "OUTBOUND", 5),
        (web_chat_reactive, "CHAT", "INBOUND", 6),
        (web_chat_proactive, "CHAT", "INBOUND", 3),
        (web_messaging, "MESSAGE", "INBOUND", 9),
        (web_messaging_abandon, "MESSAGE", "INBOUND", 2),
        (active_waiting, "VOICE", "INBOUND", 1.5),
        (active_connected, "VOICE", "INBOUND", 1.5),
    )
}
SCENARIOS: tuple[str, ...] = tuple(_SCENARIOS)
ACTIVE_SCENARIOS: tuple[str, ...] = ("active_waiting", "active_connected")


def _common(media: str, direction: str, who: DemoCustomer, rng: random.Random) -> dict[str, Any]:
    common: dict[str, Any] = {"mediaType": media, "direction": direction}
    if media == "VOICE":
        caller, called = (who.phone, _MAIN_NUMBER)
        if direction == "OUTBOUND":
            caller, called = called, caller
        common.update(provider="Edge", ani=caller, dnis=called)
        known = who.contact_id is not None and (direction == "OUTBOUND" or rng.random() < 0.7)
        common["conversationExternalContactIds"] = [who.contact_id] if known else []
    elif media == "CHAT":
        common.update(provider="PureCloud Webchat v2", addressFrom=who.name)
    else:
        address = who.email if rng.random() < 0.5 else who.name
        common.update(provider="PureCloud Messaging", messageType="WEBMESSAGING")
        common["addressFrom"] = address
    return common


def scenario_events(
    scenario: str,
    *,
    conversation_id: str,
    start_ms: int,
    rng: random.Random,
    directory: Sequence[DirectoryEntry],
    customer: DemoCustomer | None = None,
) -> list[dict[str, Any]]:
    """Events of one conversation of ``scenario``, starting at ``start_ms``, in time order.

    ``customer`` defaults to a new one drawn from ``rng``. The directory must contain queues,
    at least two users and the wrap-up codes named in ``WRAPUP_NAMES``.
    """
    try:
        func, media, direction, _ = _SCENARIOS[scenario]
    except KeyError:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}") from None
    who = customer if customer is not None else demo_customer(rng)
    common = _common(media, direction, who, rng)
    link = common.get("conversationExternalContactIds") == [] and who.contact_id is not None
    cust = (_uuid(rng), _uuid(rng))
    conv = _Conv(conversation_id, start_ms, rng, _Directory.of(directory), who, common, cust, link)
    func(conv)
    return sorted(conv.events, key=lambda e: int(e["eventBody"]["eventTime"]))


def _start_offsets(rng: random.Random, count: int) -> list[int]:
    """Sorted start offsets between 08:00 and 17:00, following an hourly arrival curve."""
    hours = rng.choices(range(len(_ARRIVALS_PER_HOUR)), weights=_ARRIVALS_PER_HOUR, k=count)
    return sorted(OPEN_OFFSET_MS + h * _HOUR + rng.randrange(_HOUR) for h in hours)


def _deliver(rng: random.Random, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Delivery order: time order, with ~5% of events late and ~3% delivered twice."""
    timed = sorted(events, key=lambda e: int(e["eventBody"]["eventTime"]))
    queue: list[tuple[int, int, dict[str, Any]]] = []
    for seq, event in enumerate(timed):
        at = int(event["eventBody"]["eventTime"])
        if rng.random() < 0.05:
            at += _ms(rng, 5, 300)
        queue.append((at, seq, event))
        if rng.random() < 0.03:
            queue.append((at + _ms(rng, 1, 180), seq, copy.deepcopy(event)))
    queue.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in queue]


class ContactCentre:
    """Conversations one after another, as a contact centre takes them: repeat callers come back,
    and each conversation is offered only agents who are free.

    Pure, like the rest of this module: it draws from ``rng`` and keeps what it has handed out
    (customers, agents' busy times). Call ``conversation`` in order of start time; the demo day
    and the living demo (``demo/live.py``) both do.
    """

    def __init__(self, rng: random.Random, directory: Sequence[DirectoryEntry]) -> None:
        self.rng = rng
        self.directory = list(directory)
        self._seen: list[tuple[DemoCustomer, int]] = []  # customer, end of their latest one
        self._busy: dict[str, int] = {}  # userId -> last event time of their latest one

    def customer(self, start_ms: int) -> DemoCustomer:
        """A repeat contact (~20%, never one still on a conversation) or a new customer."""
        free = [i for i, (_, end) in enumerate(self._seen) if end + 10 * 60 * _SEC < start_ms]
        if free and self.rng.random() < 0.2:
            return self._seen[self.rng.choice(free)][0]
        self._seen.append((demo_customer(self.rng), 0))
        return self._seen[-1][0]

    def conversation(
        self,
        scenario: str,
        start_ms: int,
        *,
        customer: DemoCustomer | None = None,
        open_until: int | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """``(conversationId, events in time order)`` of one conversation of ``scenario``.

        ``customer`` defaults to ``customer(start_ms)``; ``open_until`` is when a conversation
        that stays open (``ACTIVE_SCENARIOS``) counts as over for its customer and agents.
        """
        who = customer if customer is not None else self.customer(start_ms)
        if all(c is not who for c, _ in self._seen):
            self._seen.append((who, 0))
        # Offer only agents who are free, so nobody is on two conversations at once.
        staff = [
            e for e in self.directory if e.kind != "user" or self._busy.get(e.id, 0) < start_ms
        ]
        if sum(e.kind == "user" for e in staff) < 2:
            staff = self.directory
        cid = _uuid(self.rng)
        conv = scenario_events(scenario, conversation_id=cid, start_ms=start_ms, rng=self.rng,
                               directory=staff, customer=who)  # fmt: skip
        end = max(int(e["eventBody"]["eventTime"]) for e in conv)
        end = open_until if open_until is not None else end
        index = next(i for i, (c, _) in enumerate(self._seen) if c is who)
        self._seen[index] = (who, end)
        users = (e["eventBody"]["userId"] for e in conv if "userId" in e["eventBody"])
        self._busy.update((user, end) for user in users)
        return cid, conv


def draw_scenario(rng: random.Random, names: Sequence[str] = SCENARIOS) -> str:
    """One of ``names``, drawn by the weights of the day's mix."""
    return rng.choices(names, [_SCENARIOS[n][3] for n in names])[0]


def demo_day(*, day_start_ms: int, seed: int = 7, conversations: int = 120) -> DemoDay:
    """A contact-centre day: every scenario at least once, the rest drawn by weight."""
    if conversations < len(SCENARIOS):
        raise ValueError(f"conversations must be at least {len(SCENARIOS)}")
    rng = random.Random(seed)
    directory = demo_directory(rng)
    weights = [_SCENARIOS[n][3] for n in SCENARIOS]
    picks = list(SCENARIOS) + rng.choices(SCENARIOS, weights, k=conversations - len(SCENARIOS))
    ended = [n for n in picks if n not in ACTIVE_SCENARIOS]
    active = [n for n in picks if n in ACTIVE_SCENARIOS]
    rng.shuffle(ended)
    rng.shuffle(active)
    starts = _start_offsets(rng, len(ended))
    # Active conversations start 8-15 minutes before "now" (18:00): their IVR and queue
    # phases (at most 465 s) are over by then and they stay open.
    starts += sorted(NOW_OFFSET_MS - _ms(rng, 480, 900) for _ in active)
    centre = ContactCentre(rng, directory)
    events: list[dict[str, Any]] = []
    by_id: dict[str, str] = {}
    for name, offset in zip(ended + active, starts, strict=True):
        still_open = day_start_ms + NOW_OFFSET_MS if name in ACTIVE_SCENARIOS else None
        cid, conv = centre.conversation(name, day_start_ms + offset, open_until=still_open)
        by_id[cid] = name
        events += conv
    return DemoDay(directory=directory, events=_deliver(rng, events), conversations=by_id)
