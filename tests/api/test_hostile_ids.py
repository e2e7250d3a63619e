"""Ids a client gives are checked before they go into a ``selfUri`` (issue 10: directory ids
with markup were put there unescaped); ids that came in a contact centre's events are kept and
percent-encoded there. And a web event's URLs are http(s): a ``javascript:`` page is refused,
a ``javascript:`` referrer dropped."""

from __future__ import annotations

import dataclasses
from contextlib import closing
from typing import Any

import pytest

from builders import COOKIE, Conversation, answered, web_event
from conftest import Api, deployment, send
from journeyline.store import open_store
from signing_in import PASSWORD, sign_in

MARKUP = '"><img src=x onerror="window.__xss=1">'


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/v2/routing/queues", {"name": "Sales", "id": MARKUP}),
        ("/api/v2/routing/wrapupcodes", {"name": "Sale", "id": "a/b"}),
        ("/api/v2/users", {"name": "Ann", "id": "../admin"}),
        (
            "/api/v2/webdeployments/deployments",
            {"name": "Shop", "allowedDomains": ["shop.example.com"], "id": "<script>"},
        ),
    ],
)
def test_a_given_id_that_is_not_url_safe_is_a_400_naming_it(
    api: Api, route: str, body: dict[str, Any]
) -> None:
    answer = api.post(route, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"] == [{"fieldName": "id"}]
    assert api.get(route).json()["entities"] == []  # nothing was made


def _session_in_queue(api: Api, call: Conversation, queue_id: str) -> Any:
    """The session document of ``call`` posted with its queue's id replaced by ``queue_id``."""
    for w in call.wire:
        if w["eventBody"].get("queueId") == "q-sales":
            w["eventBody"]["queueId"] = queue_id
    posted = api.post("/api/v2/journey/conversationevents", call.wire)
    assert posted.status_code == 202, posted.text
    session_id = posted.json()["entities"][0]["session"]["id"]
    return api.get(f"/api/v2/journey/sessions/{session_id}").json()


def test_an_id_from_a_conversation_event_is_percent_encoded_in_selfuri(api: Api) -> None:
    """A contact centre's own ids (queue, conversation) are kept as sent, but a ``selfUri``
    made of them is one safe path segment each."""
    doc = _session_in_queue(api, answered("conv/<b>"), "q/<s>")
    assert doc["conversation"] == {
        "id": "conv/<b>",
        "selfUri": "/api/v2/conversations/conv%2F%3Cb%3E",
    }
    assert doc["lastConnectedQueue"] == {
        "id": "q/<s>",
        "selfUri": "/api/v2/routing/queues/q%2F%3Cs%3E",
    }
    assert not [uri for uri in _uris(doc) if "<" in uri]


def _uris(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k == "selfUri"] + [
            u for v in doc.values() for u in _uris(v)
        ]
    if isinstance(doc, list):
        return [u for v in doc for u in _uris(v)]
    return []


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x"],
)
def test_a_script_page_url_is_a_400_and_a_script_referrer_is_dropped(api: Api, url: str) -> None:
    shop = deployment(api)
    page = send(api, shop["id"], web_event(COOKIE, 0, url=url, now_ms=api.clock()))
    assert page.status_code == 400, page.text
    assert page.json()["details"] == [{"fieldName": "page.url"}]
    referred = send(api, shop["id"], web_event(COOKIE, 1, now_ms=api.clock(), referrerUrl=url))
    assert referred.status_code == 200, referred.text
    assert "referrer" not in referred.json()
    events = api.get(f"/api/v2/journey/sessions/{referred.json()['session']['id']}/events")
    assert "javascript" not in events.text.lower()
    assert "data:text" not in events.text


def test_dot_ids_from_events_are_encoded_in_selfuri_and_desktop_links(api: Api) -> None:
    """``.`` and ``..`` are ids a contact centre may send; as they are, a browser or a proxy
    would resolve them as steps up the path (issue 10 review). And an external contact id with
    a ``/`` is one encoded segment in the desktop's links, not ``/desktop/people/a/../b``."""
    call = answered("conv-dots", conversationExternalContactIds=["a/../b"])
    doc = _session_in_queue(api, call, "..")
    assert doc["lastConnectedQueue"]["selfUri"] == "/api/v2/routing/queues/%2E%2E"
    add = {"name": "Ann", "email": "ann@example.com", "password": PASSWORD, "role": "admin"}
    assert api.post("/api/v2/users", add).status_code == 200
    assert sign_in(api.client).status_code == 303
    now = api.client.get("/desktop")
    assert now.status_code == 200, now.text
    assert "/desktop/people/a%2F..%2Fb" in now.text
    assert "/desktop/people/a/" not in now.text


def test_a_stored_deployment_id_with_markup_is_escaped_in_its_snippet(api: Api) -> None:
    """A deployment stored before ids were checked (a legacy store) may hold markup: the snippet
    an administrator pastes into the site carries it as an attribute's text, not as a tag."""
    made = deployment(api)
    legacy = '"><script>alert(1)</script>'
    with closing(open_store(api.store_url)) as store:
        found = store.deployment_get(made["id"])
        assert found is not None
        with store.transaction():
            store.deployment_put(dataclasses.replace(found, id=legacy, write_key="legacy-key"))
    listed = api.get("/api/v2/webdeployments/deployments").json()["entities"]
    [doc] = [d for d in listed if d["id"] == legacy]
    assert "<script>alert" not in doc["snippet"]
    assert 'data-deployment="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in doc["snippet"]
