"""Build conversation detail events in the Genesys wire shape, one conversation at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from journeyline.ingest.enrich import GeoLookup
from journeyline.ingest.genesys_detail import Accepted, parse_item
from journeyline.ingest.genesys_web import AcceptedWeb, Context, parse_web
from journeyline.model.contact import Deployment
from journeyline.model.detail import DetailEvent
from journeyline.model.effects import Envelope

T0 = 1_795_600_000_000  # 2026-11-25T... epoch ms; every case starts here


class Conversation:
    """``Conversation("c1").customer_start(0).acd_start(5, "q1")...``; times in seconds."""

    def __init__(
        self,
        conversation_id: str = "conv-1",
        *,
        media: str = "VOICE",
        direction: str = "INBOUND",
        message_type: str | None = None,
        ani: str = "tel:+15551585963",
    ) -> None:
        self.id = conversation_id
        self.media = media
        self.direction = direction
        self.message_type = message_type
        self.ani = ani
        self.wire: list[dict[str, Any]] = []

    def add(self, topic: str, seconds: float, participant: str, **fields: Any) -> Conversation:
        body: dict[str, Any] = {
            "eventTime": T0 + int(seconds * 1000),
            "conversationId": self.id,
            "participantId": participant,
            "sessionId": f"{participant}-session",
            "mediaType": self.media,
            "direction": self.direction,
            "provider": "Edge",
        }
        if self.media in ("VOICE", "CALLBACK"):
            body["ani"] = self.ani
            body["dnis"] = "tel:+18005550100"
        if self.message_type:
            body["messageType"] = self.message_type
        body.update(fields)
        self.wire.append(
            {
                "topicName": f"v2.detail.events.conversation.{self.id}.{topic}",
                "version": "2",
                "eventBody": body,
            }
        )
        return self

    # the customer
    def customer_start(self, t: float, **fields: Any) -> Conversation:
        return self.add("customer.start", t, "customer", **fields)

    def customer_end(self, t: float, disconnect: str = "ENDPOINT") -> Conversation:
        return self.add("customer.end", t, "customer", disconnectType=disconnect)

    # IVR / bot
    def flow(self, t: float, until: float) -> Conversation:
        self.add("flow.start", t, "ivr", flowType="INBOUNDCALL", flowId="f1")
        return self.add(
            "flow.end", until, "ivr", flowType="INBOUNDCALL", flowId="f1", disconnectType="TRANSFER"
        )

    def flow_start(self, t: float) -> Conversation:
        return self.add("flow.start", t, "ivr", flowType="INBOUNDCALL", flowId="f1")

    # the queue
    def acd_start(self, t: float, queue: str, leg: str = "acd") -> Conversation:
        return self.add("acd.start", t, leg, queueId=queue)

    def acd_end(self, t: float, queue: str, outcome: str, leg: str = "acd") -> Conversation:
        disconnect = "PEER" if outcome == "ABANDON" else "TRANSFER"
        return self.add(
            "acd.end", t, leg, queueId=queue, acdOutcome=outcome, disconnectType=disconnect
        )

    # agents
    def user_start(
        self, t: float, user: str, queue: str | None = None, leg: str = "agent"
    ) -> Conversation:
        fields: dict[str, Any] = {"userId": user}
        if queue:
            fields["queueId"] = queue
        return self.add("user.start", t, leg, **fields)

    def user_end(
        self,
        t: float,
        user: str,
        disconnect: str = "CLIENT",
        leg: str = "agent",
        queue: str | None = None,
        **extra: Any,
    ) -> Conversation:
        fields: dict[str, Any] = {"userId": user, "disconnectType": disconnect, **extra}
        if queue:
            fields["queueId"] = queue
        return self.add("user.end", t, leg, **fields)

    def acw(self, t: float, user: str, code: str, leg: str = "agent") -> Conversation:
        return self.add(
            "acw", t, leg, userId=user, wrapupCode=code, wrapupNotes="notes", wrapupDurationMs=5000
        )

    def outbound(self, t: float) -> Conversation:
        return self.add("outbound", t, "agent")

    def voicemail(self, t: float, until: float, queue: str) -> Conversation:
        self.add("voicemail.start", t, "voicemail", queueId=queue)
        return self.add(
            "voicemail.end",
            until,
            "voicemail",
            queueId=queue,
            voicemailDurationMs=int((until - t) * 1000),
            disconnectType="ENDPOINT",
        )

    def events(self) -> list[DetailEvent]:
        return [parse_item(w).event for w in self.wire]


def web_event(
    cookie: str,
    seconds: float,
    *,
    name: str = "page_viewed",
    url: str = "https://shop.example.com/",
    now_ms: int = T0,
    **fields: Any,
) -> dict[str, Any]:
    """A Genesys WebEventRequest at ``now_ms + seconds``."""
    from journeyline.clock import iso

    body: dict[str, Any] = {
        "customerCookieId": cookie,
        "eventName": name,
        "page": {"url": url, "title": "Shop"},
        "createdDate": iso(now_ms + int(seconds * 1000)),
    }
    body.update(fields)
    return body


def page_pattern(path: str) -> dict[str, Any]:
    """A Genesys journey pattern: one page view whose URL contains ``path``."""
    return {
        "criteria": [{"key": "page.url", "values": [path], "operator": "containsAny"}],
        "count": 1,
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


# -- for the engine's tests: inputs as the engine takes them, effects by kind -----------------

SHOP = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
E = TypeVar("E")


def accepted(conversation: Conversation) -> list[Accepted]:
    return [parse_item(w) for w in conversation.wire]


def web_inputs(*events: dict[str, Any], received_ms: int = T0 + 3_600_000) -> list[AcceptedWeb]:
    """Web events as the collector accepts them from the shop, received at ``received_ms``."""
    ctx = Context(SHOP, received_ms, None, None, GeoLookup(None))
    return [parse_web(e, ctx) for e in events]


def answered(conversation_id: str = "conv-1", **customer: Any) -> Conversation:
    """An inbound call: IVR for 10 s, queue Sales for 30 s, answered by Ann at 40 s."""
    return (
        Conversation(conversation_id)
        .customer_start(0, **customer)
        .flow(0, 10)
        .acd_start(10, "q-sales")
        .acd_end(40, "q-sales", "ANSWERED")
        .user_start(40, "u-ann", "q-sales")
    )


def agent_ended(conversation_id: str = "conv-acw", *, at: float = 200) -> list[Accepted]:
    """``answered``, then Ann hung up at ``at`` seconds, with no wrap-up yet."""
    return accepted(answered(conversation_id).user_end(at, "u-ann").customer_end(at, "PEER"))


def effects_of(envelopes: Sequence[Envelope], kind: type[E]) -> list[E]:
    """The effects of one kind, in order."""
    return [e.effect for e in envelopes if isinstance(e.effect, kind)]
