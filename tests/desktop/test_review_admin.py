"""Review of the admin screens through the real server (tests/desktop/conftest.py): each role
signed in with httpx as a browser is, every admin route, hostile input, the API's side."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop.conftest import PASSWORD, USERS, DesktopServer

ADMIN = "/desktop/admin"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
Open = Callable[..., httpx.Client]


@pytest.fixture
def signed_in(desktop: DesktopServer) -> Iterator[Open]:
    """``signed_in(role, headers={})``: an httpx client signed in through the form."""
    clients: list[httpx.Client] = []

    def open_one(role: str, headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(base_url=desktop.base_url, timeout=10, headers=headers or {})
        clients.append(client)
        form = client.get("/desktop/signin").text
        [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form)
        fields = {"email": USERS[role][1], "password": PASSWORD, "csrf_token": token}
        assert client.post("/desktop/signin", data=fields).status_code == 303
        return client

    yield open_one
    for client in clients:
        client.close()


def csrf_of(client: httpx.Client) -> str:
    [token] = set(re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/desktop/now").text))
    return str(token)


def post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    return client.post(path, data={**data, "csrf_token": csrf_of(client)})


def test_an_admin_cannot_delete_themselves_from_the_directorys_agents(
    desktop: DesktopServer, signed_in: Open
) -> None:
    """The Users screen refuses it; the directory's Agents screen must too, or the only admin
    can delete their own account (and sign-in) with one click."""
    admin = signed_in("admin")
    me = desktop.users["admin"]
    refused = post(admin, f"{ADMIN}/directory/agents/{me}/delete", {})
    assert refused.status_code == 409, refused.status_code
    assert admin.get(ADMIN).status_code == 200  # still signed in
    with desktop.api() as api:
        found = api.get(f"/api/v2/users/{me}")
    assert found.status_code == 200
    assert found.json()["role"] == "admin"
