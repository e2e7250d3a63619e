"""OAuth clients as Genesys Cloud's ``/api/v2/oauth/clients`` (admins: ``clients:admin``), and
``DELETE /api/v2/tokens/me``, by which any token revokes itself.

A client has a name, a description, a ``role`` (ours: what its tokens may do, ``api.auth.ROLES``;
``ingest`` unless given) and a ``state``: ``active``, or ``disabled`` — it mints no token and
its tokens are revoked (enabled again, it starts with none). ``POST`` answers the client with
its ``secret``, shown this once: only its SHA-256 is kept, so no other answer can carry it.
``POST .../secret`` gives it a new one and the old one mints no more (tokens already minted
stay, until they expire or are revoked).
``PUT`` replaces the name and the description, and the role and the state when it gives them.
``DELETE`` deletes the client with its tokens; ``DELETE .../tokens`` (ours) revokes every token
of it. Each change forgets the client's cached tokens (``Authenticator.change_client``): in this
process it holds from the next request on, in the others within ``TOKEN_CACHE_SECONDS``.

The changes are functions of a store (``change_client``, ``rotate_secret``, ``delete_client``,
``revoke_tokens``): run on the writer here and by the desktop's admin screen, in a transaction
of their own by ``journeyline clients``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.auth import (
    CLIENT_STATES,
    ROLES,
    TOKEN_CACHE_SECONDS,
    TOKENS_SELF,
    client_name,
    client_role,
    digest,
    new_client,
    new_secret,
)
from journeyline.api.contract import (
    PAGE_NUMBER,
    Ext,
    Name,
    Operation,
    any_case,
    declare,
    documented,
    page_size,
)
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    decode_body,
    page_listing,
    page_params,
    read_body,
    services,
)
from journeyline.api.shapes_entities import OAuthClient as OAuthClientShape
from journeyline.api.shapes_entities import OAuthClientEntityListing
from journeyline.api.wire import Json, compact
from journeyline.clock import iso
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import OAuthClient, Store

BASE = "/api/v2/oauth/clients"
PERMISSION = "clients:admin"
MAX_BODY = 16 * 1024
#: The only grant journeyline has.
GRANT = "CLIENT-CREDENTIALS"
DEFAULT_ROLE = "ingest"


class OAuthClientRequest(msgspec.Struct, rename="camel"):
    """Genesys' ``OAuthClientRequest`` (its other fields — ``roleIds``, ``scope``,
    ``registeredRedirectUri``, ... — are accepted and ignored); ``role`` is ours."""

    name: Name
    description: Annotated[str, documented(maxLength=1024)] | None = None
    authorized_grant_type: Annotated[str, documented(pattern=any_case(GRANT))] | None = None
    state: Annotated[str, documented(pattern=any_case(*CLIENT_STATES))] | None = None
    role: Ext[Annotated[str, documented(enum=list(ROLES))]] | None = None


@dataclass(frozen=True, slots=True)
class ClientChange:
    """What changes in a client: None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    role: str | None = None
    state: str | None = None


def client_change(
    *,
    name: str | None = None,
    description: str | None = None,
    role: str | None = None,
    state: str | None = None,
) -> ClientChange:
    """A checked change: a 400 naming the field at fault."""
    if description is not None and len(description) > 1024:
        raise InvalidInput("description must be at most 1024 characters", field="description")
    if state is not None and state.lower() not in CLIENT_STATES:
        raise InvalidInput(f"state must be one of: {', '.join(CLIENT_STATES)}", field="state")
    return ClientChange(
        None if name is None else client_name(name),
        description,
        None if role is None else client_role(role),
        None if state is None else state.lower(),
    )


def parse_client(raw: bytes) -> ClientChange:
    """A ``POST`` or ``PUT`` body: ``name`` required, ``authorizedGrantType`` (when given)
    ``CLIENT-CREDENTIALS``; the description replaced (left out: none)."""
    body = decode_body(raw, OAuthClientRequest)
    grant = body.authorized_grant_type
    if grant is not None and grant.upper() != GRANT:
        raise InvalidInput(
            f"authorizedGrantType must be {GRANT}, the only grant journeyline has",
            field="authorizedGrantType",
        )
    return client_change(
        name=body.name, description=body.description or "", role=body.role, state=body.state
    )


def _found(store: Store, client_id: str) -> OAuthClient:
    found = store.client_get(client_id)
    if found is None:
        raise NotFound(f"no OAuth client with id {client_id}", field="clientId")
    return found


def create_from(store: Store, change: ClientChange, now_ms: int) -> tuple[OAuthClient, str]:
    """Store a new client made of ``change`` (its name required); the client and its secret."""
    assert change.name is not None
    client, secret = new_client(
        name=change.name,
        role=change.role or DEFAULT_ROLE,
        now_ms=now_ms,
        description=change.description or "",
    )
    client = replace(client, state=change.state or "active")
    store.client_put(client)
    return client, secret


def change_client(store: Store, client_id: str, change: ClientChange, now_ms: int) -> OAuthClient:
    found = _found(store, client_id)
    changed = replace(
        found,
        name=found.name if change.name is None else change.name,
        description=found.description if change.description is None else change.description,
        role=change.role or found.role,
        state=change.state or found.state,
        modified_ms=now_ms,
    )
    store.client_update(changed)
    if changed.state == "disabled":  # enabled again, it starts with no token
        store.tokens_revoke(client_id)
    return changed


def rotate_secret(store: Store, client_id: str, now_ms: int) -> tuple[OAuthClient, str]:
    """A new secret for the client (the old one mints no more); the client and the secret."""
    secret = new_secret()
    changed = replace(_found(store, client_id), secret_hash=digest(secret), modified_ms=now_ms)
    store.client_update(changed)
    return changed, secret


def delete_client(store: Store, client_id: str) -> None:
    """Delete the client and its tokens: a 404 when there is none."""
    if not store.client_delete(client_id):
        raise NotFound(f"no OAuth client with id {client_id}", field="clientId")


def revoke_tokens(store: Store, client_id: str) -> int:
    """Revoke every token of the client; how many there were (a 404 for no such client)."""
    _found(store, client_id)
    return store.tokens_revoke(client_id)


def client_doc(client: OAuthClient, token_seconds: int, secret: str | None = None) -> Json:
    return compact(
        {
            "id": client.client_id,
            "name": client.name,
            "description": client.description or None,
            "authorizedGrantType": GRANT,
            "state": client.state,
            "accessTokenValiditySeconds": token_seconds,
            "role": client.role,
            "dateCreated": iso(client.created_ms),
            "dateModified": iso(client.modified_ms or client.created_ms),
            "secret": secret,
            "selfUri": f"{BASE}/{client.client_id}",
        }
    )


def _doc(svc: Services, client: OAuthClient, secret: str | None = None) -> Response:
    return json_response(client_doc(client, svc.settings.token_ttl_seconds, secret))


@declare(
    Operation(
        "GET",
        "List OAuth clients, by name (never a secret)",
        {200: OAuthClientEntityListing},
        PERMISSION,
        params=(page_size(500), PAGE_NUMBER),
    ),
    Operation(
        "POST",
        "Create an OAuth client: the answer holds its secret, shown this once",
        {200: OAuthClientShape},
        PERMISSION,
        body=OAuthClientRequest,
        description="`name` required; `role` (ours) `ingest` unless given; "
        "`authorizedGrantType`, when given, `CLIENT-CREDENTIALS`.",
    ),
)
async def clients(request: Request) -> Response:
    svc = services(request)
    if request.method == "POST":
        change = parse_client(await read_body(request, MAX_BODY))
        now = svc.clock()
        client, secret = await svc.writer.call(lambda store: create_from(store, change, now))
        return _doc(svc, client, secret)
    size, number = page_params(request)
    found = await svc.read(lambda store: store.clients())
    ttl = svc.settings.token_ttl_seconds
    entities = [client_doc(c, ttl) for c in found[(number - 1) * size : number * size]]
    return json_response(compact(page_listing(BASE, entities, len(found), size, number)))


@declare(
    Operation("GET", "An OAuth client (never its secret)", {200: OAuthClientShape}, PERMISSION),
    Operation(
        "PUT",
        "Change an OAuth client's name, description, role or state",
        {200: OAuthClientShape},
        PERMISSION,
        body=OAuthClientRequest,
        description="`name` required; the role and the state are kept when left out. A "
        "`disabled` client mints no token and its tokens are refused (here from the next "
        f"request on, on every node within {TOKEN_CACHE_SECONDS} seconds).",
    ),
    Operation(
        "DELETE",
        "Delete an OAuth client and its tokens",
        {204: None},
        PERMISSION,
    ),
)
async def client(request: Request) -> Response:
    svc = services(request)
    client_id = request.path_params["clientId"]
    if request.method == "GET":
        return _doc(svc, await svc.read(_found, client_id))
    if request.method == "DELETE":
        await svc.auth.change_client(client_id, lambda store: delete_client(store, client_id))
        return Response(status_code=204)
    change = parse_client(await read_body(request, MAX_BODY))
    now = svc.clock()
    changed = await svc.auth.change_client(
        client_id, lambda store: change_client(store, client_id, change, now)
    )
    return _doc(svc, changed)


@declare(
    Operation(
        "POST",
        "A new secret for an OAuth client: shown this once, the old one mints no more",
        {200: OAuthClientShape},
        PERMISSION,
        description="Tokens minted before stay valid until they expire: revoke them with "
        f"`DELETE {BASE}/{{clientId}}/tokens`.",
    )
)
async def client_secret(request: Request) -> Response:
    svc = services(request)
    client_id = request.path_params["clientId"]
    now = svc.clock()
    changed, secret = await svc.auth.change_client(
        client_id, lambda store: rotate_secret(store, client_id, now)
    )
    return _doc(svc, changed, secret)


@declare(
    Operation(
        "DELETE",
        "Revoke every token of an OAuth client",
        {204: None},
        PERMISSION,
        extension=True,
        description="Refused here from the next request on, on every node within "
        f"{TOKEN_CACHE_SECONDS} seconds; "
        "the client may mint new ones (disable it to stop that).",
    )
)
async def client_tokens(request: Request) -> Response:
    svc = services(request)
    client_id = request.path_params["clientId"]
    await svc.auth.change_client(client_id, lambda store: revoke_tokens(store, client_id))
    return Response(status_code=204)


@declare(
    Operation(
        "DELETE",
        "Revoke the bearer token this request carries",
        {204: None},
        TOKENS_SELF,
        description="Any valid token, whatever its role; from the next request on it is a 401.",
    )
)
async def token_me(request: Request) -> Response:
    svc = services(request)
    await svc.auth.revoke(request)
    return Response(status_code=204)


CLIENT_ROUTES = [
    Route(BASE, clients, methods=["GET", "POST"]),
    Route(f"{BASE}/{{clientId}}", client, methods=["GET", "PUT", "DELETE"]),
    Route(f"{BASE}/{{clientId}}/secret", client_secret, methods=["POST"]),
    Route(f"{BASE}/{{clientId}}/tokens", client_tokens, methods=["DELETE"]),
    Route("/api/v2/tokens/me", token_me, methods=["DELETE"]),
]
