"""The compose file of docs/deploy.md is journeyline's own: no Docker engine runs here, so the file
is read as Compose reads it and checked against the code — each service's command parses with
the real ``journeyline`` parser, every ``JOURNEYLINE_*`` variable it sets is a documented
setting and gives valid settings, and the load balancer sends requests to the API nodes' port
and checks them with ``GET /ready``."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeyline.cli import build_parser, cmd_serve
from journeyline.config import Settings
from test_docs import documented_variables

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
#: what the operator gives for Compose's ``${NAME:?...}`` variables
GIVEN = {"POSTGRES_PASSWORD": "s3cret", "JOURNEYLINE_METRICS_TOKEN": "m" * 32}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    """``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}`` as Compose fills them in."""

    def fill(match: re.Match[str]) -> str:
        name, kind, rest = match[1], match[2], match[3]
        if name in GIVEN:
            return GIVEN[name]
        assert kind == "-", f"${{{name}}} has no default and the test gives no value"
        return rest

    return INTERPOLATION.sub(fill, value)


def journeyline_services() -> dict[str, argparse.Namespace]:
    found = {}
    for name, service in SERVICES.items():
        command = service.get("command")
        if command and command[0] == "journeyline":
            found[name] = build_parser().parse_args(command[1:])
    return found


def roles() -> dict[str, str]:
    return {name: str(args.serve_role) for name, args in journeyline_services().items()}


def test_each_journeyline_service_runs_a_command_the_parser_takes() -> None:
    parsed = journeyline_services()
    assert roles() == {"api": "api", "worker": "worker"}
    for args in parsed.values():
        assert args.run is cmd_serve
    assert parsed["api"].host == "0.0.0.0"  # noqa: S104 reachable from the load balancer's container
    assert "ports" not in SERVICES["worker"]  # a worker needs no port
    assert SERVICES["api"]["deploy"]["replicas"] >= 2
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2


@pytest.mark.parametrize("name", ["api", "worker"])
def test_every_variable_a_service_sets_is_a_documented_setting_with_a_valid_value(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {k: interpolate(str(v)) for k, v in SERVICES[name]["environment"].items()}
    ours = {k for k in environment if k.startswith("JOURNEYLINE_")}
    assert ours - set(documented_variables()) == set()
    assert {"JOURNEYLINE_STORE", "JOURNEYLINE_NATS", "JOURNEYLINE_NATS_STREAM"} <= ours
    for variable in [v for v in os.environ if v.startswith("JOURNEYLINE_")]:
        monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    settings = Settings.from_env(role=journeyline_services()[name].serve_role)
    settings.check_scale_out()  # a PostgreSQL store, as the api and worker roles need
    assert settings.store_url.startswith("postgresql://journeyline:s3cret@postgres:5432/")
    assert settings.nats_url == "nats://nats:4222"
    if name == "api":
        assert settings.proxies == (SERVICES["haproxy"]["networks"]["internal"]["ipv4_address"],)
        assert settings.metrics_token == GIVEN["JOURNEYLINE_METRICS_TOKEN"]


def test_the_load_balancer_points_at_the_api_nodes_and_checks_their_readiness() -> None:
    config = (DEPLOY / "haproxy.cfg").read_text()
    servers = re.findall(
        r"^\s*server(?:-template)?\s+\S+\s+(?:\d+\s+)?([\w.-]+):(\d+)", config, re.M
    )
    assert servers
    api = journeyline_services()["api"]
    for host, port in servers:
        assert roles().get(host) == "api", host
        assert int(port) == api.port
    assert re.search(r"^\s*option httpchk GET /ready$", config, re.M)
    assert re.search(r"^\s*bind :(\d+)$", config, re.M)[1] == "8080"  # type: ignore[index]
    assert SERVICES["haproxy"]["ports"] == ["8080:8080"]
    healthcheck = " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{api.port}/ready" in healthcheck


def test_the_stores_of_the_compose_file_wait_for_their_dependencies() -> None:
    for name in ("api", "worker"):
        depends = SERVICES[name]["depends_on"]
        assert depends == {
            "postgres": {"condition": "service_healthy"},
            "nats": {"condition": "service_healthy"},
        }
    assert "-js" in SERVICES["nats"]["command"]  # JetStream, on a volume
    assert "-sd" in SERVICES["nats"]["command"]
