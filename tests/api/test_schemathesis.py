"""schemathesis against the published contract (issue 10): a real uvicorn server over a real
store, as ``journeyline serve`` runs it, its own ``GET /api/v2/docs/openapi.json`` as the
schema, an admin token, the deployment's write key and the client's id and secret as its
security schemes say. Every operation is called with generated requests, valid and not
(schemathesis's examples, coverage and fuzzing phases); no answer may be a 5xx, and each must
be one the contract declares: its status, its content type, its body's schema; a request the
schema forbids is not a 2xx, and one it allows is taken (but for the refusals no schema can
state, each named with its reason in ``REFUSALS_NO_SCHEMA_STATES``).

The store is seeded first (a call, a web visit, a contact, one of each definition, a flow), and
path parameters take those ids most of the time, so that requests reach past the 404.

Bounded and deterministic: a fixed seed, no example database, ``JOURNEYLINE_FUZZ_EXAMPLES``
examples an operation in the fuzzing phase (5 unless told; docs/api.md, *The OpenAPI contract*,
says how to run a longer one)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.schemas import OpenApiSchema

from builders import answered, page_pattern, web_event
from conftest import make_client, serve
from journeyline.api.app import create_app
from journeyline.config import Settings

EXAMPLES = int(os.environ.get("JOURNEYLINE_FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("JOURNEYLINE_FUZZ_SEED", "20261203"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",  # a request the schema allows is accepted
    "negative_data_rejection",  # a request the schema forbids is not a 2xx
    "unsupported_method",  # a method the route lacks is a 405 with Allow
)
WEB_EVENTS = [
    f"POST /api/v2/journey/deployments/{{deploymentId}}/{k}" for k in ("webevents", "appevents")
]
COLLECTOR = [
    f"POST /v1/{call}" for call in ("batch", "track", "page", "screen", "identify", "alias")
]
#: In ``REFUSALS_NO_SCHEMA_STATES``: a refusal any operation with a JSON body may give.
ANY_BODY = "any operation with a body"
CLOCK = "relative to the server's clock: an event is at most an hour old, five minutes ahead"
#: The schema-valid requests the server may refuse (``positive_data_acceptance``): each is
#: (operation, the full message of its 400, as a regular expression) -> why no schema can say
#: it. The operation's description says the rule too. Nothing else is tolerated.
REFUSALS_NO_SCHEMA_STATES = {
    **{
        (operation, pattern): CLOCK
        for operation in WEB_EVENTS
        for pattern in (
            "createdDate: events older than one hour are rejected",
            "createdDate is in the future",
        )
    },
    **{
        (operation, pattern): CLOCK
        for operation in COLLECTOR
        for pattern in (
            "(timestamp|originalTimestamp|receivedAt): events older than one hour are rejected",
            "(timestamp|originalTimestamp|receivedAt) is in the future",
        )
    },
    **{
        (operation, "malformed gzip body: .*"): "the Content-Encoding header it declares says "
        "how the body is encoded; schemathesis sends a plain body with `gzip`"
        for operation in COLLECTOR
    },
    **{
        ("POST /api/v2/externalcontacts/identifierlookup", pattern): "an email or a phone "
        "number is checked by email-validator and phonenumbers, not by a pattern"
        for pattern in (
            r"identifier\.value: '.*' is not a phone number in E\.164 form \(\+countrycode\.\.\.\)",
            r"identifier\.value: '.*' is not a valid email address.*",
        )
    },
    **{
        (operation, r"url: .* flows post to public addresses only \(.*\)"): "what the URL's "
        "host resolves to is known only by resolving it"
        for operation in (
            "POST /api/v2/flows",
            "PUT /api/v2/flows/{flowId}",
            "PATCH /api/v2/flows/{flowId}",
        )
    },
    (ANY_BODY, r"(.+: )?Expected `int( \| null)?`, got `float`"): "JSON Schema's integer takes "
    "a number with a zero fraction (2.0); an integer of ours is written without one, as "
    "msgspec decodes it, and no schema can say so",
    (ANY_BODY, r"a string holds a NUL character \(\\u0000\): refused"): "every string of "
    "every body is refused with a NUL (ingest/nul.py, docs/api.md), a rule stated once for "
    "them all rather than as a pattern on each string; the collector's messages hold free JSON "
    "(context, properties, traits), where no schema could state it",
    **{
        (operation, f"no {what} with id .*"): "an action map names stored definitions and "
        "flows: whether one exists is the store's to say, and the seeded ones are few"
        for operation in (
            "POST /api/v2/journey/actionmaps",
            "PATCH /api/v2/journey/actionmaps/{definitionId}",
        )
        for what in ("segment", "action template", "flow")
    },
    ("POST /api/v2/journey/actionmaps", "endDate: must be after startDate"): "JSON Schema "
    "compares no two fields",
}
SHOP = "https://shop.example.com"
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
#: How often a path parameter takes a seeded id rather than a generated value.
KNOWN = 0.7


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


def _seed(http: httpx.Client) -> dict[str, list[str]]:
    """One of everything, by the API; the ids, by path parameter name."""
    for path, entry in (("routing/queues", "q-sales"), ("routing/wrapupcodes", "wc-sale")):
        _ok(http.post(f"/api/v2/{path}", json={"name": "Sales", "id": entry}))
    _ok(http.post("/api/v2/users", json={"name": "Ann", "id": "u-ann"}))
    call = answered("conv-1").user_end(200, "u-ann").customer_end(200, "PEER")
    call = call.acw(210, "u-ann", "wc-sale")
    intake = _ok(http.post("/api/v2/journey/conversationevents", json=call.wire))
    shop = _ok(
        http.post(
            "/api/v2/webdeployments/deployments",
            json={"name": "Shop", "allowedDomains": ["shop.example.com"]},
        )
    )
    visit = _ok(
        http.post(
            f"/api/v2/journey/deployments/{shop['id']}/webevents",
            json=web_event(COOKIE, 0, url=f"{SHOP}/product", now_ms=int(time.time() * 1000)),
            headers={"Origin": SHOP},
        )
    )
    contact = _ok(
        http.post(
            "/api/v2/externalcontacts/contacts",
            json={"firstName": "Ann", "workEmail": "ann@example.com"},
        )
    )
    pattern = page_pattern("/p")
    journey = {"patterns": [pattern]}
    segment = _ok(
        http.post("/api/v2/journey/segments", json={"displayName": "Seen", "journey": journey})
    )
    outcome = _ok(
        http.post("/api/v2/journey/outcomes", json={"displayName": "Bought", "journey": journey})
    )
    offer = {"displayMode": "Modal", "layoutMode": "TextOnly", "headline": "10% off"}
    template = _ok(
        http.post(
            "/api/v2/journey/actiontemplates",
            json={"name": "10%", "mediaType": "contentOffer", "contentOffer": offer},
        )
    )
    condition = {k: v for k, v in pattern.items() if k != "count" and k != "criteria"}
    action_map = _ok(
        http.post(
            "/api/v2/journey/actionmaps",
            json={
                "displayName": "Offer",
                "triggerWithEventConditions": [
                    {**condition, "key": "page.url", "values": ["/p"], "operator": "containsAny"}
                ],
                "action": {"mediaType": "contentOffer", "actionTemplate": {"id": template["id"]}},
            },
        )
    )
    flow = _ok(http.post("/api/v2/flows", json={"name": "Orders", "url": "https://example.com/"}))
    return {
        "contactId": [contact["id"]],
        "flowId": [flow["id"]],
        "definitionId": [segment["id"], outcome["id"], template["id"], action_map["id"]],
        "deploymentId": [shop["id"]],
        "customerCookieId": [COOKIE],
        "sessionId": [intake["entities"][0]["session"]["id"], visit["session"]["id"]],
        "entryId": ["q-sales", "wc-sale"],
        "userId": ["u-ann"],
        "writeKey": [shop["writeKey"]],
    }


@pytest.fixture
def contract(settings: Settings) -> Iterator[OpenApiSchema]:
    """The published schema of a real server over a seeded store, with the credentials each
    security scheme takes."""
    client_id, secret = make_client(settings.store_url)
    with (
        serve(create_app(settings), settings=settings) as base_url,
        httpx.Client(base_url=base_url) as http,
    ):
        minted = http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        token = _ok(minted)["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        known = _seed(http)
        write_key = known.pop("writeKey")[0]
        config: dict[str, Any] = {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Origin": SHOP},
            "auth": {
                "openapi": {
                    "bearer": {"bearer": token},
                    "client": {"username": client_id, "password": secret},
                    "writeKey": {"username": write_key, "password": ""},
                }
            },
            "dictionaries": {name: {"values": ids} for name, ids in known.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": KNOWN} for name in known
            },
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
        yield schemathesis.openapi.from_url(
            f"{base_url}/api/v2/docs/openapi.json", config=schemathesis.Config.from_dict(config)
        )


def _tolerated(label: str, check: str, response: Any) -> bool:
    """Whether a failed check is a refusal ``REFUSALS_NO_SCHEMA_STATES`` names."""
    if check != "positive_data_acceptance" or response is None or response.status_code != 400:
        return False
    try:
        message = response.json()["message"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(
        operation in (label, ANY_BODY) and re.fullmatch(pattern, message)
        for operation, pattern in REFUSALS_NO_SCHEMA_STATES
    )


def _failed_checks(event: events.ScenarioFinished) -> Iterator[str]:
    """Each failed check of a scenario: what failed, how to repeat it, what the server said."""
    for case_id, checks in event.recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            response = event.recorder.interactions[case_id].response
            if _tolerated(event.recorder.label, check.name, response):
                continue
            answer = "no answer" if response is None else str(response.status_code)
            if response is not None:
                answer += f" {response.content[:300]!r}"
            yield (
                f"{event.recorder.label}: {check.name}: {failure.title}\n{failure.message}\n"
                f"{check.failure_info.code_sample[:600]}\n-> {answer}"
            )


def test_every_operation_answers_generated_requests_as_the_contract_says(
    contract: OpenApiSchema,
) -> None:
    failures: list[str] = []
    called: set[str] = set()
    for event in from_schema(contract).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.recorder.interactions:
                called.add(event.recorder.label)
            failures.extend(_failed_checks(event))
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            failures.extend(f"after the run: {f.title}: {f.message}" for f in event.failures)
    assert not failures, "\n\n".join(failures)
    paths = contract.raw_schema["paths"]
    every = {f"{method.upper()} {path}" for path, item in paths.items() for method in item}
    assert every - called == {"GET /api/v2/docs/openapi.json"}  # the schema itself is not fuzzed
