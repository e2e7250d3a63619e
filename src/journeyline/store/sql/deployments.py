"""Web deployments and their identify secrets (``deployments``, ``deployment_secrets``)."""

from __future__ import annotations

import msgspec

from journeyline.model.contact import Deployment
from journeyline.store.sql.query import Db

_deployment_decoder = msgspec.json.Decoder(Deployment)
_encoder = msgspec.json.Encoder()


class DeploymentMixin:
    _db: Db

    def deployment_put(self, deployment: Deployment) -> None:
        self._db.execute(
            "INSERT INTO deployments (id, name, write_key, doc, created_ms, modified_ms)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
            " write_key = excluded.write_key, doc = excluded.doc,"
            " modified_ms = excluded.modified_ms",
            (
                deployment.id,
                deployment.name,
                deployment.write_key,
                _encoder.encode(deployment),
                deployment.created_ms,
                deployment.modified_ms,
            ),
        )

    def deployment_get(self, deployment_id: str) -> Deployment | None:
        row = self._db.execute(
            "SELECT doc FROM deployments WHERE id = ?", (deployment_id,)
        ).fetchone()
        return _deployment_decoder.decode(row[0]) if row else None

    def deployment_by_write_key(self, write_key: str) -> Deployment | None:
        row = self._db.execute(
            "SELECT doc FROM deployments WHERE write_key = ?", (write_key,)
        ).fetchone()
        return _deployment_decoder.decode(row[0]) if row else None

    def deployments(self) -> list[Deployment]:
        rows = self._db.execute("SELECT doc FROM deployments ORDER BY name, id")
        return [_deployment_decoder.decode(doc) for (doc,) in rows]

    def deployment_delete(self, deployment_id: str) -> bool:
        self._db.execute("DELETE FROM deployment_secrets WHERE deployment_id = ?", (deployment_id,))
        cursor = self._db.execute("DELETE FROM deployments WHERE id = ?", (deployment_id,))
        return cursor.rowcount > 0

    def deployment_secret_put(self, deployment_id: str, secret: str, now_ms: int) -> None:
        """A deployment's identify secret (a new one replaces the old)."""
        self._db.execute(
            "INSERT INTO deployment_secrets (deployment_id, secret, created_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (deployment_id) DO UPDATE SET secret = excluded.secret,"
            " created_ms = excluded.created_ms",
            (deployment_id, secret, now_ms),
        )

    def deployment_secret(self, deployment_id: str) -> str | None:
        row = self._db.execute(
            "SELECT secret FROM deployment_secrets WHERE deployment_id = ?", (deployment_id,)
        ).fetchone()
        return str(row[0]) if row else None
