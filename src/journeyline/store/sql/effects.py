"""The store's effect log, partition positions and deadlines (see ``engine.effects``)."""

from __future__ import annotations

from collections.abc import Sequence

from journeyline.model.effects import Cursor, Envelope
from journeyline.store import codec
from journeyline.store.sql.query import Db


class EffectsMixin:
    _db: Db

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
        """Stored effects not yet seen by ``cursor``, in commit order, at most ``limit``.

        The first unseen effect of each partition is found by its unique index; reading goes
        on in commit order from the earliest of them, skipping what the cursor has seen, so a
        reader far behind costs the same per page as one close to the end."""
        starts = []
        for partition, position in enumerate(cursor.positions):
            row = self._db.execute(
                "SELECT seq FROM effect_log WHERE partition = ? AND position > ?"
                " ORDER BY position LIMIT 1",
                (partition, position),
            ).fetchone()
            if row is not None:
                starts.append(int(row[0]))
        found: list[Envelope] = []
        start = min(starts, default=None)
        while start is not None and len(found) < limit:
            rows = self._db.execute(
                "SELECT seq, partition, position, unit, at_ms, name, body FROM effect_log"
                " WHERE seq >= ? ORDER BY seq LIMIT ?",
                (start, limit),
            ).fetchall()
            for _, p, pos, unit, at, name, body in rows:
                if pos > cursor.positions[p] and len(found) < limit:
                    found.append(Envelope(p, pos, unit, at, codec.decode_effect(name, bytes(body))))
            start = int(rows[-1][0]) + 1 if len(rows) == limit else None
        return found

    def effects_prune(self, before_ms: int, *, limit: int = 10_000) -> int:
        """Drop the oldest effects, up to the last one applied before ``before_ms``, at most
        ``limit`` of them (call again while it returns ``limit``: each call is short). The cut
        is a prefix in commit order, so no partition is left with a hole in its middle."""
        row = self._db.execute(
            "SELECT MAX(seq) FROM effect_log WHERE at_ms < ?", (before_ms,)
        ).fetchone()
        if row is None or row[0] is None:
            return 0
        return self._db.execute(
            "DELETE FROM effect_log WHERE seq IN"
            " (SELECT seq FROM effect_log WHERE seq <= ? ORDER BY seq LIMIT ?)",
            (int(row[0]), limit),
        ).rowcount

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
