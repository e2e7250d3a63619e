"""The session card: colour, title, icon, duration, queue, agent and status of a session.

The seed's table, and the cases it leaves open (decided here, documented in docs/cards.md):

============================================  ======  ===========================
situation                                     colour  status
============================================  ======  ===========================
in the IVR or a bot flow                      blue    "In IVR" / "In bot"
queued, waiting for an agent                  blue    "Waiting"
an outbound call ringing                      blue    "Dialing"
talking or chatting with an agent             blue    "Connected"
ended, the agent assigned a wrap-up code      gray    the wrap-up code's name
the customer ended before any wrap-up         white   "Ended by customer"
  (in queue, or after talking to an agent;
  a later wrap-up turns the card gray)
the agent ended, wrap-up not yet assigned     blue    "After-call work" for the
                                                      grace period, then gray
                                                      "Ended by agent"
an outbound call nobody answered              gray    "Not answered"
a call that never left the IVR                gray    "Ended in IVR" ("Ended in bot")
went to voicemail                             gray    "Voicemail"
ended by the system (timeout, error)          gray    "Ended"
============================================  ======  ===========================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from journeyline.model.card import Card, Color, Icon, Ref, WebCard
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession

#: ``name_of(kind, id)`` returns the directory name, or the id itself when it is unknown.
NameOf = Callable[[str, str], str]

TITLES = {
    "InboundCall": "Inbound call",
    "OutboundCall": "Outbound call",
    "ReactiveChat": "Web chat",
    "WebMessaging": "Web messaging",
}


def icon_for(media_type: str | None) -> Icon:
    if media_type == "CHAT":
        return "chat"
    if media_type in ("MESSAGE", "EMAIL"):
        return "messaging"
    return "call"


def title_for(session: ConversationSession) -> str:
    if session.start_trigger == "ProactiveOffer":
        return (
            "Proactive web messaging" if session.media_type == "MESSAGE" else "Proactive web chat"
        )
    if session.start_trigger == "WebMessaging":
        kind = session.channels[0].message_type if session.channels else None
        return "Web messaging" if kind in (None, "WebMessaging") else f"Messaging ({kind})"
    return TITLES.get(session.start_trigger, "Conversation")


def _status(session: ConversationSession, now_ms: int, acw_grace_ms: int) -> tuple[Color, str]:
    digital = session.media_type in ("CHAT", "MESSAGE", "EMAIL")
    if session.ended_ms is None:
        return "blue", {
            "waiting": "Waiting",
            "connected": "Connected",
            "dialing": "Dialing",
            "ivr": "In bot" if digital else "In IVR",
        }.get(session.phase, "Started")
    outbound = session.originating_direction == "Outbound"
    if not outbound and not session.queued and not session.agent_connected:
        return "gray", "Ended in bot" if digital else "Ended in IVR"
    if session.voicemail and not session.agent_connected:
        return "gray", "Voicemail"
    if session.ended_by == "customer":
        return "white", "Ended by customer"
    if outbound and not session.customer_connected:
        return "gray", "Not answered"
    agent_end = session.last_agent_end_ms
    if session.agent_connected and agent_end is not None and now_ms - agent_end < acw_grace_ms:
        return "blue", "After-call work"
    if session.ended_by == "agent":
        return "gray", "Ended by agent"
    return "gray", "Ended"


def card_due_ms(session: ConversationSession, *, acw_grace_ms: int) -> int | None:
    """When time alone next changes this card: the end of the after-call-work grace, if the
    card is (or was) "After-call work"; None otherwise. Independent of the current time."""
    agent_end = session.last_agent_end_ms
    if session.ended_ms is None or agent_end is None or session.last_disposition is not None:
        return None
    due = agent_end + acw_grace_ms
    if _status(session, due - 1, acw_grace_ms) == _status(session, due, acw_grace_ms):
        return None
    return due


def web_card_due_ms(session: WebSession, *, timeout_ms: int) -> int:
    """When a web session's card turns from active (blue) to ended (gray) without new events."""
    return session.last_event_ms + timeout_ms


def directory_wanted(sessions: Iterable[ConversationSession]) -> dict[str, set[str]]:
    """The directory entries the cards of ``sessions`` name (``card_for``'s ``name_of``
    calls), by kind: their queues, agents and wrap-up codes."""
    wanted: dict[str, set[str]] = {}
    for session in sessions:
        if session.last_disposition is not None:
            wanted.setdefault("wrapupcode", set()).add(session.last_disposition.code)
        for kind, entry_id in (("queue", session.last_queue_id), ("user", session.last_user_id)):
            if entry_id:
                wanted.setdefault(kind, set()).add(entry_id)
    return wanted


def card_for(
    session: ConversationSession, *, now_ms: int, acw_grace_ms: int, name_of: NameOf
) -> Card:
    """The card of a conversation session at ``now_ms``."""
    end = session.ended_ms if session.ended_ms is not None else now_ms
    queue = session.last_queue_id
    agent = session.last_user_id
    disposition = session.last_disposition
    wrapup = Ref(disposition.code, name_of("wrapupcode", disposition.code)) if disposition else None
    if wrapup is not None and session.ended_ms is not None:
        color: Color = "gray"
        status = wrapup.name
    else:
        color, status = _status(session, now_ms, acw_grace_ms)
    return Card(
        color=color,
        title=title_for(session),
        icon=icon_for(session.media_type),
        duration_seconds=max(end - session.created_ms, 0) // 1000,
        queue=Ref(queue, name_of("queue", queue)) if queue else None,
        agent=Ref(agent, name_of("user", agent)) if agent else None,
        status=status,
        wrapup_code=wrapup,
    )


def web_card_for(
    session: WebSession, *, now_ms: int, timeout_ms: int, customer_name: str | None
) -> WebCard:
    active = now_ms - session.last_event_ms < timeout_ms
    app = session.type == "app"
    return WebCard(
        color="blue" if active else "gray",
        title="App session" if app else "Web session",
        icon="app" if app else "web",
        duration_seconds=(session.last_event_ms - session.created_ms) // 1000,
        status="Active" if active else "Ended",
        customer_name=customer_name or "Unknown",
        current_page=session.last_page,
        current_screen=session.last_screen,
        pageview_count=session.screenview_count if app else session.pageview_count,
        search_terms=session.search_terms,
    )
