"""SQLite: the file, its migrations, the connection and the unit of work.

One connection per store; ``transaction()`` takes the write lock with ``BEGIN IMMEDIATE`` and
commits or rolls back as a whole, ``savepoint()`` nests a unit that is undone alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from yoyo import get_backend, read_migrations

from journeyline.model.errors import StoreError
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
