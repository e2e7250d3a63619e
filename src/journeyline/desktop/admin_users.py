"""The admin screen for users (``users:admin``): who may sign in to the desktop, with what role.

A user is the directory's user (the agent named on cards) and, with an email, an account
(``desktop.users``). The form is checked by the API's own ``UserChange.of`` and written by its
``save`` (the password hashed off the event loop); deleting goes through ``delete_user``, which
also ends the user's sign-in sessions. A password is never shown, nor its hash.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from journeyline.api.auth import DESKTOP_ROLES
from journeyline.api.services import Services
from journeyline.api.users import save
from journeyline.desktop.accounts import read_form
from journeyline.desktop.admin_forms import Pager, done, field_errors, page_number, show
from journeyline.desktop.pages import Viewer, page
from journeyline.desktop.users import UserChange, delete_user
from journeyline.model.errors import Conflict, InvalidInput, NotFound
from journeyline.store.base import Account, DirectoryEntry, Store

BASE = "/desktop/admin/users"
PERMISSION = "users:admin"
FIELDS = ("name", "email", "password", "role")


async def _users_page(
    request: Request, svc: Services, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    number = page_number(request)

    def read(store: Store) -> tuple[list[DirectoryEntry], dict[str, Account], int]:
        entries, total = store.directory_list(
            "user", page_number=number, page_size=Pager(number, 0).size, name=None
        )
        return entries, store.accounts_of([e.id for e in entries]), total

    entries, accounts, total = await svc.read(read)
    context.setdefault("values", {"role": DESKTOP_ROLES[0]})
    return show(
        request,
        "admin/users.html",
        viewer,
        status=status,
        users=[(e, accounts.get(e.id)) for e in entries],
        roles=DESKTOP_ROLES,
        pager=Pager(number, total),
        **context,
    )


@page(PERMISSION)
async def users(request: Request, svc: Services, viewer: Viewer) -> Response:
    return await _users_page(request, svc, viewer)


@page(PERMISSION, form=True)
async def user_create(request: Request, svc: Services, viewer: Viewer) -> Response:
    form = await read_form(request)
    try:
        change = UserChange.of(
            name=form.get("name", ""),
            email=form.get("email", "").strip() or None,
            role=form.get("role") or None,
            password=form.get("password") or None,
        )
        await save(svc, str(uuid.uuid4()), change, must_exist=False)
    except (InvalidInput, Conflict) as exc:
        values = {k: v for k, v in form.items() if k != "password"}  # never sent back
        errors = field_errors(exc, FIELDS)
        return await _users_page(
            request, svc, viewer, status=exc.status, errors=errors, values=values
        )
    return done(BASE, "created")


@page(PERMISSION, form=True)
async def user_delete(request: Request, svc: Services, viewer: Viewer) -> Response:
    user_id = request.path_params["userId"]
    if user_id == viewer.user_id:
        raise Conflict("you cannot delete the user you are signed in as")
    if not await svc.writer.call(lambda store: delete_user(store, user_id)):
        raise NotFound(f"no user with id {user_id}")
    return done(BASE, "deleted")


USER_ROUTES: list[BaseRoute] = [
    Route(BASE, users, methods=["GET"]),
    Route(BASE, user_create, methods=["POST"]),
    Route(BASE + "/{userId}/delete", user_delete, methods=["POST"]),
]
