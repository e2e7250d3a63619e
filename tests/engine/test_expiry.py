"""Contacts expire as Genesys says (60 days after their last activity; curated contacts and
merged heads never): the clock's tick removes them, on the injected clock; a replay agrees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import COOKIE, SHOP, T0, web_event, web_inputs
from conftest import FakeClock, migrated_sqlite
from journeyline.core.identity import CONTACT_TTL_MS, cookie_contact_id
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.model.commands import ContactFields, CreateContact
from journeyline.model.effects import ContactCreated, ContactDeleted, IdentifierReleased
from journeyline.store import open_store
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


ADA = COOKIE
EVE = OTHER
EMAIL = {"email": {"dataType": "string", "value": "eve@example.com"}}
EXPIRY = CONTACT_TTL_MS // 1000  # seconds after Eve's last activity (T0)


def _item(cookie: str, seconds: float, received: int, **fields: Any) -> AcceptedWeb:
    ctx = web.Context(SHOP, received, None, None, GeoLookup(None))
    return web.parse_web(web_event(cookie, seconds, **fields), ctx)


def _unverified_match(path: Path, sqlite_template: Path, batches: list[list[int]]) -> object:
    store = open_store(migrated_sqlite(sqlite_template, path))
    try:
        received = T0 + (EXPIRY - 60) * 1000  # the clock: Eve not expired yet
        clock = FakeClock(T0 + 1000)
        engine = Engine(store, clock)
        assert (
            not engine.apply([_item(EVE, 0, T0 + 1000, name="identified", traits=EMAIL)])
            .results[0]
            .error
        )
        clock.now_ms = received
        events = {
            1: _item(ADA, EXPIRY - 600, received, name="identified", traits=EMAIL),  # Eve lives
            2: _item(ADA, EXPIRY + 120, received),  # sent 2 min after Eve's expiry (clock skew)
        }
        for batch in batches:
            for applied in engine.apply([events[i] for i in batch]).results:
                assert applied.error is None, applied.error
        contact = store.contact_get(cookie_contact_id(ADA))
        assert contact is not None
        return contact.unverified_match
    finally:
        store.close()


def test_a_match_to_a_contact_idle_past_its_expiry_stands_until_it_is_removed(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """Ada types Eve's email while Eve lives (a match), then views a page stamped just after
    Eve's expiry, before the clock's tick removed her: the match stands, in one batch or two
    (a match to a contact not live was dropped, so the batching decided; only a contact that
    is gone drops its matches)."""
    one_batch = _unverified_match(tmp_path / "a.db", sqlite_template, [[1, 2]])
    two_batches = _unverified_match(tmp_path / "b.db", sqlite_template, [[1], [2]])
    assert one_batch is not None  # the match made while Eve lived
    assert two_batches == one_batch
