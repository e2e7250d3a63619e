"""An XSS payload in every field a visitor, a contact centre or an API client controls renders
as text on every desktop page that shows it (issue 10), in a real chromium.

Each field gets its own payload, ``X(field)``: markup that would run a script and make an
element (``<img src=x onerror>``, a ``<script>``, an attribute break-out), with the field's
name in it. The data goes in through the real routes — web events (traits, page title, URL
query, search, custom attributes, referrer, user agent), the Segment collector (identify
traits, track properties, page), conversation detail events (queue, agent and wrap-up code ids
the directory does not know), the directory, contacts, deployments, flows and definitions by
the API — and every page is opened: Now, search, each person's journey, each session page with
its card and journey map, and every admin list. The browser context bypasses the desktop's
Content-Security-Policy, so that escaping alone is what is tested: no page may run the payload
(``window.__xss`` stays undefined) or hold an element it would make, and each field's payload
is found, as text, on some page."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from builders import Conversation, page_pattern, web_event
from conftest import CHROME
from desktop.conftest import Desk, DesktopServer, now_offset
from journeyline.api.auth import create_client
from journeyline.store import open_store

SHOP = "https://shop.example.com"
PHONE = "+15550109999"
WEB_COOKIE = "9a7f7c1e-0000-4000-8000-00000000x551".replace("x", "0")
SEGMENT_COOKIE = "9a7f7c1e-0000-4000-8000-000000000552"


def X(field: str) -> str:  # noqa: N802 - reads as the payload of a field
    return (
        f"\"'><img src=x onerror=\"window.__xss='{field}'\">"
        f"<script>window.__xss='{field}'</script><a href=\"javascript:window.__xss=1\">{field}</a>"
    )


#: what each payload's field is, for the last assertion: every one is shown somewhere
FIELDS: list[str] = []


def x(field: str) -> str:
    FIELDS.append(field)
    return X(field)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


def _seed(server: DesktopServer) -> dict[str, list[str]]:
    """Everything, with payloads, through the routes; the pages to open."""
    offset = now_offset()
    now = int(time.time() * 1000) - 60_000
    with server.api() as api:
        _ok(api.post("/api/v2/routing/queues", json={"id": "q-xss", "name": x("queue name")}))
        _ok(api.post("/api/v2/routing/wrapupcodes", json={"id": "w-xss", "name": x("wrap-up")}))
        _ok(api.post("/api/v2/users", json={"id": "u-xss", "name": x("agent name")}))
        contact = _ok(
            api.post(
                "/api/v2/externalcontacts/contacts",
                json={
                    "firstName": x("contact firstName"),
                    "lastName": x("contact lastName"),
                    "title": x("contact title"),
                    "workPhone": {"e164": PHONE},
                },
            )
        )
        known = Conversation("xss-call-1", ani=f"tel:{PHONE}").customer_start(0).flow(0, 5)
        known = known.acd_start(5, "q-xss").acd_end(20, "q-xss", "ANSWERED")
        known = known.user_start(20, "u-xss", "q-xss").user_end(80, "u-xss", queue="q-xss")
        known = known.customer_end(80, "PEER").acw(90, "u-xss", "w-xss")
        queue, agent, code = x("event queueId"), x("event userId"), x("event wrapupCode")
        unknown = Conversation("xss-call-2", ani=f"tel:{PHONE}").customer_start(0)
        unknown = unknown.acd_start(5, queue).acd_end(20, queue, "ANSWERED")
        unknown = unknown.user_start(20, agent, queue).user_end(80, agent, queue=queue)
        unknown = unknown.customer_end(80, "PEER").acw(90, agent, code)
        for call in (known, unknown):
            server.post_events(call, offset_ms=offset)
        shop = _ok(
            api.post(
                "/api/v2/webdeployments/deployments",
                json={"name": x("deployment name"), "allowAllDomains": True},
            )
        )
        key = base64.b64encode(f"{shop['writeKey']}:".encode()).decode()
        _ok(api.post("/api/v2/flows", json={"name": x("flow name"), "url": "https://example.com/"}))
        pattern = page_pattern("/p")
        segment_made = _ok(
            api.post(
                "/api/v2/journey/segments",
                json={
                    "displayName": x("segment name"),
                    "description": x("segment description"),
                    "journey": {"patterns": [pattern]},
                },
            )
        )
    store = open_store(server.store_url)
    try:
        create_client(store, name=x("client name"), role="agent", now_ms=now)
    finally:
        store.close()
    with httpx.Client(base_url=server.base_url, headers={"Origin": SHOP}) as browser:
        visit = web_event(
            WEB_COOKIE,
            0,
            url=f"{SHOP}/p?q={X('page url query')}",
            now_ms=now,
            referrerUrl=f"https://ref.example.com/?{X('referrer')}",
            searchQuery=x("search query"),
            userAgentString=CHROME + X("user agent"),
            attributes={"note": {"dataType": "String", "value": x("custom attribute")}},
            traits={
                "email": {"dataType": "String", "value": "xss-web@example.com"},
                "firstName": {"dataType": "String", "value": x("trait firstName")},
                "nickname": {"dataType": "String", "value": x("custom trait")},
            },
        )
        visit["page"]["title"] = x("page title")
        FIELDS.append("page url query")
        _ok(browser.post(f"/api/v2/journey/deployments/{shop['id']}/webevents", json=visit))
        form = web_event(WEB_COOKIE, 5, name="form_submitted", now_ms=now, url=f"{SHOP}/contact")
        form["attributes"] = {"message": {"dataType": "String", "value": x("form field")}}
        _ok(browser.post(f"/api/v2/journey/deployments/{shop['id']}/webevents", json=form))
        write_key = {"Authorization": f"Basic {key}"}
        stamp = web_event(SEGMENT_COOKIE, 0, now_ms=now)["createdDate"]
        common = {"anonymousId": SEGMENT_COOKIE, "userId": "seg-xss", "timestamp": stamp}
        calls: list[tuple[str, dict[str, Any]]] = [
            (
                "identify",
                {
                    "traits": {
                        "email": "xss-segment@example.com",
                        "name": x("segment trait name"),
                        "company": x("segment trait"),
                    }
                },
            ),
            (
                "page",
                {"properties": {"url": f"{SHOP}/s", "title": x("segment page title")}},
            ),
            (
                "track",
                {"event": "Order Completed", "properties": {"coupon": x("segment property")}},
            ),
        ]
        for n, (kind, fields) in enumerate(calls):
            message = {**common, "messageId": f"xss-{n}", **fields}
            _ok(browser.post(f"/v1/{kind}", json=message, headers=write_key))
    with server.api() as api:
        sessions = [
            s["id"] for s in _ok(api.get("/api/v2/journey/sessions?pageSize=100"))["entities"]
        ]
    return {
        "contact": [contact["id"]],
        "admin": [f"/desktop/admin/segments/{segment_made['id']}"],
        "sessions": sessions,
        "searches": [PHONE, "xss-web@example.com", "xss-segment@example.com"],
    }


ADMIN = [
    "/desktop/admin",
    "/desktop/admin/directory/queues",
    "/desktop/admin/directory/agents",
    "/desktop/admin/directory/wrapupcodes",
    "/desktop/admin/deployments",
    "/desktop/admin/clients",
    "/desktop/admin/users",
    "/desktop/admin/flows",
    "/desktop/admin/deadletters",
    "/desktop/admin/segments",
    "/desktop/admin/outcomes",
    "/desktop/admin/actionmaps",
    "/desktop/admin/actiontemplates",
]

#: Injected markup, looked for after the page settled: an element the payload makes, a
#: script it carries, a javascript: link.
INJECTED = """() => [
  ...document.querySelectorAll('img[src="x"], img[onerror]'),
  ...[...document.scripts].filter(s => s.textContent.includes('__xss')),
  ...document.querySelectorAll('a[href^="javascript:"]'),
].map(e => e.outerHTML)"""


#: What a page shows as text: its text, and the values of its form fields.
TEXT = """() => document.body.textContent
  + [...document.querySelectorAll('input, textarea')].map(e => e.value).join(' ')"""


@pytest.fixture
def admin(open_desk: Callable[..., Desk]) -> Desk:
    # ``axe=True`` is the flag that bypasses the desktop's CSP: escaping alone is under test
    desk = open_desk("admin", axe=True)
    desk.expected.add("/favicon.ico")  # asked for by the fragments, which are no whole page
    return desk


def _visit(desk: Desk, path: str, shown: set[str]) -> None:
    desk.goto(path)
    desk.page.wait_for_load_state("networkidle")
    for _ in range(3):  # open the journey maps (fetched when opened), then their details
        desk.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        desk.page.wait_for_load_state("networkidle")
    assert desk.page.evaluate("typeof window.__xss") == "undefined", path
    assert desk.page.evaluate(INJECTED) == [], path
    text = desk.page.evaluate(TEXT)
    shown.update(field for field in FIELDS if X(field) in text)


def test_every_payload_renders_as_text_on_every_page(admin: Desk, desktop: DesktopServer) -> None:
    pages = _seed(desktop)
    shown: set[str] = set()
    paths = ["/desktop/now", f"/desktop/search?q={quote(X('search box'))}"]
    FIELDS.append("search box")
    paths += [f"/desktop/search?q={quote(q)}" for q in pages["searches"]]
    paths += [f"/desktop/people/{c}" for c in pages["contact"]]
    for session in pages["sessions"]:
        base = f"/desktop/sessions/{session}"
        paths += [base, f"{base}/card", f"{base}/map"]
    paths += ADMIN + pages["admin"]
    for path in paths:
        _visit(admin, path, shown)
    assert sorted(set(FIELDS) - shown) == []
