"""OAuth client credentials, as Genesys Cloud does it.

``POST /oauth/token`` with ``grant_type=client_credentials`` (form body) and the client id and
secret by HTTP Basic returns an opaque bearer token. Every ``/api/v2`` route needs one; the
client's role decides what it may do. Secrets and tokens are 256-bit random values and only
their SHA-256 is stored (a slow password hash buys nothing for random secrets).

A token lasts ``JOURNEYLINE_TOKEN_TTL_SECONDS``, or until it is revoked: by its bearer
(``DELETE /api/v2/tokens/me``), or by an admin (``api/clients.py``: a client disabled,
deleted or its tokens revoked). Known tokens are cached in memory, at most
:data:`TOKEN_CACHE_SIZE` of them (the least recently used go first), each believed for
:data:`TOKEN_CACHE_SECONDS` before the store is asked again. A revocation in this process drops
the cached tokens at once; one made elsewhere (another API node on the same PostgreSQL, the
``journeyline clients`` command) holds here within :data:`TOKEN_CACHE_SECONDS`.

Rate limits (``api/ratelimit.py``): tokens minted per client and token requests per address;
an address whose credentials were refused too often gets 429 for a while; each request with
a token counts for its client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import parse_qs

from cachetools import TTLCache
from starlette.requests import Request
from starlette.responses import Response

from journeyline.api.bodies import read_body
from journeyline.api.contract import Operation
from journeyline.api.errors import json_response
from journeyline.api.ratelimit import RateLimits
from journeyline.api.reader import Read
from journeyline.api.shapes import OAuthError
from journeyline.api.shapes_entities import Token, TokenRequest
from journeyline.clock import Clock
from journeyline.model.errors import Forbidden, InvalidInput, PayloadTooLarge, Unauthorized
from journeyline.store.base import OAuthClient, Store

#: What each role may do. OAuth clients have one of these roles, and so do the people who sign
#: in to the desktop (agent, supervisor or admin: ``DESKTOP_ROLES``).
#: ``tokens:self``: revoke the token one holds (``DELETE /api/v2/tokens/me``), every role.
TOKENS_SELF = "tokens:self"
_AGENT = frozenset({TOKENS_SELF, "journey:read", "contacts:write"})
#: ``contacts:write``: verify, claim, release, merge, unmerge; ``contacts:edit``: create, change
#: and delete contacts (supervisors and admins).
_SUPERVISOR = _AGENT | {"directory:write", "definitions:write", "contacts:edit"}
ROLES: dict[str, frozenset[str]] = {
    "admin": _SUPERVISOR
    | {
        "events:write",
        "deployments:write",
        "flows:admin",  # flows and their dead letters: admin only (they hold secrets)
        "users:admin",  # accounts that sign in: their email, password and role
        "clients:admin",  # OAuth clients: create, change, disable, delete, revoke their tokens
    },
    "supervisor": _SUPERVISOR,
    "agent": _AGENT,
    "ingest": frozenset({TOKENS_SELF, "events:write"}),
}
#: The roles of people who sign in to the desktop, the least first.
DESKTOP_ROLES = ("agent", "supervisor", "admin")


#: The states of a client: a ``disabled`` one mints no token and its tokens are refused.
CLIENT_STATES = ("active", "disabled")

#: How many tokens the cache keeps (the least recently used go first).
TOKEN_CACHE_SIZE = 10_000
#: How long a cached token is believed before the store is asked again: the bound within which
#: a token revoked by another process is refused here too.
TOKEN_CACHE_SECONDS = 5

T = TypeVar("T")


class Write(Protocol):
    """Runs ``function(store)`` on the writer, in a transaction of its own (``Writer.call``)."""

    def __call__(self, function: Callable[[Store], T], /) -> Awaitable[T]: ...


#: ``POST /oauth/token`` takes a tiny form (``grant_type=client_credentials``): a larger body is
#: refused before it is read.
TOKEN_BODY_LIMIT = 4096


#: What ``POST /oauth/token`` takes and answers (its handler is ``Authenticator.token``).
TOKEN_OPERATION = Operation(
    "POST",
    "A bearer token for an OAuth client (client credentials)",
    {200: Token, 400: OAuthError, 401: OAuthError, 413: OAuthError},
    auth="client",
    body=TokenRequest,
    form=True,
    description="400 for another grant type, 401 for unknown credentials, 413 for a body over "
    f"{TOKEN_BODY_LIMIT} bytes (refused before it is read).",
)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def client_name(name: str) -> str:
    """A client's name, stripped: a 400 naming the field when blank or over 256 characters."""
    if not 0 < len(name.strip()) <= 256:
        raise InvalidInput("name must be 1 to 256 characters", field="name")
    return name.strip()


def client_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}' (known: {', '.join(ROLES)})", field="role")
    return role


def new_client(
    *, name: str, role: str, now_ms: int, description: str = ""
) -> tuple[OAuthClient, str]:
    """A new OAuth client, not yet stored, and its secret (to show only once): a 400 naming
    the field for a blank name or an unknown role."""
    client_id = secrets.token_hex(16)
    client_secret = new_secret()
    client = OAuthClient(
        client_id,
        digest(client_secret),
        client_name(name),
        client_role(role),
        now_ms,
        description,
        "active",
        now_ms,
    )
    return client, client_secret


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_client(store: Store, *, name: str, role: str, now_ms: int) -> tuple[str, str]:
    """Create an OAuth client; returns its id and secret (the secret is shown only once)."""
    client, client_secret = new_client(name=name, role=role, now_ms=now_ms)
    with store.transaction():
        store.client_put(client)
    return client.client_id, client_secret


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    role: str
    expires_ms: int


class Authenticator:
    def __init__(
        self,
        read: Read,
        clock: Clock,
        token_ttl_seconds: int,
        write: Write,
        limits: RateLimits,
        *,
        cache_size: int = TOKEN_CACHE_SIZE,
        cache_seconds: float = TOKEN_CACHE_SECONDS,
    ) -> None:
        """``read`` reads the store off the loop (``api/reader.py``); ``write`` runs a write on
        the writer. The cache's entries age by ``clock``."""
        self.write = write
        self.limits = limits
        self.read = read
        self.clock = clock
        self.ttl_ms = token_ttl_seconds * 1000
        self._cache: TTLCache[str, Principal] = TTLCache(
            maxsize=cache_size, ttl=cache_seconds, timer=lambda: self.clock() / 1000
        )

    @property
    def cached(self) -> int:
        """How many tokens the cache holds now."""
        self._cache.expire()
        return len(self._cache)

    async def _basic(self, request: Request) -> OAuthClient:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            raise Unauthorized("client credentials are required (HTTP Basic)")
        try:
            client_id, _, client_secret = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthorized("malformed Basic credentials") from exc
        client = await self.read(lambda store: store.client_get(client_id))
        if client is None or not hmac.compare_digest(client.secret_hash, digest(client_secret)):
            raise Unauthorized("invalid client credentials")
        return client

    async def token(self, request: Request) -> Response:
        address = self.limits.source(request)
        self.limits.token_failures.check(address)
        self.limits.token_address.hit(address)
        try:
            raw = await read_body(request, TOKEN_BODY_LIMIT)
        except PayloadTooLarge as exc:
            return json_response({"error": "invalid_request", "description": exc.message}, 413)
        body = raw.decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if form.get("grant_type") != "client_credentials":
            return json_response(
                {"error": "unsupported_grant_type", "description": "use client_credentials"}, 400
            )
        try:
            client = await self._basic(request)
        except Unauthorized as exc:
            self.limits.token_failures.spend(address)
            return json_response({"error": "invalid_client", "description": exc.message}, 401)
        if client.state != "active":
            return json_response(
                {"error": "invalid_client", "description": "the client is disabled"}, 401
            )
        self.limits.token_client.hit(client.client_id)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        hashed = digest(token)

        def mint(store: Store) -> None:
            # The client as it is now, in the write's transaction: disabled, deleted or given a
            # new secret since its credentials were checked, it mints nothing (else the token
            # would come after the revocation, and live again were the client enabled again).
            current = store.client_get(client.client_id)
            if current is None or (current.state, current.secret_hash) != (
                "active",
                client.secret_hash,
            ):
                raise Unauthorized("the client changed while its token was made")
            store.tokens_prune(now)  # expired ones are worth nothing: they go as new ones come
            store.token_put(hashed, client.client_id, now + self.ttl_ms)

        try:
            await self.write(mint)
        except Unauthorized as exc:
            return json_response({"error": "invalid_client", "description": exc.message}, 401)
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": self.ttl_ms // 1000}
        )

    async def authenticate(self, request: Request) -> tuple[str, Principal]:
        """The bearer token's hash and who it is: a 401 for no token, an unknown, expired or
        revoked one, or one of a disabled client. Counts the request for its client."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("a bearer token is required: get one from POST /oauth/token")
        key = digest(token)
        principal = self._cache.get(key)
        if principal is None:
            found = await self.read(lambda store: store.token_get(key))
            if found is None:
                raise Unauthorized("the bearer token is not valid")
            client, expires = found
            if client.state != "active":
                raise Unauthorized("the bearer token's client is disabled")
            principal = Principal(client.client_id, client.role, expires)
            self._cache[key] = principal
        if principal.expires_ms <= self.clock():
            self._cache.pop(key, None)
            raise Unauthorized("the bearer token has expired")
        if "journeyline.counted" not in request.scope:  # once a request, however often asked
            request.scope["journeyline.counted"] = True
            self.limits.client.hit(principal.client_id)
        return key, principal

    async def require(self, request: Request, permission: str) -> Principal:
        _, principal = await self.authenticate(request)
        if permission not in ROLES.get(principal.role, frozenset()):
            raise Forbidden(f"role '{principal.role}' lacks the permission '{permission}'")
        return principal

    async def revoke(self, request: Request) -> Principal:
        """Revoke the bearer token of the request (``DELETE /api/v2/tokens/me``): refused
        from the next request on."""
        key, principal = await self.authenticate(request)
        self._cache.pop(key, None)
        await self.write(lambda store: store.token_delete(key))
        self._cache.pop(key, None)  # what a request read meanwhile
        return principal

    async def change_client(self, client_id: str, change: Callable[[Store], T]) -> T:
        """Run a change of a client on the writer (its state, role or secret, its deletion,
        the revocation of its tokens) and forget its cached tokens, before and after: in this
        process, the change holds from the next request on."""
        self.forget(client_id)
        try:
            return await self.write(change)
        finally:
            self.forget(client_id)

    def forget(self, client_id: str) -> None:
        """Drop the client's tokens from the cache: the store is asked again for them."""
        for key, principal in list(self._cache.items()):
            if principal.client_id == client_id:
                self._cache.pop(key, None)
