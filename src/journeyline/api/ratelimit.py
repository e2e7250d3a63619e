"""Rate limits: a 429 ``too.many.requests`` with ``Retry-After`` for who sends more than a share.

    RateLimits                  built in the app's lifespan (``Services.limits``, and the
     │                          ``Authenticator``'s), from the settings, on the app's clock
     ├── public(request)        a public route: per source address
     ├── deployment             the browser and Segment routes: per deployment (once it is known)
     ├── client                 the authenticated routes: per OAuth client (``auth.require``)
     ├── token_client           tokens minted, per client id     } ``POST /oauth/token``
     ├── token_address          token requests, per address      }
     ├── token_failures         refused client credentials, per address: over it, that address
     │                          gets 429 for its token requests until it has slowed down
     └── signin_failures        failed desktop sign-ins, per address: over it, that address's
                                sign-ins get the 429 page until it has slowed down
    KeyedRate                   one limit over many keys
    source_address(request)     the key of a request's sender

Each limit is so many a minute (0: no limit), with bursts of as many: the Generic Cell Rate
Algorithm of ``pyrate_limiter`` (a bucket of N that refills at N a minute, kept as one
timestamp per key), in this process's memory. A key whose bucket is full again is forgotten.

The source address is the connection's peer; behind a reverse proxy
(``JOURNEYLINE_TRUST_PROXY``) the last ``X-Forwarded-For`` entry, the one the proxy saw. An
IPv6 address counts by its /64 network, which one host usually has whole.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from pyrate_limiter import GCRA, Duration, Rate
from starlette.requests import Request

from journeyline.clock import Clock, system_clock
from journeyline.config import Settings
from journeyline.model.errors import RateLimited

#: Forgetting full buckets waits until there are this many keys (then twice as many as remain).
PRUNE_FLOOR = 10_000


class KeyedRate:
    """At most ``per_minute`` hits a minute on each key, in bursts of as many; 0: no limit."""

    def __init__(self, per_minute: int, clock: Clock, what: str) -> None:
        """``what`` names what is counted, and for whom, in the 429's message."""
        self.per_minute = per_minute
        self.clock = clock
        self.what = what
        self.rates = [Rate(per_minute, Duration.MINUTE)] if per_minute else []
        self.algorithm = GCRA()
        self.states: dict[str, tuple[float, ...]] = {}
        self.prune_at = PRUNE_FLOOR

    def _step(self, key: str, *, spend: bool) -> int | None:
        """Seconds until ``key`` may be hit again, None when it may now (and was, if ``spend``)."""
        if not self.per_minute:
            return None
        now = self.clock()
        state = self.states.get(key) or self.algorithm.initial(self.rates)
        advanced, decision = self.algorithm.step(self.rates, state, now, 1)
        if not decision.allowed:
            return max(1, math.ceil((decision.retry_after_ms or 1000) / 1000))
        if spend:
            self.states[key] = advanced
            if len(self.states) >= self.prune_at:
                self._prune(now)
        return None

    def _refused(self, wait_s: int) -> RateLimited:
        return RateLimited(
            f"rate limit exceeded: at most {self.per_minute} {self.what} a minute;"
            f" try again in {wait_s} seconds",
            retry_after_s=wait_s,
        )

    def hit(self, key: str) -> None:
        """Count a hit on ``key``; RateLimited (and nothing counted) when it is over."""
        wait_s = self._step(key, spend=True)
        if wait_s is not None:
            raise self._refused(wait_s)

    def check(self, key: str) -> None:
        """RateLimited when ``key`` is over the limit; nothing counted."""
        wait_s = self._step(key, spend=False)
        if wait_s is not None:
            raise self._refused(wait_s)

    def spend(self, key: str) -> None:
        """Count a hit on ``key`` if it is within the limit (one over it is not kept)."""
        self._step(key, spend=True)

    def give_back(self, key: str) -> None:
        """Undo one hit on ``key``: a try counted as it came in (so that tries made at once are
        held to the limit too) which turned out not to be one that counts."""
        state = self.states.get(key)
        if state is None:
            return
        # a hit moves each rate's theoretical arrival time on by one emission interval, in
        # microseconds rounded up (pyrate_limiter's GCRA); a hit given back moves it back
        self.states[key] = tuple(
            int(tat) - max(1, math.ceil(rate.interval * 1000 / rate.limit))
            for rate, tat in zip(self.rates, state, strict=True)
        )

    def _prune(self, now: int) -> None:
        self.states = {
            key: state
            for key, state in self.states.items()
            if self.algorithm.consumed(self.rates, state, now) > 0
        }
        self.prune_at = max(PRUNE_FLOOR, 2 * len(self.states))


def source_address(request: Request) -> str:
    """Who sent ``request``, as rate limits count: the client's address (an IPv6 one's /64).
    Behind a trusted proxy, ``api.proxies`` has already made it the address the proxy saw."""
    address = request.client.host if request.client is not None else ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a test client's name): counted as it is
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The rate limits of one app (the module's docstring)."""

    address: KeyedRate
    deployment: KeyedRate
    client: KeyedRate
    token_client: KeyedRate
    token_address: KeyedRate
    token_failures: KeyedRate
    signin_failures: KeyedRate

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> RateLimits:
        tokens = settings.tokens_per_minute
        return cls(
            address=KeyedRate(
                settings.address_requests_per_minute, clock, "requests from one address"
            ),
            deployment=KeyedRate(
                settings.deployment_requests_per_minute, clock, "requests to one deployment"
            ),
            client=KeyedRate(
                settings.client_requests_per_minute, clock, "requests by one OAuth client"
            ),
            token_client=KeyedRate(tokens, clock, "tokens for one OAuth client"),
            token_address=KeyedRate(tokens, clock, "token requests from one address"),
            token_failures=KeyedRate(
                settings.token_failures_per_minute,
                clock,
                "refused client credentials from one address",
            ),
            signin_failures=KeyedRate(
                settings.signin_failures_per_minute, clock, "failed sign-ins from one address"
            ),
        )

    @classmethod
    def none(cls) -> RateLimits:
        """No limit at all."""
        off = KeyedRate(0, system_clock, "")
        return cls(off, off, off, off, off, off, off)

    def source(self, request: Request) -> str:
        return source_address(request)

    def public(self, request: Request) -> None:
        """A request to a public route: counted for its source address."""
        self.address.hit(self.source(request))
