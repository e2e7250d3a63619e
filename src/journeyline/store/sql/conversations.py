"""Conversation sessions and their journey events (``sessions``, ``session_events``),
and the newest-first listing of sessions of every type."""

from __future__ import annotations

from collections.abc import Sequence

from journeyline.model.errors import StoreError
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.store import codec
from journeyline.store.records import ERASED_KIND, AnySession, ConversationWrite, Page
from journeyline.store.sql.query import Db, time_page, where_in


def _decode_session(kind: str, doc: bytes) -> AnySession:
    if kind == "conversation":
        return codec.decode_session(doc)
    return codec.decode_web_session(doc)


#: A stored session event's document (``session_events AS e``): its own ``doc``, or — a web
#: event, whose body is stored once — the body of its log row (``log_key``, migration 0014);
#: NULL when that row is gone or is a tombstone (an erasure's: its body is no event).
EVENT_DOC = (
    "CASE WHEN e.log_key IS NULL THEN e.doc"
    " ELSE (SELECT l.body FROM event_log l WHERE l.key = e.log_key"
    f" AND l.kind <> '{ERASED_KIND}') END"
)


def stored_doc(value: bytes | memoryview | None) -> bytes:
    """A value :data:`EVENT_DOC` selected: None when a web event's log row is gone or erased,
    which the engine never lets happen (it logs each event before its session stores it, and
    an erasure deletes the sessions of the rows it tombstones)."""
    if value is None:
        raise StoreError("a web event of a session has no body in the log")
    return bytes(value)


def event_docs(
    db: Db,
    session_id: str,
    *,
    after: str | None,
    page_size: int,
    names: Sequence[str],
) -> Page[bytes]:
    """A page of a session's stored event documents, oldest first, by ``(created, id)``."""
    clause, args = where_in("event_name", names)
    rows, cursor = time_page(
        db,
        f"SELECT {EVENT_DOC}, created_ms, id FROM session_events e WHERE session_id = ?{clause}",
        [session_id, *args],
        after=after,
        page_size=page_size,
    )
    return Page([stored_doc(row[0]) for row in rows], cursor)


class ConversationMixin:
    _db: Db

    def save_conversations(self, writes: Sequence[ConversationWrite]) -> None:
        """Upsert conversation sessions and their journey events, one statement per kind of row.

        Contact links are left to ``link_session``."""
        if not writes:
            return
        self._db.executemany(
            "INSERT INTO sessions (id, type, conversation_id, customer_id, customer_id_type,"
            " external_contact_id, contact_verified, created_ms, ended_ms, last_event_ms, doc)"
            " VALUES (?, 'conversation', ?, ?, ?, NULL, 0, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
            " customer_id_type = excluded.customer_id_type, created_ms = excluded.created_ms,"
            " ended_ms = excluded.ended_ms, last_event_ms = excluded.last_event_ms,"
            " doc = excluded.doc",
            [
                (
                    w.session.id,
                    w.session.conversation_id,
                    w.session.customer_id,
                    w.session.customer_id_type,
                    w.session.created_ms,
                    w.session.ended_ms,
                    w.session.latest_ms,
                    codec.encode(w.session),
                )
                for w in writes
            ],
        )
        self._db.executemany(
            "DELETE FROM session_events WHERE session_id = ?",
            [(w.session.id,) for w in writes if w.replace_all],
        )
        self._db.executemany(
            "DELETE FROM session_events WHERE id = ?",
            [(i,) for w in writes if not w.replace_all for i in w.delete_ids],
        )
        self._db.executemany(
            "INSERT INTO session_events (id, session_id, created_ms, event_name, doc)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " created_ms = excluded.created_ms, doc = excluded.doc",
            [
                (e.id, e.session_id, e.created_ms, e.event_name, codec.encode(e))
                for w in writes
                for e in w.upsert
            ],
        )

    def get_session(self, session_id: str) -> ConversationSession | None:
        row = self._db.execute(
            "SELECT doc FROM sessions WHERE id = ? AND type = 'conversation'", (session_id,)
        ).fetchone()
        return codec.decode_session(row[0]) if row else None

    def sessions_for_conversation(self, conversation_id: str) -> list[ConversationSession]:
        rows = self._db.execute(
            "SELECT doc FROM sessions WHERE conversation_id = ? AND type = 'conversation'",
            (conversation_id,),
        )
        return [codec.decode_session(doc) for (doc,) in rows]

    def recent_sessions(
        self, *, after: str | None, page_size: int, contact_ids: Sequence[str] | None = None
    ) -> Page[AnySession]:
        """Sessions newest first, all of them or those linked to some contacts."""
        clause, args = where_in("external_contact_id", contact_ids or ())
        if contact_ids is not None and not contact_ids:
            clause = " AND 1 = 0"  # no contacts: no sessions
        rows, cursor = time_page(
            self._db,
            f"SELECT type, doc, created_ms, id FROM sessions WHERE 1 = 1{clause}",
            args,
            after=after,
            page_size=page_size,
            newest_first=True,
        )
        items = [_decode_session(kind, doc) for kind, doc, _, _ in rows]
        return Page(items, cursor)

    def sessions_live(self, *, since_ms: int, limit: int) -> list[AnySession]:
        # open conversations first, the longest open first (the longest waits are the ones a
        # busy Now view must keep), then the recently active ones, newest first
        rows = self._db.execute(
            "SELECT type, doc, created_ms, id, 0 AS rank, created_ms AS k FROM sessions"
            " WHERE type = 'conversation' AND ended_ms IS NULL"
            " UNION ALL SELECT type, doc, created_ms, id, 1, -created_ms FROM sessions"
            " WHERE ended_ms >= ?"
            " UNION ALL SELECT type, doc, created_ms, id, 1, -created_ms FROM sessions"
            " WHERE type != 'conversation' AND last_event_ms >= ?"
            " ORDER BY 5, 6, 4 LIMIT ?",
            (since_ms, since_ms, limit),
        )
        found = [
            (created, sid, _decode_session(kind, doc)) for kind, doc, created, sid, _, _ in rows
        ]
        found.sort(key=lambda row: (row[0], row[1]), reverse=True)
        return [session for _, _, session in found]

    def session_events(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[SessionEvent]:
        """Oldest first: the journey map reads left to right."""
        docs = event_docs(self._db, session_id, after=after, page_size=page_size, names=names)
        return Page([codec.decode_event(doc) for doc in docs.items], docs.next_cursor)
