"""No email, phone number or IP address in the logs of ``journeyline serve``; the client's address
only from a trusted proxy, and nowhere at all when the deployment does not collect it.

Each test runs the real command in a subprocess, its stdout and stderr (every log line) in a
file, and reads that file and the store's SQLite file afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from builders import Conversation, web_event
from conftest import CHROME, bearer, free_port, make_client, wait_healthy
from journeyline.clock import iso

SRC = Path(__file__).resolve().parents[2] / "src"
EMAIL, PHONE, IP = "ann.leak@example.com", "+33612345678", "203.0.113.77"
#: every spelling of them a log line could hold
NEEDLES = (EMAIL, quote(EMAIL, safe=""), PHONE, PHONE[1:], quote(PHONE, safe=""), IP)
SHOP = "https://shop.example.com"


@dataclass
class Served:
    client: httpx.Client
    headers: dict[str, str]  # an admin's bearer token
    port: int
    log: Path
    database: Path

    def log_text(self) -> str:
        return self.log.read_text()

    def deployment(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Shop", "allowedDomains": ["shop.example.com"], **fields}
        made = self.client.post(
            "/api/v2/webdeployments/deployments", json=body, headers=self.headers
        )
        assert made.status_code == 200, made.text
        created: dict[str, Any] = made.json()
        return created


@contextlib.contextmanager
def serve(tmp_path: Path, **env: str) -> Iterator[Served]:
    """``journeyline serve`` of this checkout at ``--log-level debug``, all it writes in a file;
    the server has stopped (its log is complete) once the block ends."""
    database = tmp_path / "journeyline.db"
    store_url = f"sqlite:///{database}"
    credentials = make_client(store_url)
    port, log = free_port(), tmp_path / "server.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JOURNEYLINE_")},
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", store_url]
    command += ["--port", str(port), "--log-level", "debug"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_healthy(base_url, process)
            with httpx.Client(base_url=base_url) as client:
                yield Served(client, bearer(client, credentials), port, log, database)
        finally:
            process.terminate()
            process.wait(timeout=10)


def browser(**more: str) -> dict[str, str]:
    return {"Origin": SHOP, "User-Agent": CHROME, **more}


def carrying_pii(cookie: str, url: str = f"{SHOP}/account/{EMAIL}?ip={IP}") -> dict[str, Any]:
    """A web event with the email and phone in its traits and page URL, the IP in its
    ``ipAddress`` (and in the URL, unless the caller gives another)."""
    traits = {
        "email": {"dataType": "string", "value": EMAIL},
        "phone": {"dataType": "string", "value": PHONE},
    }
    url += f"&email={quote(EMAIL)}&phone={quote(PHONE)}"
    now = int(time.time() * 1000)
    return web_event(cookie, -1, url=url, now_ms=now, traits=traits, ipAddress=IP)


def segment_track(write_key: str) -> dict[str, Any]:
    return {
        "writeKey": write_key,
        "type": "track",
        "event": "Order Completed",
        "anonymousId": str(uuid.uuid4()),
        "messageId": str(uuid.uuid4()),
        "timestamp": iso(int(time.time() * 1000) - 1000),
        "context": {"ip": IP, "userAgent": CHROME, "traits": {"email": EMAIL, "phone": PHONE}},
    }


def send_everywhere(server: Served) -> str:
    """Requests with the email, phone and IP wherever a client can put them; the web event's
    session id."""
    c, admin = server.client, server.headers
    d = server.deployment()
    webevents = f"/api/v2/journey/deployments/{d['id']}/webevents"
    sent = c.post(
        webevents,
        json=carrying_pii(str(uuid.uuid4())),
        headers=browser(
            **{"X-Forwarded-For": IP, "Referer": f"{SHOP}/?email={EMAIL}", "Cookie": f"e={EMAIL}"}
        ),
    )
    assert sent.status_code == 200, sent.text
    c.post(webevents, content=f'{{"email": "{EMAIL}", "phone": "{PHONE}"', headers=browser())
    c.options(webevents, headers=browser(**{"Access-Control-Request-Headers": EMAIL}))
    ping = f"/api/v2/journey/deployments/{d['id']}/customers/{EMAIL}/ping"
    c.get(ping, params={"dl": f"{SHOP}/?email={EMAIL}"}, headers=browser())
    session_id = str(sent.json()["session"]["id"])
    assert c.get(f"/api/v2/journey/sessions/{session_id}", headers=admin).status_code == 200
    call = Conversation(f"conv-{uuid.uuid4()}", ani=f"tel:{PHONE}").customer_start(0)
    posted = c.post("/api/v2/journey/conversationevents", json=call.wire, headers=admin)
    assert posted.status_code == 202, posted.text
    tracked = c.post("/v1/track", json=segment_track(d["writeKey"]))
    assert tracked.status_code == 200, tracked.text
    c.get("/api/v2/journey/sessions", params={"conversationId": EMAIL}, headers=admin)
    c.get("/api/v2/externalcontacts/identifierlookup", params={"value": PHONE}, headers=admin)
    c.post(
        "/api/v2/externalcontacts/identifierlookup",
        json={"type": "Email", "value": EMAIL},
        headers=admin,
    )
    c.get(f"/api/v2/externalcontacts/contacts/{EMAIL}/journey/sessions", headers=admin)
    c.get(f"/nowhere/{EMAIL}/{PHONE}/{IP}", headers={"User-Agent": EMAIL, "X-Forwarded-For": IP})
    c.get("/api/v2/journey/sessions", headers={"Authorization": f"Bearer {EMAIL}"})
    c.get("/desktop/search", params={"q": PHONE})
    c.post("/desktop/signin", data={"email": EMAIL, "password": PHONE, "next": f"/{IP}"})
    c.request(PHONE, "/health")  # any token is a method (uvicorn's parser refuses this one)
    c.request("PROPFIND", f"/{EMAIL}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(f"GET /?email={EMAIL} HTTP/1.1 {PHONE}\r\nHost: {IP}\r\n\r\n".encode())
        raw.recv(4096)
    return session_id


def test_no_email_phone_or_ip_address_reaches_the_logs(tmp_path: Path) -> None:
    with serve(tmp_path, JOURNEYLINE_TRUSTED_PROXIES="127.0.0.1") as server:
        session_id = send_everywhere(server)
        stored = server.client.get(f"/api/v2/journey/sessions/{session_id}", headers=server.headers)
        assert stored.json()["ipAddress"] == IP  # it was in the server: the proxy named it
    text = server.log_text()
    for needle in NEEDLES:
        assert needle not in text, f"{needle} is in the log"
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "journeyline.access"]
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert ("GET", "/api/v2/journey/sessions/{sessionId}", 200) in routes
    assert ("POST", "/api/v2/journey/deployments/{deploymentId}/webevents", 200) in routes
    assert ("GET", "/nowhere/*/*/*", 404) in routes
    assert ("OTHER", "/*", 404) in routes
    assert all(line["durationMs"] >= 0 and line["bytes"] >= 0 for line in access)


def rows(database: Path) -> Iterator[tuple[str, object]]:
    """(table, value) for every value of every row of every table in the SQLite file."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    yield table, value


def test_a_deployment_that_does_not_collect_ip_addresses_keeps_none(tmp_path: Path) -> None:
    with serve(tmp_path, JOURNEYLINE_TRUSTED_PROXIES="127.0.0.1") as server:
        d = server.deployment(collectIpAddresses=False)
        forwarded = browser(**{"X-Forwarded-For": IP})
        deployment = f"/api/v2/journey/deployments/{d['id']}"
        web = server.client.post(
            f"{deployment}/webevents",
            json=carrying_pii(str(uuid.uuid4()), f"{SHOP}/account?visit=1"),
            headers=forwarded,
        )
        app_event = web_event(str(uuid.uuid4()), -1, now_ms=int(time.time() * 1000))
        del app_event["page"]
        app_event["screenName"] = "home"
        app = server.client.post(f"{deployment}/appevents", json=app_event, headers=forwarded)
        segment = server.client.post("/v1/track", json=segment_track(d["writeKey"]))
        assert [r.status_code for r in (web, app, segment)] == [200, 200, 200], web.text
        sessions = server.client.get("/api/v2/journey/sessions", headers=server.headers).json()
        assert len(sessions["entities"]) == 3
        assert all("ipAddress" not in s for s in sessions["entities"])
    tables = set()
    for table, value in rows(server.database):
        tables.add(table)
        as_bytes = value if isinstance(value, bytes) else str(value).encode()
        assert IP.encode() not in as_bytes, f"{IP} is in {table}"
    assert {"event_log", "session_events", "sessions", "effect_log"} <= tables
    assert IP not in server.log_text()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "127.0.0.1"),  # no proxy trusted: the header is anyone's
        ({"JOURNEYLINE_TRUSTED_PROXIES": "10.0.0.0/8"}, "127.0.0.1"),  # another proxy's
        ({"JOURNEYLINE_TRUSTED_PROXIES": "127.0.0.1"}, IP),
        ({"JOURNEYLINE_TRUST_PROXY": "true"}, IP),  # the older switch: every peer
    ],
)
def test_serve_believes_x_forwarded_for_only_from_a_trusted_proxy(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    with serve(tmp_path, **env) as server:
        d = server.deployment()
        sent = server.client.post(
            f"/api/v2/journey/deployments/{d['id']}/webevents",
            json=web_event(str(uuid.uuid4()), -1, now_ms=int(time.time() * 1000)),
            headers=browser(**{"X-Forwarded-For": IP}),
        )
        assert sent.status_code == 200, sent.text
        session = f"/api/v2/journey/sessions/{sent.json()['session']['id']}"
        assert server.client.get(session, headers=server.headers).json()["ipAddress"] == expected
