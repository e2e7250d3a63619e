"""``QueuePool``: a ``StorePool`` of stores opened when first needed — SQLite's (a WAL file is
read by many connections at once, each its own). PostgreSQL's is psycopg_pool's
(``store/postgres``), which also replaces a connection the server dropped."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from journeyline.model.errors import StoreError
from journeyline.store.base import Store

#: How long a borrower waits for a store when all are lent, in seconds.
WAIT_SECONDS = 30.0


class QueuePool:
    def __init__(self, opener: Callable[[], Store], size: int) -> None:
        if size < 1:
            raise ValueError(f"a pool holds one store or more, not {size}")
        self.size = size
        self._opener = opener
        self._free = threading.BoundedSemaphore(size)  # one token a store lent or to open
        self._idle: queue.LifoQueue[Store] = queue.LifoQueue()  # the warmest one first
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator[Store]:
        if not self._free.acquire(timeout=WAIT_SECONDS):
            raise StoreError(f"no store of the pool of {self.size} was free in {WAIT_SECONDS} s")
        try:
            try:
                store = self._idle.get_nowait()
            except queue.Empty:  # fewer opened than the tokens: open one more
                store = self._opener()
                with self._lock:
                    self._opened.append(store)
            try:
                yield store
            finally:
                self._idle.put(store)
        finally:
            self._free.release()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()
