"""Right to erasure through the API, on each backend: ``DELETE .../contacts/{id}`` erases a
person — the merge set, identifiers, sessions, logged events, effects, deliveries — and a
rebuild from the log gives what live processing left."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from builders import Conversation, web_event
from conftest import Api, FakeClock, bearer, make_client
from journeyline.core.identity import cookie_contact_id
from journeyline.engine.erasure import digest
from journeyline.engine.replay import rebuild
from journeyline.model.effects import Cursor
from journeyline.model.flows import Delivery
from journeyline.store import Store
from journeyline.store.base import ERASED_KIND, Snapshot
from journeyline.store.codec import encode_effect
from web_visits import new_shop, trait, visit

ADA_COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
EVE_COOKIE = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
CONTACTS = "/api/v2/externalcontacts/contacts"
#: What the log, the effects and the projections must no longer hold once Ada is erased.
ADA_PII = (
    "ada@example.com",
    "ada%40example.com",
    "Lovelace",
    "15550002222",
    ADA_COOKIE,
    "203.0.113.9",
    "AdaBrowser",
)


def _ada_visit() -> dict[str, Any]:
    return {
        "name": "identified",
        "url": "https://shop.example.com/account?email=ada%40example.com",
        "traits": {"email": trait("ada@example.com"), "lastName": trait("Lovelace")},
        "ipAddress": "203.0.113.9",
        "userAgentString": "Mozilla/5.0 AdaBrowser/1.0",
    }


def _lookup(api: Api, kind: str, value: str) -> int:
    path = "/api/v2/externalcontacts/identifierlookup"
    return api.post(path, {"type": kind, "value": value}).status_code


def _persons_everything(api: Api, shop: str, store: Store) -> dict[str, Any]:
    """Ada: a visitor with traits, a curated contact with her phone, merged, a call from her
    number, a flow delivery about her. Eve: a visitor and a call of her own."""
    visited = visit(api, shop, ADA_COOKIE, 0, **_ada_visit())
    visitor = api.post(
        "/api/v2/externalcontacts/identifierlookup", {"type": "Cookie", "value": ADA_COOKIE}
    ).json()["id"]
    curated = api.post(
        CONTACTS,
        {"firstName": "Ada", "lastName": "Lovelace", "cellPhone": {"e164": "+15550002222"}},
    ).json()["id"]
    head = api.post(
        "/api/v2/externalcontacts/merge/contacts", {"contactIds": [visitor, curated]}
    ).json()["id"]
    call = Conversation("call-ada", ani="tel:+15550002222").customer_start(0).wire
    assert api.post("/api/v2/journey/conversationevents", call).status_code == 202
    visit(api, shop, EVE_COOKIE, 0, name="identified", traits={"email": trait("eve@example.com")})
    other = Conversation("call-eve", ani="tel:+15550003333").customer_start(0).wire
    assert api.post("/api/v2/journey/conversationevents", other).status_code == 202
    with store.transaction():
        store.outbox_put(Delivery("msg_ada", "f1", f'{{"contactId":"{head}"}}'.encode(), 1, 1))
        store.outbox_put(Delivery("msg_eve", "f1", b'{"contactId":"someone-else"}', 1, 1))
    journey = api.get(f"{CONTACTS}/{head}/journey/sessions", params={"includeMerged": "true"})
    sessions = journey.json()["entities"]
    assert len(sessions) == 2  # the web visit and the call
    return {
        "ids": [head, visitor, curated],
        "sessions": [s["id"] for s in sessions],
        "visit": visited,
    }


def _supervisor(api: Api) -> dict[str, str]:
    return bearer(api.client, make_client(api.store_url, "supervisor"))


def test_erasing_a_contact_erases_the_person_everywhere(api: Api, shop: str, store: Store) -> None:
    ada = _persons_everything(api, shop, store)
    head, visitor, curated = ada["ids"]
    agent = bearer(api.client, make_client(api.store_url, "agent"))
    assert api.client.delete(f"{CONTACTS}/{curated}", headers=agent).status_code == 403
    erased = api.client.delete(f"{CONTACTS}/{curated}", headers=_supervisor(api))
    assert erased.status_code == 204, erased.text
    # the API: every contact of the merge set, its identifiers, its sessions are gone
    for contact_id in ada["ids"]:
        assert api.get(f"{CONTACTS}/{contact_id}").status_code == 404
    for session_id in ada["sessions"]:
        assert api.get(f"/api/v2/journey/sessions/{session_id}").status_code == 404
    for kind, value in (("Email", "ada@example.com"), ("Phone", "+15550002222")):
        assert _lookup(api, kind, value) == 404
    assert _lookup(api, "Cookie", ADA_COOKIE) == 404
    assert api.delete(f"{CONTACTS}/{head}").status_code == 404  # nothing left to erase
    # Eve is untouched
    assert _lookup(api, "Email", "eve@example.com") == 200
    assert _lookup(api, "Cookie", EVE_COOKIE) == 200
    # the log keeps tombstones, the effect log keeps places: no trace of Ada in either
    log = list(store.iter_all_log())
    assert any(r.kind == ERASED_KIND for r in log)
    assert any(b"eve@example.com" in r.body for r in log)
    for record in log:
        for text in ADA_PII:
            assert text.encode() not in record.body, (record.kind, text)
            assert text not in record.partition_key
    effects = store.effects_after(Cursor(), limit=10_000)
    assert any(e.name == "erased" for e in effects)
    for envelope in effects:
        body = encode_effect(envelope.effect)
        for text in (*ADA_PII, head, visitor, curated):
            if envelope.name not in ("contact.deleted", "session.removed"):
                assert text.encode() not in body, (envelope.name, text)
    # the outbox: Ada's delivery is dropped, another's stays
    assert store.outbox_get("msg_ada") is None
    assert store.outbox_get("msg_eve") is not None
    # the audit: who, when, which contact; no personal data
    [audit] = api.get(f"{CONTACTS}/{curated}/audits").json()["entities"]
    assert audit["action"] == "erase"
    assert sorted(audit["details"]["contactIds"]) == sorted(ada["ids"])
    assert audit["details"]["sessions"] == 2
    assert not any(text in str(audit) for text in ADA_PII)
    assert api.get(f"{CONTACTS}/{visitor}/audits").json()["entities"] == []


def test_a_rebuild_after_an_erasure_equals_live(api: Api, shop: str, store: Store) -> None:
    ada = _persons_everything(api, shop, store)
    assert api.delete(f"{CONTACTS}/{ada['ids'][0]}").status_code == 204
    visit(api, shop, EVE_COOKIE, 0, name="page_viewed")  # life goes on after the erasure
    live = store.snapshot()
    rebuild(store, FakeClock())
    rebuilt = store.snapshot()
    for projection in fields(Snapshot):
        assert getattr(rebuilt, projection.name) == getattr(live, projection.name), projection
    assert rebuilt == live
    assert rebuilt.contacts  # Eve's are there


def test_an_erased_event_sent_again_is_refused_and_brings_nothing_back(
    api: Api, shop: str, store: Store
) -> None:
    first = visit(api, shop, ADA_COOKIE, 0, **_ada_visit())
    contact = api.post(
        "/api/v2/externalcontacts/identifierlookup", {"type": "Cookie", "value": ADA_COOKIE}
    ).json()["id"]
    call = Conversation("call-ada", ani="tel:+15550002222").customer_start(0).wire
    api.post("/api/v2/journey/conversationevents", call)
    [call_session] = api.get(
        "/api/v2/journey/sessions", params={"conversationId": "call-ada"}
    ).json()["entities"]
    verified = api.put(
        f"/api/v2/journey/sessions/{call_session['id']}/externalcontact", {"id": contact}
    )
    assert verified.status_code == 200, verified.text
    assert api.delete(f"{CONTACTS}/{contact}").status_code == 204
    count = store.log_count()
    body = web_event(ADA_COOKIE, 0, **_ada_visit())
    again = api.client.post(f"/api/v2/journey/deployments/{shop}/webevents", json=body)
    assert again.status_code == 404
    assert "erased" in again.json()["message"]
    assert api.post("/api/v2/journey/conversationevents", call).status_code == 202
    assert store.log_count() == count  # the keys are still known: nothing new is logged
    assert _lookup(api, "Cookie", ADA_COOKIE) == 404
    assert _lookup(api, "Email", "ada@example.com") == 404
    assert api.get(f"/api/v2/journey/sessions/{first['session']['id']}").status_code == 404
    assert api.get(f"/api/v2/journey/sessions/{call_session['id']}").status_code == 404


def test_the_erased_persons_journey_is_gone_from_the_desktop(
    api: Api, shop: str, store: Store
) -> None:
    from signing_in import PASSWORD, sign_in

    body = {"name": "Sue", "email": "sue@example.com", "password": PASSWORD, "role": "supervisor"}
    assert api.post("/api/v2/users", body).status_code == 200
    assert sign_in(api.client, "sue@example.com").status_code == 303
    ada = _persons_everything(api, shop, store)
    head = ada["ids"][0]
    page = api.client.get(f"/desktop/people/{head}")
    assert page.status_code == 200
    assert "Lovelace" in page.text
    search = {"q": "ada@example.com"}
    found = api.client.get("/desktop/search", params=search, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"].endswith(head)
    assert api.delete(f"{CONTACTS}/{head}").status_code == 204
    assert api.client.get(f"/desktop/people/{head}").status_code == 404
    for session_id in ada["sessions"]:
        assert api.client.get(f"/desktop/sessions/{session_id}").status_code == 404
    after = api.client.get("/desktop/search", params=search, follow_redirects=False)
    assert after.status_code == 200
    assert "Lovelace" not in after.text
    assert "Lovelace" not in api.client.get("/desktop/now").text


def test_an_expired_visitor_is_left_out_of_reads_and_listings(api: Api, shop: str) -> None:
    visit(api, shop, EVE_COOKIE)
    [eve] = api.get(CONTACTS).json()["entities"]
    assert eve["type"] == "Ephemeral"
    api.clock.advance(59 * 86_400)
    api.headers = bearer(api.client, make_client(api.store_url))  # tokens last a day
    assert [c["id"] for c in api.get(CONTACTS).json()["entities"]] == [eve["id"]]
    api.clock.advance(2 * 86_400)  # 61 days after the visit
    api.headers = bearer(api.client, make_client(api.store_url))
    listing = api.get(CONTACTS).json()
    assert (listing["entities"], listing["total"]) == ([], 0)
    assert api.get(f"{CONTACTS}/{eve['id']}").status_code == 404
    assert _lookup(api, "Cookie", EVE_COOKIE) == 404


def test_a_visitor_matched_to_the_person_by_their_email_alone_goes_with_them(
    api: Api, shop: str, store: Store
) -> None:
    """A visitor who typed the person's email is linked to the person (unverified): their
    sessions and cookie are erased with the person, and a rebuild still equals live."""
    ada = api.post(CONTACTS, {"lastName": "Lovelace", "workEmail": "ada@example.com"}).json()
    matched = visit(api, shop, ADA_COOKIE, 0, **_ada_visit())
    session = api.get(f"/api/v2/journey/sessions/{matched['session']['id']}").json()
    assert session["externalContact"]["id"] == ada["id"]
    assert session["externalContactVerified"] is False
    visit(api, shop, EVE_COOKIE, 0, name="identified", traits={"email": trait("eve@example.com")})
    assert api.delete(f"{CONTACTS}/{ada['id']}").status_code == 204
    assert api.get(f"/api/v2/journey/sessions/{matched['session']['id']}").status_code == 404
    assert _lookup(api, "Cookie", ADA_COOKIE) == 404
    assert _lookup(api, "Cookie", EVE_COOKIE) == 200
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.snapshot() == live


def test_another_visitors_refused_traits_lose_the_persons_email_and_a_rebuild_agrees(
    api: Api, store: Store
) -> None:
    """On a shop requiring signed traits, a stranger's unsigned traits name Ada's email: they
    are refused and claim nothing, and the event is the stranger's, so it stays — without
    the email, in the log and in the stranger's session alike."""
    signed = new_shop(api, identifySigning="required")["id"]
    ada = api.post(CONTACTS, {"lastName": "Lovelace", "workEmail": "ada@example.com"}).json()
    traits = {"email": trait("Ada@Example.com"), "givenName": trait("Mallory")}
    sent = visit(api, signed, EVE_COOKIE, 0, name="identified", traits=traits)
    assert sent["traitsRefused"] == "unsigned"
    session_id = sent["session"]["id"]
    events = f"/api/v2/journey/sessions/{session_id}/events"
    assert "ada@example.com" in api.get(events).text.lower()
    assert api.delete(f"{CONTACTS}/{ada['id']}").status_code == 204
    kept = api.get(events)
    assert kept.status_code == 200
    [event] = kept.json()["entities"]
    assert "ada@example.com" not in kept.text.lower()
    traits = event["webEvent"]["traits"]
    assert traits["email"]["value"] == ""  # the trait is there, its value gone
    assert traits["givenName"]["value"] == "Mallory"  # what is not Ada's stays
    for record in store.iter_all_log():
        assert b"ada@example.com" not in record.body.lower(), record.kind
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.snapshot() == live
    assert "ada@example.com" not in api.get(events).text.lower()


def test_another_contacts_audit_trail_loses_the_entries_naming_the_persons_email(
    api: Api, shop: str, store: Store
) -> None:
    """An agent claimed Ada's email for Zed, released it, and claimed it back for Ada: once
    Ada is erased, Zed's audit trail no longer names it (those commands are tombstones in the
    log, so a rebuild has no such entries either), and Zed's own entries stay."""
    visit(api, shop, ADA_COOKIE, 0, name="identified", traits={"email": trait("ada@example.com")})
    ada = api.post(
        "/api/v2/externalcontacts/identifierlookup", {"type": "Email", "value": "ada@example.com"}
    ).json()["id"]
    zed = api.post(CONTACTS, {"firstName": "Zed"}).json()["id"]
    email = {"type": "Email", "value": "ada@example.com"}
    for contact, operation in ((zed, "Claim"), (zed, "Release"), (ada, "Claim")):
        path = f"{CONTACTS}/{contact}/identifiers"
        body = {"operation": operation, "identifier": email}
        changed = api.client.patch(path, json=body, headers=api.headers)
        assert changed.status_code == 200, changed.text
    audits = f"{CONTACTS}/{zed}/audits"
    assert "ada@example.com" in api.get(audits).text
    assert api.delete(f"{CONTACTS}/{ada}").status_code == 204
    kept = api.get(audits).json()["entities"]
    assert "ada@example.com" not in str(kept)
    assert [a["action"] for a in kept] == ["create"]  # Zed's own
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.snapshot() == live


def test_an_erased_conversation_and_cookie_refuse_new_events_for_sixty_days(
    api: Api, shop: str, store: Store
) -> None:
    """The erased call goes on (its next event names the caller's number) and the erased
    browser visits again: both would make the same session and contact ids again, with the
    number and the visit stored anew. Their new events are refused (only digests of the ids
    are kept), a rebuild equals live, and after sixty days the cookie is a new visitor."""
    ada = _persons_everything(api, shop, store)
    assert api.delete(f"{CONTACTS}/{ada['ids'][0]}").status_code == 204
    count = store.log_count()
    call = Conversation("call-ada", ani="tel:+15550002222").acd_start(30, "q1").wire
    answered = api.post("/api/v2/journey/conversationevents", call)
    assert answered.status_code == 202, answered.text
    [entity] = answered.json()["entities"]
    assert (entity["status"], answered.json()["rejected"]) == ("rejected", 1)
    assert "erased" in entity["message"]
    sessions = api.get("/api/v2/journey/sessions", params={"conversationId": "call-ada"})
    assert sessions.json()["entities"] == []
    assert _lookup(api, "Phone", "+15550002222") == 404
    again = api.client.post(
        f"/api/v2/journey/deployments/{shop}/webevents", json=web_event(ADA_COOKIE, 60)
    )
    assert again.status_code == 404
    assert "erased" in again.json()["message"]
    assert _lookup(api, "Cookie", ADA_COOKIE) == 404
    assert api.get(f"{CONTACTS}/{cookie_contact_id(ADA_COOKIE)}").status_code == 404
    visit(api, shop, EVE_COOKIE, 60)  # others' events are taken as ever
    assert store.log_count() == count + 1
    kept = store.erased_customers_among(  # the store keeps no id of Ada's, only digests
        [digest("cookie", ADA_COOKIE), digest("conversation", "call-ada")], api.clock()
    )
    assert len(kept) == 2
    assert not any(ADA_COOKIE in str(record) for record in store.iter_all_log())
    live = store.snapshot()
    rebuild(store, FakeClock())
    assert store.snapshot() == live
    api.clock.advance(61 * 86_400)
    api.headers = bearer(api.client, make_client(api.store_url))  # tokens last a day
    back = visit(api, shop, ADA_COOKIE, 61 * 86_400)
    assert back["session"]["id"]
    assert _lookup(api, "Cookie", ADA_COOKIE) == 200
