"""``@record`` behaves as ``@dataclass(frozen=True, slots=True)`` does, field for field."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from journeyline.model.contact import Contact
from journeyline.model.record import record, replace
from journeyline.model.web import WebEvent


@record
class Sample:
    a: int
    b: str = "b"
    c: list[int] = dataclasses.field(default_factory=list)
    d: int = dataclasses.field(default=4, kw_only=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Twin:
    a: int
    b: str = "b"
    c: list[int] = dataclasses.field(default_factory=list)
    d: int = dataclasses.field(default=4, kw_only=True)


@record
class Point:
    x: int
    y: int


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, "x"), {}),
    ((1, "x", [2]), {}),
    ((1,), {"d": 9}),
    ((), {"a": 1, "b": "y", "c": [3], "d": 5}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_made_as_the_dataclass_makes_it(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    made, twin = Sample(*args, **kwargs), Twin(*args, **kwargs)
    assert dataclasses.astuple(made) == dataclasses.astuple(twin)
    assert repr(made) == repr(twin).replace("Twin", "Sample")
    assert made == Sample(*args, **kwargs)
    assert pickle.loads(pickle.dumps(made)) == made  # noqa: S301 (our own bytes)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, "x", [], 4), {}), ((1,), {"e": 1}), ((1,), {"a": 2})],
)
def test_refuses_the_calls_the_dataclass_refuses(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        Twin(*args, **kwargs)
    with pytest.raises(TypeError):
        Sample(*args, **kwargs)


def test_stays_frozen_slotted_and_replaceable() -> None:
    made = Sample(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]
    assert not hasattr(made, "__dict__")
    assert dataclasses.replace(made, b="z") == Sample(1, "z")
    assert Sample(1).c is not Sample(1).c  # a factory per record, not one shared list
    assert hash(Point(1, 2)) == hash(Point(1, 2)) != hash(Point(2, 1))
    names: tuple[str, ...] = Sample.__match_args__
    assert names == ("a", "b", "c") == Twin.__match_args__


def test_a_class_that_needs_post_init_is_refused() -> None:
    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Checked:
            a: int

            def __post_init__(self) -> None:
                pass


def test_a_class_with_an_init_var_is_refused() -> None:
    """An ``InitVar`` is a parameter of the dataclass's ``__init__`` and no field: @record's
    would not take it, so the class is refused when it is made, not at its first call."""
    with pytest.raises(TypeError, match="InitVar"):

        @record
        class Seeded:
            a: int
            seed: dataclasses.InitVar[int] = 0


def test_a_subclass_takes_the_fields_of_its_base() -> None:
    """A @record of a @record (or of a frozen dataclass): the base's fields first, in their
    slots, a field declared again keeps its place with its new default; as the dataclass."""

    @record
    class Base:
        a: int
        b: int = 2

    @record
    class Sub(Base):
        c: int = 3
        b: int = 5

    @dataclasses.dataclass(frozen=True, slots=True)
    class Twin(Base):
        c: int = 3
        b: int = 5

    assert (Sub(1), Sub(1, 7, 8)) == (Sub(1, 5, 3), Sub(a=1, b=7, c=8))
    assert [repr(Sub(1)), repr(Sub(1, c=0))] == [
        repr(Twin(1)).replace("Twin", "Sub"),
        repr(Twin(1, c=0)).replace("Twin", "Sub"),
    ]
    assert copy.deepcopy(Sub(1)) == dataclasses.replace(Sub(1, 0), b=5)
    with pytest.raises(AttributeError):
        Sub(1).__dict__  # noqa: B018 (slotted: no instance dict)


def test_any_field_name_is_taken_as_the_dataclass_takes_it() -> None:
    """The names @record's __init__ uses for itself (its setters, defaults, factories, the
    missing marker, ``self``) are none a field can have: a field named like one is set."""

    @record
    class Odd:
        _set0: int
        self: int = 1
        _MISSING: list[int] = dataclasses.field(default_factory=list)

    assert (Odd(5)._set0, Odd(5, 2).self, Odd(5, _MISSING=[3])._MISSING) == (5, 2, [3])


REPLACES: list[dict[str, Any]] = [{}, {"a": 2}, {"b": "z", "d": 0}, {"c": [7], "a": 0}]


@pytest.mark.parametrize("changes", REPLACES)
def test_replace_gives_what_dataclasses_replace_gives(changes: dict[str, Any]) -> None:
    """Fields changed or copied (the same objects, not copies), the old record untouched."""
    old, twin = Sample(1, "x", [2], d=3), Twin(1, "x", [2], d=3)
    new = replace(old, **changes)
    assert type(new) is Sample
    assert new is not old
    assert dataclasses.astuple(new) == dataclasses.astuple(dataclasses.replace(twin, **changes))
    assert new.c is changes.get("c", old.c)
    assert old == Sample(1, "x", [2], d=3)


def test_replace_refuses_a_name_that_is_no_field() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'e'"):
        replace(Sample(1), e=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        replace(Sample(1), 2)  # type: ignore[call-arg]


def test_replace_of_a_subclass_and_of_a_plain_dataclass() -> None:
    """A subclass's own replace keeps its class and its base's fields; a dataclass that is no
    @record goes to ``dataclasses.replace``."""

    @record
    class Base:
        a: int

    @record
    class Sub(Base):
        b: int = 2

    @record
    class Empty:
        pass

    assert replace(Sub(1), b=3) == Sub(1, 3)
    assert type(replace(Sub(1), a=0)) is Sub
    assert replace(Empty()) == Empty()
    assert replace(Twin(1), b="y") == Twin(1, "y")
    contact = Contact("c", "Ephemeral", 1, 2, 3, first_name="Ada")
    assert replace(contact, created_ms=0) == dataclasses.replace(contact, created_ms=0)


def test_the_domain_records_use_it() -> None:
    """The hot records are made by @record's __init__, not the dataclass's own."""
    assert WebEvent.__init__.__qualname__ == "WebEvent.__init__"
    assert "__record_set0" in WebEvent.__init__.__code__.co_names


def test_replace_of_a_subclass_that_is_no_record_keeps_its_class() -> None:
    """A plain subclass of a record, or a dataclass made of one, inherits the record's quick
    replace: that one would make an instance of the record and drop the subclass's own
    fields. It is ``dataclasses.replace``'s, as before."""

    class Plain(Sample):
        __slots__ = ()

    @dataclasses.dataclass(frozen=True, slots=True)
    class More(Sample):
        e: int = dataclasses.field(default=5, kw_only=True)

    plain = replace(Plain(1), a=2)
    assert type(plain) is Plain
    assert plain == dataclasses.replace(Plain(1), a=2)
    more = replace(More(1, e=6), a=2)
    assert type(more) is More
    assert (more.a, more.e) == (2, 6)


def test_mypy_checks_the_changes_of_replace_as_of_dataclasses_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt field or a value of the wrong type given to ``replace`` is a type error, as it
    is for ``dataclasses.replace`` (the rules call it on contacts and identifiers). mypy reads
    the package these tests import, with no configuration but ``--strict``. In a process of
    its own: mypy raises the interpreter's recursion limit and leaves it raised, and a later
    test that needs a RecursionError (tests/api/test_hostile_bodies.py) would then see none."""
    import journeyline

    monkeypatch.setenv("MYPYPATH", str(Path(journeyline.__file__).parents[1]))
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    source = tmp_path / "uses.py"
    source.write_text(
        "from journeyline.model.contact import Contact\n"
        "from journeyline.model.record import replace\n"
        "contact = Contact('c', 'Curated', 0, 0, 0)\n"
        "replace(contact, frist_name='Ada')\n"
        "replace(contact, first_name=3)\n"
        "ok: Contact = replace(contact, first_name='Ada')\n"
    )
    ran = subprocess.run(
        [sys.executable, "-m", "mypy", str(source), "--strict", "--no-incremental",
         "--cache-dir", str(tmp_path / "cache"), "--config-file", str(tmp_path / "mypy.ini")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    said, status = ran.stdout, ran.returncode
    assert status == 1, said + ran.stderr
    assert 'uses.py:4: error: Unexpected keyword argument "frist_name"' in said
    assert 'uses.py:5: error: Argument "first_name"' in said
    assert "uses.py:6" not in said
