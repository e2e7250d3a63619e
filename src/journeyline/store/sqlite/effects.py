"""The SQLite store's effect log, partition positions and deadlines (see ``engine.effects``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from journeyline.model.effects import PARTITIONS, Cursor, Envelope
from journeyline.store import codec


class EffectsMixin:
    _db: sqlite3.Connection

    def effects_append(self, envelopes: Sequence[Envelope]) -> None:
        self._db.executemany(
            "INSERT INTO effect_log (partition, position, unit, at_ms, name, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (e.partition, e.position, e.unit, e.at_ms, e.name, codec.encode_effect(e.effect))
                for e in envelopes
            ],
        )

    def effects_after(self, cursor: Cursor, *, limit: int) -> list[Envelope]:
        """Stored effects not yet seen by ``cursor``, in commit order, at most ``limit``."""
        where = " OR ".join(["(partition = ? AND position > ?)"] * PARTITIONS)
        args: list[int] = []
        for partition, position in enumerate(cursor.positions):
            args += [partition, position]
        rows = self._db.execute(
            "SELECT partition, position, unit, at_ms, name, body FROM effect_log"
            f" WHERE {where} ORDER BY seq LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [
            Envelope(p, pos, unit, at, codec.decode_effect(name, bytes(body)))
            for p, pos, unit, at, name, body in rows
        ]

    def effects_prune(self, before_ms: int) -> int:
        """Drop effects applied before ``before_ms`` (subscribers further behind resync)."""
        return self._db.execute("DELETE FROM effect_log WHERE at_ms < ?", (before_ms,)).rowcount

    def partition_positions(self) -> dict[int, tuple[int, int]]:
        """``partition -> (last position, units that touched it)``, for partitions used."""
        rows = self._db.execute("SELECT partition, position, units FROM partitions").fetchall()
        return {p: (pos, units) for p, pos, units in rows}

    def partition_positions_put(self, positions: dict[int, tuple[int, int]]) -> None:
        self._db.executemany(
            "INSERT INTO partitions (partition, position, units) VALUES (?, ?, ?)"
            " ON CONFLICT (partition) DO UPDATE SET position = excluded.position,"
            " units = excluded.units",
            [(p, pos, units) for p, (pos, units) in positions.items()],
        )

    def deadlines_put(self, deadlines: Sequence[tuple[str, str, int | None]]) -> None:
        """``(session id, kind, due_ms)``; a due time of None removes the session's deadline."""
        self._db.executemany(
            "DELETE FROM deadlines WHERE session_id = ?",
            [(sid,) for sid, _, due in deadlines if due is None],
        )
        self._db.executemany(
            "INSERT INTO deadlines (session_id, kind, due_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (session_id)"
            " DO UPDATE SET kind = excluded.kind, due_ms = excluded.due_ms",
            [(sid, kind, due) for sid, kind, due in deadlines if due is not None],
        )

    def deadlines_due(self, now_ms: int) -> list[tuple[str, str, int]]:
        """Deadlines at or before ``now_ms``, earliest first: ``(session id, kind, due_ms)``."""
        rows = self._db.execute(
            "SELECT session_id, kind, due_ms FROM deadlines WHERE due_ms <= ?"
            " ORDER BY due_ms, session_id",
            (now_ms,),
        ).fetchall()
        return [(sid, kind, due) for sid, kind, due in rows]

    def next_deadline(self) -> int | None:
        row = self._db.execute("SELECT MIN(due_ms) FROM deadlines").fetchone()
        return int(row[0]) if row and row[0] is not None else None
