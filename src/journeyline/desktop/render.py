"""Rendering the desktop's pages: one Jinja2 environment per language, security headers.

Every template is autoescaped (everything a visitor or caller typed is hostile), and every
string in it goes through the language's catalogue (``{% trans %}``, ``_()``). Pages carry a
strict Content-Security-Policy: scripts, styles and fonts only from this server's
``/desktop/static/``, no inline script, no framing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from journeyline.clock import iso
from journeyline.core.ids import path_segment
from journeyline.desktop import i18n
from journeyline.desktop.views import Text, duration_text, person_name
from journeyline.model.contact import Contact

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("journeyline.desktop", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        duration=duration_text,
        iso=_iso,
        clock=_clock,
        clock_iso=_clock_iso,
        person_name=_person_name,
        segment=path_segment,  # an id in a URL path: never `/`, `..` or markup raw
    )
    return env


def _person_name(contact: Contact) -> Text:
    return person_name(contact.first_name, contact.last_name)


def _iso(ms: int) -> str:
    return iso(ms)


def _clock(ms: int) -> str:
    """A time as the page shows it before the browser puts it in its own time zone."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clock_iso(text: str) -> str:
    try:
        return _clock(int(datetime.fromisoformat(text).timestamp() * 1000))
    except ValueError:
        return text


def language_of(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def gettext(request: Request, message: str) -> str:
    """``message`` in the request's language."""
    return i18n.translations(language_of(request)).gettext(message)


def secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered in the request's language, with the security headers."""
    language = language_of(request)
    page = environment(language).get_template(template)
    defaults = {"user": None, "notice": None, "section": ""}  # what base.html asks of every page
    html = page.render(
        request=request,
        language=language,
        languages=i18n.LANGUAGE_NAMES,
        **(defaults | context),
    )
    response = HTMLResponse(html, status_code=status)
    secure(response)
    return response
