"""Admin screens for flows (webhooks that action maps call) and their dead letters: admins only,
as on the API (a flow holds a signing secret).

Registering, deleting and replaying go through the API's ``FlowRegistry`` (the URL checks, the
409 while an action map names the flow, waking the delivery worker); the form is parsed by the
API's ``parse_flow``. The signing secret is shown once, on the page that answers the post.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.flows import dead_letters, parse_flow, registry
from journeyline.api.services import Services
from journeyline.desktop.accounts import read_form
from journeyline.desktop.admin_forms import (
    Pager,
    done,
    field_errors,
    page_number,
    show,
    show_secret,
)
from journeyline.desktop.pages import Viewer, page
from journeyline.desktop.views import N_
from journeyline.model.errors import Conflict, InvalidInput, NotFound

BASE = "/desktop/admin/flows"
DEAD = "/desktop/admin/deadletters"
PERMISSION = "flows:admin"
FIELDS = ("name", "url", "description")


async def _flows_page(
    request: Request, svc: Services, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    number = page_number(request)
    size = Pager(number, 0).size
    found, total = await svc.read(
        lambda store: store.flows_page(page_number=number, page_size=size)
    )
    context.setdefault("values", {})
    context.setdefault("problem", None)
    return show(
        request,
        "admin/flows.html",
        viewer,
        status=status,
        flows=found,
        pager=Pager(number, total),
        **context,
    )


@page(PERMISSION)
async def flows(request: Request, svc: Services, viewer: Viewer) -> Response:
    return await _flows_page(request, svc, viewer)


@page(PERMISSION, form=True)
async def flow_create(request: Request, svc: Services, viewer: Viewer) -> Response:
    form = await read_form(request)
    doc = {name: form.get(name, "") for name in FIELDS}
    try:
        changes = parse_flow(msgspec.json.encode(doc), partial=False)
        assert changes.name is not None  # not partial: both are there
        assert changes.url is not None
        flow, secret = await registry(svc).create(
            changes.name, changes.url, changes.description or None
        )
    except InvalidInput as exc:
        errors = field_errors(exc, FIELDS)
        return await _flows_page(request, svc, viewer, status=400, errors=errors, values=form)
    return show_secret(
        request,
        viewer,
        N_("Flow registered"),
        [(N_("Flow id"), flow.id), (N_("Name"), flow.name), (N_("URL"), flow.url)],
        (N_("Signing secret"), secret),
        BASE,
    )


@page(PERMISSION, form=True)
async def flow_delete(request: Request, svc: Services, viewer: Viewer) -> Response:
    try:
        await registry(svc).delete(request.path_params["flowId"])
    except Conflict as exc:  # an action map names it
        return await _flows_page(request, svc, viewer, status=409, problem=exc.message)
    return done(BASE, "deleted")


# -- dead letters ------------------------------------------------------------------------------


@page(PERMISSION)
async def deadletters(request: Request, svc: Services, viewer: Viewer) -> Response:
    number = page_number(request)
    letters, total = await svc.read(dead_letters, number, Pager(number, 0).size)
    return show(
        request, "admin/deadletters.html", viewer, letters=letters, pager=Pager(number, total)
    )


@page(PERMISSION, form=True)
async def replay(request: Request, svc: Services, viewer: Viewer) -> Response:
    delivery_id = request.path_params["deliveryId"]
    if not await registry(svc).replay([delivery_id]):
        raise NotFound(f"no dead letter with id {delivery_id}")
    return done(DEAD, "replayed")


@page(PERMISSION, form=True)
async def replay_all(request: Request, svc: Services, viewer: Viewer) -> Response:
    await registry(svc).replay(None)
    return done(DEAD, "replayed")


FLOW_ROUTES: list[BaseRoute] = [
    Route(BASE, flows, methods=["GET"]),
    Route(BASE, flow_create, methods=["POST"]),
    Route(BASE + "/{flowId}/delete", flow_delete, methods=["POST"]),
    Route(DEAD, deadletters, methods=["GET"]),
    Route(DEAD + "/replay", replay_all, methods=["POST"]),
    Route(DEAD + "/{deliveryId}/replay", replay, methods=["POST"]),
]
