"""The OAuth clients screen's actions through the real app and store, signed in as a browser
is: disable (the client's tokens refused at once, it mints no more) and enable, a new secret
(shown once; the old one mints no more), revoke its tokens, delete; admins only, CSRF checked;
in French too."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx2
import pytest

from conftest import FakeClock, bearer
from desktop.test_admin import ADMIN, Desk, done, open_desk

CLIENTS = f"{ADMIN}/clients"
SESSIONS = "/api/v2/journey/sessions"
FORM = {"grant_type": "client_credentials"}


@pytest.fixture
def desk(store_url: str, clock: FakeClock) -> Iterator[Desk]:
    with open_desk(store_url, clock) as opened:
        yield opened


def made_client(desk: Desk, role: str = "agent") -> tuple[str, str]:
    """A client made on the screen: its id and the secret the page shows once."""
    page = desk.post(CLIENTS, {"name": "Dialer", "role": role})
    assert page.status_code == 200, page.text
    return shown(page)


def shown(page: httpx2.Response) -> tuple[str, str]:
    secret = re.search(r'<pre><code id="secret">(.*?)</code></pre>', page.text)
    client_id = re.search(r"<dd><code>([0-9a-f]{32})</code></dd>", page.text)
    assert secret
    assert client_id
    return client_id[1], html.unescape(secret[1])


def sessions(desk: Desk, token: dict[str, str]) -> int:
    return desk.client.get(SESSIONS, headers=token).status_code


def mint(desk: Desk, credentials: tuple[str, str]) -> int:
    return desk.client.post("/oauth/token", data=FORM, auth=credentials).status_code


def state_of(desk: Desk, client_id: str) -> str:
    row = re.search(
        rf"<tr><td>Dialer</td><td>[^<]*</td><td>([^<]*)</td><td><code>{client_id}</code>",
        desk.get(CLIENTS).text,
    )
    assert row
    return row[1]


def test_a_client_is_disabled_at_once_and_enabled_again(desk: Desk) -> None:
    client_id, secret = made_client(desk)
    token = bearer(desk.client, (client_id, secret))
    assert sessions(desk, token) == 200
    done(desk.post(f"{CLIENTS}/{client_id}/disable", {}), CLIENTS)
    assert sessions(desk, token) == 401  # the next request: refused
    assert mint(desk, (client_id, secret)) == 401
    listed = desk.get(CLIENTS).text
    assert state_of(desk, client_id) == "disabled"
    assert f'action="{CLIENTS}/{client_id}/enable"' in listed
    assert f'action="{CLIENTS}/{client_id}/disable"' not in listed
    done(desk.post(f"{CLIENTS}/{client_id}/enable", {}), CLIENTS)
    assert state_of(desk, client_id) == "active"
    assert sessions(desk, bearer(desk.client, (client_id, secret))) == 200


def test_a_new_secret_is_shown_once_and_the_old_one_mints_no_more(desk: Desk) -> None:
    client_id, secret = made_client(desk)
    page = desk.post(f"{CLIENTS}/{client_id}/secret", {})
    assert page.status_code == 200
    assert "New client secret" in page.text
    same_id, new_secret = shown(page)
    assert (same_id, new_secret != secret) == (client_id, True)
    assert mint(desk, (client_id, secret)) == 401
    assert mint(desk, (client_id, new_secret)) == 200
    assert new_secret not in desk.get(CLIENTS).text


def test_its_tokens_are_revoked_then_it_is_deleted(desk: Desk) -> None:
    client_id, secret = made_client(desk)
    tokens = [bearer(desk.client, (client_id, secret)) for _ in range(2)]
    assert [sessions(desk, t) for t in tokens] == [200, 200]
    done(desk.post(f"{CLIENTS}/{client_id}/revoke", {}), CLIENTS)
    assert [sessions(desk, t) for t in tokens] == [401, 401]
    fresh = bearer(desk.client, (client_id, secret))  # it may mint new ones
    assert sessions(desk, fresh) == 200
    done(desk.post(f"{CLIENTS}/{client_id}/delete", {}), CLIENTS)
    assert sessions(desk, fresh) == 401
    assert mint(desk, (client_id, secret)) == 401
    assert client_id not in desk.get(CLIENTS).text
    assert desk.post(f"{CLIENTS}/{client_id}/delete", {}).status_code == 404


def test_only_admins_act_on_clients_and_only_with_the_csrf_token(desk: Desk) -> None:
    client_id, secret = made_client(desk)
    actions = ("disable", "enable", "secret", "revoke", "delete")
    for action in actions:  # an admin's form without its token
        assert desk.post(f"{CLIENTS}/{client_id}/{action}", {}, csrf=False).status_code == 403
    desk.sign_in("supervisor")
    for action in actions:
        assert desk.post(f"{CLIENTS}/{client_id}/{action}", {}).status_code == 403, action
    desk.sign_in("admin")
    assert state_of(desk, client_id) == "active"
    assert mint(desk, (client_id, secret)) == 200  # nothing changed


def row_of(page: str, client_id: str) -> str:
    found = re.search(rf"<tr><td>Dialer</td>.*?<code>{client_id}</code>.*?</tr>", page, re.S)
    assert found
    return found[0]


def test_the_screen_in_french(desk: Desk) -> None:
    client_id, _ = made_client(desk)
    desk.client.get("/desktop/language", params={"to": "fr", "next": CLIENTS})
    row = row_of(desk.get(CLIENTS).text, client_id)
    for french in ("<td>actif</td>", "Désactiver", "Nouveau secret", "Révoquer ses jetons"):
        assert french in row, french
    disabled = desk.client.post(
        f"{CLIENTS}/{client_id}/disable", data={"csrf_token": desk.csrf()}
    )  # followed to the list
    assert "Désactivé : ses jetons sont révoqués" in disabled.text
    row = row_of(disabled.text, client_id)
    assert ("<td>désactivé</td>" in row, "Activer" in row, "Désactiver" in row) == (
        True,
        True,
        False,
    )
