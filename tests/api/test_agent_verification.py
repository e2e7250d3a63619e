"""An agent's word on who a visitor is stands against what the website later tells."""

from __future__ import annotations

from typing import Any

import pytest

from builders import COOKIE, web_event
from conftest import Api

CONTACTS = "/api/v2/externalcontacts/contacts"


def _email(value: str) -> dict[str, dict[str, str]]:
    return {"email": {"dataType": "string", "value": value}}


@pytest.fixture
def shop(api: Api) -> str:
    made = api.post("/api/v2/webdeployments/deployments", {"name": "Shop", "allowAllDomains": True})
    return str(made.json()["id"])


def _visit(api: Api, shop: str, seconds: float, **fields: Any) -> str:
    posted = api.client.post(
        f"/api/v2/journey/deployments/{shop}/webevents", json=web_event(COOKIE, seconds, **fields)
    )
    assert posted.status_code == 200, posted.text
    return str(posted.json()["session"]["id"])


def _curated(api: Api, name: str, **fields: Any) -> str:
    made = api.post(CONTACTS, {"firstName": name, **fields})
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


def test_a_verified_visitor_stays_verified_when_they_type_someone_elses_email(
    api: Api, shop: str
) -> None:
    session = _visit(api, shop, 0)
    carla = _curated(api, "Carla")
    assert api.put(f"/api/v2/journey/sessions/{session}/externalcontact", {"id": carla}).is_success
    _curated(api, "Other", workEmail="other@example.com")
    _visit(api, shop, 30, name="identified", traits=_email("other@example.com"))
    later = api.get(f"/api/v2/journey/sessions/{session}").json()
    assert (later["externalContact"]["id"], later["externalContactVerified"]) == (carla, True)
    assert "unverifiedMatch" not in api.get(f"{CONTACTS}/{carla}").json()


def test_erasing_the_contact_a_visitor_was_verified_to_erases_the_visitor_too(
    api: Api, shop: str
) -> None:
    """DELETE is the right to erasure (docs/api.md): an agent said this visitor *is* that
    contact, so the visitor's cookie, sessions and own contact are that person's data."""
    traits = {**_email("wanda@example.com"), "givenName": {"dataType": "string", "value": "Wanda"}}
    session = _visit(api, shop, 0, name="identified", traits=traits)
    lookup = {"type": "Email", "value": "wanda@example.com"}
    own = api.post("/api/v2/externalcontacts/identifierlookup", lookup).json()["id"]
    mistake = _curated(api, "Mistake")
    api.put(f"/api/v2/journey/sessions/{session}/externalcontact", {"id": mistake})
    assert api.delete(f"{CONTACTS}/{mistake}").status_code == 204
    assert api.get(f"{CONTACTS}/{own}").status_code == 404
    assert api.get(f"/api/v2/journey/sessions/{session}").status_code == 404
    assert api.post("/api/v2/externalcontacts/identifierlookup", lookup).status_code == 404
    back = api.client.post(
        f"/api/v2/journey/deployments/{shop}/webevents", json=web_event(COOKIE, 10)
    )  # the cookie comes back within 60 days: refused, nothing of before is made again
    assert back.status_code == 404, back.text
    assert "erased" in back.json()["message"]
    assert api.get(f"{CONTACTS}/{own}").status_code == 404
