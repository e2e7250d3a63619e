"""Build conversation detail events in the Genesys wire shape, one conversation at a time."""

from __future__ import annotations

from typing import Any

from journeyline.ingest.genesys_detail import parse_item
from journeyline.model.detail import DetailEvent

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
