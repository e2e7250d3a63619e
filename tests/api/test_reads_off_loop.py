"""Reads run off the event loop, on the reads' pool (``api/reader.py``): a read that waits on
PostgreSQL — here on a table lock another connection holds — holds up neither ``/health`` nor
another request's read, which a connection of its own answers; the waiting read answers once
the lock goes. A read whose connection the server ends mid-query is a 503, and the next one
is answered on a new connection. A real server on 127.0.0.1 and a real PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from psycopg import sql

import pg
from conftest import bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.config import Settings

SESSIONS = "/api/v2/journey/sessions"
QUEUES = "/api/v2/routing/queues"


@dataclass
class Server:
    base_url: str
    headers: dict[str, str]
    schema: str
    name: str  # the application_name of the server's connections

    def get(self, path: str, timeout: float = 2.0) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=self.headers, timeout=timeout)


@pytest.fixture
def server() -> Iterator[Server]:
    with pg.fresh_url() as url:
        schema = url.rsplit("schema=", 1)[1]
        name = f"jl_loop_{uuid.uuid4().hex[:12]}"
        named = f"{url}&application_name={name}"
        settings = Settings(store_url=named, store_pool=2)
        credentials = make_client(named)
        with serve(create_app(settings), settings=settings) as base_url:
            with httpx.Client(base_url=base_url) as client:
                headers = bearer(client, credentials)
            yield Server(base_url, headers, schema, name)


@contextmanager
def sessions_locked(schema: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """The sessions table locked by another connection for the block: every read of it waits."""
    with psycopg.connect(pg.SERVER, autocommit=True) as locker:
        locker.execute("BEGIN")
        locker.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.Identifier(schema, "sessions")
            )
        )
        try:
            yield locker
        finally:
            locker.execute("ROLLBACK")


def waiting_backend(name: str) -> int:
    """The pid of the server's connection that waits on the lock (waited for, 10 s at most)."""
    deadline = time.monotonic() + 10
    with psycopg.connect(pg.SERVER, autocommit=True) as admin:
        while time.monotonic() < deadline:
            row = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                " AND wait_event_type = 'Lock'",
                (name,),
            ).fetchone()
            if row is not None:
                return int(row[0])
            time.sleep(0.02)
    raise AssertionError("no read of the server waits on the lock")


def in_background(server: Server, path: str) -> tuple[ThreadPoolExecutor, Future[httpx.Response]]:
    runner = ThreadPoolExecutor(1)
    return runner, runner.submit(server.get, path, 30.0)


def test_a_read_waiting_on_a_lock_holds_up_neither_health_nor_another_read(
    server: Server,
) -> None:
    with sessions_locked(server.schema):
        runner, listing = in_background(server, SESSIONS)
        waiting_backend(server.name)
        started = time.monotonic()
        health = server.get("/health")
        queues = server.get(QUEUES)  # a read of its own, on the pool's other connection
        elapsed = time.monotonic() - started
        assert (health.status_code, queues.status_code) == (200, 200), queues.text
        assert elapsed < 1.0, elapsed  # not after the lock: the loop was free all along
        assert not listing.done()
    answered = listing.result(timeout=10)  # the lock gone, the waiting read answers
    runner.shutdown()
    assert answered.status_code == 200, answered.text
    assert answered.json()["entities"] == []


def test_a_read_whose_connection_is_ended_is_a_503_and_the_next_read_is_answered(
    server: Server,
) -> None:
    with sessions_locked(server.schema):
        runner, listing = in_background(server, SESSIONS)
        pid = waiting_backend(server.name)
        with psycopg.connect(pg.SERVER, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        failed = listing.result(timeout=10)
        runner.shutdown()
    assert failed.status_code == 503, failed.text
    for _ in range(3):  # the ended connection is not lent again: each read is answered
        again = server.get(SESSIONS)
        assert again.status_code == 200, again.text
