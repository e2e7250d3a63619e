"""The desktop under test: a real server on 127.0.0.1 with users who sign in, Debian's chromium.

One server per module; every test signs in in a browser context of its own. Conversation events
are the builders' (tests/builders.py), moved to now, posted through the real API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from builders import T0, Conversation
from conftest import bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.config import Settings
from ui.conftest import browser  # noqa: F401 (the module's browser, a fixture)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PASSWORD = "correct horse battery staple"
USERS = {
    "agent": ("Ann Agent", "ann@example.com"),
    "supervisor": ("Sam Supervisor", "sam@example.com"),
    "admin": ("Ada Admin", "ada@example.com"),
}
DIRECTORY = {
    "/api/v2/routing/queues": [("q-sales", "Sales"), ("q-support", "Support")],
    "/api/v2/routing/wrapupcodes": [("w-sale", "Sale"), ("w-follow", "Follow-up")],
}


@dataclass
class DesktopServer:
    base_url: str
    store_url: str
    credentials: tuple[str, str]
    users: dict[str, str]  # role -> user id

    def api(self) -> httpx.Client:
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            token = bearer(client, self.credentials)  # (a client opened once cannot be again)
        return httpx.Client(base_url=self.base_url, timeout=10, headers=token)

    def post_events(self, conversation: Conversation, *, offset_ms: int) -> None:
        """Post a conversation's events (all of them so far, again: duplicates are no-ops),
        moved ``offset_ms`` later (so that the builders' T0 is now)."""
        wire = []
        for event in conversation.wire:
            body = {**event["eventBody"], "eventTime": event["eventBody"]["eventTime"] + offset_ms}
            wire.append({**event, "eventBody": body})
        with self.api() as client:
            response = client.post("/api/v2/journey/conversationevents", json=wire)
        assert response.status_code == 202, response.text


def now_offset() -> int:
    """How far to move the builders' times so that their 0 s is a few seconds ago."""
    return int(time.time() * 1000) - T0 - 5_000


def create_user(client: httpx.Client, role: str, name: str, email: str) -> str:
    body = {"name": name, "email": email, "password": PASSWORD, "role": role}
    response = client.post("/api/v2/users", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopServer]:
    store_url = f"sqlite:///{tmp_path_factory.mktemp('desktop') / 'journeyline.db'}"
    credentials = make_client(store_url)
    app = create_app(Settings(store_url=store_url))
    with serve(app) as base_url:
        server = DesktopServer(base_url, store_url, credentials, {})
        with server.api() as client:
            for path, entries in DIRECTORY.items():
                for entry_id, name in entries:
                    response = client.post(path, json={"id": entry_id, "name": name})
                    assert response.status_code == 200, response.text
            for role, (name, email) in USERS.items():
                server.users[role] = create_user(client, role, name, email)
        yield server


@dataclass
class Desk:
    """One signed-in user's browser tab."""

    page: Any
    server: DesktopServer
    #: pages a test opens on purpose that answer with an error (an error page is a 4xx)
    expected: set[str] = field(default_factory=set)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.base_url + path)

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        self.page.add_script_tag(path=str(AXE))
        found: list[dict[str, Any]] = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
            for v in found
            if v["impact"] in ("serious", "critical")
        ]


def sign_in(
    page: Any, base_url: str, email: str, password: str = PASSWORD, *, english: bool = True
) -> None:
    """Sign in through the form, by its English labels (or, in another language, by the
    fields' names)."""
    page.goto(base_url + "/desktop/signin")
    if english:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
    else:
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("form button[type=submit]").click()


@pytest.fixture
def open_desk(
    browser: Any,  # noqa: F811 (the fixture imported above)
    desktop: DesktopServer,
) -> Iterator[Callable[..., Desk]]:
    """``open_desk(role="agent", locale="en-US")``: a new browser context, signed in."""
    contexts: list[Any] = []
    errors: list[str] = []
    desks: list[Desk] = []

    def open_one(
        role: str = "agent", locale: str = "en-US", *, axe: bool = False, **options: Any
    ) -> Desk:
        # axe is added as a script tag, which the desktop's CSP refuses: only for axe's tests;
        # the others keep the CSP, and any refusal it logs fails the test
        context = browser.new_context(locale=locale, bypass_csp=axe, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda message: (
                errors.append(f"{message.text} {message.location.get('url', '')}")
                if message.type == "error"
                else None
            ),
        )
        page.set_default_timeout(5_000)
        sign_in(page, desktop.base_url, USERS[role][1], english=locale.startswith("en"))
        page.wait_for_url("**/desktop/now")
        desk = Desk(page, desktop)
        desks.append(desk)
        return desk

    yield open_one
    for context in contexts:
        context.close()
    expected = {path for desk in desks for path in desk.expected}
    unexpected = [e for e in errors if not any(e.endswith(path) for path in expected)]
    assert unexpected == [], f"script errors in the page: {unexpected}"
