"""The directory of queues and wrap-up codes, on Genesys-shaped routes (users, the agents, are
in ``api/users.py``: they may have accounts).

``POST {"name": ...}`` creates an entry and returns it with its ``id`` (our extension: a
client may give the ``id`` too, to mirror the ids its contact centre uses); ``GET`` lists
(``pageSize``, ``pageNumber``, ``name`` with ``*`` wildcards) and reads; ``PUT`` renames;
``DELETE`` removes. Names show on session cards and in event attributes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import wire
from journeyline.api.contract import (
    PAGE_NUMBER,
    Ext,
    GivenId,
    Name,
    Operation,
    Param,
    declare,
    page_size,
)
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    one_param,
    page_listing,
    page_params,
    read_body,
    services,
)
from journeyline.api.shapes_entities import (
    Queue,
    QueueEntityListing,
    WrapupCode,
    WrapupCodeEntityListing,
)
from journeyline.core.ids import check_id
from journeyline.model.directory import DirectoryEntry
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import Store


class EntryBody(msgspec.Struct):
    """A directory entry's name, and (our extension) the id to give it."""

    name: Name
    id: Ext[GivenId] | None = None


def parse_entry(raw: bytes) -> EntryBody:
    try:
        body = msgspec.json.decode(raw, type=EntryBody)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"invalid body: {exc}", field="name") from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    if not body.name.strip() or len(body.name) > 256:
        raise InvalidInput("name must be 1 to 256 characters", field="name")
    if body.id is not None:
        check_id(body.id)
    return body


async def put_entry(svc: Services, kind: str, entry_id: str, name: str) -> DirectoryEntry:
    entry = DirectoryEntry(kind, entry_id, name.strip(), svc.clock())
    await svc.writer.call(lambda store: store.directory_put(entry))
    return entry


async def entry_listing(
    svc: Services,
    request: Request,
    path: str,
    kind: str,
    docs: Callable[[Store, list[DirectoryEntry]], list[dict[str, Any]]],
) -> Response:
    """One page of a kind's entries as ``docs`` shows them (``pageSize``, ``pageNumber``,
    ``name`` with ``*`` wildcards)."""
    size, number = page_params(request)
    name = one_param(request, "name")

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        entries, total = store.directory_list(kind, page_number=number, page_size=size, name=name)
        return docs(store, entries), total

    found, total = await svc.read(read)
    return json_response(page_listing(path, found, total, size, number))


#: kind -> (what it is called, its shape, its listing's shape)
SHAPES: dict[str, tuple[str, type[Any], type[Any]]] = {
    "queue": ("queue", Queue, QueueEntityListing),
    "wrapupcode": ("wrap-up code", WrapupCode, WrapupCodeEntityListing),
}
NAME = Param("name", str, "the exact name, `*` a wildcard")


def directory_operations(
    what: str,
    shape: type[Any],
    listing: type[Any],
    body: type[Any],
    *,
    change: str = "Rename",
    description: str = "",
) -> tuple[tuple[Operation, Operation], tuple[Operation, Operation, Operation]]:
    """What a directory collection's route and its entries' route take and answer."""
    write = "directory:write"
    return (
        Operation(
            "GET",
            f"List {what}s, by name",
            {200: listing},
            "journey:read",
            params=(page_size(500), PAGE_NUMBER, NAME),
        ),
        Operation(
            "POST", f"Create a {what}", {200: shape}, write, body=body, description=description
        ),
    ), (
        Operation("GET", f"A {what}", {200: shape}, "journey:read"),
        Operation(
            "PUT", f"{change} a {what}", {200: shape}, write, body=body, description=description
        ),
        Operation("DELETE", f"Delete a {what}", {204: None}, write),
    )


def routes(path: str, kind: str) -> list[Route]:
    what, shape, listing_shape = SHAPES[kind]
    collection, entry = directory_operations(what, shape, listing_shape, EntryBody)

    @declare(*collection)
    async def listing(request: Request) -> Response:
        svc = services(request)
        if request.method == "POST":
            body = parse_entry(await read_body(request, 64 * 1024))
            entry = await put_entry(svc, kind, body.id or str(uuid.uuid4()), body.name)
            return json_response(wire.directory_entry(entry))
        return await entry_listing(
            svc, request, path, kind, lambda _, entries: [wire.directory_entry(e) for e in entries]
        )

    @declare(*entry)
    async def one(request: Request) -> Response:
        svc = services(request)
        entry_id = request.path_params["entryId"]
        if request.method == "GET":
            found = await svc.read(lambda store: store.directory_get(kind, entry_id))
            if found is None:
                raise NotFound(f"no {kind} with id {entry_id}")
            return json_response(wire.directory_entry(found))
        if request.method == "DELETE":
            deleted = await svc.writer.call(lambda store: store.directory_delete(kind, entry_id))
            if not deleted:
                raise NotFound(f"no {kind} with id {entry_id}")
            return Response(status_code=204)
        body = parse_entry(await read_body(request, 64 * 1024))
        if await svc.read(lambda store: store.directory_get(kind, entry_id)) is None:
            raise NotFound(f"no {kind} with id {entry_id}")
        entry = await put_entry(svc, kind, entry_id, body.name)
        return json_response(wire.directory_entry(entry))

    return [
        Route(path, listing, methods=["GET", "POST"]),
        Route(path + "/{entryId}", one, methods=["GET", "PUT", "DELETE"]),
    ]


DIRECTORY_ROUTES = [
    *routes("/api/v2/routing/queues", "queue"),
    *routes("/api/v2/routing/wrapupcodes", "wrapupcode"),
]
