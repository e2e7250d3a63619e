"""The single writer: one thread applies every accepted batch, with group commit.

Request handlers hand their parsed batches to :meth:`Writer.submit` and await the result; the
writer thread takes everything that is waiting (up to ``max_batch`` events), applies it in one
transaction and then answers every waiting request. Many requests share one commit, and the
request is acknowledged only after the commit. When that unit of work fails (but for the store
itself failing), each request is applied again on its own, so that only the one at fault is
answered with the error.

After each commit the unit's effects go to the post-commit :class:`Dispatcher`, if there is
one; it never holds up the acknowledgement. Time is the writer's job too: when the earliest
deadline (``Engine.next_deadline``) passes, the writer runs a tick (``Engine.tick``), a unit of
work like any other. It checks at least every ``tick_check_seconds``, and :meth:`wake` makes it
check now (tests that move a fake clock). Once an hour it drops effects older than the
retention from the effect log, and the ended refusals of erased customers. A writer made with
``deadlines=False`` (an API node in scale-out mode, where the workers do it) runs no tick and
reads no deadline. ``on_apply`` is told how many seconds each group commit of submitted
batches took (the metrics' histogram), and ``alive`` says whether the thread runs.

Small administrative writes (tokens, the directory, deployments) go through :meth:`Writer.call`
too: they run on the writer's connection in their own transaction, so the request loop never
waits on the database lock while a large unit of work commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from journeyline.config import Settings
from journeyline.engine.effects import Dispatcher
from journeyline.engine.inputs import Applied, Input, Outcome
from journeyline.engine.unit import Engine
from journeyline.model.errors import StoreError
from journeyline.store.base import Store

T = TypeVar("T")
log = logging.getLogger("journeyline.writer")


class _Reply(Generic[T]):
    """The answer to a request of the event loop, set from the writer's thread: an asyncio
    future of the submitting loop, settled there with one ``call_soon_threadsafe`` (cheaper per
    request than a ``concurrent.futures.Future`` wrapped with ``asyncio.wrap_future``, which
    builds a condition variable and chains two futures). An answer for a loop that has closed,
    or for a request that is no longer awaited, is dropped."""

    __slots__ = ("future", "loop")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[T] = self.loop.create_future()

    def set_result(self, value: T) -> None:
        self._settle(value, None)

    def set_exception(self, exc: BaseException) -> None:
        self._settle(None, exc)

    def _settle(self, value: T | None, exc: BaseException | None) -> None:
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self.loop.call_soon_threadsafe(_settle, self.future, value, exc)


def _settle(future: asyncio.Future[T], value: T | None, exc: BaseException | None) -> None:
    if future.done():  # cancelled: nobody waits for it
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)  # type: ignore[arg-type]


@dataclass(slots=True)
class _Batch:
    inputs: list[Input]
    future: _Reply[list[Applied]]


@dataclass(slots=True)
class _Call:
    function: Callable[[Store], Any]
    future: Future[Any]
    renames: bool = True  # an administrative write may rename queues, agents, codes


_STOP = object()
_WAKE = object()


#: How soon an idle writer tries again to reclaim what an erasure removed, when a reader on an
#: older snapshot kept the first try from finishing (``Engine.reclaim``).
RECLAIM_RETRY_SECONDS = 1.0


class Writer:
    PRUNE_CHUNK = 10_000

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 2000,
        dispatcher: Dispatcher | None = None,
        tick_check_seconds: float = 30.0,
        effect_retention_ms: int = 7 * 24 * 3600 * 1000,
        prune_every_seconds: float = 3600.0,
        on_apply: Callable[[float], None] | None = None,
        deadlines: bool = True,
    ) -> None:
        self.engine = engine
        self.deadlines = engine.deadlines = deadlines
        self.max_batch = max_batch
        self.dispatcher = dispatcher
        self.on_apply = on_apply
        self.tick_check_seconds = tick_check_seconds
        self._retry_at = 0.0  # after a failed tick: no other before this (monotonic seconds)
        self.effect_retention_ms = effect_retention_ms
        self.prune_every_seconds = prune_every_seconds
        self._prune_at = time.monotonic() + prune_every_seconds
        self._queue: queue.SimpleQueue[_Batch | _Call | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journeyline-writer", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(
        cls,
        engine: Engine,
        settings: Settings,
        dispatcher: Dispatcher,
        *,
        on_apply: Callable[[float], None] | None = None,
    ) -> Writer:
        return cls(
            engine,
            max_batch=settings.max_batch,
            dispatcher=dispatcher,
            effect_retention_ms=settings.effect_retention_hours * 3600 * 1000,
            on_apply=on_apply,
            deadlines=settings.role != "api",  # an API node's deadlines are the workers' work
        )

    @property
    def alive(self) -> bool:
        """The writer's thread runs: submitted work will be applied."""
        return self._thread.is_alive()

    async def submit(self, batch: Sequence[Input]) -> list[Applied]:
        reply: _Reply[list[Applied]] = _Reply()
        self._queue.put(_Batch(list(batch), reply))
        return await reply.future

    async def call(self, function: Callable[[Store], T]) -> T:
        """Run ``function(store)`` in a transaction of its own on the writer's connection."""
        future: Future[T] = Future()
        self._queue.put(_Call(function, future))
        return await asyncio.wrap_future(future)

    def run(self, function: Callable[[Store], T]) -> T:
        """From another thread (not the event loop): run ``function(store)`` in a transaction
        of its own on the writer's connection, and wait for it. The delivery worker records
        its tries this way, queued with the writer's units rather than contending with them
        for SQLite's write lock. Raises what ``function`` raised, or RuntimeError when the
        writer has stopped."""
        future: Future[T] = Future()
        if not self.alive:
            raise RuntimeError("the writer has stopped")
        self._queue.put(_Call(function, future, renames=False))
        return future.result()

    def wake(self) -> None:
        """Look at the deadlines now rather than at the next check."""
        self._queue.put(_WAKE)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        while True:  # whatever came after the stop is answered, never left waiting
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Batch | _Call):
                item.future.set_exception(RuntimeError("the writer has stopped"))

    def _wait(self) -> float:
        """Seconds until the earliest deadline (at most ``tick_check_seconds``; at most
        :data:`RECLAIM_RETRY_SECONDS` while an erasure's space is still to reclaim)."""
        if self.engine.reclaim_pending:
            return min(self._deadline_wait(), RECLAIM_RETRY_SECONDS)
        return self._deadline_wait()

    def _deadline_wait(self) -> float:
        if not self.deadlines:
            return self.tick_check_seconds
        backoff = self._retry_at - time.monotonic()
        if backoff > 0:
            return backoff
        try:
            due = self.engine.next_deadline()
        except Exception:
            log.exception("reading the next deadline failed")
            return self.tick_check_seconds
        if due is None:
            return self.tick_check_seconds
        return min(max((due - self.engine.clock()) / 1000, 0.0), self.tick_check_seconds)

    def _prune(self) -> None:
        """Drop effects older than the retention, and the ended refusals of erased customers
        (``engine.erasure.refused``), once every ``prune_every_seconds``."""
        if time.monotonic() < self._prune_at:
            return
        self._prune_at = time.monotonic() + self.prune_every_seconds
        store = self.engine.store
        cutoff = self.engine.clock() - self.effect_retention_ms
        try:
            while True:  # in short transactions: requests get the write lock in between
                with store.transaction():
                    pruned = store.effects_prune(cutoff, limit=self.PRUNE_CHUNK)
                if pruned < self.PRUNE_CHUNK:
                    break
            with store.transaction():  # refusals of erased customers that have ended
                store.erased_customers_prune(self.engine.clock())
        except Exception:
            log.exception("pruning the effect log failed; it is tried again later")

    def _run(self) -> None:
        while True:
            self._prune()
            if self.engine.reclaim_pending:  # a reader kept an erasure's from finishing
                self.engine.reclaim()
            wait = self._wait()
            if wait <= 0:
                self._tick()
                continue
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                continue  # a deadline may be due: look again
            if item is _STOP:
                return
            batches: list[_Batch] = []
            calls: list[_Call] = []
            stop = False
            while True:
                if isinstance(item, _Batch):
                    batches.append(item)
                elif isinstance(item, _Call):
                    calls.append(item)
                if sum(len(b.inputs) for b in batches) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
            if batches:
                self._apply(batches)
            for call in calls:
                self._call(call)
            if stop:
                return

    def _publish(self, outcome: Outcome) -> None:
        if self.dispatcher is not None:
            self.dispatcher.publish(outcome.effects)

    def _tick(self) -> None:
        try:
            outcome = self.engine.tick()
        except Exception:
            self.engine.forget()
            log.exception("a tick failed; the deadlines are tried again at the next check")
            self._retry_at = time.monotonic() + self.tick_check_seconds
            return
        self._publish(outcome)

    def _apply(self, batches: list[_Batch]) -> None:
        combined = [a for batch in batches for a in batch.inputs]
        started = time.perf_counter()
        try:
            outcome = self.engine.apply(combined)
        except BaseException as exc:  # answer every waiting request, then keep serving
            self.engine.forget()
            # one request's fault fails no other: each again, on its own (not when the store
            # itself failed — locked, full, gone —, which each would only meet again)
            alone = isinstance(exc, Exception) and not isinstance(exc, StoreError)
            if alone and len(batches) > 1:
                log.warning(
                    "a group commit of %d requests failed; each is applied alone", len(batches)
                )
                for batch in batches:
                    self._apply([batch])
                return
            for batch in batches:
                batch.future.set_exception(exc)
            return
        if self.on_apply is not None:
            self.on_apply(time.perf_counter() - started)
        self._publish(outcome)  # committed: hand the effects on (this never blocks), then answer
        offset = 0
        for batch in batches:
            batch.future.set_result(outcome.results[offset : offset + len(batch.inputs)])
            offset += len(batch.inputs)

    def _call(self, call: _Call) -> None:
        if call.renames:
            self.engine.names_changed()
        store = self.engine.store
        try:
            with store.transaction():
                result = call.function(store)
        except BaseException as exc:
            call.future.set_exception(exc)
            return
        call.future.set_result(result)
