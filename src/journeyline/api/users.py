"""``/api/v2/users``: the directory's users, and the accounts they sign in to the desktop with.

``POST {"name", "email", "password"}`` is Genesys' CreateUser (its other fields — department,
title, addresses, ... — are accepted and ignored); our extensions are ``role`` (``agent``, the
default, ``supervisor`` or ``admin``) and ``id`` (to mirror the ids of a contact centre). A body
with only a name (and an id) makes a directory entry, as for queues (``directory:write``); an
``email``, ``role`` or ``password`` makes or changes an account (``users:admin``). ``PUT`` takes
the same fields (Genesys changes a user's name and email; the role and password are ours),
leaving out what it does not name. A user shows its ``email`` and ``role``, never its password.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import wire
from journeyline.api.contract import Ext, GivenId, declare
from journeyline.api.directory import directory_operations, entry_listing
from journeyline.api.errors import json_response
from journeyline.api.services import Services, decode_body, read_body, services
from journeyline.api.shapes_entities import User as UserShape
from journeyline.api.shapes_entities import UserEntityListing
from journeyline.core.ids import check_id
from journeyline.desktop.users import (
    User,
    UserChange,
    delete_user,
    get_user,
    hash_password,
    put_user,
)
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.store.base import Account, DirectoryEntry, Store

PATH = "/api/v2/users"
BODY_LIMIT = 64 * 1024


class UserBody(msgspec.Struct):
    """Genesys' CreateUser (its other fields are accepted and ignored); ``role``, ``id`` and,
    in a ``PUT``, ``password`` are ours. ``name`` is required."""

    name: str | None = None
    email: str | None = None
    password: str | None = None
    role: Ext[str] | None = None
    id: Ext[GivenId] | None = None


COLLECTION, ENTRY = directory_operations(
    "user",
    UserShape,
    UserEntityListing,
    UserBody,
    change="Change",
    description="A body with an `email`, `role` or `password` also needs `users:admin`. "
    "400 naming the field at fault; 409 for another user's email (docs/api.md, Users).",
)


def user_doc(entry: DirectoryEntry, account: Account | None) -> dict[str, Any]:
    doc = wire.directory_entry(entry)
    if account is not None:
        doc |= {"email": account.email, "role": account.role}
    return doc


async def parse_user(svc: Services, request: Request) -> tuple[UserChange, str | None]:
    """The body as a change and the id it names, allowed: ``users:admin`` for what touches an
    account."""
    body = decode_body(await read_body(request, BODY_LIMIT), UserBody)
    if body.name is None:
        raise InvalidInput("name is required", field="name")
    if body.id is not None:
        check_id(body.id)
    change = UserChange.of(name=body.name, email=body.email, role=body.role, password=body.password)
    if change.touches_account:
        await svc.auth.require(request, "users:admin")
    return change, body.id


async def save(svc: Services, user_id: str, change: UserChange, *, must_exist: bool) -> User:
    hashed = (
        None if change.password is None else await run_in_threadpool(hash_password, change.password)
    )
    now = svc.clock()

    def write(store: Store) -> User:
        if must_exist and store.directory_get("user", user_id) is None:
            raise NotFound(f"no user with id {user_id}")
        return put_user(store, user_id, change, hashed, now)

    return await svc.writer.call(write)


@declare(*COLLECTION)
async def listing(request: Request) -> Response:
    svc = services(request)
    if request.method == "POST":
        change, given_id = await parse_user(svc, request)
        user = await save(svc, given_id or str(uuid.uuid4()), change, must_exist=False)
        return json_response(user_doc(user.entry, user.account))

    def docs(store: Store, entries: list[DirectoryEntry]) -> list[dict[str, Any]]:
        accounts = store.accounts_of([e.id for e in entries])
        return [user_doc(e, accounts.get(e.id)) for e in entries]

    return await entry_listing(svc, request, PATH, "user", docs)


@declare(*ENTRY)
async def one(request: Request) -> Response:
    svc = services(request)
    user_id = request.path_params["userId"]
    if request.method == "GET":
        found = await svc.read(get_user, user_id)
        if found is None:
            raise NotFound(f"no user with id {user_id}")
        return json_response(user_doc(found.entry, found.account))
    if request.method == "DELETE":
        if await svc.read(lambda store: store.account_get(user_id)) is not None:
            await svc.auth.require(request, "users:admin")  # it removes a way to sign in
        if not await svc.writer.call(lambda store: delete_user(store, user_id)):
            raise NotFound(f"no user with id {user_id}")
        return Response(status_code=204)
    change, _ = await parse_user(svc, request)  # the id is the path's
    user = await save(svc, user_id, change, must_exist=True)
    return json_response(user_doc(user.entry, user.account))


USER_ROUTES = [
    Route(PATH, listing, methods=["GET", "POST"]),
    Route(PATH + "/{userId}", one, methods=["GET", "PUT", "DELETE"]),
]
