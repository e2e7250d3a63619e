"""The append-only event log (``event_log``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from journeyline.store.records import LogRecord
from journeyline.store.sql.query import Db, chunks, marks


class LogMixin:
    _db: Db

    def logged_keys(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(keys):
            rows = self._db.execute(
                f"SELECT key FROM event_log WHERE key IN ({marks(chunk)})", chunk
            )
            found.update(key for (key,) in rows)
        return found

    def append(self, records: Sequence[LogRecord]) -> set[str]:
        if not records:
            return set()
        existing = self.logged_keys(r.key for r in records)
        new: dict[str, LogRecord] = {}
        for r in records:
            if r.key not in existing and r.key not in new:
                new[r.key] = r
        self._db.executemany(
            "INSERT INTO event_log (key, kind, partition_key, received_ms, body, unit)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(r.key, r.kind, r.partition_key, r.received_ms, r.body, r.unit) for r in new.values()],
        )
        return set(new)

    def log_for_partition(self, kind: str, partition_key: str) -> list[bytes]:
        rows = self._db.execute(
            "SELECT body FROM event_log WHERE partition_key = ? AND kind = ? ORDER BY seq",
            (partition_key, kind),
        )
        return [bytes(body) for (body,) in rows]

    def iter_all_log(self) -> Iterator[LogRecord]:
        """Every logged input in arrival order."""
        rows = self._db.execute(
            "SELECT key, kind, partition_key, received_ms, body, unit FROM event_log ORDER BY seq"
        )
        for key, kind, partition_key, received_ms, body, unit in rows:
            yield LogRecord(key, kind, partition_key, int(received_ms), bytes(body), int(unit))

    def last_unit(self) -> int:
        (unit,) = self._db.execute("SELECT coalesce(max(unit), 0) FROM event_log").fetchone()
        return int(unit)

    def log_count(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM event_log").fetchone()
        return int(count)
