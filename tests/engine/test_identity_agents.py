"""A visitor's later visits and late events against what agents decided: a visitor's sessions
follow the visitor's link (engine.web relinks those out of reach of the refold), but an
agent's verification of a session stands, a match to a contact since deleted is dropped, and
a late event re-dates nothing of a contact an agent moved the cookie to."""

from __future__ import annotations

from typing import Any

from builders import COOKIE, SHOP, T0, effects_of, web_event, web_inputs
from conftest import FakeClock
from journeyline.core.identity import AGENT, cookie_contact_id
from journeyline.core.websession import web_event_id
from journeyline.engine.inputs import CommandInput
from journeyline.engine.replay import rebuild
from journeyline.engine.unit import Engine
from journeyline.ingest import genesys_web as web
from journeyline.ingest.enrich import GeoLookup
from journeyline.model import commands
from journeyline.model.card import WebCard
from journeyline.model.contact import Identifier
from journeyline.model.effects import Envelope, JourneyEventAdded, SessionChanged
from journeyline.store.base import Store

ADA = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
EVE = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
EMAIL = {"email": {"dataType": "string", "value": "eve@example.com"}}
EVE_TRAITS = {**EMAIL, "givenName": {"dataType": "string", "value": "Eve"}}


def _visit(engine: Engine, cookie: str, seconds: float, received: int, **fields: Any) -> str:
    return _visit_effects(engine, cookie, seconds, received, **fields)[0]


def _visit_effects(
    engine: Engine, cookie: str, seconds: float, received: int, **fields: Any
) -> tuple[str, list[Envelope]]:
    """A web event of ``cookie`` at ``seconds``, received at ``received``: its session, and
    the effects of its batch."""
    ctx = web.Context(SHOP, received, None, None, GeoLookup(None))
    item = web.parse_web(web_event(cookie, seconds, **fields), ctx)
    outcome = engine.apply([item])
    [applied] = outcome.results
    assert applied.error is None, applied.error
    session_id = engine.store.session_of_event(web_event_id(item.event.key))
    assert session_id is not None
    return session_id, list(outcome.effects)


def _verified_as_eve(store: Store, clock: FakeClock) -> tuple[Engine, str, Identifier]:
    """Eve identifies; Ada views a page; an agent verifies Ada's session as Eve (the cookie
    moves to Eve). The engine, Ada's session, and Eve's email identifier."""
    engine = Engine(store, clock)
    _visit(engine, EVE, 0, T0 + 600_000, name="identified", traits=EMAIL)
    morning = _visit(engine, ADA, 10, T0 + 600_000)
    eve = store.identifier_get("Email", "eve@example.com")
    assert eve is not None
    verify = commands.VerifySession(
        actor="agent-1", at_ms=clock(), contact_id=eve.contact_id, session_id=morning, cookie=ADA
    )
    _command(engine, "cmd-verify", verify)
    return engine, morning, eve


def _rebuilds_as_live(store: Store, clock: FakeClock) -> None:
    live = store.snapshot()
    rebuild(store, clock)
    assert store.snapshot() == live


def _command(engine: Engine, key: str, command: commands.Command) -> None:
    [applied] = engine.apply([CommandInput(key, command)]).results
    assert applied.error is None, applied.error


def test_a_later_visit_does_not_undo_an_agents_verification_of_an_earlier_session(
    store: Store,
) -> None:
    """Ada types Eve's email (an unverified match to Eve). An agent looks at that session and
    verifies it as Ada herself (the cookie's own contact). A day later Ada comes back and just
    views a page: the session the agent verified keeps the agent's link (the relink of her
    other sessions to her link, still the match to Eve, had made it Eve's, unverified)."""
    clock = FakeClock(T0 + 600_000)
    engine = Engine(store, clock)
    _visit(engine, EVE, 0, T0 + 600_000, name="identified", traits=EMAIL)
    morning = _visit(engine, ADA, 10, T0 + 600_000, name="identified", traits=EMAIL)
    ada = cookie_contact_id(ADA)
    eve = store.identifier_get("Email", "eve@example.com")
    assert eve is not None
    assert eve.contact_id != ada
    assert store.session_links([morning]) == {morning: (eve.contact_id, 0)}
    verify = commands.VerifySession(
        actor="agent-1", at_ms=clock(), contact_id=ada, session_id=morning, cookie=ADA
    )
    _command(engine, "cmd-verify", verify)
    assert store.session_links([morning]) == {morning: (ada, AGENT)}
    day = 24 * 3600 * 1000
    clock.now_ms += day
    _visit(engine, ADA, day / 1000, T0 + day + 600_000)  # a page view, a day later
    assert store.session_links([morning]) == {morning: (ada, AGENT)}
    _rebuilds_as_live(store, clock)


def test_a_later_visit_does_not_undo_an_agents_verification_after_the_cookie_is_released(
    store: Store,
) -> None:
    """An agent verifies Ada's session as Eve (the cookie moves to Eve), then releases the
    cookie again (a shared computer: later visits are not Eve's). The session the agent
    verified keeps the agent's link to Eve when Ada comes back a day later (the relink had
    moved it to Ada's own contact)."""
    clock = FakeClock(T0 + 600_000)
    engine, morning, eve = _verified_as_eve(store, clock)
    release = commands.ReleaseIdentifier(
        actor="agent-1", at_ms=clock(), contact_id=eve.contact_id, type="Cookie", value=ADA
    )
    _command(engine, "cmd-release", release)
    assert store.session_links([morning]) == {morning: (eve.contact_id, AGENT)}
    day = 24 * 3600 * 1000
    clock.now_ms += day
    _visit(engine, ADA, day / 1000, T0 + day + 600_000)
    assert store.session_links([morning]) == {morning: (eve.contact_id, AGENT)}


def test_deleting_the_matched_contact_does_not_relink_every_session_to_the_deleted_id(
    store: Store,
) -> None:
    """Ada types Eve's email (an unverified match to Eve), then an agent deletes Eve's contact:
    Ada's sessions are moved off it (to no contact). On Ada's next visit, a day later, her
    contact drops the match to a contact that is gone, and all her sessions link to her own
    contact (the dangling match had linked the new visit, then through the relink every
    session, to the deleted id)."""
    clock = FakeClock(T0 + 600_000)
    engine = Engine(store, clock)
    _visit(engine, EVE, 0, T0 + 600_000, name="identified", traits=EMAIL)
    morning = _visit(engine, ADA, 10, T0 + 600_000, name="identified", traits=EMAIL)
    eve = store.identifier_get("Email", "eve@example.com")
    assert eve is not None
    delete = commands.DeleteContact(actor="agent-1", at_ms=clock(), id=eve.contact_id)
    _command(engine, "cmd-delete", delete)
    assert store.contact_get(eve.contact_id) is None
    day = 24 * 3600 * 1000
    clock.now_ms += day
    _visit(engine, ADA, day / 1000, T0 + day + 600_000)
    ada = cookie_contact_id(ADA)
    assert store.session_links([morning]) == {morning: (ada, 1)}
    contact = store.contact_get(ada)
    assert contact is not None
    assert contact.unverified_match is None
    _rebuilds_as_live(store, clock)


def test_an_event_sent_before_an_agent_moved_the_cookie_does_not_redate_the_other_contact(
    store: Store,
) -> None:
    """Eve identifies (her email) at 100 s. Ada's browser views a page at 10 s; an agent
    verifies that session as Eve (Ada's cookie moves to Eve). Then Ada's event of 50 s, sent
    long before the agent acted, arrives late and types the same email: Eve's claim of it and
    her contact's dates stay as they were (they were re-dated to 50 s, the claim saying Ada's
    cookie typed it: a browser that was not Eve's then)."""
    clock = FakeClock(T0 + 600_000)
    engine = Engine(store, clock)
    _visit(engine, EVE, 100, T0 + 600_000, name="identified", traits=EMAIL)
    morning = _visit(engine, ADA, 10, T0 + 600_000)
    eve = cookie_contact_id(EVE)
    claim_before = store.identifier_get("Email", "eve@example.com")
    assert claim_before is not None
    assert claim_before.contact_id == eve
    verify = commands.VerifySession(
        actor="agent-1", at_ms=clock(), contact_id=eve, session_id=morning, cookie=ADA
    )
    _command(engine, "cmd-verify", verify)
    contact_before = store.contact_get(eve)
    assert contact_before is not None
    _visit(engine, ADA, 50, T0 + 600_000, name="identified", traits=EMAIL)  # sent at 50 s
    assert store.identifier_get("Email", "eve@example.com") == claim_before
    contact_after = store.contact_get(eve)
    assert contact_after is not None
    assert (contact_after.modified_ms, contact_after.identified_ms) == (
        contact_before.modified_ms,
        contact_before.identified_ms,
    )


def test_deleting_the_agents_contact_gives_the_session_back_to_its_visitor(store: Store) -> None:
    """An agent verifies Ada's session as Eve (the cookie moves to Eve), then deletes Eve's
    contact: the session is moved to no contact (level 2 kept), the cookie is nobody's and
    Ada's own contact takes it back. Ada's next page view, in the same session, links it to
    Ada again (an agent's link stands only while it names a contact, as for conversations;
    it stayed linked to nobody, for good)."""
    clock = FakeClock(T0 + 600_000)
    engine, morning, eve = _verified_as_eve(store, clock)
    _command(
        engine,
        "cmd-delete",
        commands.DeleteContact(actor="agent-1", at_ms=clock(), id=eve.contact_id),
    )
    assert store.session_links([morning]) == {morning: (None, AGENT)}
    same, effects = _visit_effects(
        engine, ADA, 60, T0 + 600_000
    )  # a minute later: the same session
    assert same == morning
    ada = cookie_contact_id(ADA)
    [added] = effects_of(effects, JourneyEventAdded)
    assert added.contact_id == ada  # the visitor is Ada again
    assert store.session_links([morning])[morning][0] == ada
    _rebuilds_as_live(store, clock)


def test_an_event_of_a_session_an_agent_verified_names_the_sessions_contact(store: Store) -> None:
    """Ada types Eve's email (an unverified match to Eve, who has a name); an agent verifies
    Ada's session as Ada herself. Ada views another page in that session: the session keeps
    the agent's link to Ada, and so do its new journey event (segments of customer scope and
    outcomes are recorded against it) and its card (both named Eve, the visitor's match)."""
    clock = FakeClock(T0 + 600_000)
    engine = Engine(store, clock)
    _visit(engine, EVE, 0, T0 + 600_000, name="identified", traits=EVE_TRAITS)
    morning = _visit(engine, ADA, 10, T0 + 600_000, name="identified", traits=EMAIL)
    ada = cookie_contact_id(ADA)
    verify = commands.VerifySession(
        actor="agent-1", at_ms=clock(), contact_id=ada, session_id=morning, cookie=ADA
    )
    _command(engine, "cmd-verify", verify)
    same, effects = _visit_effects(engine, ADA, 60, T0 + 600_000)
    assert same == morning
    assert store.session_links([morning]) == {morning: (ada, AGENT)}
    [changed] = effects_of(effects, SessionChanged)
    [added] = effects_of(effects, JourneyEventAdded)
    assert (changed.contact_id, added.contact_id) == (ada, ada)
    assert isinstance(changed.after, WebCard)
    assert changed.after.customer_name == "Unknown"  # Ada gave no name; Eve did
    _rebuilds_as_live(store, clock)


def test_a_late_web_event_does_not_redate_an_agents_claim_of_the_cookie(store: Store) -> None:
    """An agent claims (verifies) a visitor's cookie for the visitor's own contact at 3 s; a
    web event of 1 s that arrives after that must not re-date the agent's claim to 1 s: the
    re-dating is for the cookie's own ``webCookie`` claim, which dates from its events."""
    engine = Engine(store, FakeClock(T0 + 3_600_000))
    own = cookie_contact_id(COOKIE)
    engine.apply(web_inputs(web_event(COOKIE, 2)))
    claim = commands.ClaimIdentifier(
        actor="agent-1", at_ms=T0 + 3_000, contact_id=own, type="Cookie", value=COOKIE
    )
    [answer] = engine.apply([CommandInput("cmd-claim", claim)]).results
    assert answer.error is None, answer.error
    claimed = store.identifier_get("Cookie", COOKIE)
    assert claimed is not None
    assert (claimed.source, claimed.created_ms) == ("agentVerified", T0 + 3_000)
    engine.apply(web_inputs(web_event(COOKIE, 1)))  # sent before the claim, arrived after it
    after = store.identifier_get("Cookie", COOKIE)
    assert after == claimed
    _rebuilds_as_live(store, FakeClock(T0 + 3_600_000))
