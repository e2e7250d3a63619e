"""A query parameter given twice is a 400 naming it (issue 10: ``?after=a&after=b`` took the last
one silently), on every declared parameter of every operation of the real app, and only once
the caller is known: without a credential it is the 401 as before. So is a parameter the
operation does not declare (``?conversationID=`` listed every session, unfiltered), on every
operation but the public ones (``auth="none"``: scripts, documents, probes, preflights), which
answer as without it (``journeyline.js?v=3``)."""

from __future__ import annotations

import re
import uuid

import pytest

from conftest import Api, deployment
from journeyline.api.app import create_app
from journeyline.api.openapi import declared_operations
from journeyline.config import Settings

COOKIE = str(uuid.uuid4())


def _operations() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(method, path, auth, its query parameters) of every declared operation."""
    app = create_app(Settings(store_url="sqlite:///:memory:"))
    return [
        (op.method, route.path, op.auth, tuple(p.name for p in op.params if p.location == "query"))
        for route, op in declared_operations(app.routes)
    ]


OPERATIONS = _operations()
CASES = [(m, path, name, auth) for m, path, auth, names in OPERATIONS for name in names]
CHECKED = [(m, path, auth) for m, path, auth, _ in OPERATIONS if auth != "none"]
PUBLIC = [(m, path) for m, path, auth, _ in OPERATIONS if auth == "none"]


def _request(api: Api, path: str, auth: str) -> tuple[str, dict[str, str]]:
    """The operation's URL (path parameters filled in) and the headers its auth takes."""
    headers = dict(api.headers)
    if auth == "deployment":
        shop = deployment(api)
        headers = {"Origin": "https://shop.example.com"}
        path = path.replace("{deploymentId}", shop["id"])
    return re.sub(r"\{[^}]+\}", COOKIE, path), headers


def test_the_table_holds_the_parameters_that_matter() -> None:
    named = {(path, name) for _, path, name, _ in CASES}
    assert ("/api/v2/journey/sessions", "after") in named
    ping = "/api/v2/journey/deployments/{deploymentId}/customers/{customerCookieId}/ping"
    assert (ping, "dl") in named
    assert len(CASES) >= 40


@pytest.mark.parametrize(("method", "path", "name", "auth"), CASES)
def test_a_parameter_given_twice_is_a_400_naming_it(
    api: Api, method: str, path: str, name: str, auth: str
) -> None:
    url, headers = _request(api, path, auth)
    answer = api.client.request(method, url, params=[(name, "1"), (name, "2")], headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [{"fieldName": name}]
    assert "more than once" in answer.json()["message"]
    if auth == "bearer":
        anonymous = api.client.request(method, url, params=[(name, "1"), (name, "2")])
        assert anonymous.status_code == 401, anonymous.text


def test_a_parameter_given_once_is_read_as_before(api: Api) -> None:
    answer = api.get("/api/v2/journey/sessions", params={"pageSize": "2"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["entities"] == []


@pytest.mark.parametrize("raw", [" 1", "1 ", "1_0", "٣", "+1", "1.0", "0x10", "9" * 13])
def test_an_integer_parameter_is_ascii_digits_only(api: Api, raw: str) -> None:
    """``int()`` would take each of these (or overflow the store's integers)."""
    answer = api.get("/api/v2/journey/sessions", params={"pageSize": raw})
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [{"fieldName": "pageSize"}]


def test_every_operation_is_walked() -> None:
    assert len(CHECKED) >= 90
    assert ("GET", "/api/v2/journey/sessions", "bearer") in CHECKED
    assert ("POST", "/v1/batch", "write-key") in CHECKED
    assert ("POST", "/oauth/token", "client") in CHECKED
    assert ("GET", "/journeyline.js") in PUBLIC


@pytest.mark.parametrize(("method", "path", "auth"), CHECKED)
def test_a_parameter_the_operation_does_not_declare_is_a_400_naming_it(
    api: Api, method: str, path: str, auth: str
) -> None:
    """``conversationID`` for ``conversationId``: a 400 naming it and the ones there are, not
    an answer that looks filtered and is not."""
    url, headers = _request(api, path, auth)
    answer = api.client.request(method, url, params={"conversationID": "c1"}, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [{"fieldName": "conversationID"}]
    assert "conversationID is not a parameter of" in answer.json()["message"]
    if auth == "bearer":
        anonymous = api.client.request(method, url, params={"conversationID": "c1"})
        assert anonymous.status_code == 401, anonymous.text


def test_the_listing_names_the_parameters_it_takes(api: Api) -> None:
    answer = api.get("/api/v2/journey/sessions", params={"conversationID": "c1"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"] == (
        "conversationID is not a parameter of GET /api/v2/journey/sessions"
        " (it takes pageSize, after, conversationId)"
    )


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_a_public_operation_answers_an_unknown_parameter_as_without_it(
    api: Api, method: str, path: str
) -> None:
    url, _ = _request(api, path, "none")
    plain = api.client.request(method, url)
    busted = api.client.request(method, url, params={"v": "3"})
    assert busted.status_code == plain.status_code, busted.text


def test_the_ping_takes_the_genesys_parameters_it_ignores(api: Api) -> None:
    """A Genesys tracker's ``sessionId``, ``appNamespace`` and ``sinceLastBeaconMilliseconds``
    (docs/offers.md: ignored) are declared, so its ping is answered."""
    url, headers = _request(
        api, "/api/v2/journey/deployments/{deploymentId}/customers/{c}/ping", "deployment"
    )
    params = {
        "dl": "https://shop.example.com/",
        "sessionId": "s1",
        "appNamespace": "shop",
        "sinceLastBeaconMilliseconds": "5000",
    }
    answer = api.client.get(url, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["actions"] == []
