"""Review of the admin screens through the real server (tests/desktop/conftest.py): each role
signed in with httpx as a browser is, every admin route, hostile input, the API's side."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop.conftest import PASSWORD, USERS, DesktopServer
from desktop.test_admin import CONDITIONS

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


def error_next_to(page: httpx.Response, input_id: str) -> str:
    """The error next to ``input_id``, which is aria-invalid and aria-describedby by it."""
    invalid = (
        rf'id="{input_id}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*{input_id}-error'
    )
    assert re.search(invalid, page.text), page.text
    found = re.search(rf'<p class="error" id="{input_id}-error">(.*?)</p>', page.text, re.S)
    assert found, page.text
    return " ".join(found[1].split())


def form_error(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', page.text, re.S)
    assert found, page.text
    return " ".join(found[1].split())


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


def test_the_french_admin_forms_say_what_is_wrong_in_french(
    desktop: DesktopServer, signed_in: Open
) -> None:
    """Next to the field, in French: never the API's English words on a French page (as the
    agent actions' refusals, tests/desktop/test_review_french.py)."""
    french = signed_in("admin", FRENCH)
    blank = post(french, f"{ADMIN}/directory/queues", {"name": " "})
    assert blank.status_code == 400
    assert "name must be" not in error_next_to(blank, "new-name")
    colour = post(
        french,
        f"{ADMIN}/segments",
        {"displayName": "Paniers", "color": "rouge", "advanced": json.dumps(CONDITIONS)},
    )
    assert colour.status_code == 400
    assert "Expected" not in error_next_to(colour, "def-color")
    taken = post(
        french,
        f"{ADMIN}/users",
        {"name": "Bis", "email": USERS["agent"][1], "password": PASSWORD, "role": "agent"},
    )
    assert taken.status_code == 409
    assert "another user" not in error_next_to(taken, "user-email")
    created = post(
        french,
        f"{ADMIN}/segments",
        {"displayName": "Vieux", "advanced": json.dumps(CONDITIONS), "isActive": "true"},
    )
    assert created.status_code == 303, created.text
    with desktop.api() as api:
        [segment] = [
            s
            for s in api.get("/api/v2/journey/segments").json()["entities"]
            if s["displayName"] == "Vieux"
        ]
    edit = {"displayName": "Vieux", "advanced": json.dumps(CONDITIONS), "version": "1"}
    assert post(french, f"{ADMIN}/segments/{segment['id']}", edit).status_code == 303
    stale = post(french, f"{ADMIN}/segments/{segment['id']}", edit)
    assert stale.status_code == 409
    assert "is not the current one" not in form_error(stale)
    assert 'value="Vieux"' in stale.text  # what was typed is kept
