"""The OpenAPI 3.1 document of the API, made from the app's own routes and the operations
declared on their handlers (``api.contract``), and the routes that publish it:
``GET /api/v2/docs/openapi.json`` and a page to read it, ``GET /api/v2/docs``.

The contract covers every route but the pages for people: ``/api/v2/*``, ``/oauth/token``,
``/health``, the Segment collector (``/v1/*``) and the tracker's scripts; the desktop
(``/desktop/*``), the home page (``/``) and the demo shop (``/demo/*``) are left out. Schemas
come from the declared types by ``msgspec.json.schema_components``, with the rules across a
Struct's fields that its ``__json_schema__`` states (``api.contract.SCHEMA_EXTRA``); tags are
the modules the handlers live in. Both documents are made once per app, public and cacheable
(an ``ETag``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.contract import (
    EXTENSION,
    SCHEMA_EXTRA,
    Content,
    Operation,
    declare,
    declared,
)
from journeyline.api.docs_page import CSP, render_page
from journeyline.api.shapes import ErrorBody

EXCLUDED = ("/desktop", "/demo")
REF = "#/components/schemas/{name}"
JSON = "application/json"
CACHE = "public, max-age=300"

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /oauth/token`. An operation names the permission "
        "the token's role needs (the roles table of docs/api.md).",
    },
    "client": {
        "type": "http",
        "scheme": "basic",
        "description": "An OAuth client's id and secret (`journeyline clients create`).",
    },
    "writeKey": {
        "type": "http",
        "scheme": "basic",
        "description": "A web deployment's Segment write key as the user name and an empty "
        "password; or `writeKey` in the body.",
    },
}
#: module -> (tag, description) where the module's own name and docstring are not the ones
#: to show (``app`` declares the token route and the health check).
TAGS = {"journeyline.api.app": ("service", "The OAuth token, and whether the server is up.")}


def in_contract(path: str) -> bool:
    """Whether a route's path is in the contract (the module docstring says which are)."""
    return path != "/" and not any(path == p or path.startswith(f"{p}/") for p in EXCLUDED)


def contract_routes(routes: Iterable[BaseRoute]) -> list[Route]:
    """The app's routes the contract covers (all are ``Route``: a ``Mount`` would hide its
    routes from the contract, so there must be none)."""
    found: list[Route] = []
    for route in routes:
        if not isinstance(route, Route):
            raise TypeError(f"{route!r} is not a Route: its routes would escape the contract")
        if in_contract(route.path):
            found.append(route)
    return found


def methods_of(route: Route) -> list[str]:
    """The methods a route answers, but the ``HEAD`` Starlette adds to every ``GET``."""
    methods = set(route.methods or ())
    if "GET" in methods:
        methods.discard("HEAD")
    return sorted(methods)


def _tag(module: str) -> tuple[str, str]:
    """The tag of a handler's module, and its description: the module's own name and the
    first paragraph of its docstring."""
    if module in TAGS:
        return TAGS[module]
    doc = sys.modules[module].__doc__ or ""
    return module.rsplit(".", 1)[-1], doc.strip().split("\n\n", 1)[0].replace("\n", " ")


def operation_id(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path.removeprefix("/api/v2"))
    return method.lower() + "".join(w[0].upper() + w[1:] for w in words)


def _any_object(t: Any) -> dict[str, Any]:
    """``object`` (any JSON value, as in ``dict[str, object]``): no constraint."""
    if t is object:
        return {"description": "any JSON value"}
    raise NotImplementedError


def _structs(types: Iterable[Any], seen: set[type]) -> Iterator[type]:
    """Each Struct class ``types`` (``msgspec.inspect`` types) are made of, once."""
    for t in types:
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls in seen:
                continue
            seen.add(t.cls)
            yield t.cls
            yield from _structs((f.type for f in t.fields), seen)
            continue
        for name in t.__struct_fields__:
            value = getattr(t, name)
            parts = value if isinstance(value, tuple) else (value,)
            yield from _structs((v for v in parts if isinstance(v, msgspec.inspect.Type)), seen)


class _Schemas:
    """The JSON Schemas of every type the operations name, made together so that shared
    Structs become one component each. A tuple of types is any one of them (msgspec takes no
    union of untagged Structs)."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.types: list[Any] = [ErrorBody]
        for op in operations:
            wanted = [op.body, *op.returns.values(), *(p.type for p in op.params)]
            for t in wanted:
                for member in t if isinstance(t, tuple) else (t,):
                    wanted_schema = member is not None and not isinstance(member, Content)
                    if wanted_schema and member not in self.types:
                        self.types.append(member)
        schemas, self.components = msgspec.json.schema_components(
            self.types, schema_hook=_any_object, ref_template=REF
        )
        self.schemas = list(schemas)
        for cls in _structs(msgspec.inspect.multi_type_info(self.types), set()):
            extra = getattr(cls, SCHEMA_EXTRA, None)
            if extra is not None:
                self.components[cls.__name__].setdefault("allOf", []).append(extra)

    def of(self, t: Any) -> dict[str, Any]:
        if isinstance(t, tuple):
            return {"anyOf": [self.of(member) for member in t]}
        found: dict[str, Any] = self.schemas[self.types.index(t)]
        return found


def _content(body: Any, schemas: _Schemas) -> dict[str, Any]:
    if isinstance(body, Content):
        return {body.media_type: {"schema": {"type": "string"}}}
    return {JSON: {"schema": schemas.of(body)}}


def _responses(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    found: dict[str, Any] = {}
    statuses = dict(op.returns)
    if op.auth == "bearer":
        statuses.setdefault(401, ErrorBody)
        statuses.setdefault(403, ErrorBody)
    for status, body in sorted(statuses.items()):
        answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if body is not None:
            answer["content"] = _content(body, schemas)
        found[str(status)] = answer
    found["default"] = {
        "description": "an error, in the Genesys error shape",
        "content": _content(ErrorBody, schemas),
    }
    return found


def _security(op: Operation) -> list[dict[str, list[str]]]:
    if op.auth == "bearer":
        if op.permission is None:
            raise ValueError(f"{op.method} {op.summary!r}: a bearer operation names a permission")
        return [{"bearer": [op.permission]}]
    if op.auth == "client":
        return [{"client": []}]
    if op.auth == "write-key":
        return [{"writeKey": []}, {}]
    return []


def _parameters(route: Route, op: Operation, schemas: _Schemas) -> list[dict[str, Any]]:
    declared = {p.name for p in op.params if p.location == "path"}
    if declared - set(route.param_convertors):
        raise ValueError(f"{op.method} {route.path}: {declared} are not all in the path")
    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.param_convertors
        if name not in declared
    ]
    for param in op.params:
        schema = dict(schemas.of(param.type))
        if param.default is not None:
            schema["default"] = param.default
        found.append(
            {
                "name": param.name,
                "in": param.location,
                "required": param.required or param.location == "path",
                "description": param.description,
                "schema": schema,
            }
        )
    return found


def _operation(route: Route, op: Operation, schemas: _Schemas) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": operation_id(op.method, route.path_format),
        "summary": op.summary,
        "tags": [_tag(route.endpoint.__module__)[0]],
    }
    if op.description:
        doc["description"] = op.description
    parameters = _parameters(route, op, schemas)
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        media = "application/x-www-form-urlencoded" if op.form else JSON
        doc["requestBody"] = {"required": True, "content": {media: {"schema": schemas.of(op.body)}}}
    doc["responses"] = _responses(op, schemas)
    doc["security"] = _security(op)
    if op.extension:
        doc[EXTENSION] = True
    return doc


def declared_operations(routes: Iterable[BaseRoute]) -> list[tuple[Route, Operation]]:
    """Each route of the contract with each operation declared on it; a declaration of a
    method the route does not answer is an error."""
    found: list[tuple[Route, Operation]] = []
    for route in contract_routes(routes):
        for op in declared(route.endpoint):
            if op.method not in methods_of(route):
                raise ValueError(f"{op.method} {route.path} is declared, but not routed")
            found.append((route, op))
    return found


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (an app's), as JSON-ready dicts."""
    entries = declared_operations(routes)
    schemas = _Schemas(op for _, op in entries)
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for route, op in entries:
        paths.setdefault(route.path_format, {})[op.method.lower()] = _operation(route, op, schemas)
        tag, description = _tag(route.endpoint.__module__)
        tags[tag] = description
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "journeyline",
            "version": importlib.metadata.version("journeyline"),
            "summary": "A customer-journey engine with a Genesys Cloud-shaped API.",
            "description": "The shapes of the Genesys Cloud API, so its SDKs work unchanged. "
            f"Operations and fields marked `{EXTENSION}` are ours, not Genesys's "
            "(docs/api.md).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [{"name": tag, "description": text} for tag, text in sorted(tags.items())],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


# -- the routes that publish it ---------------------------------------------------------------


class _Published(msgspec.Struct):
    doc: dict[str, Any]
    json: bytes
    etag: str
    page: bytes | None = None  # made when first asked for


def _published(request: Request) -> _Published:
    """The app's document, made on the first request for it."""
    state = request.app.state
    if not hasattr(state, "openapi"):
        doc = document(request.app.routes)
        json = msgspec.json.encode(doc)
        state.openapi = _Published(doc, json, '"' + hashlib.sha256(json).hexdigest()[:32] + '"')
    found: _Published = state.openapi
    return found


def _cached(request: Request, content: bytes, media_type: str, **headers: str) -> Response:
    """``content`` (of the document whose ``ETag`` it has) to cache, or a 304."""
    etag = _published(request).etag
    common = {"Cache-Control": CACHE, "ETag": etag, **headers}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=common)
    return Response(content, media_type=media_type, headers=common)


NOT_MODIFIED = "with `If-None-Match` naming the `ETag` it gave: 304, no body"


@declare(
    Operation(
        "GET",
        "This document: the API's OpenAPI 3.1 contract",
        {200: dict[str, Any], 304: None},
        auth="none",
        extension=True,
        description=f"Public and cacheable; {NOT_MODIFIED}.",
    )
)
async def openapi_json(request: Request) -> Response:
    return _cached(request, _published(request).json, JSON)


@declare(
    Operation(
        "GET",
        "The contract as a page to read",
        {200: Content("text/html"), 304: None},
        auth="none",
        extension=True,
        description=f"Every operation and schema of the OpenAPI document; {NOT_MODIFIED}.",
    )
)
async def docs(request: Request) -> Response:
    published = _published(request)
    if published.page is None:
        published.page = render_page(published.doc).encode()
    html = "text/html; charset=utf-8"
    return _cached(request, published.page, html, **{"Content-Security-Policy": CSP})


DOCS_ROUTES = [
    Route("/api/v2/docs/openapi.json", openapi_json, methods=["GET"]),
    Route("/api/v2/docs", docs, methods=["GET"]),
]
