"""Signing in to the desktop as a browser does: read the form's CSRF token, post the form, see
who the page header says is signed in. Shared by the desktop's tests and the command line's."""

from __future__ import annotations

import re

import httpx2
from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
SIGNIN = "/desktop/signin"


def form_token(client: TestClient) -> str:
    page = client.get(SIGNIN)
    assert page.status_code == 200
    form = page.text.split('<form class="signin"', 1)[1]
    found = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', form)
    assert found, page.text
    return found[1]


def sign_in(
    client: TestClient,
    email: str = "ann@example.com",
    password: str = PASSWORD,
    *,
    token: str | None = None,
    **fields: str,
) -> httpx2.Response:
    data = {"email": email, "password": password, "csrf_token": token or form_token(client)}
    return client.post(SIGNIN, data=data | fields, follow_redirects=False)


def who(client: TestClient) -> str | None:
    """The name the page header shows signed in (None: no one)."""
    found = re.search(r'<span class="who">(.*?) <span class="role">', client.get(SIGNIN).text)
    return found[1] if found else None
