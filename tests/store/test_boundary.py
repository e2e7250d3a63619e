"""``translate_errors``: a backend class's driver errors become StoreError, nothing else does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from journeyline.model.errors import InvalidInput, StoreError
from journeyline.store.boundary import translate_errors


class DriverError(Exception):
    """What a database driver raises."""


class Base:
    def inherited(self) -> None:
        raise DriverError("from a mixin")


@translate_errors(DriverError)
class Backend(Base):
    def fails(self) -> None:
        raise DriverError("disk I/O error")

    def works(self, value: int) -> int:
        return value + 1

    def refuses(self) -> None:
        raise InvalidInput("bad cursor", field="after")

    def rows(self, fail_after: int) -> Iterator[int]:
        yield from range(fail_after)
        raise DriverError("the table went away")

    def _private(self) -> None:
        raise DriverError("inside the boundary")


@translate_errors(DriverError)
class Again(Backend):
    """A subclass decorated again: its inherited methods are not wrapped twice."""


def test_a_driver_error_becomes_a_store_error_naming_the_method() -> None:
    with pytest.raises(StoreError, match=r"the store failed in fails: disk I/O error") as caught:
        Backend().fails()
    assert isinstance(caught.value.__cause__, DriverError)


def test_inherited_methods_are_translated_too() -> None:
    with pytest.raises(StoreError, match="in inherited"):
        Backend().inherited()


def test_results_and_other_errors_pass_unchanged() -> None:
    assert Backend().works(1) == 2
    with pytest.raises(InvalidInput):
        Backend().refuses()


def test_a_generator_is_translated_while_it_is_iterated() -> None:
    rows = Backend().rows(2)
    assert [next(rows), next(rows)] == [0, 1]
    with pytest.raises(StoreError, match="in rows"):
        next(rows)


def test_private_methods_are_left_alone() -> None:
    with pytest.raises(DriverError):
        Backend()._private()


def test_wrapping_keeps_names_and_does_not_nest() -> None:
    assert Backend.works.__name__ == "works"
    assert Again.fails is Backend.fails
    with pytest.raises(StoreError) as caught:
        Again().fails()
    assert isinstance(caught.value.__cause__, DriverError)  # not a StoreError from a StoreError
