"""Tests for the deterministic demo contact-centre day (journeyline.demo)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from journeyline.demo.day import (
    ACTIVE_SCENARIOS,
    NOW_OFFSET_MS,
    OPEN_OFFSET_MS,
    SCENARIOS,
    DemoDay,
    DirectoryEntry,
    demo_day,
    demo_directory,
    scenario_events,
)

DAY = 1_795_564_800_000  # a midnight, in epoch ms
DAY_MS = 86_400_000
TOPICS = {
    "customer.start", "customer.end", "acd.start", "acd.end", "user.start", "user.end", "acw",
    "wrapup", "outbound", "flow.start", "flow.end", "voicemail.start", "voicemail.end",
    "contact", "attributes",
}  # fmt: skip
COMMON = ("eventTime", "conversationId", "participantId", "sessionId", "mediaType", "direction",
          "provider")  # fmt: skip
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
E164 = re.compile(r"^tel:\+1\d{10}$")


@pytest.fixture(scope="module")
def day() -> DemoDay:
    return demo_day(day_start_ms=DAY)


def topic(event: dict[str, Any]) -> str:
    prefix = f"v2.detail.events.conversation.{event['eventBody']['conversationId']}."
    name: str = event["topicName"]
    assert name.startswith(prefix)
    return name[len(prefix) :]


def by_conversation(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        grouped[event["eventBody"]["conversationId"]].append(event)
    return grouped


def unique(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events without delivery duplicates, in event-time order."""
    seen: dict[str, dict[str, Any]] = {}
    for event in events:
        seen.setdefault(json.dumps(event, sort_keys=True), event)
    return sorted(seen.values(), key=lambda e: int(e["eventBody"]["eventTime"]))


def one(day: DemoDay, scenario: str) -> list[dict[str, Any]]:
    """The (deduplicated, time-ordered) events of the first conversation of ``scenario``."""
    cid = next(c for c, name in day.conversations.items() if name == scenario)
    return unique([e for e in day.events if e["eventBody"]["conversationId"] == cid])


def topics(events: list[dict[str, Any]]) -> list[str]:
    return [topic(e) for e in events]


def events_of(scenario: str, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    directory = demo_directory(rng)
    cid = "00000000-0000-4000-8000-000000000001"
    return scenario_events(
        scenario, conversation_id=cid, start_ms=DAY + 10 * 3_600_000, rng=rng, directory=directory
    )


def test_same_seed_same_day() -> None:
    assert demo_day(day_start_ms=DAY, seed=3) == demo_day(day_start_ms=DAY, seed=3)


def test_other_seed_other_day(day: DemoDay) -> None:
    assert demo_day(day_start_ms=DAY, seed=8).events != day.events


def test_every_scenario_present_and_sizes(day: DemoDay) -> None:
    counts = Counter(day.conversations.values())
    assert set(counts) == set(SCENARIOS)
    assert len(SCENARIOS) == 14
    assert len(day.conversations) == 120
    assert counts["inbound_answered"] == max(counts.values())
    assert set(by_conversation(day.events)) == set(day.conversations)


def test_every_scenario_with_the_minimum_count() -> None:
    small = demo_day(day_start_ms=DAY, conversations=len(SCENARIOS))
    assert sorted(small.conversations.values()) == sorted(SCENARIOS)
    with pytest.raises(ValueError, match="at least"):
        demo_day(day_start_ms=DAY, conversations=len(SCENARIOS) - 1)


def test_directory(day: DemoDay) -> None:
    kinds = Counter(entry.kind for entry in day.directory)
    assert kinds == {"queue": 4, "user": 8, "wrapupcode": 6}
    assert all(UUID4.match(entry.id) for entry in day.directory)
    assert len({entry.id for entry in day.directory}) == len(day.directory)
    codes = {e.name for e in day.directory if e.kind == "wrapupcode"}
    assert {"Sale", "Resolved", "No answer", "Voicemail left"} <= codes


def test_wire_shape(day: DemoDay) -> None:
    for event in day.events:
        assert set(event) == {"topicName", "version", "eventBody"}
        assert event["version"] == "2"
        assert topic(event) in TOPICS
        body = event["eventBody"]
        assert event["topicName"].split(".")[4] == body["conversationId"]
        assert all(key in body for key in COMMON), event
        assert isinstance(body["eventTime"], int)
        assert body["mediaType"] in {"VOICE", "CHAT", "MESSAGE"}
        assert body["direction"] in {"INBOUND", "OUTBOUND"}
        for key in ("conversationId", "participantId", "sessionId"):
            assert UUID4.match(body[key]), (key, body[key])
        if body["mediaType"] == "VOICE":
            assert E164.match(body["ani"])
            assert E164.match(body["dnis"])
        else:
            assert body["addressFrom"]
        if body["mediaType"] == "MESSAGE":
            assert body["messageType"] == "WEBMESSAGING"


def test_event_times_within_the_day(day: DemoDay) -> None:
    times = [e["eventBody"]["eventTime"] for e in day.events]
    assert min(times) >= DAY + OPEN_OFFSET_MS
    assert max(times) <= DAY + NOW_OFFSET_MS < DAY + DAY_MS


def test_duplicates_are_later_exact_copies(day: DemoDay) -> None:
    first_seen: dict[str, int] = {}
    duplicates = 0
    for position, event in enumerate(day.events):
        key = json.dumps(event, sort_keys=True)
        if key in first_seen:
            original = day.events[first_seen[key]]
            assert event == original
            assert event is not original
            assert event["eventBody"] is not original["eventBody"]
            assert position > first_seen[key]
            duplicates += 1
        else:
            first_seen[key] = position
    assert 0.01 * len(first_seen) < duplicates < 0.06 * len(first_seen)


def test_some_events_are_delivered_late(day: DemoDay) -> None:
    seen: set[str] = set()
    latest = late = delivered = 0
    for event in day.events:
        key = json.dumps(event, sort_keys=True)
        if key in seen:
            continue  # a duplicate delivery
        seen.add(key)
        delivered += 1
        time = event["eventBody"]["eventTime"]
        late += time < latest
        latest = max(latest, time)
    assert 0.02 * delivered < late < 0.08 * delivered


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_scenario_events_are_time_ordered(scenario: str, seed: int) -> None:
    events = events_of(scenario, seed)
    times = [e["eventBody"]["eventTime"] for e in events]
    assert times == sorted(times)
    assert {e["eventBody"]["conversationId"] for e in events} == {
        "00000000-0000-4000-8000-000000000001"
    }
    assert events == events_of(scenario, seed)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_participants(scenario: str) -> None:
    events = events_of(scenario)
    parties: dict[str, set[str]] = defaultdict(set)
    for event in events:
        parties[topic(event).split(".")[0]].add(event["eventBody"]["participantId"])
    assert len(parties["customer"]) <= 1
    assert parties["acw"] <= parties["user"]
    assert len(parties["acd"]) == topics(events).count("acd.start")
    assert len(parties["user"]) == topics(events).count("user.start")
    assert not (parties["flow"] & parties["customer"])


def test_unknown_scenario() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        events_of("carrier_pigeon")


def test_inbound_answered(day: DemoDay) -> None:
    events = one(day, "inbound_answered")
    assert topics(events_of("inbound_answered"))[:2] == ["customer.start", "flow.start"]
    bodies = {topic(e): e["eventBody"] for e in events}
    assert bodies["acd.end"]["acdOutcome"] == "ANSWERED"
    assert bodies["acd.end"]["answeredUserId"] == bodies["user.start"]["userId"]
    assert bodies["user.end"]["disconnectType"] == "CLIENT"
    assert bodies["customer.end"]["disconnectType"] == "PEER"
    assert bodies["acw"]["participantId"] == bodies["user.start"]["participantId"]
    codes = {e.id for e in day.directory if e.kind == "wrapupcode"}
    assert bodies["acw"]["wrapupCode"] in codes


def test_customer_hangs_up_then_late_wrap_up(day: DemoDay) -> None:
    bodies = {topic(e): e["eventBody"] for e in one(day, "inbound_customer_hangs_up_after_talk")}
    assert bodies["customer.end"]["disconnectType"] == "ENDPOINT"
    assert bodies["user.end"]["disconnectType"] == "PEER"
    assert bodies["acw"]["eventTime"] > bodies["customer.end"]["eventTime"]


def test_abandon_in_queue(day: DemoDay) -> None:
    for scenario in ("inbound_abandon_in_queue", "web_messaging_abandon"):
        events = one(day, scenario)
        bodies = {topic(e): e["eventBody"] for e in events}
        assert bodies["acd.end"]["acdOutcome"] == "ABANDON"
        assert bodies["customer.end"]["disconnectType"] == "ENDPOINT"
        assert "user.start" not in topics(events)
        assert "acw" not in topics(events)


def test_ivr_only(day: DemoDay) -> None:
    assert topics(one(day, "inbound_ivr_only"))[::3] == ["customer.start", "customer.end"]
    assert topics(events_of("inbound_ivr_only")) == [
        "customer.start",
        "flow.start",
        "flow.end",
        "customer.end",
    ]


def test_transfer(day: DemoDay) -> None:
    events = one(day, "inbound_transfer")
    names = topics(events)
    assert names.count("acd.start") == 2
    assert names.count("user.start") == 2
    assert names.count("acw") == 1
    user_ends = [e["eventBody"] for e in events if topic(e) == "user.end"]
    assert user_ends[0]["disconnectType"] == "TRANSFER"
    queues = [e["eventBody"]["queueId"] for e in events if topic(e) == "acd.start"]
    assert queues[0] != queues[1]
    acw = next(e["eventBody"] for e in events if topic(e) == "acw")
    assert acw["userId"] == user_ends[1]["userId"] != user_ends[0]["userId"]


def test_voicemail(day: DemoDay) -> None:
    events = one(day, "inbound_voicemail")
    names = topics(events)
    assert names.index("voicemail.start") < names.index("voicemail.end")
    assert "user.start" not in names
    end = next(e["eventBody"] for e in events if topic(e) == "voicemail.end")
    assert end["voicemailDurationMs"] > 0


def test_outbound_answered(day: DemoDay) -> None:
    events = one(day, "outbound_answered")
    names = topics(events)
    assert topics(events_of("outbound_answered"))[:3] == [
        "user.start",
        "outbound",
        "customer.start",
    ]
    assert {e["eventBody"]["direction"] for e in events} == {"OUTBOUND"}
    assert "acw" in names


def test_outbound_no_answer(day: DemoDay) -> None:
    events = one(day, "outbound_no_answer")
    names = topics(events)
    assert "customer.start" not in names
    assert names[:2] == ["user.start", "outbound"]
    assert {"user.end", "acw"} <= set(names)
    no_answer = next(e.id for e in day.directory if e.name == "No answer")
    assert next(e["eventBody"] for e in events if topic(e) == "acw")["wrapupCode"] == no_answer


def test_chats_and_messaging(day: DemoDay) -> None:
    proactive = one(day, "web_chat_proactive")
    start = proactive[0]["eventBody"]
    assert topic(proactive[0]) == "customer.start"
    assert start["mediaType"] == "CHAT"
    context = start["journeyContext"]
    assert context["sessionIdType"] == "web"
    for key in ("sessionId", "actionId", "actionMapId"):
        assert UUID.match(context[key])
    reactive = one(day, "web_chat_reactive")
    assert "journeyContext" not in reactive[0]["eventBody"]
    messaging = one(day, "web_messaging")
    assert {e["eventBody"]["mediaType"] for e in messaging} == {"MESSAGE"}
    assert "acw" in topics(messaging)
    names = topics(events_of("web_messaging"))
    assert names.index("flow.end") < names.index("acd.start") < names.index("user.start")
    assert "acw" in names


def test_active_conversations_are_open(day: DemoDay) -> None:
    waiting = one(day, "active_waiting")
    assert topics(waiting) == ["customer.start", "acd.start"]
    connected = topics(one(day, "active_connected"))
    assert topics(events_of("active_connected"))[-1] == "user.start"
    ended_topics = {"customer.end", "user.end", "acw"}
    assert not ended_topics & set(connected)
    # Active conversations start last: everything else has ended before they began.
    active = [c for c, s in day.conversations.items() if s in ACTIVE_SCENARIOS]
    first_active = min(
        e["eventBody"]["eventTime"]
        for e in day.events
        if e["eventBody"]["conversationId"] in active
    )
    finished = [e for e in day.events if e["eventBody"]["conversationId"] not in active]
    assert max(e["eventBody"]["eventTime"] for e in finished) < DAY + NOW_OFFSET_MS
    assert first_active > DAY + NOW_OFFSET_MS - 3_600_000


def test_repeat_callers_and_contacts(day: DemoDay) -> None:
    anis: dict[str, set[str]] = defaultdict(set)
    contacts = 0
    for event in day.events:
        body = event["eventBody"]
        if topic(event) == "customer.start" and body["direction"] == "INBOUND" and "ani" in body:
            anis[body["ani"]].add(body["conversationId"])
            if body["conversationExternalContactIds"]:
                contacts += 1
                assert body["externalContactId"] in body["conversationExternalContactIds"]
    assert any(len(conversations) > 1 for conversations in anis.values())
    assert contacts > 0


def test_contact_link_mid_call(day: DemoDay) -> None:
    linked = [e for e in day.events if topic(e) == "contact"]
    assert linked
    event = linked[0]["eventBody"]
    conversation = unique(by_conversation(day.events)[event["conversationId"]])
    start = conversation[0]["eventBody"]
    assert start["conversationExternalContactIds"] == []
    assert conversation[-1]["eventBody"]["conversationExternalContactIds"] == [
        event["externalContactId"]
    ]


def test_custom_directory_is_used() -> None:
    rng = random.Random(5)
    directory = [
        DirectoryEntry("queue", "q-1", "Support"),
        DirectoryEntry("user", "u-1", "A"),
        DirectoryEntry("user", "u-2", "B"),
        *(DirectoryEntry("wrapupcode", f"w-{n}", n) for n in ("Resolved", "Follow-up",
                                                               "Complaint", "No answer")),
    ]  # fmt: skip
    events = scenario_events(
        "inbound_transfer", conversation_id="c", start_ms=DAY, rng=rng, directory=directory
    )
    users = {e["eventBody"]["userId"] for e in events if topic(e) == "user.start"}
    assert users == {"u-1", "u-2"}
