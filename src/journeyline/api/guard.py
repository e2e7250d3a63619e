"""Who may call a route, enforced from the one place that says so: its ``@declare(Operation)``.

``create_app`` passes its routes through :func:`guarded`: the handler of every declared route
is wrapped so that, before it runs, the operation declared for the request's method (a ``HEAD``
is its ``GET``) is enforced by its ``auth``:

    bearer      a bearer token whose role has the operation's ``permission`` (401, 403); the
                caller is then ``services.caller(request)``, for audits
    deployment  a browser route: the path's deployment exists (404), the request's Origin (or
                Referer) is one of its allowed domains (403), within the rate limits of the
                source address and of the deployment (429); then ``services.deployment_of``
    client      ``POST /oauth/token``: the client's id and secret (HTTP Basic), which its handler
                checks after its throttles (``api.auth``)
    write-key   the Segment collector: the key is the Basic user name or the body's
                ``writeKey``, so its handler finds it once the body is read (``api.segment``)
    none        nothing to check

A declared query parameter given more than once is a 400 naming it, whatever the handler
would make of it (Starlette's ``query_params.get`` silently takes the last one); so is one the
operation does not declare (``conversationID`` for ``conversationId`` gave every session, as if
filtered), but on a public operation (``auth="none"``: the scripts, the documents, the probes,
the preflights), which answers as without it (``journeyline.js?v=3``, a cache buster).

What stays in a handler is what depends on the object or the body: a change of a user's email,
role or password, or the deletion of a user with an account, takes ``users:admin``; a
deployment's write key shows only to ``deployments:write``. The desktop's pages state theirs
with ``desktop.pages.page(permission)`` or ``public``; the table of who may call what is
docs/api.md's, and ``tests/api/test_roles_table.py`` holds the app to it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.contract import Operation, declared
from journeyline.api.params import one_param
from journeyline.api.services import services
from journeyline.api.web import browser_deployment, browser_error, cors_headers
from journeyline.model.errors import InvalidInput

Endpoint = Callable[[Request], Awaitable[Response]]


async def enforce(request: Request, op: Operation, path: str) -> None:
    """Raise Unauthorized, Forbidden, NotFound or RateLimited unless ``op``'s auth holds, then
    InvalidInput for a query parameter given twice or not declared for ``op`` (of ``path``)."""
    svc = services(request)
    if op.auth == "bearer":
        assert op.permission is not None  # api.openapi refuses a bearer op without one
        request.state.principal = await svc.auth.require(request, op.permission)
    elif op.auth == "deployment":
        request.state.deployment = await browser_deployment(svc, request)
    # after the caller is known: no probing without a credential
    names = [param.name for param in op.params if param.location == "query"]
    for name in names:
        one_param(request, name)
    if op.auth != "none":
        for given in request.query_params:
            if given not in names:
                takes = f"it takes {', '.join(names)}" if names else "it takes none"
                message = f"{given} is not a parameter of {op.method} {path} ({takes})"
                raise InvalidInput(message, field=given)


def _by_method(route: Route, operations: Sequence[Operation]) -> dict[str, Operation]:
    found = {op.method: op for op in operations}
    if "GET" in found:
        found.setdefault("HEAD", found["GET"])
    missing = set(route.methods or ()) - set(found)
    if missing:
        raise ValueError(f"{route.path}: no operation declared for {', '.join(sorted(missing))}")
    return found


def guard(route: Route) -> Route:
    """``route`` with its declared operations enforced before its handler (as it is when it
    declares none)."""
    operations = declared(route.endpoint)
    if not operations:
        return route
    by_method = _by_method(route, operations)
    handler: Endpoint = route.endpoint

    @functools.wraps(handler)  # keeps the declaration and the module, for api.openapi
    async def guarded_handler(request: Request) -> Response:
        op = by_method[request.method]
        try:
            await enforce(request, op, route.path)
        except InvalidInput as exc:
            if op.auth != "deployment":
                raise
            # the origin passed (a refused one is a 403 before this): its page may read why
            return browser_error(exc, cors_headers(request))
        return await handler(request)

    return Route(route.path, guarded_handler, methods=route.methods, name=route.name)


def guarded(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    return [guard(r) if isinstance(r, Route) else r for r in routes]
