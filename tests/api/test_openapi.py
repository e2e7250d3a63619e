"""The OpenAPI contract (issue 10) through the real app: ``GET /api/v2/docs/openapi.json`` is a
valid OpenAPI 3.1 document, public and cacheable, made from the routes' declarations; every
route the contract covers is in it with each of its methods (a route added without a
declaration fails here); the page at ``/api/v2/docs`` lists it; and real answers of every
operation — a scenario that calls each one — match the schema the document declares for their
status."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import jsonschema
import pytest
import referencing
import referencing.jsonschema
from openapi_spec_validator import validate as validate_spec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from builders import answered, page_pattern, web_event
from conftest import Api, FakeClock, bearer, flows_api, make_client
from flow_receiver import running_receiver
from journeyline.api import openapi
from journeyline.api.app import create_app
from journeyline.api.contract import Operation, declare
from journeyline.config import Settings
from journeyline.model.flows import Delivery
from journeyline.store import open_store

DOCS = "/api/v2/docs/openapi.json"
URI = "urn:journeyline:openapi"
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
SHOP = "https://shop.example.com"
ORIGIN = {"Origin": SHOP}


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Contract:
    """Checks each answer the client receives against the document: the schema of its
    operation's status (or ``default``), for its media type; records what was checked."""

    doc: dict[str, Any]
    routes: list[Route]
    checked: set[tuple[str, str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        resource = referencing.Resource.from_contents(
            self.doc, default_specification=referencing.jsonschema.DRAFT202012
        )
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            URI, resource
        )

    def template(self, method: str, path: str) -> str:
        scope = {"type": "http", "path": path, "method": method}
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return route.path_format
        raise AssertionError(f"no route of the contract answers {method} {path}")

    def check(self, response: httpx2.Response) -> None:
        response.read()
        method, status = response.request.method, response.status_code
        path = self.template(method, response.request.url.path)
        answers = self.doc["paths"][path][method.lower()]["responses"]
        key = str(status) if str(status) in answers else "default"
        where = f"{method} {response.request.url} {status}"
        content = answers[key].get("content")
        if content is None:
            assert response.content == b"", f"{where}: a body the contract does not declare"
        else:
            media = response.headers["content-type"].split(";")[0]
            assert media in content, f"{where}: {media} is not declared"
            if media == "application/json":
                pointer = _pointer("paths", path, method.lower(), "responses", key)
                schema = {"$ref": f"{URI}#{pointer}{_pointer('content', media, 'schema')}"}
                validator = jsonschema.Draft202012Validator(
                    schema,
                    registry=self.registry,
                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
                )
                errors = [
                    f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validator.iter_errors(response.json())
                ]
                assert not errors, f"{where}: {errors}\n{response.text}"
        self.checked.add((method, path, status))


def _contract(api: Api) -> Contract:
    response = api.client.get(DOCS)
    assert response.status_code == 200, response.text
    routes = openapi.contract_routes(api.client.app.routes)  # type: ignore[attr-defined]
    contract = Contract(response.json(), routes)
    api.client.event_hooks["response"].append(contract.check)
    return contract


@pytest.fixture
def checked(store_url: str, clock: FakeClock) -> Iterator[tuple[Api, Contract]]:
    """The app (flows may post to 127.0.0.1) with an admin token; every answer it gives the
    test is checked against its document."""
    with flows_api(store_url, clock, flows_allow_private=True) as api:
        yield api, _contract(api)


# -- the document -----------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1_public_and_cacheable(api: Api) -> None:
    response = api.client.get(DOCS)  # no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=300"
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    validate_spec(doc)
    etag = response.headers["etag"]
    again = api.client.get(DOCS, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)


def _operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def _routed(routes: list[Any]) -> set[tuple[str, str]]:
    return {
        (method, route.path_format)
        for route in openapi.contract_routes(routes)
        for method in openapi.methods_of(route)
    }


def test_every_route_of_the_contract_is_in_the_document_with_its_methods(
    settings: Settings,
) -> None:
    app = create_app(settings)
    doc = openapi.document(app.routes)
    routed = _routed(app.routes)
    assert len(routed) > 80
    assert {("GET", "/api/v2/journey/sessions/{sessionId}"), ("POST", "/v1/batch")} <= routed
    missing = sorted(routed - _operations(doc))
    assert not missing, f"routes without a declared operation (api/contract.py): {missing}"
    assert not sorted(_operations(doc) - routed), "operations of no route"
    assert not any(path.startswith(("/desktop", "/demo")) or path == "/" for _, path in routed)


async def _undeclared(request: Request) -> Response:
    return Response()


def test_a_route_without_a_declaration_is_missing_from_the_document(settings: Settings) -> None:
    """What makes the test above fail: the route is in the app, not in its document."""
    routes = [*create_app(settings).routes, Route("/api/v2/new", _undeclared, methods=["POST"])]
    assert ("POST", "/api/v2/new") in _routed(routes) - _operations(openapi.document(routes))


def test_a_declaration_of_a_method_the_route_does_not_answer_is_an_error(
    settings: Settings,
) -> None:
    handler = declare(Operation("PUT", "a put", {204: None}, auth="none"))(_undeclared)
    with pytest.raises(ValueError, match="PUT /api/v2/new is declared, but not routed"):
        openapi.document([Route("/api/v2/new", handler, methods=["POST"])])


def test_genesys_shapes_are_named_and_our_extensions_marked(api: Api) -> None:
    doc = api.client.get(DOCS).json()
    schemas = doc["components"]["schemas"]
    assert {"Session", "EventListing", "ErrorBody", "WebEventRequest", "JourneySegment"} <= set(
        schemas
    )
    session = schemas["Session"]["properties"]
    assert session["startTrigger"]["x-journeyline-extension"] is True
    assert "x-journeyline-extension" not in session["conversation"]
    assert "startTrigger" not in schemas["Session"]["required"]  # left out when it has no value
    assert schemas["Session"]["additionalProperties"] is False
    paths = doc["paths"]
    assert paths["/api/v2/journey/sessions"]["get"]["x-journeyline-extension"] is True
    assert "x-journeyline-extension" not in paths["/api/v2/journey/sessions/{sessionId}"]["get"]
    read = paths["/api/v2/journey/sessions/{sessionId}"]["get"]
    assert read["security"] == [{"bearer": ["journey:read"]}]
    ping = paths["/api/v2/journey/deployments/{deploymentId}/customers/{customerCookieId}/ping"]
    assert ping["get"]["security"] == []


def test_the_page_lists_every_operation_and_schema_without_scripts(api: Api) -> None:
    response = api.client.get("/api/v2/docs")  # no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script" not in policy
    assert "<script" not in response.text
    doc = api.client.get(DOCS).json()
    for path, item in doc["paths"].items():
        for op in item.values():
            assert f'id="{op["operationId"]}"' in response.text
            assert f"<code>{path}</code>" in response.text
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in response.text
    assert 'href="#schema-Session"' in response.text
    [style] = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy  # the page's one style is allowed
    again = api.client.get("/api/v2/docs", headers={"If-None-Match": response.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


# -- real answers against the declared schemas ------------------------------------------------


SESSION = {
    "id": "s-1",
    "type": "conversation",
    "createdDate": "2026-11-24T09:46:40.000Z",
    "durationInSeconds": 3,
    "eventCount": 1,
    "selfUri": "/api/v2/journey/sessions/s-1",
}


@pytest.mark.parametrize(
    ("answer", "fault"),
    [
        ({k: v for k, v in SESSION.items() if k != "id"}, "'id' is a required property"),
        ({**SESSION, "color": "blue"}, "Additional properties are not allowed"),
        ({**SESSION, "startTrigger": None}, "startTrigger: None is not of type 'string'"),
        ({**SESSION, "createdDate": "yesterday"}, "createdDate: 'yesterday' is not a 'date-time'"),
        ({**SESSION, "lastConnectedQueue": {"id": "q"}}, "'selfUri' is a required property"),
    ],
)
def test_an_answer_unlike_its_schema_fails_the_check(
    settings: Settings, answer: dict[str, Any], fault: str
) -> None:
    routes = create_app(settings).routes
    contract = Contract(openapi.document(routes), openapi.contract_routes(routes))
    request = httpx2.Request("GET", "http://testserver/api/v2/journey/sessions/s-1")
    contract.check(httpx2.Response(200, json=SESSION, request=request))
    with pytest.raises(AssertionError, match=re.escape(fault)):
        contract.check(httpx2.Response(200, json=answer, request=request))
    empty = httpx2.Response(
        204, request=httpx2.Request("DELETE", "http://testserver/api/v2/users/u")
    )
    contract.check(empty)
    with pytest.raises(AssertionError, match="a body the contract does not declare"):
        contract.check(httpx2.Response(204, json={}, request=empty.request))


def _ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    json = response.headers.get("content-type", "").startswith("application/json")
    return response.json() if json else None


def _patch(api: Api, path: str, body: Any) -> httpx2.Response:
    return api.client.patch(path, json=body, headers=api.headers)


def _service_and_docs(api: Api) -> None:
    _ok(api.client.get("/health"))
    _ok(api.client.get("/ready"))
    _ok(api.client.get("/metrics"))
    _ok(api.client.get("/api/v2/docs"))
    _ok(api.client.get(DOCS))
    _ok(api.client.get("/journeyline.js"))
    _ok(api.client.get("/journeyline-offers.js"))
    credentials = make_client(api.store_url, "ingest")
    form = {"grant_type": "client_credentials"}
    _ok(api.client.post("/oauth/token", data=form, auth=credentials))
    _ok(api.client.post("/oauth/token", data={"grant_type": "password"}, auth=credentials), 400)
    _ok(api.client.post("/oauth/token", data=form, auth=("nobody", "wrong")), 401)
    ingest = bearer(api.client, credentials)
    _ok(api.client.get("/api/v2/journey/sessions"), 401)
    _ok(api.client.get("/api/v2/journey/sessions", headers=ingest), 403)


def _directory(api: Api) -> None:
    for path, entry_id in (("routing/queues", "q-sales"), ("routing/wrapupcodes", "wc-sale")):
        base = f"/api/v2/{path}"
        _ok(api.post(base, {"name": "Sales", "id": entry_id}))
        other = _ok(api.post(base, {"name": "Other"}))
        _ok(api.get(base, params={"pageSize": 1}))
        _ok(api.get(f"{base}/{entry_id}"))
        _ok(api.put(f"{base}/{entry_id}", {"name": "Sales"}))
        _ok(api.get(f"{base}/nothing"), 404)
    _ok(api.post("/api/v2/users", {"name": "Ann", "id": "u-ann"}))
    account = {
        "name": "Bo",
        "email": "bo@example.com",
        "password": "a long password",
        "role": "admin",
    }
    bo = _ok(api.post("/api/v2/users", account))
    _ok(api.get("/api/v2/users"))
    _ok(api.get("/api/v2/users/u-ann"))
    _ok(api.put(f"/api/v2/users/{bo['id']}", {"name": "Bo B", "role": "supervisor"}))
    _ok(api.delete(f"/api/v2/users/{bo['id']}"), 204)
    _ok(api.post("/api/v2/users", {"name": "Cy", "role": "boss", "email": "c@example.com"}), 400)
    _ok(api.delete("/api/v2/routing/wrapupcodes/wc-other"), 404)
    _ok(api.delete(f"/api/v2/routing/wrapupcodes/{other['id']}"), 204)


def _conversations(api: Api) -> str:
    events = "/api/v2/journey/conversationevents"
    call = answered("conv-1").user_end(200, "u-ann").customer_end(200, "PEER")
    call = call.acw(210, "u-ann", "wc-sale")
    intake = _ok(api.post(events, [*call.wire, {"topicName": "nonsense"}]), 202)
    _ok(api.post(events, call.wire[0]), 202)  # a duplicate
    _ok(api.post(events, [{"eventBody": {}}]), 400)
    _ok(api.post(events, b"not JSON"), 400)
    session_id = str(intake["entities"][0]["session"]["id"])
    base = f"/api/v2/journey/sessions/{session_id}"
    _ok(api.get("/api/v2/journey/sessions", params={"pageSize": 1}))
    _ok(api.get("/api/v2/journey/sessions", params={"conversationId": "conv-1"}))
    _ok(api.get(base))
    _ok(api.get(f"{base}/card"))
    _ok(api.get(f"{base}/events", params={"pageSize": 2}))
    _ok(api.get(f"{base}/events", params={"eventType": "nothing"}), 400)
    _ok(api.get("/api/v2/journey/sessions/nothing"), 404)
    return session_id


def _pattern(path: str) -> dict[str, Any]:
    return page_pattern(path)


def _definitions(api: Api) -> dict[str, str]:
    """One of each kind, listed, read, changed; a content offer on /product pages."""
    content = {"displayMode": "Modal", "layoutMode": "TextOnly", "headline": "10% off today"}
    bodies = {
        "segments": {"displayName": "Product viewers", "journey": {"patterns": [_pattern("/p")]}},
        "outcomes": {"displayName": "Bought", "journey": {"patterns": [_pattern("/thanks")]}},
        "actiontemplates": {"name": "10%", "mediaType": "contentOffer", "contentOffer": content},
    }
    ids = {
        kind: str(_ok(api.post(f"/api/v2/journey/{kind}", b))["id"]) for kind, b in bodies.items()
    }
    condition = {
        "key": "page.url",
        "values": ["/product"],
        "operator": "containsAny",
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }
    action_map = {
        "displayName": "Offer on products",
        "triggerWithEventConditions": [condition],
        "action": {"mediaType": "contentOffer", "actionTemplate": {"id": ids["actiontemplates"]}},
    }
    ids["actionmaps"] = str(_ok(api.post("/api/v2/journey/actionmaps", action_map))["id"])
    vip = {"displayName": "VIP", "scope": "Customer", "journey": {"patterns": [_pattern("/x")]}}
    ids["customer"] = str(_ok(api.post("/api/v2/journey/segments", vip))["id"])
    for kind in ("segments", "outcomes", "actionmaps", "actiontemplates"):
        base = f"/api/v2/journey/{kind}"
        _ok(api.get(base, params={"pageSize": 1, "sortBy": "-createdDate"}))
        one = _ok(api.get(f"{base}/{ids[kind]}"))
        _ok(_patch(api, f"{base}/{ids[kind]}", {"version": one["version"], "isActive": True}))
    _ok(_patch(api, f"/api/v2/journey/outcomes/{ids['outcomes']}", {"version": 1}), 409)
    _ok(api.post("/api/v2/journey/segments", {"displayName": ""}), 400)
    return ids


def _web(api: Api) -> tuple[str, str]:
    """A deployment, a visitor's page views and an app event, the offer's ping and report."""
    created = _ok(
        api.post(
            "/api/v2/webdeployments/deployments",
            {"name": "Shop", "allowedDomains": ["shop.example.com"]},
        )
    )
    d = str(created["id"])
    base = f"/api/v2/webdeployments/deployments/{d}"
    _ok(api.get("/api/v2/webdeployments/deployments"))
    _ok(api.get(base))
    _ok(api.post(f"{base}/identifysecret", {}))
    _ok(
        api.put(
            base,
            {"name": "Shop", "allowedDomains": ["shop.example.com"], "description": "The shop"},
        )
    )
    browser = f"/api/v2/journey/deployments/{d}"
    now = api.clock()
    page = web_event(
        COOKIE,
        0,
        url=f"{SHOP}/product?utm_source=news",
        now_ms=now,
        referrerUrl="https://www.google.com/search?q=linen",
    )
    viewed = _ok(api.client.post(f"{browser}/webevents", json=page, headers=ORIGIN))
    session_id = str(viewed["session"]["id"])
    thanks = web_event(COOKIE, 1, url=f"{SHOP}/thanks", now_ms=now, searchQuery="linen")
    _ok(api.client.post(f"{browser}/webevents", json=thanks, headers=ORIGIN))
    app_event = {
        "customerCookieId": COOKIE,
        "eventName": "screen_viewed",
        "createdDate": page["createdDate"],
        "screenName": "Home",
        "app": {"name": "Shop"},
    }
    _ok(api.client.post(f"{browser}/appevents", json=app_event, headers=ORIGIN))
    _ok(api.client.post(f"{browser}/webevents", json={"eventName": "x"}, headers=ORIGIN), 400)
    _ok(
        api.client.options(
            f"{browser}/webevents", headers={**ORIGIN, "Access-Control-Request-Method": "POST"}
        ),
        204,
    )
    _ok(api.client.options(f"{browser}/webevents", headers={"Origin": "https://evil.example"}), 403)
    ping = f"{browser}/customers/{COOKIE}/ping"
    [offer] = _ok(api.client.get(ping, params={"dl": f"{SHOP}/product"}, headers=ORIGIN))["actions"]
    report = {"sessionId": session_id, "actionId": offer["id"], "actionState": "offered"}
    _ok(api.client.post(f"{browser}/actionevent", json=report, headers=ORIGIN), 204)
    _ok(
        api.client.post(f"{browser}/actionevent", json={**report, "actionId": "x"}, headers=ORIGIN),
        404,
    )
    sessions = _ok(api.get("/api/v2/journey/sessions"))["entities"]
    for session in sessions:
        _ok(api.get(f"/api/v2/journey/sessions/{session['id']}/card"))
        _ok(api.get(f"/api/v2/journey/sessions/{session['id']}/events"))
    return d, session_id


def _contacts(api: Api, web_session: str, customer_segment: str) -> None:
    base = "/api/v2/externalcontacts"
    fields = {
        "firstName": "Ann",
        "lastName": "Lee",
        "workEmail": "ann@example.com",
        "cellPhone": {"e164": "+15551585963"},
    }
    ann = str(_ok(api.post(f"{base}/contacts", fields))["id"])
    other = str(_ok(api.post(f"{base}/contacts", {"firstName": "Al"}))["id"])
    _ok(api.get(f"{base}/contacts", params={"pageSize": 1}))
    _ok(api.get(f"{base}/contacts/{ann}"))
    _ok(api.put(f"{base}/contacts/{ann}", {**fields, "title": "Buyer"}))
    _ok(api.get(f"{base}/contacts/{ann}/identifiers"))
    claim = {"operation": "Claim", "identifier": {"type": "Phone", "value": "+15551585963"}}
    _ok(_patch(api, f"{base}/contacts/{ann}/identifiers", claim))
    _ok(api.post(f"{base}/identifierlookup", {"type": "Email", "value": "ann@example.com"}))
    _ok(api.put(f"/api/v2/journey/sessions/{web_session}/externalcontact", {"id": ann}))
    _ok(api.get(f"{base}/contacts/{ann}/journey/sessions", params={"includeMerged": "true"}))
    segments = f"{base}/contacts/{ann}/journey/segments"
    _ok(api.post(segments, {"assign": {"segments": [{"id": customer_segment}, {"id": "nothing"}]}}))
    _ok(api.get(segments, params={"includeMerged": "true", "limit": 10}))
    merged = str(_ok(api.post(f"{base}/merge/contacts", {"contactIds": [ann, other]}))["id"])
    _ok(api.post(f"{base}/contacts/merge", {"contactIds": [merged]}), 400)
    pair = [str(_ok(api.post(f"{base}/contacts", {"firstName": n}))["id"]) for n in "CD"]
    _ok(api.post(f"{base}/contacts/merge", {"contactIds": pair}))
    _ok(api.post(f"{base}/contacts/{merged}/unmerge", {}))
    _ok(api.get(f"{base}/contacts/{ann}/audits"))
    _ok(api.get(f"{base}/contacts/{ann}"))
    _ok(api.delete(f"{base}/contacts/{other}"), 204)


def _flows(api: Api, store_url: str, clock: FakeClock, url: str) -> None:
    flow = _ok(api.post("/api/v2/flows", {"name": "Orders", "url": url, "description": "orders"}))
    base = f"/api/v2/flows/{flow['id']}"
    _ok(api.get("/api/v2/flows", params={"pageSize": 1}))
    _ok(api.get(base))
    _ok(_patch(api, base, {"description": "all orders"}))
    _ok(api.put(base, {"name": "Orders", "url": url}))
    _ok(api.post(f"{base}/secret", {}))
    store = open_store(store_url)
    try:
        with store.transaction():
            store.outbox_put(
                Delivery(
                    "msg_1",
                    flow["id"],
                    b'{"order": 1}',
                    clock() - 9000,
                    clock(),
                    12,
                    "dead",
                    500,
                    "HTTP 500",
                    clock(),
                )
            )
    finally:
        store.close()
    _ok(api.get("/api/v2/flows/deadletters"))
    _ok(api.post("/api/v2/flows/deadletters/msg_1/replay", {}))
    _ok(api.post("/api/v2/flows/deadletters/nothing/replay", {}), 404)
    _ok(api.post("/api/v2/flows", {"name": "No url"}), 400)


def _clients(api: Api) -> None:
    """OAuth clients made, read, changed, given a new secret, their tokens revoked, deleted;
    a token revoking itself."""
    base = "/api/v2/oauth/clients"
    made = _ok(api.post(base, {"name": "CRM", "description": "sync", "role": "agent"}))
    one = f"{base}/{made['id']}"
    _ok(api.get(base, params={"pageSize": 1}))
    _ok(api.get(one))
    _ok(api.put(one, {"name": "CRM", "state": "disabled"}))
    _ok(api.post(f"{one}/secret", {}))
    _ok(api.delete(f"{one}/tokens"), 204)
    _ok(api.post(base, {"name": "CRM", "role": "root"}), 400)
    _ok(api.delete(one), 204)
    _ok(api.get(one), 404)
    mine = bearer(api.client, make_client(api.store_url, "ingest"))
    _ok(api.client.delete("/api/v2/tokens/me", headers=mine), 204)
    _ok(api.client.delete("/api/v2/tokens/me", headers=mine), 401)


def _collector(api: Api, deployment_id: str) -> None:
    key = _ok(api.get(f"/api/v2/webdeployments/deployments/{deployment_id}"))["writeKey"]
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    track = {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": "visitor-1",
        "messageId": "m-1",
        "properties": {"total": 12},
    }
    _ok(api.client.post("/v1/track", json=track, headers=auth))
    batch = {"batch": [{**track, "messageId": "m-2"}, {"type": "group", "anonymousId": "v"}]}
    _ok(api.client.post("/v1/batch", json=batch, headers=auth))
    _ok(api.client.post("/v1/page", json={"type": "page"}, headers=auth), 400)
    _ok(
        api.client.post(
            "/v1/identify",
            json={"userId": "u-1", "traits": {"email": "u@example.com"}},
            headers=auth,
        )
    )
    _ok(
        api.client.post(
            "/v1/alias", json={"userId": "u-1", "previousId": "visitor-1"}, headers=auth
        )
    )
    _ok(api.client.post("/v1/screen", json={"anonymousId": "v", "name": "Home"}, headers=auth), 400)
    page = {"anonymousId": "v", "properties": {"url": f"{SHOP}/", "title": "Shop"}}
    _ok(api.client.post("/v1/page", json=page, headers=auth))
    _ok(api.client.post("/v1/screen", json={**page, "name": "Home"}, headers=auth))
    _ok(api.client.post("/v1/track", json=track), 401)
    for call in ("batch", "track", "page", "screen", "identify", "alias"):
        _ok(api.client.options(f"/v1/{call}", headers=ORIGIN), 204)


def test_every_operation_answers_as_its_schema_says(
    checked: tuple[Api, Contract], store_url: str, clock: FakeClock
) -> None:
    api, contract = checked
    _service_and_docs(api)
    _directory(api)
    _conversations(api)
    ids = _definitions(api)
    deployment_id, web_session = _web(api)
    _contacts(api, web_session, ids["customer"])
    with running_receiver() as receiver:
        _flows(api, store_url, clock, receiver.url)
    _clients(api)
    _collector(api, deployment_id)
    _ok(api.delete(f"/api/v2/journey/actionmaps/{ids['actionmaps']}"), 204)
    for kind in ("segments", "outcomes", "actiontemplates"):
        _ok(api.delete(f"/api/v2/journey/{kind}/{ids[kind]}"), 204)
    _ok(api.delete(f"/api/v2/webdeployments/deployments/{deployment_id}"), 204)
    _ok(api.delete("/api/v2/routing/queues/q-sales"), 204)
    _ok(api.delete("/api/v2/flows/" + str(_ok(api.get("/api/v2/flows"))["entities"][0]["id"])), 204)

    succeeded = {(method, path) for method, path, status in contract.checked if status < 400}
    unchecked = sorted(_operations(contract.doc) - succeeded)
    assert not unchecked, f"operations no answer of this test checked: {unchecked}"
    failures = {status for _, _, status in contract.checked if status >= 400}
    assert {400, 401, 403, 404, 409} <= failures


@pytest.mark.parametrize(
    ("schema", "field", "stated"),
    [
        ("EntryBody", "name", {"minLength": 1, "maxLength": 256, "pattern": r"\S"}),
        ("EntryBody", "id", {"pattern": r"^[A-Za-z0-9\-._~:@]{1,256}$"}),
        ("DeploymentBody", "name", {"minLength": 1, "maxLength": 256}),
        ("DeploymentBody", "id", {"pattern": r"^[A-Za-z0-9\-._~:@]{1,256}$"}),
        ("UserBody", "id", {"pattern": r"^[A-Za-z0-9\-._~:@]{1,256}$"}),
        ("IdentifierBody", "type", {"enum": ["Cookie", "Email", "Phone", "ExternalId"]}),
        ("MergeBody", "contactIds", {"minItems": 2, "maxItems": 25, "uniqueItems": True}),
        ("IdentifierBody", "value", {"maxLength": 255, "pattern": r"\S"}),
        ("ActionEventRequest", "actionId", {"minLength": 1, "maxLength": 256}),
        ("FlowBody", "name", {"minLength": 1, "maxLength": 256, "pattern": r"\S"}),
    ],
)
def test_a_request_body_states_the_bounds_its_handler_checks(
    api: Api, schema: str, field: str, stated: dict[str, Any]
) -> None:
    """Found by schemathesis (``positive_data_acceptance``): bodies the schema allowed, the
    handler refused. The handler keeps its own check and message; the schema says it too."""
    found = api.client.get(DOCS).json()["components"]["schemas"][schema]["properties"][field]
    found = next((s for s in found.get("anyOf", []) if s.get("type") == "string"), found)
    assert {k: found.get(k) for k in stated} == stated


def test_the_event_intake_states_its_array_bounds(api: Api) -> None:
    body = api.client.get(DOCS).json()["paths"]["/api/v2/journey/conversationevents"]["post"]
    [array] = [
        s
        for s in body["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
        if s.get("type") == "array"
    ]
    assert (array["minItems"], array["maxItems"]) == (1, 1000)


def test_rules_across_fields_are_in_the_schema(api: Api) -> None:
    """A Struct's ``__json_schema__`` joins its component (``allOf``), beside its fields."""
    schemas = api.client.get(DOCS).json()["components"]["schemas"]
    outcome = schemas["OutcomeBody"]
    assert "displayName" in outcome["properties"]
    assert [rule["required"] for rule in outcome["allOf"][0]["anyOf"]] == [["context"], ["journey"]]
    alias = schemas["SegmentAlias"]["allOf"][0]["allOf"]
    assert [rule["required"] for rule in alias] == [["previousId"], ["userId"]]


def test_a_declared_path_parameter_has_its_schema(api: Api) -> None:
    path = "/api/v2/journey/deployments/{deploymentId}/customers/{customerCookieId}/ping"
    parameters = api.client.get(DOCS).json()["paths"][path]["get"]["parameters"]
    found = {p["name"]: (p["in"], p["required"], p["schema"]) for p in parameters[:2]}
    assert found == {
        "deploymentId": ("path", True, {"type": "string"}),
        "customerCookieId": ("path", True, {"format": "uuid", "type": "string"}),
    }
