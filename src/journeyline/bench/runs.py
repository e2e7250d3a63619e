"""The in-process figures: the raw SQLite ceiling, the conversation engine, the web engine.

Each run stores into a fresh database file and checks that every event was stored. The engine
runs may start from a copy of a prepared store (``start``: one holding definitions, made by
``bench.rules``) instead of an empty one.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from journeyline.bench import stores
from journeyline.bench.errors import BenchError
from journeyline.bench.workload import SITE_DOMAIN, Workload, genesys_request, make_web_hits
from journeyline.clock import system_clock
from journeyline.engine.unit import Engine
from journeyline.ingest import genesys_detail
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment
from journeyline.store import open_store
from journeyline.store.base import Store
from journeyline.store.sqlite import MIGRATIONS, migrate

BATCH = 1000  # events per transaction for the ceiling and the engine
WEB_BATCH = 1000  # events per Engine.apply for the web engine figure


@dataclass(frozen=True, slots=True)
class Run:
    events: int
    seconds: float
    details: Mapping[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def event_log_ddl() -> list[str]:
    """``event_log`` and its indexes as the real migrations leave them (all of them applied).

    The migrations run on a scratch file and the statements are read back from
    ``sqlite_master``, so the ceiling follows any later migration of the log table.
    """
    with tempfile.TemporaryDirectory(prefix="journeyline-schema-") as tmp:
        path = Path(tmp) / "schema.db"
        migrate(f"sqlite:///{path}")
        db = sqlite3.connect(path)
        try:
            rows = db.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'event_log'"
                " AND sql IS NOT NULL ORDER BY type = 'index', name"
            ).fetchall()
        finally:
            db.close()
    if not rows or rows[0][0] != "table":
        raise BenchError(f"the migrations under {MIGRATIONS} create no event_log table")
    return [str(sql) for _, sql in rows]


def _deadline(start: float, timeout: float, what: str) -> None:
    if time.perf_counter() - start > timeout:
        raise BenchError(f"{what} did not finish within {timeout:.0f} s")


def ceiling_run(path: Path, workload: Workload, ddl: Sequence[str], timeout: float) -> Run:
    """Raw inserts of the log rows: executemany, 1000 rows per transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in ddl:
            db.execute(statement)
        now = system_clock()
        kind = genesys_detail.KIND
        params = [(key, kind, cid, now, body) for key, cid, body in workload.rows]
        sql = (
            "INSERT INTO event_log (key, kind, partition_key, received_ms, body)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        start = time.perf_counter()
        for offset in range(0, len(params), BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, params[offset : offset + BATCH])
            db.execute("COMMIT")
            _deadline(start, timeout, "the ceiling run")
        seconds = time.perf_counter() - start
        (stored,) = db.execute("SELECT count(*) FROM event_log").fetchone()
    finally:
        db.close()
    if stored != len(params):
        raise BenchError(f"ceiling: stored {stored} rows of {len(params)}")
    return Run(len(params), seconds, {"stored_events": int(stored)})


def count_rows(where: Path | str, table: str) -> int:
    """The rows of ``table`` in the SQLite file ``where`` or the store at URL ``where``."""
    url = where if isinstance(where, str) else f"{stores.SQLITE}{where}"
    return stores.count(url, f"SELECT count(*) FROM {table}")


def copy_store(source: Path, target: Path) -> None:
    """A copy of the SQLite store file ``source`` at ``target`` (SQLite's online backup: the
    copy is consistent even if a write-ahead log is still beside the source)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _open(url: str, start: Path | None) -> tuple[Store, Engine, int]:
    """The store at ``url`` (a copy of the SQLite file ``start`` when given, else empty), its
    engine with the definitions already indexed (as in a server that has been up a while), and
    how many rows its log holds before the run."""
    if start is not None:
        copy_store(start, stores.sqlite_path(url))
    store = open_store(url)
    try:
        engine = Engine(store, system_clock)
        engine.definitions.current()
        return store, engine, store.log_count()
    except BaseException:
        store.close()
        raise


def engine_run(url: str, workload: Workload, timeout: float, *, start: Path | None = None) -> Run:
    """parse_item + Engine.apply in batches of 1000 into a freshly migrated store at ``url`` (or
    a copy of the SQLite file ``start``)."""
    store, engine, before = _open(url, start)
    try:
        items = workload.items
        parse = genesys_detail.parse_item
        began = time.perf_counter()
        for offset in range(0, len(items), BATCH):
            engine.apply([parse(item) for item in items[offset : offset + BATCH]])
            _deadline(began, timeout, "the engine run")
        seconds = time.perf_counter() - began
        stored = store.log_count() - before
    finally:
        store.close()
    if stored != len(items):
        raise BenchError(f"engine: stored {stored} events of {len(items)}")
    details = {
        "stored_events": stored,
        "sessions": count_rows(url, "sessions"),
        "session_events": count_rows(url, "session_events"),
    }
    return Run(len(items), seconds, details)


def web_counts(path: Path) -> dict[str, int]:
    """What the web events left in a store: the log, web sessions, contacts, identifiers."""
    db = sqlite3.connect(path)
    try:
        queries = {
            "stored_events": "SELECT count(*) FROM event_log WHERE kind = 'web.event'",
            "sessions": "SELECT count(*) FROM sessions WHERE type = 'web'",
            "session_events": "SELECT count(*) FROM session_events WHERE event_type = 'WebEvent'",
            "contacts": "SELECT count(*) FROM contacts",
            "identified_contacts": "SELECT count(*) FROM contacts WHERE type != 'Ephemeral'",
            "emails": "SELECT count(*) FROM identifiers WHERE type = 'Email'",
        }
        return {name: int(db.execute(sql).fetchone()[0]) for name, sql in queries.items()}
    finally:
        db.close()


def web_engine_run(
    path: Path, count: int, timeout: float, *, seed: int = 1, start: Path | None = None
) -> Run:
    """parse_web + Engine.apply in batches of 1000 into a freshly migrated store (or a copy of
    ``start``).

    The events are made just before the clock starts, dated from the run's own clock.
    """
    store, engine, _ = _open(f"{stores.SQLITE}{path}", start)
    try:
        now = system_clock()
        deployment = Deployment(
            id=str(uuid.uuid4()),
            name="bench",
            write_key=f"bench-{uuid.uuid4().hex}",
            allowed_domains=(SITE_DOMAIN,),
            created_ms=now,
            modified_ms=now,
        )
        with store.transaction():
            store.deployment_put(deployment)
        hits = make_web_hits(count, now, seed=seed)
        items = [(genesys_request(h), h.ip, h.user_agent) for h in hits]
        size = sum(len(msgspec.json.encode(item)) for item, _, _ in items)
        geo = GeoLookup(None)
        parse, context = web.parse_web, web.Context
        began = time.perf_counter()
        for offset in range(0, len(items), WEB_BATCH):
            now_ms = system_clock()  # as the HTTP edge reads the clock per request
            engine.apply(
                [
                    parse(item, context(deployment, now_ms, ip, user_agent, geo))
                    for item, ip, user_agent in items[offset : offset + WEB_BATCH]
                ]
            )
            _deadline(began, timeout, "the web engine run")
        seconds = time.perf_counter() - began
    finally:
        store.close()
    details = web_counts(path)
    if details["stored_events"] != len(items):
        raise BenchError(f"web engine: stored {details['stored_events']} events of {len(items)}")
    details["visitors"] = len({h.cookie for h in hits})
    details["mean_request_bytes"] = round(size / len(items))
    return Run(len(items), seconds, details)


WARM_UP = 2000  # events of the untimed first runs


def warm_up(root: Path, workload: Workload, web_events: int, timeout: float) -> None:
    """An untimed engine run and web engine run of up to 2,000 events each, so that no measured
    line pays the process's first imports and the enrichment caches' first fill (the first
    line measured would otherwise look slower than the lines it is compared with)."""
    workdir = root / "warm-up"
    workdir.mkdir()
    try:
        count = min(WARM_UP, len(workload.items))
        first = Workload(workload.wire[:count], workload.items[:count], workload.rows[:count])
        engine_run(f"{stores.SQLITE}{workdir / 'engine.db'}", first, timeout)
        web_engine_run(workdir / "web.db", min(WARM_UP, web_events), timeout, seed=9)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
