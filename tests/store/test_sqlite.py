"""The SQLite store at its edges: the file, its migrations, its driver's errors, two connections.

What every backend promises is in ``test_contract.py``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from journeyline.model.errors import InvalidInput, StoreError
from journeyline.store import open_store
from journeyline.store.base import LogRecord
from journeyline.store.sqlite import MIGRATIONS, SqliteStore, migrate, path_of


def test_a_failing_unit_of_work_is_rolled_back_and_translated(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    good = LogRecord("k1", "test", "p", 1, b"{}", 1)
    bad = LogRecord("k2", "test", "p", 1, None, 1)  # type: ignore[arg-type]  # NOT NULL body
    with pytest.raises(StoreError, match="the store failed") as caught, store.transaction():  # noqa: PT012
        store.append([good])
        store.append([bad])
    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert store.log_count() == 0
    store.close()


def test_a_read_outside_a_transaction_is_translated(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with closing(sqlite3.connect(path_of(sqlite_url))) as raw:
        raw.execute("DROP TABLE sessions")
    with pytest.raises(StoreError, match="in get_session: no such table: sessions") as caught:
        store.get_session("s1")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    store.close()


def test_a_second_writer_waits_for_the_first(sqlite_url: str) -> None:
    first, second = open_store(sqlite_url), open_store(sqlite_url)
    with first.transaction():
        first.append([LogRecord("a", "test", "p", 1, b"{}", 1)])
    with second.transaction():
        assert second.append([LogRecord("a", "test", "p", 1, b"{}", 1)]) == set()
    assert second.log_count() == 1
    first.close()
    second.close()


def test_a_new_file_is_migrated_once_to_the_latest_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'new.db'}"  # directories are made
    assert sorted(p.name for p in MIGRATIONS.glob("*.sql"))[0] == "0001_initial.sql"
    open_store(url).close()
    open_store(url).close()  # nothing left to apply
    with closing(sqlite3.connect(path_of(url))) as raw:
        applied = [row[0] for row in raw.execute("SELECT migration_id FROM _yoyo_migration")]
        columns = {row[1] for row in raw.execute("PRAGMA table_info(event_log)")}
    assert sorted(applied) == sorted(p.stem for p in MIGRATIONS.glob("*.sql"))
    assert "unit" in columns


def test_a_file_one_migration_behind_is_migrated_and_an_up_to_date_one_is_not_touched(
    tmp_path: Path,
) -> None:
    """Migrating checks the applied migrations in one query first: a file left before the
    last migration (its column dropped, its row gone) gets it again; a file with every
    migration applied is left alone (yoyo would take its lock in the file)."""
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    open_store(url).close()
    last = sorted(MIGRATIONS.glob("*.sql"))[-1].stem
    assert last == "0014_web_event_body_once"  # the step undone below: its one column
    with closing(sqlite3.connect(path_of(url))) as raw:
        raw.execute("ALTER TABLE session_events DROP COLUMN log_key")
        raw.execute("DELETE FROM _yoyo_migration WHERE migration_id = ?", (last,))
        raw.commit()
    open_store(url).close()
    with closing(sqlite3.connect(path_of(url))) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(session_events)")}
        applied = {row[0] for row in raw.execute("SELECT migration_id FROM _yoyo_migration")}
        assert "log_key" in columns
        assert last in applied
        # up to date: nothing is committed to the file (yoyo's lock would be: data_version,
        # which moves when another connection commits, went from 1 to 2 with it)
        version = raw.execute("PRAGMA data_version").fetchone()
        migrate(url)
        assert raw.execute("PRAGMA data_version").fetchone() == version


def test_the_connection_is_in_wal_mode(sqlite_url: str) -> None:
    store = SqliteStore.open(sqlite_url)
    with closing(sqlite3.connect(path_of(sqlite_url))) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


def test_a_url_that_is_not_sqlite_is_refused() -> None:
    with pytest.raises(StoreError, match="not a sqlite URL"):
        SqliteStore.open("sqlite://relative.db")


def test_unknown_url_schemes_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unsupported store URL scheme 'mysql'"):
        open_store("mysql://localhost/test")


def test_a_refused_scheme_names_every_backend_there_is() -> None:
    """In a fresh process, where no PostgreSQL store was opened yet."""
    code = (
        "from journeyline.store import open_store\n"
        "try:\n    open_store('mysql://localhost/test')\n"
        "except Exception as exc:\n    print(exc)"
    )
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "(known: postgres, postgresql, sqlite)" in said.stdout, said


ERASED_EMAIL = "ada.lovelace.erased@example.com"


def _erase_and_read_the_file(sqlite_url: str, *, secure_delete: str | None = None) -> bytes:
    """A person identified by 50 web events, erased: the bytes of the file and of its
    write-ahead log, read at once, the store still open (nothing checkpointed but what the
    store did itself). ``secure_delete`` sets the pragma on the store's connection first
    (None: as the store opens it)."""
    from builders import COOKIE, T0, web_event, web_inputs
    from conftest import FakeClock
    from journeyline.core.identity import cookie_contact_id
    from journeyline.engine.inputs import CommandInput
    from journeyline.engine.unit import Engine
    from journeyline.model.commands import EraseContact

    store = open_store(sqlite_url)
    if secure_delete is not None:
        store._sqlite.execute(f"PRAGMA secure_delete={secure_delete}")  # type: ignore[attr-defined]
    engine = Engine(store, FakeClock(T0 + 60_000))
    traits = {"email": {"dataType": "string", "value": ERASED_EMAIL}}
    events = [web_event(COOKIE, n, name="identified", traits=traits) for n in range(50)]
    engine.apply(web_inputs(*events, received_ms=T0 + 60_000))
    assert store.identifier_get("Email", ERASED_EMAIL) is not None
    erase = EraseContact(actor="supervisor", at_ms=T0 + 60_000, id=cookie_contact_id(COOKIE))
    [applied] = engine.apply([CommandInput("erase-1", erase)]).results
    assert applied.status == "accepted"
    path = Path(path_of(sqlite_url))
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    store.close()  # after reading: closing the last connection would checkpoint by itself
    return data


def test_an_erased_persons_data_is_not_left_in_the_file(sqlite_url: str) -> None:
    """``PRAGMA secure_delete``: what an erasure deletes or overwrites is zeroed in the file,
    not left in free pages for anyone who reads the file; and the store checkpoints and
    truncates the write-ahead log once the erasure commits, whose older frames held it."""
    from builders import COOKIE

    data = _erase_and_read_the_file(sqlite_url)
    assert ERASED_EMAIL.encode() not in data
    assert COOKIE.encode() not in data


def test_the_store_turns_secure_delete_on_and_the_file_check_would_see_it_off(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The store's connection has secure_delete on — on a build of SQLite whose default is off
    too, for it sets the pragma (Debian's defaults to on, so here the test above would pass
    without it) — and with it off the erased email is still in the file: the check above is
    one that can fail."""
    store = open_store(sqlite_url)
    assert store._sqlite.execute("PRAGMA secure_delete").fetchone() == (1,)  # type: ignore[attr-defined]
    store.close()
    off = _erase_and_read_the_file(f"sqlite:///{tmp_path / 'off.db'}", secure_delete="OFF")
    assert ERASED_EMAIL.encode() in off


def test_an_erasure_kept_from_reclaiming_by_a_reader_is_reclaimed_by_the_idle_writer(
    sqlite_url: str,
) -> None:
    """A reader on an older snapshot keeps the erasure's checkpoint from truncating the
    write-ahead log (busy, after the connection's busy timeout: 0.2 s here, 30 s as the store
    opens it); once the reader is gone the writer, idle, tries again within a second: the
    erased email leaves the files with no later traffic to trigger it."""
    import asyncio
    import time

    from builders import COOKIE, T0, web_event, web_inputs
    from conftest import FakeClock
    from journeyline.core.identity import cookie_contact_id
    from journeyline.engine.inputs import CommandInput
    from journeyline.engine.unit import Engine
    from journeyline.engine.writer import Writer
    from journeyline.model.commands import EraseContact

    store = open_store(sqlite_url)
    path = Path(path_of(sqlite_url))
    wal = path.with_name(path.name + "-wal")

    def in_the_files() -> bool:
        data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        return ERASED_EMAIL.encode() in data

    writer = Writer(Engine(store, FakeClock(T0 + 60_000)), tick_check_seconds=30.0)
    try:
        traits = {"email": {"dataType": "string", "value": ERASED_EMAIL}}
        events = [web_event(COOKIE, n, name="identified", traits=traits) for n in range(5)]
        asyncio.run(writer.submit(web_inputs(*events, received_ms=T0 + 60_000)))
        writer.run(lambda s: s._sqlite.execute("PRAGMA busy_timeout=200"))  # type: ignore[attr-defined]
        reader = sqlite3.connect(path)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM event_log").fetchone()  # an older snapshot, held
        erase = EraseContact(actor="supervisor", at_ms=T0 + 60_000, id=cookie_contact_id(COOKIE))
        [applied] = asyncio.run(writer.submit([CommandInput("erase-1", erase)]))
        assert applied.status == "accepted"
        assert writer.engine.reclaim_pending
        assert in_the_files()  # the log's older frames still hold it
        reader.rollback()
        reader.close()
        deadline = time.monotonic() + 5.0
        while in_the_files():
            assert time.monotonic() < deadline, "the idle writer did not reclaim the erasure"
            time.sleep(0.05)
        assert not writer.engine.reclaim_pending
    finally:
        writer.close()
        store.close()
