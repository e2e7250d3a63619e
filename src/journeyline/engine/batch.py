"""Feeding wire objects to the engine outside HTTP: ``journeyline import``, the demo, the bench."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from journeyline.engine.unit import Engine
from journeyline.ingest import genesys_detail
from journeyline.ingest.directory_file import parse_directory
from journeyline.ingest.genesys_detail import Accepted
from journeyline.model.directory import DirectoryEntry
from journeyline.model.errors import InvalidInput
from journeyline.store.base import Store


@dataclass(slots=True)
class Summary:
    """What became of numbered inputs: ``accepted``, ``duplicate`` (stored before),
    ``refused`` (a customer erased lately: ``erasure.refused``) and ``rejected`` (not an
    event), the last two with each one's number and why."""

    accepted: int = 0
    duplicate: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "refused": len(self.refused),
            "rejected": len(self.rejected),
        }


def ingest_objects(
    engine: Engine, items: Iterable[tuple[int, Any]], *, batch_size: int = 1000
) -> Summary:
    """Parse and apply numbered wire objects in batches; bad ones are listed, good ones kept."""
    summary = Summary()
    pending: list[Accepted] = []
    numbers: list[int] = []

    def flush() -> None:
        for number, result in zip(numbers, engine.apply(pending).results, strict=True):
            if result.status == "accepted":
                summary.accepted += 1
            elif result.status == "duplicate":
                summary.duplicate += 1
            else:  # "failed": the only refusal an event meets is its erased customer's
                summary.refused.append((number, result.error.message if result.error else ""))
        pending.clear()
        numbers.clear()

    for number, item in items:
        try:
            pending.append(genesys_detail.parse_item(item))
            numbers.append(number)
        except InvalidInput as exc:
            summary.rejected.append((number, exc.message))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return summary


def ingest_lines(engine: Engine, lines: Iterable[tuple[int, bytes]]) -> Summary:
    """``journeyline import``: numbered JSON lines, each one event object."""
    rejected: list[tuple[int, str]] = []

    def decoded() -> Iterable[tuple[int, Any]]:
        for number, line in lines:
            try:
                yield number, msgspec.json.decode(line)
            except (msgspec.DecodeError, RecursionError) as exc:
                rejected.append((number, f"malformed JSON: {exc}"))

    summary = ingest_objects(engine, decoded())
    summary.rejected = sorted(summary.rejected + rejected)
    return summary


def load_directory(store: Store, raw: bytes, *, now_ms: int) -> dict[str, int]:
    """``journeyline directory import``: store a directory file's entries in one transaction."""
    entries, counts = parse_directory(raw, now_ms=now_ms)
    put_all(store, entries)
    return counts


def put_all(store: Store, entries: Sequence[DirectoryEntry]) -> None:
    with store.transaction():
        for entry in entries:
            store.directory_put(entry)
