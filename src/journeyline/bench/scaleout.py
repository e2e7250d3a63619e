"""The scale-out figures: ``--nodes`` API processes and M workers on one PostgreSQL store and one
NATS JetStream stream (``journeyline.scale``), for each M of ``--workers``.

Each run makes a fresh schema (``bench.stores``) and a fresh stream name
(``bench<pid>x<random>``, deleted from the NATS server afterwards), starts ``journeyline serve
--role api`` N times on free 127.0.0.1 ports and ``journeyline serve --role worker`` M times,
and waits until the workers hold every partition between them at their fair share (their
advisory locks in ``pg_locks``), so that no run times the workers' start. Then the conversation
workload's events in arrays of 100 over ``--concurrency`` keep-alive connections, spread over
the API nodes (connection k to node k mod N). Each answer must be a 202 accepting the whole
batch (an API node answers once JetStream stored it). The clock runs from the first send until
the store's log holds every acknowledged event (polled every 20 ms, a count of the log's
conversation events): the figure is **events applied per second**. Beside it, the rate the
API nodes acknowledged at (the same events over the time to the last answer).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import msgspec
import nats

from journeyline.bench import stores
from journeyline.bench.errors import BenchError
from journeyline.bench.http import (
    HTTP_BATCH,
    PATH,
    admin_client,
    admin_token,
    free_port,
    http_request,
    read_response,
    serve_command,
    serving,
)
from journeyline.bench.runs import Run
from journeyline.ingest import genesys_detail
from journeyline.model.effects import PARTITIONS
from journeyline.scale.ownership import lock_namespace
from journeyline.store import open_store

NATS = "nats://127.0.0.1:4222"
MAX_NODES = 16
MAX_WORKERS = 16
POLL = 0.02  # seconds between two counts of the applied events


def parse_workers(text: str | None) -> list[int]:
    """``--workers``: a comma-separated list of worker counts (default 1,2,4)."""
    try:
        counts = [int(part) for part in (text or "1,2,4").split(",")]
    except ValueError:
        raise BenchError(f"--workers takes counts separated by commas, not {text!r}") from None
    if not counts or any(not 1 <= n <= MAX_WORKERS for n in counts):
        raise BenchError(f"--workers: each count between 1 and {MAX_WORKERS}")
    return counts


class _Accepted(msgspec.Struct):
    accepted: int = 0


def _owned(url: str, stream: str) -> tuple[int, int, int]:
    """(workers present, partitions owned, the most partitions one worker owns)."""
    presence, space = lock_namespace(stream, "workers"), lock_namespace(stream, "partitions")
    with stores.connection(url) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s::oid AND objsubid = 2",
            (presence,),
        ).fetchone()
        owners = db.execute(
            "SELECT pid, count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s::oid AND objsubid = 2 GROUP BY pid",
            (space,),
        ).fetchall()
    counts = [int(n) for _, n in owners]
    return int(row[0]), sum(counts), max(counts, default=0)


def _wait_balanced(url: str, stream: str, workers: int, timeout: float) -> None:
    share = -(-PARTITIONS // workers)
    deadline = time.monotonic() + min(timeout, 60.0)
    while True:
        present, owned, most = _owned(url, stream)
        if present == workers and owned == PARTITIONS and most <= share:
            return
        if time.monotonic() > deadline:
            raise BenchError(
                f"the {workers} workers did not share the {PARTITIONS} partitions in time"
                f" ({present} present, {owned} owned, at most {most} by one)"
            )
        time.sleep(0.1)


async def _drive(
    ports: Sequence[int],
    token: str,
    batches: Sequence[tuple[bytes, int]],
    url: str,
    concurrency: int,
    timeout: float,
) -> tuple[float, float]:
    """Send the ``batches`` (body, events in it) spread over ``ports``; (seconds to the last
    answer, seconds until the log holds every event sent)."""
    bodies = [body for body, _ in batches]
    total = sum(size for _, size in batches)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests = {p: [http_request(p, PATH, b, headers) for b in bodies] for p in ports}
    position = 0

    async def sender(port: int) -> None:
        nonlocal position
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while position < len(bodies):
                index = position
                position += 1
                writer.write(requests[port][index])
                status, body = await read_response(reader)
                counts = msgspec.json.decode(body, type=_Accepted) if status == 202 else None
                if counts is None or counts.accepted != batches[index][1]:
                    raise BenchError(f"POST {PATH} (scale-out) answered {status}: {body[:300]!r}")
        finally:
            writer.close()

    query = f"SELECT count(*) FROM event_log WHERE kind = '{genesys_detail.KIND}'"

    async def timed() -> tuple[float, float]:
        start = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as group:
                for k in range(max(1, min(concurrency, len(bodies)))):
                    group.create_task(sender(ports[k % len(ports)]))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        acked = time.perf_counter() - start
        while await asyncio.to_thread(stores.count, url, query) < total:
            await asyncio.sleep(POLL)
        return acked, time.perf_counter() - start

    try:
        return await asyncio.wait_for(timed(), timeout)
    except TimeoutError:
        raise BenchError(f"the scale-out run did not finish within {timeout:.0f} s") from None


async def _delete_stream(stream: str, server: str) -> None:
    nc = await nats.connect(server, connect_timeout=5)
    try:
        await nc.jetstream().delete_stream(stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


def scale_run(
    workdir: Path,
    backend: stores.Backend,
    wire: Sequence[bytes],
    *,
    nodes: int,
    workers: int,
    concurrency: int,
    timeout: float,
    nats_url: str | None = None,
) -> Run:
    """One configuration: ``nodes`` API processes, ``workers`` workers, the events ``wire``
    (module docstring), on the NATS server ``nats_url`` (default ``$JOURNEYLINE_NATS``, else
    ``nats://127.0.0.1:4222``)."""
    nats_url = nats_url or os.environ.get("JOURNEYLINE_NATS") or NATS
    if not backend.postgres:
        raise BenchError("--nodes needs --store postgresql://... (scale-out shares one store)")
    if not 1 <= nodes <= MAX_NODES:
        raise BenchError(f"--nodes must be between 1 and {MAX_NODES}")
    batches = [
        (
            b"[" + b",".join(wire[offset : offset + HTTP_BATCH]) + b"]",
            len(wire[offset:][:HTTP_BATCH]),
        )
        for offset in range(0, len(wire), HTTP_BATCH)
    ]
    stream = f"bench{os.getpid()}x{uuid.uuid4().hex[:8]}"
    options = ("--nats", nats_url, "--nats-stream", stream)
    with backend.fresh(workdir, "scale") as url, ExitStack() as stack:
        open_store(url).close()  # migrated before the processes start
        credentials = admin_client(url)
        stack.callback(lambda: asyncio.run(_delete_stream(stream, nats_url)))
        ports = [free_port() for _ in range(nodes)]
        for n, port in enumerate(ports):
            command = serve_command(url, port, "--role", "api", *options)
            stack.enter_context(serving(command, workdir / f"api{n}.log", timeout, port=port))
        for n in range(workers):
            command = serve_command(url, None, "--role", "worker", *options)
            stack.enter_context(serving(command, workdir / f"worker{n}.log", timeout))
        _wait_balanced(url, stream, workers, timeout)
        token = admin_token(ports[0], credentials)
        acked, applied = asyncio.run(_drive(ports, token, batches, url, concurrency, timeout))
    details = {
        "nodes": nodes,
        "workers": workers,
        "requests": len(batches),
        "acknowledged_per_s": round(len(wire) / acked, 1) if acked else 0.0,
        "acknowledged_seconds": round(acked, 3),
        "applied_seconds": round(applied, 3),
    }
    return Run(len(wire), applied, details)
