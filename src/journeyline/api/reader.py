"""Reads off the event loop: ``await read(fn, *args)`` runs ``fn(store, *args)`` on a worker
thread with a store the pool lends (``store.base.StorePool``), so that a read — a network round
trip on PostgreSQL — never holds up the loop that answers every other request, and reads run
side by side on their own connections. It is the reads' twin of ``Writer.call(fn)``.

A handler gathers what it reads into one function (one thread hop, one borrowed connection) and
keeps the rest — the request, the answer — on the loop. A store error raised in ``fn`` arrives
as it is (``StoreError``: a 503).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.to_thread

from journeyline.store.base import Store, StorePool

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class Read(Protocol):
    """What reads the store: a ``Reader``, or in a unit test a function on one store."""

    async def __call__(self, fn: Callable[[Store, Unpack[Ts]], T], /, *args: *Ts) -> T: ...


class Reader:
    def __init__(self, pool: StorePool) -> None:
        self.pool = pool
        # As many reads in flight as the pool has stores: a read waits here, on the loop,
        # rather than in a thread blocked on the pool.
        self._limiter = anyio.CapacityLimiter(pool.size)

    async def __call__(self, fn: Callable[[Store, Unpack[Ts]], T], /, *args: *Ts) -> T:
        return await anyio.to_thread.run_sync(self._run, fn, args, limiter=self._limiter)

    def _run(self, fn: Callable[[Store, Unpack[Ts]], T], args: tuple[*Ts]) -> T:
        with self.pool.borrow() as store:
            return fn(store, *args)
