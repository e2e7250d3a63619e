"""What segments and outcomes show, through the real app: a session's ``segmentAssignments``
and ``outcomeAchievements``, their journey events among the session's own (one cursor over
both), and a contact's assignments on ``/externalcontacts/contacts/{id}/journey/segments``
(listed, assigned and unassigned by an API client, refusals named)."""

from __future__ import annotations

from typing import Any

from builders import web_event
from conftest import Api, bearer, deployment, make_client, send
from journeyline.engine.replay import rebuild
from journeyline.store import open_store

COOKIE = "6f1d3c1e-8a51-4a5e-9d55-0d1c2b3a4f50"
SHOP = "https://shop.example.com"


def _pattern(url: str, count: int) -> dict[str, Any]:
    return {
        "criteria": [{"key": "page.url", "values": [url], "operator": "containsAny"}],
        "count": count,
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


def _define(api: Api, path: str, body: dict[str, Any]) -> str:
    response = api.post(f"/api/v2/journey/{path}", body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _browse(api: Api, *paths: str, start: float = 0) -> str:
    """Page views of ``paths`` one second apart; the session they make."""
    d = deployment(api)
    session_id = ""
    for n, path in enumerate(paths):
        response = send(api, d["id"], web_event(COOKIE, start + n, url=SHOP + path))
        assert response.status_code == 200, response.text
        session_id = response.json()["session"]["id"]
    return session_id


def test_a_session_shows_its_segments_and_outcomes_and_its_journey_lists_them(api: Api) -> None:
    segment = _define(
        api,
        "segments",
        {
            "displayName": "Browses products",
            "color": "#1f77b4",
            "journey": {"patterns": [_pattern("/products/", 2)]},
            "assignmentExpirationDays": 3,
        },
    )
    outcome = _define(
        api,
        "outcomes",
        {"displayName": "Bought", "journey": {"patterns": [_pattern("/thanks", 1)]}},
    )
    session_id = _browse(api, "/", "/products/1", "/products/2", "/thanks")
    session = api.get(f"/api/v2/journey/sessions/{session_id}").json()
    [assigned] = session["segmentAssignments"]
    [achieved] = session["outcomeAchievements"]
    assert assigned["segment"] == {"id": segment}
    assert achieved["outcome"] == {"id": outcome}
    assert assigned["assignedDate"] <= achieved["achievedDate"]

    events = api.get(f"/api/v2/journey/sessions/{session_id}/events?pageSize=200").json()
    kinds = [e["eventType"] for e in events["entities"]]
    assert kinds.count("WebEvent") == 4
    assert kinds.count("SegmentAssignmentEvent") == 1
    assert kinds.count("OutcomeAchievedEvent") == 1
    dates = [e["createdDate"] for e in events["entities"]]
    assert dates == sorted(dates)  # one journey, oldest first
    [shown] = [e for e in events["entities"] if e["eventType"] == "SegmentAssignmentEvent"]
    assert shown["segmentAssignmentEvent"]["segment"] == {
        "id": segment,
        "displayName": "Browses products",
        "version": 1,
        "color": "#1f77b4",
    }
    assert shown["segmentAssignmentEvent"]["assignmentState"] == "Assigned"
    assert "dateForUnassignment" in shown["segmentAssignmentEvent"]
    assert shown["session"]["id"] == session_id
    assert shown["customerId"] == COOKIE

    only = api.get(
        f"/api/v2/journey/sessions/{session_id}/events?eventType=OutcomeAchievedEvent"
    ).json()
    assert [e["outcomeAchievedEvent"]["outcome"]["displayName"] for e in only["entities"]] == [
        "Bought"
    ]
    # one cursor over both kinds: pages of one give every event once, in the same order
    walked: list[str] = []
    path: str | None = f"/api/v2/journey/sessions/{session_id}/events?pageSize=1"
    while path:
        page = api.get(path).json()
        walked += [e["id"] for e in page["entities"]]
        path = page["nextUri"]
    assert walked == [e["id"] for e in events["entities"]]
    bad = api.get(f"/api/v2/journey/sessions/{session_id}/events?eventType=SegmentEvent")
    assert bad.status_code == 400
    assert "SegmentAssignmentEvent" in bad.json()["message"]
    empty = api.get(f"/api/v2/journey/sessions/{session_id}/events?eventType=,")
    assert empty.status_code == 400  # not a listing of nothing
    assert empty.json()["details"] == [{"fieldName": "eventType"}]


def test_a_replay_decides_the_same_assignments_achievements_and_journey_events(
    api: Api,
) -> None:
    _define(
        api,
        "segments",
        {"displayName": "Any product", "journey": {"patterns": [_pattern("/products/", 1)]}},
    )
    _define(
        api,
        "outcomes",
        {"displayName": "Bought", "journey": {"patterns": [_pattern("/thanks", 1)]}},
    )
    _browse(api, "/products/1", "/thanks")
    store = open_store(api.store_url)
    try:
        live = store.snapshot()
        assert live.assignments
        assert live.achievements
        assert len(live.rule_events) == 2
        rebuild(store, api.clock)
        assert store.snapshot() == live
    finally:
        store.close()


def _customer_segment(api: Api, name: str, **fields: Any) -> str:
    body = {
        "displayName": name,
        "scope": "Customer",
        "journey": {"patterns": [_pattern("/never-seen/", 1)]},
        **fields,
    }
    return _define(api, "segments", body)


def _segments_of(api: Api, contact_id: str, query: str = "") -> list[dict[str, Any]]:
    response = api.get(f"/api/v2/externalcontacts/contacts/{contact_id}/journey/segments{query}")
    assert response.status_code == 200, response.text
    entities: list[dict[str, Any]] = response.json()["entities"]
    return entities


def test_an_api_client_assigns_and_unassigns_a_contacts_customer_segments(api: Api) -> None:
    vip = _customer_segment(api, "VIP", assignmentExpirationDays=30)
    loyal = _customer_segment(api, "Loyal")
    session_scoped = _define(
        api,
        "segments",
        {"displayName": "This visit", "journey": {"patterns": [_pattern("/products/", 1)]}},
    )
    session_id = _browse(api, "/products/1")
    contact_id = api.get(f"/api/v2/journey/sessions/{session_id}").json()["externalContact"]["id"]
    [held] = _segments_of(api, contact_id)  # the session segment its visit earned
    assert held["segment"]["id"] == session_scoped
    assert held["session"] == {
        "id": session_id,
        "selfUri": f"/api/v2/journey/sessions/{session_id}",
        "type": "web",
    }

    path = f"/api/v2/externalcontacts/contacts/{contact_id}/journey/segments"
    body = {"assign": {"segments": [{"id": vip}, {"id": loyal}, {"id": session_scoped}]}}
    unknown = {"id": "00000000-0000-0000-0000-000000000000"}
    body["assign"]["segments"].append(unknown)
    answer = api.post(path, body)
    assert answer.status_code == 200, answer.text
    unprocessed = answer.json()["unprocessedItems"]
    assert unprocessed["assign"]["segments"] == [{"id": session_scoped}, unknown]
    assert unprocessed["count"] == 2
    listed = {e["segment"]["id"]: e for e in _segments_of(api, contact_id)}
    assert set(listed) == {vip, loyal, session_scoped}
    assert listed[vip]["externalContact"]["id"] == contact_id
    assert "session" not in listed[vip]  # a customer segment holds for the contact
    assert listed[vip]["dateForUnassignment"] > listed[vip]["dateAssigned"]
    assert "dateForUnassignment" not in listed[loyal]
    assert len(_segments_of(api, contact_id, "?limit=1")) == 1

    api.clock.advance(3600)  # assigning again renews the expiry
    again = api.post(path, {"assign": {"segments": [{"id": vip}]}})
    assert again.json()["unprocessedItems"]["count"] == 0
    renewed = {e["segment"]["id"]: e for e in _segments_of(api, contact_id)}[vip]
    assert renewed["dateAssigned"] == listed[vip]["dateAssigned"]
    assert renewed["dateForUnassignment"] > listed[vip]["dateForUnassignment"]

    gone = api.post(path, {"unassign": {"segments": [{"id": loyal}, {"id": loyal + "x"}]}})
    assert gone.json()["unprocessedItems"]["unassign"]["segments"] == [{"id": loyal + "x"}]
    assert {e["segment"]["id"] for e in _segments_of(api, contact_id)} == {vip, session_scoped}

    store = open_store(api.store_url)
    try:
        live = store.snapshot().assignments
        rebuild(store, api.clock)  # the client's assignments are commands in the log
        assert store.snapshot().assignments == live
    finally:
        store.close()


def test_bad_requests_for_a_contacts_segments_are_refused_by_name(api: Api) -> None:
    session_id = _browse(api, "/")
    contact_id = api.get(f"/api/v2/journey/sessions/{session_id}").json()["externalContact"]["id"]
    path = f"/api/v2/externalcontacts/contacts/{contact_id}/journey/segments"
    eleven = {"assign": {"segments": [{"id": f"s{n}"} for n in range(11)]}}
    cases: list[tuple[str, Any, int, str | None]] = [
        (path, eleven, 400, "assign"),
        (path, {"assign": {"segments": [{"id": 7}]}}, 400, "assign.segments[0].id"),
        (path, {"assign": [], "more": 1}, 400, None),
        (path, b"{not json", 400, None),
        (path.replace(contact_id, "no-such-contact"), {}, 404, "contactId"),
    ]
    for target, body, status, field in cases:
        response = api.post(target, body)
        assert response.status_code == status, (body, response.text)
        if field is not None:
            assert response.json()["details"] == [{"fieldName": field}], response.text
    listing = api.client.get(f"{path}?limit=0", headers=api.headers)
    assert listing.status_code == 400
    assert api.get(f"{path}?includeMerged=maybe").status_code == 400
    reader = make_client(api.store_url, role="agent")

    agent = bearer(api.client, reader)
    assert api.client.get(path, headers=agent).status_code == 200
