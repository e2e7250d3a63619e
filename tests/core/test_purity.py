"""core/ does no I/O: it imports only the standard library, model/, core/ and the errors."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "journeyline" / "core"
ALLOWED = ("journeyline.model", "journeyline.core", "journeyline.errors")
#: Standard modules that read or write the world (files, sockets, processes, the clock).
IO = {
    "asyncio", "http", "io", "os", "pathlib", "random", "secrets", "shutil", "socket",
    "sqlite3", "subprocess", "tempfile", "threading", "time", "urllib.request",
}  # fmt: skip


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_imports_nothing_that_does_io(path: Path) -> None:
    foreign = [
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
        and not any(name == a or name.startswith(a + ".") for a in ALLOWED)
    ]
    assert foreign == []
    assert [name for name in _imports(path) if name in IO or name.split(".")[0] in IO] == []
