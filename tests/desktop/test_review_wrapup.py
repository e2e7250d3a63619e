"""Review: a conversation is wrapped up once. A second wrap-up form (a double submit, or a
colleague's page from before the first) is refused and changes nothing, through the real server
(tests/desktop/conftest.py) and the API's card."""

from __future__ import annotations

import re

import httpx

from builders import Conversation
from desktop.conftest import PASSWORD, USERS, DesktopServer, now_offset


def signed_in(desktop: DesktopServer, role: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=desktop.base_url, timeout=10)
    form = client.get("/desktop/signin").text
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form)
    fields = {"email": USERS[role][1], "password": PASSWORD, "csrf_token": token}
    assert client.post("/desktop/signin", data=fields).status_code == 303
    [csrf] = set(re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/desktop/now").text))
    return client, str(csrf)


def test_a_second_wrap_up_is_refused_and_the_first_stays(desktop: DesktopServer) -> None:
    agent = desktop.users["agent"]
    call = Conversation("review-wrap-1", ani="tel:+15550109101").customer_start(0)
    call.acd_start(1, "q-support").acd_end(3, "q-support", "ANSWERED")
    call.user_start(3, agent, "q-support").user_end(30, agent, "CLIENT").customer_end(30, "PEER")
    desktop.post_events(call, offset_ms=now_offset())
    ann, ann_csrf = signed_in(desktop, "agent")
    sam, sam_csrf = signed_in(desktop, "supervisor")
    try:
        person = ann.get("/desktop/search", params={"q": "+15550109101"}).headers["location"]
        [session] = re.findall(r'data-session="([^"]+)"', ann.get(person).text)
        first = ann.post(
            f"/desktop/sessions/{session}/wrapup", data={"csrf_token": ann_csrf, "code": "w-sale"}
        )
        assert first.status_code == 303
        second = sam.post(
            f"/desktop/sessions/{session}/wrapup",
            data={"csrf_token": sam_csrf, "code": "w-follow"},
        )
        assert second.status_code == 409, second.text
    finally:
        ann.close()
        sam.close()
    with desktop.api() as api:
        card = api.get(f"/api/v2/journey/sessions/{session}/card").json()
    assert card["wrapupCode"]["id"] == "w-sale"
