"""Segments and outcomes evaluated inside the unit of work, on a real SQLite file: a segment
on three product views is assigned once, with its expiry; an outcome is achieved once per
session with its value; a replay decides the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from builders import COOKIE, Conversation, accepted, answered, effects_of, web_event, web_inputs
from conftest import FakeClock
from journeyline.engine.definitions import ENCODERS
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest import definitions as wire
from journeyline.model.commands import PutDefinition
from journeyline.model.effects import (
    JourneyEventChanged,
    OutcomeAchieved,
    SegmentAssigned,
    SegmentUnassigned,
)
from journeyline.store import codec
from journeyline.store.base import Store

AT = 1_795_600_000_000


def _pattern(url: str, count: int) -> dict[str, Any]:
    return {
        "criteria": [
            {
                "key": "page.url",
                "values": [url],
                "operator": "containsAny",
                "shouldIgnoreCase": True,
            }
        ],
        "count": count,
        "streamType": "Web",
        "sessionType": "web",
        "eventName": "page_viewed",
    }


def _define(engine: Engine, kind: str, body: dict[str, Any], definition_id: str) -> None:
    record: Any
    if kind == "segment":
        record = wire.decode_segment(wire_bytes(body), id=definition_id, now_ms=AT)
    else:
        record = wire.decode_outcome(wire_bytes(body), id=definition_id, now_ms=AT)
    command = PutDefinition(
        actor="admin", at_ms=AT, kind=kind, id=definition_id, doc=ENCODERS[kind](record)
    )
    [applied] = engine.apply([CommandInput(f"define-{definition_id}", command)]).results
    assert applied.error is None, applied.error


def wire_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def test_segments_and_outcomes_on_web_events(store: Store) -> None:
    engine = Engine(store, FakeClock(AT + 3_600_000))
    _define(
        engine,
        "segment",
        {
            "displayName": "Browses products",
            "journey": {"patterns": [_pattern("/products/", 3)]},
            "assignmentExpirationDays": 7,
        },
        "seg-products",
    )
    _define(
        engine,
        "outcome",
        {"displayName": "Bought", "journey": {"patterns": [_pattern("/thanks", 1)]}},
        "out-bought",
    )
    views = [web_event(COOKIE, n, url=f"https://shop.example.com/products/{n}") for n in (1, 2)]
    first = engine.apply(web_inputs(*views))
    assert effects_of(first.effects, SegmentAssigned) == []  # two views of three
    third = web_event(COOKIE, 3, url="https://shop.example.com/products/3")
    thanks = web_event(COOKIE, 4, url="https://shop.example.com/thanks")
    second = engine.apply(
        web_inputs(third, thanks, web_event(COOKIE, 5, url=thanks["page"]["url"]))
    )
    [assigned] = effects_of(second.effects, SegmentAssigned)
    assert assigned.segment_id == "seg-products"
    assert assigned.unassign_ms == assigned.assigned_ms + 7 * 86_400_000
    [achieved] = effects_of(second.effects, OutcomeAchieved)  # two thank-you pages: once
    assert (achieved.outcome_id, achieved.session_id) == ("out-bought", assigned.session_id)
    more = engine.apply(web_inputs(web_event(COOKIE, 6, url="https://shop.example.com/products/9")))
    assert effects_of(more.effects, SegmentAssigned) == []  # assigned already
    held = store.assignment_get("seg-products", assigned.scope)
    assert held is not None
    assert held.state == "Assigned"
    live = (held, store.achievements_of(assigned.session_id))
    rebuild(store, FakeClock(AT + 3_600_000))
    assert (
        store.assignment_get("seg-products", assigned.scope),
        store.achievements_of(assigned.session_id),
    ) == live


def test_a_late_wrap_up_assigns_a_customer_segment_to_the_callers_contact(store: Store) -> None:
    """``journey.event.changed`` names no contact: a customer segment it completes is still the
    caller's contact's, as one the ``ended`` event completed would be."""
    engine = Engine(store, FakeClock(AT + 3_600_000))
    ended = {
        "criteria": [
            {
                "key": "wrapupCode.id",
                "values": ["wu-sale"],
                "operator": "equal",
                "shouldIgnoreCase": False,
            }
        ],
        "count": 1,
        "streamType": "Conversation",
        "sessionType": "conversation",
        "eventName": "ended",
    }
    _define(
        engine,
        "segment",
        {"displayName": "Bought by phone", "scope": "Customer", "journey": {"patterns": [ended]}},
        "seg-sale",
    )
    call = answered("conv-sale").user_end(200, "u-ann").customer_end(200, "PEER")
    first = engine.apply(accepted(call))
    assert effects_of(first.effects, SegmentAssigned) == []  # no wrap-up yet
    late = engine.apply(accepted(Conversation("conv-sale").acw(210, "u-ann", "wu-sale")))
    [changed] = effects_of(late.effects, JourneyEventChanged)
    [assigned] = effects_of(late.effects, SegmentAssigned)
    link = store.session_link(changed.session_id)
    assert link is not None
    assert link[0] is not None
    assert (assigned.scope, assigned.contact_id) == (link[0], link[0])


def test_an_assignment_lapses_when_its_days_run_out_and_must_be_earned_again(
    store: Store,
) -> None:
    """The tick the scheduler runs at ``unassign_ms`` unassigns it (``segment.unassigned``, an
    Unassigned journey event); its progress starts over, so one more view does not assign it
    again but a full journey does; a replay decides the same."""
    clock = FakeClock(AT + 3_600_000)
    engine = Engine(store, clock)
    _define(
        engine,
        "segment",
        {
            "displayName": "Browses products",
            "scope": "Customer",
            "journey": {"patterns": [_pattern("/products/", 2)]},
            "assignmentExpirationDays": 1,
        },
        "seg-products",
    )
    views = [web_event(COOKIE, n, url=f"https://shop.example.com/products/{n}") for n in (1, 2)]
    [assigned] = effects_of(engine.apply(web_inputs(*views)).effects, SegmentAssigned)
    assert assigned.unassign_ms is not None
    assert engine.next_deadline() == min(
        d for d in (store.next_deadline(), assigned.unassign_ms) if d
    )
    clock.now_ms = assigned.unassign_ms - 1
    assert effects_of(engine.tick().effects, SegmentUnassigned) == []
    clock.now_ms = assigned.unassign_ms + 5
    [lapsed] = effects_of(engine.tick().effects, SegmentUnassigned)
    assert (lapsed.segment_id, lapsed.scope, lapsed.reason) == (
        "seg-products",
        assigned.scope,
        "expired",
    )
    assert lapsed.unassigned_ms == assigned.unassign_ms
    held = store.assignment_get("seg-products", assigned.scope)
    assert held is not None
    assert held.state == "Unassigned"
    assert store.next_unassignment() is None
    page = store.journey_events_page(assigned.session_id, after=None, page_size=9, types=())
    states = [json.loads(r.doc)["segmentAssignmentEvent"]["assignmentState"] for r in page.items]
    assert states == ["Assigned", "Unassigned"]

    later = clock.now_ms
    again = [
        web_event(COOKIE, n, url=f"https://shop.example.com/products/{n}", now_ms=later)
        for n in (10, 11)
    ]
    one = engine.apply(web_inputs(again[0], received_ms=later))
    assert effects_of(one.effects, SegmentAssigned) == []  # its journey starts over
    two = engine.apply(web_inputs(again[1], received_ms=later))
    assert [a.segment_id for a in effects_of(two.effects, SegmentAssigned)] == ["seg-products"]
    live = store.snapshot()
    rebuild(store, FakeClock(clock.now_ms))
    assert store.snapshot() == live


def _typed_view(engine: Engine, name: str, value: dict[str, Any]) -> list[Any]:
    """A page view of the thank-you page with a typed attribute ``n``: its effects."""
    event = web_event(
        COOKIE, 0, name=name, url="https://shop.example.com/thanks", attributes={"n": value}
    )
    outcome = engine.apply(web_inputs(event))
    assert [r.error for r in outcome.results] == [None]
    return list(outcome.effects)


@pytest.mark.parametrize(
    ("number", "named"),
    [(2**64, "18446744073709551616"), (60.5, "60.50"), (60.0, "60")],
    ids=["past the 64-bit range", "a decimal", "a whole decimal"],
)
def test_a_number_attribute_equals_the_number_it_is_between(
    store: Store, number: int | float, named: str
) -> None:
    """docs/definitions.md: a number attribute equals a value that names the same number (the
    effect carried the decimal as its text, so equal compared '60.5' with '60.50')."""
    engine = Engine(store, FakeClock(AT + 3_600_000))
    for operator in ("greaterThanOrEqual", "lessThanOrEqual", "equal"):
        criterion = {"key": "attributes.n", "values": [named], "operator": operator}
        pattern = {**_pattern("/thanks", 1), "criteria": [criterion], "eventName": "typed"}
        _define(
            engine,
            "segment",
            {"displayName": operator, "journey": {"patterns": [pattern]}},
            operator,
        )
    effects = _typed_view(engine, "typed", {"dataType": "number", "value": number})
    assigned = sorted(e.effect.segment_id for e in effects if isinstance(e.effect, SegmentAssigned))
    assert assigned == ["equal", "greaterThanOrEqual", "lessThanOrEqual"]
    for envelope in effects:  # and each effect reads back from the log as it was announced
        assert codec.decode_effect(envelope.name, codec.encode_effect(envelope.effect)) == (
            envelope.effect
        )


@pytest.mark.parametrize(
    ("data_type", "value", "expected"),
    [
        ("Integer", {"dataType": "number", "value": 2**64}, None),  # no 64-bit integer
        ("Integer", {"dataType": "string", "value": "99999999999999999999"}, None),
        ("Integer", {"dataType": "integer", "value": 2**63 - 1}, float(2**63 - 1)),  # a REAL
        ("Integer", {"dataType": "string", "value": "12.7"}, 12.0),
        ("Number", {"dataType": "string", "value": "inf"}, None),  # no number
        ("Number", {"dataType": "string", "value": "NaN"}, None),
        ("Number", {"dataType": "string", "value": "60.50"}, 60.5),
    ],
)
def test_an_outcome_value_is_one_the_store_and_the_effect_log_keep(
    store: Store, data_type: str, value: dict[str, Any], expected: object
) -> None:
    """An outcome's associated value past the 64-bit range made SQLite refuse the achievement:
    the event (and the writer's whole batch) failed with a 500; inf or nan was announced live
    and read back from the effect log as null. Such a value is none now; the outcome holds."""
    engine = Engine(store, FakeClock(AT + 3_600_000))
    body = {
        "displayName": "Bought",
        "journey": {"patterns": [_pattern("/thanks", 1)]},
        "associatedValueField": {"dataType": data_type, "name": "attributes.n"},
    }
    _define(engine, "outcome", body, "o1")
    effects = _typed_view(engine, "page_viewed", value)
    [achieved] = [e for e in effects if isinstance(e.effect, OutcomeAchieved)]
    assert isinstance(achieved.effect, OutcomeAchieved)
    assert achieved.effect.value == expected
    assert type(achieved.effect.value) is type(expected)
    read_back = codec.decode_effect(achieved.name, codec.encode_effect(achieved.effect))
    assert read_back == achieved.effect
    live = store.snapshot()
    rebuild(store, FakeClock(AT + 3_600_000))
    assert store.snapshot() == live
