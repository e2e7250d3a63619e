"""The directory file: ``{"queues": [{"id", "name"}], "users": [...], "wrapupCodes": [...]}``."""

from __future__ import annotations

import msgspec

from journeyline.errors import InvalidInput
from journeyline.store.base import DirectoryEntry, Store


class _Entry(msgspec.Struct):
    id: str
    name: str


class DirectoryFile(msgspec.Struct, rename="camel"):
    queues: list[_Entry] = []
    users: list[_Entry] = []
    wrapup_codes: list[_Entry] = []


def load_directory(store: Store, raw: bytes, *, now_ms: int) -> dict[str, int]:
    try:
        doc = msgspec.json.decode(raw, type=DirectoryFile)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
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
    put_all(store, entries)
    return {
        "queues": len(doc.queues),
        "users": len(doc.users),
        "wrapupCodes": len(doc.wrapup_codes),
    }


def put_all(store: Store, entries: list[DirectoryEntry]) -> None:
    with store.transaction():
        for entry in entries:
            store.directory_put(entry)
