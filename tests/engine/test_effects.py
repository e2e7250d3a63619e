"""Effects of a unit of work, on a real SQLite file: what changed, numbered per partition."""

from __future__ import annotations

import pytest

from builders import (
    COOKIE,
    T0,
    Conversation,
    accepted,
    answered,
    effects_of,
    web_event,
    web_inputs,
)
from conftest import FakeClock
from journeyline.engine.effects import InTransaction, UnitView, partition_for
from journeyline.engine.unit import Engine
from journeyline.model.card import Card, WebCard
from journeyline.model.contact import Contact
from journeyline.model.directory import DirectoryEntry
from journeyline.model.effects import (
    ContactCreated,
    Cursor,
    Effect,
    IdentifierClaimed,
    JourneyEventAdded,
    SessionChanged,
    SessionStarted,
)
from journeyline.model.errors import InvalidInput
from journeyline.store import open_store
from journeyline.store.base import Store


def test_a_new_call_starts_a_session_and_adds_its_journey_events(store: Store) -> None:
    clock = FakeClock(T0 + 60_000)
    outcome = Engine(store, clock).apply(accepted(answered()))
    names = [e.name for e in outcome.effects]
    # the caller is new: a contact made from the number, which claims it, then the session
    assert names[:3] == ["contact.created", "identifier.claimed", "session.started"]
    [started] = effects_of(outcome.effects, SessionStarted)
    assert isinstance(started, SessionStarted)
    assert started.kind == "conversation"
    assert isinstance(started.card, Card)
    assert (started.card.color, started.card.status) == ("blue", "Connected")
    added = effects_of(outcome.effects, JourneyEventAdded)
    assert [e.event_name for e in added] == ["routed", "connected"]
    # every effect of one conversation is in its partition, numbered from 1
    partition = partition_for("conv-1")
    assert {e.partition for e in outcome.effects} == {partition}
    assert [e.position for e in outcome.effects] == list(range(1, len(outcome.effects) + 1))


def test_a_later_event_changes_the_card_with_before_and_after(store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 300_000))
    engine.apply(accepted(answered()))
    later = Conversation("conv-1").user_end(200, "u-ann").customer_end(200, "PEER")
    outcome = engine.apply(accepted(later))
    [changed] = effects_of(outcome.effects, SessionChanged)
    assert isinstance(changed, SessionChanged)
    assert (changed.before.color, changed.before.status) == ("blue", "Connected")
    assert (changed.after.color, changed.after.status) == ("blue", "After-call work")
    added = effects_of(outcome.effects, JourneyEventAdded)
    assert [e.event_name for e in added] == ["ended"]
    assert outcome.effects[0].position > 1  # positions go on from the first unit


def test_the_same_effects_after_a_restart_with_an_empty_cache(store_url: str) -> None:
    """A cache miss reads the stored session, so it still knows the card before."""
    first = open_store(store_url)
    numbered = Engine(first, FakeClock(T0 + 300_000)).apply(accepted(answered())).effects
    first.close()
    second = open_store(store_url)
    later = Conversation("conv-1").user_end(200, "u-ann").customer_end(200, "PEER")
    outcome = Engine(second, FakeClock(T0 + 300_000)).apply(accepted(later))
    names = [e.name for e in outcome.effects]
    assert names[:2] == ["session.changed", "journey.event.added"]
    assert set(names[2:]) <= {"contact.changed"}  # the caller's contact may be re-dated
    assert outcome.effects[0].position == 1 + len(numbered)  # one partition: they go on
    second.close()


def test_duplicates_and_a_replayed_batch_emit_nothing(store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 60_000))
    batch = accepted(answered())
    assert engine.apply(batch).effects
    assert engine.apply(batch).effects == []


def test_positions_are_per_partition(store: Store) -> None:
    ids = [f"conv-{n}" for n in range(40)]
    a = ids[0]
    b = next(i for i in ids if partition_for(i) != partition_for(a))
    engine = Engine(store, FakeClock(T0 + 60_000))
    outcome = engine.apply([*accepted(answered(a)), *accepted(answered(b))])
    by_partition: dict[int, list[int]] = {}
    for envelope in outcome.effects:
        by_partition.setdefault(envelope.partition, []).append(envelope.position)
    assert set(by_partition) == {partition_for(a), partition_for(b)}
    for positions in by_partition.values():
        assert positions == list(range(1, len(positions) + 1))


def test_effects_are_stored_and_read_back_from_a_cursor(store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 300_000))
    one = engine.apply(accepted(answered())).effects
    later = Conversation("conv-1").user_end(200, "u-ann").customer_end(200, "PEER")
    two = engine.apply(accepted(later)).effects
    assert store.effects_after(Cursor(), limit=100) == one + two
    cursor = Cursor()
    for envelope in one:
        cursor = cursor.after(envelope)
    assert store.effects_after(cursor, limit=100) == two
    assert Cursor.parse(str(cursor)) == cursor


@pytest.mark.parametrize("text", ["x", "99:1", "1:-1", "1:two"])
def test_a_bad_cursor_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        Cursor.parse(text)


def test_a_visit_starts_a_web_session_then_changes_its_card(store: Store) -> None:
    engine = Engine(store, FakeClock(T0 + 120_000))
    first = engine.apply(web_inputs(web_event(COOKIE, 0)))
    names = [e.name for e in first.effects]
    assert "contact.created" in names
    assert "session.started" in names
    [started] = effects_of(first.effects, SessionStarted)
    assert isinstance(started, SessionStarted)
    assert isinstance(started.card, WebCard)
    assert (started.card.color, started.card.pageview_count) == ("blue", 1)
    [page] = effects_of(first.effects, JourneyEventAdded)
    assert isinstance(page, JourneyEventAdded)
    assert (page.event_name, page.stream_type) == ("page_viewed", "Web")
    assert page.attributes["page.url"] == "https://shop.example.com/"
    second = engine.apply(web_inputs(web_event(COOKIE, 30, url="https://shop.example.com/cart")))
    [changed] = effects_of(second.effects, SessionChanged)
    assert isinstance(changed, SessionChanged)
    assert isinstance(changed.before, WebCard)
    assert isinstance(changed.after, WebCard)
    assert (changed.before.pageview_count, changed.after.pageview_count) == (1, 2)
    assert {e.partition for e in second.effects} == {partition_for(f"web:{COOKIE}")}


def test_identity_effects_of_a_visitor_who_gives_an_email(store: Store) -> None:
    traits = {"email": {"dataType": "string", "value": "ann@example.com"}}
    outcome = Engine(store, FakeClock(T0 + 120_000)).apply(
        web_inputs(web_event(COOKIE, 0, name="identified", traits=traits))
    )
    claimed = effects_of(outcome.effects, IdentifierClaimed)
    kinds = {(c.identifier.type, c.identifier.value) for c in claimed}
    assert ("Email", "ann@example.com") in kinds
    assert effects_of(outcome.effects, ContactCreated)


# -- in-transaction subscribers ---------------------------------------------------------------


def test_an_in_transaction_subscriber_writes_with_the_unit_and_adds_effects(store: Store) -> None:
    seen: list[str] = []

    def subscriber(unit: UnitView) -> list[tuple[int, Effect]]:
        seen.extend(name for _, name in ((p, e.name) for p, e in unit.effects))
        unit.store.directory_put(DirectoryEntry("queue", "q-derived", "Derived", unit.now_ms))
        partition = unit.effects[0][0]
        return [(partition, ContactCreated(_contact("derived")))]

    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(subscriber)
    outcome = engine.apply(accepted(answered()))
    assert "session.started" in seen
    assert outcome.effects[-1].name == "contact.created"
    assert store.directory_get("queue", "q-derived") is not None
    assert store.effects_after(Cursor(), limit=100) == outcome.effects


def test_a_failing_in_transaction_subscriber_rolls_the_unit_back(store: Store) -> None:
    def subscriber(unit: UnitView) -> list[tuple[int, Effect]]:
        unit.store.directory_put(DirectoryEntry("queue", "q-derived", "Derived", unit.now_ms))
        raise InvalidInput("the subscriber refuses")

    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(subscriber)
    with pytest.raises(InvalidInput):
        engine.apply(accepted(answered()))
    engine.forget()  # as the writer does after a failed unit
    assert store.log_count() == 0
    assert store.sessions_for_conversation("conv-1") == []
    assert store.directory_get("queue", "q-derived") is None
    assert store.effects_after(Cursor(), limit=100) == []
    engine.in_transaction.clear()  # the same input goes through once the subscriber is gone
    outcome = engine.apply(accepted(answered()))
    assert outcome.effects[0].position == 1


def _contact(contact_id: str) -> Contact:
    return Contact(contact_id, "Curated", T0, T0, T0)


def test_a_rebuild_runs_in_transaction_subscribers_and_announces_nothing(store: Store) -> None:
    from journeyline.engine.replay import rebuild

    live: list[str] = []
    replayed: list[str] = []

    def recorder(names: list[str]) -> InTransaction:
        def subscriber(unit: UnitView) -> list[tuple[int, Effect]]:
            names.extend(e.name for _, e in unit.effects)
            return []

        return subscriber

    engine = Engine(store, FakeClock(T0 + 60_000))
    engine.in_transaction.append(recorder(live))
    stored = engine.apply(accepted(answered())).effects
    applied = rebuild(store, FakeClock(T0 + 60_000), in_transaction=[recorder(replayed)])
    assert applied == len(answered().wire)
    assert replayed == live  # the same effects, derived again
    assert store.effects_after(Cursor(), limit=100) == stored  # and none announced twice


def test_a_web_events_typed_attributes_are_read_back_from_the_effect_log(store: Store) -> None:
    """Every value type a web event's custom attribute may have comes back from the effect
    log as it was announced: a subscriber catching up reads the stored effects, and one it
    cannot decode would stop it at that effect for good (a boolean did, until 2026-12-04)."""
    typed = {
        "autoplay": {"dataType": "boolean", "value": False},
        "position": {"dataType": "integer", "value": 3},
        "price": {"dataType": "number", "value": 19.5},
        "video": {"dataType": "string", "value": "yt-501"},
    }
    event = web_event(COOKIE, 1, name="video_played", attributes=typed)
    outcome = Engine(store, FakeClock(T0 + 3_600_000)).apply(web_inputs(event))
    [added] = effects_of(outcome.effects, JourneyEventAdded)
    assert {k: v for k, v in added.attributes.items() if k.startswith("attributes.")} == {
        "attributes.autoplay": False,
        "attributes.position": 3,
        "attributes.price": 19.5,  # a number, as typed (it was its text)
        "attributes.video": "yt-501",
    }
    assert store.effects_after(Cursor(), limit=100) == outcome.effects
