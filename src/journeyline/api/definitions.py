"""Segments, outcomes, action maps and action templates, on the Genesys journey routes.

``/api/v2/journey/segments``, ``/outcomes``, ``/actionmaps``, ``/actiontemplates``: ``GET``
lists (``pageSize``, ``pageNumber``, ``sortBy`` — ``displayName``, ``createdDate`` or
``modifiedDate``, ``-`` first for descending — ``isActive``, and ``queryFields=displayName``
with ``queryValue``), ``POST`` creates, ``GET /{id}`` reads, ``PATCH /{id}`` changes the fields
given (the body names the ``version`` it changes: a stale one is 409), ``DELETE /{id}``
removes (409 while an action map names the segment or template). Writes need the admin role.
Bodies are validated by ``ingest.definitions`` (400 naming the field); each write is a command
through the single writer (``engine.definitions``).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import shapes_entities as shapes
from journeyline.api.contract import PAGE_NUMBER, Operation, Param, declare, page_size
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    caller,
    one_param,
    page_listing,
    page_params,
    read_body,
    services,
)
from journeyline.engine.definitions import ENCODERS, typed
from journeyline.ingest import definition_wire as bodies
from journeyline.ingest import definitions as wire
from journeyline.model.commands import DeleteDefinition, PutDefinition
from journeyline.model.errors import Conflict, InvalidInput, NotFound
from journeyline.store.base import Store

MAX_BODY = 256 * 1024

#: kind -> (path segment, how a body is decoded into a record)
KINDS: dict[str, tuple[str, Any]] = {
    "segment": ("segments", wire.decode_segment),
    "outcome": ("outcomes", wire.decode_outcome),
    "actionmap": ("actionmaps", wire.decode_action_map),
    "actiontemplate": ("actiontemplates", wire.decode_action_template),
}
_SORTS = ("displayName", "createdDate", "modifiedDate")
#: kind -> (what it is called, its request body, its shape, its listing's shape)
SHAPES: dict[str, tuple[str, type[Any], type[Any], type[Any]]] = {
    "segment": ("segment", bodies.SegmentBody, shapes.JourneySegment, shapes.JourneySegmentListing),
    "outcome": ("outcome", bodies.OutcomeBody, shapes.Outcome, shapes.OutcomeListing),
    "actionmap": (
        "action map",
        bodies.ActionMapBody,
        shapes.ActionMap,
        shapes.ActionMapListing,
    ),
    "actiontemplate": (
        "action template",
        bodies.ActionTemplateBody,
        shapes.ActionTemplate,
        shapes.ActionTemplateListing,
    ),
}
LISTING_PARAMS = (
    page_size(500),
    PAGE_NUMBER,
    Param(
        "sortBy",
        Literal[
            "displayName",
            "createdDate",
            "modifiedDate",
            "-displayName",
            "-createdDate",
            "-modifiedDate",
        ],
        "the order, `-` first for descending",
        "displayName",
    ),
    Param("isActive", bool, "only the active ones, or only the others"),
    Param("queryFields", Literal["displayName", "name"], "where to look for `queryValue`"),
    Param("queryValue", str, "what the name contains"),
)


class DefinitionPatch(msgspec.Struct):
    """A JSON merge patch (RFC 7396) of the definition's fields, naming the ``version`` it
    changes; the result is validated as a whole."""

    version: int


def current_definition(store: Store, kind: str, definition_id: str) -> Any:
    """The definition as it is stored now; NotFound when there is none."""
    found = store.definition_get(kind, definition_id)
    if found is None:
        raise NotFound(f"no {kind} with id {definition_id}")
    return typed(found)


def _check_references(store: Store, record: Any) -> None:
    """An action map may only name flows that exist (its segments and templates are checked
    by the writer, ``engine.definitions``)."""
    _, flows, _ = wire.references(record)
    for flow_id in flows:
        if store.flow_get(flow_id) is None:
            raise InvalidInput(f"no flow with id {flow_id}", field=_flow_field(record))


def _flow_field(action_map: Any) -> str:
    if action_map.action.media_type == "webMessagingOffer":
        return "action.webMessagingOfferFields.architectFlow.id"
    return "action.architectFlowFields.architectFlow.id"


async def put_definition(
    svc: Services, kind: str, record: Any, expected: int | None, actor: str
) -> Any:
    """Write ``record`` by the engine's command (``expected``: the version it replaces, None
    for a new one) and read it back; the desktop's forms call this too."""
    if kind == "actionmap":
        await svc.read(_check_references, record)
    command = PutDefinition(
        actor=actor,
        at_ms=record.modified_ms,
        kind=kind,
        id=record.id,
        doc=ENCODERS[kind](record),
        expected_version=expected,
    )
    await svc.run_command(command)
    return await svc.read(current_definition, kind, record.id)


def _sort(request: Request) -> tuple[str, bool]:
    raw = one_param(request, "sortBy")
    raw = "displayName" if raw is None else raw  # an empty one is no sort: a 400
    descending = raw.startswith("-")
    field = raw.removeprefix("-")
    if field not in _SORTS:
        raise InvalidInput(f"sortBy must be one of {', '.join(_SORTS)}", field="sortBy")
    return field, descending


def _bool_param(request: Request, name: str) -> bool | None:
    raw = one_param(request, name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return raw.lower() == "true"


#: What a body must be beyond what its schema says, by kind.
BEYOND = {
    "actionmap": " Beyond the schema: the segments, action template and flow it names are "
    "stored ones, and `endDate` is after `startDate`."
}


def routes(kind: str) -> list[Route]:
    segment, decode = KINDS[kind]
    path = f"/api/v2/journey/{segment}"
    encode = ENCODERS[kind]
    what, body_type, shape, listing_shape = SHAPES[kind]
    write = "definitions:write"

    @declare(
        Operation(
            "GET", f"List {what}s", {200: listing_shape}, "journey:read", params=LISTING_PARAMS
        ),
        Operation(
            "POST",
            f"Create a {what} (docs/definitions.md)",
            {200: shape},
            write,
            body=body_type,
            description="400 naming the field at fault (a JSON path)." + BEYOND.get(kind, ""),
        ),
    )
    async def listing(request: Request) -> Response:
        svc = services(request)
        if request.method == "POST":
            principal = caller(request)
            body = await read_body(request, MAX_BODY)
            record = decode(body, id=str(uuid.uuid4()), now_ms=svc.clock())
            stored = await put_definition(svc, kind, record, None, principal.client_id)
            return json_response(encode(stored))
        size, number = page_params(request)
        sort_by, descending = _sort(request)
        fields = one_param(request, "queryFields")
        if fields not in (None, "", "displayName", "name"):
            raise InvalidInput("queryFields may only be displayName", field="queryFields")
        is_active = _bool_param(request, "isActive")
        name_contains = one_param(request, "queryValue") or None
        rows, total = await svc.read(
            lambda store: store.definitions_page(
                kind,
                page_number=number,
                page_size=size,
                sort_by=sort_by,
                descending=descending,
                is_active=is_active,
                name_contains=name_contains,
            )
        )
        listing = page_listing(path, [encode(typed(r)) for r in rows], total, size, number)
        uri = f"{path}?pageSize={size}&pageNumber="
        listing["firstUri"] = f"{uri}1"
        listing["lastUri"] = f"{uri}{max(listing['pageCount'], 1)}"
        listing["previousUri"] = f"{uri}{number - 1}" if number > 1 else None
        return json_response(listing)

    @declare(
        Operation("GET", f"A {what}", {200: shape}, "journey:read"),
        Operation(
            "PATCH",
            f"Change the fields of a {what} the body gives",
            {200: shape},
            write,
            body=DefinitionPatch,
            description="409 when `version` is not the current one.",
        ),
        Operation(
            "DELETE",
            f"Delete a {what}",
            {204: None},
            write,
            description="409 while an action map names it.",
        ),
    )
    async def one(request: Request) -> Response:
        svc = services(request)
        definition_id = request.path_params["definitionId"]
        if request.method == "GET":
            return json_response(encode(await svc.read(current_definition, kind, definition_id)))
        principal = caller(request)
        if request.method == "DELETE":
            await svc.read(current_definition, kind, definition_id)
            command = DeleteDefinition(
                actor=principal.client_id, at_ms=svc.clock(), kind=kind, id=definition_id
            )
            await svc.run_command(command)
            return Response(status_code=204)
        body = await read_body(request, MAX_BODY)
        current = await svc.read(current_definition, kind, definition_id)
        version = _patch_version(body)
        if version != current.version:
            raise Conflict(
                f"version {version} is not the current version {current.version}",
                field="version",
            )
        record = decode(body, current=current, now_ms=svc.clock())
        stored = await put_definition(svc, kind, record, current.version, principal.client_id)
        return json_response(encode(stored))

    return [
        Route(path, listing, methods=["GET", "POST"]),
        Route(path + "/{definitionId}", one, methods=["GET", "PATCH", "DELETE"]),
    ]


def _patch_version(body: bytes) -> int:
    """The ``version`` a PATCH body says it changes (required, as Genesys requires it)."""
    try:
        doc = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput("version (a whole number) is required", field="version")
    return version


DEFINITION_ROUTES = [route for kind in KINDS for route in routes(kind)]
