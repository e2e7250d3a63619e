"""``journeyline bench``'s options (docs/benchmarks.md): the parser only, so that every other
command starts without importing the bench."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """The ``bench`` subcommand on the subparsers ``commands``, with its options."""
    bench: argparse.ArgumentParser = commands.add_parser(
        "bench",
        help="measure ingest throughput next to the raw SQLite ceiling, with definitions,"
        " and the flow and live feed latencies",
    )
    bench.add_argument("--events", type=int, default=50_000, help="events per run")
    bench.add_argument("--dir", default=None, help="where to put the bench databases")
    bench.add_argument("--runs", type=int, default=3, help="runs per figure; median (default 3)")
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.add_argument(
        "--concurrency", type=int, default=16, help="HTTP connections in parallel (default 16)"
    )
    bench.add_argument(
        "--single-events",
        type=int,
        default=5000,
        help="events for the one-event-per-request HTTP figure, at most --events (default 5000)",
    )
    bench.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds allowed per measured run (default 120)",
    )
    bench.add_argument(
        "--web-events",
        type=int,
        default=20_000,
        help="web events per run for the web engine figure (default 20000)",
    )
    bench.add_argument(
        "--web-single-events",
        type=int,
        default=3000,
        help="web events for the one-event-per-request web HTTP figure (default 3000)",
    )
    bench.add_argument(
        "--web-batch-events",
        type=int,
        default=20_000,
        help="web events per run sent as Segment /v1/batch arrays of 100 (default 20000)",
    )
    bench.add_argument(
        "--definitions",
        type=int,
        default=1000,
        help="the engine lines again with this many unrelated definitions and a tenth of it"
        " (0: not; default 1000)",
    )
    bench.add_argument(
        "--related",
        type=int,
        default=10,
        help="definitions about the events, added to the most unrelated ones (0: no such"
        " line; default 10)",
    )
    bench.add_argument(
        "--latency-rate",
        type=int,
        default=1000,
        help="page views per second paced at a server whose flow they fire (default 1000)",
    )
    bench.add_argument(
        "--latency-seconds",
        type=int,
        default=10,
        help="seconds of paced page views for the flow latency (0: not measured; default 10)",
    )
    bench.add_argument(
        "--latency-fire-every",
        type=int,
        default=1,
        help="one page view in this many fires the flow, the others are load (default 1: all)",
    )
    bench.add_argument(
        "--feed-clients",
        type=int,
        default=100,
        help="live feed clients (GET /desktop/feed) open for the feed latency (default 100)",
    )
    bench.add_argument(
        "--feed-rate",
        type=int,
        default=1000,
        help="conversation events per second paced at the server for the feed latency"
        " (default 1000)",
    )
    bench.add_argument(
        "--feed-seconds",
        type=int,
        default=10,
        help="seconds of paced events for the feed latency (0: not measured; default 10)",
    )
    bench.add_argument(
        "--journey-sessions",
        type=int,
        default=200,
        help="sessions of the person whose desktop journey page is timed (1-200; default 200)",
    )
    bench.add_argument(
        "--journey-requests",
        type=int,
        default=200,
        help="GETs of that journey page timed (0: not measured; default 200)",
    )
    bench.add_argument(
        "--store",
        default=None,
        help="sqlite (default: a fresh file per run) or postgresql://user@host/database (a"
        " fresh schema per run, dropped afterwards)",
    )
    bench.add_argument(
        "--nodes",
        type=int,
        default=0,
        help="scale-out figures: this many 'serve --role api' processes (needs a PostgreSQL"
        " --store and NATS: $JOURNEYLINE_NATS, default nats://127.0.0.1:4222; 0: not measured, the"
        " default)",
    )
    bench.add_argument(
        "--workers",
        default=None,
        help="worker counts of the scale-out figures, comma-separated (default 1,2,4)",
    )
    bench.add_argument(
        "--million-sessions",
        type=int,
        default=1_000_000,
        help="sessions stored for the one-contact journey read (0: not measured; default 1000000)",
    )
    bench.add_argument(
        "--million-requests",
        type=int,
        default=200,
        help="GETs of each journey read timed at each store size (default 200)",
    )
    return bench
