"""Where flows may post (SSRF rules) and when a failed try comes back (the retry schedule)."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from journeyline.engine.retries import RetryPolicy, retry_after_ms, verdict
from journeyline.engine.targets import check_registration, check_target, refused_address
from journeyline.model.errors import InvalidInput

NAMES = {
    "hooks.example.com": ["93.184.216.34"],
    "inside.example.com": ["10.0.0.7"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.1"],
    "metadata.example.com": ["169.254.169.254"],
    "v6.example.com": ["2606:4700::6810:84e5"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise socket.gaierror(f"{host}: unknown")
    return NAMES[host]


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("93.184.216.34", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_refused_addresses(address: str, why: str | None) -> None:
    assert refused_address(address) == why


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9000/hook", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.5/hook", "10.0.0.5 is a private address"),
        ("http://169.254.169.254/latest/meta-data", "is a link-local address"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://localhost:8000/hook", "localhost resolves to"),
        ("https://inside.example.com/hook", "inside.example.com resolves to 10.0.0.7"),
        ("https://mixed.example.com/hook", "resolves to 192.168.1.1"),
        ("http://metadata.example.com/", "resolves to 169.254.169.254"),
        ("ftp://hooks.example.com/hook", "url must be http:// or https://"),
        ("file:///etc/passwd", "url must be http:// or https://"),
        ("http:///hook", "url must have a host"),
        ("hooks.example.com/hook", "url must be http:// or https://"),
        ("https://user:pw@hooks.example.com/", "must not carry credentials"),
        ("https://hooks.example.com/" + "a" * 2048, "at most 2048 characters"),
    ],
)
def test_refused_targets(url: str, message: str) -> None:
    def with_localhost(host: str, port: int) -> list[str]:
        return socket_resolve(host, port) if host == "localhost" else resolver(host, port)

    with pytest.raises(InvalidInput, match=message) as caught:
        check_target(url, allow_private=False, resolver=with_localhost)
    assert caught.value.field == "url"


def socket_resolve(host: str, port: int) -> list[str]:
    from journeyline.engine.targets import system_resolver

    return system_resolver(host, port)


def test_the_setting_allows_private_targets_but_not_other_schemes() -> None:
    for url in ("http://127.0.0.1:9000/hook", "http://10.0.0.5/", "http://localhost/"):
        assert check_target(url, allow_private=True).url == url
    with pytest.raises(InvalidInput, match="http"):
        check_target("ftp://10.0.0.5/", allow_private=True)


def test_a_public_name_is_pinned_to_its_checked_address() -> None:
    target = check_target(
        "https://hooks.example.com:8443/in?x=1", allow_private=False, resolver=resolver
    )
    assert str(target.url) == "https://93.184.216.34:8443/in?x=1"
    assert target.headers == {"Host": "hooks.example.com:8443"}
    assert target.extensions == {"sni_hostname": "hooks.example.com"}
    v6 = check_target("http://v6.example.com/in", allow_private=False, resolver=resolver)
    assert str(v6.url) == "http://[2606:4700::6810:84e5]/in"
    assert v6.extensions == {}
    literal = check_target("https://93.184.216.34/in", allow_private=False, resolver=resolver)
    assert (str(literal.url), literal.headers) == ("https://93.184.216.34/in", {})


def test_a_name_that_does_not_resolve_fails_a_try_but_not_a_registration() -> None:
    with pytest.raises(OSError, match="unknown"):
        check_target("https://nowhere.example.com/", allow_private=False, resolver=resolver)
    url = "https://nowhere.example.com/"
    assert check_registration(url, allow_private=False, resolver=resolver) == url


# -- the retry schedule ------------------------------------------------------------------------


def test_the_wait_doubles_with_jitter_up_to_an_hour() -> None:
    policy = RetryPolicy(base_ms=10_000, max_attempts=12)
    rng = random.Random(1)
    for attempts in range(1, 15):
        full = min(10_000 * 2 ** (attempts - 1), 3_600_000)
        for _ in range(20):
            assert 0.75 * full <= policy.wait_ms(attempts, rng) <= full
    assert policy.wait_ms(1000, rng) <= 3_600_000  # no overflow far out


NOW = 1_795_600_000_000


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        (None, None),
        ("30", 30_000),
        (" 5 ", 5_000),
        ("999999999", 24 * 3600 * 1000),  # at most a day
        (format_datetime(datetime.fromtimestamp(NOW / 1000 + 90, UTC), usegmt=True), 90_000),
        (format_datetime(datetime.fromtimestamp(NOW / 1000 - 90, UTC), usegmt=True), 0),
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after(header: str | None, wait: int | None) -> None:
    assert retry_after_ms(header, NOW) == wait


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (301, "dead"),
        (400, "dead"),
        (404, "dead"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_verdicts(status: int, outcome: str) -> None:
    assert verdict(status) == outcome
