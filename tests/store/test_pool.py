"""The reads' pool (``store.base.open_pool``) on every backend: each borrower has a store of its
own, no more than ``size`` are lent at once, and on PostgreSQL a connection the server dropped
is replaced before it is lent again (a real server: its backends terminated under the pool)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

import pg
from journeyline.store import open_store
from journeyline.store.base import StorePool, open_pool


@pytest.fixture
def pool(store_url: str) -> Iterator[StorePool]:
    open_store(store_url).close()  # migrated, as the app's lifespan has it
    opened = open_pool(store_url, 2)
    try:
        yield opened
    finally:
        opened.close()


def test_two_borrowers_read_at_once_and_a_third_waits_for_one_of_them(pool: StorePool) -> None:
    both_in = threading.Barrier(2, timeout=10)  # broken unless both hold a store at once
    release = threading.Event()
    third_in = threading.Event()
    read: list[object] = []

    def hold() -> None:
        with pool.borrow() as store:
            read.append(store.partition_positions())
            both_in.wait()
            release.wait(10)

    def third() -> None:
        with pool.borrow() as store:
            third_in.set()
            read.append(store.partition_positions())

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    waiting = threading.Thread(target=third)
    waiting.start()
    assert not third_in.wait(0.3)  # both stores are lent: it waits
    release.set()
    for t in [*holders, waiting]:
        t.join(10)
    assert third_in.is_set()
    assert len(read) == 3
    assert not both_in.broken


def test_the_stores_lent_at_once_are_distinct_connections(pool: StorePool) -> None:
    with pool.borrow() as first, pool.borrow() as second:
        assert first is not second
        assert first.partition_positions() == second.partition_positions()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL store whose connections carry a name of their own (to find them)."""
    with pg.fresh_url() as url:
        yield f"{url}&application_name=jl_pool_{uuid.uuid4().hex[:12]}"


def _backends(url: str) -> list[int]:
    name = url.rsplit("application_name=", 1)[1]
    with psycopg.connect(pg.SERVER, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchall()
    return sorted(pid for (pid,) in rows)


def _terminate(pids: list[int]) -> None:
    """End these backends, as a server restart or a cut connection would (each waited for)."""
    with psycopg.connect(pg.SERVER, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_connections_the_server_dropped_are_replaced_before_they_are_lent(pg_url: str) -> None:
    open_store(pg_url).close()
    pool = open_pool(pg_url, 2)
    try:
        with pool.borrow() as first, pool.borrow() as second:
            first.partition_positions()
            second.partition_positions()
        before = _backends(pg_url)
        assert len(before) == 2  # the pool's two connections, and nothing else of the test's
        _terminate(before)
        with pool.borrow() as first, pool.borrow() as second:  # no error: checked, replaced
            assert first.partition_positions() == second.partition_positions() == {}
        after = _backends(pg_url)
        assert len(after) == 2
        assert not set(after) & set(before)
    finally:
        pool.close()
    assert _backends(pg_url) == []  # closing the pool closes its connections
