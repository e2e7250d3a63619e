"""Where a flow may post: http(s) URLs whose host is a public address (no SSRF).

A flow's URL is checked when it is registered and again before every try, since what a name
resolves to can change: private (RFC 1918, unique-local), loopback, link-local (cloud metadata
services live at 169.254.169.254), unspecified, multicast, reserved and other non-global
addresses are refused, whether the URL names them literally or its host name resolves to one
(any of its addresses). ``JOURNEYLINE_FLOWS_ALLOW_PRIVATE=true`` lifts the address rule (a
receiver on the same network, tests); the URL must still be http(s) with a host.

At delivery the request goes to the address that was checked (:class:`Target`): the URL's host
is replaced by it, with the original ``Host`` header and, for https, the original name for SNI
and certificate checks. So a name cannot resolve to a public address for the check and to a
private one for the connection. What remains: only the first checked address is tried, and
redirects are not followed at all (a 3xx is a permanent failure).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import field

import httpx

from journeyline.model.errors import InvalidInput
from journeyline.model.record import record

#: ``(host, port) -> addresses``: the system's resolver, or a test's.
Resolver = Callable[[str, int], list[str]]

MAX_URL = 2048
#: In this order: Python counts loopback, link-local and the rest as private too.
_REFUSED = ("loopback", "link_local", "unspecified", "multicast", "reserved", "private")
_WORDS = {"unspecified": "the unspecified", "non-global": "a non-global"}


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_address(address: str) -> str | None:
    """Why an IP address may not be posted to (e.g. ``loopback``), or None when it is public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in _REFUSED:
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # shared (100.64/10), documentation, benchmarking ranges, ...
        return "non-global"
    return None


def parse_url(url: str) -> httpx.URL:
    """A flow URL's shape: http(s), a host, no credentials (400 naming ``url`` otherwise)."""
    if len(url) > MAX_URL:
        raise InvalidInput(f"url must be at most {MAX_URL} characters", field="url")
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes an A-label: idna raises a ValueError on a bad one (xn--)
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidInput(f"url is not a URL: {exc}", field="url") from exc
    if parsed.scheme not in ("http", "https"):
        raise InvalidInput("url must be http:// or https://", field="url")
    if not host:
        raise InvalidInput("url must have a host", field="url")
    if _literal(host) is None and not _host_name(parsed.raw_host.decode("ascii")):
        raise InvalidInput(f"url: {host} is not a host name", field="url")
    if parsed.userinfo:
        raise InvalidInput("url must not carry credentials", field="url")
    return parsed


def _host_name(host: str) -> bool:
    """Whether an ASCII host name is one DNS can look up: labels of 1 to 63 characters, 253 in
    all (the resolver's IDNA codec raises ``UnicodeError`` on anything else)."""
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(0 < len(label) <= 63 for label in labels)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _refuse(url: httpx.URL, address: str, why: str) -> InvalidInput:
    named = "" if _literal(url.host) else f"{url.host} resolves to "
    return InvalidInput(
        f"url: {named}{address} is {_WORDS.get(why, 'a ' + why)} address; flows post to public"
        " addresses only"
        " (JOURNEYLINE_FLOWS_ALLOW_PRIVATE=true allows private ones)",
        field="url",
    )


@record
class Target:
    """What to send a request to: the URL (its host replaced by the checked address), and the
    headers and extensions that keep the original name for ``Host``, SNI and certificates."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


def check_target(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Check a flow URL and resolve it to the address to connect to.

    Raises ``InvalidInput`` (field ``url``) for a refused URL or address, and ``OSError``
    (``socket.gaierror``) when the host name does not resolve."""
    parsed = parse_url(url)
    if allow_private:
        return Target(parsed)  # nothing to refuse: let the HTTP client resolve and connect
    literal = _literal(parsed.host)
    addresses = [literal] if literal else resolver(parsed.host, parsed.port or _port(parsed))
    if not addresses:
        raise socket.gaierror(f"{parsed.host} has no address")
    for address in addresses:
        why = refused_address(address)
        if why is not None:
            raise _refuse(parsed, address, why)
    if literal:
        return Target(parsed)
    pinned = parsed.copy_with(host=addresses[0])
    headers = {"Host": parsed.netloc.decode("ascii")}
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    return Target(pinned, headers, extensions)


def _port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def check_registration(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> str:
    """A URL as registered: refused like at delivery; a name that does not resolve (yet) is
    accepted, and checked again on every try. Returns the URL as given."""
    with contextlib.suppress(OSError):
        check_target(url, allow_private=allow_private, resolver=resolver)
    return url
