"""Action maps on conversation events, end to end: a call abandoned in the Sales queue after
waiting more than 60 s fires a signed flow with the mapped fields; other calls do not. Through
the real app, store, writer and delivery worker, to a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
import time

from builders import Conversation, answered, web_event
from conftest import FakeClock, flows_api
from flow_receiver import running_receiver
from journeyline.demo.rules import ended_condition
from journeyline.engine.replay import rebuild
from journeyline.store import open_store

EVENTS = "/api/v2/journey/conversationevents"


def _abandoned(conversation_id: str, wait: float, queue: str = "q-sales") -> Conversation:
    return (
        Conversation(conversation_id)
        .customer_start(0)
        .acd_start(10, queue)
        .acd_end(10 + wait, queue, "ABANDON")
        .customer_end(10 + wait, "CLIENT")
    )


CALL_BACK = {
    "displayName": "Call back abandoned Sales callers",
    "triggerWithEventConditions": [
        ended_condition("queue.name", "Sales"),
        ended_condition("endedBy", "customer"),
        ended_condition("waitSeconds", "60", "greaterThan"),
    ],
    "activation": {"type": "immediate"},
    "action": {
        "mediaType": "architectFlow",
        "architectFlowFields": {
            "architectFlow": {"id": "FLOW"},
            "flowRequestMappings": [
                {
                    "name": "waited",
                    "attributeType": "Number",
                    "mappingType": "Lookup",
                    "value": "waitSeconds",
                },
                {
                    "name": "queue",
                    "attributeType": "String",
                    "mappingType": "Lookup",
                    "value": "queue.name",
                },
                {
                    "name": "reason",
                    "attributeType": "String",
                    "mappingType": "HardCoded",
                    "value": "abandoned",
                },
            ],
        },
    },
}


def test_an_abandoned_sales_call_fires_a_signed_flow_and_other_calls_do_not(
    store_url: str, clock: FakeClock
) -> None:
    clock.now_ms = int(time.time() * 1000)  # receivers refuse signatures five minutes off
    with (
        running_receiver() as receiver,
        flows_api(store_url, clock, flows_allow_private=True) as api,
    ):
        for queue_id, name in (("q-sales", "Sales"), ("q-support", "Support")):
            assert (
                api.post("/api/v2/routing/queues", {"id": queue_id, "name": name}).status_code
                == 200
            )
        flow = api.post("/api/v2/flows", {"name": "Call back", "url": receiver.url}).json()
        unknown = api.post("/api/v2/journey/actionmaps", CALL_BACK)  # names flow "FLOW"
        assert unknown.status_code == 400
        assert unknown.json()["details"] == [
            {"fieldName": "action.architectFlowFields.architectFlow.id"}
        ]
        body = json.loads(json.dumps(CALL_BACK).replace("FLOW", flow["id"]))
        action_map = api.post("/api/v2/journey/actionmaps", body)
        assert action_map.status_code == 200, action_map.text
        calls = [
            _abandoned("conv-fires", 90),  # Sales, 90 s: fires
            _abandoned("conv-short", 30),  # Sales, but only 30 s
            _abandoned("conv-support", 90, "q-support"),  # 90 s, but Support
            answered("conv-answered").user_end(200, "u-ann").customer_end(200, "PEER"),
        ]
        for call in calls:
            response = api.post(EVENTS, call.wire)
            assert response.status_code == 202, response.text
        receiver.wait_for(1)
        store = open_store(store_url)
        try:  # the actions are decided with the events, before the 202: none for the others
            for call in calls:
                found = api.get("/api/v2/journey/sessions", params={"conversationId": call.id})
                actions = store.actions_of(found.json()["entities"][0]["id"])
                assert len(actions) == (1 if call.id == "conv-fires" else 0), call.id
        finally:
            store.close()
        [got] = receiver.received
        assert got.verifies(flow["secret"])
        payload = json.loads(got.body)
        assert payload["inputs"] == {"waited": 90.0, "queue": "Sales", "reason": "abandoned"}
        assert payload["actionMap"]["id"] == action_map.json()["id"]
        assert payload["event"]["eventName"] == "ended"
        session = api.get("/api/v2/journey/sessions", params={"conversationId": "conv-fires"})
        assert payload["session"]["id"] == session.json()["entities"][0]["id"]
        delivered_id = got.id
    store = open_store(store_url)
    try:
        before = store.outbox_get(delivered_id)
        assert before is not None
        assert before.state == "delivered"
        rebuild(store, clock)  # a replay decides the same, and queues nothing new
        after = store.outbox_get(delivered_id)
        assert after == before
        assert store.outbox_due(clock() + 10**9, limit=10) == []
    finally:
        store.close()


def test_a_lookup_that_overflows_its_attribute_type_maps_to_null_not_a_500(
    store_url: str, clock: FakeClock
) -> None:
    """A visitor's own attribute ``"1e999"`` looked up as an ``Integer``: the input is null
    and the event is taken. (Before, ``int(float("1e999"))`` raised OverflowError in the writer:
    a 500, for this event and every other one committed with it.)"""
    clock.now_ms = int(time.time() * 1000)
    with flows_api(store_url, clock, flows_allow_private=True) as api:
        flow = api.post("/api/v2/flows", {"name": "Count", "url": "http://127.0.0.1:9/hook"})
        assert flow.status_code == 200, flow.text
        body = {
            "displayName": "Big numbers",
            "triggerWithEventConditions": [
                {
                    "key": "page.url",
                    "values": ["/cart"],
                    "operator": "containsAny",
                    "streamType": "Web",
                    "sessionType": "web",
                    "eventName": "page_viewed",
                }
            ],
            "action": {
                "mediaType": "architectFlow",
                "architectFlowFields": {
                    "architectFlow": {"id": flow.json()["id"]},
                    "flowRequestMappings": [
                        {
                            "name": "big",
                            "attributeType": "Integer",
                            "mappingType": "Lookup",
                            "value": "attributes.big",
                        }
                    ],
                },
            },
        }
        assert api.post("/api/v2/journey/actionmaps", body).status_code == 200
        deployment = api.post(
            "/api/v2/webdeployments/deployments", {"name": "Shop", "allowAllDomains": True}
        ).json()["id"]
        event = web_event(
            "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10",
            0,
            url="https://shop.example.com/cart",
            now_ms=clock(),
            attributes={"big": {"dataType": "string", "value": "1e999"}},
        )
        response = api.post(f"/api/v2/journey/deployments/{deployment}/webevents", event)
        assert response.status_code == 200, response.text
        store = open_store(store_url)
        try:
            [action] = store.actions_of(response.json()["session"]["id"])
            delivery = store.outbox_get(json.loads(action.doc)["deliveryId"])
            assert delivery is not None
            assert json.loads(delivery.body)["inputs"] == {"big": None}
        finally:
            store.close()
