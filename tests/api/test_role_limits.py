"""What the agent role may not do through the API (issue 10, roles as docs/api.md says): create,
change or delete contacts, or read a deployment's Segment write key."""

from __future__ import annotations

import pytest

from conftest import Api, bearer, make_client

CONTACTS = "/api/v2/externalcontacts/contacts"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"


def headers_of(api: Api, role: str) -> dict[str, str]:
    return bearer(api.client, make_client(api.store_url, role))


@pytest.mark.parametrize(("role", "allowed"), [("agent", False), ("supervisor", True)])
def test_only_supervisors_and_admins_create_change_and_delete_contacts(
    api: Api, role: str, allowed: bool
) -> None:
    who = headers_of(api, role)
    made = api.client.post(CONTACTS, json={"firstName": "Ada"}, headers=who)
    assert made.status_code == (200 if allowed else 403), made.text
    contact_id = (
        made.json()["id"] if allowed else api.post(CONTACTS, {"firstName": "Bo"}).json()["id"]
    )
    changed = api.client.put(f"{CONTACTS}/{contact_id}", json={"lastName": "L"}, headers=who)
    assert changed.status_code == (200 if allowed else 403), changed.text
    gone = api.client.delete(f"{CONTACTS}/{contact_id}", headers=who)
    assert gone.status_code == (204 if allowed else 403), gone.text
    if not allowed:  # refused: nothing changed
        kept = api.get(f"{CONTACTS}/{contact_id}").json()
        assert (kept["firstName"], kept.get("lastName")) == ("Bo", None)
        assert made.json()["code"] == "missing.permissions"


def test_an_agent_still_claims_and_merges(api: Api) -> None:
    agent = headers_of(api, "agent")
    ids = [api.post(CONTACTS, {"firstName": n}).json()["id"] for n in ("A", "B")]
    claim = {"operation": "Claim", "identifier": {"type": "Email", "value": "a@example.com"}}
    claimed = api.client.patch(f"{CONTACTS}/{ids[0]}/identifiers", json=claim, headers=agent)
    assert claimed.status_code == 200, claimed.text
    merged = api.client.post(
        "/api/v2/externalcontacts/merge/contacts", json={"contactIds": ids}, headers=agent
    )
    assert merged.status_code == 200, merged.text


@pytest.mark.parametrize(("role", "sees_key"), [("agent", False), ("admin", True)])
def test_a_deployments_write_key_is_for_those_who_manage_deployments(
    api: Api, role: str, sees_key: bool
) -> None:
    made = api.post(DEPLOYMENTS, {"name": "Shop", "allowAllDomains": True}).json()
    assert made["writeKey"]  # shown to whoever made it
    who = headers_of(api, role)
    one = api.client.get(f"{DEPLOYMENTS}/{made['id']}", headers=who).json()
    [listed] = api.client.get(DEPLOYMENTS, headers=who).json()["entities"]
    for shown in (one, listed):
        assert shown["snippet"] == made["snippet"]
        assert ("writeKey" in shown) is sees_key
        assert shown.get("writeKey", made["writeKey"]) == made["writeKey"]
