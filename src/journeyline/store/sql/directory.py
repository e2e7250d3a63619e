"""The directory of queues, users and wrap-up codes (``directory``)."""

from __future__ import annotations

from collections.abc import Sequence

from journeyline.store.records import DirectoryEntry
from journeyline.store.sql.query import Db, like_pattern, marks


class DirectoryMixin:
    _db: Db

    def directory_put(self, entry: DirectoryEntry) -> None:
        self._db.execute(
            "INSERT INTO directory (kind, id, name, modified_ms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO UPDATE SET name = excluded.name,"
            " modified_ms = excluded.modified_ms",
            (entry.kind, entry.id, entry.name, entry.modified_ms),
        )

    def directory_get(self, kind: str, entry_id: str) -> DirectoryEntry | None:
        row = self._db.execute(
            "SELECT kind, id, name, modified_ms FROM directory WHERE kind = ? AND id = ?",
            (kind, entry_id),
        ).fetchone()
        return DirectoryEntry(*row) if row else None

    def directory_list(
        self, kind: str, *, page_number: int, page_size: int, name: str | None
    ) -> tuple[list[DirectoryEntry], int]:
        where = "kind = ?"
        args: list[object] = [kind]
        if name:
            where += " AND lower(name) LIKE ? ESCAPE '\\'"  # case-blind, as SQLite's LIKE
            args.append(like_pattern(name.lower(), star=True))
        (total,) = self._db.execute(
            f"SELECT count(*) FROM directory WHERE {where}", args
        ).fetchone()
        rows = self._db.execute(
            f"SELECT kind, id, name, modified_ms FROM directory WHERE {where}"
            " ORDER BY name, id LIMIT ? OFFSET ?",
            [*args, page_size, (page_number - 1) * page_size],
        )
        return [DirectoryEntry(*row) for row in rows], int(total)

    def directory_delete(self, kind: str, entry_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM directory WHERE kind = ? AND id = ?", (kind, entry_id)
        )
        return cursor.rowcount > 0

    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = self._db.execute(
            f"SELECT id, name FROM directory WHERE kind = ? AND id IN ({marks(ids)})", [kind, *ids]
        )
        return dict(rows)
