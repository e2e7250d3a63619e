"""The desktop's pure parts: what cards, map items and the Now view show; languages; redirects."""

from __future__ import annotations

import io
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from journeyline.desktop import i18n
from journeyline.desktop.pages import local_path
from journeyline.desktop.views import CardView, Text, duration_text, map_item, now_view


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (5, "0:05"), (61, "1:01"), (3599, "59:59"), (3600, "1:00:00"), (-3, "0:00")],
)
def test_durations_read_as_a_clock(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, None, "en"),
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "de-DE,de;q=0.9", "en"),
        (None, "de;q=0.9,fr;q=0.5", "fr"),
        (None, "en;q=0.1,fr;q=0.9", "fr"),  # by weight, not by order
        (None, "fr;q=0,en", "en"),  # q=0: not wanted
        ("en", "fr", "en"),  # the switch wins
        ("fr", None, "fr"),
        ("xx", "fr", "fr"),  # an unknown cookie is ignored
        (None, "fr;q=banana", "en"),
        (None, "," * 50, "en"),
    ],
)
def test_the_language_is_the_switch_then_the_browser_then_english(
    cookie: str | None, header: str | None, chosen: str
) -> None:
    assert i18n.choose(cookie, header) == chosen


def test_every_french_message_is_translated() -> None:
    path = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert path.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run scripts/translations"
    assert i18n.translations("fr").gettext("Ended by customer") == "Terminé par le client"
    assert i18n.translations("fr").gettext("Waiting") == "En attente"


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("/desktop/people/c1", "/desktop/people/c1"),
        ("/desktop", "/desktop"),
        (None, "/desktop"),
        ("https://evil.example/desktop", "/desktop"),
        ("//evil.example/desktop", "/desktop"),
        ("/desktop//evil.example", "/desktop"),
        ("/desktop\\..\\x", "/desktop"),
        ("/api/v2/users", "/desktop"),
        ("javascript:alert(1)", "/desktop"),
    ],
)
def test_redirects_stay_on_the_desktop(target: str | None, shown: str) -> None:
    assert local_path(target) == shown


def _doc(event_type: str, **payload: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "eventType": event_type,
        "createdDate": "2026-12-01T10:00:00.000Z",
        **payload,
    }


@pytest.mark.parametrize(
    ("doc", "kind", "expect"),
    [
        (
            _doc(
                "ConversationEvent",
                conversationEvent={"eventName": "routed", "attributes": {"queue.name": "Sales"}},
            ),
            "routed",
            {"name": "Sales"},
        ),
        (
            _doc(
                "WebEvent",
                webEvent={"eventName": "page_viewed", "page": {"url": "u", "title": "T"}},
            ),
            "page_viewed",
            {"page_title": "T", "page_url": "u"},
        ),
        (
            _doc("WebEvent", webEvent={"eventName": "searched", "searchQuery": "<b>x</b>"}),
            "searched",
            {"name": "<b>x</b>"},
        ),
        (
            _doc("WebEvent", webEvent={"eventName": "product_added"}),
            "custom",
            {"name": "product_added"},
        ),
        (
            _doc(
                "SegmentAssignmentEvent",
                segmentAssignmentEvent={
                    "segment": {"displayName": "VIP", "color": "#ff0000"},
                    "assignmentState": "Assigned",
                },
            ),
            "segment",
            {"name": "VIP", "color": "#ff0000"},
        ),
        (
            _doc(
                "SegmentAssignmentEvent",
                segmentAssignmentEvent={"segment": {}, "assignmentState": "Unassigned"},
            ),
            "segment_unassigned",
            {},
        ),
        (
            _doc("OutcomeAchievedEvent", outcomeAchievedEvent={"outcome": {"displayName": "Sold"}}),
            "outcome",
            {"name": "Sold"},
        ),
        (
            _doc(
                "WebActionEvent",
                webActionEvent={"action": {"state": "accepted"}, "actionMap": {"displayName": "M"}},
            ),
            "offer",
            {"state": "accepted", "name": "M"},
        ),
        (
            _doc("WebActionEvent", webActionEvent={"action": {"state": "<script>"}}),
            "offer",
            {"state": None},  # an unknown state is not shown as a translated word
        ),
        (_doc("SomethingNew"), "custom", {}),
    ],
)
def test_journey_map_items(doc: dict[str, Any], kind: str, expect: dict[str, Any]) -> None:
    item = map_item(doc)
    assert item.kind == kind
    for field, value in expect.items():
        assert getattr(item, field) == value


def test_map_item_details_are_the_payload_flattened() -> None:
    item = map_item(
        _doc(
            "WebEvent",
            webEvent={
                "eventName": "page_viewed",
                "page": {"url": "u"},
                "traits": {"vip": True},
                "list": [1, None],
                "session": {"id": "s1", "selfUri": "/api/v2/journey/sessions/s1"},
                "attributes": {"plan": {"dataType": "String", "value": "gold"}},
            },
        )
    )
    assert dict(item.details) == {
        "eventName": "page_viewed",
        "page.url": "u",
        "traits.vip": "true",
        "list[0]": "1",
        "session.id": "s1",  # no selfUri: a link the API gives, not a detail of the event
        "attributes.plan": "gold",  # a typed attribute shows its value
    }


def _card(kind: str, status: str, color: str = "blue", **more: Any) -> CardView:
    return CardView(
        session_id=more.pop("session_id", "s"),
        kind=kind,
        contact_id=None,
        verified=False,
        color=color,
        color_text="Active",
        title=Text(key="Inbound call"),
        icon="call",
        icon_text="Call",
        duration_seconds=0,
        ticking=True,
        status=Text(key=status) if status else Text(value="Sale"),
        started_ms=0,
        **more,
    )


def test_the_now_view_groups_waiting_connected_and_browsing() -> None:
    cards = [
        (_card("conversation", "Waiting", queue="Sales", session_id="a"), 30),
        (_card("conversation", "Waiting", queue="Sales", session_id="b"), 90),
        (_card("conversation", "Waiting", queue="Billing", session_id="c"), 200),
        (_card("conversation", "Connected", agent="Ann", session_id="d"), 0),
        (_card("conversation", "After-call work", agent="Ann", session_id="e"), 0),
        (_card("conversation", "", color="gray", session_id="f"), 0),  # wrapped up: not now
        (_card("web", "Active", session_id="g"), 0),
        (_card("web", "Ended", color="gray", session_id="h"), 0),
    ]
    now = now_view(cards)
    assert [
        (q.name, [c.session_id for c in q.waiting], q.longest_wait_seconds) for q in now.queues
    ] == [
        ("Billing", ["c"], 200),
        ("Sales", ["b", "a"], 90),
    ]
    assert [(a.name, [c.session_id for c in a.connected]) for a in now.agents] == [("Ann", ["d"])]
    assert [c.session_id for c in now.browsing] == ["g"]
