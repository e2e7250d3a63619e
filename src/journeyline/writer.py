"""The single writer: one thread applies every accepted batch, with group commit.

Request handlers hand their parsed batches to :meth:`Writer.submit` and await the result; the
writer thread takes everything that is waiting (up to ``max_batch`` events), applies it in one
transaction and then answers every waiting request. Many requests share one commit, and the
request is acknowledged only after the commit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from journeyline.engine import Applied, Engine, Input

_STOP = object()


class Writer:
    def __init__(self, engine: Engine, *, max_batch: int = 2000) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journeyline-writer", daemon=True)
        self._thread.start()

    async def submit(self, batch: Sequence[Input]) -> list[Applied]:
        future: Future[list[Applied]] = Future()
        self._queue.put((list(batch), future))
        return await asyncio.wrap_future(future)

    def submit_sync(self, batch: Sequence[Input]) -> list[Applied]:
        future: Future[list[Applied]] = Future()
        self._queue.put((list(batch), future))
        return future.result()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            waiting: list[tuple[list[Input], Future[list[Applied]]]] = [item]  # type: ignore[list-item]
            size = len(waiting[0][0])
            stop = False
            while size < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                waiting.append(more)  # type: ignore[arg-type]
                size += len(waiting[-1][0])
            self._apply(waiting)
            if stop:
                return

    def _apply(self, waiting: list[tuple[list[Input], Future[list[Applied]]]]) -> None:
        combined = [a for batch, _ in waiting for a in batch]
        try:
            results = self.engine.apply(combined)
        except BaseException as exc:  # answer every waiting request, then keep serving
            self.engine.forget()
            for _, future in waiting:
                future.set_exception(exc)
            return
        offset = 0
        for batch, future in waiting:
            future.set_result(results[offset : offset + len(batch)])
            offset += len(batch)
