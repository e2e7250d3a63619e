"""The ``journeyline.js`` tracker in a real browser (Debian's chromium through Playwright),
against a real server (the real app) that serves the tracker and the demo shop.

What the browser sends is read off the wire: every request of the browser context, and, for
the keepalive requests of a page being left, which Playwright does not report, what the server
received. The end-to-end test at the bottom follows a visit to its web session and card.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import bearer
from journeyline.api.errors import HANDLERS
from journeyline.api.static import STATIC_ROUTES
from journeyline.ui import DEMO_DEPLOYMENT_ID, DEMO_DIR, TRACKER_PATH
from ui.conftest import Tab, UiServer

WEBEVENTS = f"/api/v2/journey/deployments/{DEMO_DEPLOYMENT_ID}/webevents"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def string(value: str) -> dict[str, Any]:
    return {"dataType": "string", "value": value}


# --- the routes, without a browser -----------------------------------------------------------


@pytest.fixture(scope="module")
def static_client() -> Any:
    with TestClient(Starlette(routes=STATIC_ROUTES, exception_handlers=HANDLERS)) as client:
        yield client


def test_tracker_route(static_client: TestClient) -> None:
    response = static_client.get("/journeyline.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == TRACKER_PATH.read_bytes()
    assert len(response.text.splitlines()) < 400


def test_demo_pages_carry_the_demo_deployment(static_client: TestClient) -> None:
    pages = sorted(p.name for p in DEMO_DIR.glob("*.html"))
    assert {"index.html", "product.html", "search.html", "contact.html", "cart.html"} <= set(pages)
    for name in pages:
        source = (DEMO_DIR / name).read_text()
        assert 'src="/journeyline.js" data-deployment="{{DEPLOYMENT_ID}}" async' in source, name
        response = static_client.get(f"/demo/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert f'data-deployment="{DEMO_DEPLOYMENT_ID}"' in response.text
        assert "{{DEPLOYMENT_ID}}" not in response.text
    index = static_client.get("/demo/")
    assert index.text == static_client.get("/demo/index.html").text
    assert static_client.get("/demo/contact").text == static_client.get("/demo/contact.html").text
    css = static_client.get("/demo/shop.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/demo/nope.html",
        "/demo/..%2f..%2fpyproject.toml",
        "/demo/%2e%2e",
        "/demo/..%5capi%5cstatic.py",
        "/demo/.hidden",
        "/demo/__init__.py",
        "/demo/index.html%00.css",
    ],
)
def test_unknown_demo_pages_are_genesys_404s(static_client: TestClient, path: str) -> None:
    response = static_client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not.found"
    assert body["status"] == 404
    assert body["message"]


# --- the tracker in the browser ----------------------------------------------------------------


def test_automatic_page_view(tab: Tab) -> None:
    tab.goto("/demo/")
    event = tab.wait_event("page_viewed")
    request = tab.event_requests[0]
    assert urlsplit(request.url).path == WEBEVENTS
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert "authorization" not in headers
    assert "cookie" not in headers  # credentials: "omit"

    cookie_id = tab.run("journeyline.cookieId()")
    assert UUID4.match(cookie_id)
    assert event["customerCookieId"] == cookie_id
    assert event["page"] == {
        "url": f"{tab.base_url}/demo/",
        "title": "Lumen & Loom: home goods, made slowly",
        "lang": "en",
    }
    assert event["browser"] == {"lang": "en-GB"}
    device = event["device"]
    assert isinstance(device["screenWidth"], int)
    assert device["screenWidth"] > 0
    assert isinstance(device["screenHeight"], int)
    assert device["screenDensity"] >= 1
    assert "referrerUrl" not in event  # typed in the address bar
    assert "attributes" not in event
    assert "traits" not in event
    created = datetime.fromisoformat(event["createdDate"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    tab.page.wait_for_timeout(100)
    assert len(tab.named("page_viewed")) == 1


def test_visitor_cookie_persists_across_pages(tab: Tab) -> None:
    tab.goto("/demo/")
    first = tab.wait_event("page_viewed")
    tab.page.click("a.card >> nth=0")
    second = tab.wait_event("page_viewed", 2)
    assert second["page"]["url"] == f"{tab.base_url}/demo/product.html?sku=LL-100"
    assert second["page"]["title"] == "Linen throw | Lumen & Loom"
    assert second["referrerUrl"] == f"{tab.base_url}/demo/"
    assert second["customerCookieId"] == first["customerCookieId"]

    (cookie,) = [c for c in tab.context.cookies() if c["name"] == "_jlmu"]
    assert cookie["value"] == first["customerCookieId"]
    assert cookie["path"] == "/"
    assert cookie["sameSite"] == "Lax"
    assert 360 * 86400 < cookie["expires"] - time.time() <= 366 * 86400
    assert tab.page.text_content("#visitor") == first["customerCookieId"]

    # A new tab of the same browser is the same visitor; another browser profile is not.
    other = tab.context.new_page()
    other.goto(f"{tab.base_url}/demo/cart.html")
    tab.wait_event("page_viewed", 3)
    assert tab.named("page_viewed")[2]["customerCookieId"] == first["customerCookieId"]


def test_spa_navigations_are_page_views(tab: Tab) -> None:
    tab.goto("/demo/")
    tab.wait_event("page_viewed")
    home = f"{tab.base_url}/demo/"
    tab.run("history.pushState({}, '', '/demo/?collection=linen'); document.title = 'Linen'")
    pushed = tab.wait_event("page_viewed", 2)
    assert pushed["page"] == {"url": f"{home}?collection=linen", "title": "Linen", "lang": "en"}
    assert pushed["referrerUrl"] == home

    tab.run("history.replaceState({step: 2}, '', location.href)")  # same URL: not a page view
    tab.run("location.hash = 'reviews'")
    hashed = tab.wait_event("page_viewed", 3)
    assert hashed["page"]["url"] == f"{home}?collection=linen#reviews"
    tab.run("history.back()")
    back = tab.wait_event("page_viewed", 4)
    assert back["page"]["url"] == f"{home}?collection=linen"
    tab.page.wait_for_timeout(150)
    assert len(tab.named("page_viewed")) == 4

    tab.run(
        "journeyline('pageview', {title: 'Custom', url: '/demo/virtual', attributes: {step: 3}})"
    )
    manual = tab.wait_event("page_viewed", 5)
    assert manual["page"]["url"] == f"{tab.base_url}/demo/virtual"
    assert manual["page"]["title"] == "Custom"
    assert manual["attributes"] == {"step": {"dataType": "number", "value": 3}}


def test_record_with_typed_attributes(tab: Tab) -> None:
    tab.goto("/demo/cart.html")
    tab.wait_event("page_viewed")
    tab.page.click("#add-LL-320")
    added = tab.wait_event("product_added")
    assert added["attributes"] == {
        "sku": string("LL-320"),
        "productName": string("Beeswax candles, set of 4"),
        "price": {"dataType": "number", "value": 18},
        "quantity": {"dataType": "integer", "value": 1},
        "currency": string("EUR"),
    }
    tab.page.click("#add-LL-650")
    tab.page.click("#checkout")
    checkout = tab.wait_event("checkout_started")
    assert checkout["attributes"] == {
        "itemCount": {"dataType": "integer", "value": 2},
        "cartValue": {"dataType": "number", "value": 34},
        "currency": string("EUR"),
        "giftWrap": {"dataType": "boolean", "value": False},
    }
    assert checkout["customerCookieId"] == added["customerCookieId"]
    assert checkout["page"]["url"] == f"{tab.base_url}/demo/cart.html"

    tab.run(
        """journeyline('record', 'mixed_values', {
            s: 'x', n: 15.99, b: true, explicit: {dataType: 'integer', value: '12'},
            big: 9007199254740993n, top: 9223372036854775807n, bottom: -9223372036854775808n,
            past: 9223372036854775808n, nothing: null, missing: undefined,
            when: new Date(Date.UTC(2025, 0, 2)),
            notANumber: NaN, nested: {a: 1}, list: [1, 2], wrongType: {dataType: 'date', value: 1}
        })"""
    )
    mixed = tab.wait_event("mixed_values")
    assert mixed["attributes"] == {
        "s": string("x"),
        "n": {"dataType": "number", "value": 15.99},
        "b": {"dataType": "boolean", "value": True},
        "explicit": {"dataType": "integer", "value": "12"},
        "big": {"dataType": "integer", "value": "9007199254740993"},
        "top": {"dataType": "integer", "value": "9223372036854775807"},
        "bottom": {"dataType": "integer", "value": "-9223372036854775808"},
        "when": string("2025-01-02T00:00:00.000Z"),
    }
    dropped = ("notANumber", "nested", "list", "wrongType", "past")
    assert all(any(name in w for w in tab.warnings) for name in dropped), tab.warnings
    # and the server took all three events, the integers sent as text as integers (it refused
    # the whole event with a 400 before: Genesys's own example, and every BigInt, lost it)
    tab.wait_received("mixed_values")
    answers = {r.event["eventName"]: r.status for r in tab.answered()}
    taken = {"page_viewed": 200, "product_added": 200, "checkout_started": 200, "mixed_values": 200}
    assert answers == taken, answers


def test_invalid_event_names_are_dropped_with_a_warning(tab: Tab) -> None:
    tab.goto("/demo/")
    tab.wait_event("page_viewed")
    for bad in ["bad name", "product-added", "", "café", "a.b"]:
        assert tab.run("(name) => journeyline('record', name, {a: 1})", bad) is None
    tab.run("journeyline('record', 'valid_after_bad', {})")
    tab.run("journeyline('no_such_command')")
    tab.wait_event("valid_after_bad")
    assert [e["eventName"] for e in tab.events] == ["page_viewed", "valid_after_bad"]
    assert sum("invalid event name" in w for w in tab.warnings) == 5
    assert any("unknown command" in w for w in tab.warnings)


def test_search(tab: Tab) -> None:
    tab.goto("/demo/search.html")
    tab.wait_event("page_viewed")
    tab.page.fill("#q", "linen")
    tab.page.press("#q", "Enter")
    searched = tab.wait_event("searched")
    assert searched["searchQuery"] == "linen"
    assert searched["attributes"] == {"resultCount": {"dataType": "integer", "value": 1}}
    assert searched["page"]["url"] == f"{tab.base_url}/demo/search.html"
    results = tab.wait_event("page_viewed", 2)  # the app pushes ?q= to the history
    assert results["page"]["url"] == f"{tab.base_url}/demo/search.html?q=linen"
    assert tab.page.text_content("#summary") == "1 result for “linen”"

    tab.run("journeyline('search', '   ')")  # nothing to search for: dropped
    tab.run("journeyline('search', 'oak board')")
    assert tab.wait_event("searched", 2)["searchQuery"] == "oak board"
    assert len(tab.named("searched")) == 2


def test_contact_form_submit_and_identify(tab: Tab) -> None:
    tab.goto("/demo/contact.html")
    first = tab.wait_event("page_viewed")
    tab.page.fill("#name", "Ada  King Lovelace")
    tab.page.fill("#email", "ada@example.org")
    tab.page.fill("#phone", "+44 20 7946 0000")
    tab.page.fill("#message", "Do you ship to Ireland?")
    tab.page.click("#send")
    submitted = tab.wait_event("form_submitted")
    assert submitted["attributes"] == {
        "name": string("Ada  King Lovelace"),
        "email": string("ada@example.org"),
        "phone": string("+44 20 7946 0000"),
        "message": string("Do you ship to Ireland?"),
    }
    identified = tab.wait_event("identified")
    assert identified["traits"] == {
        "email": string("ada@example.org"),
        "givenName": string("Ada"),
        "familyName": string("King Lovelace"),
        "phone": string("+44 20 7946 0000"),
    }
    assert "attributes" not in identified
    assert identified["customerCookieId"] == first["customerCookieId"]
    assert tab.page.is_visible("#thanks")

    # A submitted form is not abandoned when the visitor leaves.
    tab.goto("/demo/")
    tab.wait_event("page_viewed", 2)
    tab.wait_until(lambda: len(tab.received("page_viewed")) == 2, "the server to see both")
    assert not tab.received("form_abandoned")


def test_form_abandon(tab: Tab) -> None:
    tab.goto("/demo/contact.html")
    tab.wait_event("page_viewed")
    tab.page.fill("#name", "Grace Hopper")
    tab.page.fill("#email", "grace@example.org")
    tab.page.click("a[href='cart.html']")
    tab.wait_event("page_viewed", 2)
    # Sent with keepalive while the page unloads: Playwright does not see it, the server does.
    abandoned = tab.wait_received("form_abandoned")
    assert abandoned["attributes"] == {
        "name": string("Grace Hopper"),
        "email": string("grace@example.org"),
    }  # empty fields are left out
    assert abandoned["page"]["url"] == f"{tab.base_url}/demo/contact.html"
    assert not tab.received("form_submitted")

    # Untouched forms are not abandoned; passwords and card numbers never leave the page;
    # with capture off, no field values are sent.
    tab.goto("/demo/contact.html")
    tab.wait_event("page_viewed", 3)
    tab.run(
        """() => {
        journeyline('forms:track', '#login', {captureFormDataOnSubmit: true});
        journeyline('forms:track', '#quiet', {});
        document.body.insertAdjacentHTML('beforeend',
          '<form id="login" onsubmit="return false"><input name="user"><input type="password"'
          + ' name="pw"><input name="card" autocomplete="cc-number"><input type="checkbox"'
          + ' name="remember" checked><button id="login-go">Go</button></form>'
          + '<form id="quiet" onsubmit="return false"><input name="secret"></form>');
        }"""
    )
    tab.page.fill("#login input[name=user]", "grace")
    tab.page.fill("#login input[name=pw]", "hunter2")
    tab.page.fill("#login input[name=card]", "4111111111111111")
    tab.page.click("#login-go")
    login = tab.wait_event("form_submitted")
    assert login["attributes"] == {
        "user": string("grace"),
        "remember": {"dataType": "boolean", "value": True},
    }
    tab.page.fill("#quiet input", "typed")
    tab.run("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    quiet = tab.wait_event("form_abandoned")
    assert "attributes" not in quiet
    tab.goto("/demo/")
    tab.wait_event("page_viewed", 4)
    assert len(tab.received("form_abandoned")) == 2  # login was submitted, contact untouched
    assert all("hunter2" not in json.dumps(e) for e in tab.events)


def test_ping_polls_and_offers_reach_callbacks(tab: Tab) -> None:
    answers = {"count": 0}
    reports: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        answers["count"] += 1
        offer = {
            "id": "act-1",
            "mediaType": "contentOffer",
            "sessionId": "s-1",
            "contentOfferProperties": {
                "displayMode": "Toast",
                "layoutMode": "TextOnly",
                "headline": "10% off linen today",
            },
        }
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"pollIntervalMilliseconds": 150, "actions": [offer]}),
        )

    def report(route: Any) -> None:
        reports.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=204)

    tab.context.route(lambda url: "/ping?" in url, answer)
    tab.context.route("**/actionevent", report)
    # Queued through the stub before the tracker loads, like a site's own callbacks.
    tab.context.add_init_script(
        """window.journeyline = function () {
             (window.journeyline.q = window.journeyline.q || []).push(arguments) };
           window.offers = [];
           journeyline('onOffer', (a) => window.offers.push(a.id));
           journeyline('onOffer', () => { throw new Error('a broken site callback') });"""
    )
    tab.goto("/demo/product.html?sku=LL-100")
    tab.wait_until(lambda: len(tab.pings) >= 3, "three pings")
    cookie_id = tab.run("journeyline.cookieId()")
    url = urlsplit(tab.pings[0].url)
    assert url.path == (
        f"/api/v2/journey/deployments/{DEMO_DEPLOYMENT_ID}/customers/{cookie_id}/ping"
    )
    query = parse_qs(url.query)
    assert query["dl"] == [f"{tab.base_url}/demo/product.html?sku=LL-100"]
    assert query["dt"] == ["Linen throw | Lumen & Loom"]
    # The first ping follows the first page view; then every pollIntervalMilliseconds.
    assert tab.event_requests[0].timing["startTime"] <= tab.pings[0].timing["startTime"]
    tab.wait_until(lambda: tab.page.get_by_role("dialog").count() == 1, "the offer")
    assert tab.page.get_by_role("dialog").text_content() == "\u00d710% off linen today"
    tab.wait_until(lambda: len(tab.pings) >= 5, "two more pings")
    assert tab.page.get_by_role("dialog").count() == 1  # the same action id is offered once
    assert reports == [{"sessionId": "s-1", "actionId": "act-1", "actionState": "offered"}]
    tab.wait_until(lambda: tab.run("window.offers.length") >= 1, "the test callback")
    assert tab.run("window.offers") == ["act-1"]
    assert any("onOffer callback failed" in w for w in tab.warnings)


def test_refusals_warn_and_never_break_the_page(tab: Tab) -> None:
    refusal = {"message": "events older than an hour are rejected", "code": "bad.request"}

    def refuse(route: Any) -> None:
        route.fulfill(status=400, content_type="application/json", body=json.dumps(refusal))

    tab.context.route("**/webevents", refuse)
    tab.goto("/demo/cart.html")
    tab.wait_event("page_viewed")
    tab.wait_until(
        lambda: any("refused (400): events older than an hour" in w for w in tab.warnings),
        "the refusal warning",
    )
    tab.context.unroute("**/webevents")
    tab.context.route("**/webevents", lambda route: route.abort())  # the network is down
    assert tab.run("journeyline('record', 'offline_try', {}).then(() => 'settled')") == "settled"
    assert tab.run("typeof journeyline('identify', null)") == "object"


def test_a_third_party_site_with_commands_queued_before_load(tab: Tab, ui_server: UiServer) -> None:
    """Another origin pastes the tag: the queue stub runs first, the API is the script's origin."""
    tag = f'<script src="{ui_server.base_url}/journeyline.js" data-deployment="dep-1" async>'
    ui_server.recorder.pages["/_test/fr/"] = (
        "<!doctype html><html lang='fr'><head><title>Queued</title><script>"
        "window.journeyline = window.journeyline || function(){(window.journeyline.q ="
        " window.journeyline.q || []).push(arguments)};"
        "journeyline('pageview', {title: 'Accueil'});"
        "journeyline('record', 'early_bird', {n: 1});"
        f"</script>{tag}</script></head><body></body></html>"
    )
    # Playwright answers the CORS preflight of routed requests; the server's own CORS
    # handling is the web event routes' business.
    ok = {"status": 200, "content_type": "application/json", "body": "{}"}
    tab.context.route("**/webevents", lambda route: route.fulfill(**ok))
    tab.context.add_init_script("delete Crypto.prototype.randomUUID")  # the fallback path
    site = ui_server.base_url.replace("127.0.0.1", "localhost")
    tab.page.goto(f"{site}/_test/fr/")
    viewed = tab.wait_event("page_viewed")
    early = tab.wait_event("early_bird")
    assert viewed["page"] == {"url": f"{site}/_test/fr/", "title": "Accueil", "lang": "fr"}
    assert early["customerCookieId"] == viewed["customerCookieId"]
    assert UUID4.match(viewed["customerCookieId"])
    assert tab.event_requests[0].url == (
        f"{ui_server.base_url}/api/v2/journey/deployments/dep-1/webevents"
    )
    assert tab.event_requests[0].headers.get("origin") == site
    assert [c["domain"] for c in tab.context.cookies() if c["name"] == "_jlmu"] == ["localhost"]
    tab.page.wait_for_timeout(100)
    assert len(tab.named("page_viewed")) == 1  # the queued page view replaces the automatic one


# --- end to end --------------------------------------------------------------------------------


def ping_answered(request: Any) -> bool:
    response = request.response()
    if response is None or response.status != 200:
        return False
    return isinstance(response.json()["pollIntervalMilliseconds"], int)


def test_demo_events_make_a_web_session_with_a_card(tab: Tab, ui_server: UiServer) -> None:
    tab.goto("/demo/")
    tab.wait_event("page_viewed")
    tab.page.click("a.card >> nth=1")
    tab.page.click("#add")
    tab.page.click("a[href='contact.html']")
    tab.page.fill("#name", "Mary Somerville")
    tab.page.fill("#email", "mary.somerville@example.org")  # no other test's visitor
    tab.page.click("#send")
    tab.wait_received("identified")
    tab.wait_until(lambda: all(r.status for r in tab.answered()), "the server's answers")
    answered = tab.answered()
    names = sorted(r.event["eventName"] for r in answered)  # the last two race each other
    visit = ["page_viewed", "page_viewed", "product_added", "page_viewed", "form_submitted"]
    assert names == sorted([*visit, "identified"])
    assert all(r.status == 200 for r in answered), [(r.status, r.answer) for r in answered]
    sessions = {r.answer["session"]["id"] for r in answered}
    assert len(sessions) == 1  # one web session for the visit
    (session_id,) = sessions
    assert max(r.answer["session"]["eventCount"] for r in answered) == 6
    assert max(r.answer["session"]["pageviewCount"] for r in answered) == 3
    assert not [w for w in tab.warnings if "refused" in w]
    tab.wait_until(
        # (only this page's: the bodies of the pages left are gone)
        lambda: any(ping_answered(p) for p in tab.pings if "contact.html" in p.url),
        "a ping answered",
    )
    with httpx.Client(base_url=ui_server.base_url) as client:
        headers = bearer(client, ui_server.credentials)
        card = client.get(f"/api/v2/journey/sessions/{session_id}/card", headers=headers)
        session = client.get(f"/api/v2/journey/sessions/{session_id}", headers=headers)
    assert card.status_code == 200, card.text
    assert session.status_code == 200, session.text
    assert card.json()["pageviewCount"] == 3
    assert card.json()["customerName"] == "Mary Somerville"  # identified by the contact form
    assert card.json()["currentPage"]["url"] == f"{tab.base_url}/demo/contact.html"
    assert session.json()["type"] == "web"
    assert session.json()["customerId"] == tab.cookie_id()
    assert session.json()["customerIdType"] == "cookie"
    assert session.json()["externalContact"]["id"]
