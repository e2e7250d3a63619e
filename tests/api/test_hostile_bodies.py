"""Any JSON body route takes any body: one nested deeper than the decoder goes is a 400 in the
Genesys error shape, not a 500 (msgspec raises RecursionError, not DecodeError, for it)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from builders import COOKIE, answered, web_event
from conftest import Api, deployment

#: 3,000 levels of arrays: 6 KB, under every route's body limit (actionevent's is 8 KB).
DEEP = b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"

SHOP_ORIGIN = "https://shop.example.com"
ROUTES = [
    ("POST", "/api/v2/journey/conversationevents"),
    ("POST", "/api/v2/journey/deployments/{d}/webevents"),
    ("POST", "/api/v2/journey/deployments/{d}/appevents"),
    ("POST", "/api/v2/journey/deployments/{d}/actionevent"),
    ("POST", "/api/v2/journey/segments"),
    ("PATCH", "/api/v2/journey/segments/{segment}"),
    ("POST", "/api/v2/journey/actionmaps"),
    ("POST", "/api/v2/flows"),
    ("POST", "/api/v2/webdeployments/deployments"),
    ("POST", "/api/v2/routing/queues"),
    ("POST", "/api/v2/externalcontacts/contacts"),
    ("POST", "/api/v2/externalcontacts/identifierlookup"),
    ("POST", "/api/v2/externalcontacts/merge/contacts"),
    ("POST", "/v1/track"),
    ("POST", "/v1/batch"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_a_deeply_nested_body_is_a_400_not_a_500(api: Api, method: str, route: str) -> None:
    shop = deployment(api)
    segment = api.post(
        "/api/v2/journey/segments",
        {
            "displayName": "Any page",
            "journey": {
                "patterns": [
                    {"criteria": [], "count": 1, "streamType": "Web", "sessionType": "web"}
                ]
            },
        },
    ).json()["id"]
    path = route.format(d=shop["id"], segment=segment)
    headers = {**api.headers, "Content-Type": "application/json"}
    if route.startswith("/v1/"):
        token = base64.b64encode(f"{shop['writeKey']}:".encode()).decode()
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {token}"}
    response = api.client.request(method, path, content=DEEP, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad.request"


# -- the fuzzing's hostile fixtures, through the real routes ----------------------------------

FUZZ = Path(__file__).resolve().parents[1] / "fixtures" / "fuzz"
HOSTILE = sorted(FUZZ.glob("*.json"))
HOLE = "HOLE-0f1e"


def _bodies(now_ms: int) -> list[tuple[str, dict[str, Any] | list[Any], bool]]:
    """(route, a valid body with HOLE where a string goes, whether it takes a write key)."""
    page = web_event(COOKIE, 0, now_ms=now_ms, searchQuery=HOLE)
    app = {"customerCookieId": COOKIE, "eventName": "screen_viewed", "screenName": HOLE}
    app["createdDate"] = page["createdDate"]
    track = {"type": "track", "event": HOLE, "anonymousId": COOKIE, "messageId": "m-1"}
    return [
        ("/api/v2/journey/conversationevents", answered(HOLE).wire[0], False),
        ("/api/v2/journey/deployments/{d}/webevents", page, False),
        ("/api/v2/journey/deployments/{d}/appevents", app, False),
        ("/v1/track", track, True),
        ("/v1/batch", {"batch": [track]}, True),
        ("/api/v2/journey/segments", {"displayName": HOLE}, False),
        ("/api/v2/routing/queues", {"name": HOLE}, False),
        ("/api/v2/externalcontacts/contacts", {"firstName": HOLE}, False),
        ("/api/v2/webdeployments/deployments", {"name": HOLE}, False),
    ]


@pytest.mark.parametrize("fixture", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_a_hostile_value_in_a_body_is_a_4xx_in_the_error_shape(api: Api, fixture: Path) -> None:
    """Deep nesting, 1e400, 2**70, invalid UTF-8, a lone surrogate, a NUL (escaped or raw), a
    100,000-character string — each where a route reads a string: a 4xx ``ErrorBody`` on
    every store (an escaped NUL was a 503 on PostgreSQL, accepted on SQLite)."""
    shop = deployment(api)
    value = fixture.read_bytes().strip()
    key = base64.b64encode(f"{shop['writeKey']}:".encode()).decode()
    for route, body, write_key in _bodies(api.clock()):
        raw = json.dumps(body).encode().replace(f'"{HOLE}"'.encode(), value)
        assert value in raw, route
        headers = {**api.headers, "Content-Type": "application/json", "Origin": SHOP_ORIGIN}
        if write_key:
            headers["Authorization"] = f"Basic {key}"
        answer = api.client.post(route.format(d=shop["id"]), content=raw, headers=headers)
        assert 400 <= answer.status_code < 500, f"{route}: {answer.status_code} {answer.text}"
        error = answer.json()
        assert error["status"] == answer.status_code, route
        assert all(error[k] for k in ("message", "code", "contextId")), route


# -- URLs the parsers refuse: urllib's ValueError, IDNA's, the resolver's --------------------

#: A URL ``urllib.parse.urlsplit`` raises on (an unclosed IPv6 bracket, a bracketed non-IP).
UNSPLITTABLE = ["http://[::1", "http://[abc]/"]
#: Host names httpx or the resolver's IDNA codec raise on (a bad A-label, an empty label, a
#: label over 63 characters).
UNRESOLVABLE = ["http://xn--/", "http://a..example.com/", f"http://{'a' * 64}.example.com/"]
FLOW_URLS = UNSPLITTABLE + UNRESOLVABLE
OFFER = {"displayMode": "Modal", "layoutMode": "LeftText", "title": "Sale"}
IMAGE = "https://cdn.example.com/sale.png"
TEMPLATE = {"name": "Sale", "mediaType": "contentOffer", "state": "Active"}
#: (method, route, body with HOLE for the URL, the field the 400 names, the URLs to try).
URL_FIELDS: list[tuple[str, str, dict[str, Any], str, list[str]]] = [
    (
        "POST",
        "/api/v2/journey/actiontemplates",
        {**TEMPLATE, "contentOffer": {**OFFER, "imageUrl": HOLE}},
        "contentOffer.imageUrl",
        UNSPLITTABLE,
    ),
    (
        "POST",
        "/api/v2/journey/actiontemplates",
        {
            **TEMPLATE,
            "contentOffer": {**OFFER, "imageUrl": IMAGE, "callToAction": {"url": HOLE}},
        },
        "contentOffer.callToAction.url",
        UNSPLITTABLE,
    ),
    (
        "PATCH",
        "/api/v2/journey/actiontemplates/{template}",
        {"version": 1, "contentOffer": {"imageUrl": HOLE}},
        "contentOffer.imageUrl",
        UNSPLITTABLE,
    ),
    (
        "PATCH",
        "/api/v2/journey/actiontemplates/{template}",
        {"version": 1, "contentOffer": {"callToAction": {"url": HOLE}}},
        "contentOffer.callToAction.url",
        UNSPLITTABLE,
    ),
    ("POST", "/api/v2/flows", {"name": "Hook", "url": HOLE}, "url", FLOW_URLS),
    ("PUT", "/api/v2/flows/{flow}", {"name": "Hook", "url": HOLE}, "url", FLOW_URLS),
    ("PATCH", "/api/v2/flows/{flow}", {"url": HOLE}, "url", FLOW_URLS),
]


@pytest.mark.parametrize(
    ("method", "route", "body", "field", "urls"),
    URL_FIELDS,
    ids=[f"{m} {r} {f}" for m, r, _, f, _ in URL_FIELDS],
)
def test_a_url_the_parsers_refuse_is_a_400_naming_its_field(
    api: Api, method: str, route: str, body: dict[str, Any], field: str, urls: list[str]
) -> None:
    """Every URL field of a definition or a flow: ``urlsplit``'s ``ValueError``, an IDNA error
    or the resolver's ``UnicodeError`` is a 400 naming the field, not a 500."""
    offer = {**OFFER, "imageUrl": IMAGE}
    template = api.post("/api/v2/journey/actiontemplates", {**TEMPLATE, "contentOffer": offer})
    flow = api.post("/api/v2/flows", {"name": "Hook", "url": "https://93.184.216.34/in"})
    assert template.status_code == flow.status_code == 200, (template.text, flow.text)
    path = route.format(template=template.json()["id"], flow=flow.json()["id"])
    headers = {**api.headers, "Content-Type": "application/json"}
    for url in urls:
        raw = json.dumps(body).replace(json.dumps(HOLE), json.dumps(url)).encode()
        answer = api.client.request(method, path, content=raw, headers=headers)
        assert answer.status_code == 400, f"{url}: {answer.status_code} {answer.text}"
        assert answer.json()["details"] == [{"fieldName": field}], f"{url}: {answer.text}"
