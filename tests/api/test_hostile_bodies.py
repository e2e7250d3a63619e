"""Any JSON body route takes any body: one nested deeper than the decoder goes is a 400 in the
Genesys error shape, not a 500 (msgspec raises RecursionError, not DecodeError, for it)."""

from __future__ import annotations

import base64

import pytest

from conftest import Api, deployment

#: 3,000 levels of arrays: 6 KB, under every route's body limit (actionevent's is 8 KB).
DEEP = b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"

ROUTES = [
    ("POST", "/api/v2/journey/conversationevents"),
    ("POST", "/api/v2/journey/deployments/{d}/webevents"),
    ("POST", "/api/v2/journey/deployments/{d}/appevents"),
    ("POST", "/api/v2/journey/deployments/{d}/actionevent"),
    ("POST", "/api/v2/journey/segments"),
    ("PATCH", "/api/v2/journey/segments/{segment}"),
    ("POST", "/api/v2/journey/actionmaps"),
    ("POST", "/api/v2/flows"),
    ("POST", "/api/v2/webdeployments/deployments"),
    ("POST", "/api/v2/routing/queues"),
    ("POST", "/api/v2/externalcontacts/contacts"),
    ("POST", "/api/v2/externalcontacts/identifierlookup"),
    ("POST", "/api/v2/externalcontacts/merge/contacts"),
    ("POST", "/v1/track"),
    ("POST", "/v1/batch"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_a_deeply_nested_body_is_a_400_not_a_500(api: Api, method: str, route: str) -> None:
    shop = deployment(api)
    segment = api.post(
        "/api/v2/journey/segments",
        {
            "displayName": "Any page",
            "journey": {
                "patterns": [
                    {"criteria": [], "count": 1, "streamType": "Web", "sessionType": "web"}
                ]
            },
        },
    ).json()["id"]
    path = route.format(d=shop["id"], segment=segment)
    headers = {**api.headers, "Content-Type": "application/json"}
    if route.startswith("/v1/"):
        token = base64.b64encode(f"{shop['writeKey']}:".encode()).decode()
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {token}"}
    response = api.client.request(method, path, content=DEEP, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad.request"
