"""Identity's rules, as tables of cases: state in, decision (writes and effects) out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import pytest

from builders import Conversation
from journeyline.core import identity as rules
from journeyline.core import recognition
from journeyline.core.conversation import fold
from journeyline.core.identity import (
    AGENT,
    Decision,
    IdentityState,
    LinkCustomer,
    LinkSession,
    MoveLinks,
    StateNotLoaded,
)
from journeyline.core.identity_commands import execute
from journeyline.model.commands import (
    ClaimIdentifier,
    ContactFields,
    CreateContact,
    DeleteContact,
    IdentityCommand,
    MergeContacts,
    ReleaseIdentifier,
    UnmergeContact,
    UpdateContact,
    VerifySession,
)
from journeyline.model.contact import Contact, Identifier
from journeyline.model.detail import JourneyContext
from journeyline.model.effects import (
    ContactChanged,
    ContactCreated,
    ContactDeleted,
    ContactMerged,
    ContactUnmerged,
    ContactVerified,
    Effect,
    IdentifierClaimed,
    IdentifierReleased,
)
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.model.session import ConversationSession
from journeyline.model.web import Attribute, WebEvent

T0 = 1_795_600_000_000
DAY = 24 * 3600 * 1000
COOKIE = "7d5d8a6e-2f8b-4c1e-9a3b-0c1d2e3f4a5b"
OWN = rules.cookie_contact_id(COOKIE)
ADA_EMAIL = "ada@example.com"
PHONE = "+15551585963"


# -- building state ---------------------------------------------------------------------------


class _Absent(dict[Any, Any]):
    """A mapping in which whatever is not given is absent (looked up, and not there)."""

    def __init__(self, items: Iterable[tuple[Any, Any]], empty: Any = None) -> None:
        super().__init__(items)
        self.empty = empty

    def __missing__(self, key: Any) -> Any:
        return self.empty


def world(*records: Contact | Identifier) -> IdentityState:
    """The whole stored state: these contacts and identifiers, nothing else."""
    contacts = [r for r in records if isinstance(r, Contact)]
    identifiers = [r for r in records if isinstance(r, Identifier)]
    owned: dict[str, list[Identifier]] = {}
    for i in sorted(identifiers, key=lambda i: (i.type, i.value)):
        owned.setdefault(i.contact_id, []).append(i)
    members: dict[str, list[Contact]] = {}
    for c in sorted(contacts, key=lambda c: c.id):
        if c.canonical_id:
            members.setdefault(c.canonical_id, []).append(c)
    return IdentityState(
        contacts=_Absent((c.id, c) for c in contacts),
        identifiers=_Absent(((i.type, i.value), i) for i in identifiers),
        owned=_Absent(owned.items(), ()),
        members=_Absent(members.items(), ()),
    )


def contact(contact_id: str, kind: str = "Identified", at: int = T0, **fields: Any) -> Contact:
    return Contact(contact_id, kind, at, at, at, **fields)


def ident(kind: str, value: str, owner: str, *, verified: bool = True, at: int = T0) -> Identifier:
    return Identifier(kind, value, owner, verified, at)


def cookie_of(owner: str, *, at: int = T0) -> Identifier:
    return ident("Cookie", COOKIE, owner, at=at)


def event(
    seconds: float = 0,
    *,
    cookie: str = COOKIE,
    traits: dict[str, str] | None = None,
    external_id: str | None = None,
    key: str | None = None,
) -> WebEvent:
    traits = traits or {}
    found: list[tuple[str, str]] = []
    for name, value in traits.items():
        if name == "email":
            found.append(("Email", value))
        elif name == "phone":
            found.append(("Phone", value))
    return WebEvent(
        key=key or f"k{seconds}",
        deployment_id="d1",
        customer_cookie_id=cookie,
        event_name="identified" if traits else "page_viewed",
        created_ms=T0 + int(seconds * 1000),
        traits={n: Attribute("string", v) for n, v in traits.items()},
        external_id=external_id,
        identifiers=tuple(found),
    )


def summary(effect: Effect) -> tuple[object, ...]:
    """An effect, short: its name and what it is about."""
    match effect:
        case ContactCreated(contact=c):
            return ("contact.created", c.id)
        case ContactChanged(after=c):
            return ("contact.changed", c.id)
        case ContactDeleted(contact_id=i):
            return ("contact.deleted", i)
        case (
            ContactMerged(contact_id=i, member_ids=m) | ContactUnmerged(contact_id=i, member_ids=m)
        ):
            return (effect.name, i, m)
        case ContactVerified(contact_id=i, session_id=s):
            return ("contact.verified", i, s)
        case IdentifierClaimed(identifier=i, previous_contact_id=p):
            return ("identifier.claimed", f"{i.type}:{i.value}", i.contact_id, p)
        case IdentifierReleased(type=t, value=v, contact_id=i):
            return ("identifier.released", f"{t}:{v}", i)
    raise AssertionError(effect)


def effects(decision: Decision) -> list[tuple[object, ...]]:
    return [summary(e) for e in decision.effects]


def put(decision: Decision, contact_id: str) -> Contact:
    [found] = [c for c in decision.put_contacts if c.id == contact_id]
    return found


def owners(decision: Decision) -> dict[str, str]:
    """The identifiers put, as ``type:value`` -> owner."""
    return {f"{i.type}:{i.value}": i.contact_id for i in decision.put_identifiers}


# -- small rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expires"),
    [
        (contact("e", "Ephemeral"), T0 + 60 * DAY),
        (contact("i", "Identified"), T0 + 60 * DAY),
        (contact("c", "Curated"), None),
        (contact("h", "Identified", merged_from=("a", "b")), None),
    ],
)
def test_who_expires_and_when(record: Contact, expires: int | None) -> None:
    assert rules.expiry_ms(record) == expires


@pytest.mark.parametrize(
    ("after_ms", "is_expired"), [(0, False), (60 * DAY, False), (60 * DAY + 1, True)]
)
def test_sixty_days_of_inactivity_expire_a_contact(after_ms: int, is_expired: bool) -> None:
    ephemeral = contact("e", "Ephemeral")
    assert rules.expired(ephemeral, T0 + after_ms) is is_expired
    assert (rules.live(ephemeral, T0 + after_ms) is None) is is_expired


def test_a_rule_that_consults_what_was_not_loaded_says_so() -> None:
    with pytest.raises(StateNotLoaded, match="identifier"):
        recognition.visitor(IdentityState(), [event()])


# -- web visitors: the cookie -----------------------------------------------------------------


@dataclass(frozen=True)
class VisitorCase:
    name: str
    state: IdentityState
    events: Sequence[WebEvent]
    link: tuple[str, bool, bool]  # contact, verified, new cookie
    effects: list[tuple[object, ...]]
    cookie_seen: bool = False
    owners: dict[str, str] = field(default_factory=dict)  # identifiers put
    deleted: tuple[tuple[str, str], ...] = ()


EXPIRED = T0 - 61 * DAY
VISITOR_CASES = [
    VisitorCase(
        "a new cookie makes an ephemeral contact that claims it",
        world(),
        [event()],
        (OWN, True, True),
        [("contact.created", OWN), ("identifier.claimed", f"Cookie:{COOKIE}", OWN, None)],
        owners={f"Cookie:{COOKIE}": OWN},
    ),
    VisitorCase(
        "a cookie without an owner but with sessions is not new",
        world(),
        [event()],
        (OWN, True, False),
        [("contact.created", OWN), ("identifier.claimed", f"Cookie:{COOKIE}", OWN, None)],
        cookie_seen=True,
        owners={f"Cookie:{COOKIE}": OWN},
    ),
    VisitorCase(
        "a known cookie: its contact's last activity moves, which is stored, not announced",
        world(contact(OWN, "Ephemeral"), cookie_of(OWN)),
        [event(30)],
        (OWN, True, False),
        [],
    ),
    VisitorCase(
        "a known cookie, nothing new: nothing written, nothing emitted",
        world(contact(OWN, "Ephemeral"), cookie_of(OWN)),
        [event(0)],
        (OWN, True, False),
        [],
    ),
    VisitorCase(
        "its own contact expired: its identifiers go, the cookie starts afresh",
        world(
            contact(OWN, "Identified", at=EXPIRED, personal_email=ADA_EMAIL),
            cookie_of(OWN, at=EXPIRED),
            ident("Email", ADA_EMAIL, OWN, at=EXPIRED),
        ),
        [event()],
        (OWN, True, False),
        [
            ("identifier.released", f"Cookie:{COOKIE}", OWN),
            ("identifier.released", f"Email:{ADA_EMAIL}", OWN),
            ("contact.created", OWN),
            ("identifier.claimed", f"Cookie:{COOKIE}", OWN, None),
        ],
        owners={f"Cookie:{COOKIE}": OWN},
        deleted=(("Email", ADA_EMAIL),),
    ),
    VisitorCase(
        "another contact that owned the cookie expired: the cookie comes back",
        world(contact("x", "Identified", at=EXPIRED), cookie_of("x", at=EXPIRED)),
        [event()],
        (OWN, True, False),
        [("contact.created", OWN), ("identifier.claimed", f"Cookie:{COOKIE}", OWN, "x")],
        owners={f"Cookie:{COOKIE}": OWN},
    ),
    VisitorCase(
        "a cookie an agent moved to a live contact stays with it",
        world(contact("x", "Curated"), contact(OWN, "Ephemeral"), cookie_of("x")),
        [event(30)],
        ("x", True, False),
        [],
    ),
]


@pytest.mark.parametrize("case", VISITOR_CASES, ids=[c.name for c in VISITOR_CASES])
def test_who_a_cookie_is(case: VisitorCase) -> None:
    decision, link = recognition.visitor(case.state, case.events, cookie_seen=case.cookie_seen)
    assert (link.contact_id, link.verified, link.new_cookie) == case.link
    assert effects(decision) == case.effects
    assert owners(decision) == case.owners
    assert decision.delete_identifiers == case.deleted
    assert decision.delete_contacts == ()


@pytest.mark.parametrize(
    "own",
    [
        contact(OWN, "Identified", first_name="Ada"),
        contact(OWN, "Identified", first_name="Ada", canonical_id="h"),
    ],
    ids=["named", "a merged member"],
)
def test_a_cookie_nobody_owns_goes_back_to_its_own_contact_as_it_is(own: Contact) -> None:
    """An agent released the cookie (or the contact it was moved to was deleted): the visitor's
    own contact, still alive, takes it back without losing its name or its merge."""
    decision, link = recognition.visitor(world(own), [event(30)])
    assert (link.contact_id, link.verified) == (OWN, True)
    kept = put(decision, OWN)
    assert (kept.first_name, kept.type, kept.canonical_id, kept.created_ms) == (
        "Ada",
        "Identified",
        own.canonical_id,
        own.created_ms,
    )
    assert owners(decision) == {f"Cookie:{COOKIE}": OWN}


def test_a_visit_moves_the_contacts_activity_and_stores_it() -> None:
    decision, _ = recognition.visitor(world(contact(OWN, "Ephemeral"), cookie_of(OWN)), [event(30)])
    assert put(decision, OWN).last_activity_ms == T0 + 30_000
    assert effects(decision) == []  # dates alone are not a change anyone is told about


def test_a_new_cookies_contact_is_dated_by_its_earliest_event() -> None:
    decision, _ = recognition.visitor(world(), [event(50), event(10), event(90)])
    made = put(decision, OWN)
    assert (made.type, made.created_ms, made.modified_ms, made.last_activity_ms) == (
        "Ephemeral",
        T0 + 10_000,
        T0 + 10_000,
        T0 + 90_000,
    )


def test_a_contact_change_carries_before_and_after() -> None:
    before = contact(OWN, "Ephemeral")
    decision, _ = recognition.visitor(
        world(before, cookie_of(OWN)), [event(30, traits={"firstName": "Ada"})]
    )
    after = put(decision, OWN)
    assert (after.first_name, after.type, after.last_activity_ms) == (
        "Ada",
        "Identified",
        T0 + 30_000,
    )
    assert decision.effects == (ContactChanged(before, after),)


# -- web visitors: traits ---------------------------------------------------------------------


@dataclass(frozen=True)
class TraitsCase:
    name: str
    state: IdentityState
    events: Sequence[WebEvent]
    link: tuple[str, bool]
    effects: list[tuple[object, ...]]
    fields: dict[str, object]  # of the visitor's contact, as put
    owners: dict[str, str] = field(default_factory=dict)


KNOWN = (contact(OWN, "Ephemeral"), cookie_of(OWN))
TRAITS_CASES = [
    TraitsCase(
        "an email nobody owns is claimed, unverified, and the contact is identified",
        world(*KNOWN),
        [event(5, traits={"email": ADA_EMAIL})],
        (OWN, True),
        [("contact.changed", OWN), ("identifier.claimed", f"Email:{ADA_EMAIL}", OWN, None)],
        {"type": "Identified", "personal_email": ADA_EMAIL, "unverified_match": None},
        {f"Email:{ADA_EMAIL}": OWN},
    ),
    TraitsCase(
        "a phone nobody owns goes to the cell phone",
        world(*KNOWN),
        [event(5, traits={"phone": PHONE})],
        (OWN, True),
        [("contact.changed", OWN), ("identifier.claimed", f"Phone:{PHONE}", OWN, None)],
        {"type": "Identified", "cell_phone": PHONE},
        {f"Phone:{PHONE}": OWN},
    ),
    TraitsCase(
        "a new visitor who identifies at once: created, then its cookie and email claimed",
        world(),
        [event(0, traits={"email": ADA_EMAIL, "givenName": "Ada"})],
        (OWN, True),
        [
            ("contact.created", OWN),
            ("identifier.claimed", f"Cookie:{COOKIE}", OWN, None),
            ("identifier.claimed", f"Email:{ADA_EMAIL}", OWN, None),
        ],
        {"type": "Identified", "first_name": "Ada", "personal_email": ADA_EMAIL},
        {f"Cookie:{COOKIE}": OWN, f"Email:{ADA_EMAIL}": OWN},
    ),
    TraitsCase(
        "names alone identify a visitor",
        world(*KNOWN),
        [event(5, traits={"givenName": "Ada", "familyName": "Lovelace"})],
        (OWN, True),
        [("contact.changed", OWN)],
        {"type": "Identified", "first_name": "Ada", "last_name": "Lovelace"},
    ),
    TraitsCase(
        "an external id nobody owns is claimed too",
        world(*KNOWN),
        [event(5, external_id="crm-7")],
        (OWN, True),
        [("contact.changed", OWN), ("identifier.claimed", "ExternalId:crm-7", OWN, None)],
        {"type": "Identified"},
        {"ExternalId:crm-7": OWN},
    ),
    TraitsCase(
        "an email the visitor's own merge set owns: no claim, no match",
        world(
            contact(OWN, "Identified", canonical_id="h"),
            cookie_of(OWN),
            contact("m", "Identified", canonical_id="h", personal_email=ADA_EMAIL),
            contact("h", "Curated", merged_from=(OWN, "m")),
            ident("Email", ADA_EMAIL, "m"),
        ),
        [event(5, traits={"email": ADA_EMAIL})],
        (OWN, True),
        [],  # its activity moved, nothing else
        {"unverified_match": None, "personal_email": None},
    ),
    TraitsCase(
        "an email another person owns: an unverified match to them",
        world(*KNOWN, contact("ada", "Curated"), ident("Email", ADA_EMAIL, "ada")),
        [event(5, traits={"email": ADA_EMAIL})],
        ("ada", False),
        [("contact.changed", OWN)],
        {"type": "Identified", "unverified_match": "ada", "personal_email": None},
    ),
    TraitsCase(
        "two others' identifiers: only the first makes the match",
        world(
            *KNOWN,
            contact("ada", "Curated"),
            ident("Email", ADA_EMAIL, "ada"),
            contact("bob", "Curated"),
            ident("Phone", PHONE, "bob"),
        ),
        [event(5, traits={"email": ADA_EMAIL}), event(6, traits={"phone": PHONE})],
        ("ada", False),
        [("contact.changed", OWN)],
        {"unverified_match": "ada"},
    ),
    TraitsCase(
        "an email whose owner expired is claimed from them",
        world(*KNOWN, contact("old", at=EXPIRED), ident("Email", ADA_EMAIL, "old", at=EXPIRED)),
        [event(5, traits={"email": ADA_EMAIL})],
        (OWN, True),
        [("contact.changed", OWN), ("identifier.claimed", f"Email:{ADA_EMAIL}", OWN, "old")],
        {"personal_email": ADA_EMAIL, "unverified_match": None},
        {f"Email:{ADA_EMAIL}": OWN},
    ),
    TraitsCase(
        "the same email twice in one batch: claimed once",
        world(*KNOWN),
        [event(5, traits={"email": ADA_EMAIL}), event(9, traits={"email": ADA_EMAIL})],
        (OWN, True),
        [("contact.changed", OWN), ("identifier.claimed", f"Email:{ADA_EMAIL}", OWN, None)],
        {"personal_email": ADA_EMAIL, "last_activity_ms": T0 + 9_000},
        {f"Email:{ADA_EMAIL}": OWN},
    ),
]


@pytest.mark.parametrize("case", TRAITS_CASES, ids=[c.name for c in TRAITS_CASES])
def test_what_traits_do(case: TraitsCase) -> None:
    decision, link = recognition.visitor(case.state, case.events)
    assert (link.contact_id, link.verified) == case.link
    assert effects(decision) == case.effects
    made = put(decision, OWN)
    assert {name: getattr(made, name) for name in case.fields} == case.fields
    claimed = {k: v for k, v in owners(decision).items() if not k.startswith("Cookie:")}
    assert claimed == {k: v for k, v in case.owners.items() if not k.startswith("Cookie:")}


def test_an_identifier_claimed_from_traits_is_unverified_and_dated_by_its_event() -> None:
    decision, _ = recognition.visitor(
        world(*KNOWN),
        [event(5, traits={"email": ADA_EMAIL}), event(9, traits={"email": ADA_EMAIL})],
    )
    [email] = [i for i in decision.put_identifiers if i.type == "Email"]
    assert email == Identifier(
        "Email",
        ADA_EMAIL,
        OWN,
        False,
        T0 + 5_000,
        "webClaim",
        claimed_by=COOKIE,
        deployment_id="d1",
    )


# -- conversations ----------------------------------------------------------------------------

CALL = fold(Conversation("call-1", ani=f"tel:{PHONE}").customer_start(0).events()).session
NUMBERS_OWN = recognition.conversation_contact_id(("Phone", PHONE))
EMAILS_OWN = recognition.conversation_contact_id(("Email", ADA_EMAIL))


def chat(**fields: Any) -> ConversationSession:
    return replace(CALL, media_type="chat", **fields)


def from_the_website(customer_id: str = COOKIE) -> ConversationSession:
    context = JourneyContext(customer_id=customer_id, customer_id_type="cookie")
    return chat(customer_id=customer_id, customer_id_type="cookie", journey_context=context)


@dataclass(frozen=True)
class ConversationCase:
    name: str
    state: IdentityState
    session: ConversationSession
    link: tuple[str | None, bool]
    effects: list[tuple[object, ...]] = field(default_factory=list)


CONVERSATION_CASES = [
    ConversationCase(
        "named by the contact centre",
        world(contact("ada"), ident("Phone", PHONE, "ada")),
        replace(CALL, external_contact_id="crm-contact"),
        ("crm-contact", True),
    ),
    ConversationCase(
        "a chat from the website: its visitor, verified",
        world(contact("v", "Ephemeral"), ident("Cookie", COOKIE, "v")),
        from_the_website(COOKIE.upper()),
        ("v", True),
    ),
    ConversationCase(
        "a journey context whose visitor expired, and no number: nobody",
        world(contact("v", "Ephemeral", at=EXPIRED), ident("Cookie", COOKIE, "v", at=EXPIRED)),
        from_the_website(),
        (None, False),
    ),
    ConversationCase(
        "a number a visitor owns: a match from PII alone, unverified",
        world(contact("ada"), ident("Phone", PHONE, "ada")),
        CALL,
        ("ada", False),
    ),
    ConversationCase(
        "a number whose own contact owns it: verified",
        world(contact(NUMBERS_OWN, origin="conversation"), ident("Phone", PHONE, NUMBERS_OWN)),
        CALL,
        (NUMBERS_OWN, True),
    ),
    ConversationCase(
        "a number nobody owns gets a contact of its own",
        world(),
        CALL,
        (NUMBERS_OWN, True),
        [
            ("contact.created", NUMBERS_OWN),
            ("identifier.claimed", f"Phone:{PHONE}", NUMBERS_OWN, None),
        ],
    ),
    ConversationCase(
        "a number whose owner expired: a contact of its own, taking the number over",
        world(contact("old", at=EXPIRED), ident("Phone", PHONE, "old", at=EXPIRED)),
        CALL,
        (NUMBERS_OWN, True),
        [
            ("contact.created", NUMBERS_OWN),
            ("identifier.claimed", f"Phone:{PHONE}", NUMBERS_OWN, "old"),
        ],
    ),
    ConversationCase(
        "a chat by email a visitor owns: unverified",
        world(contact("ada"), ident("Email", ADA_EMAIL, "ada")),
        chat(customer_id=ADA_EMAIL, customer_id_type="email"),
        ("ada", False),
    ),
    ConversationCase(
        "a chat by an email nobody owns: a contact of its own, unverified (the address was typed)",
        world(),
        chat(customer_id=ADA_EMAIL, customer_id_type="email"),
        (EMAILS_OWN, False),
        [
            ("contact.created", EMAILS_OWN),
            ("identifier.claimed", f"Email:{ADA_EMAIL}", EMAILS_OWN, None),
        ],
    ),
    ConversationCase(
        "a chat by an email whose own contact owns it: still unverified",
        world(
            contact(EMAILS_OWN, origin="conversation", first_name="Ada"),
            ident("Email", ADA_EMAIL, EMAILS_OWN),
        ),
        chat(customer_id=ADA_EMAIL, customer_id_type="email"),
        (EMAILS_OWN, False),
    ),
    ConversationCase(
        "nothing to go by",
        world(),
        replace(CALL, customer_id=None, customer_id_type=None),
        (None, False),
    ),
]


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=[c.name for c in CONVERSATION_CASES])
def test_who_a_conversation_is(case: ConversationCase) -> None:
    decision, link = recognition.conversation(case.state, case.session)
    assert (link.contact_id, link.verified) == case.link
    assert effects(decision) == case.effects


def test_a_numbers_own_contact_is_identified_by_it() -> None:
    decision, _ = recognition.conversation(world(), CALL)
    made = put(decision, NUMBERS_OWN)
    assert (made.type, made.origin, made.cell_phone, made.created_ms) == (
        "Identified",
        "conversation",
        PHONE,
        CALL.created_ms,
    )
    assert decision.put_identifiers == (
        Identifier("Phone", PHONE, NUMBERS_OWN, True, CALL.created_ms, "contactCentre"),
    )


def test_an_address_makes_a_contact_that_holds_it_as_the_customers_claim() -> None:
    decision, _ = recognition.conversation(
        world(), chat(customer_id=ADA_EMAIL, customer_id_type="email")
    )
    assert put(decision, EMAILS_OWN).personal_email == ADA_EMAIL
    assert decision.put_identifiers == (
        Identifier("Email", ADA_EMAIL, EMAILS_OWN, False, CALL.created_ms, "conversationClaim"),
    )


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        (None, [("identifier.released", f"Phone:{PHONE}", "n"), ("contact.deleted", "n")]),
        ((T0, T0), []),
        ((T0, T0 + 60_000), []),  # re-dated, stored, not announced
        ((T0 - 60_000, T0 + 60_000), []),
    ],
    ids=["no session left", "unchanged", "later activity", "an earlier start"],
)
def test_a_conversation_contact_follows_its_sessions(
    activity: tuple[int, int] | None, expected: list[tuple[object, ...]]
) -> None:
    made = contact("n", origin="conversation", cell_phone=PHONE)
    decision = recognition.refresh(world(made, ident("Phone", PHONE, "n")), "n", activity)
    assert effects(decision) == expected
    if activity is not None and activity != (T0, T0):  # re-dated from its sessions
        dated = put(decision, "n")
        assert (dated.created_ms, dated.last_activity_ms) == activity
    if activity is not None and activity[0] != T0:  # its identifiers take its new date
        assert decision.put_identifiers == (ident("Phone", PHONE, "n", at=activity[0]),)
    else:
        assert decision.put_identifiers == ()


@pytest.mark.parametrize(
    "record",
    [contact("n"), contact("n", origin="conversation", canonical_id="h")],
    ids=["not from conversations", "merged"],
)
def test_only_unmerged_conversation_contacts_are_refreshed(record: Contact) -> None:
    assert recognition.refresh(world(record), "n", None) == Decision()


# -- agent commands ---------------------------------------------------------------------------

AT = T0 + DAY


class Who(TypedDict):
    """What every command carries besides its own fields: who gave it, and when."""

    actor: str
    at_ms: int


WHO = Who(actor="agent-1", at_ms=AT)


def run(state: IdentityState, command: IdentityCommand) -> Decision:
    return execute(state, command)


def test_create_makes_a_curated_contact_that_claims_its_free_fields() -> None:
    fields = ContactFields(first_name="Grace", work_email="g@navy.example", cell_phone=PHONE)
    state = world(contact("other"), ident("Phone", PHONE, "other"))
    decision = run(state, CreateContact(**WHO, id="g", fields=fields))
    assert effects(decision) == [
        ("contact.created", "g"),
        ("identifier.claimed", "Email:g@navy.example", "g", None),
    ]
    made = put(decision, "g")
    assert (made.type, made.first_name, made.cell_phone) == ("Curated", "Grace", PHONE)
    assert decision.answer == {"id": "g"}
    [audit] = decision.audits
    assert (audit.action, audit.actor, audit.contact_id) == ("create", "agent-1", "g")
    assert audit.details == {
        "args": {
            "id": "g",
            "fields": {"first_name": "Grace", "work_email": "g@navy.example", "cell_phone": PHONE},
        }
    }


def test_update_identifies_an_ephemeral_contact_and_claims_a_new_email() -> None:
    before = contact(OWN, "Ephemeral")
    command = UpdateContact(**WHO, id=OWN, fields=ContactFields(work_email=ADA_EMAIL, title=None))
    decision = run(world(before, cookie_of(OWN)), command)
    after = replace(before, type="Identified", modified_ms=AT, work_email=ADA_EMAIL)
    assert decision.effects == (
        ContactChanged(before, after),
        IdentifierClaimed(Identifier("Email", ADA_EMAIL, OWN, True, AT, "agentVerified")),
    )


def test_delete_releases_identifiers_and_frees_members() -> None:
    state = world(
        contact("h", "Curated", merged_from=("a", "b")),
        contact("a", canonical_id="h"),
        contact("b", canonical_id="h"),
        ident("Email", ADA_EMAIL, "h"),
    )
    decision = run(state, DeleteContact(**WHO, id="h"))
    assert effects(decision) == [
        ("identifier.released", f"Email:{ADA_EMAIL}", "h"),
        ("contact.changed", "a"),
        ("contact.changed", "b"),
        ("contact.deleted", "h"),
    ]
    assert put(decision, "a").canonical_id is None
    assert decision.links == (MoveLinks("h", "a"),)
    assert decision.delete_contacts == ("h",)
    assert decision.delete_identifiers == (("Email", ADA_EMAIL),)


def test_claim_moves_an_identifier_and_clears_the_old_owners_match() -> None:
    state = world(
        contact("ada", "Curated"),
        contact(OWN, "Identified", unverified_match="ada"),
        cookie_of(OWN),
    )
    decision = run(state, ClaimIdentifier(**WHO, contact_id="ada", type="Cookie", value=COOKIE))
    assert effects(decision) == [
        ("identifier.claimed", f"Cookie:{COOKIE}", "ada", OWN),
        ("contact.changed", OWN),
    ]
    assert put(decision, OWN).unverified_match is None
    assert decision.links == (LinkCustomer(COOKIE, "ada", AGENT),)
    assert decision.audits[0].details == {
        "args": {"contactId": "ada", "type": "Cookie", "value": COOKIE},
        "previousOwner": OWN,
    }


def test_claiming_what_one_owns_again_verifies_it() -> None:
    state = world(contact("ada"), ident("Email", ADA_EMAIL, "ada", verified=False))
    decision = run(state, ClaimIdentifier(**WHO, contact_id="ada", type="Email", value=ADA_EMAIL))
    claimed = replace(ident("Email", ADA_EMAIL, "ada", at=AT), source="agentVerified")
    assert decision.effects == (IdentifierClaimed(claimed),)


@dataclass(frozen=True)
class Refusal:
    name: str
    state: IdentityState
    command: IdentityCommand
    error: type[Exception]
    field: str


REFUSALS = [
    Refusal(
        "update of an unknown contact",
        world(),
        UpdateContact(**WHO, id="nope"),
        NotFound,
        "contactId",
    ),
    Refusal(
        "claim for an expired contact",
        world(contact("old", "Ephemeral", at=EXPIRED)),
        ClaimIdentifier(**WHO, contact_id="old", type="Email", value=ADA_EMAIL),
        NotFound,
        "contactId",
    ),
    Refusal(
        "release of an identifier another contact owns",
        world(contact("ada"), contact("bob"), ident("Email", ADA_EMAIL, "bob")),
        ReleaseIdentifier(**WHO, contact_id="ada", type="Email", value=ADA_EMAIL),
        NotFound,
        "identifier",
    ),
    Refusal(
        "release of an identifier nobody owns",
        world(contact("ada")),
        ReleaseIdentifier(**WHO, contact_id="ada", type="Email", value=ADA_EMAIL),
        NotFound,
        "identifier",
    ),
    Refusal(
        "unmerge of a contact that heads no merge",
        world(contact("ada")),
        UnmergeContact(**WHO, id="ada"),
        InvalidInput,
        "contactId",
    ),
    Refusal(
        "verification for an unknown contact",
        world(),
        VerifySession(**WHO, contact_id="nope", session_id="s1"),
        NotFound,
        "contactId",
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
def test_refused_commands_name_the_field(case: Refusal) -> None:
    with pytest.raises(case.error) as refused:
        run(case.state, case.command)
    assert getattr(refused.value, "field", None) == case.field


def test_release_of_an_owned_identifier() -> None:
    state = world(contact("ada"), ident("Email", ADA_EMAIL, "ada"))
    decision = run(state, ReleaseIdentifier(**WHO, contact_id="ada", type="Email", value=ADA_EMAIL))
    assert decision.effects == (IdentifierReleased("Email", ADA_EMAIL, "ada"),)
    assert decision.delete_identifiers == (("Email", ADA_EMAIL),)


@pytest.mark.parametrize("with_cookie", [False, True], ids=["a call", "a web session"])
def test_verify_links_the_session_and_moves_a_visitors_cookie(with_cookie: bool) -> None:
    state = world(
        contact("ada", "Curated"),
        contact(OWN, "Identified", unverified_match="ada"),
        cookie_of(OWN),
    )
    cookie = COOKIE if with_cookie else None
    command = VerifySession(**WHO, contact_id="ada", session_id="s1", cookie=cookie)
    decision = run(state, command)
    verified = ("contact.verified", "ada", "s1")
    if with_cookie:
        assert effects(decision) == [
            ("identifier.claimed", f"Cookie:{COOKIE}", "ada", OWN),
            ("contact.changed", OWN),
            verified,
        ]
        assert decision.links == (
            LinkSession("s1", "ada", AGENT),
            LinkCustomer(COOKIE, "ada", AGENT),
        )
    else:
        assert effects(decision) == [verified]
        assert decision.links == (LinkSession("s1", "ada", AGENT),)
    assert decision.effects[-1] == ContactVerified("ada", "s1", cookie, "agent-1")
    assert decision.answer == {"id": "ada", "sessionId": "s1"}
    assert decision.audits[0].details["sessionId"] == "s1"
    assert ("cookie" in decision.audits[0].details["args"]) is with_cookie


# -- merges -----------------------------------------------------------------------------------


def many(n: int) -> list[Contact]:
    return [contact(f"c{i:02}", at=T0 + i) for i in range(n)]


@pytest.mark.parametrize(
    ("ids", "refused"),
    [
        (["c00"], True),
        (["c00", "c00"], True),  # one distinct contact
        ([f"c{i:02}" for i in range(2)], False),
        ([f"c{i:02}" for i in range(25)], False),
        ([f"c{i:02}" for i in range(26)], True),
    ],
    ids=["1", "1 twice", "2", "25", "26"],
)
def test_a_merge_takes_2_to_25_distinct_contacts(ids: list[str], refused: bool) -> None:
    command = MergeContacts(**WHO, id="head", contact_ids=tuple(ids))
    state = world(*many(26))
    if refused:
        with pytest.raises(InvalidInput) as info:
            run(state, command)
        assert info.value.field == "contactIds"
        return
    decision = run(state, command)
    distinct = tuple(sorted(set(ids)))
    assert effects(decision) == [
        ("contact.created", "head"),
        *[("contact.changed", i) for i in ids],
        ("contact.merged", "head", distinct),
    ]
    head = put(decision, "head")
    assert head.merged_from == distinct
    assert head.last_activity_ms == T0 + len(ids) - 1
    assert all(put(decision, i).canonical_id == "head" for i in ids)


def test_a_merge_of_unknown_contacts_is_not_found() -> None:
    with pytest.raises(NotFound):
        run(world(), MergeContacts(**WHO, id="head", contact_ids=("nope", "nada")))


def test_merging_a_set_with_a_head_replaces_the_old_head() -> None:
    """H heads {a, b}; merging H with c makes one new head over a, b and c."""
    state = world(
        contact("h", "Identified", merged_from=("a", "b")),
        contact("a", canonical_id="h"),
        contact("b", canonical_id="h"),
        contact("c", unverified_match="a"),
        ident("ExternalId", "crm-1", "h"),
    )
    decision = run(state, MergeContacts(**WHO, id="n", contact_ids=("h", "c")))
    assert effects(decision) == [
        ("contact.created", "n"),
        ("contact.changed", "a"),
        ("contact.changed", "b"),
        ("contact.changed", "c"),
        ("identifier.claimed", "ExternalId:crm-1", "n", "h"),
        ("contact.deleted", "h"),
        ("contact.merged", "n", ("a", "b", "c")),
    ]
    assert put(decision, "c").unverified_match is None
    assert decision.links == (MoveLinks("h", "n"),)
    assert decision.delete_contacts == ("h",)
    assert decision.audits[0].details == {
        "args": {"id": "n", "contactIds": ["h", "c"], "valueOverride": {}},
        "members": ["a", "b", "c"],
    }


@pytest.mark.parametrize(
    "names",
    [("h", "a"), ("a", "b"), ("h", "a", "b")],
    ids=["the head and a member", "two members", "the whole set"],
)
def test_naming_one_merged_contact_again_is_refused(names: tuple[str, ...]) -> None:
    state = world(
        contact("h", "Identified", merged_from=("a", "b")),
        contact("a", canonical_id="h"),
        contact("b", canonical_id="h"),
    )
    with pytest.raises(InvalidInput, match="already") as info:
        run(state, MergeContacts(**WHO, id="n", contact_ids=names))
    assert info.value.field == "contactIds"


def test_a_merge_of_sets_is_held_to_25_members() -> None:
    """Two heads of 13 members each would make one of 26: refused, however few ids it names."""
    sets = []
    for h in ("h1", "h2"):
        members = tuple(f"{h}-m{i:02}" for i in range(13))
        sets += [contact(h, "Identified", merged_from=members)]
        sets += [contact(m, canonical_id=h) for m in members]
    with pytest.raises(InvalidInput, match="26 members") as info:
        run(world(*sets), MergeContacts(**WHO, id="n", contact_ids=("h1", "h2")))
    assert info.value.field == "contactIds"


def test_merging_a_member_takes_in_its_whole_set() -> None:
    state = world(
        contact("h", "Identified", merged_from=("a", "b")),
        contact("a", canonical_id="h"),
        contact("b", canonical_id="h"),
        contact("c"),
    )
    decision = run(state, MergeContacts(**WHO, id="n", contact_ids=("a", "c")))
    assert put(decision, "n").merged_from == ("a", "b", "c")
    assert decision.delete_contacts == ("h",)


@pytest.mark.parametrize(
    ("override", "kinds", "expected"),
    [
        (ContactFields(), ("Identified", "Identified"), ("Bob", "bob@x.example", "Identified")),
        (
            ContactFields(first_name="Ada"),
            ("Identified", "Curated"),
            ("Ada", "bob@x.example", "Curated"),
        ),
        (
            ContactFields(work_email="ada@x.example"),
            ("Ephemeral", "Curated"),
            ("Bob", "ada@x.example", "Curated"),
        ),
    ],
    ids=["the first value of the contacts named", "override, curated", "override an email"],
)
def test_a_merged_contact_takes_values_and_curatedness(
    override: ContactFields, kinds: tuple[str, str], expected: tuple[str, str, str]
) -> None:
    state = world(
        contact("p", kinds[0], first_name=None, work_email="bob@x.example"),
        contact("q", kinds[1], first_name="Bob", work_email="robert@x.example"),
    )
    command = MergeContacts(**WHO, id="n", contact_ids=("p", "q"), value_override=override)
    head = put(run(state, command), "n")
    assert (head.first_name, head.work_email, head.type) == expected


def test_unmerge_frees_the_members_and_gives_the_heads_identifiers_to_the_first() -> None:
    state = world(
        contact("h", "Identified", merged_from=("a", "b")),
        contact("a", canonical_id="h"),
        contact("b", canonical_id="h"),
        ident("Email", "pair@example.com", "h"),
    )
    decision = run(state, UnmergeContact(**WHO, id="h"))
    assert effects(decision) == [
        ("contact.changed", "a"),
        ("contact.changed", "b"),
        ("identifier.claimed", "Email:pair@example.com", "a", "h"),
        ("contact.deleted", "h"),
        ("contact.unmerged", "h", ("a", "b")),
    ]
    assert decision.links == (MoveLinks("h", "a"),)
    assert decision.answer == {"id": "h", "contactIds": ["a", "b"]}
    assert decision.audits[0].details["movedIdentifiers"] == ["pair@example.com"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (contact("x"), ["x"]),
        (contact("h", merged_from=("a", "b")), ["h", "a", "b"]),
        (contact("a", canonical_id="h"), ["h", "a", "b"]),
    ],
    ids=["alone", "a head", "a member"],
)
def test_the_merge_set_of_a_contact(record: Contact, expected: list[str]) -> None:
    head = contact("h", merged_from=("a", "b"))
    members = [contact("a", canonical_id="h"), contact("b", canonical_id="h")]
    found = rules.merge_set(record, head if rules.merge_head_id(record) else None, members)
    assert [c.id for c in found] == expected
