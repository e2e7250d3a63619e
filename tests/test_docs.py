"""Docs that cannot drift: every setting, route and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from journeyline.api.app import create_app
from journeyline.cli import build_parser
from journeyline.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    source = (ROOT / "src/journeyline/config.py").read_text()
    variables = set(re.findall(r"JOURNEYLINE_[A-Z_]+", source))
    assert len(variables) >= 5
    docs = (ROOT / "docs/configuration.md").read_text()
    assert sorted(v for v in variables if v not in docs) == []


def test_every_route_is_documented() -> None:
    app = create_app(Settings(store_url="sqlite:///unused.db"))
    docs = (ROOT / "docs/api.md").read_text()
    missing = []
    for route in app.routes:
        path = re.sub(r"\{[^}]+\}", "{", getattr(route, "path", ""))
        documented = {re.sub(r"\{[^}]+\}", "{", p) for p in re.findall(r"(/[\w/{}.-]*)", docs)}
        if path not in documented:
            missing.append(path)
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    assert sorted(c for c in commands if f"journeyline {c}" not in readme) == []


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```", 2)[1]
    assert "./scripts/start" in block
    assert "./scripts/test" in block
    assert "scripts/test" in (ROOT / ".ci/run").read_text()
