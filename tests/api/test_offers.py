"""Web offers through the ASGI app and a real store: an action map fires on a page view, the
tracker's ping serves the offer (or does not: no ``dl``, other pages, other visitors, other
deployments, quiet sessions, finalised offers), ``actionevent`` reports its lifecycle (each
refusal, the transitions, duplicates), the session's journey shows it, and a rebuild decides
the same states."""

from __future__ import annotations

from typing import Any

import pytest

from builders import web_event
from conftest import Api
from journeyline.clock import iso
from journeyline.engine.replay import rebuild
from journeyline.model.effects import Cursor
from journeyline.store import open_store

COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
OTHER = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
ORIGIN = {"Origin": "https://shop.example.com"}
PRODUCT = "https://shop.example.com/product.html?sku=LL-100"
CART = "https://shop.example.com/cart.html"

CONTENT = {
    "displayMode": "Modal",
    "layoutMode": "TextOnly",
    "title": "Lumen & Loom",
    "headline": "10% off linen today",
    "body": "Use code LINEN10 at checkout.",
    "callToAction": {
        "text": "Shop linen",
        "url": "https://shop.example.com/sale",
        "target": "Self",
    },
}


def _page_viewed(path: str) -> dict[str, Any]:
    return {
        "key": "page.url",
        "values": [path],
        "operator": "containsAny",
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


def _deployment(api: Api, name: str = "Shop") -> str:
    body = {"name": name, "allowedDomains": ["shop.example.com"]}
    response = api.post("/api/v2/webdeployments/deployments", body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _content_offer_map(api: Api, **fields: Any) -> dict[str, Any]:
    template = api.post(
        "/api/v2/journey/actiontemplates",
        {"name": "Linen 10%", "mediaType": "contentOffer", "contentOffer": CONTENT},
    )
    assert template.status_code == 200, template.text
    body = {
        "displayName": "Linen lovers get 10% off",
        "triggerWithEventConditions": [_page_viewed("/product")],
        "action": {"mediaType": "contentOffer", "actionTemplate": {"id": template.json()["id"]}},
        **fields,
    }
    action_map = api.post("/api/v2/journey/actionmaps", body)
    assert action_map.status_code == 200, action_map.text
    found: dict[str, Any] = action_map.json()
    return found


def _messaging_offer_map(api: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "displayName": "Help at the cart",
        "triggerWithEventConditions": [_page_viewed("/cart")],
        "action": {
            "mediaType": "webMessagingOffer",
            "webMessagingOfferFields": {"offerText": "Questions about your order? Chat with us."},
        },
        **fields,
    }
    action_map = api.post("/api/v2/journey/actionmaps", body)
    assert action_map.status_code == 200, action_map.text
    found: dict[str, Any] = action_map.json()
    return found


def _visit(api: Api, deployment_id: str, url: str, cookie: str = COOKIE) -> str:
    """A page view now; the id of its web session."""
    body = web_event(cookie, 0, url=url, now_ms=api.clock())
    response = api.client.post(
        f"/api/v2/journey/deployments/{deployment_id}/webevents", json=body, headers=ORIGIN
    )
    assert response.status_code == 200, response.text
    return str(response.json()["session"]["id"])


def _ping(api: Api, deployment_id: str, url: str | None, cookie: str = COOKIE) -> list[Any]:
    params = {"dl": url, "dt": "Shop"} if url is not None else {}
    response = api.client.get(
        f"/api/v2/journey/deployments/{deployment_id}/customers/{cookie}/ping",
        params=params,
        headers=ORIGIN,
    )
    assert response.status_code == 200, response.text
    assert response.json()["pollIntervalMilliseconds"] == 10000
    actions: list[Any] = response.json()["actions"]
    return actions


def _report(api: Api, deployment_id: str, body: Any, **headers: str) -> Any:
    return api.client.post(
        f"/api/v2/journey/deployments/{deployment_id}/actionevent",
        json=body,
        headers={**ORIGIN, **headers},
    )


def _event(session_id: str, action_id: str, state: str, **fields: Any) -> dict[str, Any]:
    return {"sessionId": session_id, "actionId": action_id, "actionState": state, **fields}


def test_a_qualified_content_offer_is_served_as_a_deployment_web_action(api: Api) -> None:
    d = _deployment(api)
    action_map = _content_offer_map(api)
    session_id = _visit(api, d, PRODUCT)
    [offer] = _ping(api, d, PRODUCT)
    assert offer == {
        "id": offer["id"],
        "mediaType": "contentOffer",
        "customerId": COOKIE,
        "customerIdType": "cookie",
        "actionMapId": action_map["id"],
        "actionMapVersion": 1,
        "sessionId": session_id,
        "contentOfferProperties": CONTENT,
    }
    assert _ping(api, d, None) == []  # "pings without this parameter will not return actions"
    assert _ping(api, d, PRODUCT, cookie=OTHER) == []  # another visitor's
    other_deployment = _deployment(api, "Shop EU")
    assert _ping(api, other_deployment, PRODUCT) == []  # offered on another deployment
    assert _report(api, d, _event(session_id, offer["id"], "offered")).status_code == 204
    assert _ping(api, d, PRODUCT) == []  # shown already: served while qualified only


def test_a_messaging_offer_carries_its_text(api: Api) -> None:
    d = _deployment(api)
    action_map = _messaging_offer_map(api)
    _visit(api, d, CART)
    [offer] = _ping(api, d, CART)
    assert offer["mediaType"] == "webMessagingOffer"
    assert offer["actionMapId"] == action_map["id"]
    assert offer["webMessagingOfferProperties"] == {
        "offerText": "Questions about your order? Chat with us."
    }
    assert "contentOfferProperties" not in offer


def test_page_url_conditions_say_which_pages_show_an_offer(api: Api) -> None:
    d = _deployment(api)
    _content_offer_map(
        api, pageUrlConditions=[{"values": ["/cart", "/checkout"], "operator": "containsAny"}]
    )
    _visit(api, d, PRODUCT)
    assert _ping(api, d, PRODUCT) == []  # qualified on a product page, shown on the cart only
    assert len(_ping(api, d, CART)) == 1
    assert len(_ping(api, d, "https://shop.example.com/checkout/pay")) == 1


def test_an_offer_of_a_session_gone_quiet_is_not_served(api: Api) -> None:
    d = _deployment(api)
    _content_offer_map(api)
    _visit(api, d, PRODUCT)
    api.clock.advance(19 * 60)
    assert len(_ping(api, d, PRODUCT)) == 1
    api.clock.advance(2 * 60)  # 21 minutes without an event: the session is over
    assert _ping(api, d, PRODUCT) == []


def test_the_lifecycle_is_reported_on_the_action_and_the_journey(api: Api) -> None:
    d = _deployment(api)
    action_map = _content_offer_map(api)
    session_id = _visit(api, d, PRODUCT)
    [offer] = _ping(api, d, PRODUCT)
    created = api.clock()
    api.clock.advance(1)
    assert _report(api, d, _event(session_id, offer["id"], "offered")).status_code == 204
    api.clock.advance(4)
    accepted = _report(api, d, _event(session_id, offer["id"], "accepted"))
    assert accepted.status_code == 204
    again = _report(api, d, _event(session_id, offer["id"], "accepted"))
    assert again.status_code == 204  # the same state twice: applied once
    store = open_store(api.store_url)
    try:
        [action] = store.actions_of(session_id)
        assert (action.state, action.modified_ms) == ("accepted", created + 5000)
        changes = [
            e.effect
            for e in store.effects_after(Cursor(), limit=1000)
            if e.name == "action.changed"
        ]
    finally:
        store.close()
    assert [(c.before, c.state) for c in changes] == [  # type: ignore[union-attr]
        ("qualified", "offered"),
        ("offered", "accepted"),
    ]
    events = api.get(
        f"/api/v2/journey/sessions/{session_id}/events", params={"eventType": "WebActionEvent"}
    )
    assert events.status_code == 200, events.text
    found = [e["webActionEvent"] for e in events.json()["entities"]]
    assert [e["action"]["state"] for e in found] == ["offered", "accepted"]
    assert found[1] == {
        "action": {
            "id": offer["id"],
            "state": "accepted",
            "mediaType": "contentOffer",
            "prompt": "10% off linen today",
            "createdDate": iso(created),
        },
        "actionMap": {
            "id": action_map["id"],
            "version": 1,
            "displayName": "Linen lovers get 10% off",
        },
        "timeToDisposition": 4000,  # ms since it was offered
    }
    assert "timeToDisposition" not in found[0]  # offered is not a disposition


def test_an_error_is_kept_with_its_code_and_message(api: Api) -> None:
    d = _deployment(api)
    _content_offer_map(api)
    session_id = _visit(api, d, PRODUCT)
    [offer] = _ping(api, d, PRODUCT)
    body = _event(session_id, offer["id"], "errored", errorCode="render", errorMessage="no DOM")
    assert _report(api, d, body).status_code == 204
    events = api.get(f"/api/v2/journey/sessions/{session_id}/events")
    [event] = [e for e in events.json()["entities"] if e["eventType"] == "WebActionEvent"]
    assert event["webActionEvent"]["errorCode"] == "render"
    assert event["webActionEvent"]["errorMessage"] == "no DOM"
    assert _ping(api, d, PRODUCT) == []


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("unknown action", 404, "actionId"),
        ("another session", 400, "sessionId"),
        ("another deployment", 400, "deploymentId"),
        ("unknown state", 400, "actionState"),
        ("a state the server decides", 400, "actionState"),
        ("a final state changed", 409, "actionState"),
        ("a state that cannot follow", 409, "actionState"),
        ("no actionId", 400, "actionId"),
        ("an actionId too long", 400, "actionId"),
        ("an errorMessage too long", 400, "errorMessage"),
        ("malformed JSON", 400, None),
        ("unknown deployment", 404, "deploymentId"),
        ("another site", 403, None),
    ],
)
def test_action_event_refusals(api: Api, case: str, status: int, field: str | None) -> None:
    d = _deployment(api)
    other_deployment = _deployment(api, "Shop EU")
    _content_offer_map(api)
    session_id = _visit(api, d, PRODUCT)
    other_session = _visit(api, d, PRODUCT, cookie=OTHER)
    [offer] = _ping(api, d, PRODUCT)
    ok = _event(session_id, offer["id"], "offered")
    assert _report(api, d, ok).status_code == 204
    if case == "a final state changed":
        assert _report(api, d, _event(session_id, offer["id"], "rejected")).status_code == 204
    bodies: dict[str, Any] = {
        "unknown action": _event(session_id, "no-such-action", "offered"),
        "another session": _event(other_session, offer["id"], "accepted"),
        "another deployment": ok,
        "unknown state": _event(session_id, offer["id"], "clicked"),
        "a state the server decides": _event(session_id, offer["id"], "frequencyCapReached"),
        "a final state changed": _event(session_id, offer["id"], "accepted"),
        "a state that cannot follow": _event(session_id, offer["id"], "completed"),
        "no actionId": {"sessionId": session_id, "actionState": "accepted"},
        "an actionId too long": _event(session_id, "x" * 257, "accepted"),
        "an errorMessage too long": _event(
            session_id, offer["id"], "errored", errorMessage="x" * 4097
        ),
        "malformed JSON": None,
        "unknown deployment": ok,
        "another site": ok,
    }
    target = {"another deployment": other_deployment, "unknown deployment": "nope"}.get(case, d)
    headers = {"Origin": "https://evil.example.net"} if case == "another site" else {}
    if case == "malformed JSON":
        response = api.client.post(
            f"/api/v2/journey/deployments/{d}/actionevent", content=b"{", headers=ORIGIN
        )
    else:
        response = _report(api, target, bodies[case], **headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["status"] == status
    assert answer["code"]
    assert answer["message"]
    if field is not None:
        assert answer["details"] == [{"fieldName": field}], answer
    store = open_store(api.store_url)
    try:
        [action] = store.actions_of(session_id)
    finally:
        store.close()
    assert action.state == ("rejected" if case == "a final state changed" else "offered")


def test_a_rebuild_gives_the_same_states(api: Api) -> None:
    d = _deployment(api)
    _content_offer_map(api)
    _messaging_offer_map(api)
    session_id = _visit(api, d, PRODUCT)
    [content] = _ping(api, d, PRODUCT)
    for state in ("offered", "ignored"):
        api.clock.advance(1)
        assert _report(api, d, _event(session_id, content["id"], state)).status_code == 204
    api.clock.advance(2)
    _visit(api, d, CART)  # the content offer is over: the messaging offer may qualify now
    [messaging] = _ping(api, d, CART)
    assert messaging["mediaType"] == "webMessagingOffer"
    api.clock.advance(1)
    assert _report(api, d, _event(session_id, messaging["id"], "rejected")).status_code == 204
    store = open_store(api.store_url)
    try:
        before = store.snapshot()
        states = {a.id: a.state for a in store.actions_of(session_id)}
        assert states == {content["id"]: "ignored", messaging["id"]: "rejected"}
        rebuild(store, api.clock)
        assert store.snapshot() == before
        assert {a.id: a.state for a in store.actions_of(session_id)} == states
    finally:
        store.close()


def test_a_query_parameter_refused_on_a_browser_route_carries_its_cors_headers(api: Api) -> None:
    """The ping given a parameter twice, or one it does not take, is a 400 the page can read:
    with the CORS headers of the allowed origin (without them the browser shows a CORS error,
    not the answer); a refused origin still gets a 403 and no CORS headers."""
    d = _deployment(api)
    ping = f"/api/v2/journey/deployments/{d}/customers/{COOKIE}/ping"
    for query in ("?dl=a&dl=b", "?nope=1"):
        response = api.client.get(ping + query, headers=ORIGIN)
        assert response.status_code == 400, response.text
        assert response.headers["access-control-allow-origin"] == ORIGIN["Origin"]
        assert response.json()["status"] == 400
    event = f"/api/v2/journey/deployments/{d}/webevents?x=1"
    response = api.client.post(event, json=_page_viewed("/"), headers=ORIGIN)
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == ORIGIN["Origin"]
    evil = api.client.get(ping + "?nope=1", headers={"Origin": "https://evil.example.net"})
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers
