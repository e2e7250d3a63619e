"""A contact's segment assignments, on the Genesys routes.

``GET /api/v2/externalcontacts/contacts/{contactId}/journey/segments`` lists the assignments in
force for the contact (customer segments, and session segments assigned on its sessions), with
``includeMerged`` (its whole merge set) and ``limit`` (1 to 500, 25 unless given): a Genesys
``SegmentAssignmentListing``.

``POST`` on the same route assigns (or renews the expiry of) and unassigns up to 10 customer
segments each, through the single writer (``engine.assignments``): a Genesys
``UpdateSegmentAssignmentResponse`` whose ``unprocessedItems`` names the segments that could not
be (unknown, inactive, session-scoped, or not assigned when unassigning) "for the client to
retry".
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.contract import INCLUDE_MERGED, Operation, Param, declare
from journeyline.api.errors import json_response
from journeyline.api.services import (
    caller,
    decode_body,
    int_param,
    one_param,
    read_body,
    services,
)
from journeyline.api.shapes_entities import (
    SegmentAssignmentListing,
    UpdateSegmentAssignmentResponse,
)
from journeyline.api.wire import Json, compact, session_uri
from journeyline.clock import iso
from journeyline.engine import queries
from journeyline.engine.assignments import held
from journeyline.model.commands import AssignSegments
from journeyline.model.errors import InvalidInput
from journeyline.store.base import Store

ROUTE = "/api/v2/externalcontacts/contacts/{contactId}/journey/segments"


class SegmentRefBody(msgspec.Struct):
    id: str


class SegmentsBody(msgspec.Struct):
    segments: list[SegmentRefBody] = []


class UpdateSegmentAssignmentRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Customer segments to assign (or renew) and to unassign, up to 10 each."""

    assign: SegmentsBody | None = None
    unassign: SegmentsBody | None = None


def _flag(request: Request, name: str) -> bool:
    raw = (one_param(request, name) or "false").lower()
    if raw not in ("true", "false"):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return raw == "true"


@declare(
    Operation(
        "GET",
        "The segments assigned to the contact now (SegmentAssignmentListing)",
        {200: SegmentAssignmentListing},
        "journey:read",
        params=(
            INCLUDE_MERGED,
            Param("limit", Annotated[int, msgspec.Meta(ge=1, le=500)], "at most, 1 to 500", 25),
        ),
    ),
    Operation(
        "POST",
        "Assign and unassign customer segments",
        {200: UpdateSegmentAssignmentResponse},
        "contacts:write",
        body=UpdateSegmentAssignmentRequest,
        description="`unprocessedItems` names what could not be (unknown, inactive, "
        "session-scoped, or not assigned when unassigning).",
    ),
)
async def contact_segments(request: Request) -> Response:
    svc = services(request)
    contact_id = request.path_params["contactId"]
    if request.method == "POST":
        principal = caller(request)
        body = decode_body(await read_body(request, 64 * 1024), UpdateSegmentAssignmentRequest)
        now = svc.clock()
        await svc.read(queries.live_contact, contact_id, now)
        command = AssignSegments(
            actor=principal.client_id,
            at_ms=now,
            contact_id=contact_id,
            assign=tuple(s.id for s in (body.assign.segments if body.assign else [])),
            unassign=tuple(s.id for s in (body.unassign.segments if body.unassign else [])),
        )
        unprocessed = await svc.run_command(command)
        count = sum(len(ids) for ids in unprocessed.values())
        return json_response(
            {
                "unprocessedItems": {
                    "assign": {"segments": [{"id": i} for i in unprocessed["assign"]]},
                    "unassign": {"segments": [{"id": i} for i in unprocessed["unassign"]]},
                    "count": count,
                }
            }
        )
    limit = int_param(request, "limit", 25, low=1, high=500)
    include_merged = _flag(request, "includeMerged")
    entities = await svc.read(_assignments, contact_id, svc.clock(), include_merged, limit)
    return json_response({"entities": entities})


def _assignments(
    store: Store, contact_id: str, now: int, include_merged: bool, limit: int
) -> list[Json]:
    """The segments a live contact (and its merge set) holds now, at most ``limit``."""
    queries.live_contact(store, contact_id, now)
    ids = queries.journey_contact_ids(store, contact_id, include_merged=include_merged)
    entities: list[Json] = []
    for a in store.assignments_of(contact_ids=ids):
        if not held(a, now):
            continue
        session: Json | None = None
        if a.scope == a.session_id:  # a session segment: the session it holds for
            session = {"id": a.session_id, "selfUri": session_uri(a.session_id)}
            if store.get_session(a.session_id) is not None:
                session["type"] = "conversation"
            elif (web := store.web_session_get(a.session_id)) is not None:
                session["type"] = web.type
        entities.append(
            compact(
                {
                    "dateAssigned": iso(a.assigned_ms),
                    "dateForUnassignment": iso(a.unassign_ms) if a.unassign_ms else None,
                    "segment": {
                        "id": a.segment_id,
                        "selfUri": f"/api/v2/journey/segments/{a.segment_id}",
                    },
                    "externalContact": {
                        "id": a.contact_id,
                        "selfUri": f"/api/v2/externalcontacts/contacts/{a.contact_id}",
                    }
                    if a.contact_id
                    else None,
                    "session": session,
                }
            )
        )
        if len(entities) == limit:
            break
    return entities


ASSIGNMENT_ROUTES = [Route(ROUTE, contact_segments, methods=["GET", "POST"])]
