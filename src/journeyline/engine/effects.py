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
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from journeyline.model.effects import PARTITIONS, Cursor, Effect, Envelope
from journeyline.model.record import record
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


@record
class UnitView:
    """What an in-transaction subscriber is given: the unit's effects so far, the store (its
    writes join the unit's transaction), and the unit's time."""

    store: Store
    now_ms: int
    unit: int
    effects: Sequence[tuple[int, Effect]]


class InTransaction(Protocol):
    def __call__(self, unit: UnitView, /) -> Sequence[tuple[int, Effect]]:
        """Decide and write derived state; return further effects as ``(partition, effect)``."""
        ...


class PostCommit(Protocol):
    def __call__(self, envelopes: Sequence[Envelope], /) -> None:
        """Observe committed effects (in order). Raising makes the dispatcher retry from the
        store's effect log later; it never undoes the commit."""
        ...


def _gaps(cursor: Cursor, envelopes: Sequence[Envelope]) -> list[int]:
    """Partitions whose next effect after ``cursor`` is not the one that follows it."""
    first: dict[int, int] = {}
    for envelope in envelopes:
        if not cursor.seen(envelope):
            first.setdefault(envelope.partition, envelope.position)
    return sorted(p for p, n in first.items() if n != cursor.positions[p] + 1)


@dataclass(slots=True)
class _Subscription:
    name: str
    function: PostCommit
    cursor: Cursor
    behind: bool  # True: must catch up from the store before taking live effects
    failures: int = 0  # in a row: the retry waits retry_seconds * 2**(failures-1), at most a minute
    retry_at: float = 0.0  # monotonic seconds


def positions_of(store: Store) -> Cursor:
    """Where the store's committed effects end: the last position of each partition."""
    positions = store.partition_positions()
    return Cursor(tuple(positions.get(p, (0, 0))[0] for p in range(PARTITIONS)))


class Dispatcher:
    """Runs post-commit subscribers on one thread of their own, in commit order.

    ``publish`` is called by the writer after each commit and returns at once. Each subscriber
    is offered every committed effect in order. One that raises is offered the same effects
    again later (so a subscriber sees an effect at least once; it dedupes by partition and
    position), after a backoff that doubles from ``retry_seconds`` up to a minute, read from
    the store's effect log from its cursor. The live stream is checked the same way: when the
    next effect of a partition is not the one after the subscriber's cursor — another process
    wrote to the store, say ``journeyline import`` beside the server — the subscriber catches up
    from the effect log first. Subscribers share the thread: a slow one delays the others.
    """

    MAX_RETRY_SECONDS = 60.0

    def __init__(
        self, store_factory: Callable[[], Store], *, retry_seconds: float = 1.0, batch: int = 1000
    ) -> None:
        self._store = store_factory()  # the dispatcher thread's own connection
        #: where the committed effects end: the store's positions, then what was published
        self._head = positions_of(self._store)
        self.retry_seconds = retry_seconds
        self.batch = batch
        self._subs: list[_Subscription] = []
        self._pending: list[Envelope] = []
        self._busy = False  # the thread holds effects it has not offered to everyone yet
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="journeyline-effects", daemon=True)
        self._thread.start()

    def subscribe(self, name: str, function: PostCommit, cursor: Cursor | None = None) -> None:
        """Add a subscriber. ``cursor``: resume after it (None: only effects committed from
        now on)."""
        with self._cond:
            behind = cursor is not None
            self._subs.append(_Subscription(name, function, cursor or self._head, behind))
            self._cond.notify()

    def unsubscribe(self, name: str) -> None:
        with self._cond:
            self._subs = [s for s in self._subs if s.name != name]

    def cursor_of(self, name: str) -> Cursor:
        with self._cond:
            return next(s.cursor for s in self._subs if s.name == name)

    def lag(self) -> dict[str, tuple[int, ...]]:
        """Per subscriber, per partition: how many effects committed by this process (or in
        the store when the dispatcher started) the subscriber has not taken yet. Effects
        another process wrote are not counted until a subscriber reads them from the log."""
        with self._cond:
            head = self._head.positions
            return {
                s.name: tuple(max(h - c, 0) for h, c in zip(head, s.cursor.positions, strict=True))
                for s in self._subs
            }

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        if not envelopes:
            return
        with self._cond:
            self._pending.extend(envelopes)
            head = self._head
            for envelope in envelopes:
                head = head.after(envelope)
            self._head = head
            self._cond.notify()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every published effect has been offered to every subscriber, and no
        subscriber is behind (tests, and an orderly shutdown). True when drained."""
        with self._cond:
            return self._cond.wait_for(
                lambda: (
                    not self._pending and not self._busy and not any(s.behind for s in self._subs)
                ),
                timeout,
            )

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._store.close()

    # -- the thread ---------------------------------------------------------------------------

    def _due(self) -> bool:
        """Work to do now (under the lock)."""
        now = time.monotonic()
        return bool(self._pending) or any(s.behind and s.retry_at <= now for s in self._subs)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping or self._due(), timeout=self._next_wake()
                )
                if self._stopping:
                    return
                live, self._pending = self._pending, []
                subs = list(self._subs)
                self._busy = True
            try:
                now = time.monotonic()
                for sub in subs:
                    if self._stopping:
                        return
                    if sub.behind:
                        if sub.retry_at <= now:
                            self._catch_up(sub)
                    else:
                        self._offer(sub, live)
            except Exception:  # never let the thread die: the subscribers would stop for good
                log.exception("the effects dispatcher failed; it goes on")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _next_wake(self) -> float:
        """Seconds until the earliest retry of a subscriber that is behind (under the lock)."""
        waits = [s.retry_at - time.monotonic() for s in self._subs if s.behind]
        return max(min(waits), 0.0) if waits else self.retry_seconds

    def _offer(self, sub: _Subscription, live: Sequence[Envelope]) -> None:
        cursor = sub.cursor
        if _gaps(cursor, live):  # someone else wrote in between: read it from the log
            sub.behind = True
            self._catch_up(sub)
            return
        self._deliver(sub, [e for e in live if not cursor.seen(e)])

    def _deliver(self, sub: _Subscription, envelopes: Sequence[Envelope]) -> bool:
        if not envelopes:
            return True
        try:
            sub.function(envelopes)
        except Exception:
            if self._back_off(sub) == 1:  # once per outage, not once per retry
                log.exception(
                    "post-commit subscriber %s failed; it resumes from %s", sub.name, sub.cursor
                )
            return False
        if sub.failures:
            log.info(
                "post-commit subscriber %s works again after %d failures", sub.name, sub.failures
            )
        sub.failures = 0
        cursor = sub.cursor
        for envelope in envelopes:
            cursor = cursor.after(envelope)
        sub.cursor = cursor
        return True

    def _back_off(self, sub: _Subscription) -> int:
        """A failure: the subscriber is behind until a retry, after a delay that doubles from
        ``retry_seconds`` up to a minute. Returns how many failures in a row this is."""
        sub.failures += 1
        sub.behind = True
        delay = min(self.retry_seconds * 2 ** (sub.failures - 1), self.MAX_RETRY_SECONDS)
        sub.retry_at = time.monotonic() + delay
        return sub.failures

    def _catch_up(self, sub: _Subscription) -> None:
        """Feed a subscriber from the effect log until it has seen everything stored."""
        try:
            while not self._stopping:
                envelopes = self._store.effects_after(sub.cursor, limit=self.batch)
                if not envelopes:
                    break
                gaps = _gaps(sub.cursor, envelopes)
                if gaps and sub.failures == 0:  # pruned before it caught up
                    log.warning(
                        "subscriber %s missed pruned effects in partitions %s; what it missed "
                        "is in the projections",
                        sub.name,
                        gaps,
                    )
                if not self._deliver(sub, envelopes):
                    return
        except Exception:
            self._back_off(sub)
            log.exception("reading the effect log for %s failed", sub.name)
            return
        with self._cond:
            # live effects that arrived meanwhile are in the log too: drop the ones it has seen
            sub.behind = False
