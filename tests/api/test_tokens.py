"""Tokens (issue 10, secrets and tokens): ``DELETE /api/v2/tokens/me`` revokes the token it
carries, for every role, and the token is refused at once; the token cache is bounded (10,000,
the least recently used go) and never outlives a revocation: at once in the process that
revoked, within ``TOKEN_CACHE_SECONDS`` in another one (two real servers on one store, sharing
a clock the test moves); the official Genesys SDK revokes its token and manages clients."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PureCloudPlatformClientV2 import ApiClient, OAuthApi, OAuthClientRequest, TokensApi
from PureCloudPlatformClientV2.rest import ApiException
from starlette.requests import Request

from conftest import Api, FakeClock, bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.api.auth import (
    TOKEN_CACHE_SECONDS,
    TOKEN_CACHE_SIZE,
    Authenticator,
    create_client,
)
from journeyline.api.clients import change_client, client_change, delete_client, rotate_secret
from journeyline.api.ratelimit import RateLimits
from journeyline.config import Settings
from journeyline.model.errors import Unauthorized
from journeyline.store import Store, open_store
from journeyline.store.base import OAuthClient

ME = "/api/v2/tokens/me"
SESSIONS = "/api/v2/journey/sessions"
CLIENTS = "/api/v2/oauth/clients"
T0 = 1_795_600_000_000


# -- DELETE /api/v2/tokens/me ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sessions"), [("admin", 200), ("supervisor", 200), ("agent", 200), ("ingest", 403)]
)
def test_a_token_revokes_itself_and_is_refused_at_once(api: Api, role: str, sessions: int) -> None:
    credentials = make_client(api.store_url, role)
    token, other = bearer(api.client, credentials), bearer(api.client, credentials)
    assert api.client.get(SESSIONS, headers=token).status_code == sessions  # valid, cached
    gone = api.client.delete(ME, headers=token)
    assert (gone.status_code, gone.content) == (204, b"")
    refused = api.client.get(SESSIONS, headers=token)
    assert refused.status_code == 401, refused.text
    assert refused.json()["message"] == "the bearer token is not valid"
    assert api.client.delete(ME, headers=token).status_code == 401  # once
    assert api.client.get(SESSIONS, headers=other).status_code == sessions  # its sibling lives


def test_without_a_token_there_is_nothing_to_revoke(api: Api) -> None:
    assert api.client.delete(ME).status_code == 401
    assert api.client.delete(ME, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert api.client.get(SESSIONS, headers=api.headers).status_code == 200


# -- the cache: bounded, and revocation across processes ---------------------------------------


def _request(token: str) -> Request:
    return Request({"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]})


def _reads_of(store: Store) -> Any:
    """A ``read`` on the one store of the test (the app's runs it in a thread, pooled)."""

    async def read(function: Any, *args: Any) -> Any:
        return function(store, *args)

    return read


def _authenticator(store: Store, clock: FakeClock, **cache: Any) -> Authenticator:
    async def write(function: Any) -> Any:
        with store.transaction():
            return function(store)

    return Authenticator(_reads_of(store), clock, 3600, write, RateLimits.none(), **cache)


def _require(auth: Authenticator, *tokens: str) -> list[str]:
    """Whose each token is (``journey:read`` asked), or Unauthorized for the first refused."""

    async def each() -> list[str]:
        return [(await auth.require(_request(t), "journey:read")).client_id for t in tokens]

    return asyncio.run(each())


def _tokens(store: Store, count: int, expires_ms: int) -> list[str]:
    tokens = [secrets.token_urlsafe(16) for _ in range(count)]
    with store.transaction():
        store.client_put(OAuthClient("c-1", "h", "Desk", "agent", T0))
        for token in tokens:
            store.token_put(hashlib.sha256(token.encode()).hexdigest(), "c-1", expires_ms)
    return tokens


def test_the_cache_keeps_at_most_ten_thousand_tokens(store: Store, clock: FakeClock) -> None:
    auth = _authenticator(store, clock)
    tokens = _tokens(store, TOKEN_CACHE_SIZE + 50, clock() + 3600_000)
    assert set(_require(auth, *tokens)) == {"c-1"}
    assert (TOKEN_CACHE_SIZE, auth.cached) == (10_000, 10_000)
    assert _require(auth, tokens[0]) == ["c-1"]  # asked again


def test_a_small_cache_forgets_the_least_recently_used(store: Store, clock: FakeClock) -> None:
    auth = _authenticator(store, clock, cache_size=3)
    tokens = _tokens(store, 5, clock() + 3600_000)
    _require(auth, *tokens)
    assert auth.cached == 3
    with store.transaction():  # revoked behind the cache's back, as another process would
        for token in tokens:
            store.token_delete(hashlib.sha256(token.encode()).hexdigest())
    for forgotten in tokens[:2]:  # not cached: the store is asked, and says no
        with pytest.raises(Unauthorized):
            _require(auth, forgotten)
    assert _require(auth, *tokens[2:]) == ["c-1"] * 3  # cached: believed, for a while at most
    clock.advance(TOKEN_CACHE_SECONDS)
    for token in tokens:
        with pytest.raises(Unauthorized):
            _require(auth, token)
    assert auth.cached == 0


def test_an_expired_token_is_refused_even_while_cached(store: Store, clock: FakeClock) -> None:
    auth = _authenticator(store, clock)
    [token] = _tokens(store, 1, clock() + 2000)
    assert _require(auth, token) == ["c-1"]
    clock.advance(2)
    with pytest.raises(Unauthorized, match="expired"):
        _require(auth, token)


@contextlib.contextmanager
def two_nodes(store_url: str, clock: FakeClock) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two API servers on one store (two processes' worth: each its own cache and writer),
    on 127.0.0.1, sharing the test's clock."""
    settings = Settings(store_url=store_url)
    with (
        serve(create_app(settings, clock=clock), settings=settings) as one,
        serve(create_app(settings, clock=clock), settings=settings) as two,
        httpx.Client(base_url=one) as a,
        httpx.Client(base_url=two) as b,
    ):
        yield a, b


def _status(http: httpx.Client, headers: dict[str, str]) -> int:
    return http.get(SESSIONS, headers=headers).status_code


@pytest.mark.parametrize("how", ["tokens/me", "disable", "delete", "revoke"])
def test_a_revocation_holds_on_another_node_within_the_cache_bound(
    store_url: str, clock: FakeClock, how: str
) -> None:
    admin = make_client(store_url)
    with two_nodes(store_url, clock) as (a, b):
        admin_token = bearer(a, admin)
        made = a.post(CLIENTS, json={"name": "Desk", "role": "agent"}, headers=admin_token).json()
        token = bearer(a, (made["id"], made["secret"]))
        assert (_status(a, token), _status(b, token)) == (200, 200)  # both have it cached
        clock.advance(1)
        client = f"{CLIENTS}/{made['id']}"
        revoke = {
            "tokens/me": lambda: a.delete(ME, headers=token),
            "disable": lambda: a.put(
                client, json={"name": "Desk", "state": "disabled"}, headers=admin_token
            ),
            "delete": lambda: a.delete(client, headers=admin_token),
            "revoke": lambda: a.delete(f"{client}/tokens", headers=admin_token),
        }[how]()
        assert revoke.status_code in (200, 204), revoke.text
        assert _status(a, token) == 401  # at once where it was revoked
        clock.now_ms += TOKEN_CACHE_SECONDS * 1000 - 1001  # 5 s after b cached it, less 1 ms
        assert _status(b, token) == 200  # b still believes its cache: the documented bound
        clock.now_ms += 1
        assert _status(b, token) == 401  # and no longer than that
        assert _status(a, token) == 401


def test_a_client_disabled_by_the_command_is_refused_within_the_bound(
    store_url: str, clock: FakeClock
) -> None:
    with two_nodes(store_url, clock) as (a, _):
        credentials = make_client(store_url, "agent")
        token = bearer(a, credentials)
        assert _status(a, token) == 200
        command = ["clients", "disable", credentials[0], "--store", store_url]
        done = subprocess.run(  # another process
            [sys.executable, "-m", "journeyline.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"] == "disabled"
        assert _status(a, token) == 200  # cached
        clock.advance(TOKEN_CACHE_SECONDS)
        assert _status(a, token) == 401
        minted = a.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials)
        assert minted.status_code == 401


# -- the official SDK --------------------------------------------------------------------------


def _sdk(base_url: str, credentials: tuple[str, str]) -> ApiClient:
    client = ApiClient(host=base_url)
    client.gateway_configuration = None  # no gateway from ~/.genesyscloudpython/config
    client.get_client_credentials_token(*credentials)
    return client


def test_the_genesys_sdk_manages_clients_and_revokes_its_token(store_url: str) -> None:
    settings = Settings(store_url=store_url)
    admin = make_client(store_url)
    with serve(create_app(settings), settings=settings) as base_url:
        oauth = OAuthApi(_sdk(base_url, admin))
        body = OAuthClientRequest()
        body.name, body.description = "CRM", "the CRM's sync"
        body.authorized_grant_type = "CLIENT-CREDENTIALS"
        made = oauth.post_oauth_clients(body)
        assert (made.name, made.description, made.state) == ("CRM", "the CRM's sync", "active")
        assert made.authorized_grant_type == "CLIENT-CREDENTIALS"
        assert made.secret
        assert made.date_created is not None
        read = oauth.get_oauth_client(made.id)
        assert (read.id, read.secret) == (made.id, None)
        assert made.id in [c.id for c in oauth.get_oauth_clients().entities]
        body.state = "disabled"
        assert oauth.put_oauth_client(made.id, body).state == "disabled"
        rotated = oauth.post_oauth_client_secret(made.id)
        assert rotated.secret not in (None, made.secret)

        crm_sdk = _sdk(base_url, admin)
        TokensApi(crm_sdk).delete_tokens_me()
        with pytest.raises(ApiException) as refused:
            OAuthApi(crm_sdk).get_oauth_clients()
        assert refused.value.status == 401
        oauth.delete_oauth_client(made.id)
        with pytest.raises(ApiException) as gone:
            oauth.get_oauth_client(made.id)
        assert gone.value.status == 404
    store = open_store(store_url)
    try:
        assert store.client_get(made.id) is None
    finally:
        store.close()


@pytest.mark.parametrize("change", ["disable", "new secret", "delete"])
def test_a_client_changed_while_its_token_is_made_mints_nothing(
    store: Store, clock: FakeClock, change: str
) -> None:
    """The client is checked again in the write that stores the token: disabled, given a new
    secret or deleted between the credentials' check and that write (here by the write itself,
    first), no token is stored — none to live again were the client enabled again."""
    client_id, secret = create_client(store, name="Racer", role="agent", now_ms=clock())

    def meanwhile(target: Store) -> None:
        if change == "disable":
            change_client(target, client_id, client_change(state="disabled"), clock())
        elif change == "new secret":
            rotate_secret(target, client_id, clock())
        else:
            delete_client(target, client_id)

    async def write(function: Any) -> Any:
        with store.transaction():
            meanwhile(store)
            return function(store)

    auth = Authenticator(_reads_of(store), clock, 3600, write, RateLimits.none())
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body = b"grant_type=client_credentials"

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/oauth/token",
            "headers": [
                (b"authorization", f"Basic {basic}".encode()),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 5000),
        },
        receive,
    )
    answer = asyncio.run(auth.token(request))
    assert answer.status_code == 401
    assert json.loads(bytes(answer.body))["error"] == "invalid_client"
    with store.transaction():
        assert store.tokens_revoke(client_id) == 0  # no token of the client was stored
