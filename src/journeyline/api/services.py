"""What the route handlers share: settings, the store's reads and its writer, the clock, the
metrics and the readiness checks."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request

from journeyline.api.auth import Authenticator, Principal
from journeyline.api.bodies import read_body as read_body  # re-exported: routes read bodies here
from journeyline.api.metrics import Metrics
from journeyline.api.params import int_param as int_param  # re-exported, as read_body
from journeyline.api.params import one_param as one_param
from journeyline.api.ratelimit import RateLimits
from journeyline.api.reader import Reader
from journeyline.clock import Clock
from journeyline.config import Settings
from journeyline.desktop.feed import Feed
from journeyline.engine.delivery import DeliveryWorker
from journeyline.engine.effects import Dispatcher
from journeyline.engine.inputs import Applied, CommandInput, Input
from journeyline.engine.writer import Writer
from journeyline.ids import new_id
from journeyline.ingest.enrich import GeoLookup
from journeyline.ingest.genesys_detail import validation_error
from journeyline.model.commands import Command
from journeyline.model.contact import Deployment
from journeyline.model.errors import InvalidInput

T = TypeVar("T")
#: A readiness check (``GET /ready``): returns when its dependency answers, raises otherwise.
Check = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    #: ``await read(fn, *args)``: ``fn(store, *args)`` off the loop, on a pooled connection
    read: Reader
    writer: Writer  # the single writer: every write, ``writer.call(fn)``
    auth: Authenticator
    geo: GeoLookup
    dispatcher: Dispatcher  # post-commit effects: the live feed subscribes here
    deliveries: DeliveryWorker | None = None  # posts the flows' outbox; wake() when due now
    accounts: Any = None  # the desktop's users and sign-in sessions (desktop.accounts.Accounts)
    feed: Feed | None = None  # the desktop's live feed (SSE), fed by the dispatcher
    metrics: Metrics = field(default_factory=Metrics)  # what GET /metrics shows
    checks: dict[str, Check] = field(default_factory=dict)  # GET /ready: name -> check
    limits: RateLimits = field(default_factory=RateLimits.none)  # api/ratelimit.py
    #: Where accepted events go in scale-out mode (``scale.stream.StreamIntake``); None: the
    #: writer, in this process.
    intake: Any = None

    async def submit_events(self, batch: Sequence[Input]) -> list[Applied]:
        """Accepted events: applied by this process's writer, or in scale-out mode appended to
        the event stream for the workers (answered once the stream has stored them)."""
        if self.intake is not None:
            found: list[Applied] = await self.intake.submit(batch)
            return found
        return await self.writer.submit(batch)

    async def run_command(self, command: Command) -> dict[str, Any]:
        """Apply an identity command through the single writer; its error is raised here."""
        [applied] = await self.writer.submit([CommandInput(new_id(), command)])
        if applied.error is not None:
            raise applied.error
        return applied.result or {}


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def caller(request: Request) -> Principal:
    """Who called a bearer route: its token's client, as ``api.guard`` found it."""
    found: Principal = request.state.principal
    return found


def deployment_of(request: Request) -> Deployment:
    """The deployment of a browser route, as ``api.guard`` found and checked it."""
    found: Deployment = request.state.deployment
    return found


def decode_body(raw: bytes, model: type[T]) -> T:
    """A request body as ``model``: a 400 naming the field for a value of the wrong type or
    a missing one, a 400 for malformed JSON."""
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc
    except (msgspec.DecodeError, RecursionError) as exc:  # too deeply nested
        raise InvalidInput(f"malformed JSON: {exc}") from exc


def page_params(request: Request, *, high: int = 500) -> tuple[int, int]:
    """``(pageSize, pageNumber)`` of a numbered listing: a size of 1 to ``high`` (25 unless
    given), a page from 1."""
    size = int_param(request, "pageSize", 25, low=1, high=high)
    number = int_param(request, "pageNumber", 1, low=1, high=1_000_000)
    return size, number


def page_listing(
    path: str, entities: list[Any], total: int, size: int, number: int
) -> dict[str, Any]:
    """A Genesys numbered listing: the page's entities, its place, and the next page's URI
    (None on the last page)."""
    pages = math.ceil(total / size)
    return {
        "entities": entities,
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": pages,
        "selfUri": f"{path}?pageSize={size}&pageNumber={number}",
        "nextUri": f"{path}?pageSize={size}&pageNumber={number + 1}" if number < pages else None,
    }
