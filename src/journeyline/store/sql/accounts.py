"""Desktop accounts, their sign-in sessions, the server's secrets (``accounts``,
``desktop_sessions``, ``server_secrets``)."""

from __future__ import annotations

from collections.abc import Collection

from journeyline.store.records import Account, DesktopSession
from journeyline.store.sql.query import Db, chunks, marks

_ACCOUNT = (
    "user_id, email, password_hash, role, created_ms, modified_ms, failed_attempts, locked_until_ms"
)
_SESSION = "token_hash, user_id, csrf_token, created_ms, expires_ms, last_seen_ms"


class AccountsMixin:
    _db: Db

    def account_put(self, account: Account) -> None:
        self._db.execute(
            f"INSERT INTO accounts ({_ACCOUNT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,"
            " password_hash = excluded.password_hash, role = excluded.role,"
            " modified_ms = excluded.modified_ms, failed_attempts = excluded.failed_attempts,"
            " locked_until_ms = excluded.locked_until_ms",
            (
                account.user_id,
                account.email,
                account.password_hash,
                account.role,
                account.created_ms,
                account.modified_ms,
                account.failed_attempts,
                account.locked_until_ms,
            ),
        )

    def account_get(self, user_id: str) -> Account | None:
        row = self._db.execute(
            f"SELECT {_ACCOUNT} FROM accounts WHERE user_id = ?", (user_id,)
        ).fetchone()
        return Account(*row) if row else None

    def account_by_email(self, email: str) -> Account | None:
        row = self._db.execute(
            f"SELECT {_ACCOUNT} FROM accounts WHERE email = ?", (email,)
        ).fetchone()
        return Account(*row) if row else None

    def accounts_of(self, user_ids: Collection[str]) -> dict[str, Account]:
        found: dict[str, Account] = {}
        for chunk in chunks(user_ids):
            rows = self._db.execute(
                f"SELECT {_ACCOUNT} FROM accounts WHERE user_id IN ({marks(chunk)})", chunk
            )
            found.update((row[0], Account(*row)) for row in rows)
        return found

    def account_delete(self, user_id: str) -> bool:
        self._db.execute("DELETE FROM desktop_sessions WHERE user_id = ?", (user_id,))
        cursor = self._db.execute("DELETE FROM accounts WHERE user_id = ?", (user_id,))
        return cursor.rowcount > 0

    def desktop_session_put(self, session: DesktopSession) -> None:
        self._db.execute(
            f"INSERT INTO desktop_sessions ({_SESSION}) VALUES (?, ?, ?, ?, ?, ?)",
            (
                session.token_hash,
                session.user_id,
                session.csrf_token,
                session.created_ms,
                session.expires_ms,
                session.last_seen_ms,
            ),
        )

    def desktop_session_get(self, token_hash: str) -> tuple[DesktopSession, Account] | None:
        columns = ", ".join(f"a.{c}" for c in _ACCOUNT.split(", "))
        row = self._db.execute(
            f"SELECT s.token_hash, s.user_id, s.csrf_token, s.created_ms, s.expires_ms,"
            f" s.last_seen_ms, {columns} FROM desktop_sessions s"
            " JOIN accounts a ON a.user_id = s.user_id WHERE s.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return (DesktopSession(*row[:6]), Account(*row[6:])) if row else None

    def desktop_session_touch(self, token_hash: str, last_seen_ms: int, expires_ms: int) -> None:
        self._db.execute(
            "UPDATE desktop_sessions SET last_seen_ms = ?, expires_ms = ? WHERE token_hash = ?",
            (last_seen_ms, expires_ms, token_hash),
        )

    def desktop_session_delete(self, token_hash: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM desktop_sessions WHERE token_hash = ?", (token_hash,)
        )
        return cursor.rowcount > 0

    def desktop_sessions_end(self, user_id: str) -> int:
        cursor = self._db.execute("DELETE FROM desktop_sessions WHERE user_id = ?", (user_id,))
        return cursor.rowcount

    def desktop_sessions_prune(self, now_ms: int) -> int:
        cursor = self._db.execute("DELETE FROM desktop_sessions WHERE expires_ms <= ?", (now_ms,))
        return cursor.rowcount

    def server_secret(self, name: str, candidate: str, now_ms: int) -> str:
        self._db.execute(
            "INSERT INTO server_secrets (name, value, created_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, candidate, now_ms),
        )
        (value,) = self._db.execute(
            "SELECT value FROM server_secrets WHERE name = ?", (name,)
        ).fetchone()
        return str(value)
