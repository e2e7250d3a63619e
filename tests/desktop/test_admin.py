"""The admin screens through the real app on a real SQLite file, signed in as a browser does:
each screen's create, list, change and delete by form posts; errors next to their fields with
the API's own message; what each role may do; CSRF; hostile names shown as text."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from conftest import FakeClock, bearer, make_client
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.model.flows import Delivery
from journeyline.store import open_store
from signing_in import PASSWORD, sign_in

ADMIN = "/desktop/admin"
XSS = '<script>alert("x")</script>'
EMAILS = {
    "agent": "ann@example.com",
    "supervisor": "sam@example.com",
    "admin": "ada@example.com",
}


@dataclass
class Desk:
    """The app, an admin API token, and a browser-like client signed in as one user."""

    client: TestClient
    api: dict[str, str]  # an admin client's bearer header, for the API's side of a check
    store_url: str
    clock: FakeClock
    role: str = ""

    def sign_in(self, role: str) -> None:
        self.client.cookies.clear()
        response = sign_in(self.client, EMAILS[role], PASSWORD)
        assert response.status_code == 303, response.text
        self.role = role

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(ADMIN).text)
        if found is None:  # a role with no admin screen: the token of another page
            found = re.search(
                r'name="csrf_token" value="([^"]+)"', self.client.get("/desktop/now").text
            )
        assert found
        return found[1]

    def get(self, path: str) -> httpx2.Response:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> httpx2.Response:
        fields = {**data, "csrf_token": self.csrf()} if csrf else data
        return self.client.post(path, data=fields, follow_redirects=False)

    def api_get(self, path: str) -> Any:
        response = self.client.get(path, headers=self.api)
        assert response.status_code == 200, response.text
        return response.json()

    def api_post(self, path: str, body: Any) -> httpx2.Response:
        return self.client.post(path, json=body, headers=self.api)


@pytest.fixture
def desk(store_url: str, clock: FakeClock) -> Iterator[Desk]:
    with open_desk(store_url, clock) as opened:
        yield opened


@contextlib.contextmanager
def open_desk(store_url: str, clock: FakeClock) -> Iterator[Desk]:
    """The app with a user of each role, signed in as the admin."""
    credentials = make_client(store_url)
    settings = Settings(store_url=store_url, flows_allow_private=True)
    with TestClient(create_app(settings, clock=clock)) as client:
        headers = bearer(client, credentials)
        for role, email in EMAILS.items():
            body = {"name": f"{role.title()} User", "email": email, "password": PASSWORD}
            created = client.post("/api/v2/users", json={**body, "role": role}, headers=headers)
            assert created.status_code == 200, created.text
        opened = Desk(client, headers, store_url, clock)
        opened.sign_in("admin")
        yield opened


def done(response: httpx2.Response, path: str) -> None:
    """A post that worked: 303 back to ``path`` with a notice."""
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(path + "?notice=")


def error_next_to(page: httpx2.Response, input_id: str) -> str:
    """The error shown next to the input ``input_id``: the input says it is invalid and is
    described by it."""
    text = page.text
    found = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{input_id}"[^>]*>', text)
    assert found, f"no input {input_id}"
    tag = found[0]
    assert 'aria-invalid="true"' in tag, tag
    assert f"{input_id}-error" in re.search(r'aria-describedby="([^"]*)"', tag)[1]  # type: ignore[index]
    message = re.search(rf'<p class="error" id="{input_id}-error">(.*?)</p>', text, re.S)
    assert message, text
    return html.unescape(message[1])


def api_message(response: httpx2.Response) -> str:
    assert response.status_code == 400, response.text
    message: str = response.json()["message"]
    return message


def rows_named(page: httpx2.Response) -> list[str]:
    return [
        html.unescape(n)
        for n in re.findall(r'<span class="visually-hidden"> (.*?)</span>', page.text)
    ]


# -- the directory -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "api_path"),
    [
        ("queues", "/api/v2/routing/queues"),
        ("agents", "/api/v2/users"),
        ("wrapupcodes", "/api/v2/routing/wrapupcodes"),
    ],
)
def test_directory_entries_are_added_renamed_and_deleted(
    desk: Desk, segment: str, api_path: str
) -> None:
    path = f"{ADMIN}/directory/{segment}"
    done(desk.post(path, {"name": "Sales", "id": "e-sales"}), path)
    assert "Sales" in rows_named(desk.get(path))
    assert desk.api_get(f"{api_path}/e-sales")["name"] == "Sales"

    done(desk.post(f"{path}/e-sales", {"name": "Sales EMEA"}), path)
    listed = desk.get(path)
    assert "Sales EMEA" in rows_named(listed)
    assert desk.api_get(f"{api_path}/e-sales")["name"] == "Sales EMEA"

    done(desk.post(f"{path}/e-sales/delete", {}), path)
    assert "Sales EMEA" not in rows_named(desk.get(path))
    assert desk.client.get(f"{api_path}/e-sales", headers=desk.api).status_code == 404
    assert desk.post(f"{path}/e-sales/delete", {}).status_code == 404


def test_a_blank_name_is_refused_next_to_the_name_as_the_api_refuses_it(desk: Desk) -> None:
    expected = api_message(desk.api_post("/api/v2/routing/queues", {"name": "  "}))
    page = desk.post(f"{ADMIN}/directory/queues", {"name": "  "})
    assert page.status_code == 400
    assert error_next_to(page, "new-name") == expected
    renamed = desk.post(f"{ADMIN}/directory/queues", {"name": "Sales", "id": "q1"})
    done(renamed, f"{ADMIN}/directory/queues")
    page = desk.post(f"{ADMIN}/directory/queues/q1", {"name": ""})
    assert page.status_code == 400
    assert error_next_to(page, "rename-1") == expected


# -- deployments -------------------------------------------------------------------------------


def test_deployments_are_created_with_their_tracker_tag_and_deleted(desk: Desk) -> None:
    path = f"{ADMIN}/deployments"
    form = {
        "name": "Shop",
        "description": "The shop",
        "allowedDomains": "shop.example.com\n*.example.org",
        "collectIpAddresses": "true",
    }
    done(desk.post(path, form), path)
    [made] = desk.api_get("/api/v2/webdeployments/deployments")["entities"]
    assert made["allowedDomains"] == ["shop.example.com", "*.example.org"]
    assert (made["allowAllDomains"], made["collectIpAddresses"]) == (False, True)
    page = desk.get(path)
    assert "Shop" in rows_named(page)
    tag = re.search(r'<pre><code id="(tag-\d+)">(.*?)</code></pre>', page.text, re.S)
    assert tag
    assert html.unescape(tag[2]) == made["snippet"]
    assert f'data-copy="{tag[1]}"' in page.text  # the Copy button (admin.js) copies it
    assert '<script src="/desktop/static/admin.js" type="module">' in page.text
    assert desk.get("/desktop/static/admin.js").status_code == 200

    done(desk.post(f"{path}/{made['id']}/delete", {}), path)
    assert desk.api_get("/api/v2/webdeployments/deployments")["entities"] == []


def test_a_domain_that_is_not_one_is_refused_next_to_the_domains(desk: Desk) -> None:
    body = {"name": "Shop", "allowedDomains": ["https://shop.example.com/"]}
    expected = api_message(desk.api_post("/api/v2/webdeployments/deployments", body))
    page = desk.post(
        f"{ADMIN}/deployments", {"name": "Shop", "allowedDomains": "https://shop.example.com/"}
    )
    assert page.status_code == 400
    assert error_next_to(page, "dep-allowedDomains") == expected
    assert 'value="Shop"' in page.text  # what was typed stays


# -- users -------------------------------------------------------------------------------------


def test_users_are_created_with_a_password_and_a_role_and_deleted(desk: Desk) -> None:
    path = f"{ADMIN}/users"
    form = {"name": "Una", "email": "una@example.com", "password": PASSWORD, "role": "supervisor"}
    done(desk.post(path, form), path)
    page = desk.get(path)
    row = re.search(r"<tr>\s*<td>Una</td>\s*<td[^>]*>(.*?)</td>\s*<td>(.*?)</td>", page.text)
    assert row
    assert (row[1], row[2]) == ("una@example.com", "supervisor")
    assert PASSWORD not in page.text
    assert "argon2" not in page.text  # never a hash
    [una] = [u for u in desk.api_get("/api/v2/users")["entities"] if u["name"] == "Una"]

    desk.client.cookies.clear()
    assert sign_in(desk.client, "una@example.com", PASSWORD).status_code == 303  # she may
    desk.sign_in("admin")

    done(desk.post(f"{path}/{una['id']}/delete", {}), path)
    assert desk.client.get(f"/api/v2/users/{una['id']}", headers=desk.api).status_code == 404
    desk.client.cookies.clear()
    assert sign_in(desk.client, "una@example.com", PASSWORD).status_code == 400


def test_a_user_form_shows_the_apis_errors_next_to_their_fields(desk: Desk) -> None:
    path = f"{ADMIN}/users"
    short = {"name": "Una", "email": "una@example.com", "password": "short", "role": "agent"}
    expected = api_message(desk.api_post("/api/v2/users", short))
    page = desk.post(path, short)
    assert page.status_code == 400
    assert error_next_to(page, "user-password") == expected
    assert "short" not in re.search(r'<input id="user-password"[^>]*>', page.text)[0]  # type: ignore[index]
    assert 'value="una@example.com"' in page.text  # the rest as typed

    taken = desk.post(path, {**short, "email": EMAILS["agent"], "password": PASSWORD})
    assert taken.status_code == 409
    assert error_next_to(taken, "user-email") == f"another user has the email {EMAILS['agent']}"


def test_a_supervisor_deletes_directory_agents_but_not_one_who_signs_in(desk: Desk) -> None:
    path = f"{ADMIN}/directory/agents"
    done(desk.post(path, {"name": "Bot", "id": "u-bot"}), path)
    [ann] = [
        u for u in desk.api_get("/api/v2/users")["entities"] if u.get("email") == EMAILS["agent"]
    ]
    desk.sign_in("supervisor")
    assert desk.post(f"{path}/{ann['id']}/delete", {}).status_code == 403
    done(desk.post(f"{path}/u-bot/delete", {}), path)
    assert desk.client.get(f"/api/v2/users/{ann['id']}", headers=desk.api).status_code == 200


# -- OAuth clients -----------------------------------------------------------------------------


def test_an_oauth_client_is_created_and_its_secret_shown_once(desk: Desk) -> None:
    path = f"{ADMIN}/clients"
    page = desk.post(path, {"name": "Dialer", "role": "ingest"})
    assert page.status_code == 200
    secret = re.search(r'<pre><code id="secret">(.*?)</code></pre>', page.text)
    client_id = re.search(r"<dd><code>([0-9a-f]{32})</code></dd>", page.text)
    assert secret
    assert client_id
    token = desk.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id[1], html.unescape(secret[1])),
    )
    assert token.status_code == 200  # the secret shown is the client's

    listed = desk.get(path)
    row = re.search(
        rf"<tr><td>Dialer</td><td>([^<]*)</td><td>([^<]*)</td><td><code>{client_id[1]}</code>",
        listed.text,
    )
    assert row
    assert (row[1], row[2]) == ("ingest", "active")
    assert html.unescape(secret[1]) not in listed.text  # never again

    refused = desk.post(path, {"name": "Dialer", "role": "root"})
    assert refused.status_code == 400
    assert error_next_to(refused, "client-role").startswith("unknown role 'root'")


# -- definitions -------------------------------------------------------------------------------

CONDITIONS = {
    "journey": {
        "patterns": [
            {
                "streamType": "Web",
                "sessionType": "web",
                "count": 1,
                "eventName": "page_viewed",
                "criteria": [{"key": "page.url", "operator": "containsAny", "values": ["/cart"]}],
            }
        ]
    }
}
TEMPLATE = {
    "mediaType": "contentOffer",
    "contentOffer": {"displayMode": "Modal", "layoutMode": "TextOnly", "title": "Hi"},
}


def made(desk: Desk, api_path: str, body: dict[str, Any]) -> str:
    response = desk.api_post(api_path, body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def forms(desk: Desk) -> dict[str, tuple[dict[str, str], str]]:
    """Per screen: a valid form and the field a rename changes."""
    segment = made(desk, "/api/v2/journey/segments", {"displayName": "Cart", **CONDITIONS})
    template = made(desk, "/api/v2/journey/actiontemplates", {"name": "Help", **TEMPLATE})
    action_map = {
        "triggerWithSegments": [segment],
        "action": {"mediaType": "contentOffer", "actionTemplate": {"id": template}},
    }
    return {
        "segments": (
            {
                "displayName": "Big carts",
                "color": "#2f6fdf",
                "isActive": "true",
                "assignmentExpirationDays": "",
                "advanced": json.dumps(CONDITIONS),
            },
            "displayName",
        ),
        "outcomes": (
            {"displayName": "Bought", "isActive": "true", "advanced": json.dumps(CONDITIONS)},
            "displayName",
        ),
        "actionmaps": (
            {"displayName": "Offer help", "weight": "5", "advanced": json.dumps(action_map)},
            "displayName",
        ),
        "actiontemplates": (
            {"name": "Welcome", "state": "Active", "advanced": json.dumps(TEMPLATE)},
            "name",
        ),
    }


@pytest.mark.parametrize("screen", ["segments", "outcomes", "actionmaps", "actiontemplates"])
def test_definitions_are_created_listed_edited_and_deleted(desk: Desk, screen: str) -> None:
    form, name = forms(desk)[screen]
    path = f"{ADMIN}/{screen}"
    new = desk.get(f"{path}/new")
    assert new.status_code == 200
    assert 'name="advanced"' in new.text
    done(desk.post(path, form), path)
    listed = [
        d for d in desk.api_get(f"/api/v2/journey/{screen}")["entities"] if d[name] == form[name]
    ]
    assert len(listed) == 1
    created = listed[0]
    assert form[name] in rows_named(desk.get(path))

    edit = desk.get(f"{path}/{created['id']}")
    assert edit.status_code == 200
    assert f'value="{form[name]}"' in edit.text
    assert '<input type="hidden" name="version" value="1">' in edit.text
    changed = {**form, name: form[name] + " (2)", "version": "1"}
    done(desk.post(f"{path}/{created['id']}", changed), path)
    now = desk.api_get(f"/api/v2/journey/{screen}/{created['id']}")
    assert (now[name], now["version"]) == (form[name] + " (2)", 2)
    if screen == "segments":
        assert now["color"] == "#2f6fdf"
    if screen == "actionmaps":
        assert now["weight"] == 5

    done(desk.post(f"{path}/{created['id']}/delete", {}), path)
    gone = desk.client.get(f"/api/v2/journey/{screen}/{created['id']}", headers=desk.api)
    assert gone.status_code == 404


def test_a_bad_colour_is_shown_next_to_the_colour_with_the_apis_message(desk: Desk) -> None:
    body = {"displayName": "Carts", "color": "red", **CONDITIONS}
    expected = api_message(desk.api_post("/api/v2/journey/segments", body))
    form = {"displayName": "Carts", "color": "red", "advanced": json.dumps(CONDITIONS)}
    page = desk.post(f"{ADMIN}/segments", form)
    assert page.status_code == 400
    assert error_next_to(page, "def-color") == expected
    assert 'value="red"' in page.text  # as typed
    assert "/cart" in page.text  # the JSON too


def test_an_unknown_criteria_key_is_shown_next_to_the_json(desk: Desk) -> None:
    conditions = json.loads(json.dumps(CONDITIONS).replace("page.url", "page.nope"))
    expected = api_message(
        desk.api_post("/api/v2/journey/segments", {"displayName": "Carts", **conditions})
    )
    assert "journey.patterns[0].criteria[0].key" in expected
    page = desk.post(
        f"{ADMIN}/segments", {"displayName": "Carts", "advanced": json.dumps(conditions)}
    )
    assert page.status_code == 400
    assert error_next_to(page, "def-advanced") == expected
    malformed = desk.post(f"{ADMIN}/segments", {"displayName": "Carts", "advanced": "{"})
    assert error_next_to(malformed, "def-advanced").startswith("malformed JSON")


def test_an_edit_made_from_a_stale_version_is_refused_and_keeps_what_was_typed(
    desk: Desk,
) -> None:
    segment = made(desk, "/api/v2/journey/segments", {"displayName": "Cart", **CONDITIONS})
    form = {"displayName": "Cart 2", "advanced": json.dumps(CONDITIONS), "version": "1"}
    done(desk.post(f"{ADMIN}/segments/{segment}", form), f"{ADMIN}/segments")
    stale = desk.post(f"{ADMIN}/segments/{segment}", {**form, "displayName": "Cart 3"})
    assert stale.status_code == 409
    assert "is not the current one" in stale.text
    assert 'value="Cart 3"' in stale.text


def test_what_an_action_map_names_is_not_deleted(desk: Desk) -> None:
    flow = desk.api_post("/api/v2/flows", {"name": "Hook", "url": "http://127.0.0.1:9/h"}).json()
    segment = made(desk, "/api/v2/journey/segments", {"displayName": "Cart", **CONDITIONS})
    action = {
        "mediaType": "architectFlow",
        "architectFlowFields": {"architectFlow": {"id": flow["id"]}},
    }
    made(
        desk,
        "/api/v2/journey/actionmaps",
        {"displayName": "Call back", "triggerWithSegments": [segment], "action": action},
    )
    for path, item in ((f"{ADMIN}/segments", segment), (f"{ADMIN}/flows", flow["id"])):
        refused = desk.post(f"{path}/{item}/delete", {})
        assert refused.status_code == 409
        found = re.search(r'<p class="error" role="alert">(.*?)</p>', refused.text)
        assert found
        assert "is used by action map" in found[1]
    assert desk.client.get(f"/api/v2/flows/{flow['id']}", headers=desk.api).status_code == 200


# -- flows and dead letters --------------------------------------------------------------------


def test_a_flow_is_registered_with_its_secret_shown_once_and_deleted(desk: Desk) -> None:
    path = f"{ADMIN}/flows"
    refused = desk.post(path, {"name": "Hook", "url": "ftp://example.com/h"})
    assert refused.status_code == 400
    expected = api_message(
        desk.api_post("/api/v2/flows", {"name": "Hook", "url": "ftp://example.com/h"})
    )
    assert error_next_to(refused, "flow-url") == expected

    page = desk.post(path, {"name": "Hook", "url": "http://127.0.0.1:9/h", "description": ""})
    assert page.status_code == 200
    secret = re.search(r'<pre><code id="secret">(whsec_[^<]+)</code></pre>', page.text)
    assert secret
    [flow] = desk.api_get("/api/v2/flows")["entities"]
    assert flow["name"] == "Hook"
    assert "secret" not in flow
    listed = desk.get(path)
    assert "Hook" in rows_named(listed)
    assert secret[1] not in listed.text

    done(desk.post(f"{path}/{flow['id']}/delete", {}), path)
    assert desk.api_get("/api/v2/flows")["entities"] == []


def test_dead_letters_are_replayed_one_or_all(desk: Desk) -> None:
    flow = desk.api_post("/api/v2/flows", {"name": "Hook", "url": "http://127.0.0.1:9/h"}).json()
    store = open_store(desk.store_url)
    try:
        with store.transaction():
            for n in (1, 2, 3):
                letter = Delivery(f"msg_{n}", flow["id"], b"{}", desk.clock(), desk.clock())
                store.outbox_put(letter)
                store.outbox_update(
                    Delivery(
                        letter.id,
                        flow["id"],
                        b"{}",
                        desk.clock(),
                        desk.clock(),
                        attempts=8,
                        state="dead",
                        last_status=500,
                        last_error=XSS,
                    )
                )
        page = desk.get(f"{ADMIN}/deadletters")
        assert page.status_code == 200
        assert sorted(rows_named(page)) == ["msg_1", "msg_2", "msg_3"]
        assert XSS not in page.text
        assert str(escape(XSS)) in page.text

        done(desk.post(f"{ADMIN}/deadletters/msg_2/replay", {}), f"{ADMIN}/deadletters")
        states = {n: store.outbox_get(f"msg_{n}").state for n in (1, 2, 3)}  # type: ignore[union-attr]
        assert states == {1: "dead", 2: "pending", 3: "dead"}
        assert desk.post(f"{ADMIN}/deadletters/msg_2/replay", {}).status_code == 404

        done(desk.post(f"{ADMIN}/deadletters/replay", {}), f"{ADMIN}/deadletters")
        assert all(store.outbox_get(f"msg_{n}").state != "dead" for n in (1, 3))  # type: ignore[union-attr]
    finally:
        store.close()


# -- who may do what ---------------------------------------------------------------------------

SUPERVISED = [
    f"{ADMIN}",
    f"{ADMIN}/directory/queues",
    f"{ADMIN}/deployments",
    f"{ADMIN}/segments",
    f"{ADMIN}/segments/new",
    f"{ADMIN}/outcomes",
    f"{ADMIN}/actionmaps",
    f"{ADMIN}/actiontemplates",
]
ADMIN_ONLY = [f"{ADMIN}/flows", f"{ADMIN}/deadletters", f"{ADMIN}/clients", f"{ADMIN}/users"]


def test_an_agent_sees_no_admin_screen(desk: Desk) -> None:
    desk.sign_in("agent")
    for path in SUPERVISED + ADMIN_ONLY:
        page = desk.get(path)
        assert page.status_code == 403, path
        assert "Not allowed" in page.text
    refused = desk.post(f"{ADMIN}/directory/queues", {"name": "Sales"})
    assert refused.status_code == 403
    assert desk.api_get("/api/v2/routing/queues")["entities"] == []


def test_a_supervisor_manages_definitions_but_not_flows_clients_or_deployments(
    desk: Desk,
) -> None:
    desk.sign_in("supervisor")
    for path in SUPERVISED:
        assert desk.get(path).status_code == 200, path
    for path in ADMIN_ONLY:
        assert desk.get(path).status_code == 403, path
    index = desk.get(ADMIN).text
    assert f'href="{ADMIN}/segments"' in index
    assert f'href="{ADMIN}/flows"' not in index
    form = {"displayName": "Carts", "advanced": json.dumps(CONDITIONS)}
    done(desk.post(f"{ADMIN}/segments", form), f"{ADMIN}/segments")
    assert (
        desk.post(f"{ADMIN}/flows", {"name": "H", "url": "http://127.0.0.1:9/h"}).status_code == 403
    )
    assert desk.post(f"{ADMIN}/deployments", {"name": "Shop"}).status_code == 403
    assert 'action="/desktop/admin/deployments"' not in desk.get(f"{ADMIN}/deployments").text
    assert desk.api_get("/api/v2/flows")["entities"] == []


def test_a_form_without_its_csrf_token_is_refused(desk: Desk) -> None:
    for path, form in (
        (f"{ADMIN}/directory/queues", {"name": "Sales"}),
        (f"{ADMIN}/segments", {"displayName": "Carts", "advanced": json.dumps(CONDITIONS)}),
        (f"{ADMIN}/deployments", {"name": "Shop"}),
    ):
        assert desk.post(path, form, csrf=False).status_code == 403
        assert desk.post(path, {**form, "csrf_token": "forged"}, csrf=False).status_code == 403
    assert desk.api_get("/api/v2/routing/queues")["entities"] == []
    assert desk.api_get("/api/v2/journey/segments")["entities"] == []
    assert desk.api_get("/api/v2/webdeployments/deployments")["entities"] == []


def test_hostile_names_are_shown_as_text(desk: Desk) -> None:
    done(desk.post(f"{ADMIN}/directory/queues", {"name": XSS}), f"{ADMIN}/directory/queues")
    form = {"displayName": XSS, "advanced": json.dumps(CONDITIONS)}
    done(desk.post(f"{ADMIN}/segments", form), f"{ADMIN}/segments")
    done(desk.post(f"{ADMIN}/deployments", {"name": XSS}), f"{ADMIN}/deployments")
    [segment] = desk.api_get("/api/v2/journey/segments")["entities"]
    for path in (
        f"{ADMIN}/directory/queues",
        f"{ADMIN}/segments",
        f"{ADMIN}/segments/{segment['id']}",
        f"{ADMIN}/deployments",
    ):
        page = desk.get(path)
        assert "<script>alert" not in page.text, path
        assert XSS in rows_named(page) or f'value="{escape(XSS)}"' in page.text, path


def test_the_admin_screens_speak_french(desk: Desk) -> None:
    page = desk.client.get(ADMIN, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in page.text
    assert "Annuaire" in page.text
    assert "Déploiements" in page.text
    form = desk.client.get(f"{ADMIN}/segments/new", headers={"Accept-Language": "fr"}).text
    assert '<label for="def-color">Couleur</label>' in form
