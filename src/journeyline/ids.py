"""Ids as a seam: new ids are time-ordered UUIDs (v7), so inserts append to the B-trees; ids of
what the engine derives are made from what they record, so a replay makes the same ones."""

from __future__ import annotations

import uuid

import uuid6

_RULE_EVENTS = uuid.UUID("5b0f1d7e-3c1a-4d55-9f6e-7a4f3b8d2c10")


def new_id() -> str:
    return str(uuid6.uuid7())


def rule_event_id(*parts: object) -> str:
    """The id of a journey event that definitions add (a segment assigned, an outcome, a web
    action's state), from what it records: the same parts, the same id."""
    return str(uuid.uuid5(_RULE_EVENTS, "|".join(str(p) for p in parts)))
