"""The layout is the architecture: each package imports only what its docstring allows."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import journeyline

PACKAGE = Path(journeyline.__file__).resolve().parent
STDLIB = sys.stdlib_module_names

#: package -> the journeyline modules it may import (prefixes); stdlib always allowed.
RULES: dict[str, tuple[tuple[str, ...], bool | frozenset[str]]] = {
    # package: (allowed journeyline prefixes, third-party allowed: all, none, or these)
    "model": (("journeyline.model",), frozenset({"msgspec"})),  # tagged command records
    "core": (("journeyline.model", "journeyline.core"), False),
    "ingest": (
        (
            "journeyline.model",
            "journeyline.core",
            "journeyline.ingest",
            "journeyline.clock",
        ),
        True,
    ),
    "store": (
        ("journeyline.model", "journeyline.core", "journeyline.store"),
        True,
    ),
    "engine": (
        (
            "journeyline.model",
            "journeyline.core",
            "journeyline.ingest",
            "journeyline.store",
            "journeyline.engine",
            "journeyline.clock",
            "journeyline.ids",
            "journeyline.config",
        ),
        True,
    ),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "journeyline":
                found += [(node.lineno, f"journeyline.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


#: Standard modules that read or write the world (files, sockets, processes, the clock):
#: ``core/`` is pure and imports none of them.
IO = {
    "asyncio", "http", "io", "os", "pathlib", "random", "secrets", "shutil", "socket",
    "sqlite3", "subprocess", "tempfile", "threading", "time", "urllib.request",
}  # fmt: skip


def _allowed(name: str, prefixes: tuple[str, ...], third_party: bool | frozenset[str]) -> bool:
    top = name.split(".")[0]
    if top == "__future__" or top in STDLIB:
        return True
    if top == "journeyline":
        return any(name == p or name.startswith(p + ".") for p in prefixes)
    return top in third_party if isinstance(third_party, frozenset) else third_party


def _violations(package: str) -> list[str]:
    prefixes, third_party = RULES[package]
    out = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for line, name in _imports(path):
            if not _allowed(name, prefixes, third_party):
                out.append(f"{path.relative_to(PACKAGE)}:{line} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(RULES))
def test_a_package_imports_only_what_it_may(package: str) -> None:
    assert _violations(package) == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_does_no_io(path: Path) -> None:
    io = [n for _, n in _imports(path) if n in IO or n.split(".")[0] in IO]
    assert io == []


@pytest.mark.parametrize(
    ("package", "name", "allowed"),
    [
        ("core", "journeyline.store.base", False),
        ("core", "msgspec", False),
        ("core", "journeyline.model.web", True),
        ("model", "journeyline.core.card", False),
        ("model", "msgspec", True),
        ("model", "httpx", False),
        ("engine", "journeyline.api.services", False),
        ("engine", "msgspec", True),
    ],
)
def test_the_rule_itself(package: str, name: str, allowed: bool) -> None:
    """The check would catch a forbidden import (and let an allowed one through)."""
    prefixes, third_party = RULES[package]
    assert _allowed(name, prefixes, third_party) is allowed


@pytest.mark.parametrize(
    "package", ["model", "core", "ingest", "store", "engine", "api", "ui", "demo", "bench"]
)
def test_each_package_says_what_it_is_for(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert doc, f"{package}/__init__.py has no docstring"
    assert "import" in doc, f"{package}/__init__.py does not say what it may import"
