"""``journeyline migrate-store``: a whole store copied into a new, empty one, then checked.

The copy is the store's (``store/transfer.py``: every table, in batches, ids kept, in one
transaction on the target). The check is the engine's: the row counts of every table are the
same on both sides, the copied projections equal the source's, and a rebuild of the
projections from the copied log (rolled back afterwards) equals the copied projections.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.engine.replay import rebuilt_snapshot
from journeyline.engine.unit import Engine
from journeyline.model.errors import JourneylineError
from journeyline.store import open_store
from journeyline.store.transfer import BATCH, Copied, check_empty, check_source, copy_store


@dataclass(frozen=True)
class Moved:
    copied: Copied
    projections_equal: bool  # the target's projections are the source's
    rebuild_equal: bool  # a rebuild from the target's log gives the target's projections
    rebuild_error: str | None = None  # why that rebuild failed, if it did

    @property
    def problems(self) -> list[str]:
        differ = sorted(t for t, n in self.copied.source.items() if self.copied.target.get(t) != n)
        found = [f"row counts differ in {', '.join(differ)}"] if differ else []
        if not self.projections_equal:
            found.append("the copied projections differ from the source's")
        if self.rebuild_error is not None:
            found.append(f"a rebuild from the copied log failed: {self.rebuild_error}")
        elif not self.rebuild_equal:
            found.append("a rebuild from the copied log differs from the copied projections")
        return found

    def doc(self) -> dict[str, object]:
        return {
            "rows": self.copied.target,
            "countsEqual": self.copied.equal,
            "projectionsEqual": self.projections_equal,
            "rebuildEqual": self.rebuild_equal,
        }


def move_store(
    source_url: str, target_url: str, settings: Settings, clock: Clock, *, batch: int = BATCH
) -> Moved:
    """Copy the store at ``source_url`` into the empty one at ``target_url`` and check it.
    Raises ``InvalidInput`` when there is no store at ``source_url``, ``Conflict`` when the
    target holds anything (nothing is read or written then)."""
    check_source(source_url)
    source = open_store(source_url)
    try:
        target = open_store(target_url)
        try:
            check_empty(target)
            copied = copy_store(source, target, batch=batch)
            projections = target.snapshot()
            same = projections == source.snapshot()
            try:
                rebuilt = rebuilt_snapshot(Engine.from_settings(target, settings, clock))
            except JourneylineError as exc:  # the copy is made: this is the check's finding
                return Moved(copied, same, False, str(exc))
            return Moved(copied, same, projections == rebuilt)
        finally:
            target.close()
    finally:
        source.close()
