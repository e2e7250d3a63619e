"""Session reads: the session, its card, its events, listings, roles."""

from __future__ import annotations

import pytest

import sabotage
from builders import T0, Conversation, answered
from conftest import Api, bearer, make_client
from journeyline.clock import iso
from journeyline.core.conversation import session_id_for

INTAKE = "/api/v2/journey/conversationevents"


def answered_call(conversation_id: str = "conv-1", contact: str | None = None) -> Conversation:
    extra = {"conversationExternalContactIds": [contact]} if contact else {}
    return (
        answered(conversation_id, **extra)
        .user_end(200, "u-ann")
        .customer_end(200, "PEER")
        .acw(220, "u-ann", "w-sale")
    )


def session_path(conversation_id: str = "conv-1") -> str:
    return f"/api/v2/journey/sessions/{session_id_for(conversation_id)}"


def test_session_has_the_genesys_fields(api: Api) -> None:
    api.post(INTAKE, answered_call(contact="contact-7").wire)
    session = api.get(session_path()).json()
    # its last event is the newest of the events it lists (oldest first), found independently
    events = api.get(session_path() + "/events").json()["entities"]
    assert [e["createdDate"] for e in events] == [
        iso(T0 + 10_000),
        iso(T0 + 40_000),
        iso(T0 + 200_000),
    ]
    assert len({e["id"] for e in events}) == 3
    newest = events[-1]
    assert newest["conversationEvent"]["eventName"] == "ended"
    assert session == {
        "id": session_id_for("conv-1"),
        "type": "conversation",
        "customerId": "+15551585963",
        "customerIdType": "phone",
        "externalContact": {
            "id": "contact-7",
            "selfUri": "/api/v2/externalcontacts/contacts/contact-7",
        },
        "externalContactVerified": True,
        "identityMatch": {"source": "contactCentre", "verified": True},  # it named the contact
        "conversation": {"id": "conv-1", "selfUri": "/api/v2/conversations/conv-1"},
        "originatingDirection": "Inbound",
        "conversationChannels": [{"type": "Voice", "platform": "Edge"}],
        "lastConnectedQueue": {"id": "q-sales", "selfUri": "/api/v2/routing/queues/q-sales"},
        "lastConnectedUser": {"id": "u-ann", "selfUri": "/api/v2/users/u-ann"},
        "lastUserDisposition": {
            "code": "w-sale",
            "notes": "notes",
            "user": {"id": "u-ann", "selfUri": "/api/v2/users/u-ann"},
        },
        "lastUserDisconnectType": "Client",
        "lastAcdOutcome": "Answered",
        "createdDate": iso(T0),
        "endedDate": iso(T0 + 200_000),
        "durationInSeconds": 200,
        "eventCount": 3,
        "lastEvent": {
            "id": newest["id"],
            "eventName": "ended",
            "createdDate": iso(T0 + 200_000),
        },
        "startTrigger": "InboundCall",
        "selfUri": session_path(),
    }


def test_card_resolves_names_and_shows_unknown_ids_as_ids(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    api.post("/api/v2/routing/queues", {"id": "q-sales", "name": "Sales"})
    api.post("/api/v2/users", {"id": "u-ann", "name": "Ann Agent"})
    card = api.get(session_path() + "/card").json()
    assert card == {
        "customerName": "Unknown",
        "color": "gray",
        "title": "Inbound call",
        "icon": "call",
        "durationInSeconds": 200,
        "queue": {"id": "q-sales", "name": "Sales"},
        "agent": {"id": "u-ann", "name": "Ann Agent"},
        "status": "w-sale",  # no such wrap-up code in the directory: shown as its id
        "wrapupCode": {"id": "w-sale", "name": "w-sale"},
        "customerNameVerified": True,  # the contact made from the caller's own number
        "identityMatch": {
            "source": "contactCentre",
            "verified": True,
            "type": "Phone",
            "value": "+15551585963",
            "claimedDate": iso(T0),
        },
    }
    api.post("/api/v2/routing/wrapupcodes", {"id": "w-sale", "name": "Sale"})
    assert api.get(session_path() + "/card").json()["status"] == "Sale"


def test_live_card_changes_as_events_arrive(api: Api) -> None:
    call = Conversation("live").customer_start(0).acd_start(5, "q-sales")
    api.post(INTAKE, call.wire)
    api.clock.now_ms = T0 + 65_000
    card = api.get(session_path("live") + "/card").json()
    assert (card["color"], card["status"], card["durationInSeconds"]) == ("blue", "Waiting", 65)
    more = Conversation("live").acd_end(70, "q-sales", "ABANDON").customer_end(70)
    api.post(INTAKE, more.wire)
    card = api.get(session_path("live") + "/card").json()
    assert (card["color"], card["status"], card["durationInSeconds"]) == (
        "white",
        "Ended by customer",
        70,
    )


def test_events_are_listed_in_order_with_names_and_paging(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    api.post("/api/v2/routing/queues", {"id": "q-sales", "name": "Sales"})
    first = api.get(session_path() + "/events", params={"pageSize": 2}).json()
    assert [e["conversationEvent"]["eventName"] for e in first["entities"]] == [
        "routed",
        "connected",
    ]
    routed = first["entities"][0]
    assert routed["eventType"] == "ConversationEvent"
    assert routed["customerId"] == "+15551585963"
    assert routed["session"] == {
        "id": session_id_for("conv-1"),
        "type": "conversation",
        "selfUri": session_path(),
    }
    assert routed["conversationEvent"]["streamType"] == "Conversation"
    assert routed["conversationEvent"]["sessionType"] == "conversation"
    assert routed["conversationEvent"]["attributes"]["queue.name"] == {
        "dataType": "String",
        "value": "Sales",
    }
    second = api.get(first["nextUri"]).json()
    assert [e["conversationEvent"]["eventName"] for e in second["entities"]] == ["ended"]
    assert second.get("nextUri") is None
    ended = second["entities"][0]["conversationEvent"]["attributes"]
    assert ended["endedBy"] == {"dataType": "String", "value": "agent"}
    assert ended["talkSeconds"] == {"dataType": "Number", "value": 160}
    assert ended["agent.name"] == {"dataType": "String", "value": "u-ann"}


def test_event_type_filter(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    path = session_path() + "/events"
    only_ended = api.get(path, params={"eventType": "ended"}).json()["entities"]
    assert [e["conversationEvent"]["eventName"] for e in only_ended] == ["ended"]
    everything = api.get(path, params={"eventType": "ConversationEvent"}).json()["entities"]
    assert len(everything) == 3
    assert api.get(path, params={"eventType": "WebEvent"}).json()["entities"] == []
    wrong = api.get(path, params={"eventType": "Bogus"})
    assert wrong.status_code == 400
    assert wrong.json()["details"] == [{"fieldName": "eventType"}]


def test_bad_paging_parameters_are_400s(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    path = session_path() + "/events"
    for params, field in (
        ({"pageSize": 201}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"after": "!!garbage!!"}, "after"),
        ({"after": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5fHg"}, "after"),  # 10^27: out of range
    ):
        response = api.get(path, params=params)
        assert response.status_code == 400, params
        assert response.json()["details"] == [{"fieldName": field}]


def test_unknown_session_is_a_404(api: Api) -> None:
    response = api.get("/api/v2/journey/sessions/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not.found"
    assert api.get("/api/v2/journey/sessions/nope/card").status_code == 404
    assert api.get("/api/v2/journey/sessions/nope/events").status_code == 404


@pytest.mark.parametrize(
    "path",
    [session_path(), f"{session_path()}/events", "/api/v2/journey/sessions?conversationId=conv-1"],
)
def test_a_failing_store_is_a_503(api: Api, path: str) -> None:
    """A read outside any transaction that the database refuses: service.unavailable, not 500."""
    api.post(INTAKE, answered_call().wire)
    sabotage.drop_tables(api.store_url, "session_events", "sessions")
    response = api.get(path)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "service.unavailable"


def test_sessions_by_conversation_id(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    listing = api.get("/api/v2/journey/sessions", params={"conversationId": "conv-1"}).json()
    assert [s["id"] for s in listing["entities"]] == [session_id_for("conv-1")]
    empty = api.get("/api/v2/journey/sessions", params={"conversationId": "other"}).json()
    assert empty["entities"] == []
    api.post(INTAKE, answered_call("conv-2").wire)
    recent = api.get("/api/v2/journey/sessions", params={"pageSize": 1}).json()
    assert len(recent["entities"]) == 1
    following = api.get(recent["nextUri"]).json()
    assert {recent["entities"][0]["id"], following["entities"][0]["id"]} == {
        session_id_for("conv-1"),
        session_id_for("conv-2"),
    }


def test_contact_journey_sessions_newest_first_with_cursor(api: Api) -> None:
    for n in range(5):
        call = answered_call(f"conv-{n}", contact="contact-1")
        for wire in call.wire:
            wire["eventBody"]["eventTime"] += n * 3_600_000
        api.post(INTAKE, call.wire)
    api.post(INTAKE, answered_call("conv-other", contact="contact-2").wire)
    path = "/api/v2/externalcontacts/contacts/contact-1/journey/sessions"
    seen: list[str] = []
    page = api.get(path, params={"pageSize": 2}).json()
    while True:
        seen += [s["conversation"]["id"] for s in page["entities"]]
        if not page.get("nextUri"):
            break
        page = api.get(page["nextUri"]).json()
    assert seen == [f"conv-{n}" for n in reversed(range(5))]


def test_roles(api: Api) -> None:
    api.post(INTAKE, answered_call().wire)
    agent = bearer(api.client, make_client(api.store_url, "agent"))
    ingest = bearer(api.client, make_client(api.store_url, "ingest"))
    assert api.client.get(session_path(), headers=agent).status_code == 200
    assert api.client.post(INTAKE, json=[], headers=agent).status_code == 403
    assert api.client.get(session_path(), headers=ingest).status_code == 403
    accepted = api.client.post(INTAKE, json=answered_call("c2").wire, headers=ingest)
    assert accepted.status_code == 202
    refused = api.client.post("/api/v2/routing/queues", json={"name": "X"}, headers=agent)
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing.permissions"


def test_expired_tokens_are_refused(api: Api) -> None:
    api.clock.advance(86_400 + 1)
    response = api.get("/api/v2/routing/queues")
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_token_endpoint_errors(api: Api) -> None:
    client_id, secret = make_client(api.store_url)
    wrong_grant = api.client.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(client_id, secret)
    )
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    wrong_secret = api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "x")
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    ok = api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).json()
    assert ok["token_type"] == "bearer"
    assert ok["expires_in"] == 86_400
