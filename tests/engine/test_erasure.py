"""Right to erasure in the unit of work, on a real store."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from builders import COOKIE, T0, web_event, web_inputs
from conftest import FakeClock
from journeyline.core.identity import cookie_contact_id
from journeyline.engine import erasure
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.model.commands import (
    AssignSegments,
    ClaimIdentifier,
    Command,
    CreateContact,
    DeleteContact,
    DeleteDefinition,
    EraseContact,
    MergeContacts,
    RecordActionEvent,
    ReleaseIdentifier,
    UnmergeContact,
    UpdateContact,
    VerifySession,
)
from journeyline.model.effects import Cursor
from journeyline.store.base import Store
from journeyline.store.codec import encode_effect


def test_an_erasure_scrubs_the_effects_its_own_batch_made_before_it(store: Store) -> None:
    """A visit and the erasure of the visitor in one batch (group commit): the visit's effects,
    not stored yet when the erasure ran, are stored as ``erased`` too."""
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    engine.apply(web_inputs(web_event(COOKIE, 0), received_ms=T0))
    visitor = cookie_contact_id(COOKIE)
    traits = {"email": {"dataType": "string", "value": "ada@example.com"}}
    visit = web_inputs(web_event(COOKIE, 5, name="identified", traits=traits), received_ms=T0)
    erase = CommandInput("erase-1", EraseContact(actor="sue", at_ms=T0, id=visitor))
    outcome = engine.apply([*visit, erase])
    assert [r.status for r in outcome.results] == ["accepted", "accepted"]
    names = [e.name for e in outcome.effects]
    assert "erased" in names
    assert names[-2:] == ["session.removed", "contact.deleted"]
    for envelope in store.effects_after(Cursor(), limit=1000):
        body = encode_effect(envelope.effect)
        assert b"ada@example.com" not in body
        assert COOKIE.encode() not in body


def test_another_writers_erasure_is_refused_by_this_one_too(store: Store) -> None:
    """The engine reads whether any erased customer is refused once, not per unit; another
    writer's erasure (which moves the store's positions) makes it read that again."""
    clock = FakeClock(T0)
    mine, other = Engine(store, clock), Engine(store, clock)
    mine.apply(web_inputs(web_event(COOKIE, 0), received_ms=T0))
    erase = EraseContact(actor="sue", at_ms=T0, id=cookie_contact_id(COOKIE))
    [erased] = other.apply([CommandInput("erase-1", erase)]).results
    assert erased.status == "accepted"
    [again] = mine.apply(web_inputs(web_event(COOKIE, 10), received_ms=T0)).results
    assert again.status == "failed"
    assert again.error is not None
    assert again.error.status == 404


def test_erasing_an_unknown_contact_is_refused_and_logs_nothing(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    erase = CommandInput("erase-1", EraseContact(actor="sue", at_ms=T0, id="nobody"))
    [applied] = engine.apply([erase]).results
    assert applied.status == "failed"
    assert applied.error is not None
    assert applied.error.status == 404
    assert store.log_count() == 0


def test_the_logged_erasure_names_what_it_erased_and_no_personal_data(store: Store) -> None:
    engine = Engine(store, FakeClock(T0))
    traits = {"email": {"dataType": "string", "value": "ada@example.com"}}
    engine.apply(web_inputs(web_event(COOKIE, 0, name="identified", traits=traits), received_ms=T0))
    visitor = cookie_contact_id(COOKIE)
    [session_id] = store.customer_web_sessions(COOKIE, "web")
    engine.apply([CommandInput("erase-1", EraseContact(actor="sue", at_ms=T0, id=visitor))])
    *_, logged = store.iter_all_log()
    assert logged.kind == "identity.command"
    assert msgspec.json.decode(logged.body) == {
        "command": "erase",
        "actor": "sue",
        "atMs": T0,
        "id": visitor,
        "contactIds": [visitor],
        "sessionIds": [session_id],
    }


PERSON = erasure.Person(
    frozenset({"c1", "h1"}),
    frozenset({("Email", "a@x.example"), ("Cookie", "k1")}),
    (("s1", "web", "web:k1"), ("s2", "conversation", "conv-2")),
)
WHO: dict[str, Any] = {"actor": "agent", "at_ms": T0}


@pytest.mark.parametrize(
    ("command", "theirs"),
    [
        (CreateContact(**WHO, id="c1"), True),
        (CreateContact(**WHO, id="c9"), False),
        (UpdateContact(**WHO, id="h1"), True),
        (DeleteContact(**WHO, id="c1"), True),
        (UnmergeContact(**WHO, id="h1"), True),
        (ClaimIdentifier(**WHO, contact_id="c1", type="Phone", value="+15550001"), True),
        (ClaimIdentifier(**WHO, contact_id="c9", type="Email", value="a@x.example"), True),
        (ReleaseIdentifier(**WHO, contact_id="c9", type="Email", value="b@x.example"), False),
        (VerifySession(**WHO, contact_id="c9", session_id="s2"), True),
        (VerifySession(**WHO, contact_id="c9", session_id="s9", cookie="k1"), True),
        (VerifySession(**WHO, contact_id="c9", session_id="s9", cookie="k9"), False),
        (MergeContacts(**WHO, id="h9", contact_ids=("c9", "c1")), True),
        (MergeContacts(**WHO, id="h9", contact_ids=("c8", "c9")), False),
        (AssignSegments(**WHO, contact_id="c1", assign=("g1",)), True),
        (
            RecordActionEvent(
                **WHO, deployment_id="d", session_id="s1", action_id="a", action_state="offered"
            ),
            True,
        ),
        (
            RecordActionEvent(
                **WHO, deployment_id="d", session_id="s9", action_id="a", action_state="offered"
            ),
            False,
        ),
        (DeleteDefinition(**WHO, kind="segment", id="c1"), False),
        (EraseContact(**WHO, id="c1"), False),
    ],
)
def test_which_logged_commands_are_the_persons(command: Command, theirs: bool) -> None:
    assert erasure.mentions(command, PERSON) is theirs


def test_an_erasure_erases_the_sessions_of_every_cookie_whose_log_rows_it_tombstones(
    store: Store,
) -> None:
    """The person's cookie made a contact, and an agent gave that contact another visitor's
    cookie: the erasure takes that contact, and tombstones the other cookie's log rows (the
    web events' bodies, which their sessions read), so it erases that cookie's sessions too —
    none is left reading an ``erased`` body, and a rebuild makes what live shows."""
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    other = "1c7e6b45-0a0f-4d1e-9e2e-7d3b9f8c0a21"
    engine.apply(web_inputs(web_event(COOKIE, 0), web_event(other, 1), received_ms=T0))
    commands: list[Command] = [
        CreateContact(**WHO, id="ada"),
        ClaimIdentifier(**WHO, contact_id="ada", type="Cookie", value=COOKIE),
        ClaimIdentifier(**WHO, contact_id=cookie_contact_id(COOKIE), type="Cookie", value=other),
    ]
    for n, command in enumerate(commands):
        [applied] = engine.apply([CommandInput(f"command-{n}", command)]).results
        assert applied.status == "accepted", applied
    [erased] = engine.apply([CommandInput("erase-1", EraseContact(**WHO, id="ada"))]).results
    assert erased.status == "accepted", erased
    assert store.web_events_of(other, "web") == []
    assert store.customer_web_sessions(other, "web") == []
    live = store.snapshot()
    rebuild(store, FakeClock(T0 + 60_000))
    assert store.snapshot() == live
