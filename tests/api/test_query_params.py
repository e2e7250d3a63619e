"""A query parameter given twice is a 400 naming it (issue 10: ``?after=a&after=b`` took the last
one silently), on every declared parameter of every operation of the real app, and only once
the caller is known: without a credential it is the 401 as before."""

from __future__ import annotations

import re
import uuid

import pytest

from conftest import Api, deployment
from journeyline.api.app import create_app
from journeyline.api.openapi import declared_operations
from journeyline.config import Settings

COOKIE = str(uuid.uuid4())


def _query_params() -> list[tuple[str, str, str, str]]:
    app = create_app(Settings(store_url="sqlite:///:memory:"))
    return [
        (op.method, route.path, param.name, op.auth)
        for route, op in declared_operations(app.routes)
        for param in op.params
        if param.location == "query"
    ]


CASES = _query_params()


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
    headers = dict(api.headers)
    if auth == "deployment":
        shop = deployment(api)
        headers = {"Origin": "https://shop.example.com"}
        path = path.replace("{deploymentId}", shop["id"])
    url = re.sub(r"\{[^}]+\}", COOKIE, path)
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
