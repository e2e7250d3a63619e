"""Settings, read once from the environment (``JOURNEYLINE_*``) or given in code and tests."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from journeyline.model.errors import InvalidInput

DEFAULT_STORE = "sqlite:///data/journeyline.db"
#: The rate limits' settings (a minute; 0: no limit), each read from ``JOURNEYLINE_`` + its
#: name in capitals.
RATES = (
    "address_requests_per_minute",
    "deployment_requests_per_minute",
    "client_requests_per_minute",
    "tokens_per_minute",
    "token_failures_per_minute",
    "signin_failures_per_minute",
)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {value!r}", field=name) from None


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false, not {value!r}", field=name)


ROLES = ("all", "api", "worker")


@dataclass(frozen=True)
class Settings:
    #: Where the event log and projections live (``JOURNEYLINE_STORE``).
    store_url: str = DEFAULT_STORE
    #: Connections of the API's reads, each used by one request at a time off the event loop
    #: (``JOURNEYLINE_STORE_POOL``; ``api/reader.py``). The writer has its own besides.
    store_pool: int = 4
    #: What ``serve`` runs (``JOURNEYLINE_ROLE``): ``all`` (one process, the default), or in
    #: scale-out mode an ``api`` node or a ``worker`` (``journeyline.scale``).
    role: str = "all"
    #: The NATS server of scale-out mode (``JOURNEYLINE_NATS``).
    nats_url: str = "nats://127.0.0.1:4222"
    #: The JetStream stream of scale-out mode (``JOURNEYLINE_NATS_STREAM``): one per
    #: installation, so that two can share one NATS server.
    nats_stream: str = "journeyline"
    #: Largest request body accepted, in bytes (``JOURNEYLINE_MAX_BODY_BYTES``).
    max_body_bytes: int = 2 * 1024 * 1024
    #: Lifetime of an OAuth access token, in seconds (``JOURNEYLINE_TOKEN_TTL_SECONDS``).
    token_ttl_seconds: int = 86_400
    #: How long an agent-ended conversation stays blue ("After-call work") waiting for a
    #: wrap-up code before its card turns gray ("Ended by agent")
    #: (``JOURNEYLINE_ACW_GRACE_SECONDS``).
    acw_grace_seconds: int = 600
    #: Events applied per transaction at most by the writer (``JOURNEYLINE_MAX_BATCH``).
    max_batch: int = 2000
    #: A web session ends after this long without an event
    #: (``JOURNEYLINE_WEB_SESSION_TIMEOUT_SECONDS``).
    web_session_timeout_seconds: int = 1200
    #: A MaxMind-format GeoIP City database; none: no geolocation (``JOURNEYLINE_GEOIP_DB``).
    geoip_db: str | None = None
    #: The public base URL of this server, for deployment snippets (``JOURNEYLINE_PUBLIC_URL``).
    public_url: str | None = None
    #: How long committed effects stay in the effect log for subscribers that resume by cursor
    #: (``JOURNEYLINE_EFFECT_RETENTION_HOURS``).
    effect_retention_hours: int = 168
    #: Flows may post to private, loopback and link-local addresses
    #: (``JOURNEYLINE_FLOWS_ALLOW_PRIVATE``).
    flows_allow_private: bool = False
    #: How long a flow's receiver has to connect, and to answer (``JOURNEYLINE_FLOWS_TIMEOUT_MS``).
    flows_timeout_ms: int = 10_000
    #: The wait after a flow delivery's first failed try, doubling after each
    #: (``JOURNEYLINE_FLOWS_RETRY_BASE_MS``).
    flows_retry_base_ms: int = 10_000
    #: Tries of a flow delivery before it is a dead letter (``JOURNEYLINE_FLOWS_MAX_ATTEMPTS``).
    flows_max_attempts: int = 12
    #: Frequency capping of web offers: none after a rejected one of its type in the session
    #: (``JOURNEYLINE_OFFERS_CAP_AFTER_REJECTION``), none after an accepted one
    #: (``JOURNEYLINE_OFFERS_CAP_AFTER_ACCEPTANCE``), and a wait between two
    #: (``JOURNEYLINE_OFFERS_MIN_WAIT_SECONDS``; Genesys allows up to 23:59).
    offers_cap_after_rejection: bool = True
    offers_cap_after_acceptance: bool = True
    offers_min_wait_seconds: int = 0
    #: The region (ISO 3166 code, e.g. ``US``, ``FR``) of phone numbers typed without a
    #: country code in the desktop's search (``JOURNEYLINE_PHONE_REGION``; none: a number
    #: needs its ``+`` country code, or is tried with one).
    phone_region: str | None = None
    #: Failed sign-ins in a row that lock a desktop account
    #: (``JOURNEYLINE_SIGNIN_MAX_FAILURES``), and for how long
    #: (``JOURNEYLINE_SIGNIN_LOCKOUT_SECONDS``).
    signin_max_failures: int = 5
    signin_lockout_seconds: int = 900
    #: A desktop sign-in ends after this long unused (``JOURNEYLINE_DESKTOP_SESSION_HOURS``).
    desktop_session_hours: int = 12
    #: The reverse proxies in front: IP addresses or networks, comma-separated (``*``: every
    #: peer); only their ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed
    #: (``JOURNEYLINE_TRUSTED_PROXIES``; none: no proxy's).
    trusted_proxies: str | None = None
    #: The older switch (``JOURNEYLINE_TRUST_PROXY``): with no ``trusted_proxies``, every peer
    #: is a trusted proxy (``*``).
    trust_proxy: bool = False
    #: A connection must send a whole request, headers and body, within this long of opening
    #: or of the request's first byte (``JOURNEYLINE_REQUEST_TIMEOUT_SECONDS``); an idle
    #: kept-alive one is closed after (``JOURNEYLINE_KEEPALIVE_TIMEOUT_SECONDS``); at most so
    #: many are open (``JOURNEYLINE_MAX_CONNECTIONS``). ``api/server.py``.
    request_timeout_seconds: int = 15
    keepalive_timeout_seconds: int = 5
    max_connections: int = 1000
    #: Rate limits, a minute (0: none; ``api/ratelimit.py``): the public routes' requests per
    #: source address (``JOURNEYLINE_ADDRESS_REQUESTS_PER_MINUTE``), a deployment's browser and
    #: Segment requests (``JOURNEYLINE_DEPLOYMENT_REQUESTS_PER_MINUTE``), an OAuth client's
    #: requests (``JOURNEYLINE_CLIENT_REQUESTS_PER_MINUTE``), tokens per client and token
    #: requests per address (``JOURNEYLINE_TOKENS_PER_MINUTE``), refused client credentials per
    #: address (``JOURNEYLINE_TOKEN_FAILURES_PER_MINUTE``), failed desktop sign-ins per address
    #: (``JOURNEYLINE_SIGNIN_FAILURES_PER_MINUTE``).
    address_requests_per_minute: int = 60_000
    deployment_requests_per_minute: int = 120_000
    client_requests_per_minute: int = 120_000
    tokens_per_minute: int = 60
    token_failures_per_minute: int = 30
    signin_failures_per_minute: int = 20
    #: The key that signs the sign-in form's CSRF token; none: one generated and kept in the
    #: store (``JOURNEYLINE_SECRET_KEY``).
    secret_key: str | None = field(default=None, repr=False)
    #: The bearer token ``GET /metrics`` takes; none: the metrics are open
    #: (``JOURNEYLINE_METRICS_TOKEN``).
    metrics_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.effect_retention_hours < 1:
            raise InvalidInput(
                "JOURNEYLINE_EFFECT_RETENTION_HOURS must be at least 1",
                field="effect_retention_hours",
            )
        if not 60 <= self.web_session_timeout_seconds <= 1800:
            raise InvalidInput(
                "JOURNEYLINE_WEB_SESSION_TIMEOUT_SECONDS must be 60 to 1800 (visits end at 30 min)",
                field="web_session_timeout_seconds",
            )
        for name, variable, low, high in (
            ("store_pool", "JOURNEYLINE_STORE_POOL", 1, 200),
            ("flows_timeout_ms", "JOURNEYLINE_FLOWS_TIMEOUT_MS", 1, 300_000),
            ("flows_retry_base_ms", "JOURNEYLINE_FLOWS_RETRY_BASE_MS", 1, 3_600_000),
            ("flows_max_attempts", "JOURNEYLINE_FLOWS_MAX_ATTEMPTS", 1, 100),
            ("offers_min_wait_seconds", "JOURNEYLINE_OFFERS_MIN_WAIT_SECONDS", 0, 86_340),
            ("signin_max_failures", "JOURNEYLINE_SIGNIN_MAX_FAILURES", 1, 1000),
            ("signin_lockout_seconds", "JOURNEYLINE_SIGNIN_LOCKOUT_SECONDS", 1, 86_400),
            ("desktop_session_hours", "JOURNEYLINE_DESKTOP_SESSION_HOURS", 1, 720),
            ("request_timeout_seconds", "JOURNEYLINE_REQUEST_TIMEOUT_SECONDS", 1, 3600),
            ("keepalive_timeout_seconds", "JOURNEYLINE_KEEPALIVE_TIMEOUT_SECONDS", 1, 3600),
            ("max_connections", "JOURNEYLINE_MAX_CONNECTIONS", 1, 1_000_000),
        ):
            if not low <= getattr(self, name) <= high:
                raise InvalidInput(f"{variable} must be {low} to {high}", field=name)
        for proxy in self.proxies:
            try:
                if proxy != "*":
                    ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise InvalidInput(
                    f"JOURNEYLINE_TRUSTED_PROXIES: {proxy!r} is not an IP address or network",
                    field="trusted_proxies",
                ) from None
        for name in RATES:
            if getattr(self, name) < 0:
                variable = f"JOURNEYLINE_{name.upper()}"
                raise InvalidInput(f"{variable} must be 0 (no limit) or more", field=name)
        if self.secret_key is not None and len(self.secret_key) < 16:
            raise InvalidInput(
                "JOURNEYLINE_SECRET_KEY must be at least 16 characters (32 random ones are best)",
                field="secret_key",
            )
        if self.role not in ROLES:
            raise InvalidInput(
                f"JOURNEYLINE_ROLE must be one of {', '.join(ROLES)}, not {self.role!r}",
                field="role",
            )
        if not self.nats_stream.replace("-", "").replace("_", "").isalnum():
            raise InvalidInput(
                "JOURNEYLINE_NATS_STREAM takes letters, digits, - and _ only", field="nats_stream"
            )
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise InvalidInput(
                "JOURNEYLINE_METRICS_TOKEN must be at least 16 characters", field="metrics_token"
            )

    def check_scale_out(self) -> None:
        """The api and worker roles share one PostgreSQL store (``serve`` checks at start)."""
        if self.role != "all" and not self.store_url.startswith(("postgresql:", "postgres:")):
            raise InvalidInput(
                f"the {self.role} role needs a PostgreSQL store that every node shares"
                f" (--store postgresql://...), not {self.store_url}",
                field="role",
            )

    @property
    def proxies(self) -> tuple[str, ...]:
        """The peers whose forwarding headers count (``*``: all), the old switch folded in."""
        given = tuple(p.strip() for p in (self.trusted_proxies or "").split(",") if p.strip())
        return given or (("*",) if self.trust_proxy else ())

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "store_url": os.environ.get("JOURNEYLINE_STORE") or DEFAULT_STORE,
            "store_pool": _int("JOURNEYLINE_STORE_POOL", cls.store_pool),
            "role": os.environ.get("JOURNEYLINE_ROLE") or cls.role,
            "nats_url": os.environ.get("JOURNEYLINE_NATS") or cls.nats_url,
            "nats_stream": os.environ.get("JOURNEYLINE_NATS_STREAM") or cls.nats_stream,
            "max_body_bytes": _int("JOURNEYLINE_MAX_BODY_BYTES", cls.max_body_bytes),
            "token_ttl_seconds": _int("JOURNEYLINE_TOKEN_TTL_SECONDS", cls.token_ttl_seconds),
            "acw_grace_seconds": _int("JOURNEYLINE_ACW_GRACE_SECONDS", cls.acw_grace_seconds),
            "max_batch": _int("JOURNEYLINE_MAX_BATCH", cls.max_batch),
            "web_session_timeout_seconds": _int(
                "JOURNEYLINE_WEB_SESSION_TIMEOUT_SECONDS", cls.web_session_timeout_seconds
            ),
            "geoip_db": os.environ.get("JOURNEYLINE_GEOIP_DB") or None,
            "public_url": os.environ.get("JOURNEYLINE_PUBLIC_URL") or None,
            "effect_retention_hours": _int(
                "JOURNEYLINE_EFFECT_RETENTION_HOURS", cls.effect_retention_hours
            ),
            "flows_allow_private": _bool(
                "JOURNEYLINE_FLOWS_ALLOW_PRIVATE", cls.flows_allow_private
            ),
            "flows_timeout_ms": _int("JOURNEYLINE_FLOWS_TIMEOUT_MS", cls.flows_timeout_ms),
            "flows_retry_base_ms": _int("JOURNEYLINE_FLOWS_RETRY_BASE_MS", cls.flows_retry_base_ms),
            "flows_max_attempts": _int("JOURNEYLINE_FLOWS_MAX_ATTEMPTS", cls.flows_max_attempts),
            "offers_cap_after_rejection": _bool(
                "JOURNEYLINE_OFFERS_CAP_AFTER_REJECTION", cls.offers_cap_after_rejection
            ),
            "offers_cap_after_acceptance": _bool(
                "JOURNEYLINE_OFFERS_CAP_AFTER_ACCEPTANCE", cls.offers_cap_after_acceptance
            ),
            "offers_min_wait_seconds": _int(
                "JOURNEYLINE_OFFERS_MIN_WAIT_SECONDS", cls.offers_min_wait_seconds
            ),
            "phone_region": os.environ.get("JOURNEYLINE_PHONE_REGION") or None,
            "signin_max_failures": _int("JOURNEYLINE_SIGNIN_MAX_FAILURES", cls.signin_max_failures),
            "signin_lockout_seconds": _int(
                "JOURNEYLINE_SIGNIN_LOCKOUT_SECONDS", cls.signin_lockout_seconds
            ),
            "desktop_session_hours": _int(
                "JOURNEYLINE_DESKTOP_SESSION_HOURS", cls.desktop_session_hours
            ),
            "trusted_proxies": os.environ.get("JOURNEYLINE_TRUSTED_PROXIES") or None,
            "trust_proxy": _bool("JOURNEYLINE_TRUST_PROXY", cls.trust_proxy),
            "request_timeout_seconds": _int(
                "JOURNEYLINE_REQUEST_TIMEOUT_SECONDS", cls.request_timeout_seconds
            ),
            "keepalive_timeout_seconds": _int(
                "JOURNEYLINE_KEEPALIVE_TIMEOUT_SECONDS", cls.keepalive_timeout_seconds
            ),
            "max_connections": _int("JOURNEYLINE_MAX_CONNECTIONS", cls.max_connections),
            **{name: _int(f"JOURNEYLINE_{name.upper()}", getattr(cls, name)) for name in RATES},
            "secret_key": os.environ.get("JOURNEYLINE_SECRET_KEY") or None,
            "metrics_token": os.environ.get("JOURNEYLINE_METRICS_TOKEN") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
