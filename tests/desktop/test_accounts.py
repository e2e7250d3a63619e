"""Signing in to the desktop, through the real app on a real SQLite file: the form, the session
cookie, refusals that do not tell an unknown email from a wrong password, lock-out on the fake
clock, CSRF, where a sign-in may go next, sign-out, expiry, and what each role may do."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import httpx2
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from conftest import Api, FakeClock, bearer, make_client, serve
from journeyline.api.app import create_app
from journeyline.config import Settings
from journeyline.desktop.accounts import SignedIn, require
from journeyline.model.errors import Forbidden
from journeyline.store import Store
from signing_in import PASSWORD, SIGNIN, form_token, sign_in, who


def add_user(
    api: Api, email: str | None = "ann@example.com", password: str | None = PASSWORD, **more: Any
) -> dict[str, Any]:
    body = {"name": "Ann Agent", "email": email, "password": password, **more}
    response = api.post("/api/v2/users", {k: v for k, v in body.items() if v is not None})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def error_of(response: httpx2.Response) -> str:
    found = re.search(
        r'<p class="error" id="signin-error" role="alert">(.*?)</p>', response.text, re.S
    )
    assert found, response.text
    return " ".join(found[1].split())


def session_cookie(response: httpx2.Response) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("jl_session=")]
    return cookie


def csrf_of_session(client: TestClient) -> str:
    page = client.get(SIGNIN).text
    found = re.search(
        r'action="/desktop/signout" method="post">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)"',
        page,
    )
    assert found, page
    return found[1]


@contextlib.contextmanager
def desk(
    settings: Settings,
    clock: FakeClock,
    base_url: str = "http://testserver",
    peer: tuple[str, int] = ("testclient", 50000),
) -> Iterator[Api]:
    credentials = make_client(settings.store_url)
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url=base_url, client=peer) as client:
        yield Api(client, bearer(client, credentials), settings.store_url, clock)


# -- the form and the cookie ----------------------------------------------------------------


def test_the_form_labels_email_and_password_and_has_a_sign_in_button(api: Api) -> None:
    page = api.client.get(SIGNIN)
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    html = page.text
    for label, field, complete in (
        ("Email", "email", "username"),
        ("Password", "password", "current-password"),
    ):
        assert f'<label for="signin-{field}">{label}</label>' in html
        assert re.search(
            rf'<input id="signin-{field}" name="{field}" type="{field}" '
            rf'[^>]*autocomplete="{complete}"',
            html,
        )
    assert '<button type="submit">Sign in</button>' in html


def test_the_form_and_its_refusals_in_french(api: Api) -> None:
    add_user(api)
    api.client.headers["Accept-Language"] = "fr-FR,fr;q=0.9"
    page = api.client.get(SIGNIN).text
    assert '<label for="signin-email">E-mail</label>' in page
    assert '<label for="signin-password">Mot de passe</label>' in page
    assert '<button type="submit">Se connecter</button>' in page
    wrong = sign_in(api.client, password="wrong wrong wrong")
    assert error_of(wrong) == "L\u2019adresse e-mail ou le mot de passe est incorrect."
    for _ in range(4):
        sign_in(api.client, password="wrong wrong wrong")
    assert "Réessayez dans 15 min." in error_of(sign_in(api.client))


def test_signing_in_sets_a_session_cookie_for_the_desktop_only(api: Api) -> None:
    add_user(api)
    assert who(api.client) is None
    response = sign_in(api.client)
    assert response.status_code == 303
    assert response.headers["location"] == "/desktop"
    cookie = session_cookie(response).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/desktop;" in cookie + ";"
    assert "secure" not in cookie  # plain http
    assert who(api.client) == "Ann Agent"


@pytest.mark.parametrize(
    ("base_url", "proxies", "forwarded", "secure"),
    [
        ("https://testserver", {}, None, True),
        ("http://testserver", {}, "https", False),  # a header anyone can send
        # from the proxy we were told to trust (the peer is 192.0.2.10)
        ("http://testserver", {"trusted_proxies": "192.0.2.10"}, "https", True),
        ("http://testserver", {"trusted_proxies": "10.0.0.0/8, 192.0.2.0/24"}, "https", True),
        ("http://testserver", {"trusted_proxies": "192.0.2.10"}, "http", False),
        ("http://testserver", {"trusted_proxies": "198.51.100.1"}, "https", False),  # not it
        ("http://testserver", {"trust_proxy": True}, "https", True),  # the older switch: any peer
    ],
)
def test_the_cookie_is_secure_when_the_browser_came_over_https(
    store_url: str,
    clock: FakeClock,
    base_url: str,
    proxies: dict[str, Any],
    forwarded: str | None,
    secure: bool,
) -> None:
    settings = Settings(store_url=store_url, **proxies)
    with desk(settings, clock, base_url, peer=("192.0.2.10", 50000)) as api:
        add_user(api)
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        token = form_token(api.client)
        data = {"email": "ann@example.com", "password": PASSWORD, "csrf_token": token}
        response = api.client.post(SIGNIN, data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert ("; secure" in session_cookie(response).lower()) is secure


def test_a_user_made_by_the_api_signs_in_whatever_the_case_of_the_email(api: Api) -> None:
    add_user(api, email="Ann@Example.COM")
    assert sign_in(api.client, email="  ANN@example.com ").status_code == 303


# -- refusals -------------------------------------------------------------------------------


def test_an_unknown_email_and_a_wrong_password_are_refused_alike(api: Api) -> None:
    add_user(api)
    add_user(api, email="nopass@example.com", password=None, name="No Password")
    refusals = [
        sign_in(api.client, password="not the password at all"),
        sign_in(api.client, email="nobody@example.com"),
        sign_in(api.client, email="nopass@example.com"),  # an account that cannot sign in
        sign_in(api.client, email="not an email"),
        sign_in(api.client, password="x" * 5000),
    ]
    assert [r.status_code for r in refusals] == [400] * 5
    assert {error_of(r) for r in refusals} == {"The email or the password is not right."}
    cookies = [c for r in refusals for c in r.headers.get_list("set-cookie")]
    assert not [c for c in cookies if c.startswith("jl_session=")]
    assert who(api.client) is None


def test_a_directory_user_without_a_password_cannot_sign_in(api: Api) -> None:
    created = add_user(api, email=None, password=None)
    assert "email" not in created
    assert sign_in(api.client, email="ann@example.com").status_code == 400


def test_failures_in_a_row_lock_the_account_until_the_lock_out_has_passed(api: Api) -> None:
    add_user(api)
    for _ in range(4):
        assert sign_in(api.client, password="wrong wrong wrong").status_code == 400
    assert sign_in(api.client).status_code == 303  # a success: the count starts again
    for _ in range(5):
        assert sign_in(api.client, password="wrong wrong wrong").status_code == 400
    locked = sign_in(api.client)  # the right password, but locked
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    assert "locked" in error_of(locked)
    assert "15 min." in error_of(locked)
    api.clock.advance(15 * 60 - 1)
    assert sign_in(api.client).status_code == 429
    api.clock.advance(1)
    assert sign_in(api.client).status_code == 303


def test_the_lock_out_follows_the_settings(store_url: str, clock: FakeClock) -> None:
    settings = Settings(store_url=store_url, signin_max_failures=2, signin_lockout_seconds=60)
    with desk(settings, clock) as api:
        add_user(api)
        for _ in range(2):
            assert sign_in(api.client, password="wrong wrong wrong").status_code == 400
        assert sign_in(api.client).status_code == 429
        clock.advance(60)
        assert sign_in(api.client).status_code == 303


# -- CSRF -----------------------------------------------------------------------------------


def without_the_cookie(client: TestClient) -> dict[str, str]:
    client.cookies.clear()
    return {}


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda client, token: {"csrf_token": ""}, id="missing"),
        pytest.param(lambda client, token: {"csrf_token": token + "0"}, id="wrong"),
        pytest.param(lambda client, token: {"csrf_token": "1." + "0" * 64}, id="forged"),
        pytest.param(lambda client, token: without_the_cookie(client), id="without-its-cookie"),
    ],
)
def test_a_sign_in_without_its_csrf_token_is_refused(api: Api, spoil: Any) -> None:
    add_user(api)
    token = form_token(api.client)
    data = {"email": "ann@example.com", "password": PASSWORD, "csrf_token": token}
    response = api.client.post(SIGNIN, data=data | spoil(api.client, token), follow_redirects=False)
    assert response.status_code == 403
    assert "expired or did not come from this site" in error_of(response)
    assert who(api.client) is None


def test_a_sign_in_form_expires_and_a_cross_site_post_is_refused(api: Api) -> None:
    add_user(api)
    token = form_token(api.client)
    cross = {"Sec-Fetch-Site": "cross-site"}
    data = {"email": "ann@example.com", "password": PASSWORD, "csrf_token": token}
    assert api.client.post(SIGNIN, data=data, headers=cross).status_code == 403
    api.clock.advance(2 * 3600 + 1)
    assert sign_in(api.client, token=token).status_code == 403
    assert sign_in(api.client).status_code == 303  # a fresh form


def test_the_signing_key_is_kept_in_the_store_or_given(store_url: str, clock: FakeClock) -> None:
    with desk(Settings(store_url=store_url), clock) as api:
        add_user(api)
        token = form_token(api.client)
        cookies = dict(api.client.cookies)
    with desk(Settings(store_url=store_url), clock) as api:  # a restart: the same key
        api.client.cookies.update(cookies)
        assert sign_in(api.client, token=token).status_code == 303
    given = Settings(store_url=store_url, secret_key="k" * 32)
    with desk(given, clock) as api:  # another key: the old forms are refused
        api.client.cookies.update(cookies)
        assert sign_in(api.client, token=token).status_code == 403


# -- where to go next -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "location"),
    [
        ("/desktop/people/c1?x=1", "/desktop/people/c1?x=1"),
        ("//evil.example", "/desktop"),
        ("https://evil.example/desktop", "/desktop"),
        ("/desktop//evil.example", "/desktop"),
        ("/\\evil.example", "/desktop"),
        ("/api/v2/users", "/desktop"),
    ],
)
def test_a_sign_in_goes_next_only_to_a_desktop_page(api: Api, asked: str, location: str) -> None:
    add_user(api)
    page = api.client.get(SIGNIN, params={"next": asked})
    assert f'name="next" value="{location}"' in page.text.replace("&amp;", "&")
    response = sign_in(api.client, next=asked)
    assert response.status_code == 303
    assert response.headers["location"] == location


# -- the end of a session -------------------------------------------------------------------


def test_signing_out_ends_the_session(api: Api) -> None:
    add_user(api)
    cookie = session_cookie(sign_in(api.client)).split(";")[0].split("=", 1)[1]
    refused = api.client.post("/desktop/signout", data={"csrf_token": "nope"})
    assert refused.status_code == 403
    assert "Form refused" in refused.text
    assert who(api.client) == "Ann Agent"  # a refused sign-out changed nothing
    out = api.client.post(
        "/desktop/signout", data={"csrf_token": csrf_of_session(api.client)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert out.headers["location"] == SIGNIN
    assert "max-age=0" in session_cookie(out).lower()
    assert who(api.client) is None
    api.client.cookies.clear()
    api.client.cookies.set("jl_session", cookie, path="/desktop")  # the old cookie, kept
    assert who(api.client) is None


def test_a_session_ends_unused_and_slides_while_used(api: Api) -> None:
    add_user(api)
    sign_in(api.client)
    api.clock.advance(11 * 3600)
    assert who(api.client) == "Ann Agent"
    api.clock.advance(11 * 3600)  # 22 hours after signing in, 11 after the last use
    assert who(api.client) == "Ann Agent"
    api.clock.advance(12 * 3600)
    assert who(api.client) is None


def test_signing_in_again_ends_the_session_the_browser_had(api: Api) -> None:
    add_user(api)
    first = session_cookie(sign_in(api.client)).split(";")[0].split("=", 1)[1]
    second = session_cookie(sign_in(api.client)).split(";")[0].split("=", 1)[1]
    for cookie, shown in ((first, None), (second, "Ann Agent")):
        api.client.cookies.clear()
        api.client.cookies.set("jl_session", cookie, path="/desktop")
        assert who(api.client) == shown


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda api, user_id: api.put(
                f"/api/v2/users/{user_id}", {"name": "Ann", "password": "a new password!"}
            ),
            id="new-password",
        ),
        pytest.param(lambda api, user_id: api.delete(f"/api/v2/users/{user_id}"), id="deleted"),
    ],
)
def test_a_new_password_or_deleting_the_user_ends_the_sessions(api: Api, change: Any) -> None:
    user = add_user(api)
    sign_in(api.client)
    assert change(api, user["id"]).status_code in (200, 204)
    assert who(api.client) is None


def test_a_role_change_shows_at_once(api: Api) -> None:
    user = add_user(api)
    sign_in(api.client)
    api.put(f"/api/v2/users/{user['id']}", {"name": "Ann Agent", "role": "supervisor"})
    assert "(supervisor)" in api.client.get(SIGNIN).text


def test_a_hash_of_older_parameters_is_replaced_at_sign_in(api: Api, store: Store) -> None:
    user = add_user(api)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    account = store.account_get(user["id"])
    assert account is not None
    with store.transaction():
        store.account_put(replace(account, password_hash=weak.hash(PASSWORD)))
    assert sign_in(api.client).status_code == 303
    rehashed = store.account_get(user["id"])
    assert rehashed is not None
    assert rehashed.password_hash is not None
    assert rehashed.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not PasswordHasher().check_needs_rehash(rehashed.password_hash)


# -- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("agent", {"journey:read", "contacts:write"}, {"users:admin", "directory:write"}),
        ("supervisor", {"directory:write", "definitions:write"}, {"users:admin", "flows:admin"}),
        ("admin", {"users:admin", "flows:admin", "journey:read"}, set()),
    ],
)
def test_what_a_role_may_do(role: str, allowed: set[str], refused: set[str]) -> None:
    signed_in = SignedIn("u1", "Ann", "ann@example.com", role, "token")
    for permission in allowed:
        require(signed_in, permission)
    for permission in refused:
        with pytest.raises(Forbidden):
            require(signed_in, permission)


# -- the throttle per source address (issue 10): failed sign-ins counted for the address they
# come from, after the trusted proxies, whichever accounts they try; past
# JOURNEYLINE_SIGNIN_FAILURES_PER_MINUTE a 429 page with Retry-After, even for the right
# password, while other addresses and the account itself are not held up ----------------------

PROXY = ("192.0.2.1", 50000)
SPRAYER = {"X-Forwarded-For": "198.51.100.7"}
COLLEAGUE = {"X-Forwarded-For": "198.51.100.8"}
WRONG = "wrong wrong wrong"


def settings_for(store_url: str, trusted_proxies: str | None = None) -> Settings:
    return Settings(
        store_url=store_url, signin_failures_per_minute=3, trusted_proxies=trusted_proxies
    )


def test_an_address_past_its_failed_sign_ins_waits_and_others_do_not(
    store_url: str, clock: FakeClock
) -> None:
    settings = settings_for(store_url, trusted_proxies="192.0.2.1")
    with desk(settings, clock, peer=PROXY) as api:
        add_user(api)  # ann@example.com
        api.client.headers.update(SPRAYER)
        for email in ("bob@example.com", "cy@example.com", "ann@example.com"):  # a spray
            assert sign_in(api.client, email, WRONG).status_code == 400
        held = sign_in(api.client)  # the right password, but from the same address
        assert held.status_code == 429
        wait_s = int(held.headers["retry-after"])
        assert 1 <= wait_s <= 60
        assert "from your network" in error_of(held)
        cookies = held.headers.get_list("set-cookie")
        assert not [c for c in cookies if c.startswith("jl_session=")]
        api.client.headers.update(COLLEAGUE)  # another address behind the same proxy
        assert sign_in(api.client).status_code == 303  # and the account is not locked
        api.client.headers.update(SPRAYER)
        clock.advance(wait_s - 1)
        assert sign_in(api.client).status_code == 429
        clock.advance(1)
        assert sign_in(api.client).status_code == 303


def test_a_successful_sign_in_and_a_refused_form_are_not_failures(
    store_url: str, clock: FakeClock
) -> None:
    with desk(settings_for(store_url), clock) as api:
        add_user(api)
        for _ in range(5):
            assert sign_in(api.client).status_code == 303
            assert sign_in(api.client, token="1.bad").status_code == 403  # CSRF: no guess
        for _ in range(3):
            assert sign_in(api.client, password=WRONG).status_code == 400
        assert sign_in(api.client).status_code == 429


def test_an_untrusted_peer_cannot_dodge_the_count_with_x_forwarded_for(
    store_url: str, clock: FakeClock
) -> None:
    with desk(settings_for(store_url), clock, peer=PROXY) as api:  # no proxy trusted
        add_user(api)
        for n in range(3):
            api.client.headers["X-Forwarded-For"] = f"203.0.113.{n}"
            assert sign_in(api.client, password=WRONG).status_code == 400
        api.client.headers["X-Forwarded-For"] = "203.0.113.99"
        assert sign_in(api.client).status_code == 429


def test_no_limit_when_the_setting_is_zero(store_url: str, clock: FakeClock) -> None:
    settings = Settings(store_url=store_url, signin_failures_per_minute=0)
    with desk(settings, clock) as api:
        add_user(api, email="sam@example.com")
        for n in range(30):
            assert sign_in(api.client, f"nobody{n}@example.com", WRONG).status_code == 400
        assert sign_in(api.client, "sam@example.com").status_code == 303


def test_sign_ins_sent_at_once_get_no_more_tries_than_one_after_another(
    store_url: str, clock: FakeClock
) -> None:
    """A spray sent all at once, on a real server: each try is counted as it comes in, not
    once its password was checked, so concurrency buys no more than the limit."""
    settings = settings_for(store_url)  # three failures a minute
    tries = 12
    with (
        serve(create_app(settings, clock=clock), settings=settings) as base_url,
        contextlib.ExitStack() as stack,
    ):
        browsers = [
            stack.enter_context(httpx.Client(base_url=base_url, timeout=60)) for _ in range(tries)
        ]
        tokens = [form_token(browser) for browser in browsers]  # type: ignore[arg-type]
        ready = threading.Barrier(tries)

        def spray(n: int) -> int:
            data = {"email": f"nobody{n}@example.com", "password": WRONG, "csrf_token": tokens[n]}
            ready.wait()
            return browsers[n].post(SIGNIN, data=data).status_code

        with ThreadPoolExecutor(tries) as pool:
            codes = sorted(pool.map(spray, range(tries)))
    assert codes == [400] * 3 + [429] * (tries - 3)
