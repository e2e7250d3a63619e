"""Web offers in a real browser: the demo shop's own offers (demo/offers.py, posted through the
API) qualify on a real server, the tracker is served them on its ping, journeyline-offers.js
shows them, and what the visitor does comes back to the server as the action's state. An
accepted messaging offer opens the site's messenger, whose conversation names the offer.

axe-core is not vendored in this repository, so no automated accessibility audit runs here;
the tests check the dialog's role, name, focus and keyboard handling themselves.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from conftest import bearer
from journeyline.demo.offers import CART_MAP_ID, DEFINITIONS, LINEN_MAP_ID
from journeyline.store import open_store
from ui.conftest import Tab, UiServer

PATHS = {"actiontemplate": "actiontemplates", "segment": "segments", "actionmap": "actionmaps"}


@pytest.fixture(scope="module")
def ids(ui_server: UiServer) -> dict[str, str]:
    """The demo's definitions, created through the API (links pointing at this test server):
    the id each demo id got."""
    created: dict[str, str] = {}
    with httpx.Client(base_url=ui_server.base_url) as client:
        headers = bearer(client, ui_server.credentials)
        for kind, definition_id, body in DEFINITIONS:
            text = json.dumps(body).replace("http://127.0.0.1:8000", ui_server.base_url)
            for demo_id, real_id in created.items():
                text = text.replace(demo_id, real_id)
            response = client.post(
                f"/api/v2/journey/{PATHS[kind]}",
                content=text,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 200, response.text
            created[definition_id] = response.json()["id"]
    return created


def _action(tab: Tab, action_map_id: str) -> Any:
    """This visitor's journey action of the map (None until it qualified)."""
    sessions = {r.answer.get("session", {}).get("id") for r in tab.answered()} - {None}
    store = open_store(tab.server.store_url)
    try:
        for session_id in sessions:
            for action in store.actions_of(session_id, action_map_id):
                return action
    finally:
        store.close()
    return None


def _wait_state(tab: Tab, action_map_id: str, state: str) -> Any:
    def reached() -> bool:
        action = _action(tab, action_map_id)
        return action is not None and action.state == state

    tab.wait_until(reached, f"the action in state {state}")
    return _action(tab, action_map_id)


def _browse_three_products(tab: Tab) -> None:
    for sku in ("LL-100", "LL-104", "LL-221"):
        tab.goto(f"/demo/product.html?sku={sku}")
        tab.wait_until(lambda: len(tab.pings) >= 1, "a ping")


def test_a_content_offer_is_shown_as_a_modal_and_accepted(tab: Tab, ids: dict[str, str]) -> None:
    tab.goto("/demo/search.html")
    _browse_three_products(tab)
    dialog = tab.page.get_by_role("dialog", name="A little something for you")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert "10% off linen today" in (dialog.text_content() or "")
    assert "LINEN10" in (dialog.text_content() or "")
    _wait_state(tab, ids[LINEN_MAP_ID], "offered")
    cta = dialog.get_by_role("link", name="Shop linen")
    assert tab.run("document.activeElement.textContent") == "Shop linen"  # focus moved in
    tab.page.keyboard.press("Tab")  # Tab stays inside the dialog: the close button
    assert tab.run("document.activeElement.getAttribute('aria-label')") == "Close"
    assert cta.get_attribute("href") == f"{tab.base_url}/demo/search.html?q=linen"
    cta.click()
    tab.page.wait_for_url("**/demo/search.html?q=linen")
    action = _wait_state(tab, ids[LINEN_MAP_ID], "accepted")
    assert action.media_type == "contentOffer"
    assert tab.page.get_by_role("dialog").count() == 0  # accepted offers are not served again


def test_leaving_the_page_while_an_offer_shows_ignores_it(tab: Tab, ids: dict[str, str]) -> None:
    _browse_three_products(tab)
    tab.page.get_by_role("dialog").wait_for()
    _wait_state(tab, ids[LINEN_MAP_ID], "offered")
    tab.goto("/demo/contact.html")
    _wait_state(tab, ids[LINEN_MAP_ID], "ignored")


def test_escape_rejects_a_content_offer_and_gives_focus_back(tab: Tab, ids: dict[str, str]) -> None:
    _browse_three_products(tab)
    tab.page.get_by_role("dialog").wait_for()
    tab.page.keyboard.press("Escape")
    _wait_state(tab, ids[LINEN_MAP_ID], "rejected")
    assert tab.page.get_by_role("dialog").count() == 0
    assert tab.run("document.activeElement === document.body")


def test_a_messaging_offer_is_an_invitation_that_can_be_declined(
    tab: Tab, ids: dict[str, str]
) -> None:
    tab.goto("/demo/cart.html")
    invitation = tab.page.get_by_role(
        "dialog", name="Questions about your order? Chat with us now."
    )
    invitation.wait_for()
    assert invitation.get_by_role("button", name="Accept").is_visible()
    _wait_state(tab, ids[CART_MAP_ID], "offered")
    invitation.get_by_role("button", name="No thanks").click()
    _wait_state(tab, ids[CART_MAP_ID], "rejected")
    assert tab.page.get_by_role("dialog").count() == 0
    assert tab.page.locator(".messenger").count() == 0  # the messenger stays closed


def test_an_accepted_messaging_offer_opens_the_messenger_and_names_the_offer(
    tab: Tab, ui_server: UiServer, ids: dict[str, str]
) -> None:
    tab.goto("/demo/cart.html")
    tab.run(
        """window.accepted = [];
           window.addEventListener('journeyline:messaging-offer-accepted',
             (e) => window.accepted.push(e.detail));"""
    )
    tab.page.get_by_role("button", name="Accept").click()
    action = _wait_state(tab, ids[CART_MAP_ID], "accepted")
    [detail] = tab.run("window.accepted")
    assert detail == {
        "actionId": action.id,
        "actionMapId": ids[CART_MAP_ID],
        "actionMapVersion": 1,
        "sessionId": action.session_id,
        "customerId": tab.cookie_id(),
        "customerIdType": "cookie",
        "offerText": "Questions about your order? Chat with us now.",
    }
    shown = json.loads(tab.page.locator(".messenger pre").text_content() or "{}")
    context = shown["journeyContext"]
    # The contact centre's conversation carries the messenger's journey context ...
    conversation_id = "7d0c6a52-3f1e-4b8a-9c2d-5e6f7a8b9c01"
    event = {
        "eventTime": int(time.time() * 1000),
        "conversationId": conversation_id,
        "participantId": "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "mediaType": "MESSAGE",
        "direction": "INBOUND",
        "journeyContext": context,
    }
    topic = f"v2.detail.events.conversation.{conversation_id}.customer.start"
    wire = [{"topicName": topic, "version": "2", "eventBody": event}]
    with httpx.Client(base_url=ui_server.base_url) as client:
        headers = bearer(client, ui_server.credentials)
        posted = client.post("/api/v2/journey/conversationevents", json=wire, headers=headers)
        assert posted.status_code == 202, posted.text
        found = client.get(
            "/api/v2/journey/sessions",
            params={"conversationId": conversation_id},
            headers=headers,
        )
        session = client.get(
            f"/api/v2/journey/sessions/{found.json()['entities'][0]['id']}", headers=headers
        ).json()
    # ... so its session says it started from the offer, and which one.
    assert session["startTrigger"] == "ProactiveOffer"
    assert session["journeyContext"]["triggeringAction"] == {
        "id": action.id,
        "actionMap": {"id": ids[CART_MAP_ID], "version": 1},
    }
    assert session["journeyContext"]["customerSession"] == {"id": action.session_id, "type": "web"}
    assert session["customerId"] == tab.cookie_id()


def test_server_text_is_never_markup_and_a_bad_offer_is_reported_errored(tab: Tab) -> None:
    reports: list[dict[str, Any]] = []
    hostile = {
        "id": "act-hostile",
        "mediaType": "contentOffer",
        "sessionId": "s-1",
        "contentOfferProperties": {
            "displayMode": "Toast",
            "layoutMode": "TextOnly",
            "title": "<img src=x onerror=window.pwned=1>",
            "body": "<b>bold</b>",
            "callToAction": {"text": "Go", "url": "javascript:window.pwned=2", "target": "Self"},
        },
    }
    broken = {"id": "act-broken", "mediaType": "contentOffer", "sessionId": "s-1"}

    def ping(route: Any) -> None:
        body = {"pollIntervalMilliseconds": 60000, "actions": [broken, hostile]}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def report(route: Any) -> None:
        reports.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=204)

    tab.context.route(lambda url: "/ping?" in url, ping)
    tab.context.route("**/actionevent", report)
    tab.goto("/demo/")
    dialog = tab.page.get_by_role("dialog", name="<img src=x onerror=window.pwned=1>")
    dialog.wait_for()
    assert dialog.locator("img").count() == 0
    assert dialog.locator("b").count() == 0
    go = dialog.get_by_role("button", name="Go")  # not a javascript: link
    assert dialog.locator("a").count() == 0
    tab.wait_until(lambda: len(reports) >= 2, "two reports")
    assert reports[0]["actionId"] == "act-broken"
    assert reports[0]["actionState"] == "errored"
    assert reports[0]["errorCode"] == "render"
    assert reports[1] == {"sessionId": "s-1", "actionId": "act-hostile", "actionState": "offered"}
    go.click()
    tab.wait_until(lambda: len(reports) >= 3, "the accepted report")
    assert reports[2]["actionState"] == "accepted"
    assert tab.run("window.pwned === undefined")
