"""Replaying the log: ``journeyline rebuild`` makes every projection again from the log alone.

Unit by unit, in arrival order, through the same engine, each unit at the time it was first
applied; in-transaction subscribers run too. What was announced stays announced: the effect log
and the partitions' positions are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from journeyline.clock import Clock
from journeyline.core.action_maps import OfferPolicy
from journeyline.core.websession import SESSION_TIMEOUT_MS
from journeyline.engine.effects import InTransaction
from journeyline.engine.unit import ACW_GRACE_MS, Engine
from journeyline.store.base import LogRecord, Snapshot, Store


def rebuild(
    store: Store,
    clock: Clock,
    *,
    web_timeout_ms: int = SESSION_TIMEOUT_MS,
    acw_grace_ms: int = ACW_GRACE_MS,
    offer_policy: OfferPolicy | None = None,
    in_transaction: Sequence[InTransaction] = (),
) -> int:
    """Replay the whole log, unit by unit, into fresh projections; returns the entries applied.

    The effect log and the partitions' positions are left as they are: they record what was
    announced, and a replay announces nothing again."""
    engine = Engine(
        store,
        clock,
        web_timeout_ms=web_timeout_ms,
        acw_grace_ms=acw_grace_ms,
        offer_policy=offer_policy,
    )
    engine.in_transaction.extend(in_transaction)
    with store.transaction():
        return _replay(engine, store)


class _Undo(Exception):
    """Raised out of a transaction to roll it back on purpose."""


def rebuilt_snapshot(engine: Engine) -> Snapshot:
    """What a rebuild by ``engine`` would make of its store's log, without keeping it: the
    projections replayed and read back in one transaction that is then rolled back
    (``journeyline migrate-store`` compares it with the projections it copied)."""
    found: list[Snapshot] = []
    try:
        with engine.store.transaction():
            _replay(engine, engine.store)
            found.append(engine.store.snapshot())
            raise _Undo
    except _Undo:
        pass
    return found[0]


def _replay(engine: Engine, store: Store) -> int:
    count = 0
    store.clear_projections()
    pending: list[LogRecord] = []
    for record in store.iter_all_log():
        if pending and record.unit != pending[-1].unit:
            engine.replay(pending)
            count += len(pending)
            pending = []
        pending.append(record)
    if pending:
        engine.replay(pending)
        count += len(pending)
    return count
