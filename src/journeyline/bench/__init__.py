"""``journeyline bench``: ingest throughput on this machine, next to the raw SQLite ceiling.

Seven figures, each the median of ``--runs`` runs, every run on a fresh database file:

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
``web_engine``
    Web events (Genesys ``WebEventRequest`` dicts) through ``web.parse_web`` (enrichment
    included: URL, campaign, referrer, user agent, IP; no GeoIP database) and ``Engine.apply``
    in batches of 1000: the log, identity (cookie contacts, traits) and the web sessions.
``web_http_single`` / ``web_http_batch``
    A server with a deployment made through the API: one ``WebEventRequest`` per POST to
    ``/api/v2/journey/deployments/{id}/webevents``, then Segment-spec ``/v1/batch`` bodies of
    100 messages (write key as Basic user name).

The conversation events are realistic demo days (``journeyline.demo``), one day per seed, with
the duplicate deliveries dropped so that every event is new. The web events are many visitors
of a retail site (``make_web_hits``), each a few page views, searches and custom events over
minutes, some of them identifying themselves (email, sometimes a phone); realistic user agents,
traffic sources (search, ads with UTM and click ids, social, email, direct). They are dated
within the 45 minutes before the run's clock, as the one-hour age rule requires. All events are
generated and encoded before any clock starts; what is timed includes parsing.

May import anything of journeyline (it drives the real engine, store and server); nothing
imports it but the CLI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from journeyline.bench.errors import BenchError
from journeyline.bench.http import HTTP_BATCH, SEGMENT_BATCH, http_run, live_server, web_http_run
from journeyline.bench.runs import Run, ceiling_run, engine_run, event_log_ddl, web_engine_run
from journeyline.bench.workload import (
    WEB_OLDEST_MS,
    WebHit,
    Workload,
    genesys_request,
    make_web_hits,
    make_workload,
    segment_message,
)

__all__ = [
    "WEB_OLDEST_MS",
    "BenchError",
    "Figure",
    "Run",
    "WebHit",
    "Workload",
    "ceiling_run",
    "engine_run",
    "event_log_ddl",
    "genesys_request",
    "http_run",
    "live_server",
    "machine",
    "make_web_hits",
    "make_workload",
    "measure",
    "render",
    "run_bench",
    "segment_message",
    "web_engine_run",
    "web_http_run",
]

MAX_EVENTS = 5_000_000

ENGINE_GOAL = 10_000.0  # events/s
ENGINE_GOAL_SHARE = 25.0  # % of the ceiling
HTTP_BATCH_GOAL = 5_000.0  # events/s
WEB_GOAL = 10_000.0  # events/s
WEB_GOAL_SHARE = 25.0  # % of the ceiling


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


def _check_count(value: int, option: str) -> None:
    if not 1 <= value <= MAX_EVENTS:
        raise BenchError(f"{option} must be between 1 and {MAX_EVENTS:,}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    events: int = args.events
    runs: int = args.runs
    if runs < 1 or runs > 25:
        raise BenchError("--runs must be between 1 and 25")
    _check_count(events, "--events")
    _check_count(args.web_events, "--web-events")
    _check_count(args.web_single_events, "--web-single-events")
    _check_count(args.web_batch_events, "--web-batch-events")
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

    conns = args.concurrency
    ceiling = Figure("ceiling", "ceiling: raw SQLite insert, event_log rows")
    engine = Figure("engine", "engine + store: parse_item + Engine.apply")
    http_single = Figure("http_single", f"HTTP single event/request, {conns} conns")
    http_batch = Figure("http_batch", f"HTTP batches of {HTTP_BATCH}, {conns} conns")
    web_engine = Figure("web_engine", "web engine + store: parse_web + Engine.apply")
    web_single = Figure("web_http_single", f"web HTTP single event/request, {conns} conns")
    web_batch = Figure(
        "web_http_batch", f"web HTTP Segment /v1/batch of {SEGMENT_BATCH}, {conns} conns"
    )

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
            one, many = http_run(workdir, single, main.wire, concurrency=conns, timeout=timeout)
            http_single.runs.append(one)
            _progress(quiet, f"  http_single run {len(http_single.runs)}: {one.rate:,.0f} events/s")
            return many

        _measure(http_batch, runs, root, quiet, http_once)

        def web_engine_once(workdir: Path) -> Run:
            return web_engine_run(workdir / "web.db", args.web_events, timeout)

        _measure(web_engine, runs, root, quiet, web_engine_once)

        for number in range(1, runs + 1):
            workdir = root / f"web_http-{number}"
            workdir.mkdir()
            try:
                one, many = web_http_run(
                    workdir,
                    args.web_single_events,
                    args.web_batch_events,
                    concurrency=conns,
                    timeout=timeout,
                )
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            web_single.runs.append(one)
            _progress(quiet, f"  web_http_single run {number}/{runs}: {one.rate:,.0f} events/s")
            web_batch.runs.append(many)
            _progress(quiet, f"  web_http_batch run {number}/{runs}: {many.rate:,.0f} events/s")

    share = 100.0 * engine.rate / ceiling.rate if ceiling.rate else 0.0
    engine.goal = f">= {ENGINE_GOAL:,.0f}/s and >= {ENGINE_GOAL_SHARE:.0f}% of ceiling"
    engine.passed = engine.rate >= ENGINE_GOAL and share >= ENGINE_GOAL_SHARE
    http_batch.goal = f">= {HTTP_BATCH_GOAL:,.0f}/s"
    http_batch.passed = http_batch.rate >= HTTP_BATCH_GOAL
    web_share = 100.0 * web_engine.rate / ceiling.rate if ceiling.rate else 0.0
    web_engine.goal = f">= {WEB_GOAL:,.0f}/s and >= {WEB_GOAL_SHARE:.0f}% of ceiling"
    web_engine.passed = web_engine.rate >= WEB_GOAL and web_share >= WEB_GOAL_SHARE

    figures: dict[str, Any] = {}
    for figure in (ceiling, engine, http_single, http_batch, web_engine, web_single, web_batch):
        median_run = sorted(figure.runs, key=lambda r: r.rate)[len(figure.runs) // 2]
        figures[figure.name] = {
            "label": figure.label,
            "events_per_s": round(figure.rate, 1),
            "pct_of_ceiling": round(100.0 * figure.rate / ceiling.rate, 1) if ceiling.rate else 0,
            "runs_events_per_s": [round(r.rate, 1) for r in figure.runs],
            "events_per_run": figure.runs[0].events,
            "goal": figure.goal or None,
            "passed": figure.passed,
            **median_run.details,
        }
    figures["http_single"]["requests_per_s"] = figures["http_single"]["events_per_s"]
    figures["web_http_single"]["requests_per_s"] = figures["web_http_single"]["events_per_s"]
    return {
        "machine": machine(),
        "events": events,
        "single_events": single_count,
        "conversations": len({cid for _, cid, _ in main.rows}),
        "mean_event_bytes": round(sum(map(len, main.wire)) / len(main.wire)),
        "web_events": args.web_events,
        "web_single_events": args.web_single_events,
        "web_batch_events": args.web_batch_events,
        "web_visitors": figures["web_engine"]["visitors"],
        "mean_web_event_bytes": figures["web_engine"]["mean_request_bytes"],
        "runs": runs,
        "concurrency": conns,
        "figures": figures,
    }


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"journeyline bench - {report['events']:,} conversation events/run"
        f" ({report['conversations']:,} conversations, ~{report['mean_event_bytes']} B/event);"
        f" {report['web_events']:,} web events/run ({report['web_visitors']:,} visitors,"
        f" ~{report['mean_web_event_bytes']} B/event); median of {report['runs']} run(s),"
        " fresh SQLite file per run",
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
    w = f["web_engine"]
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
        f"web engine stored {w['stored_events']:,} events in {w['sessions']:,} web sessions"
        f" ({w['session_events']:,} session events), {w['contacts']:,} contacts"
        f" ({w['identified_contacts']:,} identified); web HTTP single:"
        f" {f['web_http_single']['events_per_run']:,} requests"
        f" = {f['web_http_single']['requests_per_s']:,.0f} requests/s",
    ]
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> int:
    """``journeyline bench``: measure, then print the table (or JSON with ``--json``).

    ``args`` as the ``bench`` command's parser makes them (every option has its default there).
    """
    report = measure(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
