"""Who may call what (issue 10, roles declared once): every route of the real app — the API, the
Segment collector, the desktop and its live feed — is tried for real by every role, against a
real server on a real store, and what it answered is compared with the table of docs/api.md
("Who may call what"). A route missing from the table, a row naming no route, and any cell the
server does not bear out fail the test.

The roles, each as its real client would call:

- ``admin``, ``supervisor``, ``agent``: a bearer token of an OAuth client of that role (its id and
  secret on ``POST /oauth/token``) and, on the desktop's paths (its cookie's), the session of a
  user of that role who signed in, with the session's CSRF token: allowed when either is;
- ``ingest``: a bearer token of an ingest client (its id and secret on ``POST /oauth/token``);
- ``public``: a page of the deployment's own site: its ``Origin``, and on the Segment collector
  the deployment's write key;
- ``other site``: a page of a site the deployment does not allow (its ``Origin``);
- ``none``: no credential at all.

An answer is *denied* when it is a 401 or a 403, or the desktop's redirect to its sign-in form
(``/desktop/signin?next=…``); for the live feed, *allowed* only when the event stream opens.
Anything else — 200, 204, 400, 404 for the made-up ids — is *allowed*: the guard let it through;
but a 5xx, a 405 or a 429 fails the test, for it says nothing of who may call.
Every request of a body-taking method carries an empty one (``{}``, or an empty form), and the
sign-in form its own form token (a wrong password): the table is about who gets in, not what.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from conftest import make_client, serve
from journeyline.api.app import create_app
from journeyline.api.contract import Operation, declare, declared
from journeyline.api.guard import guard
from journeyline.api.openapi import methods_of
from journeyline.config import Settings
from journeyline.desktop.access import access_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SECTION = "## Who may call what"
ROLES = ("admin", "supervisor", "agent", "ingest", "public", "other site", "none")
USER_ROLES = ("admin", "supervisor", "agent")
YES, NO = "✓", "✗"
SHOP = "https://shop.example.com"
ELSEWHERE = "https://elsewhere.example.net"
PASSWORD = "correct horse battery staple"
BROWSER_PATHS = "/api/v2/journey/deployments/"

Key = tuple[str, str]  # (method, path template)
METHOD = "(?:GET|POST|PUT|PATCH|DELETE|OPTIONS)"
ROUTE = re.compile(rf"`({METHOD}(?:, {METHOD})*) (/[^`\s]*)`")


# -- the table in docs/api.md ----------------------------------------------------------------


def documented() -> dict[Key, tuple[bool, ...]]:
    """The table's cells by (method, path): each row's first cell names routes as code spans
    `METHOD[, METHOD] /path`, and has a ✓ or ✗ for each role."""
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/api.md has no section '{SECTION}'"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert tuple(header[1:]) == ROLES, header
    found: dict[Key, tuple[bool, ...]] = {}
    for row in table[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        marks = cells[1:]
        assert len(marks) == len(ROLES), row
        assert set(marks) <= {YES, NO}, row
        spans = ROUTE.findall(cells[0])  # other code spans are notes
        assert spans, row
        for methods, path in spans:
            for method in methods.split(", "):
                key = (method, path)
                assert key not in found, f"{key} is in the table twice"
                found[key] = tuple(m == YES for m in marks)
    return found


def row(key: Key, cells: tuple[bool, ...]) -> str:
    return f"| `{key[0]} {key[1]}` | " + " | ".join(YES if c else NO for c in cells) + " |"


# -- the app's routes and the values to fill in ----------------------------------------------


def routes_of(routes: list[BaseRoute]) -> list[tuple[Route, str]]:
    found = []
    for route in routes:
        assert isinstance(route, Route), route
        for method in methods_of(route):
            found.append((route, method))
    return found


def concrete(route: Route, deployment_id: str) -> str:
    """The route's path with made-up ids; the real deployment on the browser routes (their
    origin check needs one), a real file for the desktop's scripts."""
    values = {
        "deploymentId": deployment_id if route.path.startswith(BROWSER_PATHS) else "x1",
        "customerCookieId": str(uuid.uuid4()),
        "rest": "webevents",
        "path": "desktop.js",
        "page": "index.html",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m[1], "x1"), route.path)


def destructive(method: str, path: str) -> int:
    """Deletes and the sign-out go last (the sign-out last of all): they would end what the
    other tries need."""
    if path == "/desktop/signout":
        return 2
    return 1 if method == "DELETE" or path.endswith("/delete") else 0


# -- the callers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One way a role calls: its headers, and its OAuth client for ``POST /oauth/token``."""

    headers: dict[str, str]
    client: tuple[str, str] | None = None
    desktop_only: bool = False  # a session cookie: sent to the desktop's paths only


@dataclass
class World:
    app: Starlette
    http: httpx.Client
    attempts: dict[str, list[Attempt]]
    deployment_id: str


def _form_token(http: httpx.Client, headers: dict[str, str]) -> tuple[str, str]:
    """A sign-in form's token and its ``jl_csrf`` nonce, as a browser gets them."""
    page = http.get("/desktop/signin", headers=headers)
    http.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text.split('class="signin"')[1])
    assert token, page.text
    return token[1], page.cookies["jl_csrf"]


def _signed_in(http: httpx.Client, email: str) -> dict[str, str]:
    token, nonce = _form_token(http, {})
    answer = http.post(
        "/desktop/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"jl_csrf={nonce}"},
    )
    assert answer.status_code == 303, answer.text
    session = answer.cookies["jl_session"]
    http.cookies.clear()
    page = http.get("/desktop/signin", headers={"Cookie": f"jl_session={session}"}).text
    csrf = re.search(r'action="/desktop/signout" method="post">\s*<input[^>]*value="([^"]+)"', page)
    assert csrf, page
    return {"Cookie": f"jl_session={session}", "X-CSRF-Token": csrf[1]}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store_url = f"sqlite:///{tmp_path / 'journeyline.db'}"
    settings = Settings(
        store_url=store_url,
        address_requests_per_minute=0,
        deployment_requests_per_minute=0,
        client_requests_per_minute=0,
        tokens_per_minute=0,
        token_failures_per_minute=0,
        signin_failures_per_minute=0,
    )
    clients = {role: make_client(store_url, role) for role in (*USER_ROLES, "ingest")}
    app = create_app(settings)
    with (
        serve(app, settings=settings) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        tokens = {}
        for role, credentials in clients.items():
            answer = http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
            )
            tokens[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        admin = tokens["admin"]
        made = http.post(
            "/api/v2/webdeployments/deployments",
            json={"name": "Shop", "allowedDomains": ["shop.example.com"]},
            headers=admin,
        ).json()
        attempts: dict[str, list[Attempt]] = {}
        for role in USER_ROLES:
            email = f"{role}@example.com"
            user = {"name": role, "email": email, "password": PASSWORD, "role": role}
            assert http.post("/api/v2/users", json=user, headers=admin).status_code == 200
            attempts[role] = [
                Attempt(tokens[role], clients[role]),
                Attempt(_signed_in(http, email), desktop_only=True),
            ]
        attempts["ingest"] = [Attempt(tokens["ingest"], clients["ingest"])]
        key = base64.b64encode(f"{made['writeKey']}:".encode()).decode()
        attempts["public"] = [Attempt({"Origin": SHOP, "Authorization": f"Basic {key}"})]
        attempts["other site"] = [Attempt({"Origin": ELSEWHERE})]
        attempts["none"] = [Attempt({})]
        yield World(app, http, attempts, made["id"])


def allowed(world: World, attempt: Attempt, method: str, path: str) -> bool:
    """Whether the attempt got in (the module's docstring says how that is told)."""
    http, headers = world.http, dict(attempt.headers)
    content: bytes | None = None
    if path == "/oauth/token":
        headers.pop("Authorization", None)
        if attempt.client is not None:  # a client calls it with its id and secret
            secret = base64.b64encode(":".join(attempt.client).encode()).decode()
            headers["Authorization"] = f"Basic {secret}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        content = b"grant_type=client_credentials"
    elif path == "/desktop/signin" and method == "POST":
        token, nonce = _form_token(http, headers)
        cookies = "; ".join(c for c in (headers.get("Cookie"), f"jl_csrf={nonce}") if c)
        headers |= {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"}
        content = f"email=nobody%40example.com&password=wrong&csrf_token={token}".encode()
    elif path == "/api/v2/tokens/me" and attempt.client is not None:
        # it revokes the token it is called with: a token of its own, not the one the other
        # tries of the role go on using
        minted = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=attempt.client,
        )
        headers["Authorization"] = f"Bearer {minted.json()['access_token']}"
    elif method in ("POST", "PUT", "PATCH"):
        desktop = path.startswith("/desktop")
        kind = "application/x-www-form-urlencoded" if desktop else "application/json"
        headers["Content-Type"] = kind
        content = b"" if desktop else b"{}"
    elif method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
    if path == "/desktop/feed":
        with http.stream(method, path, headers=headers) as answer:
            opened = answer.status_code == 200 and answer.headers.get(
                "content-type", ""
            ).startswith("text/event-stream")
        http.cookies.clear()
        return opened
    answer = http.request(method, path, headers=headers, content=content)
    http.cookies.clear()
    # a crash, a limit or a missing method tells nothing of who may call: never "allowed"
    assert answer.status_code < 500, (method, path, answer.status_code, answer.text)
    assert answer.status_code not in (405, 429), (method, path, answer.status_code)
    if answer.status_code in (401, 403):
        return False
    location = answer.headers.get("location", "")
    return not (answer.is_redirect and location.startswith("/desktop/signin?next="))


def test_every_role_gets_what_the_table_of_docs_api_says(world: World) -> None:
    app = world.app
    entries = routes_of(app.routes)
    table = documented()
    for route, _ in entries:
        if route.path.startswith("/desktop"):
            assert access_of(route.endpoint) is not None, f"{route.path} says not what it needs"
    tries = []
    for route, method in entries:
        path = concrete(route, world.deployment_id)
        scope = {"type": "http", "path": path, "method": method}
        first = next(r for r in app.routes if r.matches(scope)[0] == Match.FULL)
        assert first is route, f"{method} {path} reaches {first} instead of {route}"
        tries.append((destructive(method, route.path), method, path, route.path_format))
    seen: dict[Key, tuple[bool, ...]] = {}
    for _, method, path, template in sorted(tries, key=lambda t: t[0]):
        cells = []
        for role in ROLES:
            attempts = [
                a for a in world.attempts[role] if not a.desktop_only or path.startswith("/desktop")
            ]
            cells.append(any(allowed(world, a, method, path) for a in attempts))
        seen[(method, template)] = tuple(cells)
    missing = [row(k, v) for k, v in seen.items() if k not in table]
    wrong = [
        f"{row(k, v)}  (the table says {row(k, table[k])})"
        for k, v in seen.items()
        if k in table and table[k] != v
    ]
    stale = [f"{m} {p}" for m, p in table if (m, p) not in seen]
    assert not missing, "routes missing from docs/api.md's table, as they answer:\n" + "\n".join(
        missing
    )
    assert not wrong, "cells the server does not bear out:\n" + "\n".join(wrong)
    assert not stale, "rows that name no route: " + ", ".join(stale)


def test_a_method_a_route_declares_nothing_for_is_refused_when_the_app_is_built() -> None:
    @declare(Operation("GET", "Read", {200: None}, "journey:read"))
    async def handler(request: Request) -> Response:
        return Response(status_code=204)

    with pytest.raises(ValueError, match="/things: no operation declared for POST"):
        guard(Route("/things", handler, methods=["GET", "POST"]))
    guarded = guard(Route("/things", handler, methods=["GET"]))
    assert declared(guarded.endpoint) == declared(handler)  # the contract still sees it
