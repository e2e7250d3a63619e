"""The table of conversation cases: what each sequence of detail events must look like."""

from __future__ import annotations

from dataclasses import dataclass

from builders import Conversation

GRACE_MS = 600_000
NAMES = {
    ("queue", "q-sales"): "Sales",
    ("queue", "q-support"): "Support",
    ("user", "u-ann"): "Ann Agent",
    ("user", "u-bob"): "Bob Agent",
    ("wrapupcode", "w-sale"): "Sale",
    ("wrapupcode", "w-noanswer"): "No answer",
}


def name_of(kind: str, entry_id: str) -> str:
    return NAMES.get((kind, entry_id), entry_id)


def inbound() -> Conversation:
    return Conversation().customer_start(0).flow(0, 10).acd_start(10, "q-sales")


def answered() -> Conversation:
    return inbound().acd_end(40, "q-sales", "ANSWERED").user_start(40, "u-ann", "q-sales")


@dataclass
class Case:
    name: str
    conversation: Conversation
    color: str
    status: str
    now_s: float = 1000
    icon: str = "call"
    title: str = "Inbound call"
    ended_by: str | None = None
    queue: str | None = None
    agent: str | None = None
    names: tuple[str, ...] = ()


CASES = [
    Case("in the IVR", Conversation().customer_start(0).flow_start(1), "blue", "In IVR"),
    Case("waiting in queue", inbound(), "blue", "Waiting", queue="Sales", names=("routed",)),
    Case(
        "connected to an agent",
        answered(),
        "blue",
        "Connected",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected"),
    ),
    Case(
        "agent ended, wrap-up pending, inside the grace period",
        answered().user_end(200, "u-ann").customer_end(200, "PEER"),
        "blue",
        "After-call work",
        now_s=300,
        ended_by="agent",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected", "ended"),
    ),
    Case(
        "agent ended, no wrap-up after the grace period",
        answered().user_end(200, "u-ann").customer_end(200, "PEER"),
        "gray",
        "Ended by agent",
        now_s=200 + 601,
        ended_by="agent",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected", "ended"),
    ),
    Case(
        "agent ended and wrapped up",
        answered().user_end(200, "u-ann").acw(210, "u-ann", "w-sale").customer_end(200, "PEER"),
        "gray",
        "Sale",
        ended_by="agent",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected", "ended"),
    ),
    Case(
        "abandoned in queue",
        inbound().acd_end(50, "q-sales", "ABANDON").customer_end(50),
        "white",
        "Ended by customer",
        ended_by="customer",
        queue="Sales",
        names=("routed", "ended"),
    ),
    Case(
        "abandoned in queue, acd.end only",
        inbound().acd_end(50, "q-sales", "ABANDON"),
        "white",
        "Ended by customer",
        ended_by="customer",
        queue="Sales",
        names=("routed", "ended"),
    ),
    Case(
        "customer hangs up after talking, before the wrap-up",
        answered().customer_end(200).user_end(200, "u-ann", "PEER"),
        "white",
        "Ended by customer",
        ended_by="customer",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected", "ended"),
    ),
    Case(
        "customer hung up after talking, wrap-up arrives late",
        answered().customer_end(200).user_end(200, "u-ann", "PEER").acw(260, "u-ann", "w-sale"),
        "gray",
        "Sale",
        ended_by="customer",
        queue="Sales",
        agent="Ann Agent",
        names=("routed", "connected", "ended"),
    ),
    Case(
        "a call that never leaves the IVR",
        Conversation().customer_start(0).flow(0, 30).customer_end(30),
        "gray",
        "Ended in IVR",
        ended_by="customer",
        names=("ended",),
    ),
    Case(
        "went to voicemail",
        inbound().acd_end(60, "q-sales", "FLOW_OUT").voicemail(60, 90, "q-sales").customer_end(90),
        "gray",
        "Voicemail",
        ended_by="customer",
        queue="Sales",
        names=("routed", "ended"),
    ),
    Case(
        "system ended the queued call",
        inbound().acd_end(70, "q-sales", "FLOW_OUT").customer_end(70, "SYSTEM"),
        "gray",
        "Ended",
        ended_by="system",
        queue="Sales",
        names=("routed", "ended"),
    ),
    Case(
        "outbound call ringing",
        Conversation(direction="OUTBOUND").user_start(0, "u-bob").outbound(0),
        "blue",
        "Dialing",
        title="Outbound call",
        agent="Bob Agent",
    ),
    Case(
        "outbound call never answered",
        Conversation(direction="OUTBOUND").user_start(0, "u-bob").outbound(0).user_end(30, "u-bob"),
        "gray",
        "Not answered",
        title="Outbound call",
        ended_by="agent",
        agent="Bob Agent",
        names=("ended",),
    ),
    Case(
        "outbound call never answered, wrapped up",
        Conversation(direction="OUTBOUND")
        .user_start(0, "u-bob")
        .outbound(0)
        .user_end(30, "u-bob")
        .acw(40, "u-bob", "w-noanswer"),
        "gray",
        "No answer",
        title="Outbound call",
        ended_by="agent",
        agent="Bob Agent",
        names=("ended",),
    ),
    Case(
        "outbound call answered",
        Conversation(direction="OUTBOUND").user_start(0, "u-bob").outbound(0).customer_start(12),
        "blue",
        "Connected",
        title="Outbound call",
        agent="Bob Agent",
        names=("connected",),
    ),
    Case(
        "outbound call answered, customer hangs up",
        Conversation(direction="OUTBOUND")
        .user_start(0, "u-bob")
        .outbound(0)
        .customer_start(12)
        .customer_end(100)
        .user_end(100, "u-bob", "PEER"),
        "white",
        "Ended by customer",
        title="Outbound call",
        ended_by="customer",
        agent="Bob Agent",
        names=("connected", "ended"),
    ),
    Case(
        "reactive web chat, connected",
        Conversation(media="CHAT")
        .customer_start(0)
        .acd_start(1, "q-support")
        .acd_end(20, "q-support", "ANSWERED")
        .user_start(20, "u-ann", "q-support"),
        "blue",
        "Connected",
        icon="chat",
        title="Web chat",
        queue="Support",
        agent="Ann Agent",
        names=("routed", "connected"),
    ),
    Case(
        "proactive web chat",
        Conversation("conv-p", media="CHAT")
        .customer_start(
            0,
            journeyContext={
                "sessionId": "web-1",
                "sessionIdType": "web",
                "actionId": "act-1",
                "actionMapId": "map-1",
            },
        )
        .acd_start(1, "q-sales"),
        "blue",
        "Waiting",
        icon="chat",
        title="Proactive web chat",
        queue="Sales",
        names=("routed",),
    ),
    Case(
        "web messaging in a bot",
        Conversation(media="MESSAGE", message_type="WEBMESSAGING").customer_start(0).flow_start(1),
        "blue",
        "In bot",
        icon="messaging",
        title="Web messaging",
    ),
    Case(
        "web messaging, customer left the queue",
        Conversation(media="MESSAGE", message_type="WEBMESSAGING")
        .customer_start(0)
        .acd_start(5, "q-support")
        .acd_end(90, "q-support", "ABANDON")
        .customer_end(90),
        "white",
        "Ended by customer",
        icon="messaging",
        title="Web messaging",
        ended_by="customer",
        queue="Support",
        names=("routed", "ended"),
    ),
    Case(
        "transfer: last queue and agent win",
        answered()
        .user_end(100, "u-ann", "TRANSFER")
        .acd_start(100, "q-support", leg="acd2")
        .acd_end(130, "q-support", "ANSWERED", leg="acd2")
        .user_start(130, "u-bob", "q-support", leg="agent2")
        .user_end(300, "u-bob", leg="agent2")
        .customer_end(300, "PEER")
        .acw(310, "u-bob", "w-sale", leg="agent2"),
        "gray",
        "Sale",
        ended_by="agent",
        queue="Support",
        agent="Bob Agent",
        names=("routed", "connected", "routed", "connected", "ended"),
    ),
]
