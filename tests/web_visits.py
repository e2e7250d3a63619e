"""Visits to a shop through the public web-event route, for the API tests of identity."""

from __future__ import annotations

from typing import Any

from builders import web_event
from conftest import Api

DEPLOYMENTS = "/api/v2/webdeployments/deployments"


def trait(value: str) -> dict[str, str]:
    """A custom attribute / trait in the Genesys web event's typed shape."""
    return {"dataType": "string", "value": value}


def new_shop(api: Api, **fields: Any) -> dict[str, Any]:
    """A deployment that allows every domain (``fields`` added to its request), as answered."""
    response = api.post(DEPLOYMENTS, {"name": "Shop", "allowAllDomains": True, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def visit(api: Api, shop: str, cookie: str, seconds: float = 0, **fields: Any) -> dict[str, Any]:
    """A web event of ``cookie`` at ``seconds`` into the shop; its 200 answer."""
    response = api.client.post(
        f"/api/v2/journey/deployments/{shop}/webevents", json=web_event(cookie, seconds, **fields)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
