"""Moving a whole store to another (``journeyline migrate-store``): SQLite to PostgreSQL, or any
backend to any.

Every table the migrations made is copied as it is — the log, the effect log and the
partitions' positions, the projections, the outbox, accounts, clients, definitions, the
directory, deployments — in batches, into a target that its own migrations made and that holds
nothing yet. Ids are kept (the log's ``seq`` is its arrival order, the effect log's positions
are what subscribers resume from), and the target's sequences are moved past them, so the next
row written there gets the next number. The copy is one transaction on the target: it is all
there or none of it. The source is read inside a transaction of its own, which holds its write
lock: nothing changes it meanwhile.

Checking the copy (row counts, and a rebuild of the projections from the copied log against the
copied projections) is the command's (``cli.py``), which has the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

from journeyline.model.errors import Conflict, InvalidInput
from journeyline.store.base import Store, shown
from journeyline.store.sql.store import SqlStore
from journeyline.store.sql.transfer import Tables

#: Rows read and written at a time.
BATCH = 5000


@dataclass(frozen=True)
class Copied:
    """How many rows each table had in the source, and has in the target after the copy."""

    source: dict[str, int]
    target: dict[str, int]

    @property
    def equal(self) -> bool:
        return self.source == self.target


def tables_of(store: Store) -> Tables:
    if not isinstance(store, SqlStore):
        raise InvalidInput(f"the store {shown(store.url)} cannot be copied table by table")
    return store  # type: ignore[return-value]  # a SqlStore's connection provides Tables


def check_source(url: str) -> None:
    """A source that is not there (a mistyped file or schema) is refused before it is opened:
    opening would make it, empty, and the copy would move nothing and succeed."""
    scheme = url.split(":", 1)[0]
    if scheme in ("postgresql", "postgres"):
        from journeyline.store.postgres.connection import holds_a_store
    elif scheme == "sqlite":
        from journeyline.store.sqlite.connection import holds_a_store
    else:
        return  # open_store says what is wrong with it
    if not holds_a_store(url):
        raise InvalidInput(
            f"there is no store at {shown(url)} (is the URL right?): nothing to copy"
        )


def check_empty(target: Store) -> None:
    """A target that holds anything is refused: a copy never merges two stores."""
    tables = tables_of(target)
    filled = sorted(name for name in tables.table_columns() if tables.table_count(name))
    if filled:
        raise Conflict(
            f"the target store {shown(target.url)} is not empty (rows in {', '.join(filled)});"
            " migrate-store copies into a new, empty store only"
        )


def copy_store(source: Store, target: Store, *, batch: int = BATCH) -> Copied:
    """Copy every table of ``source`` into the empty ``target`` (both migrated)."""
    reading, writing = tables_of(source), tables_of(target)
    wanted = reading.table_columns()
    present = writing.table_columns()
    missing = sorted(set(wanted) - set(present))
    if missing:
        raise InvalidInput(
            f"the target store has no table {', '.join(missing)}: is it older than the source?"
        )
    for table, columns in wanted.items():
        lacking = [c for c in columns if c not in present[table]]
        if lacking:
            raise InvalidInput(f"the target's table {table} has no column {', '.join(lacking)}")
    if source.url == target.url:
        raise InvalidInput("the source and the target are the same store")
    check_empty(target)
    order = TopologicalSorter(reading.table_references()).static_order()  # parents first
    counts: dict[str, int] = {}
    with target.transaction(), source.transaction():
        for table in (name for name in order if name in wanted):
            columns = wanted[table]
            counts[table] = 0
            for rows in reading.table_batches(table, columns, batch):
                writing.table_insert(table, columns, rows)
                counts[table] += len(rows)
        writing.advance_sequences()
    return Copied(counts, {table: writing.table_count(table) for table in wanted})
