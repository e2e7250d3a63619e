"""Query parameters: each given at most once, integers as ASCII digits within bounds; a clear
400 naming the parameter otherwise (the guard checks every declared one for repetition)."""

from __future__ import annotations

import re

from starlette.requests import Request

from journeyline.model.errors import InvalidInput


def one_param(request: Request, name: str) -> str | None:
    """A query parameter given at most once (its value, or None): twice is a 400, not the
    last one silently (schemathesis sent ``pageNumber`` a dozen times)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise InvalidInput(f"{name} is given more than once", field=name)
    return values[0] if values else None


_INTEGER = re.compile(r"-?[0-9]{1,12}")


def int_param(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = one_param(request, name)
    if raw is None:
        return default  # an empty one is no integer: a 400 (schemathesis)
    if not _INTEGER.fullmatch(raw):  # not int()'s " 1", "1_0" or Arabic-Indic digits
        raise InvalidInput(f"{name} must be an integer", field=name)
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return value
