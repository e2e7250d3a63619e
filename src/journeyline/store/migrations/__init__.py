"""The schema migrations of each backend: one SQL file each, applied by yoyo in name order
(``sqlite/``, ``postgresql/``), and the check both backends make before they ask yoyo."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def all_applied(directory: Path, applied: Iterable[str]) -> bool:
    """Whether every migration file of ``directory`` is among ``applied`` (yoyo's ids: the
    files' names without ``.sql``)."""
    return {path.stem for path in directory.glob("*.sql")} <= set(applied)
