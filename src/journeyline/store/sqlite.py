"""The embedded store: one SQLite file in WAL mode (``sqlite:///path/to/file.db``).

One connection per ``SqliteStore``; the process has one writer (the ingest thread) and readers
on their own connections. ``transaction()`` takes the write lock with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from yoyo import get_backend, read_migrations

from journeyline.errors import StoreError
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebEvent
from journeyline.store import codec
from journeyline.store.base import (
    AnySession,
    ConversationWrite,
    DirectoryEntry,
    LogRecord,
    OAuthClient,
    Page,
    register_backend,
)
from journeyline.store.sqlite_effects import EffectsMixin
from journeyline.store.sqlite_people import PeopleMixin

MIGRATIONS = Path(__file__).parent / "migrations" / "sqlite"


def path_of(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise StoreError(f"not a sqlite URL: {url} (expected sqlite:///path/to/file.db)")
    return Path(url.removeprefix("sqlite:///"))


def migrate(url: str) -> None:
    path = path_of(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = get_backend(f"sqlite:///{path}")
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(MIGRATIONS))))


def _decode_session(kind: str, doc: bytes) -> AnySession:
    if kind == "conversation":
        return codec.decode_session(doc)
    return codec.decode_web_session(doc)


class SqliteStore(PeopleMixin, EffectsMixin):
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._db = sqlite3.connect(
                path_of(url), isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {url}: {exc}") from exc

    @classmethod
    def open(cls, url: str) -> SqliteStore:
        migrate(url)
        return cls(url)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot begin a transaction: {exc}") from exc
        try:
            yield
        except sqlite3.Error as exc:  # driver errors are translated here, once
            self._db.execute("ROLLBACK")
            raise StoreError(f"the store failed: {exc}") from exc
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"commit failed: {exc}") from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested unit inside a transaction: undone alone when its block raises."""
        self._db.execute("SAVEPOINT unit")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO unit")
            self._db.execute("RELEASE unit")
            raise
        self._db.execute("RELEASE unit")

    # -- the event log --------------------------------------------------------------------

    def append(self, records: Sequence[LogRecord]) -> set[str]:
        if not records:
            return set()
        keys = list({r.key for r in records})
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key FROM event_log WHERE key IN ({marks})", chunk)
            existing.update(key for (key,) in rows)
        new: dict[str, LogRecord] = {}
        for r in records:
            if r.key not in existing and r.key not in new:
                new[r.key] = r
        self._db.executemany(
            "INSERT INTO event_log (key, kind, partition_key, received_ms, body, unit)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(r.key, r.kind, r.partition_key, r.received_ms, r.body, r.unit) for r in new.values()],
        )
        return set(new)

    def log_for_partition(self, kind: str, partition_key: str) -> list[bytes]:
        rows = self._db.execute(
            "SELECT body FROM event_log WHERE partition_key = ? AND kind = ? ORDER BY seq",
            (partition_key, kind),
        )
        return [bytes(body) for (body,) in rows]

    def iter_all_log(self) -> Iterator[tuple[int, str, str, bytes]]:
        """Every logged input ``(unit, key, kind, body)`` in arrival order."""
        rows = self._db.execute("SELECT unit, key, kind, body FROM event_log ORDER BY seq")
        for unit, key, kind, body in rows:
            yield int(unit), key, kind, bytes(body)

    def last_seq(self) -> int:
        (seq,) = self._db.execute("SELECT coalesce(max(seq), 0) FROM event_log").fetchone()
        return int(seq)

    def last_unit(self) -> int:
        (unit,) = self._db.execute("SELECT coalesce(max(unit), 0) FROM event_log").fetchone()
        return int(unit)

    def log_count(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM event_log").fetchone()
        return int(count)

    # -- projections ----------------------------------------------------------------------

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
        sql = "SELECT type, doc FROM sessions WHERE 1 = 1"
        args: list[object] = []
        if contact_ids is not None:
            sql += f" AND external_contact_id IN ({','.join('?' * len(contact_ids))})"
            args += list(contact_ids)
        if after:
            created, last_id = codec.read_cursor(after)
            sql += " AND (created_ms < ? OR (created_ms = ? AND id < ?))"
            args += [created, created, last_id]
        sql += " ORDER BY created_ms DESC, id DESC LIMIT ?"
        rows = self._db.execute(sql, [*args, page_size + 1]).fetchall()
        items = [_decode_session(kind, doc) for kind, doc in rows[:page_size]]
        more = len(rows) > page_size
        cursor = codec.make_cursor(items[-1].created_ms, items[-1].id) if more else None
        return Page(items, cursor)

    def session_events(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[SessionEvent]:
        """Oldest first: the journey map reads left to right."""
        docs = self.event_docs(session_id, after=after, page_size=page_size, names=names)
        return Page([codec.decode_event(doc) for doc in docs.items], docs.next_cursor)

    def web_events_page(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[WebEvent]:
        docs = self.event_docs(session_id, after=after, page_size=page_size, names=names)
        return Page([codec.decode_web_event(doc) for doc in docs.items], docs.next_cursor)

    def event_docs(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[bytes]:
        """A page of a session's stored event documents, oldest first, by ``(created, id)``."""
        sql = "SELECT created_ms, id, doc FROM session_events WHERE session_id = ?"
        args: list[object] = [session_id]
        if names:
            sql += f" AND event_name IN ({','.join('?' * len(names))})"
            args += list(names)
        if after:
            created, last_id = codec.read_cursor(after)
            sql += " AND (created_ms > ? OR (created_ms = ? AND id > ?))"
            args += [created, created, last_id]
        sql += " ORDER BY created_ms, id LIMIT ?"
        rows = self._db.execute(sql, [*args, page_size + 1]).fetchall()
        more = len(rows) > page_size
        rows = rows[:page_size]
        cursor = codec.make_cursor(rows[-1][0], rows[-1][1]) if more else None
        return Page([bytes(row[2]) for row in rows], cursor)

    def clear_projections(self) -> None:
        for table in (
            "session_events",
            "sessions",
            "contacts",
            "identifiers",
            "audits",
            "deadlines",
        ):
            self._db.execute(f"DELETE FROM {table}")

    def projection_rows(self) -> dict[str, list[tuple[object, ...]]]:
        return {
            table: self._db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("sessions", "session_events", "contacts", "identifiers")
        }

    # -- directory ------------------------------------------------------------------------

    def directory_put(self, entry: DirectoryEntry) -> None:
        self._db.execute(
            "INSERT INTO directory (kind, id, name, modified_ms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO UPDATE SET name = excluded.name,"
            " modified_ms = excluded.modified_ms",
            (entry.kind, entry.id, entry.name, entry.modified_ms),
        )

    def directory_get(self, kind: str, entry_id: str) -> DirectoryEntry | None:
        row = self._db.execute(
            "SELECT kind, id, name, modified_ms FROM directory WHERE kind = ? AND id = ?",
            (kind, entry_id),
        ).fetchone()
        return DirectoryEntry(*row) if row else None

    def directory_list(
        self, kind: str, *, page_number: int, page_size: int, name: str | None
    ) -> tuple[list[DirectoryEntry], int]:
        where = "kind = ?"
        args: list[object] = [kind]
        if name:
            where += " AND name LIKE ? ESCAPE '\\'"
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(escaped.replace("*", "%"))
        (total,) = self._db.execute(
            f"SELECT count(*) FROM directory WHERE {where}", args
        ).fetchone()
        rows = self._db.execute(
            f"SELECT kind, id, name, modified_ms FROM directory WHERE {where}"
            " ORDER BY name, id LIMIT ? OFFSET ?",
            [*args, page_size, (page_number - 1) * page_size],
        )
        return [DirectoryEntry(*row) for row in rows], int(total)

    def directory_delete(self, kind: str, entry_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM directory WHERE kind = ? AND id = ?", (kind, entry_id)
        )
        return cursor.rowcount > 0

    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT id, name FROM directory WHERE kind = ? AND id IN ({marks})", [kind, *ids]
        )
        return dict(rows)

    # -- OAuth ----------------------------------------------------------------------------

    def client_put(self, client: OAuthClient) -> None:
        self._db.execute(
            "INSERT INTO oauth_clients (client_id, secret_hash, name, role, created_ms)"
            " VALUES (?, ?, ?, ?, ?)",
            (client.client_id, client.secret_hash, client.name, client.role, client.created_ms),
        )

    def client_get(self, client_id: str) -> OAuthClient | None:
        row = self._db.execute(
            "SELECT client_id, secret_hash, name, role, created_ms FROM oauth_clients"
            " WHERE client_id = ?",
            (client_id,),
        ).fetchone()
        return OAuthClient(*row) if row else None

    def token_put(self, token_hash: str, client_id: str, expires_ms: int) -> None:
        self._db.execute(
            "INSERT INTO oauth_tokens (token_hash, client_id, expires_ms) VALUES (?, ?, ?)",
            (token_hash, client_id, expires_ms),
        )

    def token_get(self, token_hash: str) -> tuple[OAuthClient, int] | None:
        row = self._db.execute(
            "SELECT c.client_id, c.secret_hash, c.name, c.role, c.created_ms, t.expires_ms"
            " FROM oauth_tokens t JOIN oauth_clients c ON c.client_id = t.client_id"
            " WHERE t.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return (OAuthClient(*row[:5]), int(row[5])) if row else None


register_backend("sqlite", SqliteStore.open)
