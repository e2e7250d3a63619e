"""``POST /api/v2/journey/conversationevents``: contact-centre detail events in.

Accepts one event object or an array of them. Valid items are stored durably (the response is
sent after the commit) and applied; invalid ones are reported with the field at fault. The
response is 202 with a result per item: ``accepted``, ``duplicate`` or ``rejected``. A request
in which nothing could be accepted is a 400.
"""

from __future__ import annotations

from typing import Annotated, Any

from starlette.requests import Request
from starlette.responses import Response

from journeyline.api.contract import Operation, declare, documented
from journeyline.api.errors import error_body, json_response
from journeyline.api.services import read_body, services
from journeyline.api.shapes import IntakeError, IntakeResult
from journeyline.ingest import genesys_detail
from journeyline.ingest.genesys_detail import Accepted, ConversationDetailEvent, Rejected

#: The body as an array (``genesys_detail.decode_items`` checks its size).
EventArray = Annotated[
    list[ConversationDetailEvent], documented(minItems=1, maxItems=genesys_detail.MAX_ITEMS)
]


@declare(
    Operation(
        "POST",
        f"Contact-centre detail events in: one, or an array of up to {genesys_detail.MAX_ITEMS}",
        {202: IntakeResult, 400: IntakeError},
        permission="events:write",
        body=ConversationDetailEvent | EventArray,
        extension=True,
        description="Each event as Genesys delivers it to an event bridge; each item is "
        "accepted (stored before the answer), a duplicate, or rejected naming the field at "
        "fault. 400 when none could be accepted; 413 for a body over the limit.",
    )
)
async def post_conversation_events(request: Request) -> Response:
    svc = services(request)
    raw = await read_body(request, svc.settings.max_body_bytes)
    items = genesys_detail.decode_items(raw)
    parsed = genesys_detail.parse_many(items)
    good = [p for p in parsed if isinstance(p, Accepted)]
    if not good:
        first = parsed[0]
        assert isinstance(first, Rejected)
        body = error_body(400, "bad.request", first.message, first.field)
        body["entities"] = [_rejected(p) for p in parsed if isinstance(p, Rejected)]
        svc.metrics.count_events("conversation", (e["status"] for e in body["entities"]))
        return json_response(body, 400)
    applied = iter(await svc.submit_events(good))
    entities: list[dict[str, Any]] = []
    for p in parsed:
        if isinstance(p, Rejected):
            entities.append(_rejected(p))
        elif (result := next(applied)).error is not None:  # of a person erased lately
            entities.append(
                {"index": len(entities), "status": "rejected", "message": result.error.message}
            )
        else:
            entities.append(
                {
                    "index": len(entities),
                    "status": result.status,
                    "id": result.key,
                    "session": {"id": result.session_id, "type": "conversation"},
                }
            )
    svc.metrics.count_events("conversation", (e["status"] for e in entities))
    counts = {s: sum(1 for e in entities if e["status"] == s) for s in ("accepted", "duplicate")}
    counts["rejected"] = len(entities) - counts["accepted"] - counts["duplicate"]
    return json_response({"entities": entities, **counts}, 202)


def _rejected(item: Rejected) -> dict[str, Any]:
    doc: dict[str, Any] = {"index": item.index, "status": "rejected", "message": item.message}
    if item.field:
        doc["field"] = item.field
    return doc
