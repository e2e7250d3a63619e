"""Web offers on the browser routes: the tracker's ping serves them, ``actionevent`` hears back.

``GET /api/v2/journey/deployments/{deploymentId}/customers/{customerCookieId}/ping`` answers a
Genesys ``DeploymentPing``: ``pollIntervalMilliseconds`` and, when the ping names its page
(``dl``; "pings without this parameter will not return actions"), the visitor's pending web
offers as ``DeploymentWebAction``: the ``contentOffer`` and ``webMessagingOffer`` actions still
``qualified`` on the cookie's web sessions of this deployment that are active (an event within
the web session timeout), that are due, and whose action map's ``pageUrlConditions`` hold of
``dl`` (``core.offers.servable``). It is a read (``svc.read``, off the loop): no writer.

``POST /api/v2/journey/deployments/{deploymentId}/actionevent`` takes a Genesys
``ActionEventRequest`` ``{sessionId, actionId, actionState, errorCode, errorMessage}`` and
applies it through the single writer as a ``RecordActionEvent`` command (``engine.offers``);
``204`` when it is applied, or when it repeats the action's state. Both routes are
authenticated like ``webevents``: the deployment id, its allowed domains, CORS.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.contract import Operation, Param, declare, documented
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    decode_body,
    deployment_of,
    one_param,
    read_body,
    services,
)
from journeyline.api.shapes_entities import DeploymentPing
from journeyline.api.web import (
    BROWSER,
    BROWSER_ERRORS,
    POLL_INTERVAL_MS,
    browser_error,
    cors_headers,
)
from journeyline.core.ids import cookie_id
from journeyline.core.offers import WEB_OFFERS, servable
from journeyline.model.commands import RecordActionEvent
from journeyline.model.errors import InvalidInput
from journeyline.store.base import JourneyAction, Store

MAX_ACTION_EVENT_BYTES = 8 * 1024
MAX_ERROR_CHARS = 4096


def deployment_web_action(action: JourneyAction, doc: dict[str, Any], cookie: str) -> Any:
    """A Genesys ``DeploymentWebAction`` (nulls omitted)."""
    found = {
        "id": action.id,
        "mediaType": action.media_type,
        "customerId": cookie,
        "customerIdType": "cookie",
        "actionMapId": action.action_map_id,
        "actionMapVersion": action.action_map_version,
        "sessionId": action.session_id,
        "webMessagingOfferProperties": doc.get("webMessagingOfferProperties"),
        "contentOfferProperties": doc.get("contentOfferProperties"),
    }
    return {k: v for k, v in found.items() if v is not None}


def pending_offers(
    store: Store, svc: Services, cookie: str, deployment_id: str, url: str
) -> list[Any]:
    """The visitor's web offers the ping serves on ``url`` now (see the module docstring)."""
    now = svc.clock()
    found = store.customer_actions(
        cookie,
        session_type="web",
        states={"qualified"},
        media_types=WEB_OFFERS,
        active_since_ms=now - svc.settings.web_session_timeout_seconds * 1000,
    )
    deployments: dict[str, str | None] = {}
    offers: list[Any] = []
    for action in found:
        if action.session_id not in deployments:
            session = store.web_session_get(action.session_id)
            deployments[action.session_id] = session.deployment_id if session else None
        if deployments[action.session_id] != deployment_id:
            continue
        doc = msgspec.json.decode(action.doc)
        if servable(doc, url=url, now_ms=now):
            offers.append(deployment_web_action(action, doc, cookie))
    return offers


#: What else a Genesys tracker's ping may carry: taken, and not used (docs/offers.md).
GENESYS_PING = ("sessionId", "appNamespace", "sinceLastBeaconMilliseconds")


@declare(
    Operation(
        "GET",
        "The tracker's ping: the visitor's pending web offers on the page (DeploymentPing)",
        {200: DeploymentPing},
        auth="deployment",
        params=(
            Param(
                "customerCookieId",
                Annotated[str, documented(format="uuid")],
                "the visitor's cookie id",
                location="path",
            ),
            Param("dl", str, "the page's URL: without it, no actions"),
            Param("dt", str, "the page's title (not used)"),
            *(
                Param(name, str, "as a Genesys tracker sends it (not used)")
                for name in GENESYS_PING
            ),
        ),
        description=BROWSER,
    )
)
async def ping(request: Request) -> Response:
    """Genesys ``DeploymentPing``: the visitor's pending web offers on the page ``dl``."""
    svc = services(request)
    headers: dict[str, str] = {}
    try:
        deployment = deployment_of(request)
        headers = cors_headers(request)
        cookie = cookie_id(request.path_params["customerCookieId"])
        url = one_param(request, "dl")
    except BROWSER_ERRORS as exc:
        return browser_error(exc, headers)
    actions = await svc.read(pending_offers, svc, cookie, deployment.id, url) if url else []
    body = {"pollIntervalMilliseconds": POLL_INTERVAL_MS, "actions": actions}
    return json_response(body, 200, headers)


class ActionEventRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    """A Genesys ``ActionEventRequest`` (``id`` and ``selfUri`` are read-only: ignored)."""

    session_id: Annotated[str, documented(minLength=1, maxLength=256)]
    action_id: Annotated[str, documented(minLength=1, maxLength=256)]
    action_state: str
    error_code: Annotated[str, documented(maxLength=MAX_ERROR_CHARS)] | None = None
    error_message: Annotated[str, documented(maxLength=MAX_ERROR_CHARS)] | None = None


def _parse_action_event(raw: bytes) -> ActionEventRequest:
    body = decode_body(raw, ActionEventRequest)
    for name, value in (("sessionId", body.session_id), ("actionId", body.action_id)):
        if not 0 < len(value) <= 256:
            raise InvalidInput(f"{name} must be 1 to 256 characters", field=name)
    for name, text in (("errorCode", body.error_code), ("errorMessage", body.error_message)):
        if text is not None and len(text) > MAX_ERROR_CHARS:
            raise InvalidInput(f"{name} is longer than {MAX_ERROR_CHARS} characters", field=name)
    return body


@declare(
    Operation(
        "POST",
        "A web offer's new state, as the browser reports it",
        {204: None},
        auth="deployment",
        body=ActionEventRequest,
        description=f"{BROWSER} 400, 404 or 409 as docs/offers.md says.",
    )
)
async def post_action_event(request: Request) -> Response:
    """``POST …/actionevent``: a web action's new state, as the browser reports it."""
    svc = services(request)
    headers: dict[str, str] = {}
    try:
        deployment = deployment_of(request)
        headers = cors_headers(request)
        body = _parse_action_event(await read_body(request, MAX_ACTION_EVENT_BYTES))
        command = RecordActionEvent(
            actor=f"deployment:{deployment.id}",
            at_ms=svc.clock(),
            deployment_id=deployment.id,
            session_id=body.session_id,
            action_id=body.action_id,
            action_state=body.action_state,
            error_code=body.error_code,
            error_message=body.error_message,
        )
        await svc.run_command(command)
    except BROWSER_ERRORS as exc:
        return browser_error(exc, headers)
    return Response(status_code=204, headers=headers)


OFFER_ROUTES = [
    Route(
        "/api/v2/journey/deployments/{deploymentId}/customers/{customerCookieId}/ping",
        ping,
        methods=["GET"],
    ),
    Route(
        "/api/v2/journey/deployments/{deploymentId}/actionevent",
        post_action_event,
        methods=["POST"],
    ),
]
