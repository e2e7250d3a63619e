"""SQLite: the file, its migrations, the connection and its dialect.

One connection per store; ``transaction()`` (``store/sql/transactions.py``) takes the file's
write lock with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Any

from yoyo import get_backend, read_migrations

from journeyline.model.errors import StoreError
from journeyline.store.migrations import all_applied
from journeyline.store.sql.transactions import Transactions
from journeyline.store.sql.transfer import TOOL_TABLES, insert_all, select_all
from journeyline.store.sqlite.checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "sqlite"
log = logging.getLogger("journeyline.store.sqlite")


def path_of(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise StoreError(f"not a sqlite URL: {url} (expected sqlite:///path/to/file.db)")
    return Path(url.removeprefix("sqlite:///"))


def _up_to_date(path: Path) -> bool:
    """Whether every migration file is applied to the file already (one query, not yoyo's
    reading and parsing of every file under its lock: 12 ms an open)."""
    if not path.is_file():
        return False
    with closing(sqlite3.connect(path)) as db:
        try:
            applied = [row[0] for row in db.execute("SELECT migration_id FROM _yoyo_migration")]
        except sqlite3.OperationalError:  # no such table: never migrated
            return False
    return all_applied(MIGRATIONS, applied)


def migrate(url: str) -> None:
    path = path_of(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if _up_to_date(path):
            return
        backend = get_backend(f"sqlite:///{path}")
        with backend.lock():
            backend.apply_migrations(backend.to_apply(read_migrations(str(MIGRATIONS))))
    except sqlite3.Error as exc:
        raise StoreError(f"cannot migrate {url}: {exc}") from exc


def holds_a_store(url: str) -> bool:
    """Whether the file of ``url`` is there and migrations made a log in it (looked at
    read-only: nothing is made)."""
    path = path_of(url)
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log'"
            ).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {url}: {exc}") from exc
    return found is not None


#: Page cache and checkpoint size of each connection (durability unchanged: every commit still
#: syncs the write-ahead log). A unit of work dirties pages of many tables and indexes at once
#: (the log, sessions and their seven indexes, session events, effects, contacts); with
#: SQLite's default 2 MiB cache a batch of 1,000 events spills it before its commit. 64 MiB of
#: cache per connection keeps them (docs/benchmarks.md, "Engine performance (issue 6)").
#: Checkpoints run on a thread of their own (``checkpoint.py``); the connection's own
#: threshold is only the backstop for when that thread falls behind.
TUNING = ("cache_size=-65536", f"wal_autocheckpoint={WRITER_AUTOCHECKPOINT}")


class Connection(Transactions):
    """The connection and the dialect; the other parts of the store are mixins on it."""

    contact_name_sql = (
        "lower(coalesce(json_extract(CAST(doc AS TEXT), '$.first_name'), '') || ' '"
        " || coalesce(json_extract(CAST(doc AS TEXT), '$.last_name'), ''))"
    )
    body_contains_sql = "instr(body, ?) > 0"
    begin_statements = ("BEGIN IMMEDIATE",)  # the write lock, taken at once
    driver_error = sqlite3.Error

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._sqlite = sqlite3.connect(
                path_of(url), isolation_level=None, check_same_thread=False, timeout=30
            )
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=FULL")
            self._sqlite.execute("PRAGMA foreign_keys=ON")
            for pragma in TUNING:
                self._sqlite.execute(f"PRAGMA {pragma}")
            # erased and deleted rows are overwritten with zeros, not left in free pages
            self._sqlite.execute("PRAGMA secure_delete=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {url}: {exc}") from exc
        self._db = self._sqlite
        self._checkpointer: Checkpointer | None = None  # started by the first commit

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self._sqlite.close()

    def _committed(self) -> None:
        """Nudge the checkpointer, started by the first commit. The commit is made: nothing
        here may raise (a thread that cannot start leaves the writer's own threshold), and a
        store dropped without ``close()`` stops its thread when it is collected."""
        checkpointer = self._checkpointer
        if checkpointer is None:
            try:
                checkpointer = self._checkpointer = Checkpointer(path_of(self.url))
            except Exception:
                log.exception("no checkpointer for %s; the writer checkpoints", self.url)
                return
            weakref.finalize(self, checkpointer.stop)
        checkpointer.nudge()

    def in_transaction(self) -> bool:
        return self._sqlite.in_transaction

    def reclaim_erased(self) -> bool:
        """An erasure's commit is a frame of the write-ahead log, and the frames before it
        still hold what it erased (``secure_delete`` zeroes the file's pages, not the log's):
        copy the log into the file and truncate it to nothing. A reader still on an older
        snapshot makes it busy (False): the engine tries again after its next unit."""
        # the checkpointer's thread would hold the checkpoint lock now and then: busy
        paused = self._checkpointer.paused() if self._checkpointer else nullcontext()
        with paused:
            busy, _, _ = self._sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    # whole tables (store/sql/transfer.py)

    def table_columns(self) -> dict[str, list[str]]:
        names = [
            name
            for (name,) in self._sqlite.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            )
            if name not in TOOL_TABLES
        ]
        return {
            name: [row[1] for row in self._sqlite.execute(f'PRAGMA table_info("{name}")')]
            for name in names
        }

    def table_references(self) -> dict[str, set[str]]:
        return {
            name: {row[2] for row in self._sqlite.execute(f'PRAGMA foreign_key_list("{name}")')}
            for name in self.table_columns()
        }

    def table_batches(
        self, table: str, columns: Sequence[str], size: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        cursor = self._sqlite.execute(select_all(table, columns))  # SQLite steps as we fetch
        while rows := cursor.fetchmany(size):
            yield rows

    def table_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        self._sqlite.executemany(insert_all(table, columns), rows)

    def advance_sequences(self) -> None:
        """Nothing to do: a rowid is one past the largest there is (no ``AUTOINCREMENT``)."""
