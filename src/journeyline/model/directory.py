"""Directory entries: the names of queues, users (agents) and wrap-up codes, by id."""

from __future__ import annotations

from dataclasses import dataclass

DIRECTORY_KINDS = ("queue", "user", "wrapupcode")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    kind: str  # queue | user | wrapupcode
    id: str
    name: str
    modified_ms: int
