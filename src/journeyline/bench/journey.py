"""The desktop's journey page: the server time to render one person with many sessions.

A server (``journeyline serve``, a fresh store) is given one caller with ``sessions``
conversations (each routed, answered, ended and wrapped up: five events), through the API. An
admin user signs in through the sign-in form, then ``GET /desktop/people/{contactId}`` is asked
``requests`` times; each answer's ``Server-Timing: app;dur=…`` header is the server time from
the desktop route's start to its rendered page (store reads, cards, template). p50 and p99.

The ceiling, measured in the same run on the same store file: the raw SQLite read of that
person's session rows (``SELECT doc FROM sessions WHERE external_contact_id = ?``), which any
page showing those sessions must at least do.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from journeyline.bench.errors import BenchError
from journeyline.bench.http import live_server
from journeyline.bench.latency import percentile
from journeyline.bench.runs import Run

GOAL_MS = 50.0
PHONE = "tel:+15550199000"
_TIMING = re.compile(r"app;dur=([0-9.]+)")


def _conversation(n: int, start_ms: int) -> list[dict[str, Any]]:
    conversation_id = f"00000000-0000-4000-8000-{n:012d}"
    steps = [
        ("customer.start", 0, "customer", {}),
        ("acd.start", 5, "acd", {"queueId": "q-bench"}),
        ("acd.end", 30, "acd", {"queueId": "q-bench", "acdOutcome": "ANSWERED"}),
        ("user.start", 30, "agent", {"userId": "u-bench", "queueId": "q-bench"}),
        ("user.end", 300, "agent", {"userId": "u-bench", "disconnectType": "CLIENT"}),
        ("customer.end", 300, "customer", {"disconnectType": "PEER"}),
        ("acw", 330, "agent", {"userId": "u-bench", "wrapupCode": "w-bench"}),
    ]
    events = []
    for topic, seconds, participant, extra in steps:
        body = {
            "eventTime": start_ms + seconds * 1000,
            "conversationId": conversation_id,
            "participantId": f"{conversation_id}-{participant}",
            "sessionId": f"{conversation_id}-{participant}-s",
            "mediaType": "VOICE",
            "direction": "INBOUND",
            "ani": PHONE,
            "dnis": "tel:+18005550100",
            **extra,
        }
        events.append(
            {
                "topicName": f"v2.detail.events.conversation.{conversation_id}.{topic}",
                "version": "2",
                "eventBody": body,
            }
        )
    return events


def _check(response: httpx.Response, what: str, *codes: int) -> httpx.Response:
    if response.status_code not in (codes or (200,)):
        raise BenchError(f"{what} answered {response.status_code}: {response.text[:200]}")
    return response


def _load(client: httpx.Client, sessions: int) -> str:
    """The caller's sessions, through the API; returns their contact id."""
    for path, entry in (
        ("/api/v2/routing/queues", {"id": "q-bench", "name": "Bench queue"}),
        ("/api/v2/users", {"id": "u-bench", "name": "Bench Agent"}),
        ("/api/v2/routing/wrapupcodes", {"id": "w-bench", "name": "Resolved"}),
    ):
        _check(client.post(path, json=entry), f"POST {path}")
    start = int(time.time() * 1000) - (sessions + 1) * 400_000
    wire = [e for n in range(sessions) for e in _conversation(n, start + n * 400_000)]
    for first in range(0, len(wire), 500):
        chunk = wire[first : first + 500]
        _check(client.post("/api/v2/journey/conversationevents", json=chunk), "events", 202)
    found = _check(
        client.post(
            "/api/v2/externalcontacts/identifierlookup",
            json={"type": "Phone", "value": PHONE.removeprefix("tel:")},
        ),
        "identifierlookup",
    )
    return str(found.json()["id"])


def _sign_in(base_url: str, token: str) -> httpx.Client:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        password = secrets.token_urlsafe(24)
        body = {"name": "Bench Admin", "email": "bench@example.com", "password": password}
        _check(api.post("/api/v2/users", json={**body, "role": "admin"}), "POST /api/v2/users")
    desk = httpx.Client(base_url=base_url, timeout=30)
    try:
        return _signed_in(desk, body["email"], password)
    except BaseException:
        desk.close()
        raise


def _signed_in(desk: httpx.Client, email: str, password: str) -> httpx.Client:
    form = _check(desk.get("/desktop/signin"), "GET /desktop/signin").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    if found is None:
        raise BenchError("the sign-in form has no csrf_token")
    data = {"email": email, "password": password, "csrf_token": found.group(1)}
    _check(desk.post("/desktop/signin", data=data), "POST /desktop/signin", 303)
    return desk


def _raw_read_ms(path: Path, contact_id: str, rounds: int) -> float:
    """The median time of the raw read of the person's session rows."""
    db = sqlite3.connect(path)
    try:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            rows = db.execute(
                "SELECT doc FROM sessions WHERE external_contact_id = ?"
                " ORDER BY created_ms DESC, id DESC LIMIT 200",
                (contact_id,),
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
            if not rows:
                raise BenchError("the raw read found no session of the person")
        return sorted(times)[len(times) // 2]
    finally:
        db.close()


def journey_run(workdir: Path, *, sessions: int, requests: int, timeout: float) -> Run:
    if not 1 <= sessions <= 200:
        raise BenchError("--journey-sessions must be between 1 and 200 (one page)")
    if not 1 <= requests <= 10_000:
        raise BenchError("--journey-requests must be between 1 and 10,000")
    with live_server(workdir, timeout) as (port, token):
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            contact_id = _load(api, sessions)
        desk = _sign_in(base_url, token)
        try:
            path = f"/desktop/people/{contact_id}"
            page = _check(desk.get(path), f"GET {path}")
            shown = page.text.count('<article class="card')
            if shown != sessions:
                raise BenchError(f"the journey shows {shown} cards, not {sessions}")
            server_ms = []
            started = time.perf_counter()
            for _ in range(requests):
                answer = _check(desk.get(path), f"GET {path}")
                timing = _TIMING.search(answer.headers.get("server-timing", ""))
                if timing is None:
                    raise BenchError("the journey page has no Server-Timing header")
                server_ms.append(float(timing.group(1)))
            seconds = time.perf_counter() - started
        finally:
            desk.close()
        raw = _raw_read_ms(workdir / "http.db", contact_id, max(requests, 20))
    server_ms.sort()
    details = {
        "sessions": float(sessions),
        "p50_ms": percentile(server_ms, 0.5),
        "p99_ms": percentile(server_ms, 0.99),
        "max_ms": server_ms[-1],
        "raw_read_ms": raw,
    }
    return Run(requests, seconds, details)


def passed(run: Run) -> bool:
    return run.details["p99_ms"] < GOAL_MS
