"""Review: the French desktop shows no English — a caller with no name, an action form refused
for its CSRF token, a role or a bad value, a page that is not there. Through the real server
(tests/desktop/conftest.py), signed in with httpx as a French browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from builders import Conversation
from desktop.conftest import PASSWORD, USERS, DesktopServer, now_offset

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def error_text(page: httpx.Response) -> str:
    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', page.text, re.S)
    assert found, page.text
    return " ".join(found[1].split())


@pytest.fixture
def french(desktop: DesktopServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=desktop.base_url, timeout=10, headers=FRENCH) as client:
        form = client.get("/desktop/signin").text
        [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form)
        fields = {"email": USERS["agent"][1], "password": PASSWORD, "csrf_token": token}
        assert client.post("/desktop/signin", data=fields).status_code == 303
        yield client


def csrf_of(client: httpx.Client) -> str:
    [token] = set(re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/desktop/now").text))
    return str(token)


def caller(desktop: DesktopServer, conversation_id: str, phone: str) -> str:
    """A call from ``phone``, a caller with no name; the number."""
    desktop.post_events(
        Conversation(conversation_id, ani=f"tel:{phone}").customer_start(0), offset_ms=now_offset()
    )
    return phone


def person_path(client: httpx.Client, phone: str) -> str:
    found = client.get("/desktop/search", params={"q": phone})
    assert found.status_code == 303, found.text
    return found.headers["location"]


def test_a_caller_with_no_name_is_unknown_in_french(
    desktop: DesktopServer, french: httpx.Client
) -> None:
    phone = caller(desktop, "review-fr-1", "+15550109001")
    page = french.get(person_path(french, phone))
    assert page.status_code == 200
    assert re.search(r'<h1 id="contact-name">Inconnu</h1>', page.text), page.text
    assert "Unknown" not in page.text
    listed = french.get("/desktop/search", params={"q": "zzz-nobody"})
    assert "Unknown" not in listed.text


def test_a_refused_action_form_says_why_in_french(
    desktop: DesktopServer, french: httpx.Client
) -> None:
    phone = caller(desktop, "review-fr-2", "+15550109002")
    path = person_path(french, phone)
    page = french.get(path)
    [session] = re.findall(r'data-session="([^"]+)"', page.text)
    refused = french.post(f"{path}/unmerge", data={"csrf_token": "not-the-token"})
    assert refused.status_code == 403
    assert error_text(refused).startswith("Ce formulaire a expiré"), refused.text
    token = csrf_of(french)
    nobody = french.post(
        f"/desktop/sessions/{session}/verify", data={"csrf_token": token, "contact": "zzz"}
    )
    assert nobody.status_code == 400
    assert "name exactly one" not in error_text(nobody)
    not_merged = french.post(f"{path}/unmerge", data={"csrf_token": token})
    assert not_merged.status_code == 400
    assert "merge" not in error_text(not_merged)  # the engine's English
    missing = french.get("/desktop/people/no-such-person")
    assert missing.status_code == 404
    assert "no external contact" not in error_text(missing)
    not_ended = french.post(
        f"/desktop/sessions/{session}/wrapup", data={"csrf_token": token, "code": "w-sale"}
    )
    assert not_ended.status_code == 409
    assert "only an ended conversation" not in error_text(not_ended)


def test_the_language_switch_comes_back_to_the_same_search(french: httpx.Client) -> None:
    page = french.get("/desktop/search", params={"q": "nobody at all"})
    [link] = re.findall(r'href="(/desktop/language\?to=en[^"]*)"', page.text)
    back = french.get(link.replace("&amp;", "&"))
    assert back.status_code == 303
    assert back.headers["location"] == "/desktop/search?q=nobody+at+all"
    english = french.get(back.headers["location"])
    assert "Nobody matches" in english.text  # the cookie now says English
