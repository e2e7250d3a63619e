"""OAuth clients and their tokens (``oauth_clients``, ``oauth_tokens``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeyline.store.records import OAuthClient
from journeyline.store.sql.query import Db

_COLUMNS = "client_id, secret_hash, name, role, created_ms, description, state, modified_ms"
_CLIENT = ", ".join(f"c.{c.strip()}" for c in _COLUMNS.split(","))


def _client(row: Sequence[Any]) -> OAuthClient:
    """A row of ``_COLUMNS`` (the record's fields, in its order)."""
    return OAuthClient(*row)


class AuthMixin:
    _db: Db

    def client_put(self, client: OAuthClient) -> None:
        self._db.execute(
            f"INSERT INTO oauth_clients ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client.client_id,
                client.secret_hash,
                client.name,
                client.role,
                client.created_ms,
                client.description,
                client.state,
                client.modified_ms,
            ),
        )

    def client_update(self, client: OAuthClient) -> bool:
        cursor = self._db.execute(
            "UPDATE oauth_clients SET secret_hash = ?, name = ?, role = ?, description = ?,"
            " state = ?, modified_ms = ? WHERE client_id = ?",
            (
                client.secret_hash,
                client.name,
                client.role,
                client.description,
                client.state,
                client.modified_ms,
                client.client_id,
            ),
        )
        return cursor.rowcount > 0

    def client_delete(self, client_id: str) -> bool:
        self._db.execute("DELETE FROM oauth_tokens WHERE client_id = ?", (client_id,))
        cursor = self._db.execute("DELETE FROM oauth_clients WHERE client_id = ?", (client_id,))
        return cursor.rowcount > 0

    def client_get(self, client_id: str) -> OAuthClient | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM oauth_clients WHERE client_id = ?", (client_id,)
        ).fetchone()
        return _client(row) if row else None

    def clients(self) -> list[OAuthClient]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM oauth_clients ORDER BY name, client_id"
        ).fetchall()
        return [_client(row) for row in rows]

    def token_put(self, token_hash: str, client_id: str, expires_ms: int) -> None:
        self._db.execute(
            "INSERT INTO oauth_tokens (token_hash, client_id, expires_ms) VALUES (?, ?, ?)",
            (token_hash, client_id, expires_ms),
        )

    def token_get(self, token_hash: str) -> tuple[OAuthClient, int] | None:
        row = self._db.execute(
            f"SELECT {_CLIENT}, t.expires_ms"
            " FROM oauth_tokens t JOIN oauth_clients c ON c.client_id = t.client_id"
            " WHERE t.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return (_client(tuple(row[:8])), int(row[8])) if row else None

    def token_delete(self, token_hash: str) -> bool:
        cursor = self._db.execute("DELETE FROM oauth_tokens WHERE token_hash = ?", (token_hash,))
        return cursor.rowcount > 0

    def tokens_revoke(self, client_id: str) -> int:
        cursor = self._db.execute("DELETE FROM oauth_tokens WHERE client_id = ?", (client_id,))
        return cursor.rowcount

    def tokens_prune(self, now_ms: int) -> int:
        cursor = self._db.execute("DELETE FROM oauth_tokens WHERE expires_ms <= ?", (now_ms,))
        return cursor.rowcount
