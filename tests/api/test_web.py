"""Web and app events through the ASGI app: deployments, intake, sessions, cards, CORS."""

from __future__ import annotations

from typing import Any

import pytest

from builders import T0, web_event
from conftest import Api, bearer, deployment, make_client, send
from journeyline.model.errors import InvalidInput

COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
OTHER = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"


def test_deployments_hold_a_snippet_and_a_write_key(api: Api) -> None:
    d = deployment(api, collectIpAddresses=False)
    assert d["snippet"] == (
        f'<script src="http://testserver/journeyline.js" data-deployment="{d["id"]}" async>'
        "</script>"
    )
    assert d["allowedDomains"] == ["shop.example.com"]
    assert d["collectIpAddresses"] is False
    assert len(d["writeKey"]) > 20
    path = f"/api/v2/webdeployments/deployments/{d['id']}"
    changed = api.put(path, {"name": "Shop EU", "allowAllDomains": True}).json()
    assert (changed["name"], changed["allowAllDomains"]) == ("Shop EU", True)
    assert [x["id"] for x in api.get("/api/v2/webdeployments/deployments").json()["entities"]] == [
        d["id"]
    ]
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    bad = api.post("/api/v2/webdeployments/deployments", {"name": "x", "allowedDomains": ["a b"]})
    assert bad.status_code == 400


def test_a_page_view_is_enriched_and_starts_a_session(api: Api) -> None:
    d = deployment(api)
    url = "https://shop.example.com/boots?utm_source=news&utm_medium=email&utm_campaign=spring"
    response = send(
        api, d["id"], web_event(COOKIE, 0, url=url, referrerUrl="https://www.google.com/")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customerId"] == COOKIE
    assert body["customerIdType"] == "cookie"
    assert body["page"]["pathname"] == "/boots"
    assert body["page"]["domain"] == "example.com"
    assert body["mktCampaign"] == {"name": "spring", "source": "news", "medium": "email"}
    assert body["referrer"]["medium"] == "email"  # the campaign says how they came
    assert body["browser"]["family"] == "Chrome"
    assert body["device"]["category"] == "desktop"
    assert body["session"]["eventCount"] == 1
    assert response.headers["access-control-allow-origin"] == "https://shop.example.com"
    session = api.get(f"/api/v2/journey/sessions/{body['session']['id']}").json()
    assert session["type"] == "web"
    assert session["pageviewCount"] == 1
    assert session["lastPage"]["url"] == url
    assert session["mktCampaign"]["name"] == "spring"


def test_sessions_split_after_twenty_minutes(api: Api) -> None:
    d = deployment(api)
    api.clock.now_ms = T0 + 3_000_000
    first = send(api, d["id"], web_event(COOKIE, 0)).json()["session"]["id"]
    same = send(api, d["id"], web_event(COOKIE, 1199, name="searched", searchQuery="boots"))
    assert same.json()["session"]["id"] == first
    later = send(api, d["id"], web_event(COOKIE, 1199 + 1200)).json()["session"]["id"]
    assert later != first
    session = api.get(f"/api/v2/journey/sessions/{first}").json()
    assert session["eventCount"] == 2
    assert session["searchTerms"] == ["boots"]
    assert session["durationInSeconds"] == 1199


def test_a_late_event_that_bridges_a_gap_merges_two_sessions(api: Api) -> None:
    d = deployment(api)
    api.clock.now_ms = T0 + 3_000_000
    a = send(api, d["id"], web_event(COOKIE, 0)).json()["session"]["id"]
    b = send(api, d["id"], web_event(COOKIE, 1500)).json()["session"]["id"]
    assert a != b
    bridge = send(api, d["id"], web_event(COOKIE, 750)).json()["session"]["id"]
    assert bridge == a
    assert api.get(f"/api/v2/journey/sessions/{b}").status_code == 404
    assert api.get(f"/api/v2/journey/sessions/{a}").json()["eventCount"] == 3


def test_the_same_event_twice_is_applied_once(api: Api) -> None:
    d = deployment(api)
    event = web_event(COOKIE, 0)
    first = send(api, d["id"], event).json()["session"]
    again = send(api, d["id"], event).json()["session"]
    assert again["id"] == first["id"]
    assert again["eventCount"] == 1


def test_web_card_and_events(api: Api) -> None:
    d = deployment(api)
    session_id = send(api, d["id"], web_event(COOKIE, 0)).json()["session"]["id"]
    send(api, d["id"], web_event(COOKIE, 10, name="searched", searchQuery="boots"))
    card = api.get(f"/api/v2/journey/sessions/{session_id}/card").json()
    assert card["customerName"] == "Unknown"
    assert (card["color"], card["status"], card["icon"]) == ("blue", "Active", "web")
    assert card["pageviewCount"] == 1
    assert card["searchTerms"] == ["boots"]
    assert card["currentPage"]["url"] == "https://shop.example.com/"
    send(
        api,
        d["id"],
        web_event(
            COOKIE,
            20,
            name="identified",
            traits={
                "givenName": {"dataType": "string", "value": "Ada"},
                "familyName": {"dataType": "string", "value": "Lovelace"},
            },
        ),
    )
    assert api.get(f"/api/v2/journey/sessions/{session_id}/card").json()["customerName"] == (
        "Ada Lovelace"
    )
    api.clock.advance(20 * 60 + 21)
    assert api.get(f"/api/v2/journey/sessions/{session_id}/card").json()["color"] == "gray"
    events = api.get(f"/api/v2/journey/sessions/{session_id}/events").json()["entities"]
    assert [e["webEvent"]["eventName"] for e in events] == ["page_viewed", "searched", "identified"]
    assert {e["eventType"] for e in events} == {"WebEvent"}


def test_app_events_make_app_sessions(api: Api) -> None:
    d = deployment(api)
    response = api.client.post(
        f"/api/v2/journey/deployments/{d['id']}/appevents",
        json={
            "customerCookieId": COOKIE,
            "eventName": "screen_viewed",
            "screenName": "home",
            "createdDate": web_event(COOKIE, 0)["createdDate"],
            "app": {"name": "Shop", "namespace": "com.example.shop", "version": "1.2"},
        },
    )
    assert response.status_code == 200, response.text
    session = api.get(f"/api/v2/journey/sessions/{response.json()['session']['id']}").json()
    assert (session["type"], session["lastScreen"], session["screenviewCount"]) == (
        "app",
        "home",
        1,
    )


BAD: list[tuple[dict[str, Any], str]] = [
    (web_event("not-a-uuid", 0), "customerCookieId"),
    (web_event(COOKIE, 0, name="page viewed!"), "eventName"),
    (web_event(COOKIE, -3601), "createdDate"),
    (web_event(COOKIE, 301), "createdDate"),
    (web_event(COOKIE, 0, url="ftp://x/"), "page.url"),
    (
        web_event(COOKIE, 0, traits={"email": {"dataType": "string", "value": "nope"}}),
        "traits.email",
    ),
    (web_event(COOKIE, 0, traits={"phone": {"dataType": "string", "value": "12"}}), "traits.phone"),
    (
        web_event(COOKIE, 0, attributes={"n": {"dataType": "integer", "value": "x"}}),
        "attributes.n.value",
    ),
    (
        web_event(COOKIE, 0, attributes={"n": {"dataType": "date", "value": "x"}}),
        "attributes.n.dataType",
    ),
    (
        web_event(
            COOKIE,
            0,
            attributes={f"a{i}": {"dataType": "string", "value": "v"} for i in range(101)},
        ),
        "attributes",
    ),
    ({"eventName": "x"}, "customerCookieId"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f for _, f in BAD])
def test_bad_web_events_are_400s_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    d = deployment(api)
    response = send(api, d["id"], body)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"fieldName": field}]


def test_a_number_too_large_for_a_float_is_a_400_and_not_a_crash_of_the_rules(
    api: Api,
) -> None:
    """A segment compares ``attributes.n`` as a number; a browser sends 10**400. It is refused
    naming the field. (Before, it was taken, and comparing it raised OverflowError in the
    writer: a 500, for it and every other input committed with it.) 2**53 still goes in."""
    d = deployment(api)
    criterion = {"key": "attributes.n", "values": ["5"], "operator": "greaterThan"}
    pattern = {"criteria": [criterion], "count": 1, "streamType": "Web", "sessionType": "web"}
    segment = {"displayName": "Big n", "journey": {"patterns": [pattern]}}
    assert api.post("/api/v2/journey/segments", segment).status_code == 200
    for kind in ("integer", "number"):
        attributes = {"n": {"dataType": kind, "value": 10**400}}
        response = send(api, d["id"], web_event(COOKIE, 0, attributes=attributes))
        assert response.status_code == 400, response.text
        assert response.json()["details"] == [{"fieldName": "attributes.n.value"}]
    attributes = {"n": {"dataType": "integer", "value": 2**53}}
    response = send(api, d["id"], web_event(COOKIE, 0, attributes=attributes))
    assert response.status_code == 200, response.text
    session = api.get(f"/api/v2/journey/sessions/{response.json()['session']['id']}").json()
    assert len(session["segmentAssignments"]) == 1


def test_origins_are_checked_against_the_deployment(api: Api) -> None:
    d = deployment(api)
    event = web_event(COOKIE, 0)
    assert send(api, d["id"], event, Origin="https://evil.example.net").status_code == 403
    assert send(api, d["id"], event, Origin="https://www.shop.example.com").status_code == 200
    assert send(api, "no-such-deployment", event).status_code == 404
    preflight = api.client.options(
        f"/api/v2/journey/deployments/{d['id']}/webevents",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    refused = api.client.options(
        f"/api/v2/journey/deployments/{d['id']}/webevents", headers={"Origin": "https://evil.net"}
    )
    assert refused.status_code == 403


def test_ping_answers_with_no_offers_yet(api: Api) -> None:
    d = deployment(api)
    ping = api.client.get(
        f"/api/v2/journey/deployments/{d['id']}/customers/{COOKIE}/ping",
        params={"dl": "https://shop.example.com/"},
    )
    assert ping.json() == {"pollIntervalMilliseconds": 10000, "actions": []}
    bad = api.client.get(f"/api/v2/journey/deployments/{d['id']}/customers/nope/ping")
    assert bad.status_code == 400


def test_the_home_page_points_a_newcomer_on(api: Api) -> None:
    home = api.client.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert 'href="/demo/"' in home.text


def test_the_web_session_timeout_is_a_setting(tmp_path: Any, clock: Any) -> None:
    from starlette.testclient import TestClient

    from journeyline.api.app import create_app
    from journeyline.config import Settings

    settings = Settings(
        store_url=f"sqlite:///{tmp_path / 'short.db'}", web_session_timeout_seconds=300
    )
    credentials = make_client(settings.store_url)
    clock.now_ms = T0 + 3_000_000
    with TestClient(create_app(settings, clock=clock)) as client:
        short = Api(client, bearer(client, credentials), settings.store_url, clock)
        d = deployment(short)
        first = send(short, d["id"], web_event(COOKIE, 0)).json()["session"]["id"]
        assert send(short, d["id"], web_event(COOKIE, 299)).json()["session"]["id"] == first
        later = send(short, d["id"], web_event(COOKIE, 299 + 300)).json()["session"]["id"]
        assert later != first
    with pytest.raises(InvalidInput, match="60 to 1800"):
        Settings(web_session_timeout_seconds=3600)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "null"}, 403),  # a sandboxed frame on any site
        ({"Origin": "null", "Referer": "https://shop.example.com/"}, 403),
        ({"Referer": "https://evil.example.net/page"}, 403),
        ({"Referer": "https://shop.example.com/page"}, 200),
        ({}, 200),  # not a browser: a server-side caller
    ],
)
def test_opaque_and_referer_origins(api: Api, headers: dict[str, str], status: int) -> None:
    d = deployment(api)
    response = api.client.post(
        f"/api/v2/journey/deployments/{d['id']}/webevents",
        json=web_event(COOKIE, 0),
        headers=headers,
    )
    assert response.status_code == status
    if status == 403:
        assert "access-control-allow-origin" not in response.headers


def test_refusals_carry_no_cors_grant(api: Api) -> None:
    d = deployment(api)
    refused = send(api, d["id"], web_event(COOKIE, 0), Origin="https://evil.example.net")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    invalid = send(api, d["id"], web_event("nope", 0))  # an allowed origin may read its error
    assert invalid.status_code == 400
    assert invalid.headers["access-control-allow-origin"] == "https://shop.example.com"


TEXT_VALUES = [
    # (dataType, value as sent, value as stored) — the text of a value of the declared type
    ("integer", "12", 12),  # Genesys's own example: quantity: {dataType: 'integer', value: '12'}
    ("integer", "-3", -3),
    ("integer", "9223372036854775807", 2**63 - 1),  # a BigInt, as the tracker sends it
    ("number", "15.99", 15.99),
    ("number", "7", 7),
    ("number", "1e3", 1000.0),
    ("number", "10000000000000000000", 1e19),  # past the 64-bit range: a number, not an integer
    ("boolean", "true", True),
    ("boolean", "false", False),
    ("string", "12", "12"),
]


@pytest.mark.parametrize(("kind", "sent", "stored"), TEXT_VALUES)
def test_a_typed_attribute_given_as_its_text_is_taken_as_its_type(
    api: Api, kind: str, sent: str, stored: object
) -> None:
    d = deployment(api)
    attributes = {"n": {"dataType": kind, "value": sent}}
    response = send(api, d["id"], web_event(COOKIE, 0, name="typed", attributes=attributes))
    assert response.status_code == 200, response.text
    session_id = response.json()["session"]["id"]
    [event] = api.get(f"/api/v2/journey/sessions/{session_id}/events").json()["entities"]
    assert event["webEvent"]["attributes"] == {"n": {"dataType": kind, "value": stored}}
    assert type(event["webEvent"]["attributes"]["n"]["value"]) is type(stored)


@pytest.mark.parametrize(
    ("kind", "sent"),
    [
        ("integer", "1.5"),
        ("integer", "12 apples"),
        ("integer", "9223372036854775808"),  # one past the 64-bit range
        ("integer", "0x10"),
        ("number", "NaN"),
        ("number", "1e999"),
        ("number", "15,99"),
        ("boolean", "yes"),
        ("boolean", "1"),
    ],
)
def test_a_typed_attributes_text_that_spells_no_such_value_is_a_400(
    api: Api, kind: str, sent: str
) -> None:
    d = deployment(api)
    attributes = {"n": {"dataType": kind, "value": sent}}
    response = send(api, d["id"], web_event(COOKIE, 0, attributes=attributes))
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"fieldName": "attributes.n.value"}]


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("phone", {"dataType": "integer", "value": "+33698765432"}),  # would be 33698765432
        ("cellPhone", {"dataType": "number", "value": 33698765432}),
        ("email", {"dataType": "boolean", "value": "true"}),
    ],
)
def test_an_email_or_phone_trait_of_another_type_than_string_is_a_400(
    api: Api, name: str, attribute: dict[str, Any]
) -> None:
    """An email or a phone is text: typed otherwise it would be stored as a number (the '+'
    lost) that makes no identifier and that an erasure does not scrub."""
    d = deployment(api)
    response = send(api, d["id"], web_event(COOKIE, 0, traits={name: attribute}))
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"fieldName": f"traits.{name}.dataType"}]


def test_a_number_attribute_past_the_64_bit_range_is_taken_as_a_float(api: Api) -> None:
    d = deployment(api)
    attributes = {"n": {"dataType": "number", "value": 2**64}}
    response = send(api, d["id"], web_event(COOKIE, 0, name="typed", attributes=attributes))
    assert response.status_code == 200, response.text
    session_id = response.json()["session"]["id"]
    [event] = api.get(f"/api/v2/journey/sessions/{session_id}/events").json()["entities"]
    assert event["webEvent"]["attributes"]["n"] == {"dataType": "number", "value": 2.0**64}
