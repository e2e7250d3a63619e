"""Browser routes take any header a browser (or anyone) sends: a malformed one is a 4xx."""

from __future__ import annotations

import pytest

from builders import COOKIE, web_event
from conftest import Api


@pytest.mark.parametrize("header", ["origin", "referer"])
@pytest.mark.parametrize("value", ["http://[", "http://[::1", "https://[bad]/x"])
def test_a_malformed_origin_or_referer_is_refused_not_a_500(
    api: Api, header: str, value: str
) -> None:
    shop = api.post(
        "/api/v2/webdeployments/deployments",
        {"name": "Shop", "allowedDomains": ["shop.example.com"]},
    ).json()["id"]
    events = f"/api/v2/journey/deployments/{shop}/webevents"
    posted = api.client.post(events, json=web_event(COOKIE, 0), headers={header: value})
    assert posted.status_code == 403, posted.text
    preflight = api.client.options(
        events, headers={header: value, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 403, preflight.text
    ping = api.client.get(
        f"/api/v2/journey/deployments/{shop}/customers/{COOKIE}/ping", headers={header: value}
    )
    assert ping.status_code == 403, ping.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/api/v2/journey/sessions", {"GET", "HEAD"}),
        ("DELETE", "/api/v2/externalcontacts/contacts", {"GET", "HEAD", "POST"}),
        ("PATCH", "/health", {"GET", "HEAD"}),
    ],
)
def test_a_method_a_route_does_not_answer_is_a_405_that_names_the_ones_it_does(
    api: Api, method: str, path: str, allowed: set[str]
) -> None:
    """RFC 9110: a 405 carries ``Allow`` (schemathesis's ``unsupported_method`` check found it
    dropped by the error handler)."""
    answer = api.client.request(method, path, headers=api.headers)
    assert answer.status_code == 405, answer.text
    assert answer.json()["code"] == "method.not.allowed"
    assert set(answer.headers["allow"].split(", ")) == allowed


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v2/flows/deadletters", "pageNumber=2&pageNumber=", "pageNumber"),
        ("/api/v2/externalcontacts/contacts", "pageSize=1&pageSize=2", "pageSize"),
        ("/api/v2/journey/segments", "sortBy=displayName&sortBy=-createdDate", "sortBy"),
        ("/api/v2/journey/segments", "isActive=true&isActive=false", "isActive"),
        ("/api/v2/flows", "pageSize=&pageNumber=1", "pageSize"),  # empty: no integer
        ("/api/v2/journey/sessions", "pageSize=", "pageSize"),
        ("/api/v2/journey/sessions", "conversationId=c&pageSize=true", "pageSize"),
    ],
)
def test_a_query_parameter_given_twice_or_empty_is_a_400_naming_it(
    api: Api, path: str, params: str, field: str
) -> None:
    """schemathesis: ``pageNumber`` given a dozen times was answered as if given once (the last
    one, an empty one: page 1)."""
    answer = api.client.get(f"{path}?{params}", headers=api.headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [{"fieldName": field}]
