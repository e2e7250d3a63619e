"""docs/security.md names, for each protection, the tests that prove it: each `file::test` it
cites must be a test function of that file (a renamed or removed test fails here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
CITED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def test_every_test_the_security_page_cites_exists() -> None:
    cited = CITED.findall(DOC.read_text(encoding="utf-8"))
    assert len(cited) >= 40  # the table is there, and read
    missing = []
    for path, name in cited:
        source = ROOT / path
        tree = ast.parse(source.read_text(encoding="utf-8")) if source.is_file() else None
        names = {
            node.name
            for node in (ast.walk(tree) if tree is not None else ())
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if name not in names or not name.startswith("test_"):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md cites tests that do not exist: {missing}"


def test_the_readme_and_the_architecture_link_it() -> None:
    for doc in ("README.md", "docs/architecture.md"):
        assert "security.md" in (ROOT / doc).read_text(encoding="utf-8"), doc
