"""The one exception hierarchy of journeyline.

    JourneylineError
     ├── InvalidInput          bad input from a client: maps to 400, names the field
     │    └── PayloadTooLarge  body over the configured limit: 413
     ├── NotFound              an addressed resource does not exist: 404
     ├── Conflict              a write that names a stale version, or an id in use: 409
     ├── Unauthorized          missing or wrong credentials: 401
     ├── Forbidden             credentials without the needed role: 403
     ├── SignInRefused         a desktop sign-in refused: bad credentials 400, locked 429
     ├── RateLimited           over a rate limit (``api/ratelimit.py``): 429 with Retry-After
     └── StoreError            the storage backend failed; driver errors are translated
                               once, at the store boundary, with ``raise ... from exc``: 503

One handler in ``api/errors.py`` turns these into the Genesys error shape
``{"message", "code", "status"}``.
"""

from __future__ import annotations


class JourneylineError(Exception):
    status = 500
    code = "internal.server.error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(JourneylineError):
    status = 400
    code = "bad.request"


class PayloadTooLarge(InvalidInput):
    status = 413
    code = "request.entity.too.large"


class NotFound(JourneylineError):
    status = 404
    code = "not.found"


class Conflict(JourneylineError):
    status = 409
    code = "conflict"


class Unauthorized(JourneylineError):
    status = 401
    code = "authentication.required"


class Forbidden(JourneylineError):
    status = 403
    code = "missing.permissions"


class SignInRefused(JourneylineError):
    """A sign-in refused, for one ``reason``: ``credentials`` (the same for an unknown email
    and a wrong password) or ``locked`` (too many failures in a row; ``retry_after_s``)."""

    code = "sign.in.refused"

    def __init__(self, reason: str, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.status = 429 if reason == "locked" else 400


class RateLimited(JourneylineError):
    """More requests than a rate limit allows; ``retry_after_s``: when one is allowed again."""

    status = 429
    code = "too.many.requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreError(JourneylineError):
    status = 503
    code = "service.unavailable"


class Unavailable(JourneylineError):
    """A dependency other than the store (the event stream) did not answer: send again."""

    status = 503
    code = "service.unavailable"
