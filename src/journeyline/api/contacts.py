"""External contacts and identity, on Genesys-shaped routes (plus a few named extensions).

Every change goes through the single writer as an identity command, so it is logged, replayed
by ``journeyline rebuild``, serialised with the event intake, and audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import wire_web
from journeyline.api.contract import PAGE_NUMBER, Operation, declare, documented, page_size
from journeyline.api.errors import json_response
from journeyline.api.services import (
    Services,
    caller,
    decode_body,
    page_params,
    read_body,
    services,
)
from journeyline.api.shapes_entities import (
    AuditListing,
    ContactIdentifierListing,
    ContactListing,
    ContactsOfUnmerge,
    ExternalContact,
)
from journeyline.api.wire import Json
from journeyline.core.identity import MERGE_MAX, MERGE_MIN
from journeyline.engine import queries
from journeyline.ids import new_id
from journeyline.ingest.identifiers import normalise_email, normalise_identifier, normalise_phone
from journeyline.model import commands
from journeyline.model.commands import ContactFields
from journeyline.model.contact import IDENTIFIER_TYPES, Contact, Identifier
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import Store

BASE = "/api/v2/externalcontacts"
#: Creating, changing and deleting contacts (supervisors and admins); verifying, claiming and
#: merging them is ``contacts:write`` (agents too).
EDIT = "contacts:edit"
READ = "journey:read"


class PhoneNumberBody(msgspec.Struct, rename="camel"):
    """A phone number in any format: ``e164`` or ``display``, normalised to E.164."""

    display: str | None = None
    e164: str | None = None


class ContactBody(msgspec.Struct, rename="camel"):
    """A Genesys ``ExternalContact``'s fields that can be written."""

    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    work_email: str | None = None
    personal_email: str | None = None
    other_email: str | None = None
    work_phone: PhoneNumberBody | None = None
    cell_phone: PhoneNumberBody | None = None
    home_phone: PhoneNumberBody | None = None
    other_phone: PhoneNumberBody | None = None


class IdentifierBody(msgspec.Struct):
    """An identifier: ``type`` Cookie, Email, Phone or ExternalId."""

    type: Annotated[str, documented(enum=list(IDENTIFIER_TYPES))]
    #: 1 to 255 characters once stripped (``normalise_identifier``).
    value: Annotated[str, documented(maxLength=255, pattern=r"\S")]


class ClaimBody(msgspec.Struct):
    """``operation``: Claim or Release."""

    operation: str
    identifier: IdentifierBody


class MergeBody(msgspec.Struct, rename="camel"):
    """2 to 25 distinct contact ids, and the fields the new canonical contact takes over theirs."""

    contact_ids: Annotated[
        list[str], documented(minItems=MERGE_MIN, maxItems=MERGE_MAX, uniqueItems=True)
    ]
    value_override: ContactBody | None = None


def contact_fields(body: ContactBody) -> ContactFields:
    """Validated contact fields (emails normalised, phones to E.164) from a request body."""
    fields: dict[str, Any] = {}
    for name in ("first_name", "last_name", "title"):
        value = getattr(body, name)
        if value is not None:
            if len(value) > 1000:
                raise InvalidInput(f"{name} is longer than 1000 characters", field=name)
            fields[name] = value.strip() or None
    for name in ("work_email", "personal_email", "other_email"):
        value = getattr(body, name)
        if value:
            fields[name] = normalise_email(value, field=_camel(name))
    for name in ("work_phone", "cell_phone", "home_phone", "other_phone"):
        phone = getattr(body, name)
        if phone is not None and (phone.e164 or phone.display):
            number = phone.e164 or phone.display or ""
            fields[name] = normalise_phone(number, field=f"{_camel(name)}.e164")
    return ContactFields(**fields)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _contact_json(store: Store, contact: Contact) -> Json:
    return wire_web.contact(contact, members=queries.merge_members(store, contact))


def _contact_docs(store: Store, contact_ids: Sequence[str], now_ms: int) -> list[Json]:
    """The live contacts' docs (NotFound for one that is not)."""
    return [_contact_json(store, queries.live_contact(store, i, now_ms)) for i in contact_ids]


async def _contact_doc(svc: Services, contact_id: str) -> Json:
    [doc] = await svc.read(_contact_docs, [contact_id], svc.clock())
    return doc


async def _body(request: Request, model: type[Any]) -> Any:
    """The request body of a write (``api.guard`` has let the caller write)."""
    return decode_body(await read_body(request, 64 * 1024), model)


async def _command(
    request: Request,
    make: Callable[..., commands.Command],
    **fields: Any,
) -> dict[str, Any]:
    """Run the command ``make(actor=..., at_ms=..., **fields)`` as the authorised caller."""
    svc = services(request)
    principal = caller(request)
    command = make(actor=principal.client_id, at_ms=svc.clock(), **fields)
    return await svc.run_command(command)


_OPERATIONS: dict[str, type[commands.ClaimIdentifier | commands.ReleaseIdentifier]] = {
    "Claim": commands.ClaimIdentifier,
    "Release": commands.ReleaseIdentifier,
}


@declare(
    Operation(
        "GET", "List contacts", {200: ContactListing}, READ, params=(page_size(200), PAGE_NUMBER)
    ),
    Operation("POST", "Create a (Curated) contact", {200: ExternalContact}, EDIT, body=ContactBody),
)
async def contacts(request: Request) -> Response:
    svc = services(request)
    if request.method == "POST":
        body = await _body(request, ContactBody)
        result = await _command(
            request, commands.CreateContact, id=new_id(), fields=contact_fields(body)
        )
        return json_response(await _contact_doc(svc, result["id"]))
    size, number = page_params(request, high=200)
    now = svc.clock()

    def page(store: Store) -> tuple[list[Json], int]:
        found, total = store.contacts_page(page_number=number, page_size=size, now_ms=now)
        return [_contact_json(store, c) for c in found], total

    entities, total = await svc.read(page)
    return json_response(
        {
            "entities": entities,
            "pageSize": size,
            "pageNumber": number,
            "total": total,
            "selfUri": f"{BASE}/contacts?pageSize={size}&pageNumber={number}",
        }
    )


@declare(
    Operation("GET", "A contact", {200: ExternalContact}, READ),
    Operation("PUT", "Change a contact", {200: ExternalContact}, EDIT, body=ContactBody),
    Operation(
        "DELETE",
        "Erase a contact: its whole merge set, identifiers, sessions and logged events",
        {204: None},
        EDIT,
    ),
)
async def contact(request: Request) -> Response:
    svc = services(request)
    contact_id = request.path_params["contactId"]
    if request.method == "GET":
        return json_response(await _contact_doc(svc, contact_id))
    if request.method == "DELETE":
        await _command(request, commands.EraseContact, id=contact_id)
        return Response(status_code=204)
    body = await _body(request, ContactBody)
    await _command(request, commands.UpdateContact, id=contact_id, fields=contact_fields(body))
    return json_response(await _contact_doc(svc, contact_id))


@declare(
    Operation("GET", "A contact's identifiers", {200: ContactIdentifierListing}, READ),
    Operation(
        "PATCH",
        "Claim an identifier for a contact, or release it",
        {200: ContactIdentifierListing},
        "contacts:write",
        body=ClaimBody,
    ),
)
async def identifiers(request: Request) -> Response:
    svc = services(request)
    contact_id = request.path_params["contactId"]
    if request.method == "PATCH":
        body = await _body(request, ClaimBody)
        operation = _OPERATIONS.get(body.operation.capitalize())
        if operation is None:
            raise InvalidInput("operation must be Claim or Release", field="operation")
        value = normalise_identifier(body.identifier.type, body.identifier.value)
        await _command(
            request, operation, contact_id=contact_id, type=body.identifier.type, value=value
        )
    now = svc.clock()

    def identifiers(store: Store) -> list[Identifier]:
        queries.live_contact(store, contact_id, now)
        return store.identifiers_of(contact_id)

    found = await svc.read(identifiers)
    return json_response({"entities": [wire_web.identifier(i) for i in found]})


@declare(
    Operation(
        "POST",
        "The contact that owns an identifier",
        {200: ExternalContact},
        READ,
        body=IdentifierBody,
        description="Beyond the schema: an `Email` value is an email address, a `Phone` one "
        "a phone number (E.164, or with its country code).",
    )
)
async def identifier_lookup(request: Request) -> Response:
    svc = services(request)
    body = decode_body(await read_body(request, 64 * 1024), IdentifierBody)
    value = normalise_identifier(body.type, body.value)
    found = await svc.read(lambda store: store.identifier_get(body.type, value))
    if found is None:
        raise NotFound(f"no contact has the identifier {body.type} {value}", field="value")
    return json_response(await _contact_doc(svc, found.contact_id))


@declare(
    Operation(
        "POST",
        "Merge contacts into a new canonical contact",
        {200: ExternalContact},
        "contacts:write",
        body=MergeBody,
    )
)
async def merge(request: Request) -> Response:
    svc = services(request)
    body = await _body(request, MergeBody)
    if len(set(body.contact_ids)) != len(body.contact_ids):
        raise InvalidInput("contactIds names a contact twice", field="contactIds")
    override = contact_fields(body.value_override) if body.value_override else ContactFields()
    result = await _command(
        request,
        commands.MergeContacts,
        id=new_id(),
        contact_ids=tuple(body.contact_ids),
        value_override=override,
    )
    return json_response(await _contact_doc(svc, result["id"]))


@declare(
    Operation(
        "POST",
        "Undo a merge: the canonical contact goes, its members stand alone",
        {200: ContactsOfUnmerge},
        "contacts:write",
        extension=True,
    )
)
async def unmerge(request: Request) -> Response:
    """Our extension: undo a merge; the members stand alone again, the canonical head goes."""
    result = await _command(request, commands.UnmergeContact, id=request.path_params["contactId"])
    svc = services(request)
    docs = await svc.read(_contact_docs, result["contactIds"], svc.clock())
    return json_response({"entities": docs})


@declare(
    Operation(
        "GET",
        "Who verified, claimed, released, merged or unmerged the contact, and when",
        {200: AuditListing},
        READ,
        extension=True,
    )
)
async def audits(request: Request) -> Response:
    """Our extension: who verified, claimed, merged or unmerged what, and when."""
    svc = services(request)
    contact_id = request.path_params["contactId"]
    return json_response({"entities": await svc.read(lambda store: store.audits_of([contact_id]))})


CONTACT_ROUTES = [
    Route(f"{BASE}/contacts", contacts, methods=["GET", "POST"]),
    Route(f"{BASE}/contacts/merge", merge, methods=["POST"]),
    Route(f"{BASE}/merge/contacts", merge, methods=["POST"]),
    Route(f"{BASE}/identifierlookup", identifier_lookup, methods=["POST"]),
    Route(f"{BASE}/contacts/{{contactId}}", contact, methods=["GET", "PUT", "DELETE"]),
    Route(f"{BASE}/contacts/{{contactId}}/identifiers", identifiers, methods=["GET", "PATCH"]),
    Route(f"{BASE}/contacts/{{contactId}}/unmerge", unmerge, methods=["POST"]),
    Route(f"{BASE}/contacts/{{contactId}}/audits", audits, methods=["GET"]),
]
