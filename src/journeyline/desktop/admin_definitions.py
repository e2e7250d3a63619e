"""Admin screens for segments, outcomes, action maps and action templates: one listing and one
form, shared by the four kinds (``DefinitionPage`` says what differs).

The form has real inputs for the simple fields (``displayName``, ``description``, ``color``,
``isActive``, ...) and a JSON textarea for the rest of the definition as the API shows it
(criteria, patterns, the action, ...). On a post the two are put back together into the body a
client would send, decoded by the API's own ``ingest.definitions`` function and written by the
same engine command (``api.definitions.put_definition``); an edit replaces the whole
definition, at the version the form was made from (a stale one is a conflict, shown on the
form). The error goes next to the input it names, or next to the JSON for a path inside it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.definitions import KINDS, current_definition, put_definition
from journeyline.api.services import Services
from journeyline.desktop.accounts import read_form
from journeyline.desktop.admin_forms import (
    Errors,
    Pager,
    done,
    field_errors,
    page_number,
    show,
)
from journeyline.desktop.pages import Viewer, page
from journeyline.desktop.views import N_
from journeyline.engine.definitions import ENCODERS
from journeyline.ingest.definitions import READ_ONLY
from journeyline.model.commands import DeleteDefinition
from journeyline.model.errors import Conflict, InvalidInput

BASE = "/desktop/admin"
PERMISSION = "definitions:write"
ADVANCED = "advanced"  # the JSON textarea's name


@dataclass(frozen=True, slots=True)
class Field:
    """A simple field of a definition with an input of its own; ``name`` is the API's."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, checkbox, number, select
    options: tuple[str, ...] = ()
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class DefinitionPage:
    kind: str  # the API's kind: segment, outcome, actionmap, actiontemplate
    title: str
    about: str
    new: str  # the heading of the form for a new one
    fields: tuple[Field, ...]
    example: dict[str, Any]  # what a new one's JSON starts as
    name_field: str = "displayName"

    @property
    def path(self) -> str:
        return KINDS[self.kind][0]

    @property
    def decode(self) -> Callable[..., Any]:
        decode: Callable[..., Any] = KINDS[self.kind][1]
        return decode

    @property
    def inputs(self) -> tuple[str, ...]:
        return (*(f.name for f in self.fields), ADVANCED)


NAME = Field("displayName", N_("Name"))
DESCRIPTION = Field("description", N_("Description"), "textarea")
ACTIVE = Field("isActive", N_("Active"), "checkbox")
CONDITIONS = {"journey": {"patterns": [{"streamType": "Web", "sessionType": "web", "count": 1,
    "eventName": "page_viewed", "criteria": [{"key": "page.url", "operator": "containsAny",
    "values": ["/checkout"]}]}]}}  # fmt: skip

DEFINITION_PAGES = {
    page.kind: page
    for page in (
        DefinitionPage(
            "segment",
            N_("Segments"),
            N_("Groups of visitors and customers, matched by what they do."),
            N_("New segment"),
            (
                NAME,
                DESCRIPTION,
                Field("color", N_("Colour"), hint=N_("#RRGGBB, for example #2f6fdf")),
                ACTIVE,
                Field(
                    "assignmentExpirationDays",
                    N_("Assignment expires after (days)"),
                    "number",
                    hint=N_("For customer segments; leave empty for none."),
                ),
            ),
            CONDITIONS,
        ),
        DefinitionPage(
            "outcome",
            N_("Outcomes"),
            N_("Goals a journey can reach, such as a purchase."),
            N_("New outcome"),
            (NAME, DESCRIPTION, ACTIVE),
            CONDITIONS,
        ),
        DefinitionPage(
            "actionmap",
            N_("Action maps"),
            N_("What to offer or trigger, when, and for whom."),
            N_("New action map"),
            (
                NAME,
                ACTIVE,
                Field("weight", N_("Weight"), "number", hint=N_("1 to 100; the default is 2.")),
            ),
            {
                "triggerWithSegments": ["a segment id"],
                "action": {"mediaType": "contentOffer", "actionTemplate": {"id": "a template id"}},
            },
        ),
        DefinitionPage(
            "actiontemplate",
            N_("Action templates"),
            N_("The content of offers that action maps show."),
            N_("New action template"),
            (
                Field("name", N_("Name")),
                DESCRIPTION,
                Field("state", N_("State"), "select", ("Active", "Inactive", "Deleted")),
            ),
            {
                "mediaType": "contentOffer",
                "contentOffer": {
                    "displayMode": "Modal",
                    "layoutMode": "TextOnly",
                    "title": "Need a hand?",
                    "callToAction": {"text": "Chat with us"},
                },
            },
            name_field="name",
        ),
    )
}
N_("Inactive")
N_("Deleted")


def _kind(kind: str) -> DefinitionPage:
    return DEFINITION_PAGES[kind]


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _values(spec: DefinitionPage, doc: dict[str, Any]) -> dict[str, Any]:
    """What the form shows of a definition's Genesys JSON: the simple fields in their inputs,
    the rest (less what the server sets) as JSON."""
    simple = {f.name for f in spec.fields}
    values: dict[str, Any] = {
        f.name: doc.get(f.name, "" if f.kind != "checkbox" else False) for f in spec.fields
    }
    rest = {k: v for k, v in doc.items() if k not in simple and k not in READ_ONLY}
    values[ADVANCED] = _json(rest)
    return values


def _posted(spec: DefinitionPage, form: dict[str, str]) -> dict[str, Any]:
    """The form as typed, to show again."""
    values: dict[str, Any] = {ADVANCED: form.get(ADVANCED, "")}
    for f in spec.fields:
        values[f.name] = f.name in form if f.kind == "checkbox" else form.get(f.name, "")
    return values


def _body(spec: DefinitionPage, values: dict[str, Any]) -> bytes:
    """The body a client would send: the JSON, with the simple fields set from their inputs
    (an empty one left out; a number that is not one sent as typed, for the API to refuse)."""
    text = values[ADVANCED].strip()
    try:
        doc = msgspec.json.decode(text) if text else {}
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}", field=ADVANCED) from exc
    if not isinstance(doc, dict):
        raise InvalidInput("the body must be a JSON object", field=ADVANCED)
    for f in spec.fields:
        value = values[f.name]
        doc.pop(f.name, None)
        if f.kind == "checkbox":
            doc[f.name] = bool(value)
        elif value.strip():
            doc[f.name] = _number(value) if f.kind == "number" else value
    return msgspec.json.encode(doc)


def _number(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


# -- pages -------------------------------------------------------------------------------------


async def _listing(
    request: Request, svc: Services, viewer: Viewer, spec: DefinitionPage, **context: Any
) -> Response:
    number = page_number(request)
    rows, total = await svc.read(
        lambda store: store.definitions_page(
            spec.kind,
            page_number=number,
            page_size=Pager(number, 0).size,
            sort_by="displayName",
            descending=False,
            is_active=None,
            name_contains=None,
        )
    )
    context.setdefault("problem", None)
    status = 409 if context["problem"] else 200
    return show(
        request,
        "admin/definitions.html",
        viewer,
        status=status,
        spec=spec,
        rows=rows,
        pager=Pager(number, total),
        **context,
    )


def _form(
    request: Request,
    viewer: Viewer,
    spec: DefinitionPage,
    values: dict[str, Any],
    *,
    current: Any = None,
    errors: Errors | None = None,
) -> Response:
    status = 200
    if errors:
        status = 409 if "" in errors and current is not None else 400
    return show(
        request,
        "admin/definition_form.html",
        viewer,
        status=status,
        spec=spec,
        values=values,
        current=current,
        errors=errors or {},
        action=f"{BASE}/{spec.path}" + (f"/{current.id}" if current is not None else ""),
    )


def routes(kind: str) -> list[BaseRoute]:
    spec = _kind(kind)
    path = f"{BASE}/{spec.path}"

    @page(PERMISSION)
    async def listing(request: Request, svc: Services, viewer: Viewer) -> Response:
        return await _listing(request, svc, viewer, spec)

    @page(PERMISSION)
    async def new(request: Request, svc: Services, viewer: Viewer) -> Response:
        values = _values(spec, {})
        values.update(isActive=True, state="Active")
        values[ADVANCED] = _json(spec.example)
        return _form(request, viewer, spec, values)

    @page(PERMISSION)
    async def edit(request: Request, svc: Services, viewer: Viewer) -> Response:
        current = await svc.read(current_definition, kind, request.path_params["definitionId"])
        return _form(request, viewer, spec, _values(spec, ENCODERS[kind](current)), current=current)

    async def save(request: Request, svc: Services, viewer: Viewer, current: Any) -> Response:
        form = await read_form(request)
        values = _posted(spec, form)
        try:
            if current is None:
                record = spec.decode(_body(spec, values), id=str(uuid.uuid4()), now_ms=svc.clock())
                await put_definition(svc, kind, record, None, viewer.user_id)
            else:
                version = form.get("version", "")
                expected = int(version) if version.isdigit() else -1
                record = spec.decode(_body(spec, values), id=current.id, now_ms=svc.clock())
                await put_definition(svc, kind, record, expected, viewer.user_id)
        except (InvalidInput, Conflict) as exc:
            errors = field_errors(exc, spec.inputs, ADVANCED)
            if isinstance(exc, Conflict):
                errors = {"": exc.message}
            return _form(request, viewer, spec, values, current=current, errors=errors)
        return done(path, "created" if current is None else "saved")

    @page(PERMISSION, form=True)
    async def create(request: Request, svc: Services, viewer: Viewer) -> Response:
        return await save(request, svc, viewer, None)

    @page(PERMISSION, form=True)
    async def change(request: Request, svc: Services, viewer: Viewer) -> Response:
        current = await svc.read(current_definition, kind, request.path_params["definitionId"])
        return await save(request, svc, viewer, current)

    @page(PERMISSION, form=True)
    async def delete(request: Request, svc: Services, viewer: Viewer) -> Response:
        command = DeleteDefinition(
            actor=viewer.user_id,
            at_ms=svc.clock(),
            kind=kind,
            id=request.path_params["definitionId"],
        )
        try:
            await svc.run_command(command)
        except Conflict as exc:  # an action map names it
            return await _listing(request, svc, viewer, spec, problem=exc.message)
        return done(path, "deleted")

    return [
        Route(path, listing, methods=["GET"]),
        Route(path, create, methods=["POST"]),
        Route(path + "/new", new, methods=["GET"]),
        Route(path + "/{definitionId}", edit, methods=["GET"]),
        Route(path + "/{definitionId}", change, methods=["POST"]),
        Route(path + "/{definitionId}/delete", delete, methods=["POST"]),
    ]


DEFINITION_ROUTES: list[BaseRoute] = [route for kind in DEFINITION_PAGES for route in routes(kind)]
