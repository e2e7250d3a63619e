"""The production store: PostgreSQL (``postgresql://host/database``, psycopg 3).

The same shared SQL as SQLite (``store/sql``) on a psycopg connection (``connection.py``:
the URL, migrations, transactions under an advisory lock, the dialect); every public method
translates ``psycopg.Error`` to ``StoreError`` (``store/boundary.py``).
"""

from __future__ import annotations

import psycopg

from journeyline.store.base import register_backend
from journeyline.store.boundary import translate_errors
from journeyline.store.postgres.connection import (
    MIGRATIONS,
    SCHEMES,
    Connection,
    migrate,
    split_url,
)
from journeyline.store.sql.store import SqlStore

__all__ = ["MIGRATIONS", "PostgresStore", "migrate", "split_url"]


@translate_errors(psycopg.Error)
class PostgresStore(SqlStore, Connection):
    @classmethod
    def open(cls, url: str) -> PostgresStore:
        migrate(url)
        return cls(url)


for _scheme in SCHEMES:
    register_backend(_scheme, PostgresStore.open)
