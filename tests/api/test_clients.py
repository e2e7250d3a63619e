"""The OAuth client API (issue 10, secrets and tokens) through the real app and store: create
(the secret in that answer only, and it mints), list and read (never a secret), change the name,
description, role and state (a role change and a disabled client hold at once for the tokens
already out), a new secret (the old one mints no more), delete (its tokens die), revoke all of
a client's tokens; only admins; bad bodies a 400 naming the field, unknown clients a 404."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from conftest import Api, bearer, make_client
from journeyline.store import open_store

BASE = "/api/v2/oauth/clients"
SESSIONS = "/api/v2/journey/sessions"
FORM = {"grant_type": "client_credentials"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def create(api: Api, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = _ok(api.post(BASE, {"name": "Dialer", **body}))
    return made


def mint(api: Api, client_id: str, secret: str) -> Any:
    return api.client.post("/oauth/token", data=FORM, auth=(client_id, secret))


def token_of(api: Api, made: dict[str, Any]) -> dict[str, str]:
    return bearer(api.client, (made["id"], made["secret"]))


def test_a_client_is_created_with_its_secret_shown_once(api: Api) -> None:
    made = create(api, description="the dialer", role="agent")
    assert made["secret"]
    assert made["authorizedGrantType"] == "CLIENT-CREDENTIALS"
    assert (made["name"], made["description"], made["role"], made["state"]) == (
        "Dialer",
        "the dialer",
        "agent",
        "active",
    )
    assert made["selfUri"] == f"{BASE}/{made['id']}"
    assert made["accessTokenValiditySeconds"] == 86400
    assert made["dateCreated"] == made["dateModified"]
    agent = token_of(api, made)  # the secret shown is the client's
    assert api.client.get(SESSIONS, headers=agent).status_code == 200

    one = _ok(api.get(f"{BASE}/{made['id']}"))
    listed = _ok(api.get(BASE))
    assert "secret" not in one
    assert one == {k: v for k, v in made.items() if k != "secret"}
    assert made["secret"] not in api.get(BASE).text
    assert [c["name"] for c in listed["entities"]] == ["Dialer", "test-admin"]  # by name
    assert all("secret" not in c for c in listed["entities"])
    store = open_store(api.store_url)
    try:  # only the secret's SHA-256 is kept
        kept = store.client_get(made["id"])
    finally:
        store.close()
    assert kept is not None
    assert kept.secret_hash == hashlib.sha256(made["secret"].encode()).hexdigest()


def test_the_role_is_ingest_unless_given_and_clients_are_paged(api: Api) -> None:
    made = create(api, authorizedGrantType="CLIENT-CREDENTIALS", roleIds=["ignored"])
    assert made["role"] == "ingest"
    create(api, name="Another")
    page = _ok(api.get(BASE, params={"pageSize": 2, "pageNumber": 2}))
    assert (page["total"], page["pageCount"], page["pageNumber"]) == (3, 2, 2)
    assert [c["name"] for c in page["entities"]] == ["test-admin"]
    assert "nextUri" not in page


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "name: required field is missing"),
        ({"name": "  "}, "name", "name must be 1 to 256 characters"),
        ({"name": "x" * 257}, "name", "name must be 1 to 256 characters"),
        ({"name": "D", "role": "root"}, "role", "unknown role 'root'"),
        ({"name": "D", "state": "inactive"}, "state", "state must be one of: active, disabled"),
        ({"name": "D", "authorizedGrantType": "CODE"}, "authorizedGrantType", "CLIENT-CREDENTIALS"),
        ({"name": "D", "description": "x" * 1025}, "description", "at most 1024 characters"),
        ({"name": 7}, "name", "name: Expected `str`, got `int`"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(
    api: Api, body: dict[str, Any], field: str, message: str
) -> None:
    before = _ok(api.get(BASE))["total"]
    for response in (api.post(BASE, body), api.put(f"{BASE}/{create(api)['id']}", body)):
        error = _ok(response, 400)
        assert message in error["message"], error
        assert error["code"] == "bad.request"
    assert _ok(api.get(BASE))["total"] == before + 1  # the one PUT to, nothing else


def test_a_change_of_role_holds_at_once_for_the_tokens_out(api: Api) -> None:
    made = create(api, role="agent")
    token = token_of(api, made)
    assert api.client.get(SESSIONS, headers=token).status_code == 200  # cached now
    api.clock.advance(1)
    changed = _ok(api.put(f"{BASE}/{made['id']}", {"name": "Dialer 2", "role": "ingest"}))
    assert (changed["name"], changed["role"], changed["state"]) == ("Dialer 2", "ingest", "active")
    assert "description" not in changed  # a PUT replaces it
    assert changed["dateModified"] > changed["dateCreated"]
    refused = api.client.get(SESSIONS, headers=token)
    assert refused.status_code == 403, refused.text  # the same token, its new role
    assert _ok(api.get(f"{BASE}/{made['id']}")) == changed


def test_a_disabled_client_mints_nothing_and_its_tokens_are_refused_at_once(api: Api) -> None:
    made = create(api, role="agent")
    token = token_of(api, made)
    assert api.client.get(SESSIONS, headers=token).status_code == 200
    disabled = _ok(api.put(f"{BASE}/{made['id']}", {"name": "Dialer", "state": "disabled"}))
    assert (disabled["state"], disabled["role"]) == ("disabled", "agent")  # the role kept
    refused = api.client.get(SESSIONS, headers=token)
    assert refused.status_code == 401, refused.text
    minted = mint(api, made["id"], made["secret"])
    assert minted.status_code == 401
    assert minted.json() == {"error": "invalid_client", "description": "the client is disabled"}
    enabled = _ok(api.put(f"{BASE}/{made['id']}", {"name": "Dialer", "state": "active"}))
    assert enabled["state"] == "active"
    assert api.client.get(SESSIONS, headers=token).status_code == 401  # revoked, not suspended
    assert api.client.get(SESSIONS, headers=token_of(api, made)).status_code == 200


def test_a_new_secret_replaces_the_old_one(api: Api) -> None:
    made = create(api, role="agent")
    token = token_of(api, made)
    rotated = _ok(api.post(f"{BASE}/{made['id']}/secret", {}))
    assert rotated["secret"] != made["secret"]
    assert {k: v for k, v in rotated.items() if k not in ("secret", "dateModified")} == {
        k: v for k, v in made.items() if k not in ("secret", "dateModified")
    }
    assert mint(api, made["id"], made["secret"]).status_code == 401
    assert mint(api, made["id"], rotated["secret"]).status_code == 200
    assert api.client.get(SESSIONS, headers=token).status_code == 200  # minted before: kept
    assert "secret" not in _ok(api.get(f"{BASE}/{made['id']}"))


def test_a_deleted_client_takes_its_tokens_with_it(api: Api) -> None:
    made = create(api, role="agent")
    token = token_of(api, made)
    assert api.client.get(SESSIONS, headers=token).status_code == 200
    _ok(api.delete(f"{BASE}/{made['id']}"), 204)
    assert api.client.get(SESSIONS, headers=token).status_code == 401
    assert mint(api, made["id"], made["secret"]).status_code == 401
    for response in (api.get(f"{BASE}/{made['id']}"), api.delete(f"{BASE}/{made['id']}")):
        assert _ok(response, 404)["message"] == f"no OAuth client with id {made['id']}"


def test_an_admin_revokes_every_token_of_a_client(api: Api) -> None:
    made = create(api, role="agent")
    tokens = [token_of(api, made) for _ in range(3)]
    other = token_of(api, create(api, name="Other", role="agent"))
    for token in [*tokens, other]:
        assert api.client.get(SESSIONS, headers=token).status_code == 200
    _ok(api.delete(f"{BASE}/{made['id']}/tokens"), 204)
    assert [api.client.get(SESSIONS, headers=t).status_code for t in tokens] == [401] * 3
    assert api.client.get(SESSIONS, headers=other).status_code == 200
    assert api.client.get(SESSIONS, headers=token_of(api, made)).status_code == 200  # mints anew


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing"),
        ("PUT", "/nothing"),
        ("DELETE", "/nothing"),
        ("POST", "/nothing/secret"),
        ("DELETE", "/nothing/tokens"),
    ],
)
def test_an_unknown_client_is_a_404(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, BASE + path, json={"name": "X"}, headers=api.headers)
    assert response.status_code == 404, response.text
    assert response.json()["message"] == "no OAuth client with id nothing"


@pytest.mark.parametrize("role", ["supervisor", "agent", "ingest"])
def test_only_admins_manage_clients(api: Api, role: str) -> None:
    made = create(api)
    who = bearer(api.client, make_client(api.store_url, role))
    calls = [
        ("GET", BASE),
        ("POST", BASE),
        ("GET", f"{BASE}/{made['id']}"),
        ("PUT", f"{BASE}/{made['id']}"),
        ("DELETE", f"{BASE}/{made['id']}"),
        ("POST", f"{BASE}/{made['id']}/secret"),
        ("DELETE", f"{BASE}/{made['id']}/tokens"),
    ]
    for method, path in calls:
        response = api.client.request(method, path, json={"name": "Mine"}, headers=who)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "missing.permissions"
    assert mint(api, made["id"], made["secret"]).status_code == 200  # nothing changed
    assert [c["name"] for c in _ok(api.get(BASE))["entities"]] == [
        "Dialer",
        "test-admin",
        f"test-{role}",
    ]
