"""Security headers on every response (issue 10): API answers, errors, pages, scripts."""

from __future__ import annotations

import pytest

from conftest import Api


@pytest.mark.parametrize(
    ("path", "json"),
    [
        ("/health", True),
        ("/api/v2/journey/sessions", True),
        ("/api/v2/journey/sessions/nope", True),  # an error answer too
        ("/no/such/route", True),
        ("/", False),
        ("/journeyline.js", False),
        ("/demo/", False),
    ],
)
def test_every_answer_forbids_sniffing_framing_and_leaking_referrers(
    api: Api, path: str, json: bool
) -> None:
    answer = api.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    csp = answer.headers.get("content-security-policy")
    if json:
        assert answer.headers["content-type"].startswith("application/json")
        assert csp == "default-src 'none'; frame-ancestors 'none'"
    else:
        assert csp is None  # a page or script that sets no policy is not given the JSON one


def test_a_policy_a_route_sets_is_kept(api: Api) -> None:
    page = api.client.get("/desktop/signin")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers.get_list("x-frame-options") == ["DENY"]  # once, not twice


def test_a_huge_token_request_is_refused_before_it_is_read(api: Api) -> None:
    """``POST /oauth/token`` takes a tiny form: a large body is a 413 by its Content-Length,
    whatever the credentials (issue 10: a 300 MB post was read whole)."""
    huge = api.client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&pad=" + b"x" * 100_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("nobody", "nothing"),
    )
    assert huge.status_code == 413
    assert huge.json()["error"] == "invalid_request"
    fine = api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "nothing")
    )
    assert fine.status_code == 401  # a small one is read, and its credentials checked
