"""The demo shop's web offers: one content offer and one web messaging offer.

- **Linen 10% off** (``contentOffer``, a Modal): a visitor who has viewed three product pages in
  a session joins the segment *Browsed three products*, whose action map shows the action
  template *Linen 10% off* once per session.
- **Help at the cart** (``webMessagingOffer``): a visitor who opens the cart joins *Opened the
  cart*, whose action map invites them to chat, once per session, on the cart page only
  (``pageUrlConditions``).

:data:`DEFINITIONS` holds them as the Genesys JSON an administrator would POST (the browser
tests post these same bodies); :func:`offer_commands` makes them commands for ``load_demo``.
The ids are fixed, so they can be named in docs and found again.
"""

from __future__ import annotations

from typing import Any

from journeyline.demo.rules import definition_commands
from journeyline.engine.inputs import CommandInput

LINEN_TEMPLATE_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e01"
BROWSED_SEGMENT_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e02"
LINEN_MAP_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e03"
CART_SEGMENT_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e04"
CART_MAP_ID = "3c2d1e0f-7a6b-4c5d-8e9f-0a1b2c3d4e05"


def _page_views(path: str, count: int) -> dict[str, Any]:
    return {
        "criteria": [{"key": "page.url", "values": [path], "operator": "containsAny"}],
        "count": count,
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


#: (kind, id, Genesys JSON body), in the order they must be created.
DEFINITIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "actiontemplate",
        LINEN_TEMPLATE_ID,
        {
            "name": "Linen 10% off",
            "description": "A discount for visitors who are browsing the linen range",
            "mediaType": "contentOffer",
            "state": "Active",
            "contentOffer": {
                "displayMode": "Modal",
                "layoutMode": "TextOnly",
                "title": "A little something for you",
                "headline": "10% off linen today",
                "body": "Use the code LINEN10 at checkout, on every linen piece in the shop.",
                "callToAction": {
                    "text": "Shop linen",
                    "url": "http://127.0.0.1:8000/demo/search.html?q=linen",
                    "target": "Self",
                },
            },
        },
    ),
    (
        "segment",
        BROWSED_SEGMENT_ID,
        {
            "displayName": "Browsed three products",
            "description": "Three product pages viewed in one session",
            "color": "#2a4fd6",
            "scope": "Session",
            "journey": {"patterns": [_page_views("/demo/product", 3)]},
        },
    ),
    (
        "actionmap",
        LINEN_MAP_ID,
        {
            "displayName": "Linen 10% off for browsers",
            "triggerWithSegments": [BROWSED_SEGMENT_ID],
            "action": {"mediaType": "contentOffer", "actionTemplate": {"id": LINEN_TEMPLATE_ID}},
        },
    ),
    (
        "segment",
        CART_SEGMENT_ID,
        {
            "displayName": "Opened the cart",
            "color": "#1f8a5b",
            "scope": "Session",
            "journey": {"patterns": [_page_views("/demo/cart", 1)]},
        },
    ),
    (
        "actionmap",
        CART_MAP_ID,
        {
            "displayName": "Help at the cart",
            "triggerWithSegments": [CART_SEGMENT_ID],
            "pageUrlConditions": [{"values": ["/demo/cart"], "operator": "containsAny"}],
            "action": {
                "mediaType": "webMessagingOffer",
                "webMessagingOfferFields": {
                    "offerText": "Questions about your order? Chat with us now."
                },
            },
        },
    ),
]


def offer_commands(now_ms: int, *, actor: str = "demo") -> list[CommandInput]:
    """The demo's offers as the commands that create them (validated as a POST would be)."""
    return definition_commands(DEFINITIONS, now_ms, actor=actor)
