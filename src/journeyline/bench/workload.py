"""The bench's events, made before any clock starts.

Conversation events: consecutive realistic demo days (``journeyline.demo``) with the duplicate
deliveries dropped (``make_workload``). Web events: visitors of a retail site (``make_web_hits``),
as Genesys ``WebEventRequest`` dicts (``genesys_request``) or Segment-spec messages
(``segment_message``).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec

from journeyline.bench.errors import BenchError
from journeyline.clock import iso
from journeyline.demo.day import demo_day

DAY_MS = 86_400_000
FIRST_DAY_MS = 1_795_564_800_000  # a midnight (UTC); each further demo day starts a day later
CONVERSATIONS_PER_DAY = 1000  # about 8,600 unique events per demo day
MAX_DAYS = 2_000  # bounds the generator: ~17M events


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
# A visitor's first event is 20 to 45 minutes old when the events are made, the last at least
# ~3 minutes old: every createdDate stays inside the one-hour window for 15 minutes at least.
WEB_OLDEST_MS = 45 * 60_000
WEB_NEWEST_MS = 20 * 60_000
WEB_GAP_MS = (8_000, 90_000)  # between two events of a visitor

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
