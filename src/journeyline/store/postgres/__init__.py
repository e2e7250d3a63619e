"""The production store: PostgreSQL (``postgresql://host/database``, psycopg 3).

The same shared SQL as SQLite (``store/sql``) on a psycopg connection (``connection.py``:
the URL, migrations, transactions under an advisory lock, the dialect); every public method
translates ``psycopg.Error`` to ``StoreError`` (``store/boundary.py``). The API's reads take
their connections from ``PgPool`` (psycopg_pool).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from journeyline.model.errors import StoreError
from journeyline.store.base import register_backend, shown
from journeyline.store.boundary import translate_errors
from journeyline.store.postgres.connection import (
    MIGRATIONS,
    SCHEMES,
    Connection,
    migrate,
    split_url,
    use_schema,
)
from journeyline.store.sql.store import SqlStore

__all__ = ["MIGRATIONS", "PgPool", "PostgresStore", "migrate", "split_url"]

#: How long a borrower waits for a connection (all lent, or the server away), in seconds.
WAIT_SECONDS = 10.0


@translate_errors(psycopg.Error)
class PostgresStore(SqlStore, Connection):
    @classmethod
    def open(cls, url: str) -> PostgresStore:
        migrate(url)
        return cls(url)


class PgPool:
    """Up to ``size`` connections (one open from the start, more as reads wait for one), each
    checked with an empty statement before it is lent: one the server dropped (a restart, a
    terminated backend, a cut idle connection) is replaced, not handed out, so the read after
    an outage succeeds as soon as the server answers again."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.size = size
        conninfo, schema = split_url(url)
        self._pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True},
            configure=functools.partial(use_schema, schema),
            check=ConnectionPool.check_connection,
            timeout=WAIT_SECONDS,
            name="journeyline-reads",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=WAIT_SECONDS)
        except psycopg.Error as exc:
            self._pool.close()
            raise StoreError(f"cannot open {shown(url)}: {exc}") from exc

    @contextmanager
    def borrow(self) -> Iterator[PostgresStore]:
        try:
            conn = self._pool.getconn()
        except psycopg.Error as exc:  # PoolTimeout: none free, or none could connect
            raise StoreError(f"no connection to {shown(self.url)}: {exc}") from exc
        try:
            yield PostgresStore(self.url, conn)
        finally:
            self._pool.putconn(conn)  # one left broken or in a transaction is dealt with

    def close(self) -> None:
        self._pool.close()


for _scheme in SCHEMES:
    register_backend(_scheme, PostgresStore.open, PgPool)
