"""What ``--role api`` adds to the app: the NATS connection, the stream intake, and the tail of
the effect log that feeds the node's dispatcher (so its live feed sees the workers' commits)."""

from __future__ import annotations

from collections.abc import Callable

from nats.aio.client import Client

from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.engine.effects import Dispatcher, positions_of
from journeyline.scale.stream import StreamIntake, connect, ensure_stream
from journeyline.scale.tail import EffectTail
from journeyline.store.base import Store


class ApiNode:
    def __init__(self, nc: Client, intake: StreamIntake, tail: EffectTail, stores: list[Store]):
        self.nc = nc
        self.intake = intake
        self.tail = tail
        self._stores = stores

    @classmethod
    async def start(
        cls, settings: Settings, opener: Callable[[], Store], dispatcher: Dispatcher, clock: Clock
    ) -> ApiNode:
        nc = await connect(settings.nats_url)
        js = nc.jetstream()
        await ensure_stream(js, settings.nats_stream)
        tail_store, intake_store = opener(), opener()
        tail = EffectTail(tail_store, dispatcher, positions_of(tail_store))
        intake = StreamIntake(js, settings.nats_stream, intake_store, clock)
        return cls(nc, intake, tail, [tail_store, intake_store])

    async def ready(self) -> None:
        """The readiness check ``nats``: the connection is up."""
        if not self.nc.is_connected:
            raise RuntimeError("not connected to NATS")

    async def close(self) -> None:
        self.tail.close()
        await self.nc.close()
        for store in self._stores:
            store.close()
