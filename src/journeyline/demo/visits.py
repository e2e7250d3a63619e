"""Demo web visits: some of the demo day's callers browsed the shop before they called.

Each visit is a few page views, a search and an ``identified`` event carrying the caller's number
and a name, a few minutes before the call, so the agent's timeline shows the web session and the
call of one person (the call is matched to the visitor by the number: unverified until an agent
verifies it). Pure: the visits are derived from the day's events with a seeded generator.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from journeyline.clock import iso

PAGES = (
    ("/", "Lumen & Loom — home"),
    ("/demo/product.html?sku=LL-104", "Linen throw — Lumen & Loom"),
    ("/demo/product.html?sku=LL-221", "Wool rug — Lumen & Loom"),
    ("/demo/cart.html", "Your cart — Lumen & Loom"),
    ("/demo/contact.html", "Contact us — Lumen & Loom"),
)
FIRST = ("Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Tim", "Radia", "Ken", "Barbara")
LAST = ("Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Berners-Lee", "Perlman")
REFERRERS = (
    "https://www.google.com/search?q=linen+throw",
    "https://t.co/abc123",
    "",
    "https://mail.example.net/",
)


def demo_visits(
    day_events: list[dict[str, Any]], *, base_url: str, seed: int = 7, share: float = 0.3
) -> list[tuple[int, dict[str, Any]]]:
    """``(createdMs, WebEventRequest)`` for visits by some inbound callers before their call."""
    rng = random.Random(seed)
    calls: dict[str, tuple[int, str]] = {}
    for wire in day_events:
        body = wire["eventBody"]
        if wire["topicName"].endswith(".customer.start") and body.get("mediaType") == "VOICE":
            ani = body.get("ani") or ""
            if body.get("direction") == "INBOUND" and ani.startswith("tel:+"):
                calls.setdefault(body["conversationId"], (body["eventTime"], ani[4:]))
    visits: list[tuple[int, dict[str, Any]]] = []
    for _, (call_ms, phone) in sorted(calls.items()):
        if rng.random() > share:
            continue
        cookie = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        t = call_ms - rng.randint(6, 25) * 60_000
        referrer = rng.choice(REFERRERS)
        name = (rng.choice(FIRST), rng.choice(LAST))
        for index, (path, title) in enumerate(rng.sample(PAGES, 3)):
            event: dict[str, Any] = {
                "customerCookieId": cookie,
                "eventName": "page_viewed",
                "page": {"url": base_url + path, "title": title},
                "createdDate": iso(t),
            }
            if index == 0 and referrer:
                event["referrerUrl"] = referrer
            visits.append((t, event))
            t += rng.randint(20, 120) * 1000
        visits.append(
            (
                t,
                {
                    "customerCookieId": cookie,
                    "eventName": "searched",
                    "searchQuery": rng.choice(("linen", "rug", "delivery times", "returns")),
                    "page": {"url": base_url + "/demo/search.html", "title": "Search"},
                    "createdDate": iso(t),
                },
            )
        )
        t += rng.randint(30, 90) * 1000
        visits.append(
            (
                t,
                {
                    "customerCookieId": cookie,
                    "eventName": "identified",
                    "page": {"url": base_url + "/demo/contact.html", "title": "Contact us"},
                    "traits": {
                        "givenName": {"dataType": "string", "value": name[0]},
                        "familyName": {"dataType": "string", "value": name[1]},
                        "phone": {"dataType": "string", "value": phone},
                    },
                    "createdDate": iso(t),
                },
            )
        )
    return visits
