"""The directory file: ``{"queues": [{"id", "name"}], "users": [...], "wrapupCodes": [...]}``.

Its ids and names are checked as the API checks a directory entry's (``core/ids.py``: an id of
1 to 256 URL-safe characters; a name of 1 to 256 characters), and no string holds a NUL."""

from __future__ import annotations

import msgspec

from journeyline.core.ids import check_id
from journeyline.ingest.nul import refuse_nul
from journeyline.model.directory import DirectoryEntry
from journeyline.model.errors import InvalidInput


class _Entry(msgspec.Struct):
    id: str
    name: str


class DirectoryFile(msgspec.Struct, rename="camel"):
    queues: list[_Entry] = []
    users: list[_Entry] = []
    wrapup_codes: list[_Entry] = []


def _name(name: str, group: str) -> str:
    if not name.strip() or len(name) > 256:
        raise InvalidInput(f"{group}.name must be 1 to 256 characters", field=f"{group}.name")
    return name.strip()


def parse_directory(raw: bytes, *, now_ms: int) -> tuple[list[DirectoryEntry], dict[str, int]]:
    """The entries of a directory file, and how many of each kind it names."""
    try:
        doc = msgspec.json.decode(refuse_nul(raw), type=DirectoryFile)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"invalid directory file: {exc}") from exc
    entries = [
        DirectoryEntry(kind, check_id(e.id, f"{group_name}.id"), _name(e.name, group_name), now_ms)
        for kind, group_name, group in (
            ("queue", "queues", doc.queues),
            ("user", "users", doc.users),
            ("wrapupcode", "wrapupCodes", doc.wrapup_codes),
        )
        for e in group
    ]
    counts = {
        "queues": len(doc.queues),
        "users": len(doc.users),
        "wrapupCodes": len(doc.wrapup_codes),
    }
    return entries, counts
