"""Flows (Genesys ``architectFlow`` actions) as registered webhooks, and their deliveries.

A :class:`Flow` is a receiver's URL with a name; its signing secret is kept apart (the store's
``flow_secret``), so no record that is read back or rendered carries it. A :class:`Delivery` is
one webhook in the outbox: its ``id`` is the ``webhook-id`` header, the same on every try, and
the idempotency key (a second ``outbox_put`` with the same id changes nothing).
"""

from __future__ import annotations

from journeyline.model.record import record

#: pending: to be tried at ``next_attempt_ms``; delivered: a 2xx answered; dead: given up on
#: (the dead-letter list), until an admin replays it.
DELIVERY_STATES = ("pending", "delivered", "dead")


@record
class Flow:
    id: str
    name: str
    url: str
    description: str | None = None
    created_ms: int = 0
    modified_ms: int = 0


@record
class Delivery:
    id: str  # the webhook-id: stable across retries, deterministic from what caused it
    flow_id: str
    body: bytes  # the JSON document posted, as signed
    created_ms: int
    next_attempt_ms: int
    attempts: int = 0
    state: str = "pending"
    last_status: int | None = None  # the receiver's last HTTP status, if it answered
    last_error: str | None = None  # why the last try failed, in words
    last_attempt_ms: int | None = None
