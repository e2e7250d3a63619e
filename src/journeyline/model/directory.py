"""Directory entries: the names of queues, users (agents) and wrap-up codes, by id."""

from __future__ import annotations

from journeyline.model.record import record

DIRECTORY_KINDS = ("queue", "user", "wrapupcode")


@record
class DirectoryEntry:
    kind: str  # queue | user | wrapupcode
    id: str
    name: str
    modified_ms: int
