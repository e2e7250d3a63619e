"""deploy/haproxy.cfg run for real: Debian's ``haproxy`` with the file as it is — only its
``server-template`` (Docker's DNS) pointed at a real journeyline server on 127.0.0.1, and its
port a free one, and for TLS a certificate made for the test — in front of that server.
``/metrics`` is for the internal network only, however its path is spelled: the server matches
the percent-decoded path, so a rule on the raw one is dodged by ``/%6Detrics``. The server learns
from HAProxy whether the browser came over https (``X-Forwarded-Proto``, which makes the
desktop's cookies ``Secure``), and never from the browser itself."""

from __future__ import annotations

import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from conftest import free_port, serve
from journeyline.api.app import create_app
from journeyline.config import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
HAPROXY = Path("/usr/sbin/haproxy")
TOKEN = "m" * 32


@contextmanager
def haproxy_before(backend: str, tmp_path: Path, *, tls: bool = False) -> Iterator[str]:
    if not HAPROXY.exists():
        pytest.fail("these tests run deploy/haproxy.cfg: install Debian's haproxy", pytrace=False)
    port = free_port()
    config = (DEPLOY / "haproxy.cfg").read_text()
    config, servers = re.subn(
        r"^(\s*)server-template .*$",
        rf"\1server api1 {backend.removeprefix('http://')} check inter 200ms",
        config,
        flags=re.M,
    )
    bind = f"bind 127.0.0.1:{port}"
    if tls:
        bind += f" ssl crt {certificate(tmp_path)}"
    config, binds = re.subn(r"^(\s*)bind :8080$", rf"\1{bind}", config, flags=re.M)
    # checked every 200 ms (the test server is up at once), but given as long as the deployed
    # one to answer: on a busy machine three /ready answers slower than the interval in a row
    # would take the server down, and every request after would be a 503
    config, checks = re.subn(
        r"^(\s*)(option httpchk .*)$", r"\1\2\n\1timeout check 2s", config, flags=re.M
    )
    assert (servers, binds, checks) == (1, 1, 1)
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    command = [str(HAPROXY), "-db", "-f", str(path)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proxy:
        base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:  # up, and the server checked ready (else HAProxy answers 503)
                assert proxy.poll() is None, proxy.communicate()[1]
                try:
                    if (
                        httpx.get(f"{base}/health", timeout=2, verify=trust(tmp_path)).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "HAProxy did not pass requests on"
                time.sleep(0.1)
            yield base
        finally:
            proxy.terminate()
            proxy.communicate(timeout=10)


def trust(tmp_path: Path) -> ssl.SSLContext:
    """What the test's certificate, when there is one, is checked with."""
    made = tmp_path / "cert.pem"
    return ssl.create_default_context(cafile=str(made) if made.exists() else None)


def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate and its key in one PEM file, as HAProxy takes them."""
    key, cert, pem = (tmp_path / name for name in ("key.pem", "cert.pem", "haproxy.pem"))
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_text(cert.read_text() + key.read_text())
    return pem


@pytest.mark.parametrize(
    ("tls", "claimed", "secure"),
    [
        (False, None, False),
        (False, "https", False),  # a browser over plain http saying it came over https
        (True, None, True),
        (True, "http", True),
    ],
)
def test_the_server_learns_the_scheme_from_haproxy_not_from_the_browser(
    tmp_path: Path, tls: bool, claimed: str | None, secure: bool
) -> None:
    settings = Settings(
        store_url=f"sqlite:///{tmp_path / 'journeyline.db'}", trusted_proxies="127.0.0.1"
    )
    headers = {"X-Forwarded-Proto": claimed} if claimed else {}
    with (
        serve(create_app(settings), settings=settings) as direct,
        haproxy_before(direct, tmp_path, tls=tls) as outside,
    ):
        form = httpx.get(f"{outside}/desktop/signin", headers=headers, verify=trust(tmp_path))
    assert form.status_code == 200
    (cookie,) = form.headers.get_list("set-cookie")
    assert cookie.startswith("jl_csrf=")
    assert ("; secure" in cookie.lower()) is secure


def test_the_metrics_are_refused_from_outside_however_the_path_is_spelled(
    tmp_path: Path,
) -> None:
    settings = Settings(store_url=f"sqlite:///{tmp_path / 'journeyline.db'}", metrics_token=TOKEN)
    token = {"Authorization": f"Bearer {TOKEN}"}
    with (
        serve(create_app(settings), settings=settings) as direct,
        haproxy_before(direct, tmp_path) as outside,
    ):
        for path in ("/metrics", "/%6Detrics", "/%6detrics", "/%6D%65trics"):
            assert httpx.get(f"{direct}{path}", headers=token).status_code == 200, path
            assert httpx.get(f"{outside}{path}", headers=token).status_code == 403, path
        assert httpx.get(f"{outside}/health").status_code == 200
