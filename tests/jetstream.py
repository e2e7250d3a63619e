"""NATS with JetStream for the tests: the real server (``JOURNEYLINE_TEST_NATS``, by default
127.0.0.1:4222, which ``scripts/services`` starts), never a stand-in."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

NATS = os.environ.get("JOURNEYLINE_TEST_NATS", "nats://127.0.0.1:4222")


def nats_reachable(url: str = NATS) -> str:
    """``url`` once its NATS server takes a connection; a clear failure (never a skip) when
    it does not."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 4222)
    try:
        socket.create_connection(address, timeout=5).close()
    except OSError as exc:
        pytest.fail(
            f"NATS is not reachable at {url} ({exc}).\n"
            "Start it with JetStream (`scripts/services` does) or point JOURNEYLINE_TEST_NATS "
            "at a server; the scale-out tests need a real one.",
            pytrace=False,
        )
    return url
