"""Signing in to the desktop: sessions in a cookie, CSRF tokens, lock-out after failures.

    Accounts                 built in the app's lifespan (``Services.accounts``)
     ├── sign_in             email and password -> a new session token and who signed in
     ├── user_for            the request's session cookie -> who is signed in, or None (async)
     ├── sign_out            end a session
     ├── check_csrf          a form's token: the session's, or the sign-in form's signed one
     ├── signin_csrf         the sign-in form's token and its cookie's nonce
     └── secure              whether the request came over https (cookies get ``Secure``)
    accounts_of(request)     the app's Accounts
    require(signed_in, p)    what the role may do (``ROLES`` in ``api/auth.py``), else Forbidden
    read_form(request)       a small url-encoded form, bounded, readable again after
    set_session_cookie, clear_session_cookie, set_csrf_cookie

**Sessions.** The ``jl_session`` cookie (HttpOnly, SameSite=Lax, Path=/desktop, Secure over
https) holds a 256-bit random token; the store keeps only its SHA-256. A session ends after
``JOURNEYLINE_DESKTOP_SESSION_HOURS`` unused (sliding: its last use is recorded at most once a
minute), at sign-out, when the user's password changes, and when the user is deleted.

**Failures.** An unknown email and a wrong password are refused alike, in the same time (the
password is checked against a dummy hash when there is no account to check it against).
``JOURNEYLINE_SIGNIN_MAX_FAILURES`` failures in a row lock the account for
``JOURNEYLINE_SIGNIN_LOCKOUT_SECONDS``; that refusal says so (so it tells that the email has an
account: the price of telling a locked-out agent why). Attempts on one email are taken one at a
time, so concurrent guesses cannot outrun the count.

**CSRF.** Every form of a session carries the session's synchronizer token (a ``csrf_token``
field, or the ``X-CSRF-Token`` header a script sends). The sign-in form, before any session, uses a
signed double-submit token: the ``jl_csrf`` cookie holds a random nonce, the form an issue time
and the HMAC-SHA256 of both under the server's secret (``JOURNEYLINE_SECRET_KEY``, else one
generated and kept in the store); it is good for two hours. A request a browser marks as
cross-site (``Sec-Fetch-Site``) is refused whatever it carries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import parse_qs

from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from journeyline.api.auth import ROLES, digest
from journeyline.api.reader import Read
from journeyline.api.services import services
from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.desktop.users import MAX_PASSWORD, PASSWORDS
from journeyline.engine.writer import Writer
from journeyline.ingest.identifiers import normalise_email
from journeyline.model.errors import Forbidden, InvalidInput, PayloadTooLarge, SignInRefused
from journeyline.store.base import Account, DesktopSession, Store

log = logging.getLogger("journeyline.desktop")

SESSION_COOKIE = "jl_session"
CSRF_COOKIE = "jl_csrf"
COOKIE_PATH = "/desktop"
SECRET_NAME = "signin-csrf"  # noqa: S105 (the name of a secret kept in the store)
#: The last use of a session is recorded at most this often.
TOUCH_MS = 60_000
#: How long a sign-in form's token is good for.
SIGNIN_FORM_MS = 2 * 3600_000
#: The largest form the desktop takes.
FORM_LIMIT = 16 * 1024
CREDENTIALS = "the email or the password is not right"
CSRF_REFUSED = "this form has expired or did not come from this site: reload it and try again"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in: the directory user, their account's email and role, and the token
    every form of their session carries."""

    user_id: str
    name: str
    email: str
    role: str
    csrf_token: str

    @property
    def permissions(self) -> frozenset[str]:
        return ROLES.get(self.role, frozenset())


def accounts_of(request: Request) -> Accounts:
    """The app's sign-in service."""
    found: Accounts | None = services(request).accounts
    if found is None:
        raise RuntimeError("the app was started without its accounts service")
    return found


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (the first value of each), of at most ``FORM_LIMIT`` bytes
    (its ``Content-Length`` says so before it is read); ``request.body()`` keeps it, so that
    reading it again gives the same."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > FORM_LIMIT:
        raise PayloadTooLarge(f"a form has a Content-Length of at most {FORM_LIMIT} bytes")
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def require(signed_in: SignedIn, permission: str) -> None:
    """Raise Forbidden unless the signed-in user's role has ``permission``."""
    if permission not in signed_in.permissions:
        raise Forbidden(f"role '{signed_in.role}' lacks the permission '{permission}'")


@cache
def _dummy_hash() -> str:
    """A hash to check passwords against when there is no account: the same work, refused."""
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed (None: checked against the dummy, refused)."""
    try:
        PASSWORDS.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


class Accounts:
    def __init__(
        self,
        read: Read,
        clock: Clock,
        writer: Writer,
        *,
        secret: bytes,
        max_failures: int = 5,
        lockout_ms: int = 900_000,
        session_ms: int = 12 * 3600_000,
    ) -> None:
        """``read`` reads the store off the loop (``api/reader.py``); writes go through
        ``writer``."""
        self.read = read
        self.clock = clock
        self.writer = writer
        self.secret = secret
        self.max_failures = max_failures
        self.lockout_ms = lockout_ms
        self.session_ms = session_ms
        self._attempts: dict[str, tuple[asyncio.Lock, int]] = {}
        self._seen: dict[str, int] = {}  # token hash -> its last use recorded (or queued)
        self._pending: set[asyncio.Task[object]] = set()

    @classmethod
    async def start(cls, settings: Settings, read: Read, clock: Clock, writer: Writer) -> Accounts:
        """The service for ``settings``; the first start of a store without
        ``JOURNEYLINE_SECRET_KEY`` generates the secret and keeps it there."""
        if settings.secret_key is not None:
            key = settings.secret_key
        else:
            candidate, now = secrets.token_urlsafe(32), clock()
            key = await writer.call(lambda s: s.server_secret(SECRET_NAME, candidate, now))
        return cls(
            read,
            clock,
            writer,
            secret=key.encode(),
            max_failures=settings.signin_max_failures,
            lockout_ms=settings.signin_lockout_seconds * 1000,
            session_ms=settings.desktop_session_hours * 3600_000,
        )

    # -- signing in and out --------------------------------------------------------------------

    async def sign_in(self, email: str, password: str) -> tuple[str, SignedIn]:
        """A new session for the account, as ``(token, who)``; SignInRefused otherwise."""
        await run_in_threadpool(_dummy_hash)  # made before any answer can depend on it
        try:
            key = normalise_email(email.strip()) if len(email) <= 256 else ""
        except InvalidInput:
            key = ""
        async with self._one_at_a_time(key):
            account = await self.read(lambda s: s.account_by_email(key)) if key else None
            now = self.clock()
            if account is not None and (account.locked_until_ms or 0) > now:
                raise self._locked(account, now)
            if len(password) > MAX_PASSWORD:
                good = False
            else:
                stored = account.password_hash if account else None
                good = await run_in_threadpool(_verify, stored, password)
            if account is None or not good:
                if account is not None:
                    user_id = account.user_id
                    await self.writer.call(lambda s: self._record_failure(s, user_id, now))
                raise SignInRefused("credentials", CREDENTIALS)
            rehashed = None
            if account.password_hash and PASSWORDS.check_needs_rehash(account.password_hash):
                rehashed = await run_in_threadpool(PASSWORDS.hash, password)
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            expires = now + self.session_ms
            session = DesktopSession(digest(token), account.user_id, csrf, now, expires, now)
            name = await self.writer.call(lambda s: self._record_success(s, session, rehashed))
        return token, _signed_in(session, account, name)

    def _locked(self, account: Account, now: int) -> SignInRefused:
        wait_s = -(-((account.locked_until_ms or now) - now) // 1000)
        return SignInRefused(
            "locked",
            f"too many failed sign-ins: the account is locked for {wait_s} more seconds",
            retry_after_s=wait_s,
        )

    def _record_failure(self, store: Store, user_id: str, now: int) -> None:
        account = store.account_get(user_id)
        if account is None:
            return
        failures = account.failed_attempts + 1
        if failures >= self.max_failures:  # locked; the count starts again for afterwards
            account = replace(account, failed_attempts=0, locked_until_ms=now + self.lockout_ms)
        else:
            account = replace(account, failed_attempts=failures)
        store.account_put(account)

    def _record_success(self, store: Store, session: DesktopSession, rehashed: str | None) -> str:
        """Record the sign-in; the name it shows."""
        account = store.account_get(session.user_id)
        if account is None:  # deleted meanwhile
            raise SignInRefused("credentials", CREDENTIALS)
        store.account_put(
            replace(
                account,
                failed_attempts=0,
                locked_until_ms=None,
                password_hash=rehashed or account.password_hash,
            )
        )
        store.desktop_sessions_prune(session.created_ms)
        store.desktop_session_put(session)
        return _name(store, account)

    @asynccontextmanager
    async def _one_at_a_time(self, key: str) -> AsyncIterator[None]:
        """Attempts on one email, one after the other (the lock goes with the last one)."""
        lock, waiting = self._attempts.get(key, (asyncio.Lock(), 0))
        self._attempts[key] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._attempts[key]
            if waiting == 1:
                del self._attempts[key]
            else:
                self._attempts[key] = (lock, waiting - 1)

    async def user_for(self, request: Request) -> SignedIn | None:
        """Who the request's session cookie signs in, or None (no cookie, an unknown, ended
        or expired session, or an account that cannot sign in any more). A use a minute or
        more after the last one recorded is recorded through the writer, without waiting;
        meanwhile this process goes by the use it has seen."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 128:
            return None
        token_hash = digest(token)
        found = await self.read(_session_of, token_hash)
        if found is None:
            return None
        session, account, name = found
        now = self.clock()
        seen = max(session.last_seen_ms, self._seen.get(token_hash, 0))
        if max(session.expires_ms, seen + self.session_ms) <= now:
            self._seen.pop(token_hash, None)
            return None
        if account.password_hash is None:
            return None
        if now - seen >= TOUCH_MS:
            if len(self._seen) >= 100_000:  # sessions that ended elsewhere; forget them all
                self._seen.clear()
            self._seen[token_hash] = now
            expires = now + self.session_ms
            self._later(lambda s: s.desktop_session_touch(token_hash, now, expires))
        return _signed_in(session, account, name)

    def _later(self, function: Callable[[Store], object]) -> None:
        """Run ``function`` on the writer, not waiting for it (a failure is logged)."""
        try:
            task = asyncio.get_running_loop().create_task(self.writer.call(function))
        except RuntimeError:  # no event loop here: the use is not recorded
            return
        self._pending.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording a desktop session's use failed: %s", task.exception())

    async def sign_out(self, token: str) -> None:
        token_hash = digest(token)
        self._seen.pop(token_hash, None)
        await self.writer.call(lambda s: s.desktop_session_delete(token_hash))

    # -- CSRF -----------------------------------------------------------------------------------

    def signin_csrf(self, request: Request) -> tuple[str, str]:
        """``(form token, cookie nonce)`` for a sign-in form: the request's own nonce when it
        has one, so that two open forms both work."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if len(nonce) != 43:
            nonce = secrets.token_urlsafe(32)
        issued = str(self.clock())
        return f"{issued}.{self._mac(nonce, issued)}", nonce

    def _mac(self, nonce: str, issued: str) -> str:
        message = f"signin|{nonce}|{issued}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    async def check_csrf(
        self,
        request: Request,
        signed_in: SignedIn | None,
        form: Mapping[str, str] | None = None,
    ) -> None:
        """Raise Forbidden unless the request carries the session's token (the ``X-CSRF-Token``
        header, or the form's ``csrf_token`` field; without ``form``, the request's form is
        read, and stays readable) — or, with no session (the sign-in form), a sound signed
        token for the ``jl_csrf`` cookie's nonce."""
        given = request.headers.get("x-csrf-token") or ""
        if not given:
            given = (form if form is not None else await read_form(request)).get("csrf_token", "")
        if request.headers.get("sec-fetch-site") == "cross-site":
            sound = False
        elif signed_in is not None:
            sound = hmac.compare_digest(given.encode(), signed_in.csrf_token.encode())
        else:
            sound = self._signin_token_sound(request.cookies.get(CSRF_COOKIE, ""), given)
        if not sound:
            raise Forbidden(CSRF_REFUSED, field="csrf_token")

    def _signin_token_sound(self, nonce: str, given: str) -> bool:
        issued, _, mac = given.partition(".")
        if not nonce or not issued.isdigit() or len(issued) > 16:
            return False
        if not hmac.compare_digest(mac.encode(), self._mac(nonce, issued).encode()):
            return False
        return 0 <= self.clock() - int(issued) <= SIGNIN_FORM_MS

    # -- cookies --------------------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        """Whether the request came over https (a trusted proxy's ``X-Forwarded-Proto`` counts:
        ``api.proxies``)."""
        return request.url.scheme == "https"


def _name(store: Store, account: Account) -> str:
    """The name the desktop shows for the account's user: the directory's, else the email."""
    names = store.directory_names("user", [account.user_id])
    return names.get(account.user_id, account.email)


def _session_of(store: Store, token_hash: str) -> tuple[DesktopSession, Account, str] | None:
    """The session, its account and its user's name, in one read."""
    found = store.desktop_session_get(token_hash)
    return None if found is None else (*found, _name(store, found[1]))


def _signed_in(session: DesktopSession, account: Account, name: str) -> SignedIn:
    return SignedIn(account.user_id, name, account.email, account.role, session.csrf_token)


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    """The session cookie: a browser session's, for the desktop's paths only."""
    response.set_cookie(
        SESSION_COOKIE, token, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
    )


def clear_session_cookie(response: Response, secure: bool = False) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
    )


def set_csrf_cookie(response: Response, nonce: str, secure: bool) -> None:
    """The sign-in form's double-submit cookie."""
    response.set_cookie(
        CSRF_COOKIE, nonce, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
    )
