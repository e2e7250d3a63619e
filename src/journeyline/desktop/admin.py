"""The desktop's admin screens (``/desktop/admin``): the directory (queues, agents, wrap-up
codes), web deployments and their tracker tag; the definitions are in ``admin_definitions``,
flows and dead letters in ``admin_flows``, users in ``admin_users``, OAuth clients in
``admin_clients``.

Each form is turned into the body the API would get and goes through the API's own parse
function and the same store write or engine command (``admin_forms``), so a form validates
exactly as the API does and shows its message next to the field it names. Supervisors manage
the directory and the definitions and see the deployments; only admins create and delete
deployments, and manage OAuth clients and flows (they hold secrets). A secret (a client's, a
flow's) is shown once, on the page that answers the post that made it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api import wire_web
from journeyline.api.directory import parse_entry, put_entry
from journeyline.api.services import Services
from journeyline.api.web import base_url, new_deployment, parse_deployment
from journeyline.desktop.accounts import read_form
from journeyline.desktop.admin_clients import CLIENT_ROUTES
from journeyline.desktop.admin_definitions import DEFINITION_PAGES, DEFINITION_ROUTES
from journeyline.desktop.admin_flows import FLOW_ROUTES
from journeyline.desktop.admin_forms import (
    Errors,
    Pager,
    done,
    field_errors,
    lines,
    page_number,
    show,
)
from journeyline.desktop.admin_users import USER_ROUTES
from journeyline.desktop.pages import Viewer, message_text, page
from journeyline.desktop.users import delete_user
from journeyline.desktop.views import N_
from journeyline.model.errors import Conflict, Forbidden, InvalidInput, NotFound

BASE = "/desktop/admin"
#: Seeing the deployments (and so the admin index): supervisors and admins, not agents.
SUPERVISE = "directory:write"
N_("ingest")  # the role of an OAuth client that only sends conversation events


@dataclass(frozen=True, slots=True)
class Section:
    path: str
    title: str
    about: str
    permission: str


SECTIONS = (
    Section(
        "directory/queues",
        N_("Directory"),
        N_("Queues, agents and wrap-up codes: the names session cards show."),
        "directory:write",
    ),
    Section(
        "deployments",
        N_("Deployments"),
        N_("Websites that send web events, and the tracker tag to put on their pages."),
        SUPERVISE,
    ),
    *(Section(p.path, p.title, p.about, "definitions:write") for p in DEFINITION_PAGES.values()),
    Section(
        "flows",
        N_("Flows"),
        N_("Webhooks that action maps call, and the deliveries that failed."),
        "flows:admin",
    ),
    Section(
        "users",
        N_("Users"),
        N_("Who signs in to the desktop: their email, password and role."),
        "users:admin",
    ),
    Section(
        "clients",
        N_("OAuth clients"),
        N_("Programs that call the API with client credentials."),
        "clients:admin",
    ),
)


@page(SUPERVISE)
async def index(request: Request, svc: Services, viewer: Viewer) -> Response:
    shown = [s for s in SECTIONS if s.permission in viewer.permissions]
    return show(request, "admin/index.html", viewer, sections=shown)


# -- the directory -----------------------------------------------------------------------------

#: path segment -> (the directory's kind, the page's title)
DIRECTORY = {
    "queues": ("queue", N_("Queues")),
    "agents": ("user", N_("Agents")),
    "wrapupcodes": ("wrapupcode", N_("Wrap-up codes")),
}


def _directory_kind(request: Request) -> tuple[str, str, str]:
    segment = request.path_params["kind"]
    if segment not in DIRECTORY:
        raise NotFound(f"no directory {segment!r}")
    kind, title = DIRECTORY[segment]
    return segment, kind, title


async def _directory_page(
    request: Request, svc: Services, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    segment, kind, title = _directory_kind(request)
    number = page_number(request)
    size = Pager(number, 0).size
    entries, total = await svc.read(
        lambda store: store.directory_list(kind, page_number=number, page_size=size, name=None)
    )
    context.setdefault("values", {})
    context.setdefault("renaming", {})
    return show(
        request,
        "admin/directory.html",
        viewer,
        status=status,
        kinds=DIRECTORY,
        segment=segment,
        title=title,
        entries=entries,
        pager=Pager(number, total),
        **context,
    )


def _entry(form: dict[str, str]) -> Any:
    """The API's own parse of ``{"name", "id"}``."""
    doc = {"name": form.get("name", ""), "id": form.get("id", "").strip() or None}
    return parse_entry(msgspec.json.encode(doc))


@page("directory:write")
async def directory(request: Request, svc: Services, viewer: Viewer) -> Response:
    return await _directory_page(request, svc, viewer)


@page("directory:write", form=True)
async def directory_create(request: Request, svc: Services, viewer: Viewer) -> Response:
    segment, kind, _ = _directory_kind(request)
    form = await read_form(request)
    try:
        body = _entry(form)
    except InvalidInput as exc:
        errors = field_errors(exc, ("name", "id"))
        return await _directory_page(request, svc, viewer, status=400, errors=errors, values=form)
    await put_entry(svc, kind, body.id or str(uuid.uuid4()), body.name)
    return done(f"{BASE}/directory/{segment}", "created")


@page("directory:write", form=True)
async def directory_rename(request: Request, svc: Services, viewer: Viewer) -> Response:
    segment, kind, _ = _directory_kind(request)
    entry_id = request.path_params["entryId"]
    if await svc.read(lambda store: store.directory_get(kind, entry_id)) is None:
        raise NotFound(f"no {kind} with id {entry_id}")
    form = await read_form(request)
    try:
        body = parse_entry(msgspec.json.encode({"name": form.get("name", "")}))
    except InvalidInput as exc:
        renaming = {entry_id: (form.get("name", ""), message_text(request, exc.message, 400))}
        return await _directory_page(request, svc, viewer, status=400, renaming=renaming)
    await put_entry(svc, kind, entry_id, body.name)
    return done(f"{BASE}/directory/{segment}", "saved")


@page("directory:write", form=True)
async def directory_delete(request: Request, svc: Services, viewer: Viewer) -> Response:
    segment, kind, _ = _directory_kind(request)
    entry_id = request.path_params["entryId"]
    if kind == "user":  # as DELETE /api/v2/users/{userId}: an account goes with its user
        if entry_id == viewer.user_id:  # as the Users screen: not the only admin's own account
            raise Conflict("you cannot delete the user you are signed in as")
        account = await svc.read(lambda store: store.account_get(entry_id))
        if account is not None and "users:admin" not in viewer.permissions:
            raise Forbidden("only an admin may delete a user who signs in")
        deleted = await svc.writer.call(lambda store: delete_user(store, entry_id))
    else:
        deleted = await svc.writer.call(lambda store: store.directory_delete(kind, entry_id))
    if not deleted:
        raise NotFound(f"no {kind} with id {entry_id}")
    return done(f"{BASE}/directory/{segment}", "deleted")


# -- deployments -------------------------------------------------------------------------------

DEPLOYMENT_FIELDS = ("name", "description", "allowedDomains", "allowAllDomains")


async def _deployments_page(
    request: Request,
    svc: Services,
    viewer: Viewer,
    *,
    status: int = 200,
    errors: Errors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    base = base_url(svc, request)
    found = await svc.read(lambda store: store.deployments())
    shown = [(d, wire_web.deployment(d, base_url=base)["snippet"]) for d in found]
    return show(
        request,
        "admin/deployments.html",
        viewer,
        status=status,
        deployments=shown,
        errors=errors or {},
        values=values if values is not None else {"collectIpAddresses": True},
    )


@page(SUPERVISE)
async def deployments(request: Request, svc: Services, viewer: Viewer) -> Response:
    return await _deployments_page(request, svc, viewer)


@page("deployments:write", form=True)
async def deployment_create(request: Request, svc: Services, viewer: Viewer) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "allowedDomains": form.get("allowedDomains", ""),
        "allowAllDomains": "allowAllDomains" in form,
        "collectIpAddresses": "collectIpAddresses" in form,
    }
    doc = {
        **values,
        "description": values["description"].strip() or None,
        "allowedDomains": lines(values["allowedDomains"]),
    }
    try:
        body = parse_deployment(msgspec.json.encode(doc))
    except InvalidInput as exc:
        errors = field_errors(exc, DEPLOYMENT_FIELDS)
        return await _deployments_page(
            request, svc, viewer, status=400, errors=errors, values=values
        )
    created = new_deployment(body, svc.clock())
    await svc.writer.call(lambda store: store.deployment_put(created))
    return done(f"{BASE}/deployments", "created")


@page("deployments:write", form=True)
async def deployment_delete(request: Request, svc: Services, viewer: Viewer) -> Response:
    deployment_id = request.path_params["deploymentId"]
    if not await svc.writer.call(lambda store: store.deployment_delete(deployment_id)):
        raise NotFound(f"no deployment with id {deployment_id}")
    return done(f"{BASE}/deployments", "deleted")


ADMIN_ROUTES: list[BaseRoute] = [
    Route(BASE, index, methods=["GET"]),
    Route(BASE + "/directory/{kind}", directory, methods=["GET"]),
    Route(BASE + "/directory/{kind}", directory_create, methods=["POST"]),
    Route(BASE + "/directory/{kind}/{entryId}", directory_rename, methods=["POST"]),
    Route(BASE + "/directory/{kind}/{entryId}/delete", directory_delete, methods=["POST"]),
    Route(BASE + "/deployments", deployments, methods=["GET"]),
    Route(BASE + "/deployments", deployment_create, methods=["POST"]),
    Route(BASE + "/deployments/{deploymentId}/delete", deployment_delete, methods=["POST"]),
    *CLIENT_ROUTES,
    *DEFINITION_ROUTES,
    *FLOW_ROUTES,
    *USER_ROUTES,
]
