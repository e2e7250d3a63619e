"""The server against slow and idle clients: a real uvicorn on 127.0.0.1, configured as
``journeyline serve`` is (``api/server.py``), with timeouts of a second."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conftest import serve
from journeyline.api.app import create_app
from journeyline.api.server import MAX_HEADER_BYTES
from journeyline.config import Settings

HEALTH = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"
#: a request whose body never comes: the app waits for it
SLOW_BODY = (
    b"POST /oauth/token HTTP/1.1\r\nHost: test\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n"
)


@dataclass
class Server:
    base_url: str
    port: int

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sockets.append(sock)
        return sock

    def health(self) -> int:
        return httpx.get(f"{self.base_url}/health", timeout=5).status_code

    sockets: list[socket.socket]


@contextlib.contextmanager
def server(store_url: str, **settings: Any) -> Iterator[Server]:
    timeouts = {"request_timeout_seconds": 1, "keepalive_timeout_seconds": 1}
    chosen = Settings(store_url=store_url, **{**timeouts, **settings})
    with serve(create_app(chosen), settings=chosen) as base_url:
        running = Server(base_url, int(base_url.rsplit(":", 1)[1]), [])
        try:
            yield running
        finally:
            for sock in running.sockets:
                sock.close()


def read_all(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and when it did (seconds from
    now); fails if it is still open after ``within`` seconds."""
    start = time.monotonic()
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"still open after {within} s, having sent {received!r}")
    except ConnectionResetError:
        pass
    return received, time.monotonic() - start


def closed_now(sock: socket.socket) -> bool:
    """The server has closed ``sock`` (or closes it within a moment)."""
    sock.settimeout(0.2)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_headers_sent_a_byte_at_a_time_get_a_408_while_others_are_served(
    store_url: str,
) -> None:
    with server(store_url) as running:
        slow = running.connect()
        start = time.monotonic()
        slow.settimeout(0.2)
        answer = b""
        for byte in HEALTH[:-2]:  # never the blank line that ends the headers
            try:
                slow.send(bytes([byte]))
                answer = slow.recv(65536)
            except TimeoutError:
                if time.monotonic() - start < 0.5:
                    assert running.health() == 200  # another client meanwhile
                continue
            except (BrokenPipeError, ConnectionResetError):
                pass
            break
        waited = time.monotonic() - start
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b'"code":"request.timeout"' in answer
        assert 0.8 < waited < 3
        assert running.health() == 200


def test_a_body_sent_a_byte_at_a_time_gets_a_408_and_nothing_is_logged(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with server(store_url) as running:
        slow = running.connect()
        slow.sendall(SLOW_BODY + b"g")
        time.sleep(0.5)
        slow.sendall(b"r")
        answer, waited = read_all(slow, within=3)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert waited < 1.5
        assert running.health() == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_connection_that_sends_nothing_is_closed(store_url: str) -> None:
    with server(store_url) as running:
        answer, waited = read_all(running.connect(), within=3)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert 0.8 < waited < 2


def test_an_idle_kept_alive_connection_is_closed_after_its_timeout(store_url: str) -> None:
    with server(store_url) as running:
        sock = running.connect()
        sock.sendall(HEALTH)
        answer, waited = read_all(sock, within=3)
        assert answer.startswith(b"HTTP/1.1 200 "), answer  # the answer, then the close
        assert 0.8 < waited < 2


def test_a_request_with_huge_headers_gets_a_431(store_url: str) -> None:
    with server(store_url) as running:
        sock = running.connect()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(MAX_HEADER_BYTES // len(line) + 2):
                sock.sendall(line)
        answer, _ = read_all(sock, within=3)
        assert answer.startswith(b"HTTP/1.1 431 "), answer


def test_over_the_cap_the_longest_idle_connections_make_room(store_url: str) -> None:
    with server(store_url, max_connections=5, request_timeout_seconds=30) as running:
        flood = [running.connect() for _ in range(12)]
        time.sleep(0.3)
        assert running.health() == 200  # a new client is served all the same
        closed = [closed_now(sock) for sock in flood]
        assert sum(closed) >= 8  # 12 + 1 connections, 5 at most open
        assert not any(closed[-4:])  # the newest stay


def test_when_every_connection_is_busy_a_new_one_gets_a_503(store_url: str) -> None:
    with server(store_url, max_connections=3, request_timeout_seconds=30) as running:
        busy = [running.connect() for _ in range(3)]
        for sock in busy:
            sock.sendall(SLOW_BODY)  # the app waits for their bodies
        time.sleep(0.3)
        answer, _ = read_all(running.connect(), within=3)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"retry-after: 1\r\n" in answer
        busy[0].sendall(b"grant_type=client_credentials&scope=abcd")  # its 40 bytes
        busy[0].settimeout(3)
        reply = busy[0].recv(65536)
        assert reply.startswith(b"HTTP/1.1 401 "), reply  # an existing client is answered
        assert running.health() == 200  # and room again: busy[0] waits for a next request
