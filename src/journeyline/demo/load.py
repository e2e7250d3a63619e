"""``journeyline demo``: put a realistic contact-centre day into a store (once).

The day ends now, so its last conversations are still live (blue cards). Loading is skipped
when the store already holds events, so running the command again changes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from journeyline.clock import Clock
from journeyline.demo.day import demo_day
from journeyline.demo.offers import offer_commands
from journeyline.demo.rules import DEFINITIONS as RULES
from journeyline.demo.rules import definition_commands, ensure_callback_flow
from journeyline.demo.visits import demo_visits
from journeyline.engine.batch import ingest_objects, put_all
from journeyline.engine.unit import ACW_GRACE_MS, Engine
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment
from journeyline.model.directory import DirectoryEntry
from journeyline.store.base import Store
from journeyline.ui import DEMO_DEPLOYMENT_ID

HOUR_MS = 3_600_000
DEMO_SEED = 7  # of the demo day: its directory is the demo's queues, agents and wrap-up codes
DEMO_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Safari/605.1.15"
)


def ensure_demo_deployment(store: Store, now_ms: int) -> Deployment:
    """The demo shop's deployment (``/demo/``), allowed on this machine's own addresses."""
    found = store.deployment_get(DEMO_DEPLOYMENT_ID)
    if found is not None:
        return found
    deployment = Deployment(
        id=DEMO_DEPLOYMENT_ID,
        name="Demo shop",
        write_key=secrets.token_urlsafe(24),
        allowed_domains=("localhost", "127.0.0.1"),
        created_ms=now_ms,
        modified_ms=now_ms,
    )
    with store.transaction():
        store.deployment_put(deployment)
    return deployment


def load_demo(
    store: Store,
    *,
    clock: Clock,
    conversations: int = 160,
    web_timeout_ms: int = 1_200_000,
    acw_grace_ms: int = ACW_GRACE_MS,
    base_url: str = "http://127.0.0.1:8000",
) -> dict[str, Any]:
    """Load the demo into an empty store; ``base_url`` is where it will be served (the shop's
    pages, and the call-back flow's receiver ``/demo/callbacks``)."""
    deployment = ensure_demo_deployment(store, clock())
    if store.log_count():
        return {
            "loaded": False,
            "reason": "the store already holds events",
            "events": store.log_count(),
        }
    now = clock()
    day = demo_day(day_start_ms=now - 18 * HOUR_MS, seed=DEMO_SEED, conversations=conversations)
    put_all(store, [DirectoryEntry(e.kind, e.id, e.name, now) for e in day.directory])
    engine = Engine(store, clock, web_timeout_ms=web_timeout_ms, acw_grace_ms=acw_grace_ms)
    ensure_callback_flow(store, now, url=f"{base_url}/demo/callbacks")
    engine.apply(offer_commands(now))  # the shop's web offers (demo/offers.py), before its visits
    engine.apply(
        definition_commands(RULES, now)
    )  # the contact centre's segments, outcome, call-back flow
    visits = demo_visits(day.events, base_url=base_url)
    geo = GeoLookup(None)
    web_events = [
        web.parse_web(request, web.Context(deployment, created + 1000, None, DEMO_UA, geo))
        for created, request in visits
    ]
    engine.apply(web_events)  # the visits come first: the calls then find their visitors
    summary = ingest_objects(engine, enumerate(day.events, 1))
    return {
        "loaded": True,
        "demoShop": "/demo/",
        "demoDeploymentId": deployment.id,
        "conversations": len(day.conversations),
        "directoryEntries": len(day.directory),
        "webEvents": len(web_events),
        **summary.counts(),
    }
