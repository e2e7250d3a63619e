"""Action maps in the unit of work, on a real SQLite file: activation (a delay, the contact's
next session), blocked actions with their Genesys reasons, weight between offers that fire
together, and flow inputs looked up from the session and the contact as well as the event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from builders import (
    COOKIE,
    Conversation,
    accepted,
    answered,
    effects_of,
    web_event,
    web_inputs,
)
from conftest import FakeClock
from journeyline.engine.action_maps import typed
from journeyline.engine.definitions import ENCODERS
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest import definitions as wire
from journeyline.model.commands import PutDefinition
from journeyline.model.effects import ActionBlocked, ActionQualified, JourneyEventChanged
from journeyline.store.base import Store

AT = 1_795_600_000_000
NOW = AT + 3_600_000
SHOP = "https://shop.example.com"


def _on_page(path: str) -> dict[str, Any]:
    return {
        "key": "page.url",
        "values": [path],
        "operator": "containsAll",
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


def _flow_map(name: str, path: str, **fields: Any) -> dict[str, Any]:
    return {
        "displayName": name,
        "triggerWithEventConditions": [_on_page(path)],
        "action": {
            "mediaType": "architectFlow",
            "architectFlowFields": {
                "architectFlow": {"id": "flow-1"},
                "flowRequestMappings": [
                    {"name": "page", "attributeType": "String", "mappingType": "Lookup",
                     "value": "page.url"},
                    {"name": "views", "attributeType": "Integer", "mappingType": "Lookup",
                     "value": "pageviewCount"},
                    {"name": "who", "attributeType": "String", "mappingType": "Lookup",
                     "value": "contact.id"},
                    {"name": "nothing", "attributeType": "String", "mappingType": "Lookup",
                     "value": "contact.nickname"},
                ],
            },
        },
        **fields,
    }  # fmt: skip


def _offer_map(name: str, path: str, **fields: Any) -> dict[str, Any]:
    return {
        "displayName": name,
        "triggerWithEventConditions": [_on_page(path)],
        "action": {
            "mediaType": "webMessagingOffer",
            "webMessagingOfferFields": {"offerText": name},
        },
        **fields,
    }


def _define(engine: Engine, map_id: str, body: dict[str, Any]) -> None:
    record = wire.decode_action_map(json.dumps(body).encode(), id=map_id, now_ms=AT)
    doc = ENCODERS["actionmap"](record)
    command = PutDefinition(actor="admin", at_ms=AT, kind="actionmap", id=map_id, doc=doc)
    [applied] = engine.apply([CommandInput(f"define-{map_id}", command)]).results
    assert applied.error is None, applied.error


def _view(engine: Engine, seconds: float, path: str, *, at: int = NOW) -> Any:
    event = web_event(COOKIE, seconds, url=SHOP + path, now_ms=at - 3_600_000)
    return engine.apply(web_inputs(event, received_ms=at))


def test_a_delayed_flow_is_queued_for_later_with_inputs_from_event_session_and_contact(
    store: Store,
) -> None:
    engine = Engine(store, FakeClock(NOW))
    _define(
        engine,
        "m-delay",
        _flow_map("Later", "/cart", activation={"type": "delay", "delayInSeconds": 30}),
    )
    _view(engine, 0, "/")
    outcome = _view(engine, 1, "/cart")
    [qualified] = effects_of(outcome.effects, ActionQualified)
    action = store.action_get(qualified.action_id)
    assert action is not None
    doc = json.loads(action.doc)
    assert doc["dueMs"] == NOW + 30_000
    delivery = store.outbox_get(doc["deliveryId"])
    assert delivery is not None
    assert delivery.next_attempt_ms == NOW + 30_000
    assert store.outbox_due(NOW + 29_999, limit=10) == []
    inputs = json.loads(delivery.body)["inputs"]
    assert inputs == {
        "page": SHOP + "/cart",  # the event's
        "views": 2,  # the session's (its visit)
        "who": qualified.contact_id,  # the contact's
        "nothing": None,  # no such key anywhere
    }
    assert qualified.contact_id is not None


def test_an_action_for_the_next_session_waits_for_it_and_acts_there(store: Store) -> None:
    clock = FakeClock(NOW)
    engine = Engine(store, clock)
    _define(
        engine,
        "m-next",
        _flow_map("Next time", "/cart", activation={"type": "on-next-session"}),
    )
    [waiting] = effects_of(_view(engine, 0, "/cart").effects, ActionQualified)
    first = store.action_get(waiting.action_id)
    assert first is not None
    assert first.state == "waiting"
    assert "deliveryId" not in json.loads(first.doc)
    assert store.outbox_due(NOW + 86_400_000, limit=10) == []
    assert effects_of(_view(engine, 60, "/").effects, ActionQualified) == []  # the same session

    later = NOW + 3_600_000  # an hour later: a new web session
    clock.now_ms = later
    [acted] = effects_of(_view(engine, 0, "/", at=later).effects, ActionQualified)
    assert acted.session_id != waiting.session_id
    taken = store.action_get(acted.action_id)
    assert taken is not None
    assert taken.state == "qualified"
    assert json.loads(taken.doc)["activatedFrom"] == waiting.action_id
    done = store.action_get(waiting.action_id)
    assert done is not None
    assert done.state == "activated"
    [delivery] = store.outbox_due(later, limit=10)
    assert json.loads(delivery.body)["session"]["id"] == acted.session_id
    assert effects_of(_view(engine, 5, "/", at=later).effects, ActionQualified) == []  # once

    live = store.snapshot()
    rebuild(store, FakeClock(later))
    assert store.snapshot() == live
    assert len(store.outbox_due(later, limit=10)) == 1  # nothing queued twice


def test_offers_that_fire_together_are_weighed_and_the_others_blocked_with_reasons(
    store: Store,
) -> None:
    engine = Engine(store, FakeClock(NOW))
    _define(engine, "m-light", _offer_map("Light", "/cart", weight=1))
    _define(engine, "m-heavy", _offer_map("Heavy", "/cart", weight=3))
    _define(engine, "m-help", _offer_map("Help", "/help"))
    outcome = _view(engine, 0, "/cart")
    [shown] = effects_of(outcome.effects, ActionQualified)
    assert shown.action_map_id == "m-heavy"
    blocked = {b.action_map_id: b.reason for b in effects_of(outcome.effects, ActionBlocked)}
    assert blocked == {"m-light": "MultipleSimultaneousOffers"}
    later = _view(engine, 5, "/help")  # the heavy offer is still pending
    assert [(b.action_map_id, b.reason) for b in effects_of(later.effects, ActionBlocked)] == [
        ("m-help", "AlreadyExistingOffer")
    ]
    states = sorted(
        (a.action_map_id, a.state, json.loads(a.doc).get("blockingReason"))
        for a in store.actions_of(shown.session_id)
    )
    assert states == [
        ("m-heavy", "qualified", None),
        ("m-help", "blocked", "AlreadyExistingOffer"),
        ("m-light", "blocked", "MultipleSimultaneousOffers"),
    ]
    before = {a.id: a for a in store.actions_of(shown.session_id)}
    again = _view(engine, 9, "/cart")  # a second reason is a second row; the same, the same row
    assert effects_of(again.effects, ActionQualified) == []
    assert {(b.action_map_id, b.reason) for b in effects_of(again.effects, ActionBlocked)} == {
        ("m-light", "AlreadyExistingOffer"),
    }
    after = {a.id: a for a in store.actions_of(shown.session_id)}
    assert {k: v for k, v in after.items() if k in before} == before  # first times kept
    [(new_map, new_reason)] = [
        (a.action_map_id, json.loads(a.doc)["blockingReason"])
        for k, a in after.items()
        if k not in before
    ]
    assert (new_map, new_reason) == ("m-light", "AlreadyExistingOffer")


def test_a_late_change_to_its_event_does_not_take_an_action_again(store: Store) -> None:
    """A flow on every ``ended`` event: the late wrap-up changes that same event, which is
    evaluated again; the action it took stands as it was and no second one is announced."""
    engine = Engine(store, FakeClock(NOW))
    ended = {
        "key": "endedBy",
        "values": ["agent"],
        "operator": "equal",
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": "ended",
    }
    body = _flow_map("After every call", "/unused")
    body["triggerWithEventConditions"] = [ended]
    _define(engine, "m-calls", body)
    call = answered("conv-late").user_end(200, "u-ann").customer_end(200, "PEER")
    [taken] = effects_of(engine.apply(accepted(call)).effects, ActionQualified)
    before = store.action_get(taken.action_id)
    late = engine.apply(accepted(Conversation("conv-late").acw(210, "u-ann", "wu-sale")))
    assert effects_of(late.effects, JourneyEventChanged)  # the ended event was evaluated again
    assert before is not None
    assert effects_of(late.effects, ActionQualified) == []
    assert store.action_get(taken.action_id) == before
    assert len(store.actions_of(taken.session_id)) == 1


def _redefine(engine: Engine, map_id: str, body: dict[str, Any], version: int) -> None:
    record = wire.decode_action_map(json.dumps(body).encode(), id=map_id, now_ms=AT)
    doc = ENCODERS["actionmap"](record)
    command = PutDefinition(
        actor="admin", at_ms=AT, kind="actionmap", id=map_id, doc=doc, expected_version=version
    )
    [applied] = engine.apply([CommandInput(f"redefine-{map_id}-{version}", command)]).results
    assert applied.error is None, applied.error


def test_an_action_waiting_for_the_next_session_is_not_taken_once_its_map_is_off(
    store: Store,
) -> None:
    """A map switched off (``isActive: false``) or ended (``endDate`` passed) acts no more:
    its waiting actions stay waiting when the next session starts. (Before, they were taken
    there, as long as any other definition was active.)"""
    clock = FakeClock(NOW)
    engine = Engine(store, clock)
    _define(engine, "m-other", _flow_map("Other", "/elsewhere"))  # keeps the evaluator awake
    off = _flow_map("Switched off", "/cart", activation={"type": "on-next-session"})
    ended = _flow_map("Ended", "/cart", activation={"type": "on-next-session"})
    _define(engine, "m-off", off)
    _define(engine, "m-ended", ended)
    waiting = effects_of(_view(engine, 0, "/cart").effects, ActionQualified)
    assert sorted(w.action_map_id for w in waiting) == ["m-ended", "m-off"]
    _redefine(engine, "m-off", {**off, "isActive": False}, 1)
    _redefine(engine, "m-ended", {**ended, "endDate": "2026-11-25T11:00:00.000Z"}, 1)

    later = NOW + 3_600_000  # a new web session, after the end date
    assert NOW < 1_795_604_400_000 < later  # 2026-11-25T11:00Z, the end date
    clock.now_ms = later
    assert effects_of(_view(engine, 0, "/", at=later).effects, ActionQualified) == []
    assert store.outbox_due(later, limit=10) == []
    assert {store.action_get(w.action_id).state for w in waiting} == {"waiting"}  # type: ignore[union-attr]


def test_offers_that_waited_for_the_next_session_are_weighed_there_like_any_other(
    store: Store,
) -> None:
    clock = FakeClock(NOW)
    engine = Engine(store, clock)
    next_session = {"type": "on-next-session"}
    _define(engine, "m-soft", _offer_map("Soft", "/cart", weight=1, activation=next_session))
    _define(engine, "m-loud", _offer_map("Loud", "/help", weight=3, activation=next_session))
    waiting = effects_of(_view(engine, 0, "/cart").effects, ActionQualified)
    waiting += effects_of(_view(engine, 1, "/help").effects, ActionQualified)
    assert sorted(a.action_map_id for a in waiting) == ["m-loud", "m-soft"]  # both wait
    later = NOW + 3_600_000
    clock.now_ms = later
    outcome = _view(engine, 0, "/", at=later)
    [shown] = effects_of(outcome.effects, ActionQualified)
    assert shown.action_map_id == "m-loud"  # one offer at a time, the heavier
    [(blocked_map, reason)] = [
        (b.action_map_id, b.reason) for b in effects_of(outcome.effects, ActionBlocked)
    ]
    assert (blocked_map, reason) == ("m-soft", "MultipleSimultaneousOffers")
    assert {a.state for a in store.actions_of(waiting[0].session_id)} == {"activated"}


@pytest.mark.parametrize(
    ("value", "attribute_type", "expected"),
    [
        (9007199254740993, "Integer", 9007199254740993),  # exact: float() would give 2**53
        ("9007199254740993", "Integer", 9007199254740993),
        ("12", "Integer", 12),
        (12.7, "Integer", 12),
        ("12.7", "Integer", 12),
        (True, "Integer", 1),
        ("1e999", "Integer", None),  # too large to be one
        ("abc", "Integer", None),
        (2.0**64, "Integer", None),  # past what the stores hold as an integer
        ("99999999999999999999", "Integer", None),
        (2**63 - 1, "Integer", 2**63 - 1),
        (-(2**63), "Integer", -(2**63)),
        ("2.5", "Number", 2.5),
        (3, "Number", 3.0),
        (True, "Number", 1.0),
        # no numbers, as for criteria (core.criteria.as_number): not announced as inf or nan
        # live, then read back from the effect log as null
        ("inf", "Number", None),
        ("NaN", "Number", None),
        ("1e999", "Number", None),
        ("1_000", "Number", None),
        ("١٢", "Number", None),  # Arabic-Indic digits
        ("1" * 400, "Number", None),  # an integer no float holds
        ([1], "Number", None),
        ("TRUE", "Boolean", True),
        (7, "String", "7"),
    ],
)
def test_a_flow_input_takes_the_type_its_attribute_type_says(
    value: object, attribute_type: str, expected: object
) -> None:
    got = typed(value, attribute_type)
    assert got == expected
    assert type(got) is type(expected)
