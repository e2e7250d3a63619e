"""PostgreSQL: the URL, its migrations, the connection and its dialect.

``postgresql://user@host:port/database`` (any libpq URL), with one parameter of ours:
``?schema=NAME`` keeps the store's tables in that schema (made if missing), so several stores
— an installation's and its tests' — can share one database.

One connection per store, in autocommit mode: a read outside a transaction is one statement.
``transaction()`` (``store/sql/transactions.py``) begins and takes the store's advisory lock,
so write transactions of every process on the store run one at a time, as SQLite's
``BEGIN IMMEDIATE`` makes them: no lost update, never two contacts for one identifier, by
construction rather than by luck. Readers never wait for it.

The shared SQL is written with ``?`` placeholders; ``PgDb`` turns them into psycopg's.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from yoyo import get_backend, read_migrations

from journeyline.model.errors import StoreError
from journeyline.store.sql.transactions import Transactions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "postgresql"

SCHEMES = ("postgresql", "postgres")


def split_url(url: str) -> tuple[str, str | None]:
    """``(libpq URL, schema)``: our ``schema`` parameter taken out of ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise StoreError(f"not a postgresql URL: {url} (expected postgresql://host/database)")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return urlunsplit(("postgresql", parts.netloc, parts.path, rest, parts.fragment)), schema


@functools.lru_cache(maxsize=4096)
def placeholders(statement: str) -> str:
    """``?`` → ``%s``, and a literal ``%`` doubled, for psycopg."""
    return statement.replace("%", "%%").replace("?", "%s")


class PgDb:
    """A psycopg connection that takes the shared SQL (``store/sql/query.Db``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, statement: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        cursor = self.conn.cursor()
        cursor.execute(placeholders(statement), parameters)
        return cursor

    def executemany(
        self, statement: str, parameters: Iterable[Sequence[Any]], /
    ) -> psycopg.Cursor[Any]:
        cursor = self.conn.cursor()
        rows = list(parameters)
        if rows:
            cursor.executemany(placeholders(statement), rows)
        return cursor


def _lock_key(schema: str | None) -> int:
    """The advisory lock of one store: a signed 64-bit number from its schema's name."""
    digest = hashlib.sha256(f"journeyline:{schema or 'public'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _connect(conninfo: str, schema: str | None) -> psycopg.Connection[Any]:
    conn = psycopg.connect(conninfo, autocommit=True)
    if schema:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return conn


def _up_to_date(conn: psycopg.Connection[Any]) -> bool:
    """Whether every migration file is applied already (one query, not yoyo's lock dance)."""
    wanted = {path.stem for path in MIGRATIONS.glob("*.sql")}
    try:
        applied = {row[0] for row in conn.execute("SELECT migration_id FROM _yoyo_migration")}
    except psycopg.errors.UndefinedTable:
        return False
    return wanted <= applied


def migrate(url: str) -> None:
    conninfo, schema = split_url(url)
    try:
        with _connect(conninfo, None) as conn:
            if schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            if _up_to_date(conn):
                return
        parts = urlsplit(conninfo)
        query = parse_qsl(parts.query) + ([("schema", schema)] if schema else [])
        backend = get_backend(
            urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, urlencode(query), ""))
        )
        try:
            with backend.lock():
                backend.apply_migrations(backend.to_apply(read_migrations(str(MIGRATIONS))))
        finally:
            backend.connection.close()
    except psycopg.Error as exc:
        raise StoreError(f"cannot migrate {url}: {exc}") from exc


class Connection(Transactions):
    """The connection and the dialect; the other parts of the store are mixins on it."""

    contact_name_sql = (
        "lower(coalesce(convert_from(doc, 'UTF8')::jsonb ->> 'first_name', '') || ' '"
        " || coalesce(convert_from(doc, 'UTF8')::jsonb ->> 'last_name', ''))"
    )
    body_contains_sql = "position(?::bytea IN body) > 0"
    driver_error = psycopg.Error

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo, schema = split_url(url)
        self.begin_statements = ("BEGIN", f"SELECT pg_advisory_xact_lock({_lock_key(schema)})")
        try:
            self._conn = _connect(conninfo, schema)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open {url}: {exc}") from exc
        self._db = PgDb(self._conn)

    def close(self) -> None:
        self._conn.close()

    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != TransactionStatus.IDLE
