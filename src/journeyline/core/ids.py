"""The ids a client may give (a directory entry's, a user's, a deployment's), and ids of any
origin put into a ``selfUri``.

A given id is 1 to 256 of the characters a URL path segment holds as they are — letters,
digits and ``-._~:@`` — and is not ``.`` or ``..``: it goes into ``selfUri`` and links as
given. An id that came in a contact centre's event (a queue, user or wrap-up code id, a
conversation id) is kept as sent; :func:`path_segment` percent-encodes it where it becomes part
of a URI, so ``a/b`` or markup never reach a ``selfUri`` raw.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from journeyline.model.errors import InvalidInput

SAFE = "-._~:@"
#: A given id, as a regular expression (JSON Schema's ``pattern`` too).
ID_PATTERN = r"^[A-Za-z0-9\-._~:@]{1,256}$"
_GIVEN = re.compile(ID_PATTERN)


def check_id(value: str, field: str = "id") -> str:
    """``value`` if it is an id a client may give; else InvalidInput naming ``field``."""
    if not _GIVEN.fullmatch(value) or value in (".", ".."):
        raise InvalidInput(
            f"{field} must be 1 to 256 letters, digits or -._~:@ (not . or ..)", field=field
        )
    return value


#: A cookie id as Genesys writes it: a UUID in its 8-4-4-4-12 form (any case).
_COOKIE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def cookie_id(value: str, field: str = "customerCookieId") -> str:
    """A visitor's cookie id, lower case; InvalidInput naming ``field`` for any other spelling
    of a UUID (braces, 32 digits, ``urn:uuid:``). One visitor is one cookie id: accepting those
    spellings would make one visitor several, and refusing them (rather than rewriting them)
    keeps what the log holds the same as what the engine saw, for a rebuild."""
    if not _COOKIE.fullmatch(value):
        raise InvalidInput(
            f"{field} must be a UUID in its 8-4-4-4-12 form, such as"
            " 7d5d8a6e-2f8b-4c1e-9a3b-0c1d2e3f4a5b",
            field=field,
        )
    return value.lower()


def path_segment(value: str) -> str:
    """``value`` as one segment of a URI path: percent-encoded but for the safe characters,
    and ``.`` or ``..`` (which a browser or proxy would resolve as a step up) as ``%2E``."""
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe=SAFE)
