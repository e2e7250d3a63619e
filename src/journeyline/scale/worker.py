"""``journeyline serve --role worker``: apply the stream's partitions this worker owns.

A worker needs no port. It connects to NATS and to the PostgreSQL store, and every
:data:`BALANCE_SECONDS` it takes or lets go of partitions (``ownership.py``). For each partition
it owns it reads the partition's durable pull consumer (``p<N>``) in order, applies each batch
of messages as one submission to its writer — the same engine, the same group commit, the same
post-commit subscribers as a single process — and acknowledges the messages only once their
units committed. A message whose batch failed is not acknowledged: JetStream delivers it again
(``ACK_WAIT_SECONDS`` after a crash, at once after a refusal), and because the log is idempotent
by key an input applied before the crash comes back as a duplicate, changing nothing: every
acknowledged event is applied exactly once.

One worker at a time posts the flows' outbox (``Ownership.deliverer``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets

import msgspec
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from journeyline.clock import Clock, system_clock
from journeyline.config import Settings
from journeyline.engine.delivery import DeliveryWorker
from journeyline.engine.effects import Dispatcher
from journeyline.engine.inputs import Input, decode_logged
from journeyline.engine.unit import Engine
from journeyline.engine.writer import Writer
from journeyline.model.effects import PARTITIONS
from journeyline.model.errors import JourneylineError
from journeyline.scale.ownership import Ownership
from journeyline.scale.stream import connect, ensure_stream, record_from, subject
from journeyline.store import open_store

log = logging.getLogger("journeyline.worker")

BALANCE_SECONDS = 1.0
ACK_WAIT_SECONDS = 10.0
FETCH = 500
FETCH_WAIT_SECONDS = 0.5


async def run_worker(
    settings: Settings, clock: Clock = system_clock, stop: asyncio.Event | None = None
) -> None:
    """Run until ``stop`` is set (or the process is stopped)."""
    stop = stop or asyncio.Event()
    worker_id = secrets.randbelow(2**31)
    nc = await connect(settings.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, settings.nats_stream)
    store = open_store(settings.store_url)
    engine = Engine.from_settings(store, settings, clock)
    dispatcher = Dispatcher(lambda: open_store(settings.store_url))
    writer = Writer.from_settings(engine, settings, dispatcher)
    deliveries = DeliveryWorker.from_settings(
        lambda: open_store(settings.store_url), settings, clock, record=writer.run
    )
    dispatcher.subscribe("flows", deliveries.on_commit)
    ownership = await asyncio.to_thread(
        Ownership, settings.store_url, settings.nats_stream, worker_id, PARTITIONS
    )
    readers: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
    print(f"journeyline: worker {worker_id} (pid {os.getpid()}) on {settings.nats_stream}")
    try:
        while not stop.is_set():
            taken, surplus = await asyncio.to_thread(ownership.balance)
            leaving = [readers.pop(partition) for partition in surplus]
            for _, leave in leaving:
                leave.set()
            await asyncio.gather(*(task for task, _ in leaving), return_exceptions=True)
            for partition in surplus:  # handed over once its reader has finished its batch
                await asyncio.to_thread(ownership.release, partition)
            for partition, (task, _) in list(readers.items()):
                if task.done():  # it failed (the error is logged): read the partition again
                    taken.append(partition)
                    del readers[partition]
            for partition in taken:
                leave = asyncio.Event()
                task = asyncio.create_task(
                    _read(js, settings.nats_stream, partition, writer, clock, leave)
                )
                task.add_done_callback(_log_failure)
                readers[partition] = (task, leave)
            if not ownership.delivering and await asyncio.to_thread(ownership.deliverer):
                deliveries.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BALANCE_SECONDS)
    finally:
        for _, leave in readers.values():
            leave.set()
        await asyncio.gather(*(task for task, _ in readers.values()), return_exceptions=True)
        if ownership.delivering:
            deliveries.close()
        writer.close()
        dispatcher.close()
        await asyncio.to_thread(ownership.close)
        store.close()
        await nc.close()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a partition reader failed", exc_info=task.exception())


async def _read(
    js: JetStreamContext,
    stream: str,
    partition: int,
    writer: Writer,
    clock: Clock,
    leave: asyncio.Event,
) -> None:
    """Apply one partition's messages in order until ``leave`` is set (checked between
    batches, so that a batch taken is always applied and acknowledged, or given back)."""
    config = ConsumerConfig(
        durable_name=f"p{partition}",
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ACK_WAIT_SECONDS,
        max_ack_pending=FETCH * 4,
        filter_subject=subject(stream, partition),
    )
    consumer = await js.pull_subscribe(
        subject(stream, partition), durable=f"p{partition}", stream=stream, config=config
    )
    while not leave.is_set():
        try:
            messages = await consumer.fetch(FETCH, timeout=FETCH_WAIT_SECONDS)
        except (NatsTimeout, TimeoutError):  # nothing came (nats-py raises either)
            continue
        now = clock()
        inputs: list[Input] = []
        readable = []
        for message in messages:
            try:
                inputs.append(decode_logged(record_from(message.headers, message.data, now)))
                readable.append(message)
            except (msgspec.DecodeError, msgspec.ValidationError, JourneylineError) as exc:
                log.error("partition %d: an unreadable message is dropped: %s", partition, exc)
                await message.term()  # never applicable: do not deliver it again
        if not inputs:
            continue
        try:
            await writer.submit(inputs)
        except Exception:  # not committed: JetStream delivers them again
            log.exception("partition %d: %d inputs not applied; again", partition, len(inputs))
            await asyncio.gather(*(m.nak(delay=1) for m in readable))
            continue
        await asyncio.gather(*(m.ack() for m in readable))
    await consumer.unsubscribe()
