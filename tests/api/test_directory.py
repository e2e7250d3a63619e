"""Queues, users and wrap-up codes on Genesys-shaped routes."""

from __future__ import annotations

import pytest

from conftest import Api

ROUTES = ["/api/v2/routing/queues", "/api/v2/routing/wrapupcodes", "/api/v2/users"]


@pytest.mark.parametrize("path", ROUTES)
def test_create_read_list_update_delete(api: Api, path: str) -> None:
    created = api.post(path, {"name": "Billing"})
    assert created.status_code == 200
    entry = created.json()
    assert entry["name"] == "Billing"
    assert entry["selfUri"] == f"{path}/{entry['id']}"
    assert api.get(f"{path}/{entry['id']}").json()["name"] == "Billing"
    api.post(path, {"name": "Accounts"})
    listing = api.get(path, params={"pageSize": 1}).json()
    assert listing["total"] == 2
    assert listing["pageCount"] == 2
    assert [e["name"] for e in listing["entities"]] == ["Accounts"]
    second = api.get(listing["nextUri"]).json()
    assert [e["name"] for e in second["entities"]] == ["Billing"]
    assert [e["name"] for e in api.get(path, params={"name": "Bill*"}).json()["entities"]] == [
        "Billing"
    ]
    renamed = api.put(f"{path}/{entry['id']}", {"name": "Billing EU"})
    assert renamed.json()["name"] == "Billing EU"
    assert api.delete(f"{path}/{entry['id']}").status_code == 204
    assert api.get(f"{path}/{entry['id']}").status_code == 404
    assert api.delete(f"{path}/{entry['id']}").status_code == 404
    assert api.put(f"{path}/{entry['id']}", {"name": "Again"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": 5}, "name"), ({"name": "x" * 300}, "name")],
)
def test_bad_entries_are_400s(api: Api, body: dict[str, object], field: str) -> None:
    response = api.post("/api/v2/routing/queues", body)
    assert response.status_code == 400
    assert response.json()["details"] == [{"fieldName": field}]


def test_a_given_id_mirrors_the_contact_centre(api: Api) -> None:
    api.post("/api/v2/users", {"id": "agent-42", "name": "Ann"})
    assert api.get("/api/v2/users/agent-42").json()["name"] == "Ann"
