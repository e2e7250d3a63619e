"""The HTTP figures: ``journeyline serve`` in a subprocess, loaded by a minimal client.

``live_server`` starts the server on a fresh store; ``_load`` is a minimal asyncio HTTP/1.1
client (keep-alive, one request in flight per connection, pre-built requests); ``http_run`` and
``web_http_run`` measure conversation events and web events, one per request then batched.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from journeyline.api.auth import create_client
from journeyline.bench.errors import BenchError
from journeyline.bench.runs import Run, count_rows, web_counts
from journeyline.bench.workload import (
    SITE,
    SITE_DOMAIN,
    WebHit,
    genesys_request,
    make_web_hits,
    segment_message,
)
from journeyline.clock import iso, system_clock
from journeyline.store import open_store

HTTP_BATCH = 100  # events per request for http_batch
PATH = "/api/v2/journey/conversationevents"
SEGMENT_BATCH = 100  # messages per POST /v1/batch
WEB_PATH = "/api/v2/journey/deployments/{}/webevents"
SEGMENT_PATH = "/v1/batch"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _log_tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-2000:]
    return ""


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    log_path: Path,
    timeout: float,
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` as a subprocess (its output in ``log_path``), stopped afterwards (SIGTERM,
    then SIGKILL after 10 s). With ``port``: once ``GET /health`` answers 200 there."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            deadline = time.monotonic() + min(timeout, 30.0)
            while port is not None:
                if process.poll() is not None:
                    raise BenchError(f"the server exited early:\n{_log_tail(log_path)}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if request(port, "GET", "/health")[0] == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"the server did not start:\n{_log_tail(log_path)}")
                time.sleep(0.05)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def serve_command(url: str, port: int | None, *options: str) -> list[str]:
    """``journeyline serve`` of the store at ``url`` on 127.0.0.1:``port`` (None: no
    ``--port``, as a worker), quiet but for warnings."""
    command = [sys.executable, "-m", "journeyline.cli", "serve", "--store", url]
    if port is not None:
        command += ["--host", "127.0.0.1", "--port", str(port)]
    return [*command, "--log-level", "warning", *options]


def admin_token(port: int, credentials: tuple[str, str]) -> str:
    """A bearer token from ``POST /oauth/token`` (client credentials) on the server."""
    basic = base64.b64encode(":".join(credentials).encode()).decode()
    status, body = request(
        port,
        "POST",
        "/oauth/token",
        b"grant_type=client_credentials",
        {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise BenchError(f"POST /oauth/token answered {status}: {body[:200]!r}")
    return str(json.loads(body)["access_token"])


def admin_client(url: str) -> tuple[str, str]:
    """An admin client made in the store at ``url``: (id, secret)."""
    store = open_store(url)
    try:
        return create_client(store, name="bench", role="admin", now_ms=system_clock())
    finally:
        store.close()


@contextlib.contextmanager
def live_server(
    workdir: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    *,
    url: str | None = None,
    pid: list[int] | None = None,
) -> Iterator[tuple[int, str]]:
    """``journeyline serve`` on a free 127.0.0.1 port with a fresh store; yields (port, token).

    ``env``: settings for the server (``JOURNEYLINE_*``) on top of this process's environment.
    ``url``: the fresh store to serve (default: ``http.db`` in ``workdir``); ``pid``: the
    server's process id is appended to it.
    """
    url = url or f"sqlite:///{workdir / 'http.db'}"
    credentials = admin_client(url)
    port = free_port()
    command = serve_command(url, port)
    with serving(command, workdir / "server.log", timeout, env=env, port=port) as process:
        if pid is not None:
            pid.append(process.pid)
        yield port, admin_token(port, credentials)


@contextlib.contextmanager
def minimal_server(workdir: Path, timeout: float) -> Iterator[int]:
    """The minimal endpoint (``bench.minimal``) on a free 127.0.0.1 port; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "journeyline.bench.minimal", str(port)]
    with serving(command, workdir / "minimal.log", timeout, port=port):
        yield port


class _Counts(msgspec.Struct):
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise BenchError("the server answered with a chunked body, which the bench cannot read")
    if length is None:
        raise BenchError("the server answered without a Content-Length")
    return status, await reader.readexactly(length)


def http_request(port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One pre-built HTTP/1.1 POST (keep-alive)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@contextlib.asynccontextmanager
async def connected(
    port: int, count: int, timeout: float, what: str
) -> AsyncIterator[list[Connection]]:
    """``count`` connections to the server on ``port``, closed afterwards. The block must end
    within ``timeout`` seconds; its task group's first failure becomes one BenchError naming
    ``what`` (a BenchError as it is)."""
    connections: list[Connection] = []
    try:
        async with asyncio.timeout(timeout):
            for _ in range(count):
                connections.append(await asyncio.open_connection("127.0.0.1", port))
            yield connections
    except TimeoutError:
        raise BenchError(f"{what} did not finish within {timeout:.0f} s") from None
    except ExceptionGroup as failed:
        first = failed.exceptions[0]
        if isinstance(first, BenchError):
            raise first from None
        raise BenchError(f"{what} failed: {first!r}") from first
    finally:
        for _, writer in connections:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _load(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    timeout: float,
    check: Callable[[int, int, bytes], None],
) -> float:
    """Send every request over ``concurrency`` keep-alive connections; the seconds it took.

    ``check(index, status, body)`` sees each response and raises BenchError on a bad one.
    """
    position = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while position < len(requests):
            index = position
            position += 1
            writer.write(requests[index])
            status, body = await read_response(reader)
            check(index, status, body)

    count = max(1, min(concurrency, len(requests)))
    async with connected(port, count, timeout, "HTTP load") as connections:
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for reader, writer in connections:
                group.create_task(worker(reader, writer))
        seconds = time.perf_counter() - start
    return seconds


async def _post_all(
    port: int, token: str, bodies: Sequence[bytes], concurrency: int, timeout: float
) -> tuple[float, _Counts]:
    """POST conversation events; (seconds, the summed counts of the 202 answers)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests = [http_request(port, PATH, body, headers) for body in bodies]
    totals = _Counts()

    def check(index: int, status: int, body: bytes) -> None:
        if status != 202:
            raise BenchError(f"POST {PATH} answered {status}: {body[:300]!r}")
        counts = msgspec.json.decode(body, type=_Counts)
        totals.accepted += counts.accepted
        totals.duplicate += counts.duplicate
        totals.rejected += counts.rejected

    seconds = await _load(port, requests, concurrency, timeout, check)
    return seconds, totals


def http_run(
    workdir: Path,
    single: Sequence[bytes],
    batched: Sequence[bytes],
    *,
    concurrency: int,
    timeout: float,
    url: str | None = None,
) -> tuple[Run, Run, Run]:
    """One server, one fresh store (``url``, default a SQLite file in ``workdir``): single
    events first, then arrays of 100 (other events). Then, the server stopped, the minimal
    endpoint (``bench.minimal``) sent the same single requests over as many connections.
    (single, batches, minimal)."""
    url = url or f"sqlite:///{workdir / 'http.db'}"
    batches = [
        b"[" + b",".join(batched[offset : offset + HTTP_BATCH]) + b"]"
        for offset in range(0, len(batched), HTTP_BATCH)
    ]
    with live_server(workdir, timeout, url=url) as (port, token):
        seconds1, counts1 = asyncio.run(_post_all(port, token, single, concurrency, timeout))
        seconds2, counts2 = asyncio.run(_post_all(port, token, batches, concurrency, timeout))
    for name, sent, counts in (("single", single, counts1), ("batches", batched, counts2)):
        if counts.accepted != len(sent):
            raise BenchError(
                f"HTTP {name}: {counts.accepted} of {len(sent)} events accepted"
                f" ({counts.duplicate} duplicate, {counts.rejected} rejected)"
            )
    stored = count_rows(url, "event_log")
    one = Run(len(single), seconds1, {"requests": len(single), "accepted": counts1.accepted})
    many = Run(
        len(batched),
        seconds2,
        {"requests": len(batches), "accepted": counts2.accepted, "stored_events": stored},
    )
    return one, many, minimal_run(workdir, single, token, concurrency, timeout)


#: The minimal endpoint is sent the single-event requests over again until it has had at least
#: this many: it answers them several times faster, and a burst of under a second is at the
#: mercy of whatever else the machine is doing.
MINIMAL_REQUESTS = 10_000


def minimal_run(
    workdir: Path, single: Sequence[bytes], token: str, concurrency: int, timeout: float
) -> Run:
    """The HTTP ceiling: the single-event requests (same bodies, same headers) to the minimal
    endpoint, in turn until :data:`MINIMAL_REQUESTS` at least, every answer a 202."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rounds = -(-MINIMAL_REQUESTS // len(single))
    with minimal_server(workdir, timeout) as port:
        requests = [http_request(port, PATH, body, headers) for body in single] * rounds

        def check(index: int, status: int, body: bytes) -> None:
            if status != 202:
                raise BenchError(f"the minimal endpoint answered {status}: {body[:200]!r}")

        seconds = asyncio.run(_load(port, requests, concurrency, timeout, check))
    return Run(len(requests), seconds, {"requests": len(requests)})


def post_json(port: int, token: str, path: str, doc: Any) -> Any:
    """``POST path`` with a JSON body as an admin; the JSON answer (BenchError unless 200)."""
    status, answer = request(
        port,
        "POST",
        path,
        json.dumps(doc).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    if status != 200:
        raise BenchError(f"POST {path} answered {status}: {answer[:300]!r}")
    return json.loads(answer)


def create_deployment(port: int, token: str) -> tuple[str, str]:
    """A web deployment on the live server, as an admin makes one: (id, write key)."""
    body = {"name": "bench", "allowedDomains": [SITE_DOMAIN]}
    doc = post_json(port, token, "/api/v2/webdeployments/deployments", body)
    return str(doc["id"]), str(doc["writeKey"])


def _web_single_requests(port: int, deployment_id: str, hits: Sequence[WebHit]) -> list[bytes]:
    """One WebEventRequest per POST, as the visitors' browsers send them (through a proxy)."""
    path = WEB_PATH.format(deployment_id)
    return [
        http_request(
            port,
            path,
            msgspec.json.encode(genesys_request(hit)),
            {
                "User-Agent": hit.user_agent,
                "Origin": SITE,
                "X-Forwarded-For": hit.ip,
                "Content-Type": "application/json",
            },
        )
        for hit in hits
    ]


def segment_batch(port: int, write_key: str, messages: Sequence[Any], now_ms: int) -> bytes:
    """One Segment ``/v1/batch`` POST of ``messages``, the write key as Basic user name."""
    basic = base64.b64encode(f"{write_key}:".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "User-Agent": "analytics-python/2.3.3",
        "Content-Type": "application/json",
    }
    body = msgspec.json.encode({"batch": messages, "sentAt": iso(now_ms)})
    return http_request(port, SEGMENT_PATH, body, headers)


def message_ids(seed: int) -> Iterator[str]:
    """analytics.js-style message ids, the same for the same seed."""
    rng = random.Random(seed)
    while True:
        yield f"ajs-next-{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _segment_requests(
    port: int, write_key: str, hits: Sequence[WebHit], now_ms: int, *, seed: int
) -> list[bytes]:
    """Segment ``/v1/batch`` bodies of 100 messages."""
    ids = message_ids(seed)
    return [
        segment_batch(
            port,
            write_key,
            [segment_message(hit, next(ids)) for hit in hits[offset : offset + SEGMENT_BATCH]],
            now_ms,
        )
        for offset in range(0, len(hits), SEGMENT_BATCH)
    ]


def web_http_run(
    workdir: Path, single: int, batched: int, *, concurrency: int, timeout: float
) -> tuple[Run, Run]:
    """One server, one fresh store, one deployment: web events one per request, then Segment
    batches of 100 (other visitors). The visitors' addresses come in ``X-Forwarded-For``, as
    from a proxy in front: the server trusts this machine as one."""
    proxy = {"JOURNEYLINE_TRUSTED_PROXIES": "127.0.0.1"}
    with live_server(workdir, timeout, proxy) as (port, token):
        deployment_id, write_key = create_deployment(port, token)
        now = system_clock()
        hits = make_web_hits(single, now, seed=2)
        requests = _web_single_requests(port, deployment_id, hits)
        accepted = 0

        def check_single(index: int, status: int, body: bytes) -> None:
            nonlocal accepted
            if status != 200:
                raise BenchError(f"POST {requests[index][:90]!r} answered {status}: {body[:300]!r}")
            accepted += 1

        seconds1 = asyncio.run(_load(port, requests, concurrency, timeout, check_single))
        one = Run(len(hits), seconds1, {"requests": len(requests), "accepted": accepted})

        now = system_clock()
        batch_hits = make_web_hits(batched, now, seed=3)
        batches = _segment_requests(port, write_key, batch_hits, now, seed=3)

        def check_batch(index: int, status: int, body: bytes) -> None:
            answer = msgspec.json.decode(body) if body.startswith(b"{") else {}
            if status != 200 or answer.get("success") is not True:
                rejected = [r for r in answer.get("results", []) if r.get("status") != "accepted"]
                detail = rejected[:1] or body[:300]
                raise BenchError(f"POST {SEGMENT_PATH} answered {status}: {detail!r}")

        seconds2 = asyncio.run(_load(port, batches, concurrency, timeout, check_batch))
    counts = web_counts(workdir / "http.db")
    if counts["stored_events"] != len(hits) + len(batch_hits):
        raise BenchError(
            f"web HTTP: stored {counts['stored_events']} events of {len(hits) + len(batch_hits)}"
        )
    many = Run(
        len(batch_hits),
        seconds2,
        {"requests": len(batches), "accepted": len(batch_hits), **counts},
    )
    return one, many
