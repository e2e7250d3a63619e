"""What goes into a unit of work and what comes out of it, and how inputs are logged.

Inputs: conversation detail events (``Accepted``), web and app events (``AcceptedWeb``),
agents' identity commands (:class:`CommandInput`) and the clock (:class:`TickInput`). A run of
events is one unit of work; each command and each tick is a unit of its own (:func:`units`).
Out: an :class:`Applied` per input and the unit's effects, together an :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from journeyline.engine.effects import partition_for
from journeyline.engine.identity import COMMAND_KIND, decode_command
from journeyline.engine.web import partition_of
from journeyline.ingest import genesys_detail
from journeyline.ingest import genesys_web as web
from journeyline.ingest.genesys_detail import Accepted
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.commands import Command
from journeyline.model.effects import Envelope
from journeyline.model.errors import JourneylineError
from journeyline.model.record import record
from journeyline.store.base import LogRecord

Status = Literal["accepted", "duplicate", "failed"]
TICK_KIND = "clock.tick"


@record
class CommandInput:
    key: str  # a fresh id: commands are never duplicates of each other
    command: Command


@record
class TickInput:
    """Time passing: run the deadlines due at ``at_ms``. ``key``: a fresh id."""

    key: str
    at_ms: int


class _Tick(msgspec.Struct, frozen=True):
    at_ms: int


_tick_encoder = msgspec.json.Encoder()
_tick_decoder = msgspec.json.Decoder(_Tick)


def tick_body(at_ms: int) -> bytes:
    """A tick as the log stores it."""
    return _tick_encoder.encode(_Tick(at_ms))


Input = Accepted | AcceptedWeb | CommandInput | TickInput
Solo = CommandInput | TickInput  # inputs that are a unit of work of their own


@record
class Applied:
    key: str
    status: Status
    session_id: str | None = None
    result: dict[str, Any] | None = None
    error: JourneylineError | None = None


@record
class Outcome:
    """What ``Engine.apply`` did: a result for each input, in order, and the effects of its
    units of work, in order, each with its partition and position."""

    results: list[Applied]
    effects: list[Envelope]


def record_of(item: Accepted | AcceptedWeb, now_ms: int, unit: int) -> LogRecord:
    if isinstance(item, Accepted):
        return LogRecord(
            item.event.key, genesys_detail.KIND, item.event.conversation_id, now_ms, item.body, unit
        )
    return LogRecord(item.event.key, web.KIND, partition_of(item.event), now_ms, item.body, unit)


def decode_logged(record: LogRecord) -> Input:
    """A logged input as the engine applies it."""
    key, kind, body = record.key, record.kind, record.body
    if kind == genesys_detail.KIND:
        return Accepted(genesys_detail.parse_canonical(body), body)
    if kind == web.KIND:
        return AcceptedWeb(web.decode_stored(body), body)
    if kind == COMMAND_KIND:
        return CommandInput(key, decode_command(body))
    if kind == TICK_KIND:
        return TickInput(key, _tick_decoder.decode(body).at_ms)
    raise JourneylineError(f"unknown kind of log entry: {kind}")


def partition_of_record(record: LogRecord) -> int:
    return partition_for(record.partition_key)


def units(batch: Sequence[Input]) -> list[list[Input]]:
    """Runs of events, and each command or tick on its own, in order."""
    units: list[list[Input]] = []
    for item in batch:
        if isinstance(item, Solo) or not units or isinstance(units[-1][0], Solo):
            units.append([item])
        else:
            units[-1].append(item)
    return units
