"""Whole tables, for ``journeyline migrate-store`` (``store/transfer.py``): which tables the
migrations made and their columns, their rows in batches, and the rows put back as they were.

What the two dialects say differently — how to list the tables and columns, how to read a
large table without holding it in memory, and the identity sequences PostgreSQL keeps beside
the rows — is each backend's connection's (``table_columns``, ``table_batches``,
``advance_sequences``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from journeyline.store.sql.query import Db, marks

#: Tables of the migration tool itself: never copied (the target has its own).
TOOL_TABLES = ("_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock")


def select_all(table: str, columns: Sequence[str]) -> str:
    """Every row of ``table``, in the order of its primary key or rowid (no order promised)."""
    return f"SELECT {', '.join(columns)} FROM {table}"


def insert_all(table: str, columns: Sequence[str]) -> str:
    """One row of ``columns`` into ``table``, ids included."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)})"


class Tables(Protocol):
    """What a backend's connection adds for whole tables."""

    def table_columns(self) -> dict[str, list[str]]:
        """Every table the migrations made (the tool's own left out), with its columns in
        their order."""
        ...

    def table_references(self) -> dict[str, set[str]]:
        """Each table's foreign keys: the tables it refers to (copied before it)."""
        ...

    def table_batches(
        self, table: str, columns: Sequence[str], size: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``table`` (only ``columns``), ``size`` at a time."""
        ...

    def table_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """``rows`` into ``table`` as they are, ids included (inside a transaction)."""
        ...

    def advance_sequences(self) -> None:
        """After rows were put with their own ids: the next id given out is past them."""
        ...

    def table_count(self, table: str) -> int: ...


class TransferMixin:
    _db: Db

    def table_count(self, table: str) -> int:
        (count,) = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(count)
