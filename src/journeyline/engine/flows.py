"""Flows: registering webhooks, their signing secrets, and putting deliveries in the outbox.

- :func:`enqueue_flow` is what a decision (the action-map evaluator, an in-transaction
  subscriber) calls *inside the writer's transaction*: the delivery commits with the decision or
  not at all, and a replay of the same input finds the same ``delivery_id`` and adds nothing.
  :func:`delivery_id_for` makes such an id from what caused the delivery.
- :class:`FlowRegistry` is what the API and the CLI call: it checks a flow's URL (``targets``,
  off the writer: it may resolve a name) and writes through the single writer.

A secret is ``whsec_`` and the base64 of 32 random bytes (the Standard Webhooks format). It is
returned once, when created or rotated, and stored as it is (signing needs it): only
``Store.flow_secret`` reads it back, and only the delivery worker calls that.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import msgspec

from journeyline.clock import Clock
from journeyline.engine.definitions import typed
from journeyline.engine.targets import Resolver, check_registration, system_resolver
from journeyline.ids import new_id
from journeyline.ingest.definitions import references
from journeyline.model.errors import Conflict, NotFound
from journeyline.model.flows import Delivery, Flow
from journeyline.model.record import record
from journeyline.store.base import Store

T = TypeVar("T")
Write = Callable[[Callable[[Store], T]], Awaitable[T]]

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
#: Names the deliveries' ids: the same causes give the same id in every process.
_DELIVERY_NAMESPACE = uuid.UUID("6f1c8d2e-5b7a-4c1e-9f3d-2a8b7c6d5e4f")
_encoder = msgspec.json.Encoder(order="sorted")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def delivery_id_for(*causes: str) -> str:
    """A delivery id from what caused it (e.g. an action map, a session, an event): the same
    causes, the same id, so a replayed decision cannot queue a second delivery."""
    return "msg_" + uuid.uuid5(_DELIVERY_NAMESPACE, "\x1f".join(causes)).hex


def enqueue_flow(
    store: Store,
    *,
    delivery_id: str,
    flow_id: str,
    payload: dict[str, Any],
    now_ms: int,
    due_ms: int | None = None,
) -> bool:
    """Put a delivery of ``payload`` (as JSON) to ``flow_id`` in the outbox, due at ``due_ms``
    (now unless given: an action map's activation delay), in the caller's transaction. True
    when it is new; a delivery with this id already there (pending, delivered or dead) is left
    alone. The worker is woken after the commit (the dispatcher)."""
    delivery = Delivery(
        id=delivery_id,
        flow_id=flow_id,
        body=_encoder.encode(payload),
        created_ms=now_ms,
        next_attempt_ms=now_ms if due_ms is None else max(now_ms, due_ms),
    )
    return store.outbox_put(delivery)


@record
class FlowChanges:
    """What a PATCH or PUT changes (None: unchanged; an empty description: none)."""

    name: str | None = None
    url: str | None = None
    description: str | None = None


class FlowRegistry:
    """Create, change, delete flows, rotate secrets and replay dead letters.

    ``write`` runs a function on the single writer in a transaction of its own; ``wake`` tells
    the delivery worker that something is due now."""

    def __init__(
        self,
        write: Write[Any],
        clock: Clock,
        *,
        allow_private: bool,
        wake: Callable[[], None] = lambda: None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.write = write
        self.clock = clock
        self.allow_private = allow_private
        self.wake = wake
        self.resolver = resolver

    async def _check(self, url: str) -> None:
        await asyncio.to_thread(
            check_registration, url, allow_private=self.allow_private, resolver=self.resolver
        )

    async def create(self, name: str, url: str, description: str | None) -> tuple[Flow, str]:
        """A new flow and its secret (shown this once)."""
        await self._check(url)
        now = self.clock()
        flow = Flow(new_id(), name, url, description, now, now)
        secret = new_secret()

        def put(store: Store) -> None:
            store.flow_put(flow)
            store.flow_secret_put(flow.id, secret, now)

        await self.write(put)
        return flow, secret

    async def change(self, flow_id: str, changes: FlowChanges) -> Flow:
        if changes.url is not None:
            await self._check(changes.url)
        now = self.clock()

        def change(store: Store) -> Flow:
            flow = _existing(store, flow_id)
            changed = replace(
                flow,
                name=flow.name if changes.name is None else changes.name,
                url=flow.url if changes.url is None else changes.url,
                description=flow.description
                if changes.description is None
                else changes.description or None,
                modified_ms=now,
            )
            store.flow_put(changed)
            return changed

        found: Flow = await self.write(change)
        return found

    async def rotate(self, flow_id: str) -> str:
        """A new secret for the flow; from now on only it signs."""
        secret = new_secret()
        now = self.clock()

        def rotate(store: Store) -> None:
            _existing(store, flow_id)
            store.flow_secret_put(flow_id, secret, now)

        await self.write(rotate)
        return secret

    async def delete(self, flow_id: str) -> None:
        """Delete a flow and its secret; refused (409) while an action map names it, as a
        segment or an action template is."""

        def delete(store: Store) -> None:
            for row in store.definitions("actionmap"):
                if flow_id in references(typed(row))[1]:
                    raise Conflict(
                        f"flow {flow_id} is used by action map {row.id} ({row.display_name})",
                        field="flowId",
                    )
            if not store.flow_delete(flow_id):
                raise NotFound(f"no flow with id {flow_id}", field="flowId")

        await self.write(delete)

    async def replay(self, delivery_ids: Sequence[str] | None) -> list[str]:
        """Dead letters back to pending (those named, or all); returns the ids replayed."""
        now = self.clock()
        ids = None if delivery_ids is None else list(delivery_ids)
        replayed: list[str] = await self.write(lambda store: store.outbox_replay(ids, now))
        if replayed:
            self.wake()
        return replayed


def _existing(store: Store, flow_id: str) -> Flow:
    flow = store.flow_get(flow_id)
    if flow is None:
        raise NotFound(f"no flow with id {flow_id}", field="flowId")
    return flow
