"""The API's contract, declared beside its routes: what each operation takes and returns.

A route handler is marked with :func:`declare`, one :class:`Operation` per method it answers:
a summary, the request body's type, the response types by status, the query parameters, the
permission its bearer token needs (or how else it is authenticated: ``api.guard`` enforces it
before the handler runs), and whether it is our extension rather than a Genesys route. Types
are msgspec Structs (``api.shapes``, the request bodies the handlers decode), or types made of
them. ``api.openapi`` walks the app's routes and
reads these declarations to make the OpenAPI 3.1 document; a route without one is missing from
it, and ``tests/api/test_openapi.py`` fails.

Fields that are ours inside Genesys shapes are typed ``Ext[...]`` (``x-journeyline-extension``
in their schema); ``Maybe[...]`` is a field a response leaves out when it has no value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

import msgspec
from msgspec import UnsetType

from journeyline.core.ids import ID_PATTERN

T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])

EXTENSION = "x-journeyline-extension"
#: A field that is ours, in a Genesys shape.
Ext: TypeAlias = Annotated[T, msgspec.Meta(extra_json_schema={EXTENSION: True})]
#: A field a response leaves out when it has no value (never ``null``).
Maybe: TypeAlias = T | UnsetType
#: A date as Genesys writes it: ISO 8601 in UTC, with milliseconds (``clock.iso``).
Date: TypeAlias = Annotated[datetime, msgspec.Meta(tz=True)]


#: A Struct's class attribute holding JSON Schema keywords for the whole object (``anyOf``
#: with ``required``, ``dependentRequired``, ...): rules across its fields, which its decoder
#: checks itself; ``api.openapi`` adds them to its component.
SCHEMA_EXTRA = "__json_schema__"


def documented(**schema: Any) -> msgspec.Meta:
    """A constraint the handler checks itself, with its own message (a 400 naming the field):
    stated in the schema only (``Annotated[str, documented(minLength=1)]``)."""
    return msgspec.Meta(extra_json_schema=schema)


def any_case(*words: str) -> str:
    """A pattern matching one of ``words`` (letters and ``-``) in any case (JSON Schema's
    regexes have no ``(?i)``): for the fields a handler compares with ``.lower()``."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w) for w in words)
    return f"^({'|'.join(spelled)})$"


#: An id a client gives (``core/ids.py``).
GivenId: TypeAlias = Annotated[str, documented(pattern=ID_PATTERN)]
#: A name: 1 to 256 characters, not only spaces.
Name: TypeAlias = Annotated[str, documented(minLength=1, maxLength=256, pattern=r"\S")]

#: How an operation is authenticated (``api.guard`` enforces it): a bearer token with
#: ``Operation.permission``; a browser route's deployment, checked against its allowed domains;
#: the OAuth client's id and secret by HTTP Basic; a Segment write key; nothing.
Auth = Literal["bearer", "deployment", "client", "write-key", "none"]


@dataclass(frozen=True, slots=True)
class Param:
    """A query (or header) parameter; ``type`` is any type msgspec can describe, with its
    bounds (``Annotated[int, msgspec.Meta(ge=1, le=200)]``). A path parameter is a string
    unless declared (``location="path"``) with the constraint its handler checks."""

    name: str
    type: Any
    description: str
    default: Any = None
    required: bool = False
    location: Literal["query", "header", "path"] = "query"


@dataclass(frozen=True, slots=True)
class Content:
    """A response body that is not JSON (a script, a page): its media type."""

    media_type: str


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of a route. ``returns`` maps a status to the body's type (a tuple of
    types: any one of them), to :class:`Content`, or to None (no body); every operation may
    also answer an error in the Genesys ``ErrorBody`` shape (``api.errors``), unless
    ``returns`` names that status."""

    method: str
    summary: str
    returns: Mapping[int, Any]
    permission: str | None = None
    auth: Auth = "bearer"
    body: Any = None
    form: bool = False  # the body is application/x-www-form-urlencoded, not JSON
    params: tuple[Param, ...] = ()
    extension: bool = False
    description: str = ""


_ATTRIBUTE = "__journeyline_operations__"


def declare(*operations: Operation) -> Callable[[H], H]:
    """Mark a route handler with the operations it serves."""

    def mark(handler: H) -> H:
        setattr(handler, _ATTRIBUTE, operations)
        return handler

    return mark


def declared(endpoint: Any) -> tuple[Operation, ...]:
    """The operations a handler was declared with (none when it was not)."""
    found: tuple[Operation, ...] = getattr(endpoint, _ATTRIBUTE, ())
    return found


# -- parameters many routes share ------------------------------------------------------------


def page_size(high: int, default: int = 25) -> Param:
    return Param(
        "pageSize",
        Annotated[int, msgspec.Meta(ge=1, le=high)],
        f"entities per page, 1 to {high}",
        default,
    )


PAGE_NUMBER = Param(
    "pageNumber", Annotated[int, msgspec.Meta(ge=1, le=1_000_000)], "the page, from 1", 1
)
AFTER = Param("after", str, "the cursor of the next page, as `nextUri` gives it")
INCLUDE_MERGED = Param(
    "includeMerged", bool, "take in every contact of the contact's merge set", False
)
