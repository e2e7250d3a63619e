"""Shared fixtures: a fresh SQLite file per test, the ASGI app, a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from starlette.testclient import TestClient

import pg
from journeyline.api.app import create_app
from journeyline.api.auth import create_client
from journeyline.api.server import server_config
from journeyline.config import Settings
from journeyline.store import Store, open_store

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


class FakeClock:
    """A clock the test moves by hand (epoch milliseconds)."""

    def __init__(self, now_ms: int = 1_795_600_000_000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)


#: The backends the store-taking tests run on (``JOURNEYLINE_TEST_STORES``, comma-separated).
STORES = os.environ.get("JOURNEYLINE_TEST_STORES", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store file this process migrated once, every page in the file itself (no
    write-ahead log beside it), for ``migrated_sqlite`` to copy."""
    made = tmp_path_factory.mktemp("sqlite-template") / "migrated.db"
    open_store(f"sqlite:///{made}").close()
    template = made.with_name("template.db")
    with closing(sqlite3.connect(made)) as source, closing(sqlite3.connect(template)) as copy:
        source.backup(copy)
    return template


def migrated_sqlite(template: Path, path: Path) -> str:
    """``sqlite:///path``: a new, empty store file, a copy of ``template`` (``sqlite_template``).

    Migrating a new file costs a third of a second (a sync per migration); a copy a
    millisecond. As with ``pg.fresh_url``'s reused schemas, the store opened on it still runs
    its migrations, finding none left to apply; the tests of migrating a new file make their
    own (``sqlite_url``, the CLI's and the servers' own files)."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=STORES)
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """The test's store: a new, migrated SQLite file, or a clean schema of the PostgreSQL
    server."""
    if request.param == "postgresql":
        with pg.fresh_url() as url:
            yield url
    else:
        yield migrated_sqlite(sqlite_template, tmp_path / "journeyline.db")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For the tests of what only SQLite has (its file, its driver's errors)."""
    return f"sqlite:///{tmp_path / 'journeyline.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """The test's store on ``store_url`` (the file the app fixtures use too), closed after it."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(store_url=store_url)


def make_client(store_url: str, role: str = "admin") -> tuple[str, str]:
    store = open_store(store_url)
    try:
        return create_client(store, name=f"test-{role}", role=role, now_ms=int(time.time() * 1000))
    finally:
        store.close()


def bearer(client: TestClient | httpx.Client, credentials: tuple[str, str]) -> dict[str, str]:
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class Api:
    """The ASGI app under test with an admin token ready."""

    client: TestClient
    headers: dict[str, str]
    store_url: str
    clock: FakeClock

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx2.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        return self.client.post(path, content=content, headers=headers, **kwargs)

    def put(self, path: str, body: Any) -> httpx2.Response:
        return self.client.put(path, json=body, headers=self.headers)

    def delete(self, path: str) -> httpx2.Response:
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def api(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    credentials = make_client(settings.store_url)
    with TestClient(create_app(settings, clock=clock)) as client:
        yield Api(client, bearer(client, credentials), settings.store_url, clock)


@contextlib.contextmanager
def flows_api(store_url: str, clock: FakeClock, **settings: Any) -> Iterator[Api]:
    """The app with an admin token, on settings of its own (e.g. ``flows_allow_private``)."""
    credentials = make_client(store_url)
    app = create_app(Settings(store_url=store_url, **settings), clock=clock)
    with TestClient(app) as client:
        yield Api(client, bearer(client, credentials), store_url, clock)


def wait_healthy(base_url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait (up to 20 s) until a server answers ``GET /health``; fail if ``process`` exits."""
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base_url}/health", timeout=1)
            return
        except httpx.TransportError:
            assert process is None or process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    base_url: str
    store_url: str
    credentials: tuple[str, str]


@contextlib.contextmanager
def serve(
    app: Any, *, send_buffer: int | None = None, settings: Settings | None = None
) -> Iterator[str]:
    """Run an ASGI app on a free 127.0.0.1 port in a thread, with uvicorn configured as
    ``journeyline serve`` configures it (timeouts and the connection cap of ``settings``,
    the defaults without); yields its base URL.

    ``send_buffer``: the connections' socket send buffer (``SO_SNDBUF``), to make a client
    that does not read stall the server's writes soon."""
    port = free_port()
    config = server_config(
        app, settings or Settings(), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    sockets = None
    if send_buffer is not None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        listener.bind(("127.0.0.1", port))
        sockets = [listener]
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """A real uvicorn server on 127.0.0.1 in a thread, with an admin client."""
    credentials = make_client(settings.store_url)
    with serve(create_app(settings), settings=settings) as base_url:
        yield LiveServer(base_url, settings.store_url, credentials)


# -- web intake, as a browser on the demo shop sends it -------------------------------------

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def deployment(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "Shop", "allowedDomains": ["shop.example.com"], **fields}
    response = api.post("/api/v2/webdeployments/deployments", body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def send(api: Api, deployment_id: str, body: Any, **headers: str) -> Any:
    return api.client.post(
        f"/api/v2/journey/deployments/{deployment_id}/webevents",
        json=body,
        headers={"Origin": "https://shop.example.com", "User-Agent": CHROME, **headers},
    )
