"""External contacts and identity resolution through the ASGI app on a real SQLite file."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from builders import Conversation, web_event
from conftest import Api, FakeClock, LiveServer, bearer, make_client
from journeyline.core.conversation import session_id_for
from journeyline.engine.replay import rebuild
from journeyline.store import Store
from journeyline.store.base import Snapshot
from web_visits import trait, visit

ADA = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
ADA_PHONE_COOKIE = "1c7a6b45-0aaf-4f1d-9e2e-7d3b9a8c0f21"
EVE = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
CONTACTS = "/api/v2/externalcontacts/contacts"


def session(api: Api, session_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/v2/journey/sessions/{session_id}").json()
    return found


def lookup(api: Api, kind: str, value: str) -> Any:
    return api.post("/api/v2/externalcontacts/identifierlookup", {"type": kind, "value": value})


def test_contact_crud_and_identifiers(api: Api) -> None:
    created = api.post(
        CONTACTS,
        {
            "firstName": "Grace",
            "lastName": "Hopper",
            "workEmail": "Grace@Navy.example",
            "cellPhone": {"e164": "+1 202 555 0101"},
        },
    )
    assert created.status_code == 200, created.text
    grace = created.json()
    assert grace["type"] == "Curated"
    assert grace["workEmail"] == "grace@navy.example"
    assert grace["cellPhone"]["e164"] == "+12025550101"
    assert "expiryDate" not in grace
    path = f"{CONTACTS}/{grace['id']}"
    identifiers = api.get(f"{path}/identifiers").json()["entities"]
    assert {(i["type"], i["value"]) for i in identifiers} == {
        ("Email", "grace@navy.example"),
        ("Phone", "+12025550101"),
    }
    assert lookup(api, "Phone", "+1 (202) 555-0101").json()["id"] == grace["id"]
    claim = api.client.patch(
        f"{path}/identifiers",
        headers=api.headers,
        json={"operation": "Claim", "identifier": {"type": "ExternalId", "value": "crm-42"}},
    )
    assert claim.status_code == 200, claim.text
    assert lookup(api, "ExternalId", "crm-42").json()["id"] == grace["id"]
    api.client.patch(
        f"{path}/identifiers",
        headers=api.headers,
        json={"operation": "Release", "identifier": {"type": "ExternalId", "value": "crm-42"}},
    )
    assert lookup(api, "ExternalId", "crm-42").status_code == 404
    assert api.put(path, {"title": "Rear Admiral"}).json()["title"] == "Rear Admiral"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert lookup(api, "Email", "grace@navy.example").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workEmail": "not-an-email"}, "workEmail"),
        ({"cellPhone": {"e164": "12"}}, "cellPhone.e164"),
        ({"firstName": 5}, "firstName"),
    ],
)
def test_bad_contacts_are_400s(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.post(CONTACTS, body)
    assert response.status_code == 400
    assert response.json()["details"] == [{"fieldName": field}]


def test_a_visitor_who_identifies_gets_an_identified_contact(api: Api, shop: str) -> None:
    first = visit(api, shop, ADA)
    anonymous = session(api, first["session"]["id"])["externalContact"]["id"]
    assert api.get(f"{CONTACTS}/{anonymous}").json()["type"] == "Ephemeral"
    visit(
        api,
        shop,
        ADA,
        5,
        name="identified",
        traits={"email": trait("ada@example.com"), "givenName": trait("Ada")},
    )
    contact = api.get(f"{CONTACTS}/{anonymous}").json()
    assert (contact["type"], contact["firstName"], contact["personalEmail"]) == (
        "Identified",
        "Ada",
        "ada@example.com",
    )
    assert lookup(api, "Cookie", ADA).json()["id"] == anonymous


def test_a_pii_match_is_unverified_until_an_agent_verifies_it(api: Api, shop: str) -> None:
    visit(api, shop, ADA, name="identified", traits={"email": trait("ada@example.com")})
    ada = lookup(api, "Email", "ada@example.com").json()["id"]
    eve = visit(api, shop, EVE, 0, name="identified", traits={"email": trait("ada@example.com")})
    eve_session = session(api, eve["session"]["id"])
    assert eve_session["externalContact"]["id"] == ada
    assert eve_session["externalContactVerified"] is False
    journey = api.get(f"{CONTACTS}/{ada}/journey/sessions").json()["entities"]
    assert eve["session"]["id"] in {s["id"] for s in journey}
    verified = api.put(
        f"/api/v2/journey/sessions/{eve['session']['id']}/externalcontact", {"id": ada}
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["externalContactVerified"] is True
    assert lookup(api, "Cookie", EVE).json()["id"] == ada  # the cookie follows
    later = visit(api, shop, EVE, 60)
    assert session(api, later["session"]["id"])["externalContactVerified"] is True
    audits = api.get(f"{CONTACTS}/{ada}/audits").json()["entities"]
    assert [a["action"] for a in audits] == ["verify_session"]
    assert audits[0]["details"]["sessionId"] == eve["session"]["id"]
    assert audits[0]["actor"]


def test_calls_and_chats_join_the_visitor_journey(api: Api, shop: str) -> None:
    web = visit(
        api,
        shop,
        ADA,
        name="identified",
        traits={"phone": trait("+15551585963"), "email": trait("ada@example.com")},
    )
    ada = lookup(api, "Cookie", ADA).json()["id"]
    call = Conversation("call-1").customer_start(0).acd_start(5, "q").acd_end(9, "q", "ANSWERED")
    api.post("/api/v2/journey/conversationevents", call.wire)
    call_session = session(api, session_id_for("call-1"))
    assert call_session["externalContact"]["id"] == ada
    assert call_session["externalContactVerified"] is False  # matched by the number alone
    chat = Conversation("chat-1", media="CHAT").customer_start(
        0,
        journeyContext={
            "customer": {"id": ADA, "idType": "cookie"},
            "customerSession": {"id": web["session"]["id"], "type": "web"},
        },
    )
    api.post("/api/v2/journey/conversationevents", chat.wire)
    chat_session = session(api, session_id_for("chat-1"))
    assert (chat_session["externalContact"]["id"], chat_session["externalContactVerified"]) == (
        ada,
        True,
    )
    journey = api.get(f"{CONTACTS}/{ada}/journey/sessions").json()["entities"]
    assert {s["id"] for s in journey} == {
        web["session"]["id"],
        session_id_for("call-1"),
        session_id_for("chat-1"),
    }


def test_an_unknown_caller_gets_a_contact_that_repeat_calls_find(api: Api) -> None:
    for n in range(2):
        call = Conversation(f"call-{n}", ani="tel:+15550001111").customer_start(n * 5000)
        api.post("/api/v2/journey/conversationevents", call.wire)
    contact = lookup(api, "Phone", "+15550001111").json()
    journey = api.get(f"{CONTACTS}/{contact['id']}/journey/sessions").json()["entities"]
    assert {s["conversation"]["id"] for s in journey} == {"call-0", "call-1"}
    assert contact["cellPhone"]["e164"] == "+15550001111"


def test_merge_shows_one_journey_and_unmerge_undoes_it(api: Api, shop: str) -> None:
    a = visit(api, shop, ADA)["session"]["id"]
    b = visit(api, shop, EVE)["session"]["id"]
    ada = lookup(api, "Cookie", ADA).json()["id"]
    eve = lookup(api, "Cookie", EVE).json()["id"]
    merged = api.post(
        "/api/v2/externalcontacts/merge/contacts",
        {"contactIds": [ada, eve], "valueOverride": {"firstName": "Ada"}},
    )
    assert merged.status_code == 200, merged.text
    head = merged.json()
    assert head["firstName"] == "Ada"
    assert {m["id"] for m in head["mergedFrom"]} == {ada, eve}
    member = api.get(f"{CONTACTS}/{ada}").json()
    assert member["canonicalContact"]["id"] == head["id"]
    whole = api.get(f"{CONTACTS}/{ada}/journey/sessions", params={"includeMerged": "true"})
    assert {s["id"] for s in whole.json()["entities"]} == {a, b}
    own = api.get(f"{CONTACTS}/{ada}/journey/sessions").json()["entities"]
    assert {s["id"] for s in own} == {a}
    assert session(api, a)["externalContact"]["id"] == head["id"]
    undone = api.post(f"{CONTACTS}/{head['id']}/unmerge", {})
    assert {c["id"] for c in undone.json()["entities"]} == {ada, eve}
    assert api.get(f"{CONTACTS}/{head['id']}").status_code == 404
    assert "canonicalContact" not in api.get(f"{CONTACTS}/{ada}").json()
    actions = [x["action"] for x in api.get(f"{CONTACTS}/{head['id']}/audits").json()["entities"]]
    assert actions == ["merge", "unmerge"]


@pytest.mark.parametrize(
    ("ids", "status"),
    [
        (["x"], 400),
        ([f"c{i}" for i in range(26)], 400),
        (["nope", "nope", "nada"], 400),  # uniqueItems, as the schema says
        (["nope", "nada"], 404),
    ],
)
def test_merge_refusals(api: Api, ids: list[str], status: int) -> None:
    assert api.post("/api/v2/externalcontacts/merge/contacts", {"contactIds": ids}).status_code == (
        status
    )


def test_ephemeral_contacts_expire_after_sixty_days(api: Api, shop: str) -> None:
    visit(api, shop, ADA)
    contact = lookup(api, "Cookie", ADA).json()
    assert contact["type"] == "Ephemeral"
    api.clock.advance(61 * 24 * 3600)
    api.headers = bearer(api.client, make_client(api.store_url))  # tokens expire too
    assert api.get(f"{CONTACTS}/{contact['id']}").status_code == 404
    assert lookup(api, "Cookie", ADA).status_code == 404


def test_rebuild_reproduces_identity_after_agent_actions(api: Api, shop: str, store: Store) -> None:
    visit(api, shop, ADA, name="identified", traits={"email": trait("ada@example.com")})
    eve = visit(api, shop, EVE, name="identified", traits={"email": trait("ada@example.com")})
    ada = lookup(api, "Email", "ada@example.com").json()["id"]
    api.put(f"/api/v2/journey/sessions/{eve['session']['id']}/externalcontact", {"id": ada})
    api.post(CONTACTS, {"firstName": "Grace", "workEmail": "grace@example.com"})
    api.post(
        "/api/v2/journey/conversationevents",
        Conversation("call-9", ani="tel:+15550002222").customer_start(0).wire,
    )
    before = store.snapshot()
    rebuild(store, FakeClock())
    after = store.snapshot()
    for projection in fields(Snapshot):
        assert getattr(after, projection.name) == getattr(before, projection.name), projection.name
    assert after == before


def test_racing_identify_calls_never_make_two_owners(live_server: LiveServer, store: Store) -> None:
    """Twenty browsers identify as the same new person at once, on a real server."""
    import concurrent.futures
    import time
    import uuid

    import httpx

    with httpx.Client(base_url=live_server.base_url) as http:
        headers = bearer(http, live_server.credentials)
        shop = http.post(
            "/api/v2/webdeployments/deployments",
            headers=headers,
            json={"name": "Shop", "allowAllDomains": True},
        ).json()["id"]
        now = int(time.time() * 1000)
        cookies = [str(uuid.uuid4()) for _ in range(20)]

        def identify(cookie: str) -> int:
            body = web_event(
                cookie,
                0,
                name="identified",
                now_ms=now,
                traits={"email": trait("new.person@example.com")},
            )
            with httpx.Client(base_url=live_server.base_url) as own:
                return own.post(
                    f"/api/v2/journey/deployments/{shop}/webevents", json=body
                ).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            assert set(pool.map(identify, cookies)) == {200}
        owner = http.post(
            "/api/v2/externalcontacts/identifierlookup",
            headers=headers,
            json={"type": "Email", "value": "new.person@example.com"},
        ).json()["id"]
        verified = []
        for cookie in cookies:
            visitor = http.post(
                "/api/v2/externalcontacts/identifierlookup",
                headers=headers,
                json={"type": "Cookie", "value": cookie},
            ).json()
            verified.append(
                visitor["id"] == owner or visitor.get("unverifiedMatch", {}).get("id") == owner
            )
        assert all(verified)
    contacts, _ = store.contacts_page(page_number=1, page_size=100)
    assert len(contacts) == 20  # one per browser ...
    assert [c.id for c in contacts if c.personal_email == "new.person@example.com"] == [owner]


def test_an_agent_verifies_a_call_matched_by_number(api: Api, shop: str) -> None:
    visit(api, shop, ADA, name="identified", traits={"phone": trait("+15551585963")})
    ada = lookup(api, "Cookie", ADA).json()["id"]
    call = Conversation("call-7").customer_start(0).acd_start(5, "q")
    api.post("/api/v2/journey/conversationevents", call.wire)
    path = f"/api/v2/journey/sessions/{session_id_for('call-7')}/externalcontact"
    assert api.put(path, {"id": "no-such-contact"}).status_code == 404
    assert api.put(path, {}).status_code == 400
    verified = api.put(path, {"id": ada}).json()
    assert (verified["externalContact"]["id"], verified["externalContactVerified"]) == (ada, True)
    more = Conversation("call-7").acd_end(30, "q", "ABANDON").customer_end(30)
    api.post("/api/v2/journey/conversationevents", more.wire)  # later events keep the verification
    assert session(api, session_id_for("call-7"))["externalContactVerified"] is True


def test_a_chat_is_matched_by_its_email_address(api: Api, shop: str) -> None:
    visit(api, shop, ADA, name="identified", traits={"email": trait("Ada@Example.com")})
    ada = lookup(api, "Email", "ada@example.com").json()["id"]
    chat = Conversation("chat-e", media="CHAT").customer_start(0, addressFrom="ADA@example.com")
    api.post("/api/v2/journey/conversationevents", chat.wire)
    linked = session(api, session_id_for("chat-e"))
    assert (linked["customerId"], linked["customerIdType"]) == ("ada@example.com", "email")
    assert (linked["externalContact"]["id"], linked["externalContactVerified"]) == (ada, False)


def test_chats_from_one_address_written_differently_find_one_contact(api: Api) -> None:
    """A chat's address is normalised as web traits are; one that is no address names nobody."""
    for n, address in enumerate(
        ["Real.V@Example.com", " real.v@example.com", "REAL.V@example.COM"]
    ):
        chat = Conversation(f"chat-{n}", media="CHAT").customer_start(n, addressFrom=address)
        api.post("/api/v2/journey/conversationevents", chat.wire)
    found = lookup(api, "Email", "real.v@example.com").json()
    journey = api.get(f"{CONTACTS}/{found['id']}/journey/sessions").json()["entities"]
    assert {s["conversation"]["id"] for s in journey} == {"chat-0", "chat-1", "chat-2"}
    assert found["personalEmail"] == "real.v@example.com"
    broken = Conversation("chat-x", media="CHAT").customer_start(9, addressFrom="real.v@")
    assert api.post("/api/v2/journey/conversationevents", broken.wire).status_code == 202
    kept = session(api, session_id_for("chat-x"))
    assert "externalContact" not in kept
    assert "customerId" not in kept


def test_an_agents_verification_stands_against_the_numbers_own_contact(api: Api) -> None:
    """Calls from two numbers; an agent says call A was the person behind number B."""
    for name, number in (("call-a", "tel:+15550003333"), ("call-b", "tel:+15550004444")):
        api.post(
            "/api/v2/journey/conversationevents",
            Conversation(name, ani=number).customer_start(0).wire,
        )
    b_contact = lookup(api, "Phone", "+15550004444").json()["id"]
    path = f"/api/v2/journey/sessions/{session_id_for('call-a')}/externalcontact"
    assert api.put(path, {"id": b_contact}).status_code == 200
    more = Conversation("call-a", ani="tel:+15550003333").acd_start(5, "q")
    api.post("/api/v2/journey/conversationevents", more.wire)
    linked = session(api, session_id_for("call-a"))
    assert (linked["externalContact"]["id"], linked["externalContactVerified"]) == (b_contact, True)


def test_identifiers_claimed_on_a_merged_contact_survive_an_unmerge(api: Api, shop: str) -> None:
    visit(api, shop, ADA)
    visit(api, shop, EVE)
    ada, eve = lookup(api, "Cookie", ADA).json()["id"], lookup(api, "Cookie", EVE).json()["id"]
    head = api.post("/api/v2/externalcontacts/merge/contacts", {"contactIds": [ada, eve]}).json()
    claim = {"operation": "Claim", "identifier": {"type": "Email", "value": "pair@example.com"}}
    api.client.patch(f"{CONTACTS}/{head['id']}/identifiers", headers=api.headers, json=claim)
    api.post(f"{CONTACTS}/{head['id']}/unmerge", {})
    owner = lookup(api, "Email", "pair@example.com")
    assert owner.status_code == 200
    assert owner.json()["id"] in {ada, eve}


def test_writes_check_the_token_before_the_body(api: Api) -> None:
    for method, path in (
        ("POST", CONTACTS),
        ("POST", "/api/v2/externalcontacts/merge/contacts"),
        ("PUT", f"{CONTACTS}/x"),
        ("PATCH", f"{CONTACTS}/x/identifiers"),
    ):
        response = api.client.request(method, path, content=b"not json")
        assert response.status_code == 401, (method, path)


def test_deleting_a_member_erases_its_whole_merge_set(api: Api) -> None:
    """DELETE is the right to erasure: the person is the whole merge set (docs/api.md)."""
    contacts = "/api/v2/externalcontacts/contacts"
    a, b, c, d = (api.post(contacts, {"firstName": n}).json()["id"] for n in ("A", "B", "C", "D"))
    head = api.post("/api/v2/externalcontacts/merge/contacts", {"contactIds": [a, b, c]}).json()
    assert api.delete(f"{contacts}/{c}").status_code == 204
    for gone in (a, b, c, head["id"]):
        assert api.get(f"{contacts}/{gone}").status_code == 404
    assert api.post(f"{contacts}/{head['id']}/unmerge", {}).status_code == 404
    assert api.get(f"{contacts}/{d}").json()["firstName"] == "D"
    listed = api.get(contacts).json()
    assert [e["id"] for e in listed["entities"]] == [d]


def test_contacts_are_listed_newest_first_a_page_at_a_time(api: Api) -> None:
    for name in ("Ada", "Grace", "Edsger"):
        assert api.post(CONTACTS, {"firstName": name}).status_code == 200
        api.clock.advance(1)
    listing = api.get(CONTACTS, params={"pageSize": 2}).json()
    assert [c["firstName"] for c in listing["entities"]] == ["Edsger", "Grace"]
    assert (listing["total"], listing["pageSize"], listing["pageNumber"]) == (3, 2, 1)
    second = api.get(CONTACTS, params={"pageSize": 2, "pageNumber": 2}).json()
    assert [c["firstName"] for c in second["entities"]] == ["Ada"]
    too_big = api.get(CONTACTS, params={"pageSize": 201})
    assert too_big.status_code == 400
    assert too_big.json()["details"] == [{"fieldName": "pageSize"}]
