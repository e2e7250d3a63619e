"""The connection the shared SQL runs on, and the helpers of its queries.

``Db`` is what both ``sqlite3.Connection`` and the PostgreSQL adapter
(``store/postgres/connection.py``) offer: ``execute`` and ``executemany`` with ``?``
placeholders, giving a cursor to iterate or fetch from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from journeyline.store import codec

Key = TypeVar("Key", str, int)  # what an ``IN (...)`` list holds: ids, or row numbers

#: Values per ``IN (...)`` list: well inside SQLite's limit on bound parameters.
CHUNK = 500


class Rows(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Rows: ...


class Dialect:
    """What the backends say differently, as class attributes of their connection."""

    #: A contact's "first last" name in lower case, from the ``doc`` column of ``contacts``.
    contact_name_sql: str
    #: Whether the ``body`` column (bytes) contains the bytes bound to ``?``.
    body_contains_sql: str


def chunks(values: Iterable[Key]) -> Iterator[list[Key]]:
    """Distinct values, sorted, in lists of at most :data:`CHUNK` for ``IN (...)``."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def marks(values: Sequence[object]) -> str:
    """``?, ?, ...``: one placeholder per value."""
    return ",".join("?" * len(values))


def like_pattern(text: str, *, star: bool = False) -> str:
    """``text`` escaped for ``LIKE ? ESCAPE '\\'``; with ``star``, ``*`` matches anything."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%") if star else escaped


def upsert(table: str, columns: str, *, key: str) -> str:
    """``INSERT`` of one row of ``columns`` (comma-separated) that replaces the row with the
    same ``key`` (the conflict target's columns): every other column takes the new value."""
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks(names)})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def time_page(
    db: Db,
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
