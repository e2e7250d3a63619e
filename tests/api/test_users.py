"""``/api/v2/users``: directory users, and the accounts they sign in with (Genesys' CreateUser
body plus our ``role``), through the real app and a real SQLite file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from argon2 import PasswordHasher

from conftest import Api, bearer, make_client
from journeyline.store import Store

PATH = "/api/v2/users"
PASSWORD = "correct horse battery staple"
ANN = {"name": "Ann Agent", "email": "Ann@Example.com", "password": PASSWORD}


def created(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(PATH, body)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def as_role(api: Api, role: str) -> Api:
    """The same app, with a token of an OAuth client of ``role``."""
    return Api(
        api.client, bearer(api.client, make_client(api.store_url, role)), api.store_url, api.clock
    )


def test_a_user_with_a_password_is_an_account_that_never_shows_it(api: Api, store: Store) -> None:
    user = created(api, {**ANN, "role": "supervisor", "department": "Sales", "title": "Lead"})
    assert set(user) == {"id", "name", "email", "role", "dateModified", "selfUri"}
    assert (user["email"], user["role"]) == ("ann@example.com", "supervisor")
    account = store.account_get(user["id"])
    assert account is not None
    assert account.password_hash is not None
    assert account.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(account.password_hash, PASSWORD)
    answers = [
        api.get(f"{PATH}/{user['id']}"),
        api.get(PATH),
        api.put(f"{PATH}/{user['id']}", {"name": "Ann B", "password": "another long one"}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert PASSWORD not in answer.text
        assert "argon2" not in answer.text
        assert "password" not in answer.text
    assert answers[0].json() == user
    [listed] = answers[1].json()["entities"]
    assert (listed["email"], listed["role"]) == ("ann@example.com", "supervisor")


def test_a_user_without_an_email_is_a_directory_entry(api: Api, store: Store) -> None:
    user = created(api, {"name": "Bob"})
    assert "email" not in user
    assert store.account_get(user["id"]) is None
    with_email = created(api, {"name": "Cy", "email": "cy@example.com"})  # cannot sign in
    assert with_email["role"] == "agent"
    account = store.account_get(with_email["id"])
    assert account is not None
    assert account.password_hash is None


def test_an_existing_directory_user_gets_an_account(api: Api, store: Store) -> None:
    created(api, {"id": "agent-42", "name": "Ann"})  # as a contact centre names its agents
    updated = api.put(
        f"{PATH}/agent-42", {"name": "Ann", "email": "ann@example.com", "password": PASSWORD}
    )
    assert updated.json()["email"] == "ann@example.com"
    assert store.account_get("agent-42") is not None


def test_an_email_is_one_users(api: Api) -> None:
    first = created(api, ANN)
    again = api.post(PATH, {**ANN, "email": "ANN@example.com"})
    assert again.status_code == 409
    assert again.json()["details"] == [{"fieldName": "email"}]
    other = created(api, {"name": "Bob", "email": "bob@example.com"})
    taken = api.put(f"{PATH}/{other['id']}", {"name": "Bob", "email": "ann@example.com"})
    assert taken.status_code == 409
    assert (
        api.put(f"{PATH}/{first['id']}", {"name": "Ann", "email": "ann@example.com"}).status_code
        == 200
    )
    assert api.delete(f"{PATH}/{first['id']}").status_code == 204
    assert api.post(PATH, ANN).status_code == 200  # free again


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": 5}, "name"),
        ({"name": "A", "email": "not an email", "password": PASSWORD}, "email"),
        ({"name": "A", "email": ["a@example.com"]}, "email"),
        ({"name": "A", "email": "a@" + "x" * 300 + ".com"}, "email"),
        ({"name": "A", "email": "a@example.com", "password": "too short"}, "password"),
        ({"name": "A", "email": "a@example.com", "password": "x" * 1025}, "password"),
        ({"name": "A", "email": "a@example.com", "password": 123456789012345}, "password"),
        ({"name": "A", "password": PASSWORD}, "email"),  # who would sign in?
        ({"name": "A", "role": "admin"}, "email"),
        ({"name": "A", "email": "a@example.com", "role": "root"}, "role"),
        ({"name": "A", "email": "a@example.com", "role": ["admin"]}, "role"),
        ({"name": "A", "id": ""}, "id"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.post(PATH, body)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"fieldName": field}]
    assert PASSWORD not in response.text


@pytest.mark.parametrize("raw", [b"[]", b"{", b"null", b"[" * 5000 + b"]" * 5000])
def test_bodies_that_are_not_objects_are_400s(api: Api, raw: bytes) -> None:
    assert api.post(PATH, raw).status_code == 400


def test_a_huge_body_is_refused_before_it_is_read(api: Api) -> None:
    body = json.dumps({"name": "A", "email": "a@example.com", "password": "x" * 100_000})
    assert api.post(PATH, body.encode()).status_code == 413


def test_accounts_need_users_admin(api: Api) -> None:
    supervisor = as_role(api, "supervisor")
    agent = as_role(api, "agent")
    entry = created(supervisor, {"name": "Bob"})  # a directory entry: directory:write
    assert supervisor.put(f"{PATH}/{entry['id']}", {"name": "Bobby"}).status_code == 200
    for body in (
        {**ANN},
        {"name": "Cy", "email": "cy@example.com"},
        {"name": "Dee", "role": "agent"},
    ):
        refused = supervisor.post(PATH, body)
        assert refused.status_code == 403
        assert "users:admin" in refused.json()["message"]
    assert agent.post(PATH, {"name": "Eve"}).status_code == 403
    account = created(api, ANN)
    assert (
        supervisor.put(f"{PATH}/{account['id']}", {"name": "Ann", "role": "admin"}).status_code
        == 403
    )
    assert (
        supervisor.put(f"{PATH}/{account['id']}", {"name": "Ann", "password": "x" * 20}).status_code
        == 403
    )
    assert supervisor.delete(f"{PATH}/{account['id']}").status_code == 403  # it has an account
    assert supervisor.delete(f"{PATH}/{entry['id']}").status_code == 204
    assert agent.get(f"{PATH}/{account['id']}").json()["role"] == "agent"


def test_deleting_a_user_deletes_the_account(api: Api, store: Store) -> None:
    user = created(api, ANN)
    assert api.delete(f"{PATH}/{user['id']}").status_code == 204
    assert store.account_get(user["id"]) is None
    assert api.get(f"{PATH}/{user['id']}").status_code == 404
    assert api.delete(f"{PATH}/{user['id']}").status_code == 404
