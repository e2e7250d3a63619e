"""PostgreSQL: the URL, its migrations, the connection and its dialect.

``postgresql://user@host:port/database`` (any libpq URL), with one parameter of ours:
``?schema=NAME`` keeps the store's tables in that schema (made if missing), so several stores
— an installation's and its tests' — can share one database.

One connection per store, in autocommit mode: a read outside a transaction is one statement.
The API's reads borrow theirs from a pool (``PgPool`` in ``__init__.py``): a store is then
made around a connection the pool lends.
``transaction()`` (``store/sql/transactions.py``) begins and takes the store's advisory lock,
so write transactions of every process on the store run one at a time, as SQLite's
``BEGIN IMMEDIATE`` makes them: no lost update, never two contacts for one identifier, by
construction rather than by luck. Readers never wait for it.

The shared SQL is written with ``?`` placeholders; ``PgDb`` turns them into psycopg's.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from yoyo import get_backend, read_migrations

from journeyline.model.errors import StoreError
from journeyline.store.base import shown
from journeyline.store.migrations import all_applied
from journeyline.store.sql.transactions import Transactions
from journeyline.store.sql.transfer import TOOL_TABLES, insert_all, select_all

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "postgresql"

SCHEMES = ("postgresql", "postgres")


def split_url(url: str) -> tuple[str, str | None]:
    """``(libpq URL, schema)``: our ``schema`` parameter taken out of ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise StoreError(
            f"not a postgresql URL: {shown(url)} (expected postgresql://host/database)"
        )
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
    use_schema(schema, conn)
    return conn


def use_schema(schema: str | None, conn: psycopg.Connection[Any]) -> None:
    if schema:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))


def _up_to_date(conn: psycopg.Connection[Any]) -> bool:
    """Whether every migration file is applied already (one query, not yoyo's lock dance)."""
    try:
        applied = [row[0] for row in conn.execute("SELECT migration_id FROM _yoyo_migration")]
    except psycopg.errors.UndefinedTable:
        return False
    return all_applied(MIGRATIONS, applied)


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
        raise StoreError(f"cannot migrate {shown(url)}: {exc}") from exc


def holds_a_store(url: str) -> bool:
    """Whether the schema of ``url`` is there and migrations made a log in it (looked at
    only: no schema is made)."""
    conninfo, schema = split_url(url)
    try:
        with _connect(conninfo, None) as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.tables"
                " WHERE table_schema = coalesce(%s, current_schema()) AND table_name = 'event_log'",
                (schema,),
            ).fetchone()
    except psycopg.Error as exc:
        raise StoreError(f"cannot open {shown(url)}: {exc}") from exc
    return found is not None


def _bytes(value: Any) -> Any:
    return value.encode() if isinstance(value, str) else value


class Connection(Transactions):
    """The connection and the dialect; the other parts of the store are mixins on it."""

    contact_name_sql = (
        "lower(coalesce(convert_from(doc, 'UTF8')::jsonb ->> 'first_name', '') || ' '"
        " || coalesce(convert_from(doc, 'UTF8')::jsonb ->> 'last_name', ''))"
    )
    body_contains_sql = "position(?::bytea IN body) > 0"
    driver_error = psycopg.Error

    def __init__(self, url: str, conn: psycopg.Connection[Any] | None = None) -> None:
        """``conn``: one a pool lends, on the schema and in autocommit already; else the
        store connects."""
        self.url = url
        conninfo, schema = split_url(url)
        self.begin_statements = ("BEGIN", f"SELECT pg_advisory_xact_lock({_lock_key(schema)})")
        try:
            self._conn = conn if conn is not None else _connect(conninfo, schema)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open {shown(url)}: {exc}") from exc
        self._db = PgDb(self._conn)

    def close(self) -> None:
        self._conn.close()

    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def reclaim_erased(self) -> bool:
        """Nothing here: the rows an erasure deleted or rewrote are dead tuples until
        autovacuum (or a ``VACUUM``) reclaims them, and its WAL segments are recycled at
        checkpoints (docs/security.md, "Erasure"). A closed store says so, as every call."""
        if self._conn.closed:
            raise psycopg.OperationalError("the connection is closed")
        return True

    # whole tables (store/sql/transfer.py)

    def table_columns(self) -> dict[str, list[str]]:
        rows = self._conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        found: dict[str, list[str]] = {}
        for table, column in rows:
            if table not in TOOL_TABLES:
                found.setdefault(table, []).append(column)
        return found

    def table_references(self) -> dict[str, set[str]]:
        rows = self._conn.execute(
            "SELECT child.relname, parent.relname FROM pg_constraint c"
            " JOIN pg_class child ON child.oid = c.conrelid"
            " JOIN pg_class parent ON parent.oid = c.confrelid"
            " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
        )
        found: dict[str, set[str]] = {name: set() for name in self.table_columns()}
        for child, parent in rows:
            found.setdefault(child, set()).add(parent)
        return found

    def table_batches(
        self, table: str, columns: Sequence[str], size: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        # A server-side cursor: a large table is never all in memory at once.
        with self._conn.cursor(
            name="journeyline_transfer", withhold=not self.in_transaction()
        ) as cursor:
            cursor.execute(select_all(table, columns))
            while rows := cursor.fetchmany(size):
                yield rows

    def table_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        binary = self._bytea_columns(table)
        fixed = [c in binary for c in columns]
        self._db.executemany(
            insert_all(table, columns),
            [
                [_bytes(v) if wants else v for v, wants in zip(row, fixed, strict=True)]
                for row in rows
            ],
        )

    def _bytea_columns(self, table: str) -> set[str]:
        """The ``BYTEA`` columns of ``table``: a document another backend kept as text goes
        in as its UTF-8 bytes."""
        rows = self._conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = %s AND data_type = 'bytea'",
            (table,),
        )
        return {name for (name,) in rows}

    def advance_sequences(self) -> None:
        rows = self._conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
            " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
        ).fetchall()
        for table, column in rows:
            self._conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({qualified}, {column}),"
                    " coalesce((SELECT max({name}) FROM {table}), 0) + 1, false)"
                ).format(
                    qualified=sql.Literal(table),
                    column=sql.Literal(column),
                    name=sql.Identifier(column),
                    table=sql.Identifier(table),
                )
            )
