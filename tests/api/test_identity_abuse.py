"""Identity abuse through the public routes (issue 10, part 5), through the ASGI app on both stores.

Deployment ids are public and Segment write keys sit in the site's own JavaScript, so anyone can
post traits naming someone else's email or phone. Such a claim must never make another person's
data show on a conversation as theirs: a match made from it is marked unverified everywhere,
with the reason (which identifier, claimed from which website session, when); and a deployment
can require the traits to be signed by the site's backend before they claim anything.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from builders import T0, Conversation, web_event
from conftest import Api, FakeClock
from journeyline.clock import iso
from journeyline.core import signing
from journeyline.core.conversation import session_id_for
from journeyline.engine.replay import rebuild
from journeyline.store import Store
from web_visits import DEPLOYMENTS, trait, visit
from web_visits import new_shop as deployment

MALLORY = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
BOB = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
CONTACTS = "/api/v2/externalcontacts/contacts"


def web_claim(kind: str, value: str, at_ms: int, shop: str, session_id: str) -> dict[str, Any]:
    """The ``identityMatch`` of a match by what Mallory typed in the web session ``session_id``."""
    return {
        "source": "webClaim",
        "verified": False,
        "type": kind,
        "value": value,
        "claimedDate": iso(at_ms),
        "claimedBy": {
            "customerId": MALLORY,
            "customerIdType": "cookie",
            "deployment": {"id": shop},
            "session": {"id": session_id, "selfUri": f"/api/v2/journey/sessions/{session_id}"},
        },
    }


def lookup(api: Api, kind: str, value: str) -> Any:
    return api.post("/api/v2/externalcontacts/identifierlookup", {"type": kind, "value": value})


def session(api: Api, session_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/v2/journey/sessions/{session_id}").json()
    return found


def card(api: Api, session_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/v2/journey/sessions/{session_id}/card").json()
    return found


@pytest.mark.parametrize(
    ("traits", "conversation"),
    [
        (
            {"email": trait("bob@example.com"), "givenName": trait("Mallory")},
            Conversation("chat-b", media="CHAT").customer_start(60, addressFrom="Bob@example.com"),
        ),
        (
            {"phone": trait("+15550006666"), "givenName": trait("Mallory")},
            Conversation("call-b", ani="tel:+15550006666").customer_start(60),
        ),
    ],
    ids=["chat-by-email", "call-by-phone"],
)
def test_a_claim_from_the_web_shows_unverified_with_its_reason_until_an_agent_verifies(
    api: Api, traits: dict[str, Any], conversation: Conversation
) -> None:
    shop = deployment(api)["id"]
    claimed = visit(api, shop, MALLORY, name="identified", traits=traits)
    mallory = lookup(api, "Cookie", MALLORY).json()["id"]
    api.post("/api/v2/journey/conversationevents", conversation.wire)
    bob_session = session_id_for(conversation.id)

    shown = session(api, bob_session)
    assert (shown["externalContact"]["id"], shown["externalContactVerified"]) == (mallory, False)
    kind, value = ("Email", "bob@example.com") if "email" in traits else ("Phone", "+15550006666")
    assert shown["identityMatch"] == web_claim(kind, value, T0, shop, claimed["session"]["id"])
    shown_card = card(api, bob_session)
    assert shown_card["customerName"] == "Mallory"
    assert shown_card["customerNameVerified"] is False
    assert shown_card["identityMatch"] == shown["identityMatch"]

    bob = api.post(CONTACTS, {"firstName": "Bob"}).json()["id"]
    verified = api.put(f"/api/v2/journey/sessions/{bob_session}/externalcontact", {"id": bob})
    assert verified.status_code == 200, verified.text
    assert verified.json()["identityMatch"] == {"source": "agentVerified", "verified": True}
    after = card(api, bob_session)
    assert (after["customerName"], after["customerNameVerified"]) == ("Bob", True)


def test_a_visitor_typing_someone_elses_email_shows_them_unverified_and_why(api: Api) -> None:
    shop = deployment(api)["id"]
    bob = api.post(CONTACTS, {"firstName": "Bob", "personalEmail": "bob@example.com"}).json()
    bob_typed = {"email": trait("bob@example.com")}
    typed = visit(api, shop, MALLORY, 5, name="identified", traits=bob_typed)
    shown = session(api, typed["session"]["id"])
    assert shown["externalContact"]["id"] == bob["id"]
    # Bob's email was written by an agent, but this visitor typed it: the match is their
    # claim — when (not Bob's own claim's date), where and in which session
    expected = web_claim("Email", "bob@example.com", T0 + 5000, shop, typed["session"]["id"])
    assert shown["identityMatch"] == expected
    assert card(api, typed["session"]["id"])["customerNameVerified"] is False
    own = visit(api, shop, BOB, 1)  # a visitor of their own: matched by their own cookie
    assert session(api, own["session"]["id"])["identityMatch"] == {
        "source": "webCookie",
        "verified": True,
        "type": "Cookie",
        "value": BOB,
        "claimedDate": iso(T0 + 1000),
    }


def test_a_caller_of_their_own_number_and_a_named_contact_are_verified(api: Api) -> None:
    api.post(
        "/api/v2/journey/conversationevents",
        Conversation("call-1", ani="tel:+15550007777").customer_start(0).wire,
    )
    match = session(api, session_id_for("call-1"))["identityMatch"]
    assert (match["source"], match["verified"], match["type"]) == ("contactCentre", True, "Phone")
    assert "claimedBy" not in match


@pytest.mark.parametrize("media", ["CHAT", "EMAIL", "MESSAGE"])
def test_an_address_a_conversation_came_from_is_the_customers_claim_never_proof(
    api: Api, media: str
) -> None:
    """An email's, a chat's or a message's address is typed by whoever writes: the contact made
    from it, named since by the centre, is shown on the next conversation from it unverified."""
    first = Conversation("mail-1", media="EMAIL").customer_start(
        0, addressFrom="Real.V@Example.com"
    )
    api.post("/api/v2/journey/conversationevents", first.wire)
    made = session(api, session_id_for("mail-1"))
    victim = made["externalContact"]["id"]
    assert made["externalContactVerified"] is False
    assert made["identityMatch"] == {
        "source": "conversationClaim",
        "verified": False,
        "type": "Email",
        "value": "real.v@example.com",
        "claimedDate": iso(T0),
    }
    named = api.put(f"{CONTACTS}/{victim}", {"firstName": "Real", "lastName": "Victim"})
    assert named.status_code == 200, named.text
    again = Conversation("again", media=media).customer_start(60, addressFrom="REAL.V@example.com")
    api.post("/api/v2/journey/conversationevents", again.wire)
    shown = card(api, session_id_for("again"))
    assert (shown["customerName"], shown["customerNameVerified"]) == ("Real Victim", False)
    assert (shown["identityMatch"]["source"], shown["identityMatch"]["verified"]) == (
        "conversationClaim",
        False,
    )
    named_by_the_centre = Conversation("crm", media=media).customer_start(
        90, addressFrom="real.v@example.com", conversationExternalContactIds=[victim]
    )
    api.post("/api/v2/journey/conversationevents", named_by_the_centre.wire)
    assert card(api, session_id_for("crm"))["customerNameVerified"] is True


def test_a_cookie_id_in_another_spelling_of_its_uuid_is_refused_not_a_new_visitor(
    api: Api,
) -> None:
    shop = deployment(api)["id"]
    first = visit(api, shop, MALLORY)
    again = visit(api, shop, MALLORY.upper(), 1)  # case is no part of a UUID: the same visitor
    assert again["session"]["id"] == first["session"]["id"]
    path = f"/api/v2/journey/deployments/{shop}/webevents"
    for other in ("{" + MALLORY + "}", MALLORY.replace("-", ""), "urn:uuid:" + MALLORY):
        for route in ("webevents", "appevents"):
            answer = api.client.post(path.replace("webevents", route), json=web_event(other, 2))
            assert answer.status_code == 400, (route, other, answer.text)
            assert "customerCookieId" in answer.text
        ping = api.client.get(
            f"/api/v2/journey/deployments/{shop}/customers/{other}/ping",
            params={"dl": "https://shop.example.com/"},
        )
        assert ping.status_code == 400
        assert "customerCookieId" in ping.text
    assert lookup(api, "Cookie", MALLORY).status_code == 200
    sessions = api.get("/api/v2/journey/sessions", params={"pageSize": 25}).json()
    assert len(sessions["entities"]) == 1


def signed_event(
    cookie: str, secret: str | None, traits: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = web_event(cookie, 0, name="identified", traits=traits, **fields)
    if secret is not None:
        body["traitsSignature"] = signing.sign(secret, {"traits": traits})
    return body


def test_a_deployment_that_requires_signed_traits_believes_only_those(api: Api) -> None:
    made = deployment(api, identifySigning="required")
    shop, secret = made["id"], made["identifySecret"]
    assert made["identifySigning"] == "required"
    assert secret.startswith("jlid_")
    assert len(base64.urlsafe_b64decode(secret[5:] + "=")) == 32
    assert "identifySecret" not in api.get(f"{DEPLOYMENTS}/{shop}").json()  # shown once
    traits = {"email": trait("bob@example.com"), "givenName": trait("Bob")}
    path = f"/api/v2/journey/deployments/{shop}/webevents"
    cases = [
        (MALLORY, None, "unsigned"),
        (MALLORY, "jlid_not-the-secret", "badSignature"),
    ]
    for cookie, key, reason in cases:
        answer = api.client.post(path, json=signed_event(cookie, key, traits))
        assert answer.status_code == 200, answer.text  # accepted: nothing is lost
        assert answer.json()["traitsRefused"] == reason
        assert answer.json()["authenticated"] is False
        assert lookup(api, "Email", "bob@example.com").status_code == 404  # it claimed nothing
    visitor = lookup(api, "Cookie", MALLORY).json()
    assert (visitor["type"], visitor.get("firstName")) == ("Ephemeral", None)
    mallory_session = api.get("/api/v2/journey/sessions", params={"pageSize": 1}).json()
    assert mallory_session["entities"][0]["authenticated"] is False
    metrics = api.client.get("/metrics").text
    for reason in ("unsigned", "badSignature"):
        line = f'journeyline_identify_refused_total{{reason="{reason}",source="web"}} 1.0'
        assert line in metrics
    good = api.client.post(path, json=signed_event(BOB, secret, traits))
    assert good.status_code == 200
    assert "traitsRefused" not in good.json()
    assert lookup(api, "Email", "bob@example.com").json()["firstName"] == "Bob"

    rotated = api.client.post(f"{DEPLOYMENTS}/{shop}/identifysecret", headers=api.headers)
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()["identifySecret"]
    assert fresh != secret
    other = {"email": trait("carol@example.com")}
    old = api.client.post(path, json=signed_event(MALLORY, secret, other))
    assert old.json()["traitsRefused"] == "badSignature"  # the old secret signs no more
    new = api.client.post(path, json=signed_event(MALLORY, fresh, other))
    assert "traitsRefused" not in new.json()
    assert lookup(api, "Email", "carol@example.com").status_code == 200
    missing = api.client.post(f"{DEPLOYMENTS}/nope/identifysecret", headers=api.headers)
    assert missing.status_code == 404


def test_signing_off_ignores_signatures_and_switching_it_on_makes_a_secret(api: Api) -> None:
    made = deployment(api)
    shop = made["id"]
    assert (made["identifySigning"], made["identifySecret"][:5]) == ("off", "jlid_")
    traits = {"email": trait("dora@example.com")}
    path = f"/api/v2/journey/deployments/{shop}/webevents"
    answer = api.client.post(path, json=signed_event(MALLORY, "jlid_wrong", traits))
    assert "traitsRefused" not in answer.json()
    assert lookup(api, "Email", "dora@example.com").status_code == 200
    changed = api.put(
        f"{DEPLOYMENTS}/{shop}",
        {"name": "Shop", "allowAllDomains": True, "identifySigning": "required"},
    ).json()
    assert changed["identifySigning"] == "required"
    assert "identifySecret" not in changed  # it has one since it was made
    signed = api.client.post(path, json=signed_event(BOB, made["identifySecret"], traits))
    assert "traitsRefused" not in signed.json()
    wrong = api.put(f"{DEPLOYMENTS}/{shop}", {"name": "Shop", "identifySigning": "maybe"})
    assert wrong.status_code == 400
    renamed = api.put(f"{DEPLOYMENTS}/{shop}", {"name": "The shop", "allowAllDomains": True})
    assert renamed.json()["identifySigning"] == "required"  # left out: kept, never turned off
    off = {"name": "Shop", "allowAllDomains": True, "identifySigning": "off"}
    assert api.put(f"{DEPLOYMENTS}/{shop}", off).json()["identifySigning"] == "off"


def segment_post(api: Api, key: str, call: str, body: dict[str, Any]) -> Any:
    auth = base64.b64encode(f"{key}:".encode()).decode()
    return api.client.post(f"/v1/{call}", json=body, headers={"Authorization": f"Basic {auth}"})


def test_segment_identify_and_alias_need_a_signature_when_required(api: Api) -> None:
    made = deployment(api, identifySigning="required")
    key, secret = made["writeKey"], made["identifySecret"]
    traits = {"email": "erin@example.com", "firstName": "Erin", "plan": 2.0}
    anonymous = "a1b2c3"
    unsigned = {"anonymousId": anonymous, "userId": "user-9", "traits": traits}
    assert segment_post(api, key, "identify", unsigned).status_code == 200
    assert lookup(api, "Email", "erin@example.com").status_code == 404
    assert lookup(api, "ExternalId", "user-9").status_code == 404
    alias = {"anonymousId": anonymous, "previousId": "old", "userId": "user-9"}
    segment_post(api, key, "alias", alias)
    assert lookup(api, "ExternalId", "user-9").status_code == 404
    claim = {"traits": traits, "externalId": "user-9"}
    signed = {**unsigned, "context": {"traitsSignature": signing.sign(secret, claim)}}
    signed["messageId"] = "m-2"
    assert segment_post(api, key, "identify", signed).status_code == 200
    assert lookup(api, "Email", "erin@example.com").json()["firstName"] == "Erin"
    assert lookup(api, "ExternalId", "user-9").status_code == 200
    assert 'journeyline_identify_refused_total{reason="unsigned",source="segment"} 2.0' in (
        api.client.get("/metrics").text
    )


def test_rebuild_keeps_the_provenance_of_identifiers(api: Api, store: Store) -> None:
    shop = deployment(api)["id"]
    visit(api, shop, MALLORY, name="identified", traits={"email": trait("bob@example.com")})
    api.post(
        "/api/v2/journey/conversationevents",
        Conversation("chat-b", media="CHAT").customer_start(60, addressFrom="bob@example.com").wire,
    )
    before = store.snapshot()
    claimed = store.identifier_get("Email", "bob@example.com")
    assert claimed is not None
    assert (claimed.source, claimed.claimed_by, claimed.deployment_id) == (
        "webClaim",
        MALLORY,
        shop,
    )
    rebuild(store, FakeClock())
    assert store.snapshot() == before
