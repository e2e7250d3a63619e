"""Driver errors become :class:`StoreError` at the store boundary, on every public method.

A backend class is decorated once::

    @translate_errors(sqlite3.Error)
    class SqliteStore(...): ...

and every public method it has (its own and its mixins') is wrapped: a driver error raised in
the call, or while iterating what a generator method yields, is raised again as
``StoreError(...) from exc``. Other errors (``InvalidInput`` for a bad cursor, a caller's own
exception) pass unchanged. Methods that return a context manager (``transaction``,
``savepoint``) translate what happens on entering and leaving it themselves.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from journeyline.model.errors import StoreError

C = TypeVar("C", bound=type)

#: Set on a wrapped method, so that a subclass decorated again is not wrapped twice.
_MARK = "__journeyline_translated__"


def translate_errors(*driver_errors: type[BaseException]) -> Callable[[C], C]:
    """A class decorator: wrap every public method of the class so that ``driver_errors``
    become :class:`StoreError`."""

    def decorate(cls: C) -> C:
        names = {name for klass in cls.__mro__ for name in vars(klass) if not name.startswith("_")}
        for name in sorted(names):
            method = inspect.getattr_static(cls, name)
            if inspect.isfunction(method) and not getattr(method, _MARK, False):
                setattr(cls, name, _wrap(name, method, driver_errors))
        return cls

    return decorate


def _wrap(
    name: str, method: Callable[..., Any], driver_errors: tuple[type[BaseException], ...]
) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def iterate(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(*args, **kwargs)
            except driver_errors as exc:
                raise failed(name, exc) from exc

        setattr(iterate, _MARK, True)
        return iterate

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except driver_errors as exc:
            raise failed(name, exc) from exc

    setattr(call, _MARK, True)
    return call


def failed(operation: str, exc: BaseException) -> StoreError:
    """The StoreError for a driver error in ``operation`` (raise it ``from exc``)."""
    return StoreError(f"the store failed in {operation}: {exc}")
