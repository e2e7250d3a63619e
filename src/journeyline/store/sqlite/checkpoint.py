"""Checkpoints of a SQLite store's write-ahead log, on a thread of their own.

A commit in WAL mode appends the pages it changed to the write-ahead log; a *checkpoint* later
copies them into the database file, and the log starts again from its beginning. SQLite runs
one itself (``wal_autocheckpoint``) inside the commit that pushes the log past a size, so
every few units of work the writer waits while thousands of pages are copied and the file is
synced: with batches of 1,000 web events, one commit in four took 120-170 ms instead of 20 ms,
a fifth of the writer's time (docs/benchmarks.md, "Web path (issue 6), 2026-12-04 evening").

:class:`Checkpointer` runs them on its own connection and thread instead: the writer nudges it
after each commit, and it runs a ``PASSIVE`` checkpoint (which never blocks the writer nor any
reader) when enough time has passed since the last one. Durability does not depend on it: with
``synchronous=FULL`` a commit is on disk once the log is synced, checkpointed or not. The
writer's own ``wal_autocheckpoint`` (:data:`WRITER_AUTOCHECKPOINT`) stays: a checkpoint that
runs while the writer appends never lets the log start again from its beginning, so the
writer's own — which finds most pages copied already — is what restarts it, and bounds the
log should the thread fall behind or fail.

SQLite holds no Python lock while it copies, so the thread runs beside the writer on another
core; on one core it costs what the writer's own checkpoints cost.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("journeyline.store.sqlite")

#: The writer's own checkpoint threshold, in pages of the log (~40 MiB of 4 KiB pages).
WRITER_AUTOCHECKPOINT = 10_000
#: The least time between two checkpoints: a burst of commits shares one, so a page that every
#: commit changes (an index's root, the newest leaf of the log) is copied once for all of them.
INTERVAL_S = 0.25


class Checkpointer:
    """A thread that checkpoints the write-ahead log of the SQLite file at ``path`` after
    commits (:meth:`nudge`) until :meth:`close`."""

    def __init__(self, path: Path, *, interval_s: float = INTERVAL_S) -> None:
        self._path = path
        self._interval_s = interval_s
        self._wanted = threading.Event()
        self._closing = threading.Event()
        self._lock = threading.Lock()  # held while a checkpoint runs
        self._thread = threading.Thread(
            target=self._run, name=f"checkpoint {path.name}", daemon=True
        )
        self._thread.start()

    def nudge(self) -> None:
        """A commit added pages to the log."""
        self._wanted.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No checkpoint of this thread runs in the block (it waits for a running one): the
        writer's own, which must not find the checkpoint lock taken (``reclaim_erased``)."""
        with self._lock:
            yield

    def close(self) -> None:
        """Stop the thread (what it has not copied yet stays in the log, where the writer's
        connection copies it when it closes, or the next one that opens the file)."""
        self.stop()
        self._thread.join()

    def stop(self) -> None:
        """Tell the thread to end, without waiting for it (a store dropped unclosed: its
        finalizer may run on any thread, this one's included)."""
        self._closing.set()
        self._wanted.set()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            log.exception("cannot open %s to checkpoint it; the writer checkpoints", self._path)
            return
        try:
            while True:
                self._wanted.wait()
                if self._closing.is_set():
                    return
                self._wanted.clear()
                began = time.monotonic()
                try:
                    with self._lock:
                        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    # the file went away, or is being restored: the writer's threshold holds
                    log.warning("a checkpoint of %s failed", self._path, exc_info=True)
                self._closing.wait(self._interval_s - (time.monotonic() - began))
        finally:
            db.close()
