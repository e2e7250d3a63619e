"""SQLite: the file, its migrations, the connection and the unit of work.

One connection per store; ``transaction()`` takes the write lock with ``BEGIN IMMEDIATE`` and
commits or rolls back as a whole, ``savepoint()`` nests a unit that is undone alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yoyo import get_backend, read_migrations

from journeyline.model.errors import StoreError
from journeyline.store import codec
from journeyline.store.boundary import failed

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "sqlite"

#: Values per ``IN (...)`` list: well inside SQLite's limit on bound parameters.
CHUNK = 500


def chunks(values: Iterable[str]) -> Iterator[list[str]]:
    """Distinct values, sorted, in lists of at most :data:`CHUNK` for ``IN (...)``."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def marks(values: Sequence[object]) -> str:
    """``?, ?, ...``: one placeholder per value."""
    return ",".join("?" * len(values))


def time_page(
    db: sqlite3.Connection,
    sql: str,
    args: Sequence[object],
    *,
    after: str | None,
    page_size: int,
    newest_first: bool = False,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """A page of the rows ``sql`` selects (its columns ending with ``created_ms, id``; its
    ``WHERE`` clause present), ordered by ``(created_ms, id)`` — oldest first, or newest
    first — after the cursor ``after``. The rows and the next page's cursor (None: last)."""
    params = list(args)
    if after:
        created, last_id = codec.read_cursor(after)
        beyond = "<" if newest_first else ">"
        sql += f" AND (created_ms {beyond} ? OR (created_ms = ? AND id {beyond} ?))"
        params += [created, created, last_id]
    order = "DESC" if newest_first else "ASC"
    sql += f" ORDER BY created_ms {order}, id {order} LIMIT ?"
    rows = db.execute(sql, [*params, page_size + 1]).fetchall()
    more = len(rows) > page_size
    rows = rows[:page_size]
    return rows, codec.make_cursor(rows[-1][-2], rows[-1][-1]) if more else None


def where_in(column: str, values: Sequence[str]) -> tuple[str, list[object]]:
    """`` AND column IN (?, ...)`` and its arguments; nothing for no values."""
    if not values:
        return "", []
    return f" AND {column} IN ({marks(values)})", list(values)


def path_of(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise StoreError(f"not a sqlite URL: {url} (expected sqlite:///path/to/file.db)")
    return Path(url.removeprefix("sqlite:///"))


def migrate(url: str) -> None:
    path = path_of(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        backend = get_backend(f"sqlite:///{path}")
        with backend.lock():
            backend.apply_migrations(backend.to_apply(read_migrations(str(MIGRATIONS))))
    except sqlite3.Error as exc:
        raise StoreError(f"cannot migrate {url}: {exc}") from exc


class Connection:
    """The connection and the unit of work; the other parts of the store are mixins on it."""

    _db: sqlite3.Connection

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._db = sqlite3.connect(
                path_of(url), isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {url}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._run("BEGIN IMMEDIATE", "cannot begin a transaction")
        try:
            yield
        except sqlite3.Error as exc:  # a raw driver error from the block
            self._rollback()
            raise failed("a transaction", exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()  # a failed COMMIT (a full disk, say) can leave it open
            raise StoreError(f"commit failed: {exc}") from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested unit inside a transaction: undone alone when its block raises."""
        self._run("SAVEPOINT unit", "cannot begin a savepoint")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK TO unit", "cannot roll back a savepoint")
            self._run("RELEASE unit", "cannot release a savepoint")
            raise
        self._run("RELEASE unit", "cannot release a savepoint")

    def _run(self, statement: str, failure: str) -> None:
        try:
            self._db.execute(statement)
        except sqlite3.Error as exc:
            raise StoreError(f"{failure}: {exc}") from exc

    def _rollback(self) -> None:
        """Roll back, if SQLite has not already (it does on some errors, e.g. SQLITE_FULL)."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(f"rollback failed: {exc}") from exc
