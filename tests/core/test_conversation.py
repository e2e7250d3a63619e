"""The conversation state machine and the session card, as tables of cases."""

from __future__ import annotations

import pytest

from builders import T0, Conversation
from conversation_cases import CASES, GRACE_MS, Case, answered, inbound, name_of
from journeyline.core.card import card_for
from journeyline.core.conversation import fold, session_id_for


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_card_and_events(case: Case) -> None:
    folded = fold(case.conversation.events())
    card = card_for(
        folded.session, now_ms=T0 + int(case.now_s * 1000), acw_grace_ms=GRACE_MS, name_of=name_of
    )
    assert (card.color, card.status) == (case.color, case.status)
    assert card.icon == case.icon
    assert card.title == case.title
    assert (card.queue.name if card.queue else None) == case.queue
    assert (card.agent.name if card.agent else None) == case.agent
    assert folded.session.ended_by == case.ended_by
    assert tuple(e.event_name for e in folded.events) == case.names
    assert (folded.session.ended_ms is not None) == (case.ended_by is not None)


def test_session_fields_of_an_answered_call() -> None:
    conversation = (
        answered()
        .user_end(200, "u-ann", interactingDurationMs=150_000)
        .customer_end(201, "PEER")
        .acw(215, "u-ann", "w-sale")
    )
    s = fold(conversation.events()).session
    assert s.id == session_id_for("conv-1")
    assert s.originating_direction == "Inbound"
    assert [(c.type, c.platform) for c in s.channels] == [("Voice", "Edge")]
    assert s.start_trigger == "InboundCall"
    assert (s.customer_id, s.customer_id_type) == ("+15551585963", "phone")
    assert s.last_queue_id == "q-sales"
    assert s.last_user_id == "u-ann"
    assert s.last_disposition is not None
    assert (s.last_disposition.code, s.last_disposition.user_id) == ("w-sale", "u-ann")
    assert s.last_user_disconnect_type == "Client"
    assert s.last_acd_outcome == "Answered"
    assert s.created_ms == T0
    assert s.ended_ms == T0 + 201_000
    assert (s.wait_ms, s.talk_ms) == (30_000, 150_000)
    assert s.event_count == 3
    assert s.last_event is not None
    assert s.last_event.event_name == "ended"


def test_event_attributes_follow_the_contract() -> None:
    conversation = answered().customer_end(200).user_end(200, "u-ann", "PEER")
    routed, connected, ended = fold(conversation.acw(230, "u-ann", "w-sale").events()).events
    assert routed.attributes == {
        "queue.id": "q-sales",
        "mediaType": "Voice",
        "direction": "Inbound",
    }
    assert connected.attributes == {
        "queue.id": "q-sales",
        "agent.id": "u-ann",
        "mediaType": "Voice",
        "direction": "Inbound",
        "waitSeconds": 30,
    }
    assert ended.attributes == {
        "queue.id": "q-sales",
        "agent.id": "u-ann",
        "mediaType": "Voice",
        "direction": "Inbound",
        "disconnectType": "Peer",
        "acdOutcome": "Answered",
        "endedBy": "customer",
        "wrapupCode.id": "w-sale",
        "waitSeconds": 30,
        "talkSeconds": 160,
    }
    for event in (routed, connected, ended):
        assert (event.stream_type, event.session_type) == ("Conversation", "conversation")
    assert ended.created_ms == T0 + 200_000


def test_web_messaging_channel_and_proactive_context() -> None:
    messaging = fold(
        Conversation(media="MESSAGE", message_type="WEBMESSAGING").customer_start(0).events()
    ).session
    assert [(c.type, c.message_type) for c in messaging.channels] == [("Message", "WebMessaging")]
    assert messaging.start_trigger == "WebMessaging"
    proactive = fold(
        Conversation(media="CHAT")
        .customer_start(
            0,
            journeyContext={
                "customer": {"id": "cookie-9", "idType": "cookie"},
                "customerSession": {"id": "web-9", "type": "web"},
                "triggeringAction": {"id": "act-9", "actionMap": {"id": "map-9", "version": 3}},
            },
        )
        .events()
    ).session
    assert proactive.start_trigger == "ProactiveOffer"
    assert (proactive.customer_id, proactive.customer_id_type) == ("cookie-9", "cookie")
    context = proactive.journey_context
    assert context is not None
    assert (context.session_id, context.session_type) == ("web-9", "web")
    assert (context.action_id, context.action_map_id, context.action_map_version) == (
        "act-9",
        "map-9",
        3,
    )


def test_icon_follows_the_latest_media() -> None:
    chat = Conversation(media="CHAT").customer_start(0).acd_start(1, "q-sales")
    call = Conversation(media="VOICE")
    call.id = chat.id
    call.add("user.start", 60, "agent", userId="u-ann", queueId="q-sales")
    s = fold(chat.events() + call.events()).session
    card = card_for(s, now_ms=T0 + 70_000, acw_grace_ms=GRACE_MS, name_of=name_of)
    assert card.icon == "call"
    assert [c.type for c in s.channels] == ["Chat", "Voice"]


def test_duration_counts_to_now_while_active_and_to_the_end_after() -> None:
    active = fold(inbound().events()).session
    assert (
        card_for(active, now_ms=T0 + 95_500, acw_grace_ms=0, name_of=name_of).duration_seconds == 95
    )
    ended = fold(inbound().acd_end(50, "q-sales", "ABANDON").customer_end(50).events()).session
    assert (
        card_for(ended, now_ms=T0 + 10_000_000, acw_grace_ms=0, name_of=name_of).duration_seconds
        == 50
    )


def test_empty_fold_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        fold([])


@pytest.mark.parametrize(
    ("address", "customer"),
    [
        ("Real.V@Example.COM", ("real.v@example.com", "email")),
        (" real.v@example.com\t", ("real.v@example.com", "email")),  # spaces are no part of it
        # a full-width domain: IDNA folds it
        ("real.v@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", ("real.v@example.com", "email")),
        ("Ada@Exa\u0301mple.com", ("ada@exámple.com", "email")),  # NFC: one é, as traits have it
        ("real.v@example.com\u200b", (None, None)),  # no valid address: it names nobody
        ("real.v@", (None, None)),
        ("@handle", (None, None)),
        ("+15550001234", (None, None)),  # a number in addressFrom is no email
    ],
)
def test_a_chat_is_with_its_address_normalised_as_web_traits_are(
    address: str, customer: tuple[str | None, str | None]
) -> None:
    chat = Conversation("chat-1", media="CHAT").customer_start(0, addressFrom=address)
    session = fold(chat.events()).session
    assert (session.customer_id, session.customer_id_type) == customer
