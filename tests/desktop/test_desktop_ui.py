"""The agent desktop in a real browser: cards that change live, journey maps, agent actions,
hostile values shown as text, French, and axe-core on every screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import expect

from builders import Conversation
from conftest import CHROME
from desktop.conftest import PASSWORD, Desk, DesktopServer, now_offset, sign_in

XSS = '<img src=x onerror="window.__xss=1">'


def person_of(desk: Desk, phone: str) -> None:
    """Find the caller by their number as an agent types it."""
    desk.goto("/desktop/now")
    desk.page.locator("input[name=q]").fill(phone)
    desk.page.locator("form.find button").click()
    desk.page.wait_for_url("**/desktop/people/**")


def card(desk: Desk, title: str = "Inbound call") -> Any:
    return desk.page.locator("article.card").filter(has_text=title).first


def test_a_calls_card_changes_as_its_events_arrive_without_reload(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    offset = now_offset()
    call = Conversation("ui-call-1", ani="tel:+15550101001").customer_start(0).flow(0, 2)
    call.acd_start(2, "q-sales")
    desktop.post_events(call, offset_ms=offset)
    desk = open_desk()
    person_of(desk, " +1 (555) 010-1001 ")  # as an agent types it
    shown = card(desk)
    expect(shown).to_have_class("card card--blue card--conversation")
    expect(shown.locator(".status")).to_have_text("Waiting")
    expect(shown.locator(".queue")).to_have_text("Sales")
    desk.page.evaluate("window.__marker = 'same page'")

    call.acd_end(20, "q-sales", "ANSWERED").user_start(20, desktop.users["agent"], "q-sales")
    desktop.post_events(call, offset_ms=offset)
    expect(shown.locator(".agent")).to_have_text("Ann Agent")
    expect(shown.locator(".status")).to_have_text("Connected")

    call.customer_end(60).user_end(60, desktop.users["agent"], "PEER")
    desktop.post_events(call, offset_ms=offset)
    expect(shown.locator(".status")).to_have_text("Ended by customer")
    expect(shown).to_have_class("card card--white card--conversation")
    expect(shown.locator(".state")).to_have_text("Abandoned")  # not the colour alone
    assert desk.page.evaluate("window.__marker") == "same page"  # no reload


def test_an_agent_ended_call_is_wrapped_up_from_the_desktop_and_turns_gray(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    offset = now_offset()
    agent = desktop.users["agent"]
    call = Conversation("ui-call-2", ani="tel:+15550101002").customer_start(0)
    call.acd_start(1, "q-support").acd_end(3, "q-support", "ANSWERED")
    call.user_start(3, agent, "q-support").user_end(30, agent, "CLIENT").customer_end(30, "PEER")
    desktop.post_events(call, offset_ms=offset)
    desk = open_desk()
    other = open_desk("supervisor")  # a second desktop, open on the same person
    person_of(desk, "+1 555 010 1002")
    person_of(other, "+15550101002")
    expect(card(desk).locator(".status")).to_have_text("After-call work")
    desk.page.get_by_label("Wrap-up code").select_option(label="Follow-up")
    desk.page.get_by_role("button", name="Assign").click()
    expect(card(desk).locator(".status")).to_contain_text("Follow-up")
    expect(card(desk)).to_have_class("card card--gray card--conversation")
    expect(card(other).locator(".status")).to_contain_text("Follow-up")  # live, elsewhere


def test_a_chats_icon_is_a_chat(open_desk: Callable[..., Desk], desktop: DesktopServer) -> None:
    chat = Conversation("ui-chat-1", media="CHAT").customer_start(
        0, addressFrom="chatter@example.com"
    )
    chat.acd_start(1, "q-sales")
    desktop.post_events(chat, offset_ms=now_offset())
    desk = open_desk()
    desk.goto("/desktop/search?q=chatter%40example.com")
    icon = card(desk, "Web chat").locator(".card-head .icon")
    expect(icon).to_have_attribute("aria-label", "Chat")
    expect(icon).to_have_class("icon icon--chat")


def test_the_now_view_shows_waiting_and_connected_live(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    desk = open_desk()
    expect(desk.page.get_by_label("Find a person")).to_be_visible()  # the search box's label
    offset = now_offset()
    call = Conversation("ui-now-1", ani="tel:+15550101003").customer_start(0)
    call.acd_start(1, "q-support")
    desktop.post_events(call, offset_ms=offset)
    waiting = desk.page.locator("section", has_text="Waiting in queues")
    expect(waiting.locator(".group", has_text="Support")).to_contain_text("1 waiting")
    call.acd_end(5, "q-support", "ANSWERED").user_start(5, desktop.users["admin"], "q-support")
    desktop.post_events(call, offset_ms=offset)
    connected = desk.page.locator("section", has_text="Connected, by agent")
    expect(connected.locator(".group", has_text="Ada Admin")).to_contain_text("1 connected")


def test_the_journey_map_opens_with_details_and_urls(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    call = Conversation("ui-map-1", ani="tel:+15550101004").customer_start(0)
    call.acd_start(1, "q-sales").acd_end(4, "q-sales", "ANSWERED")
    call.user_start(4, desktop.users["agent"], "q-sales")
    desktop.post_events(call, offset_ms=now_offset())
    desk = open_desk()
    person_of(desk, "+15550101004")
    shown = card(desk)
    shown.get_by_text("Journey map").click()
    items = shown.locator(".timeline > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Routed")
    expect(items.nth(0)).to_contain_text("Sales")
    expect(items.nth(1)).to_contain_text("Connected")
    items.nth(0).locator("summary").click()
    expect(items.nth(0).locator(".details")).to_contain_text("queue.name")


def test_signing_in_fails_with_one_message_and_then_succeeds(
    browser: Any, desktop: DesktopServer
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, desktop.base_url, "ann@example.com", "wrong password!!")
        expect(page.locator(".error")).to_be_visible()
        wrong = page.locator(".error").inner_text()
        sign_in(page, desktop.base_url, "nobody@example.com", PASSWORD)
        assert page.locator(".error").inner_text() == wrong  # who has an account is not told
        sign_in(page, desktop.base_url, "ann@example.com")
        page.wait_for_url("**/desktop/now")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/desktop/signin**")
        page.goto(desktop.base_url + "/desktop/now")
        page.wait_for_url("**/desktop/signin**")
    finally:
        context.close()


def test_a_form_without_its_csrf_token_is_refused(desktop: DesktopServer) -> None:
    with httpx.Client(base_url=desktop.base_url) as client:
        form = client.get("/desktop/signin")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed = client.post(
            "/desktop/signin",
            data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303, signed.text
        refused = client.post("/desktop/people/nobody/unmerge", data={})
        assert refused.status_code == 403
        forged = client.post("/desktop/people/nobody/unmerge", data={"csrf_token": "x" * 43})
        assert forged.status_code == 403


def web_visit(desktop: DesktopServer, cookie: str, *pages: tuple[str, str], **fields: Any) -> None:
    """A visitor's page views (url, title), one second apart, through the collector route."""
    from builders import web_event

    with desktop.api() as client:
        deployment = client.post(
            "/api/v2/webdeployments/deployments", json={"name": "Shop", "allowAllDomains": True}
        ).json()["id"]
    now = int(time.time() * 1000) - 60_000
    with httpx.Client(base_url=desktop.base_url) as client:
        for n, (url, title) in enumerate(pages):
            body = web_event(cookie, n, url=url, now_ms=now, **fields)
            body["page"]["title"] = title
            response = client.post(
                f"/api/v2/journey/deployments/{deployment}/webevents",
                json=body,
                headers={"Origin": "https://shop.example.com", "User-Agent": CHROME},
            )
            assert response.status_code == 200, response.text


def test_a_web_session_card_counts_pages_as_they_are_viewed(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    cookie = "9a7f7c1e-0000-4000-8000-000000000001"
    traits = {"traits": {"email": {"value": "walker@example.com", "dataType": "String"}}}
    web_visit(desktop, cookie, ("https://shop.example.com/", "Home"), **traits)
    desk = open_desk()
    desk.goto("/desktop/search?q=walker%40example.com")
    shown = card(desk, "Web session")
    expect(shown.locator(".pages")).to_have_text("1")
    web_visit(desktop, cookie, ("https://shop.example.com/tv", "Televisions"))
    expect(shown.locator(".pages")).to_have_text("2")
    expect(shown.locator(".page")).to_have_text("Televisions")
    shown.get_by_text("Journey map").click()
    titles = shown.locator(".timeline .page-title")
    expect(titles.first).to_be_visible()
    shown.get_by_role("button", name="Show URLs").click()
    expect(shown.locator(".timeline .page-url").first).to_be_visible()
    expect(titles.first).to_be_hidden()


def test_hostile_values_are_shown_as_text(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    cookie = "9a7f7c1e-0000-4000-8000-000000000002"
    traits = {
        "traits": {
            "email": {"value": "mallory@example.com", "dataType": "String"},
            "nickname": {"value": XSS, "dataType": "String"},
        },
        "searchQuery": XSS,
    }
    web_visit(desktop, cookie, ("https://shop.example.com/x", XSS), name="searched", **traits)
    with desktop.api() as client:
        made = client.post(
            "/api/v2/externalcontacts/contacts",
            json={"firstName": XSS, "workPhone": {"e164": "+15550101099"}},
        )
        assert made.status_code == 200, made.text
    desk = open_desk()
    desk.goto("/desktop/search?q=mallory%40example.com")
    shown = card(desk, "Web session")
    expect(shown.locator(".searches")).to_contain_text(XSS)
    shown.get_by_text("Journey map").click()
    expect(shown.locator(".timeline")).to_contain_text(XSS)
    shown.locator(".timeline summary").first.click()
    expect(shown.locator(".details")).to_contain_text(XSS)
    desk.goto("/desktop/search?q=%2B15550101099")
    expect(desk.page.locator("h1")).to_have_text(XSS)
    assert desk.page.evaluate("window.__xss") is None
    assert desk.page.locator("img[src=x]").count() == 0


def test_verify_merge_and_unmerge_from_the_desktop(
    open_desk: Callable[..., Desk], desktop: DesktopServer
) -> None:
    offset = now_offset()
    first = Conversation("ui-merge-1", ani="tel:+15550101011").customer_start(0)
    second = Conversation("ui-merge-2", ani="tel:+15550101012").customer_start(0)
    desktop.post_events(first, offset_ms=offset)
    desktop.post_events(second, offset_ms=offset)
    desk = open_desk()
    person_of(desk, "+15550101011")
    desk.page.get_by_label("Merge with (contact id, email or phone)").fill("+1 555 010 1012")
    desk.page.get_by_role("button", name="Merge", exact=True).click()
    expect(desk.page.locator("article.card")).to_have_count(2)  # both calls, one journey
    expect(desk.page.locator(".members li")).to_have_count(2)
    desk.page.get_by_role("button", name="Unmerge").click()
    expect(desk.page.locator("article.card")).to_have_count(1)
    expect(desk.page.locator(".members")).to_have_count(0)

    cookie = "9a7f7c1e-0000-4000-8000-000000000003"
    web_visit(desktop, cookie, ("https://shop.example.com/", "Home"))
    desk.goto(f"/desktop/search?q={cookie}")  # the visitor, known by their cookie alone
    visit = card(desk, "Web session")
    expect(visit.locator(".state")).to_have_text("Active")
    visit.get_by_label("Verify as (contact id, email or phone)").fill("+15550101011")
    visit.get_by_role("button", name="Verify").click()
    desk.page.wait_for_url("**/desktop/people/**")
    expect(desk.page.locator("article.card")).to_have_count(2)  # the call and the visit
    expect(card(desk, "Web session").locator("form.verify")).to_have_count(0)  # verified
    with desktop.api() as client:
        contact_id = desk.page.url.rsplit("/", 1)[1]
        audits = client.get(f"/api/v2/externalcontacts/contacts/{contact_id}/audits").json()
    actors = {a.get("actor") for a in audits["entities"]}
    assert desktop.users["agent"] in actors  # audited under the agent's own id


def test_the_desktop_speaks_french(open_desk: Callable[..., Desk], desktop: DesktopServer) -> None:
    offset = now_offset()
    call = Conversation("ui-fr-1", ani="tel:+15550101021").customer_start(0)
    call.acd_start(1, "q-sales")
    desktop.post_events(call, offset_ms=offset)
    desk = open_desk(locale="fr-FR")
    expect(desk.page.locator("h1")).to_have_text("Maintenant")
    person_of_fr = desk.page.get_by_label("Trouver une personne")
    person_of_fr.fill("+15550101021")
    desk.page.get_by_role("button", name="Rechercher").click()
    expect(card(desk, "Appel entrant").locator(".status")).to_have_text("En attente")
    call.customer_end(9).acd_end(9, "q-sales", "ABANDON")
    desktop.post_events(call, offset_ms=offset)
    expect(card(desk, "Appel entrant").locator(".status")).to_have_text("Terminé par le client")
    assert desk.page.locator("html").get_attribute("lang") == "fr"
    desk.page.get_by_role("link", name="English").click()
    expect(card(desk).locator(".status")).to_have_text("Ended by customer")


def test_axe_finds_nothing_serious_on_any_screen(
    open_desk: Callable[..., Desk], desktop: DesktopServer, browser: Any
) -> None:
    call = Conversation("ui-axe-1", ani="tel:+15550101031").customer_start(0)
    call.acd_start(1, "q-sales").acd_end(2, "q-sales", "ANSWERED")
    call.user_start(2, desktop.users["agent"], "q-sales")
    desktop.post_events(call, offset_ms=now_offset())
    found: dict[str, Any] = {}
    for locale in ("en-US", "fr-FR"):
        desk = open_desk(locale=locale, axe=True)
        desk.expected.add("/desktop/people/nobody")  # the error page is one of the screens
        screens = ["/desktop/now", "/desktop/search?q=nobody-at-all", "/desktop/people/nobody"]
        for path in screens:
            desk.goto(path)
            found[f"{locale} {path}"] = desk.axe()
        person_of(desk, "+15550101031")
        desk.page.locator("article.card summary").first.click()
        desk.page.locator(".timeline summary").first.click()
        found[f"{locale} person"] = desk.axe()
        desk.page.set_viewport_size({"width": 360, "height": 740})
        found[f"{locale} person at 360 px"] = desk.axe()
        assert desk.page.evaluate("document.documentElement.scrollWidth") <= 360
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(desktop.base_url + "/desktop/signin")
        found["sign-in"] = Desk(page, desktop).axe()
    finally:
        context.close()
    assert {screen: v for screen, v in found.items() if v} == {}
