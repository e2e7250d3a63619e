"""The JetStream stream of accepted input: its subjects, its messages, and the API side.

One stream per installation (``--nats-stream``, default ``journeyline``), its subjects
``<stream>.in.<partition>``: the partition is the engine's own (``engine.effects.partition_for``
of the input's customer key), so a partition's inputs are one subject, read in order by the one
worker that owns it. A message is the input as the log stores it: its body, with the log's key
(also ``Nats-Msg-Id``: JetStream drops a second copy within its duplicate window), kind and
customer key in headers. The stream is a work queue: a message acknowledged by its worker is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from journeyline.clock import Clock
from journeyline.core.conversation import session_id_for
from journeyline.core.websession import web_event_id
from journeyline.engine.effects import partition_for
from journeyline.engine.inputs import Applied, Input, Status, record_of
from journeyline.ingest.genesys_detail import Accepted
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.errors import JourneylineError, Unavailable
from journeyline.store.base import LogRecord, Store

KIND, CUSTOMER = "Journeyline-Kind", "Journeyline-Customer"
#: How long JetStream remembers a message id to drop a second copy.
DUPLICATE_WINDOW_S = 120.0
#: How long a web event's answer waits for a worker to apply it (its answer shows the session).
APPLIED_WAIT_S = 10.0


def subject(stream: str, partition: int) -> str:
    return f"{stream}.in.{partition}"


def headers_of(record: LogRecord) -> dict[str, str]:
    return {"Nats-Msg-Id": record.key, KIND: record.kind, CUSTOMER: record.partition_key}


def record_from(headers: dict[str, str] | None, data: bytes, received_ms: int) -> LogRecord:
    """A message as a log record (its unit is the worker's to give)."""
    if not headers or not {"Nats-Msg-Id", KIND, CUSTOMER} <= headers.keys():
        raise JourneylineError("a stream message without its key, kind or customer key")
    return LogRecord(headers["Nats-Msg-Id"], headers[KIND], headers[CUSTOMER], received_ms, data, 0)


async def connect(url: str) -> Client:
    """A connection that keeps reconnecting (a NATS restart is a pause, not an outage)."""
    return await nats.connect(url, max_reconnect_attempts=-1, connect_timeout=5)


async def ensure_stream(js: JetStreamContext, stream: str) -> None:
    config = StreamConfig(
        name=stream,
        subjects=[f"{stream}.in.*"],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:  # made by another node meanwhile, or by an older version
        await js.update_stream(config)


class StreamIntake:
    """What an API node does with accepted events: append them to the stream, and answer once
    JetStream has stored each (``submit`` has the writer's signature)."""

    def __init__(self, js: JetStreamContext, stream: str, store: Store, clock: Clock) -> None:
        self.js = js
        self.stream = stream
        self.store = store  # a connection of its own: to wait for a web event's session
        self.clock = clock

    async def submit(self, batch: Sequence[Input]) -> list[Applied]:
        now = self.clock()
        events: list[Accepted | AcceptedWeb] = []
        for item in batch:
            if not isinstance(item, Accepted | AcceptedWeb):
                raise JourneylineError("only events go through the stream")
            events.append(item)
        records = [record_of(item, now, 0) for item in events]
        # JetStream drops a second copy only within its duplicate window; the log knows for
        # ever. A key it holds is answered as the duplicate it is, and not published again.
        logged = await asyncio.to_thread(self.store.logged_keys, [r.key for r in records])
        try:
            acks = await asyncio.gather(
                *(
                    self.js.publish(
                        subject(self.stream, partition_for(r.partition_key)),
                        r.body,
                        timeout=5,
                        headers=headers_of(r),
                    )
                    for r in records
                    if r.key not in logged
                )
            )
        except Exception as exc:  # not stored: the client must send again (it is idempotent)
            raise Unavailable(f"the event stream did not take the events: {exc}") from exc
        duplicate = iter(ack.duplicate for ack in acks)
        applied = []
        for item, record in zip(events, records, strict=True):
            status: Status = "duplicate" if record.key in logged or next(duplicate) else "accepted"
            if isinstance(item, Accepted):
                session = session_id_for(item.event.conversation_id)
            else:
                session = await self._session_of(web_event_id(item.event.key))
            applied.append(Applied(item.event.key, status, session))
        return applied

    async def _session_of(self, event_id: str) -> str:
        """The session a worker put a web event in; a 503 (send again: it is idempotent) when
        no worker applied it in time."""
        deadline = asyncio.get_running_loop().time() + APPLIED_WAIT_S
        delay = 0.002
        while True:
            found = await asyncio.to_thread(self.store.session_of_event, event_id)
            if found is not None:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise Unavailable("the event is stored but no worker has applied it yet")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
