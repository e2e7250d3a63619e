"""``journeyline bench``: ingest throughput on this machine, next to the raw SQLite ceiling.

Four figures, each the median of ``--runs`` runs, every run on a fresh database file:

``ceiling``
    The same ``event_log`` rows (the migration's table with its UNIQUE key and partition index,
    WAL, ``synchronous=FULL`` as the store runs) inserted with ``executemany`` in batches of
    1000, one transaction per batch. Nothing journeyline does can store events faster than this
    with the same durability.
``engine``
    The decoded wire objects through ``genesys_detail.parse_item`` and ``Engine.apply`` in
    batches of 1000 into a store opened with ``open_store`` (the real migrations): the log,
    the session fold and the projections, without HTTP.
``http_single`` / ``http_batch``
    ``journeyline serve`` in a subprocess on 127.0.0.1 with its own fresh store, loaded by
    ``--concurrency`` keep-alive connections POSTing to ``/api/v2/journey/conversationevents``
    one event per request, then arrays of 100 events per request.

The events are realistic demo days (``journeyline.demo``), one day per seed, with the duplicate
deliveries dropped so that every event is new. All of them are generated and encoded before any
clock starts; what is timed includes parsing the wire JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.client
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from journeyline.api.auth import create_client
from journeyline.clock import system_clock
from journeyline.demo import demo_day
from journeyline.engine import Engine
from journeyline.errors import JourneylineError
from journeyline.ingest import genesys_detail
from journeyline.store import open_store
from journeyline.store.sqlite import MIGRATIONS, migrate

BATCH = 1000  # events per transaction for the ceiling and the engine
HTTP_BATCH = 100  # events per request for http_batch
PATH = "/api/v2/journey/conversationevents"
DAY_MS = 86_400_000
FIRST_DAY_MS = 1_795_564_800_000  # a midnight (UTC); each further demo day starts a day later
CONVERSATIONS_PER_DAY = 1000  # about 8,600 unique events per demo day
MAX_DAYS = 2_000  # bounds the generator: ~17M events
MAX_EVENTS = 5_000_000

ENGINE_GOAL = 10_000.0  # events/s
ENGINE_GOAL_SHARE = 25.0  # % of the ceiling
HTTP_BATCH_GOAL = 5_000.0  # events/s


class BenchError(JourneylineError):
    """The bench could not measure something (a server that did not start, a timeout...)."""


# -- the workload ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    """Everything prepared before timing: wire bytes, decoded objects and log rows."""

    wire: list[bytes]  # each event's JSON as a sender would post it
    items: list[Any]  # the same, decoded (what the engine path starts from)
    rows: list[tuple[str, str, bytes]]  # (key, partition key, canonical body) for the ceiling


def make_workload(count: int) -> Workload:
    """``count`` unique conversation detail events from consecutive demo days."""
    if count < 1:
        raise BenchError("--events must be at least 1")
    seen: set[bytes] = set()
    wire: list[bytes] = []
    rows: list[tuple[str, str, bytes]] = []
    for day in range(MAX_DAYS):
        demo = demo_day(
            day_start_ms=FIRST_DAY_MS + day * DAY_MS,
            seed=10_000 + day,
            conversations=CONVERSATIONS_PER_DAY,
        )
        for event in demo.events:
            canonical = msgspec.json.encode(event, order="sorted")
            digest = hashlib.sha256(canonical).digest()
            if digest in seen:  # a duplicate delivery: the bench sends only new events
                continue
            seen.add(digest)
            cid = str(event["eventBody"]["conversationId"])
            wire.append(msgspec.json.encode(event))
            rows.append((digest.hex()[:32], cid, canonical))
            if len(wire) == count:
                items = [msgspec.json.decode(raw) for raw in wire]
                return Workload(wire, items, rows)
    raise BenchError(f"could not generate {count} unique events from {MAX_DAYS} demo days")


# -- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    events: int
    seconds: float
    details: dict[str, int] = field(default_factory=dict)

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


def _count(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        db.close()
    return int(count)


def engine_run(path: Path, workload: Workload, timeout: float) -> Run:
    """parse_item + Engine.apply in batches of 1000 into a freshly migrated store."""
    store = open_store(f"sqlite:///{path}")
    try:
        engine = Engine(store, system_clock)
        items = workload.items
        parse = genesys_detail.parse_item
        start = time.perf_counter()
        for offset in range(0, len(items), BATCH):
            engine.apply([parse(item) for item in items[offset : offset + BATCH]])
            _deadline(start, timeout, "the engine run")
        seconds = time.perf_counter() - start
        stored = store.log_count()
    finally:
        store.close()
    if stored != len(items):
        raise BenchError(f"engine: stored {stored} events of {len(items)}")
    details = {
        "stored_events": stored,
        "sessions": _count(path, "sessions"),
        "session_events": _count(path, "session_events"),
    }
    return Run(len(items), seconds, details)


# -- HTTP ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _log_tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-2000:]
    return ""


@contextlib.contextmanager
def live_server(workdir: Path, timeout: float) -> Iterator[tuple[int, str]]:
    """``journeyline serve`` on a free 127.0.0.1 port with a fresh store; yields (port, token)."""
    url = f"sqlite:///{workdir / 'http.db'}"
    store = open_store(url)
    try:
        client_id, secret = create_client(store, name="bench", role="admin", now_ms=system_clock())
    finally:
        store.close()
    port = _free_port()
    log_path = workdir / "server.log"
    command = [
        sys.executable, "-m", "journeyline.cli", "serve", "--store", url,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + min(timeout, 30.0)
            while True:
                if process.poll() is not None:
                    raise BenchError(f"the server exited early:\n{_log_tail(log_path)}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if _request(port, "GET", "/health")[0] == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"the server did not start:\n{_log_tail(log_path)}")
                time.sleep(0.05)
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            status, body = _request(
                port,
                "POST",
                "/oauth/token",
                b"grant_type=client_credentials",
                {
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            if status != 200:
                raise BenchError(f"POST /oauth/token answered {status}: {body[:200]!r}")
            token = str(json.loads(body)["access_token"])
            yield port, token
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class _Counts(msgspec.Struct):
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise BenchError("the server answered with a chunked body, which the bench cannot read")
    if length is None:
        raise BenchError("the server answered without a Content-Length")
    return status, await reader.readexactly(length)


async def _post_all(
    port: int, token: str, bodies: Sequence[bytes], concurrency: int, timeout: float
) -> tuple[float, _Counts]:
    """POST every body over ``concurrency`` keep-alive connections; (seconds, summed counts)."""
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    requests = [head + b"Content-Length: %d\r\n\r\n" % len(body) + body for body in bodies]
    totals = _Counts()
    position = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while position < len(requests):
            index = position
            position += 1
            writer.write(requests[index])
            status, body = await _read_response(reader)
            if status != 202:
                raise BenchError(f"POST {PATH} answered {status}: {body[:300]!r}")
            counts = msgspec.json.decode(body, type=_Counts)
            totals.accepted += counts.accepted
            totals.duplicate += counts.duplicate
            totals.rejected += counts.rejected

    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        async with asyncio.timeout(timeout):
            for _ in range(max(1, min(concurrency, len(requests)))):
                connections.append(await asyncio.open_connection("127.0.0.1", port))
            start = time.perf_counter()
            async with asyncio.TaskGroup() as group:
                for reader, writer in connections:
                    group.create_task(worker(reader, writer))
            seconds = time.perf_counter() - start
    except TimeoutError:
        raise BenchError(f"HTTP load did not finish within {timeout:.0f} s") from None
    finally:
        for _, writer in connections:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return seconds, totals


def http_run(
    workdir: Path,
    single: Sequence[bytes],
    batched: Sequence[bytes],
    *,
    concurrency: int,
    timeout: float,
) -> tuple[Run, Run]:
    """One server, one fresh store: single events first, then arrays of 100 (other events)."""
    batches = [
        b"[" + b",".join(batched[offset : offset + HTTP_BATCH]) + b"]"
        for offset in range(0, len(batched), HTTP_BATCH)
    ]
    with live_server(workdir, timeout) as (port, token):
        seconds1, counts1 = asyncio.run(_post_all(port, token, single, concurrency, timeout))
        seconds2, counts2 = asyncio.run(_post_all(port, token, batches, concurrency, timeout))
    for name, sent, counts in (("single", single, counts1), ("batches", batched, counts2)):
        if counts.accepted != len(sent):
            raise BenchError(
                f"HTTP {name}: {counts.accepted} of {len(sent)} events accepted"
                f" ({counts.duplicate} duplicate, {counts.rejected} rejected)"
            )
    stored = _count(workdir / "http.db", "event_log")
    one = Run(len(single), seconds1, {"requests": len(single), "accepted": counts1.accepted})
    many = Run(
        len(batched),
        seconds2,
        {"requests": len(batches), "accepted": counts2.accepted, "stored_events": stored},
    )
    return one, many


# -- running and reporting -------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    name: str
    label: str
    runs: list[Run] = field(default_factory=list)
    goal: str = ""
    passed: bool | None = None

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs) if self.runs else 0.0


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu": model or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _measure(
    figure: Figure, runs: int, root: Path, quiet: bool, once: Callable[[Path], Run]
) -> None:
    for number in range(1, runs + 1):
        workdir = root / f"{figure.name}-{number}"
        workdir.mkdir()
        try:
            run = once(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        figure.runs.append(run)
        _progress(quiet, f"  {figure.name} run {number}/{runs}: {run.rate:,.0f} events/s")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    events: int = args.events
    runs: int = args.runs
    if runs < 1 or runs > 25:
        raise BenchError("--runs must be between 1 and 25")
    if not 1 <= events <= MAX_EVENTS:
        raise BenchError(f"--events must be between 1 and {MAX_EVENTS:,}")
    if not 0 < args.timeout <= 3600:
        raise BenchError("--timeout must be more than 0 and at most 3600 seconds")
    if args.concurrency < 1 or args.concurrency > 256:
        raise BenchError("--concurrency must be between 1 and 256")
    single_count = max(1, min(events, args.single_events))
    quiet: bool = args.json
    _progress(quiet, f"preparing {events + single_count:,} unique events...")
    workload = make_workload(events + single_count)
    main = Workload(workload.wire[:events], workload.items[:events], workload.rows[:events])
    single = workload.wire[events:]

    ceiling = Figure("ceiling", "ceiling: raw SQLite insert, event_log rows")
    engine = Figure("engine", "engine + store: parse_item + Engine.apply")
    http_single = Figure("http_single", f"HTTP single event/request, {args.concurrency} conns")
    http_batch = Figure("http_batch", f"HTTP batches of {HTTP_BATCH}, {args.concurrency} conns")

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="journeyline-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        timeout: float = args.timeout
        ddl = event_log_ddl()

        def ceiling_once(workdir: Path) -> Run:
            return ceiling_run(workdir / "ceiling.db", main, ddl, timeout)

        _measure(ceiling, runs, root, quiet, ceiling_once)
        _measure(engine, runs, root, quiet, lambda d: engine_run(d / "engine.db", main, timeout))

        def http_once(workdir: Path) -> Run:
            one, many = http_run(
                workdir, single, main.wire, concurrency=args.concurrency, timeout=timeout
            )
            http_single.runs.append(one)
            _progress(quiet, f"  http_single run {len(http_single.runs)}: {one.rate:,.0f} events/s")
            return many

        _measure(http_batch, runs, root, quiet, http_once)

    share = 100.0 * engine.rate / ceiling.rate if ceiling.rate else 0.0
    engine.goal = f">= {ENGINE_GOAL:,.0f}/s and >= {ENGINE_GOAL_SHARE:.0f}% of ceiling"
    engine.passed = engine.rate >= ENGINE_GOAL and share >= ENGINE_GOAL_SHARE
    http_batch.goal = f">= {HTTP_BATCH_GOAL:,.0f}/s"
    http_batch.passed = http_batch.rate >= HTTP_BATCH_GOAL

    figures: dict[str, Any] = {}
    for figure in (ceiling, engine, http_single, http_batch):
        median_run = sorted(figure.runs, key=lambda r: r.rate)[len(figure.runs) // 2]
        figures[figure.name] = {
            "label": figure.label,
            "events_per_s": round(figure.rate, 1),
            "pct_of_ceiling": round(100.0 * figure.rate / ceiling.rate, 1) if ceiling.rate else 0,
            "runs_events_per_s": [round(r.rate, 1) for r in figure.runs],
            "events_per_run": figure.runs[0].events if figure.runs else 0,
            "goal": figure.goal or None,
            "passed": figure.passed,
            **median_run.details,
        }
    figures["http_single"]["requests_per_s"] = figures["http_single"]["events_per_s"]
    return {
        "machine": machine(),
        "events": events,
        "single_events": single_count,
        "conversations": len({cid for _, cid, _ in main.rows}),
        "mean_event_bytes": round(sum(map(len, main.wire)) / len(main.wire)),
        "runs": runs,
        "concurrency": args.concurrency,
        "figures": figures,
    }


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"journeyline bench - {report['events']:,} events/run"
        f" ({report['conversations']:,} conversations, ~{report['mean_event_bytes']} B/event),"
        f" median of {report['runs']} run(s), fresh SQLite file per run",
        f"machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']},"
        f" {m['platform']}, {m['date']}",
        "",
        f"{'what':<46} {'events/s':>10} {'% ceil':>7}  {'goal':<34} result",
    ]
    for figure in report["figures"].values():
        passed = figure["passed"]
        result = "-" if passed is None else "PASS" if passed else "below goal"
        lines.append(
            f"{figure['label']:<46} {figure['events_per_s']:>10,.0f}"
            f" {figure['pct_of_ceiling']:>6.0f}%  {figure['goal'] or '-':<34} {result}"
        )
    f = report["figures"]
    lines += [
        "",
        "runs (events/s): "
        + "; ".join(
            f"{name} " + " / ".join(f"{r:,.0f}" for r in fig["runs_events_per_s"])
            for name, fig in f.items()
        ),
        f"engine stored {f['engine']['stored_events']:,} events in"
        f" {f['engine']['sessions']:,} sessions ({f['engine']['session_events']:,} session"
        f" events); HTTP single: {f['http_single']['events_per_run']:,} requests"
        f" = {f['http_single']['requests_per_s']:,.0f} requests/s",
    ]
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> int:
    """``journeyline bench``: measure, then print the table (or JSON with ``--json``)."""
    defaults = {"runs": 3, "json": False, "concurrency": 16, "single_events": 5000}
    for name, value in {**defaults, "timeout": 120.0}.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    report = measure(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
