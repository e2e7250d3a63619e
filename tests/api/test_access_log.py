"""The access log's route templates and redacted paths (the live server's lines:
test_privacy_logs)."""

from __future__ import annotations

import logging

import pytest

from conftest import Api
from journeyline.api.access_log import redact_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/nowhere", "/nowhere"),
        ("/api/v2/unknown/thing_2/", "/api/v2/unknown/thing_2/"),
        ("/a/ann@example.com/b", "/a/*/b"),
        ("/a/+33612345678/15551234567/203.0.113.9/2001:db8::1", "/a/*/*/*/*"),
        ("/a/tel12345678/0b6f5a34-9a9e-4f0c/Ann%20Leak", "/a/*/*/*"),
        ("/" + "x" * 41, "/*"),
    ],
)
def test_an_unmatched_path_keeps_only_its_plain_words(path: str, expected: str) -> None:
    assert redact_path(path) == expected


def test_a_line_per_request_names_the_route_not_the_path(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="journeyline.access"):
        api.get("/api/v2/journey/sessions/ann@example.com?email=ann@example.com")
        api.client.delete("/health")
        api.get("/api/v2/journey/nothing/ann@example.com")
    lines = [r for r in caplog.records if r.name == "journeyline.access"]
    assert [(r.method, r.route, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("GET", "/api/v2/journey/sessions/{sessionId}", 400),  # email: not a parameter
        ("DELETE", "/health", 405),
        ("GET", "/api/v2/journey/nothing/*", 404),
    ]
    assert "ann" not in caplog.text
