"""The ``bench`` command's options checked before anything is measured (a clear error, not a
failure half-way)."""

from __future__ import annotations

import argparse

from journeyline.bench import latency, million, scaleout, stores
from journeyline.bench.errors import BenchError
from journeyline.bench.feed import MAX_CLIENTS, MAX_RATE

MAX_EVENTS = 5_000_000
MAX_DEFINITIONS = 100_000
MAX_RELATED = 1_000


def _check_count(value: int, option: str) -> None:
    if not 1 <= value <= MAX_EVENTS:
        raise BenchError(f"{option} must be between 1 and {MAX_EVENTS:,}")


def check_counts(args: argparse.Namespace) -> None:
    _check_count(args.events, "--events")
    _check_count(args.web_events, "--web-events")
    _check_count(args.web_single_events, "--web-single-events")
    _check_count(args.web_batch_events, "--web-batch-events")


def check_definitions(args: argparse.Namespace) -> None:
    if not 0 <= args.definitions <= MAX_DEFINITIONS:
        raise BenchError(f"--definitions must be between 0 and {MAX_DEFINITIONS:,}")
    if not 0 <= args.related <= MAX_RELATED:
        raise BenchError(f"--related must be between 0 and {MAX_RELATED:,}")
    if not 0 <= args.latency_seconds <= 600:
        raise BenchError("--latency-seconds must be between 0 (no latency figure) and 600")
    top = latency.MAX_BATCH / latency.TICK
    if not 10 <= args.latency_rate <= top:
        raise BenchError(f"--latency-rate must be between 10 and {top:,.0f}")
    if not 1 <= args.latency_fire_every <= 1000:
        raise BenchError("--latency-fire-every must be between 1 and 1000")
    if not 0 <= args.feed_seconds <= 600:
        raise BenchError("--feed-seconds must be between 0 (no feed latency figure) and 600")
    if not 10 <= args.feed_rate <= MAX_RATE:
        raise BenchError(f"--feed-rate must be between 10 and {MAX_RATE:,}")
    if not 1 <= args.feed_clients <= MAX_CLIENTS:
        raise BenchError(f"--feed-clients must be between 1 and {MAX_CLIENTS:,}")


def check_store(args: argparse.Namespace) -> tuple[stores.Backend, list[int]]:
    """The backend of ``--store`` (reachable), and the worker counts of the scale-out lines
    (none without ``--nodes``)."""
    if not 0 <= args.nodes <= scaleout.MAX_NODES:
        raise BenchError(f"--nodes must be between 0 and {scaleout.MAX_NODES}")
    sessions: int = args.million_sessions
    if sessions and not million.TARGET <= sessions <= million.MAX_SESSIONS:
        raise BenchError(
            f"--million-sessions must be 0 or between {million.TARGET} and {million.MAX_SESSIONS:,}"
        )
    backend = stores.Backend.parse(args.store)
    if args.nodes and not backend.postgres:
        raise BenchError("--nodes needs --store postgresql://... (scale-out shares one store)")
    return backend, scaleout.parse_workers(args.workers) if args.nodes else []
