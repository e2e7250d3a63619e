"""Contacts expire as Genesys says (60 days after their last activity; curated contacts and
merged heads never): the clock's tick removes them, on the injected clock; a replay agrees."""

from __future__ import annotations

from builders import COOKIE, T0, web_event, web_inputs
from conftest import FakeClock
from journeyline.core.identity import CONTACT_TTL_MS, cookie_contact_id
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.model.commands import ContactFields, CreateContact
from journeyline.model.effects import ContactCreated, ContactDeleted, IdentifierReleased
from journeyline.store.base import Store

DAY = 86_400_000
OTHER = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"


def _visit(engine: Engine, clock: FakeClock, cookie: str, at_ms: int) -> None:
    clock.now_ms = at_ms
    offset = (at_ms - T0) / 1000
    engine.apply(web_inputs(web_event(cookie, offset), received_ms=at_ms))


def test_an_ephemeral_contact_is_removed_by_the_tick_sixty_days_after_its_last_visit(
    store: Store,
) -> None:
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    _visit(engine, clock, COOKIE, T0)
    _visit(engine, clock, COOKIE, T0 + 30 * DAY)  # a visit renews it
    visitor = cookie_contact_id(COOKIE)
    expires = T0 + 30 * DAY + CONTACT_TTL_MS
    assert store.next_contact_expiry() == expires
    assert engine.next_deadline() == T0 + 30 * DAY + 20 * 60_000  # the session goes idle first
    clock.now_ms = T0 + 31 * DAY
    engine.tick()
    assert engine.next_deadline() == expires + 1
    clock.now_ms = expires  # not yet: expired means later than that
    assert engine.tick().effects == []
    assert store.contact_get(visitor) is not None
    clock.now_ms = expires + 1
    outcome = engine.tick()
    effects = [e.effect for e in outcome.effects]
    assert effects == [IdentifierReleased("Cookie", COOKIE, visitor), ContactDeleted(visitor)]
    assert outcome.results[0].result == {"deadlines": 0, "unassigned": 0, "expired": 1}
    assert store.contact_get(visitor) is None
    assert store.identifier_get("Cookie", COOKIE) is None
    assert len(store.customer_web_sessions(COOKIE, "web")) == 2  # the sessions stay
    assert engine.next_deadline() is None


def test_curated_contacts_never_expire(store: Store) -> None:
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    create = CreateContact(actor="a", at_ms=T0, id="c-kept", fields=ContactFields(first_name="K"))
    engine.apply([CommandInput("k1", create)])
    assert store.next_contact_expiry() is None
    clock.now_ms = T0 + 400 * DAY
    engine.tick()
    assert store.contact_get("c-kept") is not None


def test_a_cookie_back_after_its_contact_was_removed_starts_afresh(store: Store) -> None:
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    _visit(engine, clock, COOKIE, T0)
    clock.now_ms = T0 + 61 * DAY
    engine.tick()
    assert store.contact_get(cookie_contact_id(COOKIE)) is None
    clock.now_ms = T0 + 62 * DAY
    outcome = engine.apply(web_inputs(web_event(COOKIE, 62 * DAY / 1000), received_ms=clock()))
    [created] = [e.effect for e in outcome.effects if isinstance(e.effect, ContactCreated)]
    assert created.contact.created_ms == T0 + 62 * DAY
    assert store.identifier_get("Cookie", COOKIE) is not None


def test_a_batch_after_an_expiry_runs_the_tick_first_and_a_rebuild_agrees(store: Store) -> None:
    clock = FakeClock(T0)
    engine = Engine(store, clock)
    _visit(engine, clock, COOKIE, T0)
    _visit(engine, clock, OTHER, T0 + 10 * DAY)
    clock.now_ms = T0 + 65 * DAY  # past the first visitor's expiry, no tick in between
    _visit(engine, clock, OTHER, T0 + 65 * DAY)
    assert store.contact_get(cookie_contact_id(COOKIE)) is None
    assert store.contact_get(cookie_contact_id(OTHER)) is not None
    live = store.snapshot()
    rebuild(store, clock)
    assert store.snapshot() == live
