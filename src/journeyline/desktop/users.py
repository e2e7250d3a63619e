"""Users: directory entries whose names show on cards, and the accounts that sign in as them.

A user is a directory entry of kind ``user`` (``/api/v2/users``, the agent named on session
cards) and, once it has an email, an account: the email (normalised, one account's only), a
role (``agent``, ``supervisor`` or ``admin``) and an argon2id hash of its password. Without a
password the account cannot sign in. The API (``api/users.py``) and the command line
(``journeyline users create``) change users through :func:`put_user` and :func:`delete_user`,
inside the caller's transaction; they hash the password first, with :func:`hash_password`,
which is slow on purpose (call it off the event loop).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from argon2 import PasswordHasher

from journeyline.api.auth import DESKTOP_ROLES
from journeyline.ingest.identifiers import normalise_email
from journeyline.model.errors import Conflict, InvalidInput
from journeyline.store.base import Account, DirectoryEntry, Store

#: argon2id with argon2-cffi's default parameters (RFC 9106's low-memory profile). A hash made
#: with other parameters is replaced at the next sign-in.
PASSWORDS = PasswordHasher()
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
MAX_NAME = MAX_EMAIL = 256


@dataclass(frozen=True, slots=True)
class User:
    entry: DirectoryEntry
    account: Account | None


@dataclass(frozen=True, slots=True)
class UserChange:
    """What to set on a user, validated; None leaves a field as it is (for a new user: no
    account without an email, the agent role)."""

    name: str | None = None
    email: str | None = None
    role: str | None = None
    password: str | None = None

    @classmethod
    def of(
        cls,
        *,
        name: str | None = None,
        email: str | None = None,
        role: str | None = None,
        password: str | None = None,
    ) -> UserChange:
        """A change from what a client sent: a 400 naming the first field that is wrong."""
        if name is not None:
            name = name.strip()
            if not name or len(name) > MAX_NAME:
                raise InvalidInput(f"name must be 1 to {MAX_NAME} characters", field="name")
        if email is not None:
            if len(email) > MAX_EMAIL:
                raise InvalidInput(f"email must be at most {MAX_EMAIL} characters", field="email")
            email = normalise_email(email.strip())
        if role is not None and role not in DESKTOP_ROLES:
            raise InvalidInput(f"role must be one of {', '.join(DESKTOP_ROLES)}", field="role")
        if password is not None:
            check_password(password)
        return cls(name, email, role, password)

    @property
    def touches_account(self) -> bool:
        """Whether it sets what only ``users:admin`` may: an email, a role or a password."""
        return (self.email, self.role, self.password) != (None, None, None)


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )


def hash_password(password: str) -> str:
    """The argon2id hash of a password (about 0.1 s and 64 MiB: run it in a thread)."""
    return PASSWORDS.hash(password)


def get_user(store: Store, user_id: str) -> User | None:
    entry = store.directory_get("user", user_id)
    return None if entry is None else User(entry, store.account_get(user_id))


def put_user(
    store: Store, user_id: str, change: UserChange, password_hash: str | None, now_ms: int
) -> User:
    """Create the user, or change the one there, in the caller's transaction. ``password_hash``
    is the hash of ``change.password`` (None: the password stays as it is). A new password
    ends the user's sign-in sessions and lifts a lock-out."""
    old = get_user(store, user_id)
    name = change.name or (old.entry.name if old else None)
    if name is None:
        raise InvalidInput("name is required", field="name")
    account = old.account if old else None
    if change.touches_account:
        account = _changed_account(store, user_id, account, change, password_hash, now_ms)
        store.account_put(account)
        if password_hash is not None:
            store.desktop_sessions_end(user_id)
    entry = DirectoryEntry("user", user_id, name, now_ms)
    store.directory_put(entry)
    return User(entry, account)


def _changed_account(
    store: Store,
    user_id: str,
    account: Account | None,
    change: UserChange,
    password_hash: str | None,
    now_ms: int,
) -> Account:
    email = change.email or (account.email if account else None)
    if email is None:
        field = "password" if change.password is not None else "role"
        raise InvalidInput(f"a user with a {field} needs an email too", field="email")
    holder = store.account_by_email(email)
    if holder is not None and holder.user_id != user_id:
        raise Conflict(f"another user has the email {email}", field="email")
    if account is None:
        account = Account(user_id, email, None, DESKTOP_ROLES[0], now_ms, now_ms)
    account = replace(account, email=email, role=change.role or account.role, modified_ms=now_ms)
    if password_hash is not None:
        account = replace(account, password_hash=password_hash, failed_attempts=0)
        account = replace(account, locked_until_ms=None)
    return account


def delete_user(store: Store, user_id: str) -> bool:
    """Delete the user's directory entry, account and sign-in sessions; False when none."""
    had_account = store.account_delete(user_id)
    return store.directory_delete("user", user_id) or had_account
