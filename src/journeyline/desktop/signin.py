"""The sign-in form and sign-out: ``/desktop/signin``, ``/desktop/signout``.

``GET /desktop/signin`` shows the form (with ``next``, the desktop page to go to after);
``POST /desktop/signin`` takes ``email``, ``password``, ``csrf_token`` and ``next`` as a form and
answers 303 to ``next`` (only a path of the desktop, ``pages.local_path``: else ``/desktop``) with
the session cookie, or the form again with why: 400 for a wrong email or password, 429 while the
account is locked, 403 for a form without its CSRF token; and 429, whatever the form holds,
while the source address is past ``JOURNEYLINE_SIGNIN_FAILURES_PER_MINUTE`` failed sign-ins
(``RateLimits.signin_failures``: the address after the trusted proxies, ``api.proxies``).
``POST /desktop/signout`` ends the session (its form carries the session's CSRF token) and goes
back to the form.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from journeyline.api.services import services
from journeyline.desktop.access import public
from journeyline.desktop.accounts import (
    SESSION_COOKIE,
    SignedIn,
    accounts_of,
    clear_session_cookie,
    read_form,
    set_csrf_cookie,
    set_session_cookie,
)
from journeyline.desktop.pages import CSRF_TEXT, local_path
from journeyline.desktop.render import gettext, render, secure
from journeyline.desktop.views import N_
from journeyline.model.errors import Forbidden, RateLimited, SignInRefused

HOME = "/desktop"


async def signin_form(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    next_path: str = HOME,
    retry_minutes: int = 0,
) -> HTMLResponse:
    accounts = accounts_of(request)
    token, nonce = accounts.signin_csrf(request)
    response = render(
        request,
        "signin.html",
        status=status,
        user=await accounts.user_for(
            request
        ),  # signed in already: the header says who, to sign out
        notice=None,
        section="signin",
        csrf_token=token,
        error=error,
        email=email,
        next=next_path,
        retry_minutes=retry_minutes,
    )
    set_csrf_cookie(response, nonce, accounts.secure(request))
    return response


def csrf_refused(request: Request, user: SignedIn | None) -> HTMLResponse:
    """The 403 page for a form that did not carry its CSRF token."""
    return render(
        request,
        "error.html",
        status=403,
        user=user,
        notice=None,
        section="refused",
        title=gettext(request, N_("Form refused")),
        message=gettext(request, CSRF_TEXT),
    )


@public
async def signin_page(request: Request) -> Response:
    return await signin_form(request, next_path=local_path(request.query_params.get("next")))


@public
async def signin(request: Request) -> Response:
    accounts = accounts_of(request)
    limits = services(request).limits
    address = limits.source(request)
    form = await read_form(request)
    email = form.get("email", "")
    next_path = local_path(form.get("next"))
    try:
        await accounts.check_csrf(request, None, form)
    except Forbidden:
        return await signin_form(
            request, status=403, error="csrf", email=email, next_path=next_path
        )
    try:  # counted as a failure as it comes in, and given back unless it is one: tries made
        limits.signin_failures.hit(address)  # at once are held to the limit as well
    except RateLimited as throttled:
        return await _refused(request, "throttled", 429, throttled.retry_after_s, email, next_path)
    failed = False
    try:
        token, _ = await accounts.sign_in(email, form.get("password", ""))
    except SignInRefused as refused:
        failed = refused.reason == "credentials"
        wait_s = refused.retry_after_s
        return await _refused(request, refused.reason, refused.status, wait_s, email, next_path)
    finally:
        if not failed:
            limits.signin_failures.give_back(address)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a session this browser had before ends: a new sign-in, a new token
        await accounts.sign_out(old)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, token, accounts.secure(request))
    return secure(response)


async def _refused(
    request: Request, reason: str, status: int, wait_s: int | None, email: str, next_path: str
) -> Response:
    """The form again, saying why (with ``Retry-After`` when waiting helps)."""
    form_again = await signin_form(
        request,
        status=status,
        error=reason,
        email=email,
        next_path=next_path,
        retry_minutes=-(-(wait_s or 0) // 60),
    )
    if wait_s:
        form_again.headers["Retry-After"] = str(wait_s)
    return form_again


@public
async def signout(request: Request) -> Response:
    accounts = accounts_of(request)
    user = await accounts.user_for(request)
    if user is not None:
        try:
            await accounts.check_csrf(request, user)
        except Forbidden:
            return csrf_refused(request, user)
        await accounts.sign_out(request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/desktop/signin", status_code=303)
    clear_session_cookie(response, accounts.secure(request))
    return secure(response)


SIGNIN_ROUTES = [
    Route("/desktop/signin", signin_page, methods=["GET"]),
    Route("/desktop/signin", signin, methods=["POST"]),
    Route("/desktop/signout", signout, methods=["POST"]),
]
