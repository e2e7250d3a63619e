"""The engine on a real SQLite file: batches, order, duplicates, restarts and rebuilds."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from conftest import FakeClock
from journeyline.demo.day import demo_day
from journeyline.engine.batch import ingest_objects
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest.genesys_detail import Accepted, parse_item
from journeyline.model.commands import ClaimIdentifier, ContactFields, CreateContact
from journeyline.store import open_store
from journeyline.store.base import Snapshot, Store

DAY = demo_day(day_start_ms=1_795_500_000_000, seed=11, conversations=30)
ACCEPTED = [parse_item(wire) for wire in DAY.events]
UNIQUE = list({a.event.key: a for a in ACCEPTED}.values())


def _apply_all(store: Store, batches: list[list[Accepted]]) -> None:
    engine = Engine(store, FakeClock())
    for batch in batches:
        engine.apply(batch)


def _projections(batches: list[list[Accepted]], directory: Path) -> Snapshot:
    store = open_store(f"sqlite:///{directory / 'p.db'}")
    try:
        _apply_all(store, batches)
        return store.snapshot()
    finally:
        store.close()


def test_in_order_batches_build_every_conversation(store: Store) -> None:
    _apply_all(store, [UNIQUE[i : i + 100] for i in range(0, len(UNIQUE), 100)])
    snapshot = store.snapshot()
    assert len(snapshot.conversations) == len(DAY.conversations)
    assert store.log_count() == len(UNIQUE)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_order_and_batching_converges(data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(ACCEPTED))
    extra = data.draw(st.lists(st.sampled_from(ACCEPTED), max_size=40))
    stream = [*shuffled, *extra]
    cuts = sorted(data.draw(st.lists(st.integers(1, len(stream) - 1), max_size=8, unique=True)))
    batches = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        expected = _projections([UNIQUE], Path(one))
        assert _projections(batches, Path(two)) == expected


def test_duplicates_are_reported_and_change_nothing(store: Store) -> None:
    engine = Engine(store, FakeClock())
    first = engine.apply(UNIQUE[:50]).results
    assert {r.status for r in first} == {"accepted"}
    before = store.snapshot()
    again = engine.apply([*UNIQUE[:50], UNIQUE[0]])
    assert {r.status for r in again.results} == {"duplicate"}
    assert again.effects == []  # duplicates change nothing, so they say nothing
    assert store.snapshot() == before
    assert store.log_count() == 50
    within = Engine(store, FakeClock()).apply([UNIQUE[60], UNIQUE[60]]).results
    assert [r.status for r in within] == ["accepted", "duplicate"]


def test_a_restart_continues_from_the_log(store_url: str, tmp_path: Path) -> None:
    half = len(UNIQUE) // 2
    store = open_store(store_url)
    _apply_all(store, [UNIQUE[:half]])
    store.close()
    reopened = open_store(store_url)  # a new engine: empty cache, reads the log on a miss
    _apply_all(reopened, [UNIQUE[half:]])
    assert reopened.snapshot() == _projections([UNIQUE], tmp_path)
    reopened.close()


def test_rebuild_reproduces_the_projections(store: Store) -> None:
    summary = ingest_objects(Engine(store, FakeClock()), enumerate(DAY.events, 1), batch_size=64)
    assert summary.accepted == len(UNIQUE)
    assert summary.duplicate == len(DAY.events) - len(UNIQUE)
    live = store.snapshot()
    assert rebuild(store, FakeClock()) == len(UNIQUE)
    assert store.snapshot() == live


def test_rebuild_meets_identity_questions_as_live_did(store: Store) -> None:
    """Who claimed an email first depends on the units events were applied in: replay them."""
    from builders import web_event
    from journeyline.ingest import genesys_web as web
    from journeyline.ingest.enrich import GeoLookup
    from journeyline.model.contact import Deployment

    shop = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
    a, b = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10", "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
    claim = {"email": {"dataType": "string", "value": "x@example.com"}}
    ctx = web.Context(shop, 1_795_600_100_000, None, None, GeoLookup(None))
    a1, b1, a2 = (
        web.parse_web(web_event(a, 1), ctx),
        web.parse_web(web_event(b, 2, name="identified", traits=claim), ctx),
        web.parse_web(web_event(a, 3, name="identified", traits=claim), ctx),
    )
    engine = Engine(store, FakeClock())
    engine.apply([a1, b1])  # B claims the email ...
    engine.apply([a2])  # ... before A does: A gets an unverified match
    owner = store.identifier_get("Email", "x@example.com")
    assert owner is not None
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.identifier_get("Email", "x@example.com") == owner
    assert store.snapshot() == live


def _mixed_inputs() -> list[Any]:
    """Web visits that identify (two visitors share an email), calls from their numbers, a chat
    started from the website, and an agent's verification command."""
    from builders import Conversation, web_event
    from journeyline.ingest import genesys_web as web
    from journeyline.ingest.enrich import GeoLookup
    from journeyline.model.contact import Deployment

    shop = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
    ctx = web.Context(shop, 1_795_601_500_000, None, None, GeoLookup(None))
    a, b = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10", "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
    shared = {"email": {"dataType": "string", "value": "pat@example.com"}}
    phone = {"phone": {"dataType": "string", "value": "+15550009999"}}
    chat = Conversation("mix-chat", media="CHAT").customer_start(
        200, journeyContext={"customer": {"id": b, "idType": "cookie"}}
    )
    chat_first = parse_item(chat.wire[0])  # before B's browser was ever seen
    chat.acd_start(210, "q")
    call = Conversation("mix-call", ani="tel:+15550009999").customer_start(100)
    call.acd_start(110, "q").acd_end(140, "q", "ANSWERED").user_start(140, "u", "q")
    call.user_end(300, "u").customer_end(300, "PEER")
    inputs: list[Any] = [
        chat_first,
        web.parse_web(web_event(a, 0), ctx),
        web.parse_web(web_event(a, 30, name="identified", traits={**shared, **phone}), ctx),
        web.parse_web(web_event(b, 40, name="identified", traits=shared), ctx),
        *[parse_item(w) for w in call.wire],
        parse_item(chat.wire[1]),
        web.parse_web(web_event(b, 1300), ctx),
    ]
    verify = ClaimIdentifier(
        actor="agent-1", at_ms=1_795_600_500_000, contact_id="", type="Cookie", value=b
    )
    inputs.append(CommandInput("cmd-1", verify))
    return inputs


MIXED = len(_mixed_inputs())


@pytest.mark.parametrize("with_claim", [False, True])
@pytest.mark.parametrize("unit_size", [1, 2, 3])
@pytest.mark.parametrize("restart_at", range(MIXED))
def test_restarts_and_unit_sizes_do_not_change_what_a_rebuild_gives(
    store: Store, with_claim: bool, unit_size: int, restart_at: int
) -> None:
    """Live processing in units of 1 to 3 inputs, with an engine restart before one of them
    (the state it kept in memory is gone), then a rebuild: the same rows."""
    inputs = _mixed_inputs()
    if not with_claim:
        inputs = inputs[:-1]
    engine = Engine(store, FakeClock())
    for start in range(0, len(inputs), unit_size):
        if start <= restart_at < start + unit_size:
            engine = Engine(store, FakeClock())
        batch = list(inputs[start : start + unit_size])
        for index, item in enumerate(batch):  # the claim names A's contact, known by now
            if isinstance(item, CommandInput) and isinstance(item.command, ClaimIdentifier):
                owner = store.identifier_get("Email", "pat@example.com")
                named = replace(item.command, contact_id=owner.contact_id if owner else "x")
                batch[index] = CommandInput(item.key, named)
        engine.apply(batch)
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.snapshot() == live


def test_new_conversations_read_their_links_at_once_and_delete_no_events(sqlite_url: str) -> None:
    """A batch of conversations new to the engine reads their sessions' links in one query
    (not one per conversation) and, for those not stored yet, deletes no journey events
    (SQLite's trace); after a restart the stored ones are replaced whole, as a rebuild has them."""
    store = open_store(sqlite_url)
    try:
        by_conversation: dict[str, list[Accepted]] = {}
        for item in UNIQUE:
            by_conversation.setdefault(item.event.conversation_id, []).append(item)
        first = [items[0] for items in by_conversation.values()]
        rest = [item for items in by_conversation.values() for item in items[1:]]
        statements: list[str] = []
        store._sqlite.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        Engine(store, FakeClock()).apply(first)
        link_reads = [s for s in statements if "FROM sessions" in s and "contact_verified" in s]
        assert len(link_reads) == 1, link_reads
        assert [s for s in statements if s.startswith("DELETE FROM session_events")] == []
        statements.clear()
        Engine(store, FakeClock()).apply(rest)  # a new engine: every conversation is stored
        store._sqlite.set_trace_callback(None)  # type: ignore[attr-defined]
        deletes = [s for s in statements if s.startswith("DELETE FROM session_events")]
        assert len(deletes) == len({item.event.conversation_id for item in rest})
        live = store.snapshot()
        rebuild(store, FakeClock())
        assert store.snapshot() == live
    finally:
        store.close()


VISITORS = (
    "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10",
    "5d1c4b9e-2f7a-4e38-9c61-0a8b7e6d5c4f",
)


def _web_stream(data: st.DataObject) -> list[Any]:
    """Web events of two visitors at times that make sessions split, join and re-key when a
    late, earlier event arrives; some pages searched, some with a campaign."""
    from builders import web_event, web_inputs

    times = st.lists(st.integers(0, 3580), min_size=1, max_size=8, unique=True)
    events = [web_event(VISITORS[0], 3590)]  # its session still has its idle time ahead
    for cookie in VISITORS:
        for seconds in data.draw(times):
            kind = data.draw(st.sampled_from(["page", "search", "campaign"]))
            url = "https://shop.example.com/p?utm_source=mail" if kind == "campaign" else None
            fields: dict[str, Any] = {"searchQuery": "boots"} if kind == "search" else {}
            events.append(
                web_event(cookie, seconds, url=url or "https://shop.example.com/", **fields)
            )
    return list(web_inputs(*events))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_web_events_in_any_order_batching_and_restarts_converge(data: st.DataObject) -> None:
    """A visitor's web events applied in any order, in any batches, with the engine restarted
    (its cached visitors gone) anywhere, and some sent twice, store what one in-order batch
    stores: the sessions, their events, links and deadlines (the idle time is still ahead for
    the latest sessions)."""
    from builders import T0

    got, expected = _both_ways(data, _web_stream(data), clock=FakeClock(T0 + 3_600_000))
    assert got == expected
    assert got.deadlines  # the latest session's is part of the case


def _both_ways(
    data: st.DataObject, events: list[Any], *, clock: FakeClock, first: Sequence[Any] = ()
) -> tuple[Snapshot, Snapshot]:
    """What the events store applied in any order, in any batches, some twice, with the engine
    restarted (its cached visitors gone) anywhere — and what they store in one in-order batch;
    ``first`` is applied before them, in both stores."""
    stream = [*data.draw(st.permutations(events)), *data.draw(st.lists(st.sampled_from(events)))]
    cuts = sorted(data.draw(st.lists(st.integers(1, len(stream)), max_size=5, unique=True)))
    batches = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    restarts = data.draw(st.sets(st.integers(0, len(batches) - 1)))
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        expected_store = open_store(f"sqlite:///{Path(one) / 'p.db'}")
        store = open_store(f"sqlite:///{Path(two) / 'p.db'}")
        try:
            ordered = sorted(events, key=lambda a: (a.event.created_ms, a.event.key))
            Engine(expected_store, clock).apply([*first, *ordered])
            engine = Engine(store, clock)
            engine.apply(first)
            for index, batch in enumerate(batches):
                if index in restarts:
                    engine = Engine(store, clock)
                engine.apply(batch)
            return store.snapshot(), expected_store.snapshot()
        finally:
            store.close()
            expected_store.close()


#: What each visitor may type on a web form: an email and a phone only they type (claimed),
#: and emails of two people the contact centre knows (matched); the same name every time.
TYPED = (
    {
        "ann": {"email": "ann@example.com", "firstName": "Ann"},
        "phone": {"phone": "+33612345678", "firstName": "Ann"},
        "carol": {"email": "carol@example.com"},
        "dave": {"email": "dave@example.com"},
    },
    {"bob": {"email": "bob@example.com"}, "carol": {"email": "carol@example.com"}},
)


def _identifying_stream(data: st.DataObject) -> list[Any]:
    from builders import web_event, web_inputs

    times = st.lists(st.integers(0, 3580), min_size=1, max_size=6, unique=True)
    events = []
    for cookie, typed in zip(VISITORS, TYPED, strict=True):
        for seconds in data.draw(times):
            kind = data.draw(st.sampled_from(["page", *typed]))
            traits = {
                name: {"dataType": "string", "value": value}
                for name, value in typed.get(kind, {}).items()
            }
            fields: dict[str, Any] = {"traits": traits} if traits else {}
            events.append(web_event(cookie, seconds, **fields))
    return list(web_inputs(*events))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_identifying_web_events_in_any_order_converge(data: st.DataObject) -> None:
    """Visitors who type their email or phone, or one another person owns, in events applied
    in any order, batching, duplication and restarts, store what one in-order batch stores: contacts
    (their dates, when they were identified, their matches), identifiers (when and by which
    cookie each was claimed), sessions and links."""
    from builders import T0

    known = [
        CommandInput(
            f"create-{name}",
            CreateContact(
                actor="agent-1",
                at_ms=T0 - 60_000,
                id=name,
                fields=ContactFields(personal_email=f"{name}@example.com"),
            ),
        )
        for name in ("carol", "dave")
    ]
    clock = FakeClock(T0 + 3_600_000)
    got, expected = _both_ways(data, _identifying_stream(data), clock=clock, first=known)
    assert got.contacts == expected.contacts
    assert got.identifiers == expected.identifiers
    assert got == expected
