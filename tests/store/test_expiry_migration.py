"""The migration that adds ``contacts.expires_ms`` (SQLite 0012, PostgreSQL 0004) fills it for
the contacts already stored as ``core.identity.expiry_ms`` would, on each backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from journeyline.core.identity import expiry_ms
from journeyline.model.contact import Contact
from journeyline.store.base import Store

T0 = 1_795_600_000_000
MIGRATIONS = Path(__file__).parents[2] / "src/journeyline/store/migrations"


def _backfill(store: Store) -> str:
    """The migration's UPDATE for the store's backend."""
    name = "sqlite/0012_erasure_expiry.sql"
    if not store.url.startswith("sqlite"):
        name = "postgresql/0004_erasure_expiry.sql"
    text = (MIGRATIONS / name).read_text()
    [update] = [s for s in text.split(";") if s.strip().startswith("UPDATE")]
    return update


def test_the_migration_fills_in_when_each_stored_contact_expires(store: Store) -> None:
    contacts = [
        Contact("e1", "Ephemeral", T0, T0, T0 + 5),
        Contact("i1", "Identified", T0, T0, T0 + 7, canonical_id="h1"),
        Contact("h1", "Identified", T0, T0, T0 + 9, merged_from=("i1",)),
        Contact("k1", "Curated", T0, T0, T0),
    ]
    db = cast(Any, store)._db  # to leave the rows as an older schema left them
    with store.transaction():
        store.contacts_put(contacts)
        db.execute("UPDATE contacts SET expires_ms = NULL")
        db.execute(_backfill(store))
    with store.transaction():
        rows = dict(db.execute("SELECT id, expires_ms FROM contacts").fetchall())
    assert rows == {c.id: expiry_ms(c) for c in contacts}
    assert rows["e1"] == T0 + 5 + 60 * 86_400_000
    assert rows["h1"] is None
