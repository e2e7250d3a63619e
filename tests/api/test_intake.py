"""POST /api/v2/journey/conversationevents through the ASGI app on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import Conversation
from conftest import SAMPLES, Api
from journeyline.clock import iso
from journeyline.core.conversation import session_id_for
from journeyline.store import Store

PATH = "/api/v2/journey/conversationevents"
SAMPLE = [
    json.loads(line) for line in (SAMPLES / "inbound-call-answered.jsonl").read_text().splitlines()
]
CONVERSATION_ID = SAMPLE[0]["eventBody"]["conversationId"]


def test_a_batch_is_accepted_and_builds_the_session(api: Api) -> None:
    response = api.post(PATH, SAMPLE)
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (len(SAMPLE), 0, 0)
    session_id = session_id_for(CONVERSATION_ID)
    assert {e["session"]["id"] for e in body["entities"]} == {session_id}
    assert [e["index"] for e in body["entities"]] == list(range(len(SAMPLE)))
    session = api.get(f"/api/v2/journey/sessions/{session_id}").json()
    assert session["eventCount"] == 3
    assert session["lastUserDisposition"]["code"] == "wrapup-sale"


def test_a_single_object_is_accepted(api: Api) -> None:
    response = api.post(PATH, SAMPLE[0])
    assert response.status_code == 202
    assert response.json()["entities"][0]["status"] == "accepted"


def test_the_same_event_twice_is_a_duplicate_and_changes_nothing(api: Api) -> None:
    api.post(PATH, SAMPLE)
    session_id = session_id_for(CONVERSATION_ID)
    before = api.get(f"/api/v2/journey/sessions/{session_id}").json()
    again = api.post(PATH, [SAMPLE[3], SAMPLE[3]]).json()
    assert [e["status"] for e in again["entities"]] == ["duplicate", "duplicate"]
    assert api.get(f"/api/v2/journey/sessions/{session_id}").json() == before
    # key order and whitespace do not make an event new
    reordered = json.dumps(dict(reversed(list(SAMPLE[3].items()))), indent=3).encode()
    assert api.post(PATH, reordered).json()["entities"][0]["status"] == "duplicate"


def test_reverse_order_gives_the_same_session(api: Api) -> None:
    api.post(PATH, list(reversed(SAMPLE)))
    reversed_session = api.get(f"/api/v2/journey/sessions/{session_id_for(CONVERSATION_ID)}")
    card = api.get(f"/api/v2/journey/sessions/{session_id_for(CONVERSATION_ID)}/card").json()
    assert reversed_session.json()["endedDate"] == iso(SAMPLE[-1]["eventBody"]["eventTime"])
    assert (card["color"], card["status"]) == ("gray", "wrapup-sale")


# (body, a part of the message, the one field the details name; None: the details are empty)
BAD: list[tuple[bytes, str, str | None]] = [
    (b"{not json", "malformed JSON", None),
    (b"42", "an event object or an array", None),
    (b"[]", "empty", None),
    (
        json.dumps({"eventBody": {"eventTime": 1, "conversationId": "c1"}}).encode(),
        "required field is missing",
        "topicName",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.dance",
                "eventBody": {"eventTime": 1, "conversationId": "c1"},
            }
        ).encode(),
        "unknown topic 'dance'",
        "topicName",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.acd.start",
                "eventBody": {"eventTime": "soon", "conversationId": "c1"},
            }
        ).encode(),
        "Expected `int`, got `str`",
        "eventBody.eventTime",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.acd.start",
                "eventBody": {"eventTime": 5},
            }
        ).encode(),
        "required field is missing",
        "eventBody.conversationId",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.acd.start",
                "eventBody": {"eventTime": 5, "conversationId": "c2"},
            }
        ).encode(),
        "does not match",
        "eventBody.conversationId",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.acd.end",
                "eventBody": {"eventTime": 1, "conversationId": "c1", "acdOutcome": "ABANDONED"},
            }
        ).encode(),
        "'ABANDONED' is not one of",
        "eventBody.acdOutcome",
    ),
    (
        json.dumps(
            {
                "topicName": "v2.detail.events.conversation.c1.acd.start",
                "eventBody": {"eventTime": -1, "conversationId": "c1"},
            }
        ).encode(),
        "Expected `int` >= 0",
        "eventBody.eventTime",
    ),
]


@pytest.mark.parametrize(("body", "message", "field"), BAD)
def test_bad_input_is_a_400_naming_the_field(
    api: Api, body: bytes, message: str, field: str | None
) -> None:
    response = api.post(PATH, body)
    assert response.status_code == 400
    error = response.json()
    assert (error["status"], error["code"]) == (400, "bad.request")
    assert message in error["message"]
    # a body that is not an event at all names no field: the details say so, empty
    assert error["details"] == ([] if field is None else [{"fieldName": field}])


def test_a_batch_with_bad_items_keeps_the_good_ones(api: Api, store: Store) -> None:
    bad = {
        "topicName": "v2.detail.events.conversation.c9.acd.start",
        "eventBody": {"eventTime": "x"},
    }
    response = api.post(PATH, [SAMPLE[0], bad, SAMPLE[1]])
    assert response.status_code == 202
    entities = response.json()["entities"]
    assert [e["status"] for e in entities] == ["accepted", "rejected", "accepted"]
    assert entities[1]["field"] == "eventBody.eventTime"
    assert entities[1]["index"] == 1
    assert store.log_count() == 2


def test_oversized_bodies_are_refused(api: Api) -> None:
    huge = b"[" + b" " * (3 * 1024 * 1024) + b"]"
    response = api.post(PATH, huge)
    assert response.status_code == 413
    assert response.json()["code"] == "request.entity.too.large"


def test_too_many_items_are_refused(api: Api) -> None:
    events = Conversation("many")
    for second in range(1001):
        events.add("attributes", second, "customer")
    response = api.post(PATH, events.wire)
    assert response.status_code == 400
    assert "at most 1000" in response.json()["message"]


def test_intake_needs_a_token_with_the_right_role(api: Api, tmp_path: Path) -> None:
    no_token = api.client.post(PATH, json=SAMPLE[0])
    assert no_token.status_code == 401
    assert no_token.json()["code"] == "authentication.required"
    wrong = api.client.post(PATH, json=SAMPLE[0], headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
