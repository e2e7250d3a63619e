"""PostgreSQL for the tests: a store URL on a clean schema of a real server per use.

The server is ``JOURNEYLINE_TEST_POSTGRES`` (a libpq URL; by default the one on
127.0.0.1:5432, database ``test``), never a stand-in. When it cannot be reached, the tests that
need it fail with a message that says how to start it (``scripts/services``, which ``scripts/test``
calls, starts it when it is not running).

Schemas are made, migrated, and reused: after a test its tables are emptied (``TRUNCATE``) and
the schema goes back to the pool, which costs a tenth of migrating a new one. A schema whose
tables a test dropped is dropped itself. Schema names carry the process id (each pytest-xdist
worker is a process of its own, with a pool of its own), so a run removes what a killed run of
its own left behind without touching a run beside it.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql

from journeyline.store.postgres.connection import migrate

SERVER = os.environ.get("JOURNEYLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

_pool: list[str] = []
_spoiled: set[str] = set()
_swept = False


def _admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {SERVER} ({exc}).\n"
            "Start it (`scripts/services` does) or point JOURNEYLINE_TEST_POSTGRES "
            "at a server; these tests need a real one.",
            pytrace=False,
        )


def _url(schema: str) -> str:
    return f"{SERVER}{'&' if '?' in SERVER else '?'}schema={schema}"


def _drop(conn: psycopg.Connection[Any], schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _sweep(conn: psycopg.Connection[Any]) -> None:
    """Drop the schemas of test runs whose process is gone."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%'"
    ).fetchall()
    for (schema,) in rows:
        pid = schema.split("_")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            _drop(conn, schema)


def _clean(conn: psycopg.Connection[Any], schema: str) -> None:
    """Empty every table: ``DELETE`` (a few ms for a test's rows) rather
    than ``TRUNCATE`` (a quarter of a second for thirty tables)."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s"
            " AND tablename NOT LIKE '\\_yoyo%%' AND tablename != 'yoyo_lock'",
            (schema,),
        )
    ]
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")  # a test's scratch: no fsync
        for name in tables:
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, name)))


@contextmanager
def fresh_url() -> Iterator[str]:
    """A store URL on a migrated, empty schema of its own for the block."""
    global _swept
    if not _swept:
        with _admin() as conn:
            _sweep(conn)
        _swept = True
    if _pool:
        schema = _pool.pop()
    else:
        schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        migrate(_url(schema))
    try:
        yield _url(schema)
    finally:
        with _admin() as conn:
            if schema in _spoiled:
                _drop(conn, schema)
            else:
                _clean(conn, schema)
                _pool.append(schema)


def drop_tables(url: str, names: tuple[str, ...] = ()) -> None:
    """Drop tables of the store at ``url`` behind its back: ``names``, or all of them."""
    schema = url.rsplit("schema=", 1)[1]
    _spoiled.add(schema)
    with _admin() as conn:
        if names:
            for name in names:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, name)))
        else:
            _drop(conn, schema)
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


@atexit.register
def _drop_pool() -> None:
    if not _pool:
        return
    try:
        with psycopg.connect(SERVER, autocommit=True, connect_timeout=5) as conn:
            for schema in _pool:
                _drop(conn, schema)
    except psycopg.Error:
        pass  # the next run sweeps them


def run(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Run ``statement`` in the schema of the store at ``url`` (autocommit); its rows."""
    schema = url.rsplit("schema=", 1)[1]
    with _admin() as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        cursor = conn.execute(statement.encode())
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
