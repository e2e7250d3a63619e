"""External contacts, identifiers, the audit trail, and the session <-> contact links
(the ``external_contact_id`` and ``contact_verified`` columns of ``sessions``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from journeyline.core.identity import expiry_ms
from journeyline.model.contact import Contact, Identifier
from journeyline.store.sql.query import Db, chunks, like_pattern, marks

_contact_decoder = msgspec.json.Decoder(Contact)
#: The columns of an identifier, in the order :func:`identifier_of` reads them.
IDENTIFIER_COLUMNS = (
    "type, value, contact_id, verified, created_ms, source, claimed_by, deployment_id"
)


def identifier_of(row: Sequence[Any]) -> Identifier:
    """An identifier from a row of :data:`IDENTIFIER_COLUMNS`."""
    return Identifier(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])


_encoder = msgspec.json.Encoder()


class PeopleMixin:
    _db: Db
    contact_name_sql: str  # the backend's ``Dialect``

    # -- contacts and identifiers ---------------------------------------------------------

    def contact_put(self, contact: Contact) -> None:
        self.contacts_put([contact])

    def contacts_put(self, contacts: Sequence[Contact]) -> None:
        """Upsert contacts in one statement."""
        self._db.executemany(
            "INSERT INTO contacts (id, type, canonical_id, doc, created_ms, modified_ms,"
            " last_activity_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET"
            " type = excluded.type, canonical_id = excluded.canonical_id, doc = excluded.doc,"
            " created_ms = excluded.created_ms, modified_ms = excluded.modified_ms,"
            " last_activity_ms = excluded.last_activity_ms, expires_ms = excluded.expires_ms",
            [
                (
                    c.id,
                    c.type,
                    c.canonical_id,
                    _encoder.encode(c),
                    c.created_ms,
                    c.modified_ms,
                    c.last_activity_ms,
                    expiry_ms(c),
                )
                for c in contacts
            ],
        )

    def contact_get(self, contact_id: str) -> Contact | None:
        row = self._db.execute("SELECT doc FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return _contact_decoder.decode(row[0]) if row else None

    def contacts_get(self, contact_ids: Collection[str]) -> dict[str, Contact]:
        found: dict[str, Contact] = {}
        for chunk in chunks(contact_ids):
            rows = self._db.execute(f"SELECT doc FROM contacts WHERE id IN ({marks(chunk)})", chunk)
            for (doc,) in rows:
                contact = _contact_decoder.decode(doc)
                found[contact.id] = contact
        return found

    def contact_delete(self, contact_id: str) -> None:
        self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))

    def contact_members(self, canonical_id: str) -> list[Contact]:
        rows = self._db.execute(
            "SELECT doc FROM contacts WHERE canonical_id = ? ORDER BY id", (canonical_id,)
        )
        return [_contact_decoder.decode(doc) for (doc,) in rows]

    def contacts_page(
        self, *, page_number: int, page_size: int, now_ms: int | None = None
    ) -> tuple[list[Contact], int]:
        live = "" if now_ms is None else " WHERE expires_ms IS NULL OR expires_ms >= ?"
        since = () if now_ms is None else (now_ms,)
        (total,) = self._db.execute(f"SELECT count(*) FROM contacts{live}", since).fetchone()
        rows = self._db.execute(
            f"SELECT doc FROM contacts{live} ORDER BY created_ms DESC, id LIMIT ? OFFSET ?",
            (*since, page_size, (page_number - 1) * page_size),
        )
        return [_contact_decoder.decode(doc) for (doc,) in rows], int(total)

    def contacts_search(self, text: str, *, limit: int) -> list[Contact]:
        rows = self._db.execute(
            f"SELECT doc FROM contacts WHERE {self.contact_name_sql} LIKE ? ESCAPE '\\'"
            " ORDER BY last_activity_ms DESC, id LIMIT ?",
            (f"%{like_pattern(text.lower())}%", limit),
        )
        return [_contact_decoder.decode(doc) for (doc,) in rows]

    def identifier_get(self, kind: str, value: str) -> Identifier | None:
        row = self._db.execute(
            f"SELECT {IDENTIFIER_COLUMNS} FROM identifiers WHERE type = ? AND value = ?",
            (kind, value),
        ).fetchone()
        return identifier_of(row) if row else None

    def identifiers_get(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], Identifier]:
        found: dict[tuple[str, str], Identifier] = {}
        by_type: dict[str, list[str]] = {}
        for kind, value in keys:
            by_type.setdefault(kind, []).append(value)
        for kind, values in sorted(by_type.items()):
            for chunk in chunks(values):
                rows = self._db.execute(
                    f"SELECT {IDENTIFIER_COLUMNS} FROM identifiers"
                    f" WHERE type = ? AND value IN ({marks(chunk)})",
                    [kind, *chunk],
                )
                for r in rows:
                    found[(r[0], r[1])] = identifier_of(r)
        return found

    def identifier_put(self, identifier: Identifier) -> None:
        self.identifiers_put([identifier])

    def identifiers_put(self, identifiers: Sequence[Identifier]) -> None:
        """Upsert identifiers in one statement."""
        self._db.executemany(
            f"INSERT INTO identifiers ({IDENTIFIER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (type, value) DO UPDATE SET"
            " contact_id = excluded.contact_id, verified = excluded.verified,"
            " created_ms = excluded.created_ms, source = excluded.source,"
            " claimed_by = excluded.claimed_by, deployment_id = excluded.deployment_id",
            [
                (
                    i.type,
                    i.value,
                    i.contact_id,
                    int(i.verified),
                    i.created_ms,
                    i.source,
                    i.claimed_by,
                    i.deployment_id,
                )
                for i in identifiers
            ],
        )

    def identifier_delete(self, kind: str, value: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM identifiers WHERE type = ? AND value = ?", (kind, value)
        )
        return cursor.rowcount > 0

    def move_identifiers(self, from_id: str, to_id: str) -> None:
        self._db.execute(
            "UPDATE identifiers SET contact_id = ? WHERE contact_id = ?", (to_id, from_id)
        )

    def identifiers_of(self, contact_id: str) -> list[Identifier]:
        rows = self._db.execute(
            f"SELECT {IDENTIFIER_COLUMNS} FROM identifiers"
            " WHERE contact_id = ? ORDER BY type, value",
            (contact_id,),
        )
        return [identifier_of(r) for r in rows]

    def audit_add(
        self, *, at_ms: int, actor: str, action: str, contact_id: str | None, doc: dict[str, Any]
    ) -> None:
        self._db.execute(
            "INSERT INTO audits (at_ms, actor, action, contact_id, doc) VALUES (?, ?, ?, ?, ?)",
            (at_ms, actor, action, contact_id, _encoder.encode(doc)),
        )

    def audits_of(self, contact_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not contact_ids:
            return []
        rows = self._db.execute(
            f"SELECT at_ms, actor, action, contact_id, doc FROM audits"
            f" WHERE contact_id IN ({marks(contact_ids)}) ORDER BY seq",
            list(contact_ids),
        )
        return [
            {
                "atMs": at,
                "actor": actor,
                "action": action,
                "contactId": contact,
                "details": msgspec.json.decode(doc),
            }
            for at, actor, action, contact, doc in rows
        ]

    # -- session <-> contact links --------------------------------------------------------

    def link_session(self, session_id: str, contact_id: str | None, level: int) -> None:
        """Link a session to a contact; ``level``: 0 unverified, 1 verified, 2 by an agent."""
        self._db.execute(
            "UPDATE sessions SET external_contact_id = ?, contact_verified = ? WHERE id = ?",
            (contact_id, level, session_id),
        )

    def session_link(self, session_id: str) -> tuple[str | None, int] | None:
        """A session's contact and link level (0 unverified, 1 verified, 2 by an agent)."""
        row = self._db.execute(
            "SELECT external_contact_id, contact_verified FROM sessions WHERE id = ?",
            (session_id,),
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def session_links(self, session_ids: Collection[str]) -> dict[str, tuple[str | None, int]]:
        """``session_link`` of each of the sessions; sessions not stored are left out."""
        found: dict[str, tuple[str | None, int]] = {}
        for chunk in chunks(session_ids):
            rows = self._db.execute(
                "SELECT id, external_contact_id, contact_verified FROM sessions"
                f" WHERE id IN ({marks(chunk)})",
                chunk,
            )
            for r in rows:
                found[r[0]] = (r[1], int(r[2]))
        return found

    def relink_customer(
        self, customer_id: str, contact_id: str, level: int, *, only_from: str | None = None
    ) -> None:
        """Point every session of a customer (cookie) at a contact, at a link level."""
        sql = (
            "UPDATE sessions SET external_contact_id = ?, contact_verified = ?"
            " WHERE customer_id = ?"
        )
        args: list[object] = [contact_id, level, customer_id]
        if only_from is not None:
            sql += " AND external_contact_id = ?"
            args.append(only_from)
        self._db.execute(sql, args)

    def contact_activity(self, contact_id: str) -> tuple[int, int] | None:
        """(first created, last activity) over the sessions linked to a contact, if any."""
        row = self._db.execute(
            "SELECT min(created_ms), max(coalesce(last_event_ms, ended_ms, created_ms))"
            " FROM sessions WHERE external_contact_id = ?",
            (contact_id,),
        ).fetchone()
        return (int(row[0]), int(row[1])) if row and row[0] is not None else None

    def relink_contact(self, old_id: str, new_id: str | None) -> None:
        self._db.execute(
            "UPDATE sessions SET external_contact_id = ? WHERE external_contact_id = ?",
            (new_id, old_id),
        )
