"""OAuth clients and their tokens (``oauth_clients``, ``oauth_tokens``)."""

from __future__ import annotations

from journeyline.store.records import OAuthClient
from journeyline.store.sql.query import Db


class AuthMixin:
    _db: Db

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

    def clients(self) -> list[OAuthClient]:
        rows = self._db.execute(
            "SELECT client_id, secret_hash, name, role, created_ms FROM oauth_clients"
            " ORDER BY name, client_id"
        ).fetchall()
        return [OAuthClient(*row) for row in rows]

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
