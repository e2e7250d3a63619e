"""What the admin screens share: putting an error next to the field it names, notices after a
redirect, pages of a listing, the page that shows a secret once.

Forms are read with the sign-in's ``read_form`` (url-encoded, at most its ``FORM_LIMIT``), the
same read its CSRF check makes. The rules are never here: a form is turned into the body the
API would get and handed to the API's own parse function or engine command; what they raise is
shown. An ``InvalidInput`` names its field (``displayName``, ``allowedDomains``,
``journey.patterns[0].criteria[1].key``): the form input of that name (or of the path's first
part) shows it, else the form's fallback input (the JSON textarea of a definition), else the
top of the form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from journeyline.desktop.pages import Viewer, message_text
from journeyline.desktop.render import gettext, render, secure
from journeyline.desktop.views import N_
from journeyline.model.errors import JourneylineError

#: What a redirect after a successful post says on the page it lands on (``?notice=``).
NOTICES = {
    "created": N_("Created."),
    "saved": N_("Saved."),
    "deleted": N_("Deleted."),
    "replayed": N_("Replayed."),
    "disabled": N_("Disabled: its tokens are revoked and it mints no more."),
    "enabled": N_("Enabled."),
    "revoked": N_("Its tokens are revoked."),
}
PAGE_SIZE = 50

Errors = dict[str, str]
"""Input name -> the message shown next to it; ``""`` is the form as a whole."""


def field_errors(exc: JourneylineError, fields: Collection[str], fallback: str = "") -> Errors:
    """``exc``'s message next to the input it names (see the module's docstring)."""
    if not exc.field:
        return {"": exc.message}
    top = re.split(r"[.\[]", exc.field, maxsplit=1)[0]
    if exc.field in fields:
        top = exc.field
    return {top if top in fields else fallback: exc.message}


def lines(text: str) -> list[str]:
    """The non-blank lines (or comma-separated items) of a textarea, stripped."""
    return [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]


def show(
    request: Request, template: str, viewer: Viewer, *, status: int = 200, **context: Any
) -> Response:
    """An admin page: the admin section of the navigation, a notice the redirect asked for."""
    key = request.query_params.get("notice", "")
    context.setdefault("notice", gettext(request, NOTICES[key]) if key in NOTICES else None)
    # the API's words are English: on a page in another language, what the status means (a
    # message next to a field is one to correct: a 400)
    errors = context.get("errors") or {}
    context["errors"] = {
        name: message_text(request, message, status if name == "" else 400)
        for name, message in errors.items()
    }
    if context.get("problem"):
        context["problem"] = message_text(request, context["problem"], status)
    return render(request, template, status=status, user=viewer, section="admin", **context)


def show_secret(
    request: Request,
    viewer: Viewer,
    title: str,
    facts: list[tuple[str, str]],
    secret: tuple[str, str],
    back: str,
) -> Response:
    """The page that answers the post that made a secret: ``facts`` about what was made (the
    first, its id), the ``(label, secret)`` shown this once, a link ``back`` to the list."""
    return show(
        request, "admin/secret.html", viewer, title=title, facts=facts, secret=secret, back=back
    )


def done(path: str, notice: str) -> Response:
    """After a post that worked: see the listing (303), with a notice."""
    return secure(RedirectResponse(f"{path}?notice={quote(notice)}", status_code=303))


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a numbered listing is: pages of ``PAGE_SIZE`` from 1."""

    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_number(request: Request) -> int:
    """The ``page`` asked for (1 when it is not a whole number from 1 to a million)."""
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 1_000_000 else 1
