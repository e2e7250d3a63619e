"""The desktop never shows a person found through an identifier alone as certain: a card of a
conversation matched by an email a website visitor claimed says "Not verified", by which
identifier, vouched for by whom, claimed when and in which web session — in English and French
— and the Now view marks it too; once an agent verifies it, the card is plain. Through the real
app, signed in as an agent, on both stores."""

from __future__ import annotations

import html
import re

from builders import T0, Conversation, web_event
from conftest import Api
from journeyline.clock import iso
from journeyline.core.conversation import session_id_for
from signing_in import PASSWORD, sign_in

MALLORY = "5e3c9b1a-7d2f-4e6a-b8c0-1f2e3d4c5b6a"
BOB_COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"


def card_html(api: Api, session_id: str, **headers: str) -> str:
    page = api.client.get(f"/desktop/sessions/{session_id}/card", headers=headers)
    assert page.status_code == 200, page.text
    return page.text


def text_of(fragment: str) -> str:
    """What a reader sees of some HTML, on one line."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([:)])", r"\1", text)


def note_of(card: str) -> str:
    """The card's note on an unverified person."""
    found = re.search(r'<div class="unverified".*?</dl>', card, re.S)
    assert found, card
    return found[0]


def test_a_chat_matched_by_a_claimed_email_says_why_until_an_agent_verifies(api: Api) -> None:
    shop = api.post("/api/v2/webdeployments/deployments", {"name": "Shop", "allowAllDomains": True})
    shop_id = shop.json()["id"]
    traits = {
        "email": {"dataType": "string", "value": "bob@example.com"},
        "givenName": {"dataType": "string", "value": "Mallory"},
    }
    claimed = api.client.post(
        f"/api/v2/journey/deployments/{shop_id}/webevents",
        json=web_event(MALLORY, 0, name="identified", traits=traits),
    ).json()
    chat = Conversation("chat-b", media="CHAT")
    chat.customer_start(60, addressFrom="bob@example.com").acd_start(65, "q-sales")
    api.post("/api/v2/journey/conversationevents", chat.wire)
    bob_chat = session_id_for("chat-b")
    user = {"name": "Ann Agent", "email": "ann@example.com", "password": PASSWORD}
    assert api.post("/api/v2/users", {**user, "role": "agent"}).status_code == 200
    assert sign_in(api.client).status_code == 303

    note = note_of(card_html(api, bob_chat))
    assert text_of(note) == (
        "Not verified: Mallory — found through an identifier alone; verify before trusting the"
        " name. Matched by Email bob@example.com"
        " Vouched for by a website visitor, in traits they typed (anyone can)"
        " Claimed 2026-11-25 09:46 UTC"
        " Claimed on the website the web session it was typed in (deployment Shop)"
    )
    assert f'datetime="{iso(T0)}"' in note
    assert f'href="/desktop/sessions/{claimed["session"]["id"]}"' in note
    french = note_of(card_html(api, bob_chat, **{"Accept-Language": "fr"}))
    assert text_of(french) == (
        "Non vérifié: Mallory — trouvé par un identifiant seul ; vérifiez avant de vous fier au"
        " nom. Rapproché par E-mail bob@example.com"
        " Garanti par un visiteur du site web, dans des traits qu\u2019il a saisis"
        " (n\u2019importe qui le peut) Revendiqué 2026-11-25 09:46 UTC"
        " Revendiqué sur le site web la session web où il a été saisi (déploiement Shop)"
    )
    minis = api.client.get("/desktop/now/body").text.split('<li class="mini')[1:]
    said = [text_of(m.split(">", 1)[1].split("</li>")[0]) for m in minis]
    assert [re.sub(r"\d+:\d\d", "m:ss", s) for s in said] == [
        "Mallory not verified Web chat Waiting m:ss",  # the chat, waiting in its queue
        "Mallory Web session Active m:ss Shop",  # the visitor's own session: their own cookie
    ]

    bob = api.post("/api/v2/externalcontacts/contacts", {"firstName": "Bob"}).json()["id"]
    api.put(f"/api/v2/journey/sessions/{bob_chat}/externalcontact", {"id": bob})
    assert 'class="unverified"' not in card_html(api, bob_chat)
    assert "Bob Web chat Waiting" in text_of(api.client.get("/desktop/now/body").text)
    assert "not verified" not in text_of(api.client.get("/desktop/now/body").text)


def test_a_chat_by_an_address_the_centre_named_since_says_it_is_not_verified(api: Api) -> None:
    """The address a chat comes from was typed by whoever writes: the contact made from it,
    named since by a supervisor, is shown on the next chat as unverified, and by whom."""
    first = Conversation("mail-1", media="EMAIL").customer_start(
        0, addressFrom="real.v@example.com"
    )
    api.post("/api/v2/journey/conversationevents", first.wire)
    victim = api.get(f"/api/v2/journey/sessions/{session_id_for('mail-1')}").json()
    victim_id = victim["externalContact"]["id"]
    api.put(f"/api/v2/externalcontacts/contacts/{victim_id}", {"firstName": "Real"})
    chat = Conversation("chat-v", media="CHAT").customer_start(60, addressFrom="REAL.V@example.com")
    api.post("/api/v2/journey/conversationevents", chat.wire)
    user = {"name": "Ann Agent", "email": "ann@example.com", "password": PASSWORD}
    assert api.post("/api/v2/users", {**user, "role": "agent"}).status_code == 200
    assert sign_in(api.client).status_code == 303
    assert text_of(note_of(card_html(api, session_id_for("chat-v")))) == (
        "Not verified: Real — found through an identifier alone; verify before trusting the"
        " name. Matched by Email real.v@example.com"
        " Vouched for by the customer, in the address they wrote from (anyone can)"
        " Claimed 2026-11-25 09:46 UTC"
    )


def test_a_number_typed_with_00_or_full_width_digits_is_claimed_and_found(api: Api) -> None:
    shop = api.post("/api/v2/webdeployments/deployments", {"name": "Shop", "allowAllDomains": True})
    traits = {"phone": {"dataType": "string", "value": "0033698765432"}}
    sent = api.client.post(
        f"/api/v2/journey/deployments/{shop.json()['id']}/webevents",
        json=web_event(MALLORY, 0, name="form_submitted", traits=traits),
    )
    assert sent.status_code == 200, sent.text
    owner = api.post(
        "/api/v2/externalcontacts/identifierlookup", {"type": "Phone", "value": "+33698765432"}
    )
    assert owner.status_code == 200, owner.text
    user = {"name": "Ann Agent", "email": "ann@example.com", "password": PASSWORD}
    assert api.post("/api/v2/users", {**user, "role": "agent"}).status_code == 200
    assert sign_in(api.client).status_code == 303
    for typed in (
        "0033 6 98 76 54 32",
        "\uff0b\uff13\uff13\uff16\uff19\uff18\uff17\uff16\uff15\uff14\uff13\uff12",
    ):
        found = api.client.get("/desktop/search", params={"q": typed})
        assert found.status_code in (200, 303), found.text
        target = found.headers.get("location", "") + found.text
        assert f"/desktop/people/{owner.json()['id']}" in target, typed


def test_an_address_that_is_not_plain_ascii_is_marked_as_a_possible_look_alike(api: Api) -> None:
    shop = api.post("/api/v2/webdeployments/deployments", {"name": "Shop", "allowAllDomains": True})
    path = f"/api/v2/journey/deployments/{shop.json()['id']}/webevents"
    for cookie, email in ((MALLORY, "\u0430da@example.com"), (BOB_COOKIE, "ada@example.com")):
        traits = {"email": {"dataType": "string", "value": email}}
        sent = api.client.post(path, json=web_event(cookie, 0, name="identified", traits=traits))
        assert sent.status_code == 200, sent.text
    user = {"name": "Ann Agent", "email": "ann@example.com", "password": PASSWORD}
    assert api.post("/api/v2/users", {**user, "role": "agent"}).status_code == 200
    assert sign_in(api.client).status_code == 303
    marks = {}
    for email in ("\u0430da@example.com", "ada@example.com"):
        owner = api.post(
            "/api/v2/externalcontacts/identifierlookup", {"type": "Email", "value": email}
        ).json()["id"]
        page = api.client.get(f"/desktop/people/{owner}").text
        marks[email] = "not plain ASCII: may look like another address" in page
    assert marks == {"\u0430da@example.com": True, "ada@example.com": False}
