"""Flows, their signing secrets and the outbox of their deliveries (``flows``,
``flow_secrets``, ``outbox``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeyline.model.flows import Delivery, Flow
from journeyline.store.sql.query import Db, marks

_FLOW = "SELECT id, name, url, description, created_ms, modified_ms FROM flows"
_DELIVERY = (
    "SELECT id, flow_id, body, created_ms, next_attempt_ms, attempts, state, last_status,"
    " last_error, last_attempt_ms FROM outbox"
)


def _delivery(row: tuple[Any, ...]) -> Delivery:
    did, flow_id, body, created, due, attempts, state, status, error, last = row
    return Delivery(
        str(did),
        str(flow_id),
        bytes(body),
        int(created),
        int(due),
        int(attempts),
        str(state),
        None if status is None else int(status),
        None if error is None else str(error),
        None if last is None else int(last),
    )


class FlowsMixin:
    _db: Db

    # -- flows --------------------------------------------------------------------------------

    def flow_put(self, flow: Flow) -> None:
        self._db.execute(
            "INSERT INTO flows (id, name, url, description, created_ms, modified_ms)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            " url = excluded.url, description = excluded.description,"
            " modified_ms = excluded.modified_ms",
            (flow.id, flow.name, flow.url, flow.description, flow.created_ms, flow.modified_ms),
        )

    def flow_get(self, flow_id: str) -> Flow | None:
        row = self._db.execute(f"{_FLOW} WHERE id = ?", (flow_id,)).fetchone()
        return Flow(*row) if row else None

    def flows_page(self, *, page_number: int, page_size: int) -> tuple[list[Flow], int]:
        (total,) = self._db.execute("SELECT count(*) FROM flows").fetchone()
        rows = self._db.execute(
            f"{_FLOW} ORDER BY name, id LIMIT ? OFFSET ?",
            (page_size, (page_number - 1) * page_size),
        )
        return [Flow(*row) for row in rows], int(total)

    def flow_delete(self, flow_id: str) -> bool:
        return self._db.execute("DELETE FROM flows WHERE id = ?", (flow_id,)).rowcount > 0

    def flow_secret_put(self, flow_id: str, secret: str, now_ms: int) -> None:
        self._db.execute(
            "INSERT INTO flow_secrets (flow_id, secret, created_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (flow_id) DO UPDATE SET secret = excluded.secret,"
            " created_ms = excluded.created_ms",
            (flow_id, secret, now_ms),
        )

    def flow_secret(self, flow_id: str) -> str | None:
        row = self._db.execute(
            "SELECT secret FROM flow_secrets WHERE flow_id = ?", (flow_id,)
        ).fetchone()
        return str(row[0]) if row else None

    # -- the outbox ---------------------------------------------------------------------------

    def outbox_put(self, delivery: Delivery) -> bool:
        d = delivery
        cursor = self._db.execute(
            "INSERT INTO outbox (id, flow_id, body, created_ms, next_attempt_ms, attempts, state,"
            " last_status, last_error, last_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (
                d.id,
                d.flow_id,
                d.body,
                d.created_ms,
                d.next_attempt_ms,
                d.attempts,
                d.state,
                d.last_status,
                d.last_error,
                d.last_attempt_ms,
            ),
        )
        return cursor.rowcount > 0

    def outbox_get(self, delivery_id: str) -> Delivery | None:
        row = self._db.execute(f"{_DELIVERY} WHERE id = ?", (delivery_id,)).fetchone()
        return _delivery(row) if row else None

    def outbox_due(self, now_ms: int, *, limit: int) -> list[Delivery]:
        rows = self._db.execute(
            f"{_DELIVERY} WHERE state = 'pending' AND next_attempt_ms <= ?"
            " ORDER BY next_attempt_ms, id LIMIT ?",
            (now_ms, limit),
        )
        return [_delivery(row) for row in rows]

    def outbox_next_due(self) -> int | None:
        row = self._db.execute(
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'pending'"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def outbox_update(self, delivery: Delivery) -> None:
        d = delivery
        self._db.execute(
            "UPDATE outbox SET state = ?, attempts = ?, next_attempt_ms = ?, last_status = ?,"
            " last_error = ?, last_attempt_ms = ? WHERE id = ?",
            (
                d.state,
                d.attempts,
                d.next_attempt_ms,
                d.last_status,
                d.last_error,
                d.last_attempt_ms,
                d.id,
            ),
        )

    def deadletters_page(self, *, page_number: int, page_size: int) -> tuple[list[Delivery], int]:
        (total,) = self._db.execute("SELECT count(*) FROM outbox WHERE state = 'dead'").fetchone()
        rows = self._db.execute(
            f"{_DELIVERY} WHERE state = 'dead' ORDER BY last_attempt_ms DESC, id LIMIT ? OFFSET ?",
            (page_size, (page_number - 1) * page_size),
        )
        return [_delivery(row) for row in rows], int(total)

    def outbox_replay(self, delivery_ids: Sequence[str] | None, now_ms: int) -> list[str]:
        where, args = "state = 'dead'", []
        if delivery_ids is not None:
            if not delivery_ids:
                return []
            where += f" AND id IN ({marks(delivery_ids)})"
            args = list(delivery_ids)
        rows = self._db.execute(
            f"UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?"
            f" WHERE {where} RETURNING id",
            [now_ms, *args],
        ).fetchall()
        return sorted(str(row[0]) for row in rows)

    def outbox_counts(self) -> dict[str, int]:
        pending, dead = self._db.execute(  # each count reads its partial index alone
            "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),"
            " (SELECT count(*) FROM outbox WHERE state = 'dead')"
        ).fetchone()
        return {"pending": int(pending), "dead": int(dead)}
