"""``journeyline bench``: ingest throughput on this machine, next to the raw insert ceiling and
a minimal HTTP endpoint's, with and without definitions, the latency of the flows that events
fire and that of the live feed, one contact's journey read among a million sessions, and the
scale-out mode's ingest with 1, 2, 4 workers.

Each figure is the median of ``--runs`` runs (the latency and journey lines: one run), every run
on a fresh store: a SQLite file, or with ``--store postgresql://...`` a fresh schema of that
database (``bench.stores``; the SQLite-only lines — web, definitions, flow latency, desktop
journey page — are then left out):

``ceiling``
    The same ``event_log`` rows (the migration's table with its UNIQUE key and partition index,
    WAL, ``synchronous=FULL`` as the store runs) inserted with ``executemany`` in batches of
    1000, one transaction per batch. Nothing journeyline does can store events faster than this
    with the same durability.
    On PostgreSQL: the same rows into a migrated schema's ``event_log``, ``executemany`` and
    ``COPY``, 1000 rows per transaction; the faster (``bench.stores.ceiling_run``).
``http_minimal``
    The HTTP ceiling: ``bench.minimal``, a Starlette app with one POST route that reads the body
    and answers 202, under ``api.server``'s uvicorn config, sent the ``http_single`` requests.
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
``engine_defs_N`` / ``web_engine_defs_N``, ``..._N_related``
    The ``engine`` and ``web_engine`` runs again, each on a copy of a store given active
    definitions first (``bench.rules``): ``--definitions`` N and a tenth of it that concern no
    event of the workloads, then those N and ``--related`` that do. Interleaved with the runs
    without definitions (run 1 of each line, then run 2 of each...), so that the lines compared
    were measured close in time.
``flow_latency``
    ``bench.latency``: a server and a receiver on 127.0.0.1, an action map running a flow on
    every page view; page views paced at ``--latency-rate`` for ``--latency-seconds``; p50 and
    p99 of the time from an event's acceptance to its flow's delivery. One run.
``feed_latency``
    ``bench.feed``: a server with ``--feed-clients`` open live feed clients; conversation events
    paced at ``--feed-rate`` for ``--feed-seconds``; p50 and p99 of the time from an event's
    acknowledgement to its message at each client. One run.
``journey_page``
    ``bench.journey``: a server given one caller with ``--journey-sessions`` wrapped-up
    conversations; an admin signs in to the desktop and ``GET /desktop/people/{id}`` is asked
    ``--journey-requests`` times; p50 and p99 of the server time its ``Server-Timing`` header
    gives, next to the raw SQLite read of those session rows. One run.

``scale_<N>n_<M>w``
    ``bench.scaleout``: ``--nodes`` API processes and M workers on one fresh schema and stream;
    batches of 100 spread over the nodes; events applied (visible in the store) per second.
``journey_million``
    ``bench.million``: one contact's 25 sessions read through the API and the desktop page at
    ``--million-sessions`` /100, /10 and all stored sessions; p50, p99, the server's memory.

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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from journeyline.bench import feed as feeds
from journeyline.bench import journey, latency, million, rules, scaleout, stores
from journeyline.bench.errors import BenchError
from journeyline.bench.feed import feed_run
from journeyline.bench.http import HTTP_BATCH, SEGMENT_BATCH, http_run, live_server, web_http_run
from journeyline.bench.latency import latency_run
from journeyline.bench.options import check_counts, check_definitions, check_store
from journeyline.bench.report import render
from journeyline.bench.rules import Prepared, prepare, related_definitions, unrelated_definitions
from journeyline.bench.runs import (
    Run,
    ceiling_run,
    engine_run,
    event_log_ddl,
    warm_up,
    web_engine_run,
)
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
    "latency_run",
    "live_server",
    "machine",
    "make_web_hits",
    "make_workload",
    "measure",
    "prepare",
    "related_definitions",
    "render",
    "run_bench",
    "segment_message",
    "unrelated_definitions",
    "web_engine_run",
    "web_http_run",
]


ENGINE_GOAL = 10_000.0  # events/s
ENGINE_GOAL_SHARE = 25.0  # % of the ceiling
HTTP_BATCH_GOAL = 5_000.0  # events/s
PG_BATCH_GOAL_SHARE = 25.0  # % of PostgreSQL's ceiling, for the HTTP batches
MINIMAL_GOAL_SHARE = 25.0  # % of the minimal endpoint, for the HTTP single events
WEB_GOAL = 10_000.0  # events/s
WEB_GOAL_SHARE = 25.0  # % of the ceiling
DEFINITIONS_GOAL_SHARE = 80.0  # % of the same engine's rate without definitions


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


Job = tuple[Figure, Callable[[Path], Run]]


def _measure(runs: int, root: Path, quiet: bool, jobs: Sequence[Job]) -> None:
    """Run ``once`` of each job ``runs`` times, interleaved: run 1 of each, then run 2..."""
    for number in range(1, runs + 1):
        for figure, once in jobs:
            workdir = root / f"{figure.name}-{number}"
            workdir.mkdir()
            try:
                run = once(workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            figure.runs.append(run)
            _progress(quiet, f"  {figure.name} run {number}/{runs}: {run.rate:,.0f} events/s")


def _engine_defs(
    main: Workload, start: Path, counts: tuple[int, int], timeout: float, workdir: Path
) -> Run:
    path = workdir / "engine.db"
    run = engine_run(f"{stores.SQLITE}{path}", main, timeout, start=start)
    return rules.decided(path, run, *counts)


def _web_defs(
    events: int, start: Path, counts: tuple[int, int], timeout: float, workdir: Path
) -> Run:
    path = workdir / "web.db"
    return rules.decided(path, web_engine_run(path, events, timeout, start=start), *counts)


def _definition_jobs(
    args: argparse.Namespace, main: Workload, prepared: Prepared, timeout: float
) -> tuple[list[Job], list[Job]]:
    """The engine and web engine figures on the stores given definitions first (bench.rules)."""
    lines = [
        (f"defs_{count}", f"{count:,} unrelated definitions", (count, 0), path, path)
        for count, path in sorted(prepared.unrelated.items())
    ]
    if prepared.related:
        most, related = max(prepared.unrelated, default=0), args.related
        label = f"{most:,} unrelated + {related} related"
        stores = prepared.related["conversation"], prepared.related["web"]
        lines.append((f"defs_{most}_related", label, (most, related), *stores))
    conversation: list[Job] = []
    web: list[Job] = []
    for suffix, label, counts, conversation_store, web_store in lines:
        conversation_once = partial(_engine_defs, main, conversation_store, counts, timeout)
        conversation.append(
            (Figure(f"engine_{suffix}", f"engine + store, {label}"), conversation_once)
        )
        web_once = partial(_web_defs, args.web_events, web_store, counts, timeout)
        web.append((Figure(f"web_engine_{suffix}", f"web engine + store, {label}"), web_once))
    return conversation, web


def _judge_definitions(base: Figure, figures: Sequence[Figure]) -> None:
    """The goal, on the line with the most unrelated definitions: >= 80% of ``base``."""
    unrelated = [f for f in figures if not f.name.endswith("_related")]
    if unrelated and base.rate:
        top = unrelated[-1]
        top.goal = f">= {DEFINITIONS_GOAL_SHARE:.0f}% of 0 definitions"
        top.passed = 100.0 * top.rate / base.rate >= DEFINITIONS_GOAL_SHARE


def measure(args: argparse.Namespace) -> dict[str, Any]:
    events: int = args.events
    runs: int = args.runs
    if runs < 1 or runs > 25:
        raise BenchError("--runs must be between 1 and 25")
    check_counts(args)
    check_definitions(args)
    if not 0 < args.timeout <= 3600:
        raise BenchError("--timeout must be more than 0 and at most 3600 seconds")
    if args.concurrency < 1 or args.concurrency > 256:
        raise BenchError("--concurrency must be between 1 and 256")
    backend, worker_counts = check_store(args)
    on_pg = backend.postgres
    single_count = max(1, min(events, args.single_events))
    quiet: bool = args.json
    _progress(quiet, f"preparing {events + single_count:,} unique events...")
    workload = make_workload(events + single_count)
    main = Workload(workload.wire[:events], workload.items[:events], workload.rows[:events])
    single = workload.wire[events:]

    conns = args.concurrency
    raw = "raw PostgreSQL insert" if on_pg else "raw SQLite insert"
    ceiling = Figure("ceiling", f"ceiling: {raw}, event_log rows")
    minimal = Figure("http_minimal", f"HTTP ceiling: minimal Starlette POST, {conns} conns")
    scaled = [
        Figure(
            f"scale_{args.nodes}n_{count}w",
            f"scale-out: {args.nodes} API nodes, {count} worker{'s' if count > 1 else ''},"
            f" batches of {HTTP_BATCH}",
        )
        for count in worker_counts
    ]
    reads = Figure(
        "journey_million", f"one contact's journey, {args.million_sessions:,} sessions stored"
    )
    engine = Figure("engine", "engine + store: parse_item + Engine.apply")
    http_single = Figure("http_single", f"HTTP single event/request, {conns} conns")
    http_batch = Figure("http_batch", f"HTTP batches of {HTTP_BATCH}, {conns} conns")
    web_engine = Figure("web_engine", "web engine + store: parse_web + Engine.apply")
    web_single = Figure("web_http_single", f"web HTTP single event/request, {conns} conns")
    web_batch = Figure(
        "web_http_batch", f"web HTTP Segment /v1/batch of {SEGMENT_BATCH}, {conns} conns"
    )
    rate: int = args.latency_rate
    every: int = args.latency_fire_every
    firing = "each firing a flow" if every == 1 else f"1 in {every:,} firing a flow"
    flow = Figure("flow_latency", f"flow latency, page views paced at {rate:,}/s, {firing}")
    feed_rate: int = args.feed_rate
    feed_clients: int = args.feed_clients
    feed = Figure("feed_latency", f"feed latency, {feed_rate:,} events/s, {feed_clients:,} clients")
    journey_sessions: int = args.journey_sessions
    page = Figure("journey_page", f"desktop journey page, {journey_sessions} sessions")

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="journeyline-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        timeout: float = args.timeout
        ddl = event_log_ddl()
        counts = [] if on_pg else sorted({args.definitions // 10, args.definitions} - {0})
        related: int = 0 if on_pg else args.related
        began = time.perf_counter()
        named = " and ".join(f"{n:,}" for n in counts) or "no"
        _progress(quiet, f"defining {named} unrelated definitions (+ {related} related)...")
        prepared = prepare(root, counts, related)
        took = time.perf_counter() - began
        _progress(quiet, f"  through Engine.apply (PutDefinition) in {took:.1f} s")
        conversation_jobs, web_jobs = _definition_jobs(args, main, prepared, timeout)

        def ceiling_once(workdir: Path) -> Run:
            if not on_pg:
                return ceiling_run(workdir / "ceiling.db", main, ddl, timeout)
            with backend.fresh(workdir, "ceiling") as url:
                seconds, rates = stores.ceiling_run(url, main, timeout)
            return Run(len(main.rows), seconds, {"stored_events": len(main.rows), **rates})

        def engine_once(workdir: Path) -> Run:
            with backend.fresh(workdir, "engine") as url:
                return engine_run(url, main, timeout)

        _measure(runs, root, quiet, [(ceiling, ceiling_once)])
        _progress(quiet, "warming up the engine paths (untimed)...")
        warm_up(root, main, args.web_events, timeout)
        _measure(runs, root, quiet, [(engine, engine_once), *conversation_jobs])

        def http_once(workdir: Path) -> Run:
            with backend.fresh(workdir, "http") as url:
                one, many, least = http_run(
                    workdir, single, main.wire, concurrency=conns, timeout=timeout, url=url
                )
            http_single.runs.append(one)
            minimal.runs.append(least)
            _progress(quiet, f"  http_single run {len(http_single.runs)}: {one.rate:,.0f} events/s")
            _progress(
                quiet, f"  http_minimal run {len(minimal.runs)}: {least.rate:,.0f} requests/s"
            )
            return many

        _measure(runs, root, quiet, [(http_batch, http_once)])

        def web_engine_once(workdir: Path) -> Run:
            return web_engine_run(workdir / "web.db", args.web_events, timeout)

        if not on_pg:
            _measure(runs, root, quiet, [(web_engine, web_engine_once), *web_jobs])

        for number in range(1, 0 if on_pg else runs + 1):
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

        if args.latency_seconds and not on_pg:

            def latency_once(workdir: Path) -> Run:
                seconds, every = args.latency_seconds, args.latency_fire_every
                return latency_run(
                    workdir, rate=rate, seconds=seconds, timeout=timeout, fire_every=every
                )

            _measure(1, root, quiet, [(flow, latency_once)])

        if args.feed_seconds:

            def feed_once(workdir: Path) -> Run:
                with backend.fresh(workdir, "feed") as url:
                    return feed_run(
                        workdir,
                        rate=feed_rate,
                        seconds=args.feed_seconds,
                        clients=feed_clients,
                        timeout=timeout,
                        url=url,
                    )

            _measure(1, root, quiet, [(feed, feed_once)])

        for figure, workers in zip(scaled, worker_counts, strict=True):
            scale_once = partial(
                scaleout.scale_run,
                backend=backend,
                wire=main.wire,
                nodes=args.nodes,
                workers=workers,
                concurrency=conns,
                timeout=timeout,
            )
            _measure(runs, root, quiet, [(figure, scale_once)])

        if args.million_sessions:
            million_once = partial(
                million.million_run,
                backend=backend,
                sessions=args.million_sessions,
                requests=args.million_requests,
                timeout=timeout,
            )
            _measure(1, root, quiet, [(reads, million_once)])

        if args.journey_requests and not on_pg:

            def journey_once(workdir: Path) -> Run:
                return journey.journey_run(
                    workdir,
                    sessions=journey_sessions,
                    requests=args.journey_requests,
                    timeout=timeout,
                )

            _measure(1, root, quiet, [(page, journey_once)])

    share = 100.0 * engine.rate / ceiling.rate if ceiling.rate else 0.0
    engine.goal = f">= {ENGINE_GOAL:,.0f}/s and >= {ENGINE_GOAL_SHARE:.0f}% of ceiling"
    engine.passed = engine.rate >= ENGINE_GOAL and share >= ENGINE_GOAL_SHARE
    if on_pg:
        http_batch.goal = f">= {PG_BATCH_GOAL_SHARE:.0f}% of ceiling"
        batch_share = 100.0 * http_batch.rate / ceiling.rate if ceiling.rate else 0.0
        http_batch.passed = batch_share >= PG_BATCH_GOAL_SHARE
    else:
        http_batch.goal = f">= {HTTP_BATCH_GOAL:,.0f}/s"
        http_batch.passed = http_batch.rate >= HTTP_BATCH_GOAL
    http_single.goal = f">= {MINIMAL_GOAL_SHARE:.0f}% of minimal endpoint"
    # each run's single rate over the minimal endpoint's of the same run (measured just after
    # it), the median of those: the fairest pairing on a machine whose load changes
    single_share = statistics.median(
        100.0 * one.rate / least.rate if least.rate else 0.0
        for one, least in zip(http_single.runs, minimal.runs, strict=True)
    )
    http_single.passed = single_share >= MINIMAL_GOAL_SHARE
    web_share = 100.0 * web_engine.rate / ceiling.rate if ceiling.rate else 0.0
    web_engine.goal = f">= {WEB_GOAL:,.0f}/s and >= {WEB_GOAL_SHARE:.0f}% of ceiling"
    web_engine.passed = web_engine.rate >= WEB_GOAL and web_share >= WEB_GOAL_SHARE
    conversation_defs = [figure for figure, _ in conversation_jobs]
    web_defs = [figure for figure, _ in web_jobs]
    _judge_definitions(engine, conversation_defs)
    _judge_definitions(web_engine, web_defs)
    if flow.runs:
        flow.goal = f"p99 < {latency.GOAL_P99_MS:.0f} ms, all delivered"
        flow.passed = latency.passed(flow.runs[0])
    if feed.runs:
        feed.goal = f"p99 < {feeds.GOAL_P99_MS:.0f} ms, all received"
        feed.passed = latency.passed(feed.runs[0], feeds.GOAL_P99_MS)
    if reads.runs:
        reads.goal = f"p99 < {million.GOAL_MS:.0f} ms, memory flat"
        reads.passed = million.passed(reads.runs[0])

    order = [ceiling, engine, *conversation_defs, minimal, http_single]
    order += [http_batch, *scaled]
    if not on_pg:
        order += [web_engine, *web_defs, web_single, web_batch]
    order += [figure for figure in (flow, feed, reads) if figure.runs]
    if page.runs:
        page.goal = f"p99 < {journey.GOAL_MS:.0f} ms server time"
        page.passed = journey.passed(page.runs[0])
        order.append(page)
    figures: dict[str, Any] = {}
    for figure in order:
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
    for base, defs in ((engine, conversation_defs), (web_engine, web_defs)):
        for figure in defs:
            share_of_base = 100.0 * figure.rate / base.rate if base.rate else 0.0
            figures[figure.name]["pct_of_no_definitions"] = round(share_of_base, 1)
    figures["http_single"]["requests_per_s"] = figures["http_single"]["events_per_s"]
    figures["http_single"]["pct_of_minimal"] = round(single_share, 1)
    if not on_pg:
        web_single_figure = figures["web_http_single"]
        web_single_figure["requests_per_s"] = web_single_figure["events_per_s"]
        # its runs are not paired with the minimal endpoint's: the medians' ratio
        web_minimal = 100.0 * web_single.rate / minimal.rate if minimal.rate else 0.0
        web_single_figure["pct_of_minimal"] = round(web_minimal, 1)
    return {
        "machine": machine(),
        "store": backend.name,
        "store_version": backend.version(),
        "nodes": args.nodes,
        "workers": worker_counts,
        "million_sessions": args.million_sessions,
        "events": events,
        "single_events": single_count,
        "conversations": len({cid for _, cid, _ in main.rows}),
        "mean_event_bytes": round(sum(map(len, main.wire)) / len(main.wire)),
        "web_events": args.web_events,
        "web_single_events": args.web_single_events,
        "web_batch_events": args.web_batch_events,
        "web_visitors": figures["web_engine"]["visitors"] if not on_pg else 0,
        "mean_web_event_bytes": figures["web_engine"]["mean_request_bytes"] if not on_pg else 0,
        "runs": runs,
        "concurrency": conns,
        "definitions": counts,
        "related_definitions": related,
        "definitions_seconds": round(took, 1),
        "latency_rate": rate,
        "latency_seconds": args.latency_seconds,
        "latency_fire_every": every,
        "feed_rate": feed_rate,
        "feed_seconds": args.feed_seconds,
        "feed_clients": feed_clients,
        "journey_sessions": journey_sessions,
        "journey_requests": args.journey_requests,
        "figures": figures,
    }


def run_bench(args: argparse.Namespace) -> int:
    """``journeyline bench``: measure, then print the table (or JSON with ``--json``).

    ``args`` as the ``bench`` command's parser makes them (every option has its default there).
    """
    report = measure(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
