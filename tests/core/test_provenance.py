"""Why a session shows its contact (core.provenance): a table of sessions, link levels and the
identifiers loaded, and the IdentityMatch each gives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from builders import Conversation
from journeyline.core import provenance
from journeyline.core.conversation import fold
from journeyline.core.identity import AGENT, UNVERIFIED, VERIFIED, Key
from journeyline.model.contact import Contact, Identifier, IdentityMatch
from journeyline.model.detail import JourneyContext
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession

T0 = 1_795_600_000_000
PHONE = "+15550006666"
EMAIL = "bob@example.com"
COOKIE = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
CALL = fold(Conversation("call-1", ani=f"tel:{PHONE}").customer_start(0).events()).session
CHAT = replace(CALL, media_type="chat", customer_id=EMAIL, customer_id_type="email")
FROM_WEBSITE = replace(
    CHAT,
    customer_id=COOKIE,
    customer_id_type="cookie",
    journey_context=JourneyContext(customer_id=COOKIE, customer_id_type="cookie"),
)
WEB = WebSession(
    id="w1",
    type="web",
    customer_cookie_id=COOKIE,
    deployment_id="d1",
    created_ms=T0,
    last_event_ms=T0,
    event_count=1,
    pageview_count=1,
    screenview_count=0,
    visit_count=1,
    last_page=None,
    last_screen=None,
    search_terms=(),
    referrer=None,
    campaign=None,
    browser=None,
    device=None,
    geolocation=None,
    ip_address=None,
    user_agent=None,
    authenticated=False,
    last_event_id="e1",
    last_event_name="page_viewed",
)
CLAIMED = Identifier("Phone", PHONE, "mallory", False, T0, "webClaim", COOKIE, "d1")
CLAIMED_EMAIL = replace(CLAIMED, type="Email", value=EMAIL)
OWN_NUMBER = Identifier("Phone", PHONE, "number", True, T0, "contactCentre")
TYPED_ADDRESS = Identifier("Email", EMAIL, "address", False, T0, "conversationClaim")
COOKIE_OF_MALLORY = Identifier("Cookie", COOKIE, "mallory", True, T0, "webCookie")
BOBS_EMAIL = Identifier("Email", EMAIL, "bob", True, T0 - 5, "agentVerified")
LEGACY = Identifier("Email", EMAIL, "bob", False, T0)  # a row from before sources


@dataclass(frozen=True)
class Case:
    name: str
    session: ConversationSession | WebSession
    level: int
    contact_ids: tuple[str, ...]
    identifiers: dict[Key, Identifier | None] = field(default_factory=dict)
    visitor: Contact | None = None
    match: IdentityMatch | None = None


def web_claim(kind: str, value: str) -> IdentityMatch:
    return IdentityMatch("webClaim", False, kind, value, T0, COOKIE, "d1")


MALLORY_MATCHED_BOB = Contact(
    "mallory",
    "Identified",
    T0,
    T0,
    T0,
    unverified_match="bob",
    unverified_match_by=("Email", EMAIL),
)
CASES = [
    Case("nobody linked", CALL, UNVERIFIED, ()),
    Case("an agent verified it", CALL, AGENT, ("bob",), match=IdentityMatch("agentVerified", True)),
    Case(
        "the contact centre named it",
        replace(CALL, external_contact_id="crm-1"),
        VERIFIED,
        ("crm-1",),
        match=IdentityMatch("contactCentre", True),
    ),
    Case(
        "a call by a number a website visitor claimed",
        CALL,
        UNVERIFIED,
        ("mallory",),
        {("Phone", PHONE): CLAIMED},
        match=web_claim("Phone", PHONE),
    ),
    Case(
        "a chat by an address a website visitor claimed",
        CHAT,
        UNVERIFIED,
        ("mallory",),
        {("Email", EMAIL): CLAIMED_EMAIL},
        match=web_claim("Email", EMAIL),
    ),
    Case(
        "a caller's own number",
        CALL,
        VERIFIED,
        ("number",),
        {("Phone", PHONE): OWN_NUMBER},
        match=IdentityMatch("contactCentre", True, "Phone", PHONE, T0),
    ),
    Case(
        "a chat by the address it came from: the customer's claim, unverified",
        CHAT,
        UNVERIFIED,
        ("address",),
        {("Email", EMAIL): TYPED_ADDRESS},
        match=IdentityMatch("conversationClaim", False, "Email", EMAIL, T0),
    ),
    Case(
        "the number was released since",
        CALL,
        UNVERIFIED,
        ("mallory",),
        {("Phone", PHONE): None},
    ),
    Case(
        "the number moved to someone else since",
        CALL,
        UNVERIFIED,
        ("mallory",),
        {("Phone", PHONE): replace(CLAIMED, contact_id="carol")},
    ),
    Case(
        "a merged contact: its head owns the number",
        CALL,
        UNVERIFIED,
        ("member", "head"),
        {("Phone", PHONE): replace(CLAIMED, contact_id="head")},
        match=web_claim("Phone", PHONE),
    ),
    Case(
        "a chat from the website: the visitor's own cookie",
        FROM_WEBSITE,
        VERIFIED,
        ("mallory",),
        {("Cookie", COOKIE): COOKIE_OF_MALLORY},
        match=IdentityMatch("webCookie", True, "Cookie", COOKIE, T0),
    ),
    Case(
        "a web visitor of their own",
        WEB,
        VERIFIED,
        ("mallory",),
        {("Cookie", COOKIE): COOKIE_OF_MALLORY},
        match=IdentityMatch("webCookie", True, "Cookie", COOKIE, T0),
    ),
    Case(
        "a web visitor who typed an address an agent gave Bob",
        WEB,
        UNVERIFIED,
        ("bob",),
        {("Email", EMAIL): BOBS_EMAIL, ("Cookie", COOKIE): COOKIE_OF_MALLORY},
        MALLORY_MATCHED_BOB,
        IdentityMatch("agentVerified", False, "Email", EMAIL, T0 - 5),
    ),
    Case(
        "a web visitor who typed Bob's address: their own claim, not Bob's",
        WEB,
        UNVERIFIED,
        ("bob",),
        {("Email", EMAIL): BOBS_EMAIL, ("Cookie", COOKIE): COOKIE_OF_MALLORY},
        replace(MALLORY_MATCHED_BOB, unverified_match_ms=T0 + 7, unverified_match_deployment="d1"),
        IdentityMatch("webClaim", False, "Email", EMAIL, T0 + 7, COOKIE, "d1"),
    ),
    Case(
        "a web visitor matched by a row from before sources",
        WEB,
        UNVERIFIED,
        ("bob",),
        {("Email", EMAIL): LEGACY, ("Cookie", COOKIE): COOKIE_OF_MALLORY},
        MALLORY_MATCHED_BOB,
        IdentityMatch("webClaim", False, "Email", EMAIL, T0),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_why_a_session_shows_its_contact(case: Case) -> None:
    keys = provenance.candidates(case.session, case.level, case.visitor)
    assert set(case.identifiers) <= set(keys)  # the rule names what it will consult
    found = {k: case.identifiers.get(k) for k in keys}
    assert (
        provenance.explain(case.session, case.level, case.contact_ids, found, case.visitor)
        == case.match
    )


@pytest.mark.parametrize(
    ("identifier", "source"),
    [
        (Identifier("Cookie", COOKIE, "c", True, T0), "webCookie"),
        (Identifier("Email", EMAIL, "c", False, T0), "webClaim"),
        (Identifier("Email", EMAIL, "c", True, T0), "agentVerified"),
        (Identifier("Email", EMAIL, "c", True, T0, "contactCentre"), "contactCentre"),
        (Identifier("Email", EMAIL, "c", False, T0, "conversationClaim"), "conversationClaim"),
    ],
)
def test_who_vouched_for_an_identifier(identifier: Identifier, source: str) -> None:
    assert provenance.source_of(identifier) == source
