"""When a flow's delivery is tried again: the backoff schedule, ``Retry-After``, what is final.

The schedule is persistent: a failed try writes the next try's time (``next_attempt_ms``) into
the outbox, so a restart resumes it where it was. After try *n* fails, the next one waits
``base * 2**(n-1)``, at most ``MAX_WAIT_MS`` (an hour), each wait drawn uniformly between 75%
and 100% of that (jitter, so that deliveries that failed together do not come back together).
With the defaults (10 s base, 12 tries) the waits are about 10 s, 20 s, 40 s, ... 43 min, then
an hour twice: a receiver may be away for about three and a half hours before a delivery dies.

A ``Retry-After`` on a 429 or 503 (seconds, or an HTTP date) is honoured: the next try is not
before it (up to a day ahead). Which answers are worth another try is :func:`verdict`.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

from journeyline.model.record import record

MAX_WAIT_MS = 3600 * 1000
MAX_RETRY_AFTER_MS = 24 * 3600 * 1000


@record
class RetryPolicy:
    base_ms: int = 10_000
    max_attempts: int = 12
    max_wait_ms: int = MAX_WAIT_MS

    def wait_ms(self, attempts: int, rng: random.Random) -> int:
        """How long to wait after the ``attempts``-th try failed (1 for the first)."""
        exponent = min(max(attempts - 1, 0), 40)  # 2**40 * base is past any cap
        full = min(self.base_ms * 2**exponent, self.max_wait_ms)
        return int(full * rng.uniform(0.75, 1.0))


def retry_after_ms(header: str | None, now_ms: int) -> int | None:
    """A ``Retry-After`` header as a wait from ``now_ms`` (None when absent or unreadable)."""
    if header is None:
        return None
    value = header.strip()
    if value.isdigit():
        return min(int(value) * 1000, MAX_RETRY_AFTER_MS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        return None
    return min(max(int(when.timestamp() * 1000) - now_ms, 0), MAX_RETRY_AFTER_MS)


def verdict(status: int) -> str:
    """What an answer means: ``delivered`` (2xx), ``retry`` (408, 429, 5xx) or ``dead`` (any
    other: a 4xx, or a redirect, which is not followed — the receiver said no, and another try
    would get the same answer)."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 429) or status >= 500:
        return "retry"
    return "dead"
