"""Time as a seam: code that needs the time takes a ``Clock``; tests pass a fixed one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], int]  # epoch milliseconds


def system_clock() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    """Epoch milliseconds -> ISO 8601 in UTC with milliseconds, as Genesys writes dates."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
