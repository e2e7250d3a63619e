"""The SQLite store checkpoints its write-ahead log on a thread of its own
(``store/sqlite/checkpoint.py``), not inside the writer's commits."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from journeyline.store import open_store
from journeyline.store.base import LogRecord
from journeyline.store.sqlite import path_of
from journeyline.store.sqlite.checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer


def _in_the_file_alone(path: Path) -> int:
    """How many log rows the database file holds without its write-ahead log (``immutable``:
    SQLite reads the file as it is and ignores the log)."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM event_log").fetchone()[0])


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("checkpoint ")]


def _wait_for(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the checkpointer did not copy the commit in time"
        time.sleep(0.02)


def test_a_commit_reaches_the_database_file_without_the_writer_checkpointing(
    sqlite_url: str,
) -> None:
    """A commit of a few pages is far below the writer's own threshold, yet the file gets it:
    the checkpointer copied it. The writer's threshold stays the backstop."""
    store = open_store(sqlite_url)
    path = path_of(sqlite_url)
    try:
        assert store._sqlite.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == (  # type: ignore[attr-defined]
            WRITER_AUTOCHECKPOINT
        )
        with store.transaction():
            store.append([LogRecord(f"k{i}", "test", "p", 1, b"{}", 1) for i in range(10)])
        _wait_for(lambda: _in_the_file_alone(path) == 10)
        with store.transaction():
            store.append([LogRecord("k10", "test", "p", 1, b"{}", 2)])
        _wait_for(lambda: _in_the_file_alone(path) == 11)
        assert store.log_count() == 11
    finally:
        store.close()


def test_closing_the_store_stops_its_checkpointer(sqlite_url: str) -> None:
    """Only a store that commits has the thread, and closing it ends the thread at once."""
    before = set(_checkpointers())
    reader = open_store(sqlite_url)
    reader.log_count()
    assert set(_checkpointers()) == before
    writer = open_store(sqlite_url)
    with writer.transaction():
        writer.append([LogRecord("k", "test", "p", 1, b"{}", 1)])
    started = set(_checkpointers()) - before
    assert len(started) == 1
    began = time.monotonic()
    writer.close()
    reader.close()
    assert not any(t.is_alive() for t in started)
    assert time.monotonic() - began < 1.0  # it does not sleep out its interval


def test_a_checkpointer_whose_file_cannot_be_opened_leaves_the_writer_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file to open (a directory in its place): the thread logs it, raises nothing (no
    uncaught exception in the thread), and nudging and closing it still work."""
    uncaught: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    (tmp_path / "dir.db").mkdir()
    with caplog.at_level("WARNING", logger="journeyline.store.sqlite"):
        checkpointer = Checkpointer(tmp_path / "dir.db", interval_s=0.0)
        checkpointer.nudge()
        _wait_for(lambda: any("dir.db" in r.getMessage() for r in caplog.records))
        checkpointer.nudge()
        checkpointer.close()
    assert uncaught == []
    assert not any(t.name == "checkpoint dir.db" and t.is_alive() for t in threading.enumerate())


def test_a_store_dropped_without_closing_stops_its_checkpointer(sqlite_url: str) -> None:
    """A writing store that is never closed, once collected, leaves no thread behind (nor
    the thread's connection to the file): a process that opens stores and drops them does not
    gather a thread and its file handles for each."""
    before = set(_checkpointers())

    def commit_and_drop() -> None:
        store = open_store(sqlite_url)
        with store.transaction():
            store.append([LogRecord("k", "test", "p", 1, b"{}", 1)])

    commit_and_drop()
    started = set(_checkpointers()) - before
    assert len(started) == 1
    gc.collect()
    _wait_for(lambda: not any(t.is_alive() for t in started))


def test_a_commit_made_is_not_reported_failed_when_the_checkpointer_cannot_start(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread is started after the COMMIT: a thread that cannot start (the process is out
    of threads) must not turn a commit that was made into an error the caller acts on."""

    def cannot_start(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    store = open_store(sqlite_url)
    try:
        monkeypatch.setattr(threading.Thread, "start", cannot_start)
        with store.transaction():
            store.append([LogRecord("k", "test", "p", 1, b"{}", 1)])
        monkeypatch.undo()
        assert store.log_count() == 1
        with store.transaction():  # the next commit starts it
            store.append([LogRecord("k2", "test", "p", 1, b"{}", 2)])
        assert store._checkpointer is not None  # type: ignore[attr-defined]
    finally:
        store.close()
