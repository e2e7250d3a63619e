"""Docs that cannot drift: the tables of settings, routes and commands are the code's own.

Each check reads one Markdown table (the rows under its header, up to the first line that is not a
row) and compares it both ways with what the code has: a thing missing from the table fails, and
so does a row naming a thing the code does not have.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
from pathlib import Path

import pytest
from starlette.routing import Route

from journeyline.api.app import create_app
from journeyline.cli import build_parser
from journeyline.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def cells(line: str) -> list[str]:
    """A table row's cells, stripped; ``\\|`` is a pipe inside a cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def table(path: Path, header: list[str]) -> list[list[str]]:
    """The rows of the one table in ``path`` whose header row is ``header``."""
    lines = path.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("|") and cells(line) == header]
    assert len(starts) == 1, f"{path.name}: {len(starts)} tables headed {header}"
    start = starts[0]
    assert SEPARATOR.fullmatch(lines[start + 1].strip()), f"{path.name}: no separator row"
    rows: list[list[str]] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        row = cells(line)
        assert len(row) == len(header), f"{path.name}: {line!r} has {len(row)} cells"
        rows.append(row)
    assert rows, f"{path.name}: the table headed {header} is empty"
    return rows


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# -- settings: docs/configuration.md ---------------------------------------------------------


def documented_variables() -> dict[str, str]:
    """``JOURNEYLINE_*`` variable -> its default cell, from the table in configuration.md."""
    documented: dict[str, str] = {}
    for variable, default, _ in table(
        ROOT / "docs/configuration.md", ["variable", "default", "meaning"]
    ):
        name = re.fullmatch(r"`(JOURNEYLINE_[A-Z_]+)`", variable)
        assert name, f"not a variable: {variable!r}"
        assert name[1] not in documented, f"{name[1]} twice"
        documented[name[1]] = default
    return documented


#: a value for the settings that refuse just any text
SAMPLES = {"JOURNEYLINE_TRUSTED_PROXIES": "10.0.0.5, 172.16.0.0/12", "JOURNEYLINE_ROLE": "worker"}


def test_every_setting_is_in_the_configuration_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each row's variable sets exactly one setting, with the default the row gives; together
    the rows set every setting, and config.py reads no other variable."""
    for name in list(os.environ):
        if name.startswith("JOURNEYLINE_"):
            monkeypatch.delenv(name)
    documented = documented_variables()
    source = (ROOT / "src/journeyline/config.py").read_text()
    assert set(re.findall(r"JOURNEYLINE_[A-Z_]+", source)) == set(documented)

    defaults = Settings.from_env()
    names = [f.name for f in dataclasses.fields(Settings)]
    setting_of: dict[str, str] = {}
    for variable, default_cell in documented.items():
        spans = code_spans(default_cell)
        number = len(spans) == 1 and spans[0].isdigit()
        flag = spans in (["true"], ["false"])
        expected: object
        if number:
            value = str(int(spans[0]) + 60)
            expected = int(value)
        elif flag:  # a switch: set it the other way
            value = "false" if spans == ["true"] else "true"
            expected = value == "true"
        else:
            value = expected = SAMPLES.get(variable, f"value-of-{variable.lower()}")
        with monkeypatch.context() as env:
            env.setenv(variable, value)
            changed = Settings.from_env()
        differs = [n for n in names if getattr(changed, n) != getattr(defaults, n)]
        assert len(differs) == 1, f"{variable} changes {differs}"
        setting = setting_of[variable] = differs[0]
        assert getattr(changed, setting) == expected, variable
        default = getattr(defaults, setting)
        if flag:
            assert spans == [str(default).lower()], variable
        elif spans:  # a value in code font: the default itself
            assert spans == [str(default)], variable
        else:  # words ("none", what is used instead): there is no default value
            assert default is None, variable
    assert sorted(setting_of.values()) == sorted(names)


# -- routes: docs/api.md ---------------------------------------------------------------------

ROUTE_SPAN = re.compile(r"((?:[A-Z]+, )*[A-Z]+ )?(/\S*)")


def route_key(method: str, path: str) -> tuple[str, str]:
    """(method, path with its parameters unnamed): the docs use Genesys's parameter names."""
    return method, re.sub(r"\{[^}]*\}", "{}", path)


def documented_routes() -> set[tuple[str, str]]:
    """Every (method, path) of the routes table. A cell lists ``METHOD, METHOD /path`` spans;
    a span with a path alone has the methods of the span before it."""
    routes: set[tuple[str, str]] = set()
    for first, _ in table(ROOT / "docs/api.md", ["method and path", "what"]):
        spans = code_spans(first)
        assert spans, f"no route in {first!r}"
        methods: list[str] = []
        for span in spans:
            parsed = ROUTE_SPAN.fullmatch(span)
            assert parsed, f"not 'METHOD /path': {span!r}"
            if parsed[1]:
                methods = parsed[1].strip().split(", ")
            assert methods, f"no method for {span!r}"
            for method in methods:
                key = route_key(method, parsed[2])
                assert key not in routes, f"{key} twice"
                routes.add(key)
    return routes


def app_routes(settings: Settings) -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for route in create_app(settings).routes:
        assert isinstance(route, Route), route  # a Mount would hide its routes from this test
        assert route.methods, route.path
        methods = set(route.methods)
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD wherever it answers GET
        routes |= {route_key(method, route.path) for method in methods}
    return routes


def test_the_routes_table_lists_every_route_and_nothing_else(settings: Settings) -> None:
    documented = documented_routes()
    actual = app_routes(settings)
    assert len(actual) > 30
    missing = [f"{method} {path}" for method, path in sorted(actual - documented)]
    assert not missing, f"routes missing from the table in docs/api.md: {missing}"
    unknown = [f"{method} {path}" for method, path in sorted(documented - actual)]
    assert not unknown, f"rows in docs/api.md with no such route: {unknown}"


# -- commands and options: README.md, docs/benchmarks.md -------------------------------------


def leaf_commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """``("clients", "create")`` -> its parser, for every command that runs something."""
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not commands:
        return {prefix: parser}
    leaves: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    for action in commands:
        for name, subparser in action.choices.items():
            leaves |= leaf_commands(subparser, (*prefix, name))
    return leaves


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        option: action
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def test_the_readme_command_table_lists_every_command_and_its_options_exist() -> None:
    leaves = leaf_commands(build_parser())
    documented: set[tuple[str, ...]] = set()
    for command, _ in table(ROOT / "README.md", ["command", "what it does"]):
        spans = code_spans(command)
        assert len(spans) == 1, command
        words = spans[0].split()
        assert words[0] == "journeyline", command
        path = next((p for p in leaves if tuple(words[1 : 1 + len(p)]) == p), None)
        assert path is not None, f"no such command: {command!r}"
        assert path not in documented, f"{path} twice"
        documented.add(path)
        known = options(leaves[path])
        for word in words[1 + len(path) :]:
            for option in re.findall(r"--[\w-]+", word):
                assert option in known, f"{command!r}: no option {option}"
    assert sorted(documented) == sorted(leaves)


def test_the_bench_options_table_is_the_bench_parser() -> None:
    bench = leaf_commands(build_parser())[("bench",)]
    actual = options(bench)
    documented: dict[str, str] = {}
    for option, default, _ in table(ROOT / "docs/benchmarks.md", ["Option", "Default", "Meaning"]):
        parsed = re.fullmatch(r"`(--[\w-]+)( [A-Z]+)?`", option)
        assert parsed, f"not an option: {option!r}"
        documented[parsed[1]] = default
    assert sorted(documented) == sorted(actual)
    for option, default in documented.items():
        action = actual[option]
        if default.isdigit():
            assert action.default == int(default), option
        elif default == "off":
            assert isinstance(action, argparse._StoreTrueAction), option
        else:  # words: chosen when the bench runs
            assert action.default is None, option


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```", 2)[1]
    assert "./scripts/start" in block
    assert "./scripts/test" in block
    assert "scripts/test" in (ROOT / ".ci/run").read_text()


def test_the_readme_says_on_how_many_workers_scripts_test_runs_the_suite() -> None:
    script = (ROOT / "scripts/test").read_text()
    workers = re.search(
        r'pytest -n "\$\{JOURNEYLINE_TEST_WORKERS:-(\d+)\}" --dist worksteal', script
    )
    assert workers is not None, "scripts/test runs pytest on xdist workers"
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"The suite runs on {workers[1]} [pytest-xdist]" in readme
    assert "pytest-xdist" in (ROOT / "pyproject.toml").read_text()
