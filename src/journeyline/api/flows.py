"""Flows (``architectFlow`` actions) as registered webhooks, and their dead letters; admin only.

``POST /api/v2/flows`` registers ``{name, url, description?}`` and answers the flow with its
signing ``secret`` (``whsec_…``), shown this once; ``POST .../{flowId}/secret`` rotates it. No
other answer carries a secret. What a receiver gets and how it verifies it: docs/flows.md.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.contract import PAGE_NUMBER, Name, Operation, declare, documented, page_size
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    decode_body,
    page_listing,
    page_params,
    read_body,
    services,
)
from journeyline.api.shapes_entities import Delivery as DeliveryShape
from journeyline.api.shapes_entities import DeliveryListing, FlowListing, FlowSecret
from journeyline.api.shapes_entities import Flow as FlowShape
from journeyline.api.wire import Json, compact
from journeyline.clock import iso
from journeyline.engine.flows import FlowChanges, FlowRegistry
from journeyline.engine.targets import MAX_URL
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.model.flows import Delivery, Flow
from journeyline.store.base import Store

BASE = "/api/v2/flows"
PERMISSION = "flows:admin"
MAX_BODY = 16 * 1024


#: A flow's URL as ``engine.targets.parse_url`` takes it (its address is checked there).
FlowUrl: TypeAlias = Annotated[
    str, documented(maxLength=MAX_URL, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\s]+")
]
Description: TypeAlias = Annotated[str, documented(maxLength=1024)]


class FlowChangesBody(msgspec.Struct):
    """The fields a ``PATCH`` changes: each may be left out."""

    name: Name | None = None
    url: FlowUrl | None = None
    description: Description | None = None


class FlowBody(msgspec.Struct):
    """A flow's fields (``POST``, ``PUT``): ``name`` and ``url`` required."""

    name: Name
    url: FlowUrl
    description: Description | None = None


def parse_flow(raw: bytes, *, partial: bool) -> FlowChanges:
    """A flow's fields from a body; ``partial`` (PATCH): each may be left out."""
    body = decode_body(raw, FlowChangesBody) if partial else decode_body(raw, FlowBody)
    if body.name is not None and not 0 < len(body.name.strip()) <= 256:
        raise InvalidInput("name must be 1 to 256 characters", field="name")
    if body.description is not None and len(body.description) > 1024:
        raise InvalidInput("description must be at most 1024 characters", field="description")
    name = None if body.name is None else body.name.strip()
    if partial:
        return FlowChanges(name=name, url=body.url, description=body.description)
    return FlowChanges(name=name, url=body.url, description=body.description or "")


def flow_doc(flow: Flow, secret: str | None = None) -> Json:
    return compact(
        {
            "id": flow.id,
            "name": flow.name,
            "url": flow.url,
            "description": flow.description,
            "dateCreated": iso(flow.created_ms),
            "dateModified": iso(flow.modified_ms),
            "secret": secret,
            "selfUri": f"{BASE}/{flow.id}",
        }
    )


def _body(raw: bytes) -> Any:
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw.decode("utf-8", "replace")


def delivery_doc(delivery: Delivery, flow: Flow | None) -> Json:
    return compact(
        {
            "id": delivery.id,
            "flow": compact(
                {
                    "id": delivery.flow_id,
                    "name": flow.name if flow else None,
                    "selfUri": f"{BASE}/{delivery.flow_id}",
                }
            ),
            "state": delivery.state,
            "attempts": delivery.attempts,
            "lastStatus": delivery.last_status,
            "lastError": delivery.last_error,
            "dateCreated": iso(delivery.created_ms),
            "dateLastAttempt": iso(delivery.last_attempt_ms)
            if delivery.last_attempt_ms is not None
            else None,
            "dateNextAttempt": iso(delivery.next_attempt_ms)
            if delivery.state == "pending"
            else None,
            "body": _body(delivery.body),
            "selfUri": f"{BASE}/deadletters/{delivery.id}",
        }
    )


def registry(svc: Services) -> FlowRegistry:
    wake = svc.deliveries.wake if svc.deliveries is not None else (lambda: None)
    return FlowRegistry(
        svc.writer.call, svc.clock, allow_private=svc.settings.flows_allow_private, wake=wake
    )


PAGE = (page_size(500), PAGE_NUMBER)
PUBLIC_URL = (
    "Beyond the schema: the URL's host is not, nor resolves to, a private, loopback or "
    "other non-public address (unless `JOURNEYLINE_FLOWS_ALLOW_PRIVATE=true`)."
)


@declare(
    Operation(
        "GET",
        "List flows (webhooks, docs/flows.md)",
        {200: FlowListing},
        PERMISSION,
        params=PAGE,
        extension=True,
    ),
    Operation(
        "POST",
        "Register a flow: the answer holds its signing secret, shown this once",
        {200: FlowShape},
        PERMISSION,
        body=FlowBody,
        extension=True,
        description=PUBLIC_URL,
    ),
)
async def flows(request: Request) -> Response:
    svc = services(request)
    if request.method == "POST":
        changes = parse_flow(await read_body(request, MAX_BODY), partial=False)
        assert changes.name is not None  # not partial: both are there
        assert changes.url is not None
        flow, secret = await registry(svc).create(
            changes.name, changes.url, changes.description or None
        )
        return json_response(flow_doc(flow, secret))
    size, number = page_params(request)
    found, total = await svc.read(
        lambda store: store.flows_page(page_number=number, page_size=size)
    )
    return json_response(
        compact(page_listing(BASE, [flow_doc(f) for f in found], total, size, number))
    )


@declare(
    Operation("GET", "A flow (never its secret)", {200: FlowShape}, PERMISSION, extension=True),
    Operation(
        "PATCH",
        "Change the fields of a flow the body gives",
        {200: FlowShape},
        PERMISSION,
        body=FlowChangesBody,
        extension=True,
        description=PUBLIC_URL,
    ),
    Operation(
        "PUT",
        "Change a flow's name and url",
        {200: FlowShape},
        PERMISSION,
        body=FlowBody,
        extension=True,
        description=PUBLIC_URL,
    ),
    Operation(
        "DELETE",
        "Delete a flow",
        {204: None},
        PERMISSION,
        extension=True,
        description="409 while an action map names it.",
    ),
)
async def flow(request: Request) -> Response:
    svc = services(request)
    flow_id = request.path_params["flowId"]
    if request.method == "GET":
        found = await svc.read(lambda store: store.flow_get(flow_id))
        if found is None:
            raise NotFound(f"no flow with id {flow_id}", field="flowId")
        return json_response(flow_doc(found))
    if request.method == "DELETE":
        await registry(svc).delete(flow_id)
        return Response(status_code=204)
    raw = await read_body(request, MAX_BODY)
    changes = parse_flow(raw, partial=request.method == "PATCH")
    return json_response(flow_doc(await registry(svc).change(flow_id, changes)))


@declare(
    Operation(
        "POST",
        "Rotate a flow's signing secret: the old one signs no more",
        {200: FlowSecret},
        PERMISSION,
        extension=True,
    )
)
async def rotate_secret(request: Request) -> Response:
    svc = services(request)
    flow_id = request.path_params["flowId"]
    secret = await registry(svc).rotate(flow_id)
    return json_response({"id": flow_id, "secret": secret, "selfUri": f"{BASE}/{flow_id}"})


@declare(
    Operation(
        "GET",
        "Deliveries given up on, the last tried first",
        {200: DeliveryListing},
        PERMISSION,
        params=PAGE,
        extension=True,
    )
)
async def deadletters(request: Request) -> Response:
    svc = services(request)
    size, number = page_params(request)
    found, total = await svc.read(dead_letters, number, size)
    entities = [delivery_doc(d, f) for d, f in found]
    return json_response(
        compact(page_listing(f"{BASE}/deadletters", entities, total, size, number))
    )


@declare(
    Operation(
        "POST",
        "A dead letter back to pending, its tries counted from zero",
        {200: DeliveryShape},
        PERMISSION,
        extension=True,
    )
)
async def replay(request: Request) -> Response:
    svc = services(request)
    delivery_id = request.path_params["deliveryId"]
    if not await registry(svc).replay([delivery_id]):
        raise NotFound(f"no dead letter with id {delivery_id}", field="deliveryId")
    found = await svc.read(_delivery, delivery_id)
    if found is None:
        raise NotFound(f"no dead letter with id {delivery_id}", field="deliveryId")
    return json_response(delivery_doc(*found))


def dead_letters(
    store: Store, page_number: int, page_size: int
) -> tuple[list[tuple[Delivery, Flow | None]], int]:
    """A page of dead letters, each with its flow (gone: None), and how many there are."""
    found, total = store.deadletters_page(page_number=page_number, page_size=page_size)
    flows = {d.flow_id: store.flow_get(d.flow_id) for d in found}
    return [(d, flows[d.flow_id]) for d in found], total


def _delivery(store: Store, delivery_id: str) -> tuple[Delivery, Flow | None] | None:
    found = store.outbox_get(delivery_id)
    return None if found is None else (found, store.flow_get(found.flow_id))


FLOW_ROUTES = [  # the dead letters first: "deadletters" is no flow id
    Route(f"{BASE}/deadletters", deadletters, methods=["GET"]),
    Route(f"{BASE}/deadletters/{{deliveryId}}/replay", replay, methods=["POST"]),
    Route(BASE, flows, methods=["GET", "POST"]),
    Route(f"{BASE}/{{flowId}}", flow, methods=["GET", "PATCH", "PUT", "DELETE"]),
    Route(f"{BASE}/{{flowId}}/secret", rotate_secret, methods=["POST"]),
]
