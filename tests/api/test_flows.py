"""Flows over HTTP: registration, validation, the SSRF rules, rotation, dead letters and replay,
through the ASGI app on a real SQLite file (and a real receiver on 127.0.0.1 for the replay)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from conftest import Api, FakeClock, bearer, flows_api, make_client
from flow_receiver import running_receiver
from journeyline.model.flows import Delivery
from journeyline.store import open_store

PUBLIC = "https://93.184.216.34/hooks/journeyline"  # a literal public address: no DNS needed


def patch(api: Api, path: str, body: Any) -> Any:
    return api.client.patch(path, json=body, headers=api.headers)


def test_register_read_change_and_delete_a_flow(api: Api) -> None:
    created = api.post("/api/v2/flows", {"name": " Orders ", "url": PUBLIC, "description": "d"})
    assert created.status_code == 200, created.text
    flow = created.json()
    secret = flow.pop("secret")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert flow == {
        "id": flow["id"],
        "name": "Orders",
        "url": PUBLIC,
        "description": "d",
        "dateCreated": flow["dateCreated"],
        "dateModified": flow["dateModified"],
        "selfUri": f"/api/v2/flows/{flow['id']}",
    }
    path = flow["selfUri"]
    assert api.get(path).json() == flow  # never the secret again

    changed = patch(api, path, {"name": "Orders v2"}).json()
    assert (changed["name"], changed["url"], changed["description"]) == ("Orders v2", PUBLIC, "d")
    replaced = api.put(path, {"name": "Orders", "url": PUBLIC.replace("hooks", "in")}).json()
    assert (replaced["url"], replaced.get("description")) == (PUBLIC.replace("hooks", "in"), None)

    api.post("/api/v2/flows", {"name": "Another", "url": PUBLIC})
    listing = api.get("/api/v2/flows", params={"pageSize": 1}).json()
    assert [e["name"] for e in listing["entities"]] == ["Another"]
    assert (listing["total"], listing["pageCount"], listing["pageNumber"]) == (2, 2, 1)
    assert listing["nextUri"] == "/api/v2/flows?pageSize=1&pageNumber=2"
    for read in (listing, api.get(path).json(), api.get("/api/v2/flows").json()):
        assert secret not in json.dumps(read)
        assert "secret" not in json.dumps(read)

    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404


def test_rotation_issues_a_new_secret(api: Api) -> None:
    flow = api.post("/api/v2/flows", {"name": "Orders", "url": PUBLIC}).json()
    rotated = api.post(f"{flow['selfUri']}/secret", {})
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != flow["secret"]
    store = open_store(api.store_url)
    try:
        assert store.flow_secret(flow["id"]) == new  # the old one signs no more
    finally:
        store.close()
    missing = api.post("/api/v2/flows/nothing/secret", {})
    assert missing.status_code == 404
    assert missing.json()["code"] == "not.found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": PUBLIC}, "name"),
        ({"name": "Orders"}, "url"),
        ({"name": "", "url": PUBLIC}, "name"),
        ({"name": "x" * 257, "url": PUBLIC}, "name"),
        ({"name": 5, "url": PUBLIC}, "name"),
        ({"name": "Orders", "url": ["x"]}, "url"),
        ({"name": "Orders", "url": PUBLIC, "description": "d" * 1025}, "description"),
        ({"name": "Orders", "url": "not a url"}, "url"),
        ({"name": "Orders", "url": "https://u:p@93.184.216.34/"}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api: Api, body: Any, field: str) -> None:
    answer = api.post("/api/v2/flows", body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert (error["code"], error["status"]) == ("bad.request", 400)
    assert error["details"] == [{"fieldName": field}]


def test_malformed_json_is_a_400(api: Api) -> None:
    answer = api.post("/api/v2/flows", b"{nope")
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("malformed JSON")


SSRF = [
    "http://127.0.0.1:8080/hook",
    "http://10.0.0.1/hook",
    "http://192.168.1.20/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://localhost:8080/hook",
    "ftp://93.184.216.34/hook",
    "http:///hook",
    "https://",
]


def test_private_targets_and_other_schemes_are_refused(api: Api) -> None:
    """One app for the whole table (each case alone is in tests/engine/test_targets.py)."""
    flow = api.post("/api/v2/flows", {"name": "Outside", "url": PUBLIC}).json()
    for url in SSRF:
        answer = api.post("/api/v2/flows", {"name": "Inside", "url": url})
        assert answer.status_code == 400, (url, answer.text)
        assert answer.json()["details"] == [{"fieldName": "url"}], url
        changed = patch(api, flow["selfUri"], {"url": url})
        assert changed.status_code == 400, url  # a change is checked as a registration is
    assert api.get(flow["selfUri"]).json()["url"] == PUBLIC
    assert api.get("/api/v2/flows").json()["total"] == 1


def test_the_setting_allows_private_targets_but_still_wants_http_and_a_host(
    store_url: str, clock: FakeClock
) -> None:
    with flows_api(store_url, clock, flows_allow_private=True) as api:
        for url in SSRF[:6]:
            answer = api.post("/api/v2/flows", {"name": "Inside", "url": url})
            assert answer.status_code == 200, (url, answer.text)
            assert answer.json()["url"] == url
        for url in SSRF[6:]:
            answer = api.post("/api/v2/flows", {"name": "Inside", "url": url})
            assert answer.status_code == 400, url


def test_flows_are_for_admins_only(api: Api) -> None:
    agent = bearer(api.client, make_client(api.store_url, "agent"))
    for method, path in [
        ("GET", "/api/v2/flows"),
        ("POST", "/api/v2/flows"),
        ("GET", "/api/v2/flows/x"),
        ("POST", "/api/v2/flows/x/secret"),
        ("GET", "/api/v2/flows/deadletters"),
        ("POST", "/api/v2/flows/deadletters/x/replay"),
    ]:
        answer = api.client.request(method, path, headers=agent)
        assert answer.status_code == 403, (method, path)


def test_dead_letters_are_listed_and_replayed_to_the_receiver(
    store_url: str, clock: FakeClock
) -> None:
    with (
        running_receiver() as receiver,
        flows_api(store_url, clock, flows_allow_private=True) as api,
    ):
        flow = api.post("/api/v2/flows", {"name": "Orders", "url": receiver.url}).json()
        store = open_store(store_url)
        try:
            with store.transaction():
                for n, at in ((1, clock() - 5000), (2, clock() - 1000)):
                    store.outbox_put(
                        Delivery(
                            f"msg_{n}",
                            flow["id"],
                            b'{"order": %d}' % n,
                            clock() - 9000,
                            clock(),
                            12,
                            "dead",
                            500,
                            "HTTP 500 (gave up after 12 tries)",
                            at,
                        )
                    )
            listing = api.get("/api/v2/flows/deadletters").json()
            assert listing["total"] == 2
            newest = listing["entities"][0]
            assert newest == {
                "id": "msg_2",
                "flow": {"id": flow["id"], "name": "Orders", "selfUri": flow["selfUri"]},
                "state": "dead",
                "attempts": 12,
                "lastStatus": 500,
                "lastError": "HTTP 500 (gave up after 12 tries)",
                "dateCreated": newest["dateCreated"],
                "dateLastAttempt": newest["dateLastAttempt"],
                "body": {"order": 2},
                "selfUri": "/api/v2/flows/deadletters/msg_2",
            }
            assert [e["id"] for e in listing["entities"]] == ["msg_2", "msg_1"]

            replayed = api.post("/api/v2/flows/deadletters/msg_2/replay", {})
            assert replayed.status_code == 200, replayed.text
            assert (replayed.json()["state"], replayed.json()["attempts"]) == ("pending", 0)
            receiver.wait_for(1)  # the worker was woken: no need to wait for its check
            assert receiver.ids() == ["msg_2"]
            signed = receiver.received[0].headers  # under the app's (fake, past) clock
            when = datetime.fromtimestamp(int(signed["webhook-timestamp"]), UTC)
            expected = Webhook(flow["secret"]).sign("msg_2", when, '{"order": 2}')
            assert signed["webhook-signature"] == expected
            assert [e["id"] for e in api.get("/api/v2/flows/deadletters").json()["entities"]] == [
                "msg_1"
            ]
            again = api.post("/api/v2/flows/deadletters/msg_2/replay", {})
            assert again.status_code == 404  # no longer a dead letter
            assert api.post("/api/v2/flows/deadletters/nothing/replay", {}).status_code == 404
        finally:
            store.close()


def test_a_flow_an_action_map_names_cannot_be_deleted_before_the_map(api: Api) -> None:
    flow = api.post("/api/v2/flows", {"name": "Call back", "url": PUBLIC}).json()
    action_map = api.post(
        "/api/v2/journey/actionmaps",
        {
            "displayName": "Call back after a page",
            "triggerWithEventConditions": [
                {
                    "key": "page.url",
                    "values": ["/cart"],
                    "operator": "containsAll",
                    "streamType": "Web",
                    "sessionType": "web",
                    "eventName": "page_viewed",
                }
            ],
            "action": {
                "mediaType": "architectFlow",
                "architectFlowFields": {"architectFlow": {"id": flow["id"]}},
            },
        },
    )
    assert action_map.status_code == 200, action_map.text
    refused = api.delete(flow["selfUri"])
    assert refused.status_code == 409
    assert action_map.json()["id"] in refused.json()["message"]
    assert api.get(flow["selfUri"]).status_code == 200  # still there
    assert api.delete(f"/api/v2/journey/actionmaps/{action_map.json()['id']}").status_code == 204
    assert api.delete(flow["selfUri"]).status_code == 204
