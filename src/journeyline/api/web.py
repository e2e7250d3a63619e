"""Web and app event intake, and web deployments (the offers' ``ping`` and ``actionevent`` are
``api.offers``).

Browser routes (``webevents``, ``appevents``, ``ping``, ``actionevent``) need no token: as in
Genesys, they are authenticated by the deployment id and checked against the deployment's
allowed domains (the rule is ``core.origin``; ``api.guard`` checks it, by
``browser_deployment``, before the handler runs), with matching CORS headers (errors keep them:
``browser_error``). Deployments are managed with an admin token.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import wire_web
from journeyline.api.auth import ROLES
from journeyline.api.contract import Ext, GivenId, Name, Operation, declare, documented
from journeyline.api.errors import error_body, json_response
from journeyline.api.proxies import client_ip
from journeyline.api.services import Services, caller, deployment_of, read_body, services
from journeyline.api.shapes import WebEventResponse
from journeyline.api.shapes_entities import IdentifySecret, WebDeployment, WebDeploymentListing
from journeyline.core.ids import check_id
from journeyline.core.origin import refused_host
from journeyline.core.websession import web_event_id
from journeyline.ids import new_id
from journeyline.ingest import genesys_web as web
from journeyline.model.contact import Deployment
from journeyline.model.errors import Conflict, Forbidden, InvalidInput, JourneylineError, NotFound
from journeyline.model.web import WebEvent, WebSession
from journeyline.store.base import Store

log = logging.getLogger("journeyline.web")

MAX_EVENT_BYTES = 32 * 1024
POLL_INTERVAL_MS = 10_000
#: How the browser routes are authenticated, for the contract.
BROWSER = (
    "No token: the deployment id, checked against the deployment's allowed domains "
    "(Origin, Referer), with CORS headers for them."
)


def cors_headers(
    request: Request, *, methods: str = "GET, POST, OPTIONS", headers: str = "Content-Type"
) -> dict[str, str]:
    """CORS headers answering the request's own origin (only allowed origins get this far)."""
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": headers,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


#: What a browser route answers in the Genesys error shape, with the CORS headers it has.
BROWSER_ERRORS = (InvalidInput, Forbidden, NotFound, Conflict)


def browser_error(exc: JourneylineError, headers: dict[str, str]) -> Response:
    return json_response(
        error_body(exc.status, exc.code, exc.message, exc.field), exc.status, headers
    )


def _refused_host(request: Request, deployment: Deployment) -> str | None:
    headers = request.headers
    return refused_host(deployment, headers.get("origin"), headers.get("referer"))


def check_origin(request: Request, deployment: Deployment) -> None:
    """A browser's request must come from one of the deployment's domains (403 otherwise)."""
    host = _refused_host(request, deployment)
    if host is not None:
        raise Forbidden(f"the domain {host} is not allowed for this deployment")


async def browser_deployment(svc: Services, request: Request) -> Deployment:
    """The deployment a browser route names, checked against the request's origin; within the
    rate limits of the request's address and of the deployment (429 otherwise)."""
    svc.limits.public(request)
    deployment_id = request.path_params["deploymentId"]
    deployment = await svc.read(lambda store: store.deployment_get(deployment_id))
    if deployment is None:
        raise NotFound(f"no deployment with id {deployment_id}", field="deploymentId")
    check_origin(request, deployment)
    svc.limits.deployment.hit(deployment.id)
    return deployment


async def intake_context(
    svc: Services, request: Request, deployment: Deployment, *, user_agent: bool = True
) -> web.Context:
    """What enrichment needs from a request; ``user_agent=False`` when the caller is an SDK
    whose own User-Agent header says nothing about the visitor. The client's address is the
    connection's, or a trusted proxy's ``X-Forwarded-For`` (``api.proxies``)."""
    secret = None
    if deployment.identify_signing == "required":
        secret = await svc.read(lambda store: store.deployment_secret(deployment.id))
    return web.Context(
        deployment=deployment,
        now_ms=svc.clock(),
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent") if user_agent else None,
        geo=svc.geo,
        identify_secret=secret,
    )


def note_refusals(
    svc: Services, source: str, deployment: Deployment, events: Sequence[WebEvent]
) -> None:
    """Count (and log, without the traits) events whose traits claim nothing because their
    deployment requires signed traits."""
    reasons = [e.traits_refused for e in events if e.traits_refused]
    if not reasons:
        return
    svc.metrics.count_refused(source, reasons)
    for reason in sorted(set(reasons)):
        log.info(
            "identify traits refused: deployment %s, %s (%d events): they claim nothing",
            deployment.id,
            reason,
            reasons.count(reason),
        )


async def _intake(request: Request, app: bool) -> Response:
    svc = services(request)
    source = "app" if app else "web"
    headers: dict[str, str] = {}  # CORS only for an allowed origin
    try:
        deployment = deployment_of(request)
        headers = cors_headers(request)
        raw = await read_body(request, MAX_EVENT_BYTES)
        try:
            item = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise InvalidInput(f"malformed JSON: {exc}") from exc
        ctx = await intake_context(svc, request, deployment)
        parsed = web.parse_app(item, ctx) if app else web.parse_web(item, ctx)
        note_refusals(svc, source, deployment, [parsed.event])
        [applied] = await svc.submit_events([parsed])
        if applied.error is not None:  # a visitor erased lately (engine.erasure.refused)
            raise applied.error
    except BROWSER_ERRORS as exc:
        if exc.status == 400:  # the event itself is at fault (not its size, origin, deployment)
            svc.metrics.count_events(source, ["rejected"])
        return browser_error(exc, headers)
    svc.metrics.count_events(source, [applied.status])
    session = await svc.read(_session_of, applied.session_id, web_event_id(parsed.event.key))
    if session is None and applied.status == "duplicate":  # its person was erased since
        raise NotFound("this event was accepted before, and its session is gone (erased)")
    if session is None:
        raise NotFound("the event was stored, but its session could not be read back")
    return json_response(wire_web.web_event_response(parsed.event, session), 200, headers)


def _session_of(store: Store, session_id: str | None, event_id: str) -> WebSession | None:
    """The session an event was applied to, found again by the event if a later one re-keyed
    it meanwhile."""
    session = store.web_session_get(session_id or "")
    if session is None:
        session = store.web_session_get(store.session_of_event(event_id) or "")
    return session


def _event_operation(summary: str, body: type[Any]) -> Operation:
    description = (
        f"{BROWSER} A body over {MAX_EVENT_BYTES} bytes is a 413. Beyond the schema: "
        "`createdDate` at most an hour old and five minutes ahead of the server's clock."
    )
    return Operation(
        "POST",
        summary,
        {200: WebEventResponse},
        auth="deployment",
        body=body,
        description=description,
    )


@declare(
    _event_operation(
        "A web event from a browser (WebEventRequest in, WebEventResponse out; docs/web.md)",
        web.WebEventRequest,
    )
)
async def post_web_event(request: Request) -> Response:
    return await _intake(request, app=False)


@declare(
    _event_operation("An app event (AppEventRequest in, AppEventResponse out)", web.AppEventRequest)
)
async def post_app_event(request: Request) -> Response:
    return await _intake(request, app=True)


@declare(
    Operation(
        "OPTIONS",
        "CORS preflight for the browser routes",
        {204: None, 403: None},
        auth="none",
        description="204 with the CORS headers for an allowed origin, else 403.",
    )
)
async def preflight(request: Request) -> Response:
    svc = services(request)
    deployment_id = request.path_params["deploymentId"]
    deployment = await svc.read(lambda store: store.deployment_get(deployment_id))
    if deployment is None or _refused_host(request, deployment) is not None:
        return Response(status_code=403)
    return Response(status_code=204, headers=cors_headers(request))


# -- deployments -----------------------------------------------------------------------------


#: An allowed domain as ``parse_deployment`` takes it: ``example.com`` or ``*.example.com``,
#: with no ``/``, ``:`` or space.
DOMAIN = r"^(?!(\*\.)?$)[^/: ]*$"


class DeploymentBody(msgspec.Struct, rename="camel"):
    """A Genesys ``WebDeployment``'s fields that can be written; ``collectIpAddresses``,
    ``identifySigning`` and ``id`` (given only when it is created) are ours."""

    name: Name
    description: str | None = None
    allowed_domains: list[Annotated[str, documented(pattern=DOMAIN)]] = []
    allow_all_domains: bool = False
    collect_ip_addresses: Ext[bool] = True
    #: None: ``off`` for a new deployment; a change that leaves it out keeps what it was, so
    #: that renaming a deployment never turns signing off by accident.
    identify_signing: Ext[Literal["off", "required"]] | None = None
    id: Ext[GivenId] | None = None


def parse_deployment(raw: bytes) -> DeploymentBody:
    """A deployment's fields from a body: a 400 naming the field that is wrong."""
    try:
        body = msgspec.json.decode(raw, type=DeploymentBody)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"invalid deployment: {exc}") from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    if not 0 < len(body.name.strip()) <= 256:
        raise InvalidInput("name must be 1 to 256 characters", field="name")
    if body.id is not None:
        check_id(body.id)
    for domain in body.allowed_domains:
        bare = domain.removeprefix("*.")
        if not bare or "/" in bare or ":" in bare or " " in bare:
            raise InvalidInput(
                f"allowedDomains: '{domain}' is not a domain (example.com, *.example.com)",
                field="allowedDomains",
            )
    return body


def base_url(svc: Services, request: Request) -> str:
    """Where browsers reach this server (``public_url``, else the request's own base)."""
    return (svc.settings.public_url or str(request.base_url)).rstrip("/")


def new_deployment(body: DeploymentBody, now_ms: int) -> Deployment:
    """A new deployment from a parsed body, with a fresh write key (and id, unless given)."""
    return Deployment(
        id=body.id or new_id(),
        name=body.name.strip(),
        write_key=secrets.token_urlsafe(24),
        allowed_domains=tuple(d.lower() for d in body.allowed_domains),
        allow_all_domains=body.allow_all_domains,
        collect_ip_addresses=body.collect_ip_addresses,
        identify_signing=body.identify_signing or "off",
        description=body.description,
        created_ms=now_ms,
        modified_ms=now_ms,
    )


KEYS = "The Segment `writeKey` only for a role with `deployments:write`."


@declare(
    Operation(
        "GET",
        "List web deployments",
        {200: WebDeploymentListing},
        "journey:read",
        description=KEYS,
    ),
    Operation(
        "POST",
        "Create a web deployment: the answer holds the snippet for a site",
        {200: WebDeployment},
        "deployments:write",
        body=DeploymentBody,
    ),
)
async def deployments(request: Request) -> Response:
    svc = services(request)
    base = base_url(svc, request)
    if request.method == "GET":
        keys = may_see_keys(request)
        found = await svc.read(lambda store: store.deployments())
        return json_response(
            {
                "entities": [wire_web.deployment(d, base_url=base, with_key=keys) for d in found],
                "total": len(found),
                "selfUri": "/api/v2/webdeployments/deployments",
            }
        )
    now = svc.clock()
    deployment = new_deployment(parse_deployment(await read_body(request, 64 * 1024)), now)
    secret = new_identify_secret()

    def create(store: Store) -> None:
        store.deployment_put(deployment)
        store.deployment_secret_put(deployment.id, secret, now)

    await svc.writer.call(create)
    return json_response(wire_web.deployment(deployment, base_url=base, secret=secret))


def may_see_keys(request: Request) -> bool:
    """A reader of deployments (``journey:read``); True when it may also see their Segment
    write keys (``deployments:write``): the keys let anyone post events as the site."""
    principal = caller(request)
    return "deployments:write" in ROLES.get(principal.role, frozenset())


@declare(
    Operation("GET", "A web deployment", {200: WebDeployment}, "journey:read", description=KEYS),
    Operation(
        "PUT",
        "Change a web deployment",
        {200: WebDeployment},
        "deployments:write",
        body=DeploymentBody,
    ),
    Operation("DELETE", "Delete a web deployment", {204: None}, "deployments:write"),
)
async def deployment(request: Request) -> Response:
    svc = services(request)
    deployment_id = request.path_params["deploymentId"]
    found = await svc.read(lambda store: store.deployment_get(deployment_id))
    keys = True
    if request.method == "GET":
        keys = may_see_keys(request)
    if found is None:
        raise NotFound(f"no deployment with id {deployment_id}", field="deploymentId")
    if request.method == "DELETE":
        await svc.writer.call(lambda store: store.deployment_delete(deployment_id))
        return Response(status_code=204)
    if request.method == "PUT":
        body = parse_deployment(await read_body(request, 64 * 1024))
        changes: dict[str, Any] = {
            "name": body.name.strip(),
            "description": body.description,
            "allowed_domains": tuple(d.lower() for d in body.allowed_domains),
            "allow_all_domains": body.allow_all_domains,
            "collect_ip_addresses": body.collect_ip_addresses,
            "identify_signing": body.identify_signing or found.identify_signing,
            "modified_ms": svc.clock(),
        }
        changed = dataclasses.replace(found, **changes)
        wanted = changed.identify_signing == "required"
        secret = new_identify_secret() if wanted else None

        def change(store: Store) -> str | None:
            store.deployment_put(changed)
            if secret is None or store.deployment_secret(changed.id) is not None:
                return None  # it keeps the secret it has
            store.deployment_secret_put(changed.id, secret, changed.modified_ms)
            return secret

        made = await svc.writer.call(change)
        found = changed
        return json_response(
            wire_web.deployment(found, base_url=base_url(svc, request), secret=made)
        )
    return json_response(wire_web.deployment(found, base_url=base_url(svc, request), with_key=keys))


def new_identify_secret() -> str:
    """A deployment's identify secret: ``jlid_`` and 32 random bytes, URL-safe base64."""
    return "jlid_" + secrets.token_urlsafe(32)


@declare(
    Operation(
        "POST",
        "Rotate a deployment's identify secret: the answer holds the new one, shown this once; "
        "the old one signs no more",
        {200: IdentifySecret},
        "deployments:write",
        extension=True,
    )
)
async def rotate_identify_secret(request: Request) -> Response:
    svc = services(request)
    deployment_id = request.path_params["deploymentId"]
    secret = new_identify_secret()
    now = svc.clock()

    def rotate(store: Store) -> bool:
        if store.deployment_get(deployment_id) is None:
            return False
        store.deployment_secret_put(deployment_id, secret, now)
        return True

    if not await svc.writer.call(rotate):
        raise NotFound(f"no deployment with id {deployment_id}", field="deploymentId")
    return json_response(
        {
            "id": deployment_id,
            "identifySecret": secret,
            "selfUri": f"/api/v2/webdeployments/deployments/{deployment_id}",
        }
    )


WEB_ROUTES = [
    Route(
        "/api/v2/journey/deployments/{deploymentId}/webevents",
        post_web_event,
        methods=["POST"],
    ),
    Route(
        "/api/v2/journey/deployments/{deploymentId}/appevents",
        post_app_event,
        methods=["POST"],
    ),
    Route("/api/v2/journey/deployments/{deploymentId}/{rest:path}", preflight, methods=["OPTIONS"]),
    Route("/api/v2/webdeployments/deployments", deployments, methods=["GET", "POST"]),
    Route(
        "/api/v2/webdeployments/deployments/{deploymentId}",
        deployment,
        methods=["GET", "PUT", "DELETE"],
    ),
    Route(
        "/api/v2/webdeployments/deployments/{deploymentId}/identifysecret",
        rotate_identify_secret,
        methods=["POST"],
    ),
]
