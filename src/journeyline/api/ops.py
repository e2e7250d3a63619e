"""Operating the server: ``GET /ready`` (readiness) and ``GET /metrics`` (Prometheus).
``GET /health`` (liveness: the process answers) is ``app.health``.

``/ready`` runs the named checks of ``Services.checks`` together, each an async callable that
returns when its dependency answers and raises otherwise, each within :data:`CHECK_TIMEOUT`
seconds: 200 ``{"status": "ready", "checks": {name: "ok", ...}}`` when all pass, else 503 with
``"status": "unavailable"`` and ``"failed"`` for those that did not (why is logged, not shown:
the route needs no token). Another dependency, such as the NATS connection of scale-out mode,
is one more entry in :func:`readiness_checks`.

``/metrics`` is the app's :class:`~journeyline.api.metrics.Metrics` in the Prometheus text
format (OpenMetrics when the scraper asks for it). It is open when ``JOURNEYLINE_METRICS_TOKEN``
is unset; otherwise it takes ``Authorization: Bearer <that token>`` and nothing else (401).
"""

from __future__ import annotations

import asyncio
import hmac
import logging

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.contract import Content, Operation, declare
from journeyline.api.errors import json_response
from journeyline.api.reader import Read
from journeyline.api.services import Check, services
from journeyline.api.shapes_entities import Readiness
from journeyline.engine.writer import Writer
from journeyline.model.errors import Unauthorized

log = logging.getLogger("journeyline.ops")

CHECK_TIMEOUT = 2.0


def readiness_checks(read: Read, writer: Writer) -> dict[str, Check]:
    """What ``/ready`` checks: the store answers a trivial read on a connection of the reads'
    pool, and the single writer's thread runs."""

    async def store_answers() -> None:
        await read(lambda store: store.partition_positions())  # a few rows, from the store

    async def writer_runs() -> None:
        if not writer.alive:
            raise RuntimeError("the writer's thread has stopped")

    return {"store": store_answers, "writer": writer_runs}


async def _outcome(name: str, check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as exc:  # whatever the dependency raised: not ready
        log.warning("readiness check %s failed: %r", name, exc)
        return "failed"
    return "ok"


@declare(
    Operation(
        "GET",
        "Whether the server can serve: its store answers and its writer runs",
        {200: Readiness, 503: Readiness},
        auth="none",
        extension=True,
    )
)
async def ready(request: Request) -> Response:
    checks = services(request).checks
    outcomes = await asyncio.gather(*(_outcome(name, c) for name, c in checks.items()))
    results = dict(zip(checks, outcomes, strict=True))
    if all(outcome == "ok" for outcome in outcomes):
        return json_response({"status": "ready", "checks": results})
    return json_response({"status": "unavailable", "checks": results}, 503)


@declare(
    Operation(
        "GET",
        "Prometheus metrics (a bearer token only when JOURNEYLINE_METRICS_TOKEN is set)",
        {200: Content("text/plain")},
        auth="none",
        extension=True,
    )
)
async def metrics(request: Request) -> Response:
    svc = services(request)
    token = svc.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("the metrics need Authorization: Bearer <JOURNEYLINE_METRICS_TOKEN>")
    # off the loop: the scrape reads the outbox's gauges from the store
    body, content_type = await anyio.to_thread.run_sync(
        svc.metrics.exposition, request.headers.get("accept")
    )
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


OPS_ROUTES = [Route("/ready", ready), Route("/metrics", metrics)]
