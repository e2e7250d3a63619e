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


def _traits(**values: str) -> dict[str, dict[str, str]]:
    return {name: {"dataType": "string", "value": value} for name, value in values.items() if value}


def browse(
    rng: random.Random,
    *,
    cookie: str,
    start_ms: int,
    base_url: str,
    referrer: str,
    who: dict[str, str] | None,
    form: bool = False,
) -> list[tuple[int, dict[str, Any]]]:
    """``(createdMs, WebEventRequest)`` of one visit, in time order: three pages (the first from
    ``referrer``) and a search; then, unless ``who`` is None, the contact page where the visitor
    gives ``who`` (traits: ``givenName``, ``familyName``, ``phone``, ``email``), after sending
    the contact form when ``form`` (as the demo shop's contact page does)."""
    visits: list[tuple[int, dict[str, Any]]] = []
    t = start_ms

    def event(name: str, path: str, title: str, **fields: Any) -> None:
        page = {"url": base_url + path, "title": title}
        body = {"customerCookieId": cookie, "eventName": name, "page": page, "createdDate": iso(t)}
        visits.append((t, {**body, **fields}))

    for index, (path, title) in enumerate(rng.sample(PAGES, 3)):
        came_from = {"referrerUrl": referrer} if index == 0 and referrer else {}
        event("page_viewed", path, title, **came_from)
        t += rng.randint(20, 120) * 1000
    query = rng.choice(("linen", "rug", "delivery times", "returns"))
    event("searched", "/demo/search.html", "Search", searchQuery=query)
    if who is None:
        return visits
    t += rng.randint(30, 90) * 1000
    if form:
        name = f"{who.get('givenName', '')} {who.get('familyName', '')}".strip()
        message = rng.choice(("Where is my order?", "Do you deliver abroad?", "A gift question"))
        data = _traits(name=name, email=who.get("email", ""), phone=who.get("phone", ""))
        event("form_submitted", "/demo/contact.html", "Contact us",
              attributes={**data, **_traits(message=message)})  # fmt: skip
        t += rng.randint(2, 20) * 1000
    event("identified", "/demo/contact.html", "Contact us", traits=_traits(**who))
    return visits


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
        given, family = rng.choice(FIRST), rng.choice(LAST)
        who = {"givenName": given, "familyName": family, "phone": phone}
        visits += browse(
            rng, cookie=cookie, start_ms=t, base_url=base_url, referrer=referrer, who=who
        )
    return visits
