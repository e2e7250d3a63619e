"""What a desktop route needs, said once, on the route's handler.

``desktop.pages.page(permission)`` marks a page for a signed-in user whose role has
``permission`` (``ROLES`` of ``api/auth.py``); :func:`public` marks the few a browser opens before
signing in (the sign-in form, the language switch, the scripts); the live feed is marked with the
permission it reads by. :func:`access_of` reads the mark back: docs/api.md's roles table and
``tests/api/test_roles_table.py`` go by it, and that test fails on a desktop route without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R", bound=Callable[..., Any])

_ACCESS = "__journeyline_desktop_access__"
#: What ``access_of`` says of a route anyone may open, signed in or not.
PUBLIC = "public"


def needs(permission: str) -> Callable[[R], R]:
    """Mark a desktop handler with what it needs: a permission, or ``PUBLIC``."""

    def mark(handler: R) -> R:
        setattr(handler, _ACCESS, permission)
        return handler

    return mark


def public(handler: R) -> R:
    """Mark a desktop route that needs no signed-in user."""
    return needs(PUBLIC)(handler)


def access_of(endpoint: Any) -> str | None:
    """What a desktop route needs (a permission or ``PUBLIC``); None when it does not say."""
    found: str | None = getattr(endpoint, _ACCESS, None)
    return found
