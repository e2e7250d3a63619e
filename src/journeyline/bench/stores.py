"""Where the bench's stores live: SQLite files (the default) or fresh PostgreSQL schemas.

``--store sqlite`` (or no ``--store``): every run's store is a new SQLite file in the run's
temporary directory, as before. ``--store postgresql://user@host:port/database``: every run's
store is a new schema of that database (``?schema=bench_<pid>_<random>``, migrated by the store
as it opens), dropped with everything in it when the run ends — so runs never see each other's
rows, and the database is left as it was.

The PostgreSQL ceiling is here too: the raw batched insert of the same log rows into the same
database (``ceiling_run``), on a schema the real migrations made, so the table and its indexes
are the store's own.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from journeyline.bench.errors import BenchError
from journeyline.bench.workload import Workload
from journeyline.clock import system_clock
from journeyline.ingest import genesys_detail
from journeyline.store.postgres.connection import SCHEMES, migrate, split_url

SQLITE = "sqlite:///"
BATCH = 1000  # rows per transaction, as the SQLite ceiling


def sqlite_path(url: str) -> Path:
    if not url.startswith(SQLITE):
        raise BenchError(f"not a SQLite store URL: {url}")
    return Path(url.removeprefix(SQLITE))


@dataclass(frozen=True, slots=True)
class Backend:
    """The database the bench's stores are made in: ``server`` is a libpq URL without a
    schema (PostgreSQL), or None (SQLite files)."""

    server: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Backend:
        if text is None or text == "sqlite":
            return cls()
        if text.split(":", 1)[0] not in SCHEMES:
            raise BenchError(f"--store takes sqlite or a postgresql:// URL, not {text!r}")
        server, schema = split_url(text)
        if schema is not None:
            raise BenchError("--store: no ?schema= (the bench makes a fresh schema per run)")
        with _connect(server) as conn:  # reachable, or a clear error now rather than later
            conn.execute("SELECT 1")
        return cls(server)

    @property
    def postgres(self) -> bool:
        return self.server is not None

    @property
    def name(self) -> str:
        return "PostgreSQL" if self.postgres else "SQLite"

    def version(self) -> str:
        if self.server is None:
            return sqlite3.sqlite_version
        with _connect(self.server) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    @contextlib.contextmanager
    def fresh(self, workdir: Path, name: str) -> Iterator[str]:
        """A store URL nothing has used: a new file in ``workdir``, or a new schema (dropped
        afterwards, with everything in it)."""
        if self.server is None:
            yield f"{SQLITE}{workdir / f'{name}.db'}"
            return
        schema = f"bench_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        joiner = "&" if "?" in self.server else "?"
        try:
            yield f"{self.server}{joiner}schema={schema}"
        finally:
            with _connect(self.server) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


def _connect(conninfo: str, schema: str | None = None) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL is not reachable at {conninfo}: {exc}") from exc
    if schema:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return conn


@contextlib.contextmanager
def connection(url: str) -> Iterator[Any]:
    """A DB-API connection to the store at ``url`` outside the store (SQLite or PostgreSQL,
    autocommit), for counting and for the raw figures."""
    if url.startswith(SQLITE):
        db = sqlite3.connect(sqlite_path(url), isolation_level=None)
        try:
            yield db
        finally:
            db.close()
        return
    conninfo, schema = split_url(url)
    with _connect(conninfo, schema) as conn:
        yield conn


def count(url: str, query: str) -> int:
    """The single number ``query`` (a ``SELECT count(*) ...``) gives on the store at ``url``."""
    with connection(url) as db:
        row = db.execute(query).fetchone()
    return int(row[0])


def ceiling_run(url: str, workload: Workload, timeout: float) -> tuple[float, dict[str, float]]:
    """PostgreSQL's ceiling: the log rows into the migrated ``event_log`` of a fresh schema at
    ``url``, 1,000 rows a transaction, twice: with ``executemany`` (psycopg pipelines it: what
    the store's log append does) and with ``COPY``, each into an emptied table. The faster of
    the two is the ceiling; (its seconds, both rates)."""
    migrate(url)  # the real migrations: the store's own table and indexes
    now = system_clock()
    kind = genesys_detail.KIND
    rows = [(key, kind, cid, now, body) for key, cid, body in workload.rows]
    columns = "key, kind, partition_key, received_ms, body"
    rates: dict[str, float] = {}
    best = 0.0
    conninfo, schema = split_url(url)
    with _connect(conninfo, schema) as conn:
        for method in ("executemany", "copy"):
            conn.execute("TRUNCATE event_log")
            start = time.perf_counter()
            for offset in range(0, len(rows), BATCH):
                chunk = rows[offset : offset + BATCH]
                with conn.transaction(), conn.cursor() as cursor:
                    if method == "copy":
                        with cursor.copy(f"COPY event_log ({columns}) FROM STDIN") as copy:
                            for row in chunk:
                                copy.write_row(row)
                    else:
                        cursor.executemany(
                            f"INSERT INTO event_log ({columns}) VALUES (%s, %s, %s, %s, %s)",
                            chunk,
                        )
                if time.perf_counter() - start > timeout:
                    raise BenchError(f"the ceiling run did not finish within {timeout:.0f} s")
            seconds = time.perf_counter() - start
            found = conn.execute("SELECT count(*) FROM event_log").fetchone()
            if found is None or found[0] != len(rows):
                raise BenchError(f"ceiling ({method}): stored {found} rows of {len(rows)}")
            rates[f"{method}_rows_per_s"] = round(len(rows) / seconds, 1)
            best = seconds if not best else min(best, seconds)
    return best, rates
