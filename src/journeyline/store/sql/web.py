"""Web and app sessions (rows of ``sessions`` of type ``web`` or ``app``) and their
events (``session_events`` of type ``WebEvent`` or ``AppEvent``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import msgspec

from journeyline.core.websession import web_event_id
from journeyline.model.web import WebEvent, WebSession
from journeyline.store import codec
from journeyline.store.records import Page, WebSessionWrite
from journeyline.store.sql.conversations import EVENT_DOC, event_docs, stored_doc
from journeyline.store.sql.query import Db, chunks, marks

_web_session_decoder = msgspec.json.Decoder(WebSession)
_web_event_decoder = msgspec.json.Decoder(WebEvent)
_encoder = msgspec.json.Encoder()


class WebMixin:
    _db: Db

    def save_web_sessions(self, writes: Sequence[WebSessionWrite]) -> None:
        """Upsert web sessions with their contact link; each write's ``events`` are added to the
        session, or replace its events when ``replace`` is set. One statement for all rows."""
        if not writes:
            return
        self._db.executemany(
            "INSERT INTO sessions (id, type, customer_id, customer_id_type, external_contact_id,"
            " contact_verified, created_ms, ended_ms, last_event_ms, doc)"
            " VALUES (?, ?, ?, 'cookie', ?, ?, ?, NULL, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " external_contact_id = excluded.external_contact_id,"
            " contact_verified = excluded.contact_verified, created_ms = excluded.created_ms,"
            " last_event_ms = excluded.last_event_ms, doc = excluded.doc",
            [
                (
                    w.session.id,
                    w.session.type,
                    w.session.customer_cookie_id,
                    w.contact_id,
                    int(w.level),
                    w.session.created_ms,
                    w.session.last_event_ms,
                    _encoder.encode(w.session),
                )
                for w in writes
            ],
        )
        self._db.executemany(
            "DELETE FROM session_events WHERE session_id = ?",
            [(w.session.id,) for w in writes if w.replace],
        )
        self._db.executemany(
            "INSERT INTO session_events"
            " (id, session_id, created_ms, event_name, event_type, doc, log_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " session_id = excluded.session_id",
            [
                (
                    web_event_id(e.key),
                    w.session.id,
                    e.created_ms,
                    e.event_name,
                    "AppEvent" if e.session_type == "app" else "WebEvent",
                    b"",  # the body is the log row's (EVENT_DOC)
                    e.key,
                )
                for w in writes
                for e in w.events
            ],
        )

    def delete_session(self, session_id: str) -> None:
        self._db.execute("DELETE FROM session_events WHERE session_id = ?", (session_id,))
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def web_session_get(self, session_id: str) -> WebSession | None:
        row = self._db.execute(
            "SELECT doc FROM sessions WHERE id = ? AND type IN ('web', 'app')", (session_id,)
        ).fetchone()
        return _web_session_decoder.decode(row[0]) if row else None

    def session_of_event(self, event_id: str) -> str | None:
        row = self._db.execute(
            "SELECT session_id FROM session_events WHERE id = ?", (event_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def web_events_of(self, customer_id: str, session_type: str) -> list[WebEvent]:
        rows = self._db.execute(
            f"SELECT {EVENT_DOC} FROM session_events e JOIN sessions s ON s.id = e.session_id"
            " WHERE s.customer_id = ? AND s.type = ?",
            (customer_id, session_type),
        )
        return [_web_event_decoder.decode(stored_doc(doc)) for (doc,) in rows]

    def customer_web_sessions(self, customer_id: str, session_type: str) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM sessions WHERE customer_id = ? AND type = ?",
            (customer_id, session_type),
        )
        return [r[0] for r in rows]

    def web_session_at(self, customer_id: str, at_ms: int) -> str | None:
        """The web or app session of a visitor (cookie) that was going on at ``at_ms``."""
        row = self._db.execute(
            "SELECT id FROM sessions WHERE customer_id = ? AND type IN ('web', 'app')"
            " AND created_ms <= ? AND last_event_ms >= ? ORDER BY created_ms DESC, id LIMIT 1",
            (customer_id, at_ms, at_ms),
        ).fetchone()
        return str(row[0]) if row else None

    def customers_with_sessions(self, customer_ids: Collection[str], session_type: str) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(customer_ids):
            rows = self._db.execute(
                "SELECT DISTINCT customer_id FROM sessions WHERE type = ?"
                f" AND customer_id IN ({marks(chunk)})",
                [session_type, *chunk],
            )
            found.update(r[0] for r in rows)
        return found

    def web_events_page(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[WebEvent]:
        docs = event_docs(self._db, session_id, after=after, page_size=page_size, names=names)
        return Page([codec.decode_web_event(doc) for doc in docs.items], docs.next_cursor)
