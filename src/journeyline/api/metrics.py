"""Prometheus metrics, in a registry of the app's own (``create_app`` makes one :class:`Metrics`;
never the process-wide default registry, so that apps in one process, as in the tests, count
apart). ``GET /metrics`` shows them (``api.ops``).

    journeyline_events_total{source, outcome}   events in: by intake, and what became of each
    journeyline_identify_refused_total{source, reason}
                                                events whose traits claim nothing: their
                                                deployment requires them signed (unsigned,
                                                badSignature, noSecret; ``core.signing``)
    journeyline_apply_seconds                   the writer's group commits (histogram)
    journeyline_http_request_seconds{method, route, status}
                                                requests (histogram; ``_count`` counts them)
    journeyline_partition_lag{subscriber, partition}
                                                committed effects a post-commit subscriber
                                                has not taken yet
    journeyline_outbox_depth                    flow deliveries pending
    journeyline_dead_letters                    flow deliveries given up on

The last three are read at each scrape (:class:`StateCollector`): the lag from the dispatcher,
the outbox through a store of the reads' pool. Every label value comes from a closed set: the
intakes, the outcomes, route templates (never a request's own path), HTTP methods, the
subscribers' names and partition numbers. No identifier or personal data reaches a label.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.routing import Route

from journeyline.core.signing import REASONS
from journeyline.engine.effects import Dispatcher
from journeyline.model.errors import StoreError
from journeyline.store.base import StorePool

log = logging.getLogger("journeyline.metrics")

#: The intakes: conversation detail events, web and app events, the Segment-spec collector.
SOURCES = ("conversation", "web", "app", "segment")
OUTCOMES = ("accepted", "duplicate", "rejected")
#: From a millisecond (a small group commit) to ten seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Methods counted by name; any other a client sends is ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class StateCollector:
    """Gauges read when scraped: the dispatcher's lag, and the outbox through a store of
    ``pool`` (a scrape runs off the event loop: ``api/ops.py``)."""

    def __init__(self, pool: StorePool, dispatcher: Dispatcher) -> None:
        self.pool = pool
        self.dispatcher = dispatcher

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "journeyline_partition_lag",
            "Effects committed by this server that a post-commit subscriber has not taken yet",
            labels=["subscriber", "partition"],
        )
        for subscriber, behind in sorted(self.dispatcher.lag().items()):
            for partition, count in enumerate(behind):
                lag.add_metric([subscriber, str(partition)], count)
        yield lag
        try:
            with self.pool.borrow() as store:
                counts = store.outbox_counts()
        except StoreError as exc:  # the rest of the metrics still answer
            log.warning("the outbox gauges are left out: %s", exc)
            return
        yield GaugeMetricFamily(
            "journeyline_outbox_depth", "Flow deliveries pending", value=counts["pending"]
        )
        yield GaugeMetricFamily(
            "journeyline_dead_letters", "Flow deliveries given up on", value=counts["dead"]
        )


class Metrics:
    """The app's registry and the metrics its parts update."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "journeyline_events",
            "Events in, by intake and outcome (accepted, duplicate, rejected)",
            ["source", "outcome"],
            registry=self.registry,
        )
        #: every series from the start (a rate needs its zero), each looked up once
        self._event_series = {
            (source, outcome): self.events.labels(source, outcome)
            for source in SOURCES
            for outcome in OUTCOMES
        }
        self.identify_refused = Counter(
            "journeyline_identify_refused",
            "Events accepted whose traits claim nothing: unsigned or wrongly signed traits on "
            "a deployment that requires them signed, by intake and reason",
            ["source", "reason"],
            registry=self.registry,
        )
        for source in ("web", "app", "segment"):
            for reason in REASONS:
                self.identify_refused.labels(source, reason)
        self.apply_seconds = Histogram(
            "journeyline_apply_seconds",
            "Seconds the writer took to apply and commit a group of submitted batches",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "journeyline_http_request_seconds",
            "HTTP requests by method, route template and status, and their seconds",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._state: StateCollector | None = None

    def count_events(self, source: str, outcomes: Iterable[str]) -> None:
        """Count an intake's events by outcome; anything but ``accepted`` or ``duplicate`` is
        a rejection."""
        counted: dict[str, int] = {}
        for o in outcomes:
            o = o if o in OUTCOMES else "rejected"
            counted[o] = counted.get(o, 0) + 1
        for outcome, count in counted.items():
            series = self._event_series.get((source, outcome))
            if series is None:  # a source not known up front
                series = self.events.labels(source, outcome)
            series.inc(count)

    def count_refused(self, source: str, reasons: Iterable[str | None]) -> None:
        """Count the events whose traits were refused (``WebEvent.traits_refused``)."""
        for reason, count in collections.Counter(r for r in reasons if r).items():
            self.identify_refused.labels(source, reason).inc(count)

    def watch(self, pool: StorePool, dispatcher: Dispatcher) -> None:
        """Show the gauges read at scrape time (from the app's start, :meth:`unwatch` at its
        end)."""
        self.unwatch()
        self._state = StateCollector(pool, dispatcher)
        self.registry.register(self._state)

    def unwatch(self) -> None:
        if self._state is not None:
            self.registry.unregister(self._state)
            self._state = None

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The metrics as text, and its content type: OpenMetrics when ``accept`` asks for it,
        else the Prometheus text format."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class RequestMetrics:
    """ASGI middleware: each HTTP request into ``journeyline_http_request_seconds``, labelled
    with the template of the route that took it (``unmatched`` for none)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app answers

        async def observe(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = scope.get("route")  # set by the router on the scope it was given
            template = route.path if isinstance(route, Route) else "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.http_seconds.labels(method, template, str(status)).observe(
                time.perf_counter() - started
            )
