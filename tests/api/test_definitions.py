"""Segments, outcomes, action maps and action templates on the Genesys journey routes, through
the real app and store: create, read, list, patch with a version check, delete, refusals."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from conftest import Api, bearer, make_client
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.engine.replay import rebuild
from journeyline.store import open_store

ABANDONED_ENDED: dict[str, Any] = {
    "criteria": [
        {"key": "queue.name", "values": ["Sales"], "operator": "equal", "shouldIgnoreCase": True},
        {
            "key": "waitSeconds",
            "values": ["60"],
            "operator": "greaterThan",
            "shouldIgnoreCase": False,
        },
    ],
    "count": 1,
    "streamType": "Conversation",
    "sessionType": "conversation",
    "eventName": "ended",
}
ABANDONED: dict[str, Any] = {
    "displayName": "Abandoned in Sales",
    "color": "#d9534f",
    "scope": "Session",
    "journey": {"patterns": [ABANDONED_ENDED]},
}
BOUGHT = {
    "displayName": "Bought",
    "isPositive": True,
    "journey": {
        "patterns": [
            {
                "criteria": [
                    {
                        "key": "page.url",
                        "values": ["/thanks"],
                        "operator": "containsAny",
                        "shouldIgnoreCase": True,
                    }
                ],
                "count": 1,
                "streamType": "Web",
                "sessionType": "web",
                "eventName": "page_viewed",
            }
        ]
    },
}
OFFER = {
    "name": "Free delivery",
    "mediaType": "contentOffer",
    "state": "Active",
    "contentOffer": {
        "displayMode": "Toast",
        "layoutMode": "TextOnly",
        "title": "Free delivery",
        "headline": "On orders over £50",
        "body": "Today only.",
    },
}


def _action_map(segment_id: str, template_id: str) -> dict[str, Any]:
    return {
        "displayName": "Offer free delivery",
        "triggerWithSegments": [segment_id],
        "activation": {"type": "immediate"},
        "action": {"mediaType": "contentOffer", "actionTemplate": {"id": template_id}},
    }


def _created(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def _patch(api: Api, path: str, body: dict[str, Any]) -> httpx2.Response:
    return api.client.patch(path, json=body, headers=api.headers)


@pytest.mark.parametrize(
    ("path", "body", "name"),
    [
        ("/api/v2/journey/segments", ABANDONED, "displayName"),
        ("/api/v2/journey/outcomes", BOUGHT, "displayName"),
        ("/api/v2/journey/actiontemplates", OFFER, "name"),
    ],
)
def test_create_read_patch_delete(api: Api, path: str, body: dict[str, Any], name: str) -> None:
    created = _created(api, path, body)
    assert created["version"] == 1
    assert created["selfUri"] == f"{path}/{created['id']}"
    assert api.get(f"{path}/{created['id']}").json() == created
    api.clock.advance(5)
    patched = _patch(api, f"{path}/{created['id']}", {"version": 1, name: "Renamed"})
    assert patched.status_code == 200, patched.text
    assert patched.json()[name] == "Renamed"
    assert patched.json()["version"] == 2
    assert patched.json()["createdDate"] == created["createdDate"]
    assert patched.json()["modifiedDate"] > created["modifiedDate"]
    stale = _patch(api, f"{path}/{created['id']}", {"version": 1, name: "Again"})
    assert stale.status_code == 409
    assert stale.json()["details"] == [{"fieldName": "version"}]
    assert _patch(api, f"{path}/{created['id']}", {name: "No version"}).status_code == 400
    assert api.delete(f"{path}/{created['id']}").status_code == 204
    assert api.get(f"{path}/{created['id']}").status_code == 404
    assert api.delete(f"{path}/{created['id']}").status_code == 404
    assert _patch(api, f"{path}/{created['id']}", {"version": 2}).status_code == 404


def test_listing_pages_sorts_and_filters(api: Api) -> None:
    path = "/api/v2/journey/segments"
    for name, active in (("Bargain hunters", True), ("all visitors", False), ("Churn risk", True)):
        _created(api, path, {**ABANDONED, "displayName": name, "isActive": active})
        api.clock.advance(1)
    names = [e["displayName"] for e in api.get(path).json()["entities"]]
    assert names == ["all visitors", "Bargain hunters", "Churn risk"]
    newest = api.get(path, params={"sortBy": "-createdDate", "pageSize": 2}).json()
    assert [e["displayName"] for e in newest["entities"]] == ["Churn risk", "all visitors"]
    assert (newest["total"], newest["pageCount"]) == (3, 2)
    assert newest["nextUri"] == f"{path}?pageSize=2&pageNumber=2"
    active = api.get(path, params={"isActive": "false"}).json()["entities"]
    assert [e["displayName"] for e in active] == ["all visitors"]
    found = api.get(path, params={"queryFields": "displayName", "queryValue": "RISK"}).json()
    assert [e["displayName"] for e in found["entities"]] == ["Churn risk"]
    for params, field in (
        ({"sortBy": "color"}, "sortBy"),
        ({"sortBy": ""}, "sortBy"),  # schemathesis: an empty one was taken as none
        ({"isActive": "maybe"}, "isActive"),
        ({"queryFields": "color"}, "queryFields"),
        ({"pageSize": "0"}, "pageSize"),
    ):
        response = api.get(path, params=params)
        assert response.status_code == 400
        assert response.json()["details"] == [{"fieldName": field}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ABANDONED, "displayName": ""}, "displayName"),
        ({"displayName": "Nothing"}, None),
        (
            {
                **ABANDONED,
                "journey": {"patterns": [{**ABANDONED_ENDED, "count": 0}]},
            },
            "journey.patterns[0].count",
        ),
    ],
)
def test_an_invalid_segment_is_a_400_naming_its_field(
    api: Api, body: dict[str, Any], field: str | None
) -> None:
    response = api.post("/api/v2/journey/segments", body)
    assert response.status_code == 400, response.text
    if field is not None:
        assert response.json()["details"] == [{"fieldName": field}]
    assert api.get("/api/v2/journey/segments").json()["total"] == 0


def test_an_action_map_names_what_exists_and_holds_it(api: Api) -> None:
    segment = _created(api, "/api/v2/journey/segments", ABANDONED)
    template = _created(api, "/api/v2/journey/actiontemplates", OFFER)
    unknown = api.post("/api/v2/journey/actionmaps", _action_map("nope", template["id"]))
    assert unknown.status_code == 400
    assert unknown.json()["details"] == [{"fieldName": "triggerWithSegments[0]"}]
    no_template = api.post("/api/v2/journey/actionmaps", _action_map(segment["id"], "nope"))
    assert no_template.json()["details"] == [{"fieldName": "action.actionTemplate.id"}]
    action_map = _created(
        api, "/api/v2/journey/actionmaps", _action_map(segment["id"], template["id"])
    )
    held = api.delete(f"/api/v2/journey/segments/{segment['id']}")
    assert held.status_code == 409
    assert action_map["id"] in held.json()["message"]
    assert api.delete(f"/api/v2/journey/actiontemplates/{template['id']}").status_code == 409
    assert api.delete(f"/api/v2/journey/actionmaps/{action_map['id']}").status_code == 204
    assert api.delete(f"/api/v2/journey/segments/{segment['id']}").status_code == 204


def test_writes_need_the_admin_role(api: Api) -> None:
    agent = bearer(api.client, make_client(api.store_url, role="agent"))
    response = api.client.post("/api/v2/journey/segments", json=ABANDONED, headers=agent)
    assert response.status_code == 403
    assert api.client.get("/api/v2/journey/segments", headers=agent).status_code == 200


def test_definitions_are_commands_a_rebuild_replays(settings: Settings, api: Api) -> None:
    first = _created(api, "/api/v2/journey/segments", ABANDONED)
    _patch(api, f"/api/v2/journey/segments/{first['id']}", {"version": 1, "color": "#000000"})
    gone = _created(api, "/api/v2/journey/outcomes", BOUGHT)
    api.delete(f"/api/v2/journey/outcomes/{gone['id']}")
    live = api.get(f"/api/v2/journey/segments/{first['id']}").json()
    store = open_store(settings.store_url)
    try:
        before = store.definitions("segment"), store.definitions("outcome")
        rebuild(store, api.clock)
        assert (store.definitions("segment"), store.definitions("outcome")) == before
    finally:
        store.close()
    with TestClient(create_app(settings, clock=api.clock)) as client:
        again = client.get(f"/api/v2/journey/segments/{first['id']}", headers=api.headers)
        assert again.json() == live
        assert again.json()["color"] == "#000000"
        assert again.json()["version"] == 2


def test_a_segment_deleted_while_an_action_map_naming_it_is_created_is_not_left_named(
    api: Api,
) -> None:
    """Two admins race: one deletes a segment, the other creates an action map on it. The
    DELETE's command is queued first (the single writer is busy), then the POST checks its
    references before the DELETE is applied. Whichever wins, no action map may name a segment
    that is gone. (Before, the references were checked in the request only: both were 2xx and
    the map named the deleted segment.)"""
    segment = _created(api, "/api/v2/journey/segments", ABANDONED)
    template = _created(api, "/api/v2/journey/actiontemplates", OFFER)
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    gate = threading.Event()
    busy = threading.Event()

    def hold(_store: Any) -> None:
        busy.set()
        gate.wait(10)

    portal = api.client.portal
    assert portal is not None
    portal.start_task_soon(svc.writer.call, hold)
    assert busy.wait(5)
    answers: dict[str, int] = {}

    def delete() -> None:
        answers["delete"] = api.delete(f"/api/v2/journey/segments/{segment['id']}").status_code

    def create() -> None:
        body = _action_map(segment["id"], template["id"])
        answers["create"] = api.post("/api/v2/journey/actionmaps", body).status_code

    threads = [threading.Thread(target=delete), threading.Thread(target=create)]
    for thread in threads:
        queued = svc.writer._queue.qsize()
        thread.start()
        deadline = time.monotonic() + 5
        while svc.writer._queue.qsize() == queued and time.monotonic() < deadline:
            time.sleep(0.01)  # until its command is queued behind the busy writer
    gate.set()
    for thread in threads:
        thread.join(10)
    assert answers == {"delete": 204, "create": 400}
    assert api.get("/api/v2/journey/actionmaps").json()["total"] == 0
