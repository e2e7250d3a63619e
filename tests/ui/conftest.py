"""Browser fixtures: a real server with the static routes, Debian's chromium driven by Playwright.

One server and one browser per module (starting them is the slow part); every test gets its own
browser context, so its own cookie jar and its own visitor.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse

from conftest import bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.ui import DEMO_DEPLOYMENT_ID

CHROMIUM = os.environ.get("JOURNEYLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


DEPLOYMENTS = "/api/v2/webdeployments/deployments"


def create_demo_deployment(base_url: str, credentials: tuple[str, str]) -> None:
    """The deployment the demo shop's tag names, allowed on the test server's host."""
    body = {"id": DEMO_DEPLOYMENT_ID, "name": "Demo shop", "allowedDomains": ["127.0.0.1"]}
    with httpx.Client(base_url=base_url) as client:
        response = client.post(DEPLOYMENTS, json=body, headers=bearer(client, credentials))
    assert response.status_code == 200, response.text


@dataclass
class Received:
    """A web event as the server received it, and what the server answered."""

    event: dict[str, Any]
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)


class Recorder:
    """ASGI middleware that keeps every web event the server receives, and its answer.

    Playwright does not report the keepalive requests a page sends while it unloads (a form
    abandoned on leaving), so those are checked where they arrive. It also serves the HTML a
    test puts in ``pages`` (a third-party site that pastes the tag), under ``/_test/``.
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.received: list[Received] = []
        self.pages: dict[str, str] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in self.pages:
            await HTMLResponse(self.pages[scope["path"]])(scope, receive, send)
            return
        is_event = scope["type"] == "http" and scope["method"] == "POST"
        if not (is_event and scope["path"].endswith("/webevents")):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            record = Received(json.loads(body))
        except ValueError:
            record = Received({})
        self.received.append(record)
        replayed = False
        answer = b""

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: Any) -> None:
            nonlocal answer
            if message["type"] == "http.response.start":
                record.status = message["status"]
            elif message["type"] == "http.response.body":
                answer += message.get("body", b"")
                if not message.get("more_body"):
                    with contextlib.suppress(ValueError):
                        record.answer = json.loads(answer)
            await send(message)

        await self.app(scope, replay, keep)


@dataclass
class UiServer:
    base_url: str
    store_url: str
    credentials: tuple[str, str]
    app: Starlette
    recorder: Recorder


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    store_url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'journeyline.db'}"
    settings = Settings(store_url=store_url)
    credentials = make_client(store_url)
    app = create_app(settings)  # the real app: the API, the tracker and the demo shop
    recorder = Recorder(app)
    with serve(recorder) as base_url:
        create_demo_deployment(base_url, credentials)
        yield UiServer(base_url, store_url, credentials, app, recorder)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"no chromium at {CHROMIUM}: scripts/test installs Debian's chromium")
    # Playwright's launch() gives the browser a fresh temporary user-data-dir of its own.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Tab:
    """One page in its own browser context, with what the tracker sent recorded."""

    page: Any
    context: Any
    server: UiServer
    events: list[dict[str, Any]] = field(default_factory=list)
    event_requests: list[Any] = field(default_factory=list)
    pings: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_request(self, request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/webevents"):
            self.event_requests.append(request)
            self.events.append(json.loads(request.post_data or "{}"))
        elif request.method == "GET" and "/ping?" in request.url:
            self.pings.append(request)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def cookie_id(self) -> str:
        return str(self.run("journeyline.cookieId()"))

    def answered(self, name: str | None = None) -> list[Received]:
        """This visitor's web events (named ``name``) as the server received them."""
        cookie_id = self.cookie_id()
        return [
            r
            for r in self.server.recorder.received
            if r.event.get("customerCookieId") == cookie_id
            and name in (None, r.event.get("eventName"))
        ]

    def received(self, name: str) -> list[dict[str, Any]]:
        return [r.event for r in self.answered(name)]

    def wait_received(self, name: str, count: int = 1) -> dict[str, Any]:
        self.wait_until(lambda: len(self.received(name)) >= count, f"{count} x {name} received")
        return self.received(name)[count - 1]

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                names = [e.get("eventName") for e in self.events]
                raise AssertionError(f"timed out waiting for {what}; events so far: {names}")
            self.page.wait_for_timeout(20)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("eventName") == name]

    def wait_event(self, name: str, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        self.wait_until(lambda: len(self.named(name)) >= count, f"{count} x {name}", timeout)
        return self.named(name)[count - 1]

    def run(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


@pytest.fixture
def tab(browser: Any, ui_server: UiServer) -> Iterator[Tab]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    tab = Tab(page, context, ui_server)
    context.on("request", tab.on_request)
    page.on("console", lambda msg: tab.warnings.append(msg.text) if msg.type == "warning" else None)
    page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    seen = len(ui_server.recorder.received)
    try:
        yield tab
    finally:
        context.close()
    assert not tab.errors, f"the page threw: {tab.errors}"
    mine = ui_server.recorder.received[seen:]
    deadline = time.monotonic() + 5  # an event sent as the page closed may not be answered yet
    while any(r.status == 0 for r in mine) and time.monotonic() < deadline:
        time.sleep(0.02)
    refused = [
        (r.event.get("eventName"), r.status, r.answer)
        for r in mine
        if r.status >= 400 or r.status == 0
    ]
    # no page test sends what the server must refuse: a refusal is the tracker's mistake
    assert not refused, f"the server refused what the tracker sent: {refused}"
