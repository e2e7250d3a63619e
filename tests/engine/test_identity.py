"""Identity through the engine on a real SQLite file: effects in order, and old logged commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from builders import accepted, answered, web_event, web_inputs
from conftest import SAMPLES, FakeClock
from journeyline.core.conversation import session_id_for
from journeyline.core.identity import AGENT
from journeyline.core.websession import web_event_id
from journeyline.engine.effects import COMMANDS_KEY, partition_for
from journeyline.engine.identity import COMMAND_KIND, decode_command, encode_command
from journeyline.engine.inputs import CommandInput, Outcome
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.engine.web import partition_of
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.model import commands
from journeyline.model.contact import Contact, Deployment, Identifier
from journeyline.model.effects import (
    ContactChanged,
    ContactCreated,
    ContactMerged,
    Effect,
    IdentifierClaimed,
    SessionChanged,
)
from journeyline.model.errors import JourneylineError
from journeyline.store import open_store
from journeyline.store.base import LogRecord, Snapshot, Store

ADA = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
EVE = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
SHOP = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
AT = 1_795_600_900_000


Emitted = list[tuple[int, Effect]]


def _emitted(outcome: Outcome) -> Emitted:
    """Identity's effects of a batch (``contact.*``, ``identifier.*``), each with its partition,
    in order; the sessions' effects announced with them are left out."""
    return [
        (envelope.partition, envelope.effect)
        for envelope in outcome.effects
        if envelope.name.startswith(("contact.", "identifier."))
    ]


def _visit(
    engine: Engine, cookie: str, seconds: float, **fields: Any
) -> tuple[web.AcceptedWeb, Emitted]:
    ctx = web.Context(SHOP, 1_795_600_100_000, None, None, GeoLookup(None))
    item = web.parse_web(web_event(cookie, seconds, **fields), ctx)
    outcome = engine.apply([item])
    return item, _emitted(outcome)


def _command(engine: Engine, key: str, command: commands.Command) -> tuple[dict[str, Any], Emitted]:
    outcome = engine.apply([CommandInput(key, command)])
    [applied] = outcome.results
    assert applied.error is None, applied.error
    return applied.result or {}, _emitted(outcome)


def _owner(store: Store, kind: str, value: str) -> str:
    found = store.identifier_get(kind, value)
    assert found is not None
    return found.contact_id


def _contact(store: Store, contact_id: str) -> Contact:
    found = store.contact_get(contact_id)
    assert found is not None, contact_id
    return found


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    store = open_store(store_url)
    yield Engine(store, FakeClock())
    store.close()


def test_a_new_visitor_emits_its_contact_then_its_cookie(engine: Engine) -> None:
    item, emitted = _visit(engine, ADA, 0)
    ada = _owner(engine.store, "Cookie", ADA)
    contact = _contact(engine.store, ada)
    partition = partition_for(partition_of(item.event))
    assert emitted == [
        (partition, ContactCreated(contact)),
        (
            partition,
            IdentifierClaimed(
                Identifier("Cookie", ADA, ada, True, item.event.created_ms, "webCookie")
            ),
        ),
    ]


def test_a_merge_and_a_claim_emit_what_changed_in_order(engine: Engine) -> None:
    email = {"email": {"dataType": "string", "value": "ada@example.com"}}
    _visit(engine, ADA, 0, name="identified", traits=email)
    _visit(engine, EVE, 5, name="identified", traits=email)  # Eve: a match to Ada
    store = engine.store
    ada, eve = _owner(store, "Cookie", ADA), _owner(store, "Cookie", EVE)
    before = {c: _contact(store, c) for c in (ada, eve)}
    assert before[eve].unverified_match == ada

    # an agent says Eve's browser is Ada's: the cookie moves, Eve's match is void
    claim = commands.ClaimIdentifier(
        actor="agent-1", at_ms=AT, contact_id=ada, type="Cookie", value=EVE
    )
    _, emitted = _command(engine, "cmd-claim", claim)
    after_eve = _contact(store, eve)
    assert after_eve.unverified_match is None
    identity = partition_for(COMMANDS_KEY)
    assert emitted == [
        (
            identity,
            IdentifierClaimed(Identifier("Cookie", EVE, ada, True, AT, "agentVerified"), eve),
        ),
        (identity, ContactChanged(before[eve], after_eve)),
    ]
    assert _owner(store, "Cookie", EVE) == ada

    merge = commands.MergeContacts(
        actor="agent-1", at_ms=AT + 1, id="head-1", contact_ids=(ada, eve)
    )
    answer, emitted = _command(engine, "cmd-merge", merge)
    assert answer == {"id": "head-1"}
    head = _contact(store, "head-1")
    members = {c.id: c for c in store.contact_members("head-1")}
    assert set(members) == {ada, eve}
    before_merge = {ada: before[ada], eve: after_eve}
    assert emitted == [
        (identity, ContactCreated(head)),
        *[(identity, ContactChanged(before_merge[c], members[c])) for c in (ada, eve)],  # as named
        (identity, ContactMerged("head-1", tuple(sorted(members)))),
    ]


def test_a_refused_command_emits_nothing_and_writes_nothing(engine: Engine) -> None:
    _visit(engine, ADA, 0)
    before = engine.store.snapshot()
    merge = commands.MergeContacts(actor="agent-1", at_ms=AT, id="h", contact_ids=("x",))
    outcome = engine.apply([CommandInput("cmd-1", merge)])
    [applied] = outcome.results
    assert applied.status == "failed"
    assert applied.error is not None
    assert applied.error.field == "contactIds"
    assert outcome.effects == []
    assert engine.identity.effects.items == []
    assert engine.store.snapshot() == before
    assert engine.store.log_count() == 1  # the refused command is not logged


# -- commands logged in the first shape ---------------------------------------------------------

OLD_LOG = (SAMPLES / "identity-commands-v0.jsonl").read_bytes().splitlines()
OLD_KINDS = [
    commands.CreateContact,
    commands.UpdateContact,
    commands.ClaimIdentifier,
    commands.ReleaseIdentifier,
    commands.CreateContact,
    commands.MergeContacts,
    commands.ClaimIdentifier,
    commands.UnmergeContact,
    commands.VerifySession,
    commands.VerifySession,
    commands.DeleteContact,
]


def test_commands_in_the_first_shape_decode_to_typed_commands() -> None:
    decoded = [decode_command(line) for line in OLD_LOG]
    assert [type(c) for c in decoded] == OLD_KINDS
    create, update, _, _, _, merge, *_ = decoded
    assert create == commands.CreateContact(
        actor="agent-1",
        at_ms=1_795_600_000_000,
        id="c-grace",
        fields=commands.ContactFields(
            first_name="Grace", work_email="grace@navy.example", cell_phone="+12025550101"
        ),
    )
    assert isinstance(update, commands.UpdateContact)
    assert update.fields.given() == {"title": "Rear Admiral", "last_name": None}
    assert merge == commands.MergeContacts(
        actor="agent-2",
        at_ms=1_795_600_005_000,
        id="m-1",
        contact_ids=("c-grace", "c-ada"),
        value_override=commands.ContactFields(first_name="Grace Ada"),
    )
    for command in decoded:  # and today's shape reads back as itself
        assert decode_command(encode_command(command)) == command


def _replayed(path: Path, bodies: list[bytes]) -> tuple[Snapshot, list[dict[str, Any]]]:
    store = open_store(f"sqlite:///{path}")
    try:
        with store.transaction():
            store.append(
                [
                    LogRecord(f"cmd-{n}", COMMAND_KIND, "identity", 1_795_600_000_000, body, n)
                    for n, body in enumerate(bodies, 1)
                ]
            )
        assert rebuild(store, FakeClock()) == len(bodies)
        audits = store.audits_of(["c-grace", "c-ada", "m-1"])
        return store.snapshot(), audits
    finally:
        store.close()


def test_a_log_of_first_shape_commands_replays_as_todays_would(tmp_path: Path) -> None:
    old, old_audits = _replayed(tmp_path / "old.db", OLD_LOG)
    today = [encode_command(decode_command(line)) for line in OLD_LOG]
    new, new_audits = _replayed(tmp_path / "new.db", today)
    assert old == new
    assert old_audits == new_audits
    assert [a["action"] for a in old_audits] == [
        "create",
        "update",
        "claim",
        "release",
        "create",
        "merge",
        "claim",
        "unmerge",
        "verify_session",
        "verify_session",
        "delete",
    ]
    contacts = {c.id for c in old.contacts}
    assert contacts == {"c-grace"}
    identifiers = {(i.type, i.value): i.contact_id for i in old.identifiers}
    assert identifiers == {
        ("Email", "grace@navy.example"): "c-grace",
        ("Phone", "+12025550101"): "c-grace",
    }


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"command":"merge","actor":"a","atMs":1,"id":"x"}', "contactIds"),
        (
            b'{"command":"create","actor":"a","atMs":1,"id":"c","fields":{"first_name":5}}',
            "first_name",
        ),
        (b'{"command":"frobnicate","actor":"a","atMs":1}', "frobnicate"),
    ],
)
def test_a_bad_logged_command_names_its_own_fault(body: bytes, named: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=named):
        decode_command(body)


def test_a_rebuild_says_which_log_entry_it_cannot_read(store: Store) -> None:
    bad = LogRecord("bad-1", COMMAND_KIND, "identity", 1, b'{"command":"merge","actor":"a"}', 1)
    with store.transaction():
        store.append([bad])
    with pytest.raises(JourneylineError, match="bad-1"):
        rebuild(store, FakeClock())


def test_a_batch_of_visitors_decides_as_the_same_events_one_by_one(tmp_path: Path) -> None:
    """A batch reads its visitors' identity in one query per kind and writes it in one
    statement per kind: the contacts, identifiers and links are those of one event per batch,
    for visitors that claim the same email in one batch, a cookie with web and app events, and
    a returning visitor (the same store is fed both ways)."""
    bob, cat, dan = (
        "1c9e2b7a-3f4d-4e5a-9b6c-7d8e9f0a1b2c",
        "2d0f3c8b-4e5a-4f6b-8c7d-8e9f0a1b2c3d",
        "3e1a4d9c-5f6b-4a7c-9d8e-9f0a1b2c3d4e",
    )
    traits = {"email": {"dataType": "String", "value": "ada@example.com"}}
    earlier = [web_event(dan, 1), web_event(ADA, 2)]
    events = [
        web_event(ADA, 60, name="form_submitted", traits=traits),
        web_event(bob, 61),
        web_event(bob, 62, name="form_submitted", traits=traits),  # Ada's email: a match
        web_event(cat, 63),
        {**web_event(cat, 64), "sessionType": "app"},
        web_event(dan, 65),  # returning
        web_event(EVE, 66, traits={"email": {"dataType": "String", "value": "eve@example.com"}}),
    ]
    stores = []
    for name, batches in (("one", [earlier, events]), ("each", [[e] for e in earlier + events])):
        store = open_store(f"sqlite:///{tmp_path / name}.db")
        engine = Engine(store, FakeClock(AT))
        for batch in batches:
            outcome = engine.apply(web_inputs(*batch))
            assert all(a.status == "accepted" for a in outcome.results), outcome.results
        stores.append(store)
    one, each = stores
    try:
        assert one.snapshot() == each.snapshot()
        assert _owner(one, "Email", "ada@example.com") == _owner(one, "Cookie", ADA)
        bob_contact = _contact(one, _owner(one, "Cookie", bob))
        assert bob_contact.unverified_match == _owner(one, "Cookie", ADA)
        assert _owner(one, "Email", "eve@example.com") == _owner(one, "Cookie", EVE)
    finally:
        one.close()
        each.close()


def test_a_returning_visitor_s_cookie_and_contact_are_not_read_again(sqlite_url: str) -> None:
    """The engine remembers the rows it read and wrote: a visitor's second batch reads no
    identifier and no contact (SQLite's trace of the statements run); after a command moved
    identity, it reads them again, and sees what the command did."""
    store = open_store(sqlite_url)
    try:
        engine = Engine(store, FakeClock(AT))
        _visit(engine, ADA, 0)
        statements: list[str] = []
        store._sqlite.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        _visit(engine, ADA, 5)
        rows = ("FROM identifiers", "SELECT doc FROM contacts")  # not the next expiry's MIN()
        reads = [s for s in statements if any(read in s for read in rows)]
        assert reads == []
        assert any(s.startswith("INSERT INTO contacts") for s in statements)  # re-dated

        _command(engine, "c1", commands.CreateContact(actor="a", at_ms=AT, id="curated"))
        claim = commands.ClaimIdentifier(
            actor="a", at_ms=AT, contact_id="curated", type="Cookie", value=ADA
        )
        _command(engine, "c2", claim)
        statements.clear()
        _visit(engine, ADA, 10)
        assert any("FROM identifiers" in s for s in statements)
        store._sqlite.set_trace_callback(None)  # type: ignore[attr-defined]
        ada_sessions = store.customer_web_sessions(ADA, "web")
        links = {store.session_link(session_id) for session_id in ada_sessions}
        assert links == {("curated", AGENT)}  # the agent's link stands (it was made level 1)
    finally:
        store.close()


def test_a_caller_s_number_and_contact_are_not_read_again_in_the_next_batch(
    sqlite_url: str,
) -> None:
    """The conversation path remembers the rows too: the next batch of the same call reads
    neither the caller's number nor their contact again, and links as the first did."""
    store = open_store(sqlite_url)
    try:
        engine = Engine(store, FakeClock(AT))
        items = accepted(answered("conv-1").user_end(200, "u-ann").customer_end(200))
        engine.apply(items[:3])
        session_id = session_id_for("conv-1")
        first = store.session_link(session_id)
        statements: list[str] = []
        store._sqlite.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        engine.apply(items[3:])
        store._sqlite.set_trace_callback(None)  # type: ignore[attr-defined]
        assert [s for s in statements if "FROM identifiers" in s] == []
        assert [s for s in statements if s.startswith("SELECT doc FROM contacts")] == []
        assert store.session_link(session_id) == first
        assert first is not None
        assert first[0] == _owner(store, "Phone", "+15551585963")
    finally:
        store.close()


@pytest.mark.parametrize("restart", [False, True], ids=["cached", "after a restart"])
def test_a_visitor_matched_later_has_all_their_sessions_linked_to_the_match(
    store_url: str, restart: bool
) -> None:
    """Ada's visit, then another 40 minutes later (out of reach of the first: not refolded)
    where she types Eve's email: both sessions link to Eve, unverified, as when the two visits
    come in one batch; the first session's card announces its new contact."""
    email = {"email": {"dataType": "string", "value": "eve@example.com"}}
    store = open_store(store_url)
    try:
        engine = Engine(store, FakeClock())
        _visit(engine, EVE, 0, name="identified", traits=email)
        morning, _ = _visit(engine, ADA, 0)
        if restart:
            engine = Engine(store, FakeClock())
        ctx = web.Context(SHOP, 1_795_602_500_000, None, None, GeoLookup(None))
        afternoon = web.parse_web(web_event(ADA, 2400, name="identified", traits=email), ctx)
        outcome = engine.apply([afternoon])
        eve = _owner(store, "Email", "eve@example.com")
        first, second = (
            store.session_of_event(web_event_id(item.event.key)) for item in (morning, afternoon)
        )
        assert first is not None
        assert second is not None
        assert first != second  # two sessions
        assert store.session_links([first, second]) == {first: (eve, 0), second: (eve, 0)}
        changed = [e.effect for e in outcome.effects if isinstance(e.effect, SessionChanged)]
        assert [(c.session_id, c.contact_id) for c in changed] == [(first, eve)]
        live = store.snapshot()
        rebuild(store, FakeClock())
        assert store.snapshot() == live
    finally:
        store.close()
