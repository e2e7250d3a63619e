"""Secrets at rest (issue 10): what would let someone in — an OAuth client's secret, a bearer
token, a desktop session's cookie, a password — is never stored as it is. After a real run
through the app on a real SQLite file (a client minting a token, a user made with a password
signing in), every value of every table is read back: none of them holds one of those, and the
client secret, the token and the session are there as their SHA-256, the password as argon2id."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from starlette.testclient import TestClient

from conftest import bearer, make_client
from journeyline.api.app import create_app
from journeyline.config import Settings
from signing_in import PASSWORD, sign_in


def stored_values(path: Path) -> list[str]:
    """Every value of every table of the SQLite file, as text."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            str(value)
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')
            for value in row
            if value is not None
        ]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_secrets_tokens_sessions_and_passwords_are_kept_only_as_hashes(tmp_path: Path) -> None:
    path = tmp_path / "journeyline.db"
    settings = Settings(store_url=f"sqlite:///{path}")
    client_id, secret = make_client(settings.store_url)
    with TestClient(create_app(settings)) as client:
        headers = bearer(client, (client_id, secret))
        token = headers["Authorization"].removeprefix("Bearer ")
        user = {"name": "Ann", "email": "ann@example.com", "password": PASSWORD, "role": "agent"}
        assert client.post("/api/v2/users", json=user, headers=headers).status_code == 200
        signed = sign_in(client)
        assert signed.status_code == 303, signed.text
        session = signed.cookies["jl_session"]
    values = stored_values(path)
    everything = "\n".join(values)
    for plain in (secret, token, session, PASSWORD):
        assert plain not in everything
    for plain in (secret, token, session):
        assert sha256(plain) in values
    assert any(v.startswith("$argon2id$") for v in values)
