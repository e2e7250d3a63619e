"""A Segment-spec HTTP collector: sites using Segment or RudderStack SDKs feed journeyline.

Routes (mount :data:`SEGMENT_ROUTES`)::

    POST /v1/batch     {"batch": [message, ...], "context"?, "sentAt"?, "writeKey"?}
    POST /v1/track     one message; the route gives its type
    POST /v1/page      (also /v1/screen, /v1/identify, /v1/alias)
    OPTIONS            on each of them: CORS preflight for browser SDKs

Authentication is the source's write key, as at Segment: HTTP Basic with the write key as the
user name and an empty password, or ``writeKey`` in the JSON body. The key names a deployment
(``Deployment.write_key``); a missing, malformed or unknown key is a 401 in the journeyline
error shape. A request from a browser (``Origin``/``Referer``) must come from one of the
deployment's allowed domains (else 403), as for ``webevents``. Any ``Content-Type`` is read as
JSON (analytics.js sends ``text/plain`` to avoid a preflight); ``Content-Encoding: gzip`` is
accepted.

Limits: a request body is at most 500 KB for ``/v1/batch`` and 32 KB for a single call, else
the whole request is a 413 (Segment answers 400; journeyline's shape for a too-large body is
413 ``request.entity.too.large``, and SDKs do not retry either). Inside a batch, a message
over 32 KB is rejected alone. Past the rate limits of its address or of the deployment, a
request is a 429 with ``Retry-After`` (``api/ratelimit.py``).

Responses:

* every message accepted or a duplicate (an SDK retry): 200 ``{"success": true}``, as Segment;
* some messages rejected, some not: 200 ``{"success": false, "results": [{"index", "status",
  "message"?, "field"?}, ...]}`` with one result per message (``accepted``, ``duplicate`` or
  ``rejected``); the good messages are stored. A 200 keeps SDKs from retrying the batch, which
  would not fix the bad messages;
* nothing accepted (a single call that is invalid, a batch of only bad messages): 400 in the
  error shape, naming the first fault, with the same ``results`` beside it, so an SDK reports
  it (``on_error``, or an exception in sync mode) and nothing good is lost;
* a malformed body (not JSON, not an object, no ``batch`` array): 400.

The mapping of messages to web events is :mod:`journeyline.ingest.segment`.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.contract import Operation, Param, declare
from journeyline.api.errors import error_body, json_response
from journeyline.api.services import Services, read_body, services
from journeyline.api.shapes_entities import CollectorError, CollectorResult
from journeyline.api.shapes_segment import CALL_BODIES, SegmentBatch
from journeyline.api.web import check_origin, cors_headers, intake_context, note_refusals
from journeyline.ingest import segment
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.contact import Deployment
from journeyline.model.errors import Forbidden, InvalidInput, PayloadTooLarge, Unauthorized


def _cors(request: Request) -> dict[str, str]:
    return cors_headers(
        request,
        methods="POST, OPTIONS",
        headers="Content-Type, Authorization, Content-Encoding",
    )


def _header_key(request: Request) -> str | None:
    """The write key of a Basic ``Authorization`` header; None when there is no header."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("use HTTP Basic with the write key as the user name")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials") from exc
    return decoded.partition(":")[0]


async def _deployment(svc: Services, write_key: Any) -> Deployment:
    if not isinstance(write_key, str) or not write_key:
        raise Unauthorized("a write key is needed (HTTP Basic user name, or writeKey)")
    deployment = await svc.read(lambda store: store.deployment_by_write_key(write_key))
    if deployment is None:
        raise Unauthorized("unknown write key")
    return deployment


def _inflate(raw: bytes, encoding: str | None, limit: int) -> bytes:
    if encoding is None or encoding.strip().lower() in ("", "identity"):
        return raw
    if encoding.strip().lower() != "gzip":
        raise InvalidInput(f"Content-Encoding {encoding} is not supported (gzip is)")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(f"malformed gzip body: {exc}") from exc
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    return body


def _rejected(index: int, exc: InvalidInput) -> dict[str, Any]:
    doc: dict[str, Any] = {"index": index, "status": "rejected", "message": exc.message}
    if exc.field:
        doc["field"] = exc.field
    return doc


async def _collect(request: Request, call: str | None) -> Response:
    if request.method == "OPTIONS":  # a browser's CORS preflight: no write key in it
        return Response(status_code=204, headers=_cors(request))
    svc = services(request)
    svc.limits.public(request)
    headers: dict[str, str] = {}  # CORS only once the origin is known to be allowed
    try:
        header_key = _header_key(request)
        deployment = await _deployment(svc, header_key) if header_key is not None else None
        limit = segment.MAX_BATCH_BYTES if call is None else segment.MAX_EVENT_BYTES
        raw = await read_body(request, limit)
        body = segment.decode_body(_inflate(raw, request.headers.get("content-encoding"), limit))
        if deployment is None:
            deployment = await _deployment(svc, body.get("writeKey"))
        check_origin(request, deployment)
        svc.limits.deployment.hit(deployment.id)
        headers = _cors(request)
        messages, shared = segment.batch_messages(body) if call is None else ([body], {})
        ctx = await intake_context(svc, request, deployment, user_agent=False)
        parsed: list[AcceptedWeb | InvalidInput] = []
        for message in messages:
            try:
                parsed.append(segment.parse_message(message, ctx, call=call, shared_context=shared))
            except InvalidInput as exc:
                parsed.append(exc)
        good = [p for p in parsed if isinstance(p, AcceptedWeb)]
        note_refusals(svc, "segment", deployment, [p.event for p in good])
        if not good:
            first = parsed[0]
            assert isinstance(first, InvalidInput)
            failure = error_body(400, InvalidInput.code, first.message, first.field)
            failure["results"] = [
                _rejected(i, p) for i, p in enumerate(parsed) if isinstance(p, InvalidInput)
            ]
            svc.metrics.count_events("segment", (r["status"] for r in failure["results"]))
            return json_response(failure, 400, headers)
    except (InvalidInput, Unauthorized, Forbidden) as exc:
        failure = error_body(exc.status, exc.code, exc.message, exc.field)
        if exc.status == 401:
            headers = {**headers, "WWW-Authenticate": 'Basic realm="journeyline"'}
        return json_response(failure, exc.status, headers)
    applied = iter(await svc.submit_events(good))
    results: list[dict[str, Any]] = []
    for index, item in enumerate(parsed):
        if isinstance(item, InvalidInput):
            results.append(_rejected(index, item))
            continue
        outcome = next(applied)
        if outcome.error is not None:
            results.append(_rejected(index, InvalidInput(outcome.error.message)))
        else:
            status = "duplicate" if outcome.status == "duplicate" else "accepted"
            results.append({"index": index, "status": status})
    svc.metrics.count_events("segment", (r["status"] for r in results))
    if all(r["status"] != "rejected" for r in results):
        return json_response({"success": True}, 200, headers)
    return json_response({"success": False, "results": results}, 200, headers)


ENCODING = Param(
    "Content-Encoding", Literal["gzip", "identity"], "a gzip body is accepted", location="header"
)


def _operations(call: str, body: Any) -> tuple[Operation, Operation]:
    limit = segment.MAX_BATCH_BYTES if call == "batch" else segment.MAX_EVENT_BYTES
    return (
        Operation(
            "POST",
            f"The Segment-spec {call} call (docs/web.md)",
            {200: CollectorResult, 400: CollectorError},
            auth="write-key",
            body=body,
            params=(ENCODING,),
            extension=True,
            description="Any Content-Type is read as JSON. 200 when something was kept "
            "(`results` when some message was rejected), 400 when nothing was; a body over "
            f"{limit} bytes is a 413. Beyond the schema: a message's time at most an hour old "
            "and five minutes ahead of the server's clock, an `identify`'s email and phone "
            "traits real ones, no NUL in any string.",
        ),
        Operation(
            "OPTIONS",
            "CORS preflight for browser SDKs",
            {204: None},
            auth="none",
            extension=True,
        ),
    )


@declare(*_operations("batch", SegmentBatch))
async def post_batch(request: Request) -> Response:
    return await _collect(request, None)


def _single(call: str) -> Callable[[Request], Awaitable[Response]]:
    @declare(*_operations(call, CALL_BODIES[call]))
    async def post_call(request: Request) -> Response:
        return await _collect(request, call)

    post_call.__name__ = f"post_{call}"
    return post_call


SEGMENT_ROUTES: list[Route] = [
    Route("/v1/batch", post_batch, methods=["POST", "OPTIONS"]),
    *(Route(f"/v1/{call}", _single(call), methods=["POST", "OPTIONS"]) for call in segment.CALLS),
]
