"""``journeyline bench``: ingest throughput on this machine, next to the raw SQLite ceiling.

Seven figures, each the median of ``--runs`` runs, every run on a fresh database file:

``ceiling``
    The same ``event_log`` rows (the migration's table with its UNIQUE key and partition index,
    WAL, ``synchronous=FULL`` as the store runs) inserted with ``executemany`` in batches of
    1000, one transaction per batch. Nothing journeyline does can store events faster than this
    with the same durability.
``engine``
    The decoded wire objects through ``genesys_detail.parse_item`` and ``Engine.apply`` in
    batches of 1000 into a store opened with ``open_store`` (the real migrations): the log,
    the session fold and the projections, without HTTP.
``http_single`` / ``http_batch``
    ``journeyline serve`` in a subprocess on 127.0.0.1 with its own fresh store, loaded by
    ``--concurrency`` keep-alive connections POSTing to ``/api/v2/journey/conversationevents``
    one event per request, then arrays of 100 events per request.
``web_engine``
    Web events (Genesys ``WebEventRequest`` dicts) through ``web.parse_web`` (enrichment
    included: URL, campaign, referrer, user agent, IP; no GeoIP database) and ``Engine.apply``
    in batches of 1000: the log, identity (cookie contacts, traits) and the web sessions.
``web_http_single`` / ``web_http_batch``
    A server with a deployment made through the API: one ``WebEventRequest`` per POST to
    ``/api/v2/journey/deployments/{id}/webevents``, then Segment-spec ``/v1/batch`` bodies of
    100 messages (write key as Basic user name). When ``/v1/batch`` answers 404 (no Segment
    collector mounted), that figure is reported as not available.

The conversation events are realistic demo days (``journeyline.demo``), one day per seed, with
the duplicate deliveries dropped so that every event is new. The web events are many visitors
of a retail site (``make_web_hits``), each a few page views, searches and custom events over
minutes, some of them identifying themselves (email, sometimes a phone); realistic user agents,
traffic sources (search, ads with UTM and click ids, social, email, direct). They are dated
within the 45 minutes before the run's clock, as the one-hour age rule requires. All events are
generated and encoded before any clock starts; what is timed includes parsing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.client
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from journeyline.api.auth import create_client
from journeyline.clock import iso, system_clock
from journeyline.demo import demo_day
from journeyline.engine import Engine
from journeyline.errors import JourneylineError
from journeyline.ingest import genesys_detail, web
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment
from journeyline.store import open_store
from journeyline.store.sqlite import MIGRATIONS, migrate

BATCH = 1000  # events per transaction for the ceiling and the engine
HTTP_BATCH = 100  # events per request for http_batch
PATH = "/api/v2/journey/conversationevents"
DAY_MS = 86_400_000
FIRST_DAY_MS = 1_795_564_800_000  # a midnight (UTC); each further demo day starts a day later
CONVERSATIONS_PER_DAY = 1000  # about 8,600 unique events per demo day
MAX_DAYS = 2_000  # bounds the generator: ~17M events
MAX_EVENTS = 5_000_000

ENGINE_GOAL = 10_000.0  # events/s
ENGINE_GOAL_SHARE = 25.0  # % of the ceiling
HTTP_BATCH_GOAL = 5_000.0  # events/s


class BenchError(JourneylineError):
    """The bench could not measure something (a server that did not start, a timeout...)."""


# -- the workload ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    """Everything prepared before timing: wire bytes, decoded objects and log rows."""

    wire: list[bytes]  # each event's JSON as a sender would post it
    items: list[Any]  # the same, decoded (what the engine path starts from)
    rows: list[tuple[str, str, bytes]]  # (key, partition key, canonical body) for the ceiling


def make_workload(count: int) -> Workload:
    """``count`` unique conversation detail events from consecutive demo days."""
    if count < 1:
        raise BenchError("--events must be at least 1")
    seen: set[bytes] = set()
    wire: list[bytes] = []
    rows: list[tuple[str, str, bytes]] = []
    for day in range(MAX_DAYS):
        demo = demo_day(
            day_start_ms=FIRST_DAY_MS + day * DAY_MS,
            seed=10_000 + day,
            conversations=CONVERSATIONS_PER_DAY,
        )
        for event in demo.events:
            canonical = msgspec.json.encode(event, order="sorted")
            digest = hashlib.sha256(canonical).digest()
            if digest in seen:  # a duplicate delivery: the bench sends only new events
                continue
            seen.add(digest)
            cid = str(event["eventBody"]["conversationId"])
            wire.append(msgspec.json.encode(event))
            rows.append((digest.hex()[:32], cid, canonical))
            if len(wire) == count:
                items = [msgspec.json.decode(raw) for raw in wire]
                return Workload(wire, items, rows)
    raise BenchError(f"could not generate {count} unique events from {MAX_DAYS} demo days")


# -- the web workload ------------------------------------------------------------------------

SITE = "https://www.northgate-outfitters.co.uk"
SITE_DOMAIN = "northgate-outfitters.co.uk"
SITE_NAME = "Northgate Outfitters"
WEB_BATCH = 1000  # events per Engine.apply for the web engine figure
SEGMENT_BATCH = 100  # messages per POST /v1/batch
WEB_PATH = "/api/v2/journey/deployments/{}/webevents"
SEGMENT_PATH = "/v1/batch"
# A visitor's first event is 20 to 45 minutes old when the events are made, the last at least
# ~3 minutes old: every createdDate stays inside the one-hour window for 15 minutes at least.
WEB_OLDEST_MS = 45 * 60_000
WEB_NEWEST_MS = 20 * 60_000
WEB_GAP_MS = (8_000, 90_000)  # between two events of a visitor

WEB_GOAL = 10_000.0  # events/s
WEB_GOAL_SHARE = 25.0  # % of the ceiling

_WINDOWS = "Windows NT 10.0; Win64; x64"
_MAC = "Macintosh; Intel Mac OS X 10_15_7"
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
# (user agent, screen width x height, weight): roughly a UK retail site's traffic mix.
USER_AGENTS: tuple[tuple[str, tuple[int, int], int], ...] = (
    (f"Mozilla/5.0 ({_WINDOWS}) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", (1920, 1080), 18),
    (f"Mozilla/5.0 ({_WINDOWS}) {_WEBKIT} Chrome/130.0.0.0 Safari/537.36", (1536, 864), 6),
    (
        f"Mozilla/5.0 ({_WINDOWS}) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        (1920, 1080),
        8,
    ),
    (f"Mozilla/5.0 ({_WINDOWS}; rv:133.0) Gecko/20100101 Firefox/133.0", (1920, 1080), 3),
    (f"Mozilla/5.0 ({_MAC}) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", (1440, 900), 6),
    (
        f"Mozilla/5.0 ({_MAC}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1"
        " Safari/605.1.15",
        (1512, 982),
        6,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        (393, 852),
        20,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        (390, 844),
        8,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/22B83 [FBAN/FBIOS;FBAV/489.0.0.35.107;FBBV/657400418]",
        (393, 852),
        3,
    ),
    (
        f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36",
        (412, 915),
        12,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko)"
        " SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        (384, 832),
        4,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.6 Mobile/15E148 Safari/604.1",
        (820, 1180),
        4,
    ),
    (f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", (1920, 1080), 1),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", (1366, 768), 1),
)
LANGUAGES = (("en-GB", 78), ("en-US", 8), ("de-DE", 4), ("fr-FR", 4), ("pl-PL", 3), ("en-IE", 3))
CATEGORIES = (
    ("womens/jackets", "Women's Jackets", ("Ridgeline", "Storm", "Fell", "Cirrus"), "Jacket"),
    ("mens/jackets", "Men's Jackets", ("Ridgeline", "Summit", "Tor", "Bothy"), "Jacket"),
    ("footwear/boots", "Walking Boots", ("Scree", "Moor", "Crag", "Beacon"), "Boot"),
    ("bags/backpacks", "Backpacks", ("Trail 30", "Daypack 20", "Expedition 65"), "Backpack"),
    ("camping/tents", "Tents", ("Bivvy 1", "Valley 2", "Basecamp 4"), "Tent"),
    ("accessories/socks", "Socks", ("Merino Hiker", "Liner", "Trek"), "Socks"),
)
# fmt: off
SEARCHES = (
    "waterproof jacket", "walking boots size 9", "2 man tent", "down jacket womens",
    "merino socks", "gift card", "returns", "backpack 30l", "gaiters", "insulated gloves",
    "kids waterproof", "head torch", "sale", "goretex", "trail running shoes",
)
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Oliver", "George", "Noah", "Arthur", "Leo", "Sophie",
    "Grace", "Harry", "Jack", "Priya", "Mohammed", "Zofia", "Liam", "Emily",
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel", "Khan",
    "Thomas", "Roberts", "Walker", "Wright", "Nowak", "Murphy", "Hughes",
)
MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "hotmail.co.uk", "icloud.com", "yahoo.co.uk", "btinternet.com",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class WebHit:
    """One thing a visitor did, rendered later as a Genesys WebEventRequest or a Segment message."""

    cookie: str
    created_ms: int
    action: str  # page | search | track | identify
    name: str  # the Genesys eventName
    segment_event: str | None  # the Segment track event, for a search or a custom event
    url: str
    title: str
    referrer: str | None
    query: str | None
    properties: dict[str, str | int | float | bool]
    traits: dict[str, str]
    user_id: str | None
    user_agent: str
    ip: str
    lang: str
    screen: tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Product:
    sku: str
    name: str
    category: str
    price: float

    @property
    def url(self) -> str:
        slug = self.name.lower().replace(" ", "-")
        return f"{SITE}/p/{slug}-{self.sku.lower()}"

    @property
    def title(self) -> str:
        return f"{self.name} | {SITE_NAME}"


def _catalogue() -> list[_Product]:
    products: list[_Product] = []
    for number, (path, _, lines, noun) in enumerate(CATEGORIES):
        for index, line in enumerate(lines):
            for variant, price in (("", 0.0), (" Pro", 40.0)):
                sku = f"NG{number + 1}{index:02d}{'P' if variant else 'S'}"
                base = 14.0 if noun == "Socks" else 89.0 + 15 * index
                products.append(_Product(sku, f"{line} {noun}{variant}", path, base + price - 0.01))
    return products


_PRODUCTS = _catalogue()


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.2:  # IPv6 (mobile networks, some home broadband)
        groups = (rng.randrange(65536), rng.randrange(65536), rng.randrange(1, 65536))
        return "2a02:c7c:{:x}:{:x}::{:x}".format(*groups)
    first = rng.choice((2, 5, 31, 46, 51, 62, 77, 81, 86, 90, 92, 109, 148, 176, 185, 212, 217))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _click_id(rng: random.Random, prefix: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return prefix + "".join(rng.choice(alphabet) for _ in range(40))


def _landing(rng: random.Random) -> tuple[str, str, str | None]:
    """(landing URL, title, external referrer) for a new visit: the traffic source mix."""
    product = rng.choice(_PRODUCTS)
    path, label, _, _ = rng.choice(CATEGORIES)
    category = (f"{SITE}/c/{path}", f"{label} | {SITE_NAME}")
    home = (f"{SITE}/", f"{SITE_NAME} - Outdoor Clothing & Gear")
    source = rng.choices(
        ("google", "google_ads", "facebook", "email", "direct", "bing", "affiliate", "instagram"),
        weights=(34, 14, 8, 10, 20, 5, 5, 4),
    )[0]
    if source == "google":
        url, title = rng.choice(((product.url, product.title), category, home))
        return url, title, "https://www.google.com/"
    if source == "google_ads":
        query = (
            f"utm_source=google&utm_medium=cpc&utm_campaign=winter_sale_{rng.choice(('uk', 'ie'))}"
            f"&utm_term={rng.choice(SEARCHES).replace(' ', '+')}&gclid={_click_id(rng, 'Cj0KCQiA')}"
        )
        return f"{product.url}?{query}", product.title, "https://www.google.com/"
    if source == "facebook":
        query = (
            "utm_source=facebook&utm_medium=paid_social&utm_campaign=black_friday_2026"
            f"&utm_content=carousel_{rng.randrange(1, 6)}&fbclid={_click_id(rng, 'IwAR')}"
        )
        return f"{category[0]}?{query}", category[1], "https://l.facebook.com/"
    if source == "instagram":
        query = "utm_source=instagram&utm_medium=social&utm_campaign=new_season"
        return f"{product.url}?{query}", product.title, "https://l.instagram.com/"
    if source == "email":
        query = (
            "utm_source=newsletter&utm_medium=email&utm_campaign=2026-11-weekly"
            f"&utm_content=hero_{rng.choice(('a', 'b'))}"
        )
        url, title = rng.choice(((product.url, product.title), category))
        return f"{url}?{query}", title, None
    if source == "bing":
        url, title = rng.choice(((product.url, product.title), home))
        return url, title, "https://www.bing.com/"
    if source == "affiliate":
        query = "utm_source=outdoorgearlab&utm_medium=affiliate&utm_campaign=best_jackets_2026"
        return (
            f"{product.url}?{query}",
            product.title,
            "https://www.outdoorgearlab.co.uk/best-waterproof-jackets",
        )
    url, title = rng.choice((home, home, (product.url, product.title)))
    return url, title, None


def _person(rng: random.Random, number: int) -> dict[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}{number}@{rng.choice(MAIL_DOMAINS)}"
    traits = {"email": email, "givenName": first, "familyName": last}
    if rng.random() < 0.4:
        national = 7_000_000_000 + number * 7919 % 1_000_000_000  # unique per visitor number
        traits["phone"] = f"+44 {str(national)[:4]} {str(national)[4:]}"
    return traits


def _visitor(
    rng: random.Random, now_ms: int, people: list[dict[str, str]], number: int
) -> list[WebHit]:
    """One visitor's visit: a landing page, then pages, searches and custom events."""
    cookie = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    user_agent, screen, _ = rng.choices(USER_AGENTS, weights=[w for _, _, w in USER_AGENTS])[0]
    lang = rng.choices([x for x, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]
    ip = _ip(rng)
    count = rng.choices((1, 2, 3, 4, 5, 6, 8, 10, 12), weights=(22, 14, 12, 11, 10, 9, 9, 7, 6))[0]
    identify_at = rng.randrange(1, count) if count > 1 and rng.random() < 0.15 else None
    at = now_ms - rng.randrange(WEB_NEWEST_MS, WEB_OLDEST_MS)
    url, title, referrer = _landing(rng)
    hits: list[WebHit] = []

    def hit(action: str, name: str, segment_event: str | None = None, **extra: Any) -> None:
        fields: dict[str, Any] = {
            "query": None, "properties": {}, "traits": {}, "user_id": None,
            "url": url, "title": title, "referrer": referrer, **extra,
        }  # fmt: skip
        hits.append(
            WebHit(
                cookie=cookie, created_ms=at, action=action, name=name,
                segment_event=segment_event, user_agent=user_agent, ip=ip, lang=lang,
                screen=screen, **fields,
            )
        )  # fmt: skip

    hit("page", "page_viewed")
    for step in range(1, count):
        at += rng.randrange(*WEB_GAP_MS)
        if step == identify_at:
            user_id = None
            if people and rng.random() < 0.05:  # someone seen before, on another device
                traits = rng.choice(people)
            else:
                traits = _person(rng, number)
                people.append(traits)
                user_id = f"cust-{number:010d}" if rng.random() < 0.3 else None
            form = rng.choice(("newsletter", "account", "callback"))
            hit("identify", "form_submitted", traits=traits, user_id=user_id,
                properties={"form": form})  # fmt: skip
            continue
        roll = rng.random()
        if roll < 0.62:  # another page, reached from the current one
            referrer = url
            product = rng.choice(_PRODUCTS)
            path, label, _, _ = rng.choice(CATEGORIES)
            url, title = rng.choice(
                (
                    (product.url, product.title),
                    (product.url, product.title),
                    (f"{SITE}/c/{path}", f"{label} | {SITE_NAME}"),
                    (f"{SITE}/basket", f"Basket | {SITE_NAME}"),
                    (f"{SITE}/help/delivery", f"Delivery & Returns | {SITE_NAME}"),
                )
            )
            hit("page", "page_viewed")
        elif roll < 0.78:  # a search: the results page
            referrer = url
            query = rng.choice(SEARCHES)
            url = f"{SITE}/search?q={query.replace(' ', '+')}"
            title = f"Search results for '{query}' | {SITE_NAME}"
            hit("search", "search_performed", "Products Searched", query=query,
                properties={"query": query})  # fmt: skip
        else:  # a custom event on the current page
            product = rng.choice(_PRODUCTS)
            name, segment_event, properties = rng.choice(
                (
                    ("product_added", "Product Added", {
                        "product_id": product.sku, "name": product.name,
                        "category": product.category, "price": product.price,
                        "quantity": rng.choice((1, 1, 1, 2)), "currency": "GBP",
                    }),
                    ("product_added", "Product Added", {
                        "product_id": product.sku, "name": product.name,
                        "category": product.category, "price": product.price,
                        "quantity": 1, "currency": "GBP",
                    }),
                    ("wishlist_added", "Product Added to Wishlist", {
                        "product_id": product.sku, "name": product.name,
                    }),
                    ("video_played", "Video Playback Started", {
                        "video_id": f"yt-{product.sku.lower()}", "position": 0,
                        "autoplay": False,
                    }),
                    ("promotion_clicked", "Promotion Clicked", {
                        "promotion_id": "bf-2026", "name": "Black Friday 30% off",
                        "position": "hero",
                    }),
                    ("checkout_started", "Checkout Started", {
                        "value": round(product.price * 2, 2), "currency": "GBP",
                        "coupon": "WELCOME10" if rng.random() < 0.2 else "",
                    }),
                )
            )  # fmt: skip
            hit("track", name, segment_event, properties=properties)
    return hits


def make_web_hits(count: int, now_ms: int, *, seed: int) -> list[WebHit]:
    """``count`` web hits of many visitors, in the order they happened (interleaved)."""
    if count < 1:
        raise BenchError("the web event counts must be at least 1")
    rng = random.Random(seed)
    people: list[dict[str, str]] = []
    hits: list[WebHit] = []
    number = 0
    while len(hits) < count:
        number += 1
        hits.extend(_visitor(rng, now_ms, people, seed * 1_000_000 + number))
    hits.sort(key=lambda h: h.created_ms)
    return hits[:count]


def _typed(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {
        name: {"dataType": kinds[type(value)], "value": value} for name, value in values.items()
    }


def genesys_request(hit: WebHit) -> dict[str, Any]:
    """The hit as the Genesys web tracker posts it: a ``WebEventRequest``."""
    request: dict[str, Any] = {
        "customerCookieId": hit.cookie,
        "eventName": hit.name,
        "createdDate": iso(hit.created_ms),
        "page": {"url": hit.url, "title": hit.title, "lang": "en-GB"},
        "browser": {"lang": hit.lang},
        "device": {"screenWidth": hit.screen[0], "screenHeight": hit.screen[1]},
    }
    if hit.referrer:
        request["referrerUrl"] = hit.referrer
    if hit.query:
        request["searchQuery"] = hit.query
    if hit.properties and hit.action != "search":
        request["attributes"] = _typed(hit.properties)
    if hit.traits:
        request["traits"] = _typed(hit.traits)
    if hit.user_id:
        request["externalId"] = hit.user_id
    return request


def segment_message(hit: WebHit, message_id: str) -> dict[str, Any]:
    """The hit as analytics.js would send it: a Segment ``page``, ``track`` or ``identify``."""
    parts = urlsplit(hit.url)
    page = {
        "url": hit.url,
        "title": hit.title,
        "path": parts.path,
        "search": f"?{parts.query}" if parts.query else "",
        "referrer": hit.referrer or "",
    }
    message: dict[str, Any] = {
        "messageId": message_id,
        "anonymousId": hit.cookie,
        "timestamp": iso(hit.created_ms),
        "context": {
            "userAgent": hit.user_agent,
            "ip": hit.ip,
            "locale": hit.lang,
            "page": page,
            "screen": {"width": hit.screen[0], "height": hit.screen[1]},
            "library": {"name": "analytics.js", "version": "next-1.74.0"},
        },
    }
    if hit.action == "page":
        message.update(type="page", properties=page)
    elif hit.action == "identify":
        traits = {
            "email": hit.traits["email"],
            "firstName": hit.traits["givenName"],
            "lastName": hit.traits["familyName"],
            **({"phone": hit.traits["phone"]} if "phone" in hit.traits else {}),
        }
        message.update(type="identify", traits=traits)
        if hit.user_id:
            message["userId"] = hit.user_id
    else:
        message.update(type="track", event=hit.segment_event, properties=hit.properties)
    return message


# -- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    events: int
    seconds: float
    details: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def event_log_ddl() -> list[str]:
    """``event_log`` and its indexes as the real migrations leave them (all of them applied).

    The migrations run on a scratch file and the statements are read back from
    ``sqlite_master``, so the ceiling follows any later migration of the log table.
    """
    with tempfile.TemporaryDirectory(prefix="journeyline-schema-") as tmp:
        path = Path(tmp) / "schema.db"
        migrate(f"sqlite:///{path}")
        db = sqlite3.connect(path)
        try:
            rows = db.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'event_log'"
                " AND sql IS NOT NULL ORDER BY type = 'index', name"
            ).fetchall()
        finally:
            db.close()
    if not rows or rows[0][0] != "table":
        raise BenchError(f"the migrations under {MIGRATIONS} create no event_log table")
    return [str(sql) for _, sql in rows]


def _deadline(start: float, timeout: float, what: str) -> None:
    if time.perf_counter() - start > timeout:
        raise BenchError(f"{what} did not finish within {timeout:.0f} s")


def ceiling_run(path: Path, workload: Workload, ddl: Sequence[str], timeout: float) -> Run:
    """Raw inserts of the log rows: executemany, 1000 rows per transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in ddl:
            db.execute(statement)
        now = system_clock()
        kind = genesys_detail.KIND
        params = [(key, kind, cid, now, body) for key, cid, body in workload.rows]
        sql = (
            "INSERT INTO event_log (key, kind, partition_key, received_ms, body)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        start = time.perf_counter()
        for offset in range(0, len(params), BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, params[offset : offset + BATCH])
            db.execute("COMMIT")
            _deadline(start, timeout, "the ceiling run")
        seconds = time.perf_counter() - start
        (stored,) = db.execute("SELECT count(*) FROM event_log").fetchone()
    finally:
        db.close()
    if stored != len(params):
        raise BenchError(f"ceiling: stored {stored} rows of {len(params)}")
    return Run(len(params), seconds, {"stored_events": int(stored)})


def _count(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        db.close()
    return int(count)


def engine_run(path: Path, workload: Workload, timeout: float) -> Run:
    """parse_item + Engine.apply in batches of 1000 into a freshly migrated store."""
    store = open_store(f"sqlite:///{path}")
    try:
        engine = Engine(store, system_clock)
        items = workload.items
        parse = genesys_detail.parse_item
        start = time.perf_counter()
        for offset in range(0, len(items), BATCH):
            engine.apply([parse(item) for item in items[offset : offset + BATCH]])
            _deadline(start, timeout, "the engine run")
        seconds = time.perf_counter() - start
        stored = store.log_count()
    finally:
        store.close()
    if stored != len(items):
        raise BenchError(f"engine: stored {stored} events of {len(items)}")
    details = {
        "stored_events": stored,
        "sessions": _count(path, "sessions"),
        "session_events": _count(path, "session_events"),
    }
    return Run(len(items), seconds, details)


def _web_counts(path: Path) -> dict[str, int]:
    """What the web events left in a store: the log, web sessions, contacts, identifiers."""
    db = sqlite3.connect(path)
    try:
        queries = {
            "stored_events": "SELECT count(*) FROM event_log WHERE kind = 'web.event'",
            "sessions": "SELECT count(*) FROM sessions WHERE type = 'web'",
            "session_events": "SELECT count(*) FROM session_events WHERE event_type = 'WebEvent'",
            "contacts": "SELECT count(*) FROM contacts",
            "identified_contacts": "SELECT count(*) FROM contacts WHERE type != 'Ephemeral'",
            "emails": "SELECT count(*) FROM identifiers WHERE type = 'Email'",
        }
        return {name: int(db.execute(sql).fetchone()[0]) for name, sql in queries.items()}
    finally:
        db.close()


def web_engine_run(path: Path, count: int, timeout: float, *, seed: int = 1) -> Run:
    """parse_web + Engine.apply in batches of 1000 into a freshly migrated store.

    The events are made just before the clock starts, dated from the run's own clock.
    """
    store = open_store(f"sqlite:///{path}")
    try:
        now = system_clock()
        deployment = Deployment(
            id=str(uuid.uuid4()),
            name="bench",
            write_key=f"bench-{uuid.uuid4().hex}",
            allowed_domains=(SITE_DOMAIN,),
            created_ms=now,
            modified_ms=now,
        )
        with store.transaction():
            store.deployment_put(deployment)
        hits = make_web_hits(count, now, seed=seed)
        items = [(genesys_request(h), h.ip, h.user_agent) for h in hits]
        size = sum(len(msgspec.json.encode(item)) for item, _, _ in items)
        engine = Engine(store, system_clock)
        geo = GeoLookup(None)
        parse, context = web.parse_web, web.Context
        start = time.perf_counter()
        for offset in range(0, len(items), WEB_BATCH):
            now_ms = system_clock()  # as the HTTP edge reads the clock per request
            engine.apply(
                [
                    parse(item, context(deployment, now_ms, ip, user_agent, geo))
                    for item, ip, user_agent in items[offset : offset + WEB_BATCH]
                ]
            )
            _deadline(start, timeout, "the web engine run")
        seconds = time.perf_counter() - start
    finally:
        store.close()
    details = _web_counts(path)
    if details["stored_events"] != len(items):
        raise BenchError(f"web engine: stored {details['stored_events']} events of {len(items)}")
    details["visitors"] = len({h.cookie for h in hits})
    details["mean_request_bytes"] = round(size / len(items))
    return Run(len(items), seconds, details)


# -- HTTP ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _log_tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-2000:]
    return ""


@contextlib.contextmanager
def live_server(workdir: Path, timeout: float) -> Iterator[tuple[int, str]]:
    """``journeyline serve`` on a free 127.0.0.1 port with a fresh store; yields (port, token)."""
    url = f"sqlite:///{workdir / 'http.db'}"
    store = open_store(url)
    try:
        client_id, secret = create_client(store, name="bench", role="admin", now_ms=system_clock())
    finally:
        store.close()
    port = _free_port()
    log_path = workdir / "server.log"
    command = [
        sys.executable, "-m", "journeyline.cli", "serve", "--store", url,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + min(timeout, 30.0)
            while True:
                if process.poll() is not None:
                    raise BenchError(f"the server exited early:\n{_log_tail(log_path)}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if _request(port, "GET", "/health")[0] == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"the server did not start:\n{_log_tail(log_path)}")
                time.sleep(0.05)
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            status, body = _request(
                port,
                "POST",
                "/oauth/token",
                b"grant_type=client_credentials",
                {
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            if status != 200:
                raise BenchError(f"POST /oauth/token answered {status}: {body[:200]!r}")
            token = str(json.loads(body)["access_token"])
            yield port, token
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class _Counts(msgspec.Struct):
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise BenchError("the server answered with a chunked body, which the bench cannot read")
    if length is None:
        raise BenchError("the server answered without a Content-Length")
    return status, await reader.readexactly(length)


def _http_request(port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One pre-built HTTP/1.1 POST (keep-alive)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _load(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    timeout: float,
    check: Callable[[int, int, bytes], None],
) -> float:
    """Send every request over ``concurrency`` keep-alive connections; the seconds it took.

    ``check(index, status, body)`` sees each response and raises BenchError on a bad one.
    """
    position = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while position < len(requests):
            index = position
            position += 1
            writer.write(requests[index])
            status, body = await _read_response(reader)
            check(index, status, body)

    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        async with asyncio.timeout(timeout):
            for _ in range(max(1, min(concurrency, len(requests)))):
                connections.append(await asyncio.open_connection("127.0.0.1", port))
            start = time.perf_counter()
            async with asyncio.TaskGroup() as group:
                for reader, writer in connections:
                    group.create_task(worker(reader, writer))
            seconds = time.perf_counter() - start
    except TimeoutError:
        raise BenchError(f"HTTP load did not finish within {timeout:.0f} s") from None
    except ExceptionGroup as failed:
        first = failed.exceptions[0]
        if isinstance(first, BenchError):
            raise first from None
        raise BenchError(f"HTTP load failed: {first!r}") from first
    finally:
        for _, writer in connections:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return seconds


async def _post_all(
    port: int, token: str, bodies: Sequence[bytes], concurrency: int, timeout: float
) -> tuple[float, _Counts]:
    """POST conversation events; (seconds, the summed counts of the 202 answers)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    requests = [_http_request(port, PATH, body, headers) for body in bodies]
    totals = _Counts()

    def check(index: int, status: int, body: bytes) -> None:
        if status != 202:
            raise BenchError(f"POST {PATH} answered {status}: {body[:300]!r}")
        counts = msgspec.json.decode(body, type=_Counts)
        totals.accepted += counts.accepted
        totals.duplicate += counts.duplicate
        totals.rejected += counts.rejected

    seconds = await _load(port, requests, concurrency, timeout, check)
    return seconds, totals


def http_run(
    workdir: Path,
    single: Sequence[bytes],
    batched: Sequence[bytes],
    *,
    concurrency: int,
    timeout: float,
) -> tuple[Run, Run]:
    """One server, one fresh store: single events first, then arrays of 100 (other events)."""
    batches = [
        b"[" + b",".join(batched[offset : offset + HTTP_BATCH]) + b"]"
        for offset in range(0, len(batched), HTTP_BATCH)
    ]
    with live_server(workdir, timeout) as (port, token):
        seconds1, counts1 = asyncio.run(_post_all(port, token, single, concurrency, timeout))
        seconds2, counts2 = asyncio.run(_post_all(port, token, batches, concurrency, timeout))
    for name, sent, counts in (("single", single, counts1), ("batches", batched, counts2)):
        if counts.accepted != len(sent):
            raise BenchError(
                f"HTTP {name}: {counts.accepted} of {len(sent)} events accepted"
                f" ({counts.duplicate} duplicate, {counts.rejected} rejected)"
            )
    stored = _count(workdir / "http.db", "event_log")
    one = Run(len(single), seconds1, {"requests": len(single), "accepted": counts1.accepted})
    many = Run(
        len(batched),
        seconds2,
        {"requests": len(batches), "accepted": counts2.accepted, "stored_events": stored},
    )
    return one, many


def _create_deployment(port: int, token: str) -> tuple[str, str]:
    """A web deployment on the live server, as an admin makes one: (id, write key)."""
    body = {"name": "bench", "allowedDomains": [SITE_DOMAIN]}
    status, answer = _request(
        port,
        "POST",
        "/api/v2/webdeployments/deployments",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    if status != 200:
        raise BenchError(f"POST /api/v2/webdeployments/deployments answered {status}: {answer!r}")
    doc = json.loads(answer)
    return str(doc["id"]), str(doc["writeKey"])


def _web_single_requests(port: int, deployment_id: str, hits: Sequence[WebHit]) -> list[bytes]:
    """One WebEventRequest per POST, as the visitors' browsers send them (through a proxy)."""
    path = WEB_PATH.format(deployment_id)
    return [
        _http_request(
            port,
            path,
            msgspec.json.encode(genesys_request(hit)),
            {
                "User-Agent": hit.user_agent,
                "Origin": SITE,
                "X-Forwarded-For": hit.ip,
                "Content-Type": "application/json",
            },
        )
        for hit in hits
    ]


def _segment_requests(
    port: int, write_key: str, hits: Sequence[WebHit], now_ms: int, *, seed: int
) -> list[bytes]:
    """Segment ``/v1/batch`` bodies of 100 messages, with the write key as Basic user name."""
    rng = random.Random(seed)
    basic = base64.b64encode(f"{write_key}:".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "User-Agent": "analytics-python/2.3.3",
        "Content-Type": "application/json",
    }
    requests: list[bytes] = []
    for offset in range(0, len(hits), SEGMENT_BATCH):
        messages = [
            segment_message(hit, f"ajs-next-{uuid.UUID(int=rng.getrandbits(128), version=4)}")
            for hit in hits[offset : offset + SEGMENT_BATCH]
        ]
        body = msgspec.json.encode({"batch": messages, "sentAt": iso(now_ms)})
        requests.append(_http_request(port, SEGMENT_PATH, body, headers))
    return requests


def web_http_run(
    workdir: Path, single: int, batched: int, *, concurrency: int, timeout: float
) -> tuple[Run, Run | None]:
    """One server, one fresh store, one deployment: web events one per request, then Segment
    batches of 100 (other visitors). The second is None when ``/v1/batch`` answers 404."""
    with live_server(workdir, timeout) as (port, token):
        deployment_id, write_key = _create_deployment(port, token)
        now = system_clock()
        hits = make_web_hits(single, now, seed=2)
        requests = _web_single_requests(port, deployment_id, hits)
        accepted = 0

        def check_single(index: int, status: int, body: bytes) -> None:
            nonlocal accepted
            if status != 200:
                raise BenchError(f"POST {requests[index][:90]!r} answered {status}: {body[:300]!r}")
            accepted += 1

        seconds1 = asyncio.run(_load(port, requests, concurrency, timeout, check_single))
        one = Run(len(hits), seconds1, {"requests": len(requests), "accepted": accepted})

        basic = base64.b64encode(f"{write_key}:".encode()).decode()
        probe = _request(port, "POST", SEGMENT_PATH, b'{"batch": []}', {
            "Authorization": f"Basic {basic}", "Content-Type": "application/json",
        })[0]  # fmt: skip
        if probe == 404:
            stored = _web_counts(workdir / "http.db")["stored_events"]
            if stored != len(hits):
                raise BenchError(f"web HTTP single: stored {stored} events of {len(hits)}")
            return one, None
        now = system_clock()
        batch_hits = make_web_hits(batched, now, seed=3)
        batches = _segment_requests(port, write_key, batch_hits, now, seed=3)

        def check_batch(index: int, status: int, body: bytes) -> None:
            answer = msgspec.json.decode(body) if body.startswith(b"{") else {}
            if status != 200 or answer.get("success") is not True:
                rejected = [r for r in answer.get("results", []) if r.get("status") != "accepted"]
                detail = rejected[:1] or body[:300]
                raise BenchError(f"POST {SEGMENT_PATH} answered {status}: {detail!r}")

        seconds2 = asyncio.run(_load(port, batches, concurrency, timeout, check_batch))
    counts = _web_counts(workdir / "http.db")
    if counts["stored_events"] != len(hits) + len(batch_hits):
        raise BenchError(
            f"web HTTP: stored {counts['stored_events']} events of {len(hits) + len(batch_hits)}"
        )
    many = Run(
        len(batch_hits),
        seconds2,
        {"requests": len(batches), "accepted": len(batch_hits), **counts},
    )
    return one, many


# -- running and reporting -------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    name: str
    label: str
    runs: list[Run] = field(default_factory=list)
    goal: str = ""
    passed: bool | None = None

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs) if self.runs else 0.0


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu": model or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _measure(
    figure: Figure, runs: int, root: Path, quiet: bool, once: Callable[[Path], Run]
) -> None:
    for number in range(1, runs + 1):
        workdir = root / f"{figure.name}-{number}"
        workdir.mkdir()
        try:
            run = once(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        figure.runs.append(run)
        _progress(quiet, f"  {figure.name} run {number}/{runs}: {run.rate:,.0f} events/s")


def unavailable(label: str) -> dict[str, Any]:
    """The report entry of a figure that could not be measured: the server has no collector."""
    return {
        "label": label,
        "available": False,
        "reason": f"POST {SEGMENT_PATH} answered 404 (no Segment collector mounted)",
        "events_per_s": None,
        "pct_of_ceiling": None,
        "runs_events_per_s": [],
        "events_per_run": 0,
        "goal": None,
        "passed": None,
    }


def _check_count(value: int, option: str) -> None:
    if not 1 <= value <= MAX_EVENTS:
        raise BenchError(f"{option} must be between 1 and {MAX_EVENTS:,}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    events: int = args.events
    runs: int = args.runs
    if runs < 1 or runs > 25:
        raise BenchError("--runs must be between 1 and 25")
    _check_count(events, "--events")
    _check_count(args.web_events, "--web-events")
    _check_count(args.web_single_events, "--web-single-events")
    _check_count(args.web_batch_events, "--web-batch-events")
    if not 0 < args.timeout <= 3600:
        raise BenchError("--timeout must be more than 0 and at most 3600 seconds")
    if args.concurrency < 1 or args.concurrency > 256:
        raise BenchError("--concurrency must be between 1 and 256")
    single_count = max(1, min(events, args.single_events))
    quiet: bool = args.json
    _progress(quiet, f"preparing {events + single_count:,} unique events...")
    workload = make_workload(events + single_count)
    main = Workload(workload.wire[:events], workload.items[:events], workload.rows[:events])
    single = workload.wire[events:]

    conns = args.concurrency
    ceiling = Figure("ceiling", "ceiling: raw SQLite insert, event_log rows")
    engine = Figure("engine", "engine + store: parse_item + Engine.apply")
    http_single = Figure("http_single", f"HTTP single event/request, {conns} conns")
    http_batch = Figure("http_batch", f"HTTP batches of {HTTP_BATCH}, {conns} conns")
    web_engine = Figure("web_engine", "web engine + store: parse_web + Engine.apply")
    web_single = Figure("web_http_single", f"web HTTP single event/request, {conns} conns")
    web_batch = Figure(
        "web_http_batch", f"web HTTP Segment /v1/batch of {SEGMENT_BATCH}, {conns} conns"
    )

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="journeyline-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        timeout: float = args.timeout
        ddl = event_log_ddl()

        def ceiling_once(workdir: Path) -> Run:
            return ceiling_run(workdir / "ceiling.db", main, ddl, timeout)

        _measure(ceiling, runs, root, quiet, ceiling_once)
        _measure(engine, runs, root, quiet, lambda d: engine_run(d / "engine.db", main, timeout))

        def http_once(workdir: Path) -> Run:
            one, many = http_run(workdir, single, main.wire, concurrency=conns, timeout=timeout)
            http_single.runs.append(one)
            _progress(quiet, f"  http_single run {len(http_single.runs)}: {one.rate:,.0f} events/s")
            return many

        _measure(http_batch, runs, root, quiet, http_once)

        def web_engine_once(workdir: Path) -> Run:
            return web_engine_run(workdir / "web.db", args.web_events, timeout)

        _measure(web_engine, runs, root, quiet, web_engine_once)

        for number in range(1, runs + 1):
            workdir = root / f"web_http-{number}"
            workdir.mkdir()
            try:
                one, many = web_http_run(
                    workdir,
                    args.web_single_events,
                    args.web_batch_events,
                    concurrency=conns,
                    timeout=timeout,
                )
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            web_single.runs.append(one)
            _progress(quiet, f"  web_http_single run {number}/{runs}: {one.rate:,.0f} events/s")
            if many is None:
                _progress(quiet, f"  web_http_batch: POST {SEGMENT_PATH} answered 404")
            else:
                web_batch.runs.append(many)
                _progress(quiet, f"  web_http_batch run {number}/{runs}: {many.rate:,.0f} events/s")

    share = 100.0 * engine.rate / ceiling.rate if ceiling.rate else 0.0
    engine.goal = f">= {ENGINE_GOAL:,.0f}/s and >= {ENGINE_GOAL_SHARE:.0f}% of ceiling"
    engine.passed = engine.rate >= ENGINE_GOAL and share >= ENGINE_GOAL_SHARE
    http_batch.goal = f">= {HTTP_BATCH_GOAL:,.0f}/s"
    http_batch.passed = http_batch.rate >= HTTP_BATCH_GOAL
    web_share = 100.0 * web_engine.rate / ceiling.rate if ceiling.rate else 0.0
    web_engine.goal = f">= {WEB_GOAL:,.0f}/s and >= {WEB_GOAL_SHARE:.0f}% of ceiling"
    web_engine.passed = web_engine.rate >= WEB_GOAL and web_share >= WEB_GOAL_SHARE

    figures: dict[str, Any] = {}
    for figure in (ceiling, engine, http_single, http_batch, web_engine, web_single, web_batch):
        if not figure.runs:  # the Segment collector is not there
            figures[figure.name] = unavailable(figure.label)
            continue
        median_run = sorted(figure.runs, key=lambda r: r.rate)[len(figure.runs) // 2]
        figures[figure.name] = {
            "label": figure.label,
            "available": True,
            "events_per_s": round(figure.rate, 1),
            "pct_of_ceiling": round(100.0 * figure.rate / ceiling.rate, 1) if ceiling.rate else 0,
            "runs_events_per_s": [round(r.rate, 1) for r in figure.runs],
            "events_per_run": figure.runs[0].events,
            "goal": figure.goal or None,
            "passed": figure.passed,
            **median_run.details,
        }
    figures["http_single"]["requests_per_s"] = figures["http_single"]["events_per_s"]
    figures["web_http_single"]["requests_per_s"] = figures["web_http_single"]["events_per_s"]
    return {
        "machine": machine(),
        "events": events,
        "single_events": single_count,
        "conversations": len({cid for _, cid, _ in main.rows}),
        "mean_event_bytes": round(sum(map(len, main.wire)) / len(main.wire)),
        "web_events": args.web_events,
        "web_single_events": args.web_single_events,
        "web_batch_events": args.web_batch_events,
        "web_visitors": figures["web_engine"]["visitors"],
        "mean_web_event_bytes": figures["web_engine"]["mean_request_bytes"],
        "runs": runs,
        "concurrency": conns,
        "figures": figures,
    }


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"journeyline bench - {report['events']:,} conversation events/run"
        f" ({report['conversations']:,} conversations, ~{report['mean_event_bytes']} B/event);"
        f" {report['web_events']:,} web events/run ({report['web_visitors']:,} visitors,"
        f" ~{report['mean_web_event_bytes']} B/event); median of {report['runs']} run(s),"
        " fresh SQLite file per run",
        f"machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']},"
        f" {m['platform']}, {m['date']}",
        "",
        f"{'what':<46} {'events/s':>10} {'% ceil':>7}  {'goal':<34} result",
    ]
    for figure in report["figures"].values():
        if not figure["available"]:
            lines.append(f"{figure['label']:<46} {'not available':>19}  {'-':<34} -")
            continue
        passed = figure["passed"]
        result = "-" if passed is None else "PASS" if passed else "below goal"
        lines.append(
            f"{figure['label']:<46} {figure['events_per_s']:>10,.0f}"
            f" {figure['pct_of_ceiling']:>6.0f}%  {figure['goal'] or '-':<34} {result}"
        )
    f = report["figures"]
    w = f["web_engine"]
    lines += [
        "",
        "runs (events/s): "
        + "; ".join(
            f"{name} " + " / ".join(f"{r:,.0f}" for r in fig["runs_events_per_s"])
            for name, fig in f.items()
            if fig["available"]
        ),
        f"engine stored {f['engine']['stored_events']:,} events in"
        f" {f['engine']['sessions']:,} sessions ({f['engine']['session_events']:,} session"
        f" events); HTTP single: {f['http_single']['events_per_run']:,} requests"
        f" = {f['http_single']['requests_per_s']:,.0f} requests/s",
        f"web engine stored {w['stored_events']:,} events in {w['sessions']:,} web sessions"
        f" ({w['session_events']:,} session events), {w['contacts']:,} contacts"
        f" ({w['identified_contacts']:,} identified); web HTTP single:"
        f" {f['web_http_single']['events_per_run']:,} requests"
        f" = {f['web_http_single']['requests_per_s']:,.0f} requests/s",
    ]
    if not f["web_http_batch"]["available"]:
        lines.append(f"web HTTP batched: not available - {f['web_http_batch']['reason']}")
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> int:
    """``journeyline bench``: measure, then print the table (or JSON with ``--json``)."""
    defaults = {
        "runs": 3,
        "json": False,
        "concurrency": 16,
        "single_events": 5000,
        "timeout": 120.0,
        "web_events": 20_000,
        "web_single_events": 3000,
        "web_batch_events": 20_000,
    }
    for name, value in defaults.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    report = measure(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
