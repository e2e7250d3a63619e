"""The admin screen of OAuth clients (``clients:admin``, admins only: a client's tokens may do
what its role may): list them, create one, disable and enable, delete, revoke its tokens, give
it a new secret.

Each post goes through the API's own functions (``api.clients``), on the writer and through
``Authenticator.change_client``, so a client disabled or deleted here, or its tokens revoked,
is refused by this server from the next request on, as through the API. A secret is shown once,
on the page that answers the post that made it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.auth import ROLES
from journeyline.api.clients import (
    PERMISSION,
    change_client,
    client_change,
    create_from,
    delete_client,
    revoke_tokens,
    rotate_secret,
)
from journeyline.api.services import Services
from journeyline.desktop.accounts import read_form
from journeyline.desktop.admin_forms import done, field_errors, show, show_secret
from journeyline.desktop.pages import Viewer, page
from journeyline.desktop.views import N_
from journeyline.model.errors import InvalidInput
from journeyline.store.base import OAuthClient

BASE = "/desktop/admin/clients"
CLIENT_ROLES = tuple(ROLES)
N_("active")  # the states of a client, shown translated
N_("disabled")


async def _clients_page(
    request: Request, svc: Services, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    context.setdefault("values", {"role": "ingest" if "ingest" in ROLES else CLIENT_ROLES[0]})
    return show(
        request,
        "admin/clients.html",
        viewer,
        status=status,
        clients=await svc.read(lambda store: store.clients()),
        roles=CLIENT_ROLES,
        **context,
    )


def _made(
    request: Request, viewer: Viewer, title: str, client: OAuthClient, secret: str
) -> Response:
    return show_secret(
        request,
        viewer,
        title,
        [(N_("Client id"), client.client_id), (N_("Name"), client.name), (N_("Role"), client.role)],
        (N_("Client secret"), secret),
        BASE,
    )


@page(PERMISSION)
async def clients(request: Request, svc: Services, viewer: Viewer) -> Response:
    return await _clients_page(request, svc, viewer)


@page(PERMISSION, form=True)
async def client_create(request: Request, svc: Services, viewer: Viewer) -> Response:
    form = await read_form(request)
    try:
        change = client_change(name=form.get("name", ""), role=form.get("role", ""))
    except InvalidInput as exc:
        errors = field_errors(exc, ("name", "role"))
        return await _clients_page(request, svc, viewer, status=400, errors=errors, values=form)
    now = svc.clock()
    client, secret = await svc.writer.call(lambda store: create_from(store, change, now))
    return _made(request, viewer, N_("OAuth client created"), client, secret)


def _state(state: str, notice: str) -> Any:
    @page(PERMISSION, form=True)
    async def set_state(request: Request, svc: Services, viewer: Viewer) -> Response:
        client_id = request.path_params["clientId"]
        change = client_change(state=state)
        now = svc.clock()
        await svc.auth.change_client(
            client_id, lambda store: change_client(store, client_id, change, now)
        )
        return done(BASE, notice)

    return set_state


@page(PERMISSION, form=True)
async def client_delete(request: Request, svc: Services, viewer: Viewer) -> Response:
    client_id = request.path_params["clientId"]
    await svc.auth.change_client(client_id, lambda store: delete_client(store, client_id))
    return done(BASE, "deleted")


@page(PERMISSION, form=True)
async def client_revoke(request: Request, svc: Services, viewer: Viewer) -> Response:
    client_id = request.path_params["clientId"]
    await svc.auth.change_client(client_id, lambda store: revoke_tokens(store, client_id))
    return done(BASE, "revoked")


@page(PERMISSION, form=True)
async def client_secret(request: Request, svc: Services, viewer: Viewer) -> Response:
    client_id = request.path_params["clientId"]
    now = svc.clock()
    client, secret = await svc.auth.change_client(
        client_id, lambda store: rotate_secret(store, client_id, now)
    )
    return _made(request, viewer, N_("New client secret"), client, secret)


CLIENT_ROUTES: list[BaseRoute] = [
    Route(BASE, clients, methods=["GET"]),
    Route(BASE, client_create, methods=["POST"]),
    Route(BASE + "/{clientId}/disable", _state("disabled", "disabled"), methods=["POST"]),
    Route(BASE + "/{clientId}/enable", _state("active", "enabled"), methods=["POST"]),
    Route(BASE + "/{clientId}/delete", client_delete, methods=["POST"]),
    Route(BASE + "/{clientId}/revoke", client_revoke, methods=["POST"]),
    Route(BASE + "/{clientId}/secret", client_secret, methods=["POST"]),
]
