"""The flow latency figure: from an event's acceptance to its flow's delivery at a receiver.

``journeyline serve`` runs as for the HTTP figures (a subprocess on a fresh store, an admin
token), with ``JOURNEYLINE_FLOWS_ALLOW_PRIVATE=true`` so that it may deliver to 127.0.0.1. In
the bench process, on one event loop: a minimal asyncio HTTP/1.1 receiver on 127.0.0.1
(keep-alive; it notes the time each request's body is in and answers 200 at once) and the
sender. Made through the API as an administrator would: a flow whose URL is the receiver
(``POST /api/v2/flows``), a web deployment, and one action map — every page view
(``page_viewed`` whose ``page.url`` starts with the site) runs the flow, with the flow input
``seq`` looked up from the event's attribute ``bench_seq`` (Integer) — if the page view's
``bench_fire`` attribute is ``yes``: one in ``--latency-fire-every`` (1: every event fires one
delivery, its id made from the map, the session and the event; 10: a tenth of them, the load
still every event). The receiver's copy says which event it is for.

The events: page views of the web workload's visitors (``make_web_hits``, page views only), each
a Segment ``page`` call with ``properties.bench_seq``, its number, dated when its batch is due
(as a live site's events are: no visit times out during the run). **Paced**: every 100 ms one
``POST /v1/batch`` with the events due by then (100 at 1,000 events/s), over up to 4 keep-alive
connections, so that one slow answer does not hold up the next batch (a batch goes late only
when all four are waiting). An event is **accepted** when its batch's 200 answer has been read;
its latency is the time from then until the receiver has read its flow's delivery, both read
from this process's ``perf_counter``. After the last batch the bench waits for the deliveries
still on their way, at most ``--timeout`` seconds (60 at most).

Reported: p50, p99 and the largest latency of the deliveries received (nearest-rank
percentiles); the deliveries received of those expected (one per firing event; a second try of a
delivery, by ``webhook-id``, is counted apart); how many verify under the flow's secret
(Standard Webhooks, checked after the clock stopped); the rate the events were accepted at
(events / the time from the first send to the last acceptance, counted as no less than the time
the batches were paced over, so a server that keeps up shows the rate asked for); how late the
latest batch was sent; and the server's outbox afterwards (delivered, pending, dead). The goal:
p99 < 250 ms, every delivery received, at an accepted rate of at least 95% of the one asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from journeyline.bench.errors import BenchError
from journeyline.bench.http import (
    Connection,
    connected,
    create_deployment,
    live_server,
    message_ids,
    post_json,
    read_response,
    segment_batch,
)
from journeyline.bench.runs import Run
from journeyline.bench.workload import SITE, WebHit, make_web_hits, segment_message
from journeyline.clock import system_clock

TICK = 0.1  # seconds between two batches
CONNECTIONS = 4  # keep-alive connections the batches are sent over
MAX_BATCH = 400  # messages in one /v1/batch (~1 KB each: its body must stay under 500 KiB)
GOAL_P99_MS = 250.0
GOAL_RATE_SHARE = 0.95  # of the rate asked: below it the server did not keep up
MAX_DRAIN_SECONDS = 60.0
SETTINGS = {"JOURNEYLINE_FLOWS_ALLOW_PRIVATE": "true"}  # the receiver is on 127.0.0.1
SEQ = "bench_seq"  # the page views' property (an event attribute) naming each event
FIRE = "bench_fire"  # the property saying whether the page view fires the flow (yes / no)


def action_map(flow_id: str) -> dict[str, Any]:
    """Every page view of the site marked to fire (``bench_fire``: yes) runs the flow, its
    number as the flow input ``seq``."""
    on_page = {"streamType": "Web", "sessionType": "web", "eventName": "page_viewed"}
    return {
        "displayName": "Bench: page views run the receiver's flow",
        "triggerWithEventConditions": [
            {"key": "page.url", "values": [SITE], "operator": "startsWith", **on_page},
            {"key": f"attributes.{FIRE}", "values": ["yes"], "operator": "equal", **on_page},
        ],
        "activation": {"type": "immediate"},
        "action": {
            "mediaType": "architectFlow",
            "architectFlowFields": {
                "architectFlow": {"id": flow_id},
                "flowRequestMappings": [
                    {
                        "name": "seq",
                        "attributeType": "Integer",
                        "mappingType": "Lookup",
                        "value": f"attributes.{SEQ}",
                    },
                    {
                        "name": "page",
                        "attributeType": "String",
                        "mappingType": "Lookup",
                        "value": "page.url",
                    },
                ],
            },
        },
    }


@dataclass(frozen=True, slots=True)
class _Got:
    at: float  # perf_counter when the body was in
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class _Receiver:
    """Keeps the first copy of each delivery (by ``webhook-id``) and counts the others."""

    first: dict[str, _Got] = field(default_factory=dict)
    repeats: int = 0
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                headers: dict[str, str] = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, colon, value = line.partition(":")
                    if colon:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                got = _Got(time.perf_counter(), headers, body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                delivery_id = headers.get("webhook-id", "")
                if delivery_id in self.first:
                    self.repeats += 1
                else:
                    self.first[delivery_id] = got
        except (asyncio.IncompleteReadError, OSError):
            return
        finally:
            self.writers.discard(writer)
            writer.close()


def _page_views(count: int, now_ms: int) -> list[WebHit]:
    """The first ``count`` page views of the web workload's visitors (seed 4)."""
    made = 2 * count + 10
    while True:
        pages = [hit for hit in make_web_hits(made, now_ms, seed=4) if hit.action == "page"]
        if len(pages) >= count:
            return pages[:count]
        made *= 2


def batch_ranges(events: int, rate: int) -> list[range]:
    """The events' numbers each batch carries: those due by the end of its 100 ms."""
    per = rate * TICK
    ends = [min(events, round((k + 1) * per)) for k in range(math.ceil(events / per))]
    return [range(start, end) for start, end in zip([0, *ends], ends, strict=False) if end > start]


Check = Callable[[int, bytes], None]  # (status, body): raises BenchError on a bad answer


def segment_answer(status: int, body: bytes) -> None:
    """A ``POST /v1/batch`` answer must be 200 ``{"success": true}``."""
    answer = json.loads(body) if body.startswith(b"{") else {}
    if status != 200 or answer.get("success") is not True:
        refused = [r for r in answer.get("results", []) if r.get("status") != "accepted"]
        raise BenchError(f"POST /v1/batch answered {status}: {(refused[:1] or body[:300])!r}")


async def paced(
    port: int, requests: Sequence[bytes], timeout: float, check: Check
) -> tuple[list[float], list[float]]:
    """POST request k at ``k * TICK`` s from now (later when every connection is busy) over
    up to ``CONNECTIONS`` keep-alive connections; (when each was sent, when its answer was
    read), from ``perf_counter``. ``check`` sees each answer."""
    sent = [0.0] * len(requests)
    accepted = [0.0] * len(requests)
    idle: asyncio.Queue[Connection] = asyncio.Queue()

    async def one(k: int, start: float) -> None:
        await asyncio.sleep(max(0.0, start + k * TICK - time.perf_counter()))
        reader, writer = await idle.get()
        sent[k] = time.perf_counter()
        writer.write(requests[k])
        status, body = await read_response(reader)
        accepted[k] = time.perf_counter()
        idle.put_nowait((reader, writer))
        check(status, body)

    count, limit = min(CONNECTIONS, len(requests)), len(requests) * TICK + timeout
    async with connected(port, count, limit, "sending the paced batches") as connections:
        for connection in connections:
            idle.put_nowait(connection)
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for k in range(len(requests)):
                group.create_task(one(k, start))
    return sent, accepted


def pacing(sent: Sequence[float], accepted: Sequence[float]) -> tuple[float, float]:
    """(the seconds the events were accepted over: from the first send to the last answer, at
    least the time the batches were paced over; how late the latest batch was sent, ms)."""
    span = max(max(accepted) - sent[0], len(sent) * TICK)
    late = max(s - (sent[0] + k * TICK) for k, s in enumerate(sent))
    return span, round(1000 * late, 1)


def spread(latencies: list[float]) -> dict[str, float]:
    """p50, p99 (nearest rank), the largest and the smallest of latencies in seconds, as ms."""
    ordered = sorted(latencies)
    return {
        "p50_ms": round(1000 * percentile(ordered, 0.50), 1),
        "p99_ms": round(1000 * percentile(ordered, 0.99), 1),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
        "min_ms": round(1000 * ordered[0], 1) if ordered else 0.0,
    }


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 for p50) of sorted values (0 when none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _verifies(hook: Webhook, got: _Got) -> bool:
    try:
        hook.verify(got.body, got.headers)
    except WebhookVerificationError:
        return False
    return True


async def _measure(
    port: int, token: str, rate: int, seconds: float, timeout: float, fire_every: int
) -> Run:
    receiver = _Receiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/journeyline"
        flow = await asyncio.to_thread(
            post_json, port, token, "/api/v2/flows", {"name": "bench receiver", "url": url}
        )
        _, write_key = await asyncio.to_thread(create_deployment, port, token)
        await asyncio.to_thread(
            post_json, port, token, "/api/v2/journey/actionmaps", action_map(flow["id"])
        )
        events = max(1, round(rate * seconds))
        now = system_clock()
        ids = message_ids(4)
        messages = []
        batches = batch_ranges(events, rate)
        batch_of = [k for k, b in enumerate(batches) for _ in b]
        for seq, hit in enumerate(_page_views(events, now)):
            due = now + round(1000 * TICK * batch_of[seq])  # happening live: as it is sent
            message = segment_message(replace(hit, created_ms=due), next(ids))
            fires = "yes" if seq % fire_every == 0 else "no"
            message["properties"] = {**message["properties"], SEQ: seq, FIRE: fires}
            messages.append(message)
        firing = len(range(0, events, fire_every))
        requests = [segment_batch(port, write_key, [messages[n] for n in b], now) for b in batches]

        sent, accepted = await paced(port, requests, timeout, segment_answer)
        drain = time.perf_counter() + min(timeout, MAX_DRAIN_SECONDS)
        while len(receiver.first) < firing and time.perf_counter() < drain:
            await asyncio.sleep(0.01)
        got = dict(receiver.first)
        repeats = receiver.repeats
    finally:
        server.close()
        for writer in list(receiver.writers):
            writer.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)

    latencies: list[float] = []
    for delivery in got.values():
        seq = json.loads(delivery.body).get("inputs", {}).get("seq")
        if not isinstance(seq, int) or not 0 <= seq < events or seq % fire_every:
            raise BenchError(f"a delivery for no event the bench sent: {delivery.body[:300]!r}")
        latencies.append(delivery.at - accepted[batch_of[seq]])
    hook = Webhook(flow["secret"])
    span, late_ms = pacing(sent, accepted)
    details = {
        "rate_asked": rate,
        "fire_every": fire_every,
        "batches": len(requests),
        "expected": firing,
        "received": len(got),
        "repeats": repeats,
        "verified": sum(_verifies(hook, delivery) for delivery in got.values()),
        **spread(latencies),
        "late_ms": late_ms,
    }
    return Run(events, span, details)


def _outbox(path: Path) -> dict[str, int]:
    """The server store's outbox by state, after the run."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
    finally:
        db.close()
    found = {str(state): int(count) for state, count in rows}
    return {f"outbox_{state}": found.get(state, 0) for state in ("delivered", "pending", "dead")}


def latency_run(
    workdir: Path, *, rate: int, seconds: float, timeout: float, fire_every: int = 1
) -> Run:
    """One server, one receiver, ``rate * seconds`` page views, paced (module docstring);
    one in ``fire_every`` of them fires the flow."""
    if not 10 <= rate <= MAX_BATCH / TICK:
        raise BenchError(f"--latency-rate must be between 10 and {MAX_BATCH / TICK:,.0f}")
    if not 0 < seconds <= 600:
        raise BenchError("--latency-seconds must be more than 0 and at most 600")
    if not 1 <= fire_every <= 1000:
        raise BenchError("--latency-fire-every must be 1 to 1000")
    with live_server(workdir, timeout, SETTINGS) as (port, token):
        run = asyncio.run(_measure(port, token, rate, seconds, timeout, fire_every))
    return Run(run.events, run.seconds, {**run.details, **_outbox(workdir / "http.db")})


def passed(run: Run, goal_ms: float = GOAL_P99_MS) -> bool:
    """The goal: p99 under ``goal_ms`` (250 ms), everything expected received (the flows'
    deliveries, the feed's messages), the rate asked (95%) kept up."""
    d = run.details
    return (
        d["received"] == d["expected"]
        and d["p99_ms"] < goal_ms
        and run.rate >= GOAL_RATE_SHARE * d["rate_asked"]
    )
