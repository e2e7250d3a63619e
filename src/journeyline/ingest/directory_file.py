"""The directory file: ``{"queues": [{"id", "name"}], "users": [...], "wrapupCodes": [...]}``."""

from __future__ import annotations

import msgspec

from journeyline.model.directory import DirectoryEntry
from journeyline.model.errors import InvalidInput


class _Entry(msgspec.Struct):
    id: str
    name: str


class DirectoryFile(msgspec.Struct, rename="camel"):
    queues: list[_Entry] = []
    users: list[_Entry] = []
    wrapup_codes: list[_Entry] = []


def parse_directory(raw: bytes, *, now_ms: int) -> tuple[list[DirectoryEntry], dict[str, int]]:
    """The entries of a directory file, and how many of each kind it names."""
    try:
        doc = msgspec.json.decode(raw, type=DirectoryFile)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"invalid directory file: {exc}") from exc
    entries = [
        DirectoryEntry(kind, e.id, e.name, now_ms)
        for kind, group in (
            ("queue", doc.queues),
            ("user", doc.users),
            ("wrapupcode", doc.wrapup_codes),
        )
        for e in group
    ]
    counts = {
        "queues": len(doc.queues),
        "users": len(doc.users),
        "wrapupCodes": len(doc.wrapup_codes),
    }
    return entries, counts
