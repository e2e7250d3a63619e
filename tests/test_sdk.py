"""The official Genesys Cloud Python SDK (PureCloudPlatformClientV2) against a live server.

journeyline's API is shaped like the Genesys Cloud journey API so that the official SDKs work
against it unchanged. These tests post a real conversation's detail events, then read the session
and its events back with the SDK: it must log in, deserialize every field we send (nothing lost,
no enum value replaced by the SDK's ``outdated_sdk_version`` placeholder), and page with the
``after`` cursor taken from ``nextUri``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PureCloudPlatformClientV2 import (
    ApiClient,
    Configuration,
    EventListing,
    ExternalContactsApi,
    JourneyApi,
    Session,
    SessionListing,
)
from PureCloudPlatformClientV2.rest import ApiException

from conftest import SAMPLES, LiveServer, bearer

FIXTURE = SAMPLES / "inbound-call-answered.jsonl"
CONVERSATION_ID = "1de9ea66-70d3-da1f-c735-df5ef7697fb9"
QUEUE_ID = "8b0c2f7e-queue-sales"
AGENT_ID = "5d1e-agent-1"
STARTED_MS = 1_795_600_000_000  # customer.start
ENDED_MS = 1_795_600_301_000  # customer.end
STARTED = datetime(2026, 11, 25, 9, 46, 40, tzinfo=UTC)
ROUTED = datetime(2026, 11, 25, 9, 46, 52, tzinfo=UTC)  # acd.start
CONNECTED = datetime(2026, 11, 25, 9, 47, 25, tzinfo=UTC)  # user.start
ENDED = datetime(2026, 11, 25, 9, 51, 41, tzinfo=UTC)
CUSTOMER = "+15551585963"  # the ani, in E.164

#: Our extensions of the Genesys shapes (see journeyline.api.wire); the SDK has no field for them.
SESSION_EXTENSIONS = {"startTrigger", "journeyContext", "externalContactVerified", "identityMatch"}
EVENT_EXTENSIONS = {"conversationEvent"}

#: What the SDK puts in an enum field whose value it does not know.
OUTDATED = "outdated_sdk_version"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def fixture_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


def post_events(server: LiveServer, events: list[dict[str, Any]]) -> str:
    """Post detail events with httpx; returns the one session id they landed in."""
    with httpx.Client(base_url=server.base_url) as http:
        headers = bearer(http, server.credentials)
        response = http.post("/api/v2/journey/conversationevents", json=events, headers=headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == len(events), body
    session_ids: set[str] = {entity["session"]["id"] for entity in body["entities"]}
    assert len(session_ids) == 1, body
    return session_ids.pop()


def get_raw(server: LiveServer, path: str, **params: Any) -> dict[str, Any]:
    """The JSON the server sends, to compare with what the SDK made of it."""
    with httpx.Client(base_url=server.base_url) as http:
        response = http.get(path, params=params, headers=bearer(http, server.credentials))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def normalise(value: Any, key: str = "") -> Any:
    """JSON with its ``...Date`` strings parsed, so both sides' date formats compare equal."""
    if isinstance(value, str) and key.endswith("Date"):
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    return value


def assert_round_trip(
    client: ApiClient, model: Any, raw: dict[str, Any], extensions: set[str]
) -> None:
    """Everything the server sent survives the SDK, except our named extensions."""
    kept = normalise(client.sanitize_for_serialization(model))
    assert OUTDATED not in repr(kept), "the SDK did not know an enum value we sent"
    expected = normalise({k: v for k, v in raw.items() if k not in extensions})
    assert kept == expected


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[ApiClient]:
    """An SDK client for the live server, logged in; nothing set on the SDK's global config."""
    config = Configuration()
    host_before, client_before = config.host, config.api_client
    client = ApiClient(host=live_server.base_url)
    # A gateway from ~/.genesyscloudpython/config would redirect every call: not here.
    client.gateway_configuration = None
    client.get_client_credentials_token(*live_server.credentials)
    assert client.access_token
    yield client
    assert (config.host, config.api_client) == (host_before, client_before)


def test_session_read_back_with_the_sdk(live_server: LiveServer, sdk: ApiClient) -> None:
    session_id = post_events(live_server, fixture_events())
    journey = JourneyApi(sdk)

    session = journey.get_journey_session(session_id)

    assert isinstance(session, Session)
    assert session.id == session_id
    assert session.type == "conversation"
    assert (session.customer_id, session.customer_id_type) == (CUSTOMER, "phone")
    assert session.conversation.id == CONVERSATION_ID
    assert session.originating_direction == "Inbound"
    assert session.last_connected_queue.id == QUEUE_ID
    assert session.last_connected_user.id == AGENT_ID
    assert session.last_user_disposition.code == "wrapup-sale"
    assert session.last_user_disposition.notes == "handled"
    assert session.last_user_disposition.user.id == AGENT_ID
    assert session.last_acd_outcome == "Answered"
    assert session.last_user_disconnect_type == "Client"
    assert session.created_date == STARTED
    assert session.ended_date == ENDED
    assert (ms(STARTED), ms(ENDED)) == (STARTED_MS, ENDED_MS)
    assert session.duration_in_seconds == 301
    assert session.event_count == 3
    # the caller's number made a contact of its own: the same one an identifier lookup finds
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.post(
            "/api/v2/externalcontacts/identifierlookup",
            json={"type": "Phone", "value": CUSTOMER},
            headers=bearer(http, live_server.credentials),
        )
    assert response.status_code == 200, response.text
    assert session.external_contact.id == response.json()["id"]
    assert [c.type for c in session.conversation_channels] == ["Voice"]
    assert session.self_uri == f"/api/v2/journey/sessions/{session_id}"
    assert_round_trip(sdk, session, get_raw(live_server, session.self_uri), SESSION_EXTENSIONS)


def test_session_events_with_the_sdk(live_server: LiveServer, sdk: ApiClient) -> None:
    session_id = post_events(live_server, fixture_events())
    journey = JourneyApi(sdk)
    path = f"/api/v2/journey/sessions/{session_id}/events"

    listing = journey.get_journey_session_events(session_id, page_size=25)

    assert isinstance(listing, EventListing)
    assert listing.next_uri is None
    events = listing.entities
    assert [e.event_type for e in events] == ["ConversationEvent"] * 3
    assert {e.session.id for e in events} == {session_id}
    assert {e.session.type for e in events} == {"conversation"}
    assert len({e.id for e in events}) == 3
    assert {(e.customer_id, e.customer_id_type) for e in events} == {(CUSTOMER, "phone")}
    assert [e.created_date for e in events] == [ROUTED, CONNECTED, ENDED]
    # The event names live in our conversationEvent extension, which the SDK's Event drops.
    raw = get_raw(live_server, path, pageSize=25)
    names = [e["conversationEvent"]["eventName"] for e in raw["entities"]]
    assert names == ["routed", "connected", "ended"]
    assert [e["id"] for e in raw["entities"]] == [e.id for e in events]
    session = journey.get_journey_session(session_id)
    assert session.last_event.id == events[-1].id
    assert session.last_event.event_name == "ended"
    assert session.last_event.created_date == ENDED
    for event, sent in zip(events, raw["entities"], strict=True):
        assert_round_trip(sdk, event, sent, EVENT_EXTENSIONS)

    # Two pages of two, the cursor taken from nextUri as a Genesys client does.
    first = journey.get_journey_session_events(session_id, page_size=2)
    assert len(first.entities) == 2
    assert first.next_uri
    next_uri = urlsplit(first.next_uri)
    assert next_uri.path == path
    query = parse_qs(next_uri.query)
    assert query["pageSize"] == ["2"]
    second = journey.get_journey_session_events(session_id, page_size=2, after=query["after"][0])
    assert len(second.entities) == 1
    assert second.next_uri is None
    assert [e.id for e in first.entities + second.entities] == [e.id for e in events]


def contact_events(conversation_id: str, contact_id: str, start_ms: int) -> list[dict[str, Any]]:
    """A short abandoned inbound call from a known external contact."""
    common = {
        "conversationId": conversation_id,
        "mediaType": "VOICE",
        "direction": "INBOUND",
        "provider": "Edge",
        "ani": "tel:+15551230000",
        "dnis": "tel:+18005550100",
        "conversationExternalContactIds": [contact_id],
    }
    customer = {**common, "participantId": "c0ffee00-0000-4000-8000-000000000001"}
    acd = {
        **common,
        "participantId": "c0ffee00-0000-4000-8000-000000000002",
        "queueId": QUEUE_ID,
    }
    bodies = [
        ("customer.start", {**customer, "eventTime": start_ms}),
        ("acd.start", {**acd, "eventTime": start_ms + 5_000}),
        (
            "acd.end",
            {
                **acd,
                "eventTime": start_ms + 20_000,
                "acdOutcome": "ABANDON",
                "disconnectType": "PEER",
            },
        ),
        ("customer.end", {**customer, "eventTime": start_ms + 20_000, "disconnectType": "CLIENT"}),
    ]
    return [
        {
            "topicName": f"v2.detail.events.conversation.{conversation_id}.{topic}",
            "version": "2",
            "eventBody": body,
        }
        for topic, body in bodies
    ]


def test_contact_sessions_with_the_sdk(live_server: LiveServer, sdk: ApiClient) -> None:
    contact_id = "7e1c0a55-0000-4000-8000-0000000000ec"
    first_id = post_events(
        live_server,
        contact_events("c0ffee00-aaaa-4000-8000-000000000001", contact_id, ms(STARTED)),
    )
    second_id = post_events(
        live_server,
        contact_events("c0ffee00-bbbb-4000-8000-000000000002", contact_id, ms(ENDED)),
    )
    post_events(live_server, fixture_events())  # a session of nobody's contact
    journey = JourneyApi(sdk)

    listing = journey.get_externalcontacts_contact_journey_sessions(contact_id, page_size=25)

    assert isinstance(listing, SessionListing)
    assert {(s.id, s.created_date) for s in listing.entities} == {
        (first_id, STARTED),
        (second_id, ENDED),
    }
    for session in listing.entities:
        assert session.external_contact.id == contact_id
        assert session.type == "conversation"
        assert session.originating_direction == "Inbound"
        assert session.last_connected_queue.id == QUEUE_ID
        assert session.last_connected_user is None
        assert session.last_acd_outcome == "Abandon"
        assert session.duration_in_seconds == 20
    raw = get_raw(live_server, f"/api/v2/externalcontacts/contacts/{contact_id}/journey/sessions")
    for session, sent in zip(listing.entities, raw["entities"], strict=True):
        assert_round_trip(sdk, session, sent, SESSION_EXTENSIONS)

    # One session a page, the cursor taken from nextUri.
    page = journey.get_externalcontacts_contact_journey_sessions(contact_id, page_size=1)
    assert len(page.entities) == 1
    after = parse_qs(urlsplit(page.next_uri).query)["after"][0]
    rest = journey.get_externalcontacts_contact_journey_sessions(
        contact_id, page_size=1, after=after
    )
    assert len(rest.entities) == 1
    assert rest.next_uri is None
    assert {page.entities[0].id, rest.entities[0].id} == {first_id, second_id}

    nobody = journey.get_externalcontacts_contact_journey_sessions("no-such-contact")
    assert nobody.entities == []


def test_wrong_secret_is_refused(live_server: LiveServer) -> None:
    client_id, _ = live_server.credentials
    client = ApiClient(host=live_server.base_url)
    client.gateway_configuration = None
    with pytest.raises(ApiException) as failure:
        client.get_client_credentials_token(client_id, "not-the-secret")
    assert failure.value.status == 401
    assert json.loads(failure.value.body)["error"] == "invalid_client"
    assert client.access_token == ""


def test_no_token_is_401(live_server: LiveServer) -> None:
    session_id = post_events(live_server, fixture_events())
    client = ApiClient(host=live_server.base_url)
    client.gateway_configuration = None
    journey = JourneyApi(client)
    for read in (journey.get_journey_session, journey.get_journey_session_events):
        with pytest.raises(ApiException) as failure:
            read(session_id)
        assert failure.value.status == 401
        body = json.loads(failure.value.body)
        assert body["status"] == 401
        assert body["code"] == "authentication.required"


def test_unknown_session_is_404(live_server: LiveServer, sdk: ApiClient) -> None:
    with pytest.raises(ApiException) as failure:
        JourneyApi(sdk).get_journey_session("no-such-session")
    assert failure.value.status == 404


def _ended_with(media_type: str) -> dict[str, Any]:
    return {
        "criteria": [{"key": "mediaType", "values": [media_type], "operator": "equal"}],
        "count": 1,
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": "ended",
    }


def test_segments_and_outcomes_with_the_sdk(live_server: LiveServer, sdk: ApiClient) -> None:
    """Definitions made and read with the SDK; what they decide read back with it: the
    session's segment assignments and outcome achievements, their journey events, and a
    contact's segments assigned and listed through ExternalContactsApi."""
    journey = JourneyApi(sdk)
    segment = journey.post_journey_segments(
        body={
            "displayName": "Calls",
            "color": "#2a4fd6",
            "journey": {"patterns": [_ended_with("Voice")]},
        }
    )
    assert segment.id
    assert segment.version == 1
    raw = get_raw(live_server, f"/api/v2/journey/segments/{segment.id}")
    assert_round_trip(sdk, journey.get_journey_segment(segment.id), raw, set())
    with pytest.warns(DeprecationWarning, match="post_journey_outcomes"):  # Genesys deprecates
        outcome = journey.post_journey_outcomes(  # outcomes; they work all the same
            body={"displayName": "Served", "journey": {"patterns": [_ended_with("Voice")]}}
        )
    patched = journey.patch_journey_segment(
        segment.id, body={"version": 1, "description": "every voice call"}
    )
    assert (patched.version, patched.description) == (2, "every voice call")
    listed = journey.get_journey_segments(page_size=10)
    assert [s.id for s in listed.entities] == [segment.id]

    session_id = post_events(live_server, fixture_events())  # a voice call that ends
    session = journey.get_journey_session(session_id)
    assert [a.segment.id for a in session.segment_assignments] == [segment.id]
    assert [a.outcome.id for a in session.outcome_achievements] == [outcome.id]
    events = journey.get_journey_session_events(
        session_id, event_type="SegmentAssignmentEvent,OutcomeAchievedEvent"
    ).entities
    assert {e.event_type for e in events} == {"SegmentAssignmentEvent", "OutcomeAchievedEvent"}
    for e in events:
        if e.event_type == "SegmentAssignmentEvent":
            assert e.segment_assignment_event.segment.id == segment.id
        else:
            assert e.outcome_achieved_event.outcome.id == outcome.id
        assert e.session.id == session_id

    vip = journey.post_journey_segments(
        body={
            "displayName": "VIP",
            "scope": "Customer",
            "assignmentExpirationDays": 30,
            "journey": {"patterns": [_ended_with("Fax")]},
        }
    )
    with httpx.Client(base_url=live_server.base_url) as http:
        made = http.post(
            "/api/v2/externalcontacts/contacts",
            json={"firstName": "Ada", "lastName": "Lovelace"},
            headers=bearer(http, live_server.credentials),
        )
    contact_id = made.json()["id"]
    contacts = ExternalContactsApi(sdk)
    answer = contacts.post_externalcontacts_contact_journey_segments(
        contact_id, body={"assign": {"segments": [{"id": vip.id}, {"id": segment.id}]}}
    )
    assert [s.id for s in answer.unprocessed_items.assign.segments] == [segment.id]  # a session one
    assert answer.unprocessed_items.count == 1
    held = contacts.get_externalcontacts_contact_journey_segments(contact_id, limit=10)
    [assignment] = held.entities
    assert assignment.segment.id == vip.id
    assert assignment.external_contact.id == contact_id
    assert assignment.date_for_unassignment > assignment.date_assigned
