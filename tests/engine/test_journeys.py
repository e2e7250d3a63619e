"""Segments and outcomes evaluated inside the unit of work, on a real SQLite file: a segment
on three product views is assigned once, with its expiry; an outcome is achieved once per
session with its value; a replay decides the same."""

from __future__ import annotations

import json
from typing import Any

from builders import COOKIE, Conversation, accepted, answered, effects_of, web_event, web_inputs
from conftest import FakeClock
from journeyline.engine.definitions import ENCODERS
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest import definitions as wire
from journeyline.model.commands import PutDefinition
from journeyline.model.effects import JourneyEventChanged, OutcomeAchieved, SegmentAssigned
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
