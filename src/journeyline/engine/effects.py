"""Collecting a unit of work's effects, and the two kinds of subscriber that consume them.

- :class:`Effects` is the sink the parts of a unit of work (conversations, web, identity) emit
  into, each effect attributed to the partition of the customer whose input caused it.
- An :class:`InTransaction` subscriber is called with a unit's effects *before* the commit, on
  the writer's connection, inside the unit's transaction: what it writes commits or rolls back
  with the input, and the effects it returns join the unit's. An exception it raises fails the
  unit like any other error: nothing of the unit is stored, and nothing is acknowledged.
- A :class:`PostCommit` subscriber sees committed effects in order, on a thread of its own
  (:class:`Dispatcher`); it keeps a :class:`~journeyline.model.effects.Cursor`, and when it
  fails (or starts behind) it is fed again from the store's effect log from that cursor. It can
  never un-acknowledge anything: the commit happened before it was called.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from journeyline.model.effects import PARTITIONS, Cursor, Effect, Envelope
from journeyline.store.base import Store

log = logging.getLogger("journeyline.effects")

#: The partition of identity commands: they act across customers, so they are ordered together.
COMMANDS_KEY = "identity"


def partition_for(customer_key: str) -> int:
    """The partition of a customer key (a conversation id, a visitor, ``identity``): stable
    across processes and versions (CRC-32, not Python's salted ``hash``)."""
    return zlib.crc32(customer_key.encode()) % PARTITIONS


@dataclass(slots=True)
class Effects:
    """The effects of the unit of work being applied, in the order they were emitted."""

    partition: int = 0  # where what is emitted now belongs: set by whoever applies an input
    items: list[tuple[int, Effect]] = field(default_factory=list)

    def emit(self, effect: Effect) -> None:
        self.items.append((self.partition, effect))

    def at(self, customer_key: str) -> None:
        """Attribute what follows to ``customer_key``'s partition."""
        self.partition = partition_for(customer_key)

    def clear(self) -> None:
        self.items.clear()
        self.partition = 0


@dataclass(frozen=True, slots=True)
class UnitView:
    """What an in-transaction subscriber is given: the unit's effects so far, the store (its
    writes join the unit's transaction), and the unit's time."""

    store: Store
    now_ms: int
    unit: int
    effects: Sequence[tuple[int, Effect]]


class InTransaction(Protocol):
    def __call__(self, unit: UnitView) -> Sequence[tuple[int, Effect]]:
        """Decide and write derived state; return further effects as ``(partition, effect)``."""
        ...


class PostCommit(Protocol):
    def __call__(self, envelopes: Sequence[Envelope]) -> None:
        """Observe committed effects (in order). Raising makes the dispatcher retry from the
        store's effect log later; it never undoes the commit."""
        ...


def _gaps(cursor: Cursor, envelopes: Sequence[Envelope]) -> list[int]:
    """Partitions whose next effect after ``cursor`` is not the one that follows it."""
    first: dict[int, int] = {}
    for envelope in envelopes:
        first.setdefault(envelope.partition, envelope.position)
    return sorted(p for p, n in first.items() if n != cursor.positions[p] + 1)


@dataclass(slots=True)
class _Subscription:
    name: str
    function: PostCommit
    cursor: Cursor
    behind: bool  # True: must catch up from the store before taking live effects
    failures: int = 0


class Dispatcher:
    """Runs post-commit subscribers on a thread of their own, in commit order.

    ``publish`` is called by the writer after each commit and returns at once. Each subscriber
    gets every committed effect once, in order; one that raises (or was added with a cursor
    behind the live stream) is caught up from ``store_factory()``'s effect log before it takes
    live effects again, starting after its cursor. ``retry_seconds`` spaces the retries.
    """

    def __init__(
        self, store_factory: Callable[[], Store], *, retry_seconds: float = 1.0, batch: int = 1000
    ) -> None:
        self._store_factory = store_factory
        self._store: Store | None = None
        self.retry_seconds = retry_seconds
        self.batch = batch
        self._subs: list[_Subscription] = []
        self._pending: list[Envelope] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="journeyline-effects", daemon=True)
        self._thread.start()

    def subscribe(self, name: str, function: PostCommit, cursor: Cursor | None = None) -> None:
        """Add a subscriber. ``cursor``: resume after it (None: only effects from now on)."""
        with self._cond:
            self._subs.append(_Subscription(name, function, cursor or Cursor(), cursor is not None))
            self._cond.notify()

    def cursor_of(self, name: str) -> Cursor:
        with self._cond:
            return next(s.cursor for s in self._subs if s.name == name)

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        if not envelopes:
            return
        with self._cond:
            self._pending.extend(envelopes)
            self._cond.notify()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every published effect has been offered to every subscriber that is not
        behind (tests, and an orderly shutdown). True when drained."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._pending and not any(s.behind for s in self._subs), timeout
            )

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=10)
        if self._store is not None:
            self._store.close()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping or self._pending or any(s.behind for s in self._subs),
                    timeout=self.retry_seconds,
                )
                if self._stopping:
                    return
                live, self._pending = self._pending, []
                subs = list(self._subs)
            for sub in subs:
                if sub.behind:
                    self._catch_up(sub)
                else:
                    self._deliver(sub, [e for e in live if not sub.cursor.seen(e)])
            with self._cond:
                self._cond.notify_all()
            if any(s.behind for s in subs):
                with self._cond:  # wait a little before retrying a failing subscriber
                    self._cond.wait(timeout=self.retry_seconds)

    def _deliver(self, sub: _Subscription, envelopes: Sequence[Envelope]) -> bool:
        if not envelopes:
            return True
        try:
            sub.function(envelopes)
        except Exception:
            sub.failures += 1
            sub.behind = True
            log.exception(
                "post-commit subscriber %s failed; it will resume from %s", sub.name, sub.cursor
            )
            return False
        cursor = sub.cursor
        for envelope in envelopes:
            cursor = cursor.after(envelope)
        sub.cursor = cursor
        return True

    def _catch_up(self, sub: _Subscription) -> None:
        """Feed a subscriber from the effect log until it has seen everything stored."""
        try:
            if self._store is None:
                self._store = self._store_factory()
            while True:
                envelopes = self._store.effects_after(sub.cursor, limit=self.batch)
                if not envelopes:
                    break
                gaps = _gaps(sub.cursor, envelopes)
                if gaps:  # pruned before it caught up: what it missed is in the projections
                    log.warning(
                        "subscriber %s missed pruned effects in partitions %s", sub.name, gaps
                    )
                if not self._deliver(sub, envelopes):
                    return
        except Exception:
            log.exception("reading the effect log for %s failed", sub.name)
            return
        with self._cond:
            # live effects that arrived meanwhile are in the log too: drop the ones it has seen
            sub.behind = False
