"""The desktop's pages: Now, finding a person, a person's journey, session cards and journey
maps, and the agent actions (verify, merge, unmerge, wrap-up).

Every page needs a signed-in user (else it redirects to the sign-in form) whose role has the
page's permission (else a 403 page): ``@page(permission)`` says which, the one place it is said;
the few a browser reaches before signing in say so with ``@public`` (``desktop.access``). Every
form posts with the session's CSRF token. Agent actions run the same engine commands as the API,
through the single writer, audited under the user's id; the live feed then changes every open
desktop.

Each answer of a signed-in route carries ``Server-Timing: app;dur=<ms>``: the server time
from the route's start to its response (``journeyline bench`` reads it).

Fragments (``.../card``, ``.../map``, ``/desktop/now/body``) are what ``desktop.js`` fetches
when the live feed says something changed; without JavaScript the pages still work whole.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from journeyline.api.auth import ROLES
from journeyline.api.services import Services, services
from journeyline.api.sessions import load as load_session
from journeyline.api.static import MEDIA_TYPES, not_found
from journeyline.core.ids import path_segment
from journeyline.desktop import i18n, journey
from journeyline.desktop.access import needs, public
from journeyline.desktop.accounts import read_form
from journeyline.desktop.render import gettext, language_of, render, secure
from journeyline.desktop.views import N_, OFFER_STATES, CardView
from journeyline.ids import new_id
from journeyline.ingest import genesys_detail
from journeyline.model import commands
from journeyline.model.contact import Contact
from journeyline.model.errors import Conflict, Forbidden, InvalidInput, JourneylineError, NotFound
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession
from journeyline.store.base import AnySession, DirectoryEntry, Store

SIGN_IN = "/desktop/signin"
CSRF_TEXT = N_(
    "This form has expired or did not come from this site: nothing was changed."
    " Go back, reload the page and try again."
)
#: What an error page says, in the page's language, when the error's own words (the engine's,
#: in English) are not in the catalogue.
ERROR_TEXT = {
    400: N_("This was not accepted: check what you typed and try again."),
    403: N_("Your role may not do this."),
    404: N_("There is nothing here: it may have been deleted, merged or never existed."),
    409: N_("This cannot be done now: reload the page and try again."),
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user, as the templates see them."""

    user_id: str
    name: str
    role: str
    csrf_token: str
    permissions: frozenset[str]


Handler = Callable[[Request, Services, Viewer], Awaitable[Response]]


def local_path(target: str | None, default: str = "/desktop") -> str:
    """``target`` when it is a path of the desktop on this site, else ``default`` (never an
    open redirect: no scheme, no host, no ``//``, no backslash)."""
    if not target or not target.startswith("/desktop") or "\\" in target or "//" in target:
        return default
    return target


def _back_to(contact_id: str) -> Response:
    """To the person's journey."""
    return secure(RedirectResponse(f"/desktop/people/{path_segment(contact_id)}", status_code=303))


def _signin_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{SIGN_IN}?next={quote(target, safe='')}"
    return secure(RedirectResponse(location, status_code=303))


def error_text(request: Request, exc: JourneylineError) -> str:
    """Why, in the request's language: the error's own words when the catalogue has them (the
    desktop's own refusals), else, in a language other than English, what its status means."""
    return message_text(request, exc.message, exc.status)


def message_text(request: Request, message: str, status: int) -> str:
    """``error_text`` of an error's ``message`` and ``status``."""
    language = language_of(request)
    gettext = i18n.translations(language).gettext
    translated = gettext(message)
    if translated != message or language == i18n.DEFAULT:
        return translated
    return gettext(ERROR_TEXT.get(status, N_("Something went wrong")))


def error_page(request: Request, viewer: Viewer | None, exc: JourneylineError) -> Response:
    titles = {403: N_("Not allowed"), 404: N_("Not found"), 409: N_("Conflict")}
    title = titles.get(exc.status, N_("Something went wrong"))
    message = error_text(request, exc)
    if exc.status == 403 and exc.field == "csrf_token":
        title, message = (
            N_("Form refused"),
            gettext(request, CSRF_TEXT),
        )
    return render(
        request,
        "error.html",
        status=exc.status,
        user=viewer,
        title=gettext(request, title),
        message=message,
    )


def page(permission: str, *, form: bool = False) -> Callable[[Handler], Callable[..., Any]]:
    """A desktop route: a signed-in user with ``permission``; ``form``: a POST whose CSRF token
    must match the user's session."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            svc = services(request)
            accounts = svc.accounts
            signed = await accounts.user_for(request) if accounts is not None else None
            if signed is None:
                return _signin_redirect(request)
            viewer = Viewer(
                signed.user_id,
                signed.name,
                signed.role,
                signed.csrf_token,
                ROLES.get(signed.role, frozenset()),
            )
            try:
                if form:
                    await accounts.check_csrf(request, signed)
                if permission not in viewer.permissions:
                    raise Forbidden(ERROR_TEXT[403])
                response = await handler(request, svc, viewer)
            except (NotFound, Forbidden, Conflict, InvalidInput) as exc:
                response = error_page(request, viewer, exc)
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
            return response

        return needs(permission)(run)

    return wrap


def _show(request: Request, template: str, viewer: Viewer, **context: Any) -> Response:
    return render(request, template, user=viewer, **context)


# -- pages -------------------------------------------------------------------------------------


@public
async def home(request: Request) -> Response:
    return secure(RedirectResponse("/desktop/now", status_code=303))


@page("journey:read")
async def now_page(request: Request, svc: Services, viewer: Viewer) -> Response:
    now = await svc.read(journey.now, svc, svc.clock())
    return _show(request, "now.html", viewer, section="now", now=now)


@page("journey:read")
async def now_body(request: Request, svc: Services, viewer: Viewer) -> Response:
    now = await svc.read(journey.now, svc, svc.clock())
    return _show(request, "now_body.html", viewer, now=now)


@page("journey:read")
async def search(request: Request, svc: Services, viewer: Viewer) -> Response:
    query = request.query_params.get("q", "").strip()
    people = await svc.read(journey.find_people, svc, query, svc.clock()) if query else []
    if len(people) == 1:
        return _back_to(people[0].id)
    return _show(request, "search.html", viewer, query=query, people=people)


CONTACT_DETAILS = (
    ("title", N_("Title")),
    ("work_email", N_("Work email")),
    ("personal_email", N_("Personal email")),
    ("other_email", N_("Other email")),
    ("cell_phone", N_("Mobile phone")),
    ("work_phone", N_("Work phone")),
    ("home_phone", N_("Home phone")),
    ("other_phone", N_("Other phone")),
)


def _details(contact: Contact) -> list[tuple[str, str]]:
    return [(label, value) for name, label in CONTACT_DETAILS if (value := getattr(contact, name))]


def _wrapups(store: Store) -> list[DirectoryEntry]:
    found, _ = store.directory_list("wrapupcode", page_number=1, page_size=200, name=None)
    return found


async def _person_page(
    request: Request, svc: Services, viewer: Viewer, contact_id: str, **extra: Any
) -> Response:
    after = request.query_params.get("after")

    def read(store: Store) -> tuple[journey.Person, list[DirectoryEntry]]:
        return journey.person(store, svc, contact_id, svc.clock(), after), _wrapups(store)

    try:
        shown, wrapups = await svc.read(read)
    except InvalidInput as exc:  # a cursor the store did not issue
        raise NotFound(exc.message) from exc
    return _show(
        request,
        "person.html",
        viewer,
        person=shown,
        details=_details(shown.contact),
        wrapups=wrapups,
        verify_as=_verify_as(shown.contact),
        **{"merge_error": None, **extra},
    )


def _verify_as(contact: Contact | None) -> str | None:
    """Whom a session shown on ``contact``'s journey is verified as with one click: the
    contact itself, unless it is only a visitor's ephemeral contact (then the agent names
    whom)."""
    return contact.id if contact is not None and contact.type != "Ephemeral" else None


@page("journey:read")
async def person_page(request: Request, svc: Services, viewer: Viewer) -> Response:
    """A person's journey; a contact merged into another is shown as the head of its merge
    set (redirected there), where its sessions are."""
    contact_id = request.path_params["contactId"]
    head = await svc.read(journey.head_of, contact_id, svc.clock())
    if head != contact_id:
        return _back_to(head)
    return await _person_page(request, svc, viewer, contact_id)


@page("journey:read")
async def session_page(request: Request, svc: Services, viewer: Viewer) -> Response:
    c, wrapups, _ = await svc.read(_card_of, svc, request.path_params["sessionId"], None)
    if c.contact_id is not None:
        return _back_to(c.contact_id)
    return _show(request, "session.html", viewer, c=c, wrapups=wrapups, verify_as=None)


def _card_of(
    store: Store, svc: Services, session_id: str, shown_on: str | None
) -> tuple[CardView, list[DirectoryEntry], Contact | None]:
    """A session's card, the wrap-up codes, and the contact whose journey shows it."""
    c = journey.card_of(store, svc, load_session(store, session_id), svc.clock())
    return c, _wrapups(store), store.contact_get(shown_on) if shown_on else None


@page("journey:read")
async def card_fragment(request: Request, svc: Services, viewer: Viewer) -> Response:
    shown_on = request.query_params.get("for")
    c, wrapups, contact = await svc.read(_card_of, svc, request.path_params["sessionId"], shown_on)
    return _show(request, "card.html", viewer, c=c, wrapups=wrapups, verify_as=_verify_as(contact))


@page("journey:read")
async def map_fragment(request: Request, svc: Services, viewer: Viewer) -> Response:
    items, more = await svc.read(journey.journey_map, request.path_params["sessionId"])
    return _show(
        request, "map.html", viewer, items=items, more=more is not None, offer_states=OFFER_STATES
    )


@public
async def language(request: Request) -> Response:
    """The language switch: remembered in a cookie for a year."""
    chosen = request.query_params.get("to", "")
    target = local_path(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if chosen in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, chosen, max_age=365 * 86400, path="/desktop", samesite="lax"
        )
    return secure(response)


STATIC_DIR = Path(__file__).resolve().parent / "static"


@cache
def static_files() -> dict[str, bytes]:
    """The desktop's scripts, styles and icons by path: only these are served, by exact name."""
    return {
        str(path.relative_to(STATIC_DIR)): path.read_bytes()
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


@public
async def static_file(request: Request) -> Response:
    name = str(request.path_params["path"])
    content = static_files().get(name)
    if content is None:
        return not_found(repr(name))
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=MEDIA_TYPES[Path(name).suffix], headers=headers)


# -- agent actions -----------------------------------------------------------------------------


@page("contacts:write", form=True)
async def verify(request: Request, svc: Services, viewer: Viewer) -> Response:
    named = str((await read_form(request)).get("contact", "")).strip()

    def read(store: Store) -> tuple[AnySession, list[Contact]]:
        session = load_session(store, request.path_params["sessionId"])
        return session, journey.find_people(store, svc, named, svc.clock()) if named else []

    session, found = await svc.read(read)
    if len(found) != 1:
        raise InvalidInput(
            N_(
                "Name exactly one person to verify the session as:"
                " a contact id, an email or a phone number."
            ),
            field="contact",
        )
    contact_id = found[0].id
    cookie = session.customer_cookie_id if isinstance(session, WebSession) else None
    await svc.run_command(
        commands.VerifySession(
            actor=viewer.user_id,
            at_ms=svc.clock(),
            contact_id=contact_id,
            session_id=session.id,
            cookie=cookie,
        )
    )
    return _back_to(contact_id)


@page("contacts:write", form=True)
async def merge(request: Request, svc: Services, viewer: Viewer) -> Response:
    contact_id = request.path_params["contactId"]
    other = str((await read_form(request)).get("other", "")).strip()
    now_ms = svc.clock()
    people = await svc.read(journey.find_people, svc, other, now_ms)
    found = [p for p in people if p.id != contact_id]
    problem = None
    if not other:
        problem = N_("Name the contact to merge with.")
    elif len(found) != 1:
        problem = N_("Name exactly one other person: a contact id, an email or a phone number.")
    if problem is not None:
        text = gettext(request, problem)
        return await _person_page(request, svc, viewer, contact_id, merge_error=text)
    try:
        result = await svc.run_command(
            commands.MergeContacts(
                actor=viewer.user_id,
                at_ms=now_ms,
                id=new_id(),
                contact_ids=(contact_id, found[0].id),
            )
        )
    except InvalidInput as exc:
        text = error_text(request, exc)
        return await _person_page(request, svc, viewer, contact_id, merge_error=text)
    return _back_to(str(result["id"]))


@page("contacts:write", form=True)
async def unmerge(request: Request, svc: Services, viewer: Viewer) -> Response:
    result = await svc.run_command(
        commands.UnmergeContact(
            actor=viewer.user_id, at_ms=svc.clock(), id=request.path_params["contactId"]
        )
    )
    return _back_to(str(result["contactIds"][0]))


@page("contacts:write", form=True)
async def wrapup(request: Request, svc: Services, viewer: Viewer) -> Response:
    """The agent assigns a wrap-up code to an ended conversation: an ``acw`` detail event on
    its last agent's leg, into the event log like the contact centre's own (so replays and
    rebuilds keep it); its notes say who assigned it on the desktop."""
    code = str((await read_form(request)).get("code", ""))

    def read(store: Store) -> ConversationSession:
        session = load_session(store, request.path_params["sessionId"])
        if not isinstance(session, ConversationSession) or session.ended_ms is None:
            raise Conflict(N_("Only an ended conversation takes a wrap-up code."))
        if journey.card_of(store, svc, session, svc.clock()).wrapped_up:  # a stale page
            raise Conflict(N_("This conversation has a wrap-up code already."))
        if store.directory_get("wrapupcode", code) is None:
            raise NotFound(N_("There is no such wrap-up code."), field="code")
        return session

    session = await svc.read(read)
    body = {
        "eventTime": max(svc.clock(), session.latest_ms),
        "conversationId": session.conversation_id,
        "mediaType": session.media_type,
        "userId": session.last_user_id or viewer.user_id,
        "queueId": session.last_queue_id,
        "wrapupCode": code,
        "wrapupNotes": f"Assigned on the desktop by {viewer.name} ({viewer.user_id})",
    }
    event = {
        "topicName": f"v2.detail.events.conversation.{session.conversation_id}.acw",
        "version": "2",
        "eventBody": {k: v for k, v in body.items() if v is not None},
    }
    [parsed] = genesys_detail.parse_many([event])
    if isinstance(parsed, genesys_detail.Rejected):
        raise InvalidInput(parsed.message, field=parsed.field)
    [applied] = await svc.writer.submit([parsed])
    if applied.error is not None:
        raise applied.error
    shown = await svc.read(journey.card_of, svc, session, svc.clock())
    contact_id = shown.contact_id
    if contact_id is None:
        location = f"/desktop/sessions/{path_segment(session.id)}"
        return secure(RedirectResponse(location, status_code=303))
    return _back_to(contact_id)


DESKTOP_ROUTES: list[BaseRoute] = [
    Route("/desktop", home, methods=["GET"]),
    Route("/desktop/now", now_page, methods=["GET"]),
    Route("/desktop/now/body", now_body, methods=["GET"]),
    Route("/desktop/search", search, methods=["GET"]),
    Route("/desktop/language", language, methods=["GET"]),
    Route("/desktop/people/{contactId}", person_page, methods=["GET"]),
    Route("/desktop/people/{contactId}/merge", merge, methods=["POST"]),
    Route("/desktop/people/{contactId}/unmerge", unmerge, methods=["POST"]),
    Route("/desktop/sessions/{sessionId}", session_page, methods=["GET"]),
    Route("/desktop/sessions/{sessionId}/card", card_fragment, methods=["GET"]),
    Route("/desktop/sessions/{sessionId}/map", map_fragment, methods=["GET"]),
    Route("/desktop/sessions/{sessionId}/verify", verify, methods=["POST"]),
    Route("/desktop/sessions/{sessionId}/wrapup", wrapup, methods=["POST"]),
    Route("/desktop/static/{path:path}", static_file, methods=["GET"]),
]
