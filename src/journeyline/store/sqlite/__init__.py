"""The embedded store: one SQLite file in WAL mode (``sqlite:///path/to/file.db``).

One connection per ``SqliteStore``; the process has one writer (the ingest thread) and readers
on their own connections (the API's: a ``QueuePool`` of them, ``store/pool.py``). The store is
the shared SQL (``store/sql``) on a connection (``connection.py``: the file, migrations,
transactions and savepoints, the dialect); every public method translates ``sqlite3.Error``
to ``StoreError`` (``store/boundary.py``).
"""

from __future__ import annotations

import sqlite3

from journeyline.store.base import register_backend
from journeyline.store.boundary import translate_errors
from journeyline.store.pool import QueuePool
from journeyline.store.sql.store import SqlStore
from journeyline.store.sqlite.connection import MIGRATIONS, Connection, migrate, path_of

__all__ = ["MIGRATIONS", "SqliteStore", "migrate", "path_of"]


@translate_errors(sqlite3.Error)
class SqliteStore(SqlStore, Connection):
    @classmethod
    def open(cls, url: str) -> SqliteStore:
        migrate(url)
        return cls(url)


def _pool(url: str, size: int) -> QueuePool:
    return QueuePool(lambda: SqliteStore(url), size)


register_backend("sqlite", SqliteStore.open, _pool)
