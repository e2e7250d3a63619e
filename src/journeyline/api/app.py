"""``create_app(settings)``: the ASGI application. The store (the writer's connection, the
reads' pool) and the writer open in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api import intake, sessions
from journeyline.api.access_log import AccessLog
from journeyline.api.assignments import ASSIGNMENT_ROUTES
from journeyline.api.auth import TOKEN_OPERATION, Authenticator
from journeyline.api.clients import CLIENT_ROUTES
from journeyline.api.contacts import CONTACT_ROUTES
from journeyline.api.contract import Operation, declare
from journeyline.api.definitions import DEFINITION_ROUTES
from journeyline.api.demo_callbacks import DEMO_CALLBACK_ROUTES
from journeyline.api.directory import DIRECTORY_ROUTES
from journeyline.api.errors import HANDLERS, json_response
from journeyline.api.flows import FLOW_ROUTES
from journeyline.api.guard import guarded
from journeyline.api.headers import SecurityHeaders
from journeyline.api.metrics import Metrics, RequestMetrics
from journeyline.api.offers import OFFER_ROUTES
from journeyline.api.openapi import DOCS_ROUTES
from journeyline.api.ops import OPS_ROUTES, readiness_checks
from journeyline.api.proxies import proxy_middleware
from journeyline.api.ratelimit import RateLimits
from journeyline.api.reader import Reader
from journeyline.api.segment import SEGMENT_ROUTES
from journeyline.api.services import Services
from journeyline.api.shapes_entities import Health
from journeyline.api.static import STATIC_ROUTES
from journeyline.api.users import USER_ROUTES
from journeyline.api.web import WEB_ROUTES
from journeyline.clock import Clock, system_clock
from journeyline.config import Settings
from journeyline.desktop.accounts import Accounts, require
from journeyline.desktop.admin import ADMIN_ROUTES
from journeyline.desktop.feed import PERMISSION as FEED_PERMISSION
from journeyline.desktop.feed import Feed, FeedOptions, feed_routes
from journeyline.desktop.pages import DESKTOP_ROUTES
from journeyline.desktop.signin import SIGNIN_ROUTES
from journeyline.engine.delivery import DeliveryWorker
from journeyline.engine.effects import Dispatcher
from journeyline.engine.unit import Engine
from journeyline.engine.writer import Writer
from journeyline.ingest.enrich import GeoLookup
from journeyline.store import open_store
from journeyline.store.base import open_pool


@declare(Operation("GET", "Whether the server is up", {200: Health}, auth="none", extension=True))
async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def desktop_role(request: Request) -> str:
    """Who reads the desktop's live feed: a signed-in desktop user (the session cookie), or an
    OAuth bearer token, whose role has the feed's permission."""
    services: Services = request.app.state.services
    signed = await services.accounts.user_for(request) if services.accounts is not None else None
    if signed is not None:
        require(signed, FEED_PERMISSION)
        return str(signed.role)
    return (await services.auth.require(request, FEED_PERMISSION)).role


def create_app(
    settings: Settings, *, clock: Clock = system_clock, feed: FeedOptions | None = None
) -> Starlette:
    """``feed``: the live feed's ring, queues and heartbeat (tests make them small)."""
    metrics = Metrics()  # this app's own registry

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        write_store = open_store(settings.store_url)  # the writer's; it migrates the store
        pool = open_pool(settings.store_url, settings.store_pool)  # the reads' (api/reader.py)
        read = Reader(pool)
        engine = Engine.from_settings(write_store, settings, clock)
        dispatcher = Dispatcher(lambda: open_store(settings.store_url))
        writer = Writer.from_settings(
            engine, settings, dispatcher, on_apply=metrics.apply_seconds.observe
        )
        limits = RateLimits.from_settings(settings, clock)
        auth = Authenticator(read, clock, settings.token_ttl_seconds, writer.call, limits)
        geo = GeoLookup(settings.geoip_db)
        deliveries = None  # an API node posts no flow: one of the workers does
        if settings.role != "api":
            deliveries = DeliveryWorker.from_settings(
                lambda: open_store(settings.store_url), settings, clock, record=writer.run
            )
            dispatcher.subscribe("flows", deliveries.on_commit)  # a commit may queue some
            deliveries.start()
        live = Feed(dispatcher, lambda: open_store(settings.store_url), feed)
        accounts = await Accounts.start(settings, read, clock, writer)
        app.state.services = Services(
            settings,
            clock,
            read,
            writer,
            auth,
            geo,
            dispatcher,
            deliveries,
            accounts=accounts,
            feed=live,
            metrics=metrics,
            checks=readiness_checks(read, writer),
            limits=limits,
        )
        node = None
        if settings.role == "api":
            from journeyline.scale.node import ApiNode

            node = await ApiNode.start(
                settings, lambda: open_store(settings.store_url), dispatcher, clock
            )
            app.state.services.intake = node.intake
            app.state.services.checks["nats"] = node.ready
        metrics.watch(pool, dispatcher)
        try:
            yield
        finally:
            metrics.unwatch()
            if node is not None:
                await node.close()
            live.close()  # its clients' streams end
            if deliveries is not None:
                deliveries.close()  # first: it records its last tries through the writer
            writer.close()
            dispatcher.close()
            geo.close()
            write_store.close()
            pool.close()

    @declare(TOKEN_OPERATION)
    async def token(request: Request) -> Response:
        services: Services = request.app.state.services
        return await services.auth.token(request)

    routes = [
        Route("/health", health),
        *OPS_ROUTES,
        Route("/oauth/token", token, methods=["POST"]),
        Route(
            "/api/v2/journey/conversationevents",
            intake.post_conversation_events,
            methods=["POST"],
        ),
        Route("/api/v2/journey/sessions", sessions.list_sessions),
        Route("/api/v2/journey/sessions/{sessionId}", sessions.get_session),
        Route("/api/v2/journey/sessions/{sessionId}/card", sessions.get_card),
        Route("/api/v2/journey/sessions/{sessionId}/events", sessions.get_session_events),
        Route(
            "/api/v2/journey/sessions/{sessionId}/externalcontact",
            sessions.verify_session,
            methods=["PUT"],
        ),
        Route(
            "/api/v2/externalcontacts/contacts/{contactId}/journey/sessions",
            sessions.contact_sessions,
        ),
        *DIRECTORY_ROUTES,
        *USER_ROUTES,
        *CLIENT_ROUTES,
        *OFFER_ROUTES,
        *WEB_ROUTES,
        *CONTACT_ROUTES,
        *DEFINITION_ROUTES,
        *ASSIGNMENT_ROUTES,
        *SEGMENT_ROUTES,
        *FLOW_ROUTES,
        *DEMO_CALLBACK_ROUTES,
        *DOCS_ROUTES,
        *STATIC_ROUTES,
        *DESKTOP_ROUTES,
        *ADMIN_ROUTES,
        *feed_routes(desktop_role),
        *SIGNIN_ROUTES,
    ]
    return Starlette(
        routes=guarded(routes),  # each route's declared auth, before its handler
        exception_handlers=HANDLERS,
        lifespan=lifespan,
        middleware=[
            Middleware(AccessLog),
            Middleware(RequestMetrics, metrics=metrics),
            *proxy_middleware(settings),
            Middleware(SecurityHeaders),
        ],
    )
