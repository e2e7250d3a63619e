"""NUL characters are refused in every JSON body we ingest (``\\u0000`` in a string): no text
needs one, PostgreSQL's text cannot store one (it was a 503 there and accepted on SQLite), and
a NUL is a classic way to cut a string short downstream. A raw NUL byte is malformed JSON
already; this finds the escaped one without decoding: ``\\u0000`` after an even number of
backslashes (``\\\\u0000`` is a backslash and ``u0000``, which is fine)."""

from __future__ import annotations

import re

from journeyline.model.errors import InvalidInput

_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def refuse_nul(raw: bytes) -> bytes:
    """``raw`` (JSON) if no string in it holds a NUL; else InvalidInput."""
    if b"\\u0000" in raw and _ESCAPED_NUL.search(raw):
        raise InvalidInput("a string holds a NUL character (\\u0000): refused")
    return raw
