"""Right to erasure and contact expiry: finding a person's rows, and removing them.

What belongs to the person is decided by ``engine.erasure``; these are its reads and writes.
Log rows become tombstones (kind ``erased``, an empty body) that keep their key, ``seq``,
unit and time, so a duplicate of an erased input is still known and the log keeps its order;
effect-log rows keep their partition and position (name ``erased``, an empty body).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import msgspec

from journeyline.core.websession import web_event_id
from journeyline.model.contact import Contact
from journeyline.store.records import ERASED_KIND as TOMBSTONE_KIND
from journeyline.store.sql.query import Db, chunks, marks

#: The body of a log row (and an effect) whose content was erased.
TOMBSTONE_BODY = b"{}"
#: Projections keyed by session id, and by contact id, that an erasure clears.
_BY_SESSION = (
    ("session_events", "session_id"),
    ("deadlines", "session_id"),
    ("criteria_progress", "scope"),
    ("segment_assignments", "session_id"),
    ("outcome_achievements", "session_id"),
    ("journey_actions", "session_id"),
    ("rule_events", "session_id"),
    ("sessions", "id"),
)
_BY_CONTACT = (
    ("identifiers", "contact_id"),
    ("audits", "contact_id"),
    ("criteria_progress", "scope"),
    ("segment_assignments", "contact_id"),
    ("journey_actions", "contact_id"),
    ("contacts", "id"),
)

_contact_decoder = msgspec.json.Decoder(Contact)


class ErasureMixin:
    _db: Db
    body_contains_sql: str  # the backend's ``Dialect``

    def sessions_of_people(
        self,
        *,
        contact_ids: Collection[str] = (),
        cookies: Collection[str] = (),
        conversation_ids: Collection[str] = (),
    ) -> list[tuple[str, str, str]]:
        """``(session id, type, customer key)`` of every session linked to one of
        ``contact_ids``, of a visitor with one of ``cookies``, or of one of
        ``conversation_ids``; the customer key is the conversation id or ``type:cookie``."""
        found: dict[str, tuple[str, str, str]] = {}
        for column, values in (
            ("external_contact_id", contact_ids),
            ("customer_id", cookies),
            ("conversation_id", conversation_ids),
        ):
            for chunk in chunks(values):
                rows = self._db.execute(
                    "SELECT id, type, conversation_id, customer_id FROM sessions"
                    f" WHERE {column} IN ({marks(chunk)})",
                    chunk,
                )
                for session_id, kind, conversation_id, customer_id in rows:
                    key = conversation_id if kind == "conversation" else f"{kind}:{customer_id}"
                    found[session_id] = (session_id, kind, key)
        return sorted(found.values())

    def log_entries(self, kind: str, partition_key: str) -> list[tuple[str, bytes]]:
        """``(key, body)`` of the log rows of one kind and partition key, in arrival order."""
        rows = self._db.execute(
            "SELECT key, body FROM event_log WHERE partition_key = ? AND kind = ? ORDER BY seq",
            (partition_key, kind),
        )
        return [(key, bytes(body)) for key, body in rows]

    def log_erase(self, *, partition_keys: Mapping[str, str], keys: Collection[str]) -> int:
        """Tombstone every log row of the partition keys given (each renamed to the key it
        maps to: a visitor's key names a cookie) and every row with one of ``keys``; returns
        how many rows were tombstoned."""
        count = 0
        for old, new in sorted(partition_keys.items()):
            count += self._db.execute(
                "UPDATE event_log SET kind = ?, body = ?, partition_key = ?"
                " WHERE partition_key = ? AND kind <> ?",
                (TOMBSTONE_KIND, TOMBSTONE_BODY, new, old, TOMBSTONE_KIND),
            ).rowcount
        for chunk in chunks(keys):
            count += self._db.execute(
                f"UPDATE event_log SET kind = ?, body = ? WHERE key IN ({marks(chunk)})"
                " AND kind <> ?",
                (TOMBSTONE_KIND, TOMBSTONE_BODY, *chunk, TOMBSTONE_KIND),
            ).rowcount
        return count

    def log_naming(self, kind: str, needles: Collection[str]) -> list[tuple[str, bytes]]:
        """``(key, body)`` of the log rows of ``kind`` (not tombstones) whose body holds one
        of ``needles``, in arrival order: one pass over the log."""
        if not needles:
            return []
        anywhere = " OR ".join([self.body_contains_sql] * len(needles))
        rows = self._db.execute(
            f"SELECT key, body FROM event_log WHERE kind = ? AND ({anywhere}) ORDER BY seq",
            (kind, *(n.encode() for n in needles)),
        )
        return [(key, bytes(body)) for key, body in rows]

    def web_event_rewrite(self, key: str, body: bytes) -> None:
        """Store a web event again with ``body``, in the log — where its session's row
        (``session_events``) reads it — and in that row too when it is older than the body
        stored once (its own copy, no ``log_key``): the same bytes in both."""
        self._db.execute("UPDATE event_log SET body = ? WHERE key = ?", (body, key))
        self._db.execute(
            "UPDATE session_events SET doc = ? WHERE id = ? AND log_key IS NULL",
            (body, web_event_id(key)),
        )

    def audit_entries(self) -> list[tuple[int, str, bytes]]:
        """``(seq, action, doc)`` of every audit entry, oldest first."""
        rows = self._db.execute("SELECT seq, action, doc FROM audits ORDER BY seq")
        return [(int(seq), action, bytes(doc)) for seq, action, doc in rows]

    def audits_delete(self, seqs: Collection[int]) -> None:
        """Delete the audit entries ``seqs``."""
        for chunk in chunks(seqs):
            self._db.execute(f"DELETE FROM audits WHERE seq IN ({marks(chunk)})", chunk)

    def erase_projections(
        self, *, contact_ids: Collection[str], session_ids: Collection[str]
    ) -> None:
        """Delete the sessions given with their events, deadlines, progress, assignments,
        achievements, actions and journey events, and the contacts given with their
        identifiers, audits, progress, assignments and actions."""
        for ids, tables in ((session_ids, _BY_SESSION), (contact_ids, _BY_CONTACT)):
            for chunk in chunks(ids):
                for table, column in tables:
                    sql = f"DELETE FROM {table} WHERE {column} IN ({marks(chunk)})"
                    self._db.execute(sql, chunk)

    def effects_erase(self, ids: Collection[str]) -> int:
        """Tombstone the effects whose body names one of ``ids`` (name ``erased``, an empty
        body; partition and position stay); returns how many."""
        count = 0
        for chunk in chunks(ids):  # one pass over the effect log per chunk of ids
            anywhere = " OR ".join([self.body_contains_sql] * len(chunk))
            count += self._db.execute(
                f"UPDATE effect_log SET name = ?, body = ? WHERE name <> ? AND ({anywhere})",
                (TOMBSTONE_KIND, TOMBSTONE_BODY, TOMBSTONE_KIND, *(v.encode() for v in chunk)),
            ).rowcount
        return count

    def outbox_erase(self, ids: Collection[str]) -> int:
        """Delete the flow deliveries (pending, delivered or dead) whose body names one of
        ``ids``; returns how many."""
        count = 0
        for chunk in chunks(ids):
            anywhere = " OR ".join([self.body_contains_sql] * len(chunk))
            sql = f"DELETE FROM outbox WHERE {anywhere}"
            count += self._db.execute(sql, [v.encode() for v in chunk]).rowcount
        return count

    # -- erased customers ----------------------------------------------------------------------

    def erased_customers_put(self, digests: Collection[str], until_ms: int) -> None:
        """Refuse the customers of ``digests`` new events until ``until_ms``."""
        self._db.executemany(
            "INSERT INTO erased_customers (digest, until_ms) VALUES (?, ?)"
            " ON CONFLICT (digest) DO UPDATE SET until_ms = excluded.until_ms",
            [(digest, until_ms) for digest in sorted(set(digests))],
        )

    def erased_customers_among(self, digests: Collection[str], now_ms: int) -> set[str]:
        """Those of ``digests`` whose refusal still holds at ``now_ms``."""
        found: set[str] = set()
        for chunk in chunks(digests):
            rows = self._db.execute(
                f"SELECT digest FROM erased_customers WHERE digest IN ({marks(chunk)})"
                " AND until_ms > ?",
                (*chunk, now_ms),
            )
            found.update(digest for (digest,) in rows)
        return found

    def erased_customers_any(self, now_ms: int) -> bool:
        """Whether any refusal still holds at ``now_ms``."""
        found = self._db.execute(
            "SELECT 1 FROM erased_customers WHERE until_ms > ? LIMIT 1", (now_ms,)
        ).fetchone()
        return found is not None

    def erased_customers_prune(self, now_ms: int) -> int:
        """Forget the refusals that ended before ``now_ms``; returns how many."""
        return int(
            self._db.execute("DELETE FROM erased_customers WHERE until_ms <= ?", (now_ms,)).rowcount
        )

    # -- expiry -------------------------------------------------------------------------------

    def contacts_expired(self, now_ms: int) -> list[Contact]:
        """Contacts in no merge set whose expiry (``core.identity.expiry_ms``) is before
        ``now_ms``, earliest first."""
        rows = self._db.execute(
            "SELECT doc FROM contacts WHERE expires_ms < ? AND canonical_id IS NULL"
            " ORDER BY expires_ms, id",
            (now_ms,),
        )
        return [_contact_decoder.decode(doc) for (doc,) in rows]

    def next_contact_expiry(self) -> int | None:
        """The earliest expiry of a contact in no merge set (epoch ms), None if none expires."""
        row = self._db.execute(
            "SELECT MIN(expires_ms) FROM contacts WHERE canonical_id IS NULL"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None
