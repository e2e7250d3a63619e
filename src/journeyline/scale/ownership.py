"""Which worker applies which partition: PostgreSQL session advisory locks.

Each worker holds one *presence* lock (its own id) and one lock per partition it owns, all on a
connection of its own. A lock dies with its connection, so a worker that is killed lets go of
everything at once, and the others take its partitions at their next turn. At each turn
(:meth:`Ownership.balance`) a worker counts the workers present, keeps its fair share of the
partitions — ``ceil(partitions / workers)`` — and lets go of any above it (the newest ones
first), so that a worker that joins gets work without anyone being told.

Locks are in two namespaces of the two-number form ``pg_try_advisory_lock(namespace, id)``,
both derived from the stream's name, so that two installations on one database do not meet.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import psycopg

from journeyline.store.postgres.connection import split_url


def lock_namespace(stream: str, what: str) -> int:
    """The first number of the advisory locks of ``what`` (workers, deliveries, partitions) of
    one stream; the bench reads ``pg_locks`` by it to see the workers ready."""
    return zlib.crc32(f"journeyline:{stream}:{what}".encode()) % 2**31  # a positive int4


class Ownership:
    def __init__(self, store_url: str, stream: str, worker_id: int, partitions: int) -> None:
        conninfo, _ = split_url(store_url)
        self.conn: psycopg.Connection[Any] = psycopg.connect(conninfo, autocommit=True)
        self.presence = lock_namespace(stream, "workers")
        self.deliveries = lock_namespace(stream, "deliveries")
        self.space = lock_namespace(stream, "partitions")
        self.partitions = partitions
        self.worker_id = worker_id
        self.owned: list[int] = []  # in the order they were taken
        self.delivering = False  # whether this worker posts the flows' outbox (one at a time)
        self._lock(self.presence, worker_id)

    def _lock(self, space: int, key: int) -> bool:
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (space, key)).fetchone()
        return bool(row and row[0])

    def workers(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s::oid AND objsubid = 2",
            (self.presence,),
        ).fetchone()
        return max(1, int(row[0]) if row else 1)

    def balance(self) -> tuple[list[int], list[int]]:
        """One turn: the partitions taken and let go (let go of only after the caller has
        stopped reading them: see :meth:`release`)."""
        share = math.ceil(self.partitions / self.workers())
        surplus = self.owned[share:]
        taken: list[int] = []
        if len(self.owned) < share:
            start = self.worker_id % self.partitions  # workers start at different places
            for step in range(self.partitions):
                partition = (start + step) % self.partitions
                if len(self.owned) + len(taken) >= share:
                    break
                if partition not in self.owned and self._lock(self.space, partition):
                    taken.append(partition)
        self.owned += taken
        return taken, surplus

    def deliverer(self) -> bool:
        """Whether this worker is (now) the one that posts the flows' outbox: one worker at a
        time, so that a delivery is tried once however many workers run."""
        if not self.delivering:
            self.delivering = self._lock(self.deliveries, 0)
        return self.delivering

    def release(self, partition: int) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.space, partition))
        self.owned.remove(partition)

    def close(self) -> None:
        self.conn.close()  # every lock goes with it
