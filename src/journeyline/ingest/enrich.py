"""Intake enrichment of web events: page URL, campaign, referrer, user agent, GeoIP, IP policy.

Everything here is a pure function of its arguments, except :class:`GeoLookup`, which owns an
open database file. Libraries, and why:

- URL parts come from :func:`urllib.parse.urlsplit`; the registered domain (``example.co.uk``)
  from ``tldextract``, configured offline: it reads the Public Suffix List snapshot bundled in
  the package, never downloads one and writes no cache (``suffix_list_urls=()``,
  ``cache_dir=None``). Upgrading ``tldextract`` refreshes the snapshot.
- User agents: ``ua-parser`` 1.x with ``ua-parser-builtins`` (the uap-core rules, released
  monthly). It names browser, OS and device, but has no desktop/mobile/tablet category: that is
  derived from its answer plus the ``Mobi``/``Tablet`` tokens, as MDN recommends.
- GeoIP: ``maxminddb``, MaxMind's reader of ``.mmdb`` files (GeoLite2/GeoIP2 City, or another
  vendor's database in the same schema). ``geoip2`` was not taken: its models are a thin layer
  over this reader, and it pulls in ``aiohttp`` and ``requests`` for a web-service client that
  a local lookup never uses.
- Referrers: our own table (``_SOURCE_TABLE``). PyPI's ``referer-parser`` was last
  released in 2016 (0.4.1, sdist only, untyped, unmaintained); its data know neither TikTok nor
  Qwant. The table holds the few dozen sources that matter for the ``medium`` enum of a Genesys
  ``Referrer``, and the tests pin each one.

A ``fbclid`` is recorded as a click id, but does not by itself make a visit ``paid``: Facebook
appends it to every outbound link, organic posts included.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

import maxminddb
import tldextract
import ua_parser

from journeyline.model.errors import InvalidInput
from journeyline.model.record import record
from journeyline.model.web import Browser, Campaign, Device, Geolocation, Page, Referrer

# Lazy: the bundled suffix list is read on first use, and never fetched.
_TLD: Final = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _query(query_string: str | None) -> dict[str, str]:
    """Query parameters by lower-cased name, first non-blank value."""
    out: dict[str, str] = {}
    for name, values in parse_qs(query_string or "").items():
        if value := values[0].strip():
            out.setdefault(name.lower(), value)
    return out


@functools.lru_cache(maxsize=16_384)  # pages and referrers repeat; Page is immutable
def _page(url: str) -> Page | None:
    """The parts of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme not in ("http", "https") or not hostname:
        return None
    path = parts.path or "/"
    return Page(
        url=url,
        # IPs and bare names such as localhost have no registered domain: the host stands in.
        domain=_TLD.extract_str(hostname).top_domain_under_public_suffix or hostname,
        hostname=hostname,
        pathname=path,
        query_string=parts.query or None,
        fragment=parts.fragment or None,
        breadcrumb=tuple(unquote(s) for s in path.split("/") if s),
    )


def parse_page(
    url: str,
    *,
    title: str | None = None,
    keywords: str | None = None,
    lang: str | None = None,
    field: str = "page.url",
) -> Page:
    """A Genesys ``JourneyPage`` from a page URL; InvalidInput unless it is absolute http(s)."""
    page = _page(url)
    if page is None:
        raise InvalidInput(f"{field} must be an absolute http or https URL", field=field)
    if title is None and keywords is None and lang is None:
        return page  # the cached parts as they are (immutable)
    return Page(  # not dataclasses.replace, which inspects the fields at every call
        url=page.url,
        title=title,
        domain=page.domain,
        hostname=page.hostname,
        pathname=page.pathname,
        query_string=page.query_string,
        fragment=page.fragment,
        keywords=keywords,
        lang=lang,
        breadcrumb=page.breadcrumb,
    )


# (query parameter, network, set on ad clicks only). The first one present wins, so the
# parameters that also tag organic traffic come last.
_CLICK_IDS: Final = (
    ("gclid", "google", True),
    ("gbraid", "google", True),
    ("wbraid", "google", True),
    ("dclid", "google", True),
    ("msclkid", "microsoft", True),
    ("ttclid", "tiktok", True),
    ("li_fat_id", "linkedin", True),
    ("twclid", "x", True),
    ("yclid", "yandex", True),
    ("sccid", "snapchat", True),
    ("epik", "pinterest", True),
    ("rdt_cid", "reddit", True),
    ("fbclid", "facebook", False),
)
_ORGANIC_CLICK_NETWORKS: Final = frozenset(n for _, n, paid in _CLICK_IDS if not paid)


@functools.lru_cache(maxsize=16_384)  # a pure function of repeating inputs
def campaign(url: str) -> Campaign | None:
    """UTM parameters and the ad click id of a landing URL; None when it carries none."""
    try:
        query = _query(urlsplit(url).query)
    except ValueError:
        return None
    click = next(((p, n) for p, n, _ in _CLICK_IDS if p in query), None)
    utm = {k: query.get(f"utm_{k}") for k in ("source", "medium", "campaign", "term", "content")}
    if click is None and not any(utm.values()):
        return None
    return Campaign(
        name=utm["campaign"],
        source=utm["source"],
        medium=utm["medium"],
        term=utm["term"],
        content=utm["content"],
        click_id=query[click[0]] if click else None,
        network=click[1] if click else None,
    )


@record
class _Source:
    name: str | None
    medium: str  # search, social or email
    params: tuple[str, ...] = ()  # query parameters that carry search keywords


# name, medium, keyword parameters ("-": none), then where it is found: a name with a dot is a
# host, matched with its subdomains (t.co, m.facebook.com); one without is the label under any
# public suffix ("google": google.com, google.de, google.co.uk). Hosts are tried first.
_SOURCE_TABLE: Final = """
Gmail       email   -           mail.google.com
Yahoo_Mail  email   -           mail.yahoo.com
AOL_Mail    email   -           mail.aol.com
Proton_Mail email   -           mail.proton.me
Outlook     email   -           outlook.live.com outlook.office.com outlook.office365.com
Google      search  q           google
Bing        search  q           bing
Yahoo       search  p,q         yahoo
DuckDuckGo  search  q           duckduckgo
Baidu       search  wd,word     baidu
Yandex      search  text        yandex ya.ru
Ecosia      search  q           ecosia
Qwant       search  q           qwant
Startpage   search  query,q     startpage
Brave       search  q           search.brave.com
AOL         search  q           search.aol.com
Naver       search  query       naver
Seznam      search  q           seznam
Sogou       search  query       sogou
Ask         search  q           ask
Facebook    social  -           facebook fb.com fb.me
Messenger   social  -           messenger.com
Instagram   social  -           instagram
X           social  -           twitter x.com t.co
LinkedIn    social  -           linkedin lnkd.in
Reddit      social  -           reddit redd.it
YouTube     social  -           youtube youtu.be
TikTok      social  -           tiktok
Pinterest   social  -           pinterest pin.it
WhatsApp    social  -           whatsapp wa.me
Telegram    social  -           telegram t.me
Snapchat    social  -           snapchat
Tumblr      social  -           tumblr
Quora       social  -           quora
Discord     social  -           discord
Bluesky     social  -           bsky.app
Threads     social  -           threads.net
VK          social  -           vk.com
Weibo       social  -           weibo
"""


def _load_sources(table: str) -> tuple[dict[str, _Source], dict[str, _Source]]:
    by_host: dict[str, _Source] = {}
    by_label: dict[str, _Source] = {}
    for line in table.strip().splitlines():
        name, medium, params, *places = line.split()
        source = _Source(
            name.replace("_", " "), medium, () if params == "-" else tuple(params.split(","))
        )
        for place in places:
            (by_host if "." in place else by_label)[place] = source
    return by_host, by_label


_BY_HOST, _BY_LABEL = _load_sources(_SOURCE_TABLE)
# A host whose first label is one of these is a webmail client (mail.yandex.ru, webmail.a.net).
_WEBMAIL_LABELS: Final = frozenset({"mail", "webmail", "email"})
_PAID_MEDIA: Final = frozenset(
    {"cpc", "ppc", "cpm", "cpv", "cpa", "display", "banner", "retargeting", "remarketing"}
)
_EMAIL_MEDIA: Final = frozenset({"email", "e-mail", "e_mail", "newsletter"})
_SOCIAL_MEDIA: Final = frozenset({"social", "social-media", "social_media", "social-network"})


def _source(hostname: str) -> _Source | None:
    labels = hostname.split(".")
    for i in range(len(labels) - 1):
        if (found := _BY_HOST.get(".".join(labels[i:]))) is not None:
            return found
    if labels[0] in _WEBMAIL_LABELS and len(labels) > 2:
        return _Source(None, "email")
    return _BY_LABEL.get(_TLD.extract_str(hostname).domain)


def _medium(ref: Page, page: Page | None, source: _Source | None, camp: Campaign | None) -> str:
    utm_medium = (camp.medium or "").lower() if camp else ""
    if page is not None and ref.domain == page.domain:
        return "internal"
    if camp is not None and camp.click_id and camp.network not in _ORGANIC_CLICK_NETWORKS:
        return "paid"
    if utm_medium in _PAID_MEDIA or utm_medium.startswith("paid"):
        return "paid"
    if utm_medium in _EMAIL_MEDIA:
        return "email"
    if source is not None:
        return source.medium
    return "social" if utm_medium in _SOCIAL_MEDIA else "unknown"


#: Schemes that run code or carry a document (``javascript:``, ``data:``...): never a real
#: referrer, dropped (issue 10). Leading spaces and controls do not hide one (browsers skip
#: them).
_SCRIPT_SCHEME: Final = re.compile(r"[\x00-\x20]*(javascript|vbscript|data|blob|file):", re.I)


@functools.lru_cache(maxsize=16_384)  # a pure function of repeating inputs
def referrer(referrer_url: str | None, page_url: str, campaign: Campaign | None) -> Referrer | None:
    """A Genesys ``Referrer``; ``campaign`` is the landing page's (see :func:`campaign`).

    ``medium`` is ``internal`` (same registered domain as the page), else ``paid`` (an ad click
    id or a paid utm_medium), ``email`` (utm_medium or a webmail host), ``search``, ``social``,
    or ``unknown``. A referrer that is not an http(s) URL (``android-app://...``) is unknown;
    one with a script or document scheme (``javascript:``, ``data:``) is dropped.
    """
    if referrer_url is None or not referrer_url.strip():
        return None
    if _SCRIPT_SCHEME.match(referrer_url):  # no page refers with script: a forged referrer
        return None
    ref = _page(referrer_url)
    if ref is None or ref.hostname is None:
        return Referrer(url=referrer_url, medium="unknown")
    source = _source(ref.hostname)
    medium = _medium(ref, _page(page_url), source, campaign)
    if medium == "internal":
        source = None
    query = _query(ref.query_string)
    return Referrer(
        url=referrer_url,
        medium=medium,
        domain=ref.domain,
        hostname=ref.hostname,
        pathname=ref.pathname,
        query_string=ref.query_string,
        fragment=ref.fragment,
        keywords=next((query[p] for p in source.params if p in query), None) if source else None,
        name=source.name if source else None,
    )


_MOBILE_RE: Final = re.compile(r"Mobi")
_TABLET_RE: Final = re.compile(r"Tablet|PlayBook|Silk/|Kindle", re.IGNORECASE)
_OTHER_RE: Final = re.compile(
    r"smart-?tv|\bTV\b|GoogleTV|CrKey|PlayStation|Xbox|Nintendo", re.IGNORECASE
)
_MOBILE_OS: Final = frozenset(
    {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS", "Symbian OS"}
)
_DESKTOP_OS: Final = frozenset(
    {"Windows", "Mac OS X", "Linux", "Chrome OS", "Ubuntu", "Fedora", "Debian", "FreeBSD"}
)


# uap-core's model names that say nothing ("K": Chrome's reduced Android user agent)
_PLACEHOLDER_MODELS: Final = frozenset({"K", "Smartphone", "Tablet", "Feature Phone", "Desktop"})


def _version(*parts: str | None) -> str | None:
    out: list[str] = []
    for part in parts:
        if not part:
            break
        out.append(part)
    return ".".join(out) or None


def _category(ua: str, os_family: str, device_family: str) -> str:
    if device_family == "Spider" or _OTHER_RE.search(ua):
        return "other"
    if device_family == "iPad" or _TABLET_RE.search(ua):
        return "tablet"
    if os_family == "Android" and not _MOBILE_RE.search(ua):  # Android tablets omit "Mobile"
        return "tablet"
    if os_family in _MOBILE_OS or _MOBILE_RE.search(ua):
        return "mobile"
    return "desktop" if os_family in _DESKTOP_OS else "other"


def _known(family: str) -> str | None:
    return None if family == "Other" else family


@lru_cache(maxsize=4096)
def _parse_user_agent(ua: str) -> tuple[Browser, Device]:
    result = ua_parser.parse(ua).with_defaults()  # "Other" families where nothing matched
    agent, system, device = result.user_agent, result.os, result.device
    brand, model = device.brand, device.model
    if brand is not None and (brand.startswith("Generic") or brand == "Spider"):
        brand = None  # uap-core's placeholders: Generic_Android_Tablet, Spider...
    if model in _PLACEHOLDER_MODELS or device.brand == "Spider":
        model = None
    category = _category(ua, system.family, device.family)
    browser = Browser(
        family=_known(agent.family),
        version=_version(agent.major, agent.minor, agent.patch, agent.patch_minor),
    )
    return browser, Device(
        category=category,
        type=model,
        is_mobile=category in ("mobile", "tablet"),
        os_family=_known(system.family),
        os_version=_version(system.major, system.minor, system.patch, system.patch_minor),
        manufacturer=brand,
    )


def user_agent(ua: str | None) -> tuple[Browser, Device]:
    """Browser and device from a User-Agent string; empty records for an empty one.

    ``device.category`` is desktop, mobile, tablet or other (bots, TVs, consoles, unknown);
    ``is_mobile`` is true for phones and tablets. Results are cached: the same UA repeats.
    """
    if ua is None or not ua.strip():
        return Browser(), Device()
    return _parse_user_agent(ua.strip())


def _dict(record: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _str(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value else None


def _float(record: Mapping[str, object], key: str) -> float | None:
    value = record.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class GeoLookup:
    """City-level geolocation from a local MaxMind-format (``.mmdb``) City database.

    Without a database every lookup is None; so is every address that is invalid, not public
    (private, loopback, link-local...) or absent from the database. ``region`` is ISO 3166-2
    (``GB-ENG``) from the largest subdivision. A missing or corrupt file fails construction.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, language: str = "en") -> None:
        self._reader = maxminddb.open_database(path) if path is not None else None
        self._language = language

    def lookup(self, ip: str | None) -> Geolocation | None:
        if self._reader is None or ip is None:
            return None
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            return None
        try:
            record = self._reader.get(address)
        except ValueError:  # an IPv6 address in an IPv4-only database
            return None
        return self._geolocation(record) if isinstance(record, dict) else None

    def _name(self, record: Mapping[str, object]) -> str | None:
        names = _dict(record, "names")
        return _str(names, self._language) or _str(names, "en")

    def _geolocation(self, record: Mapping[str, object]) -> Geolocation:
        country = _dict(record, "country") or _dict(record, "registered_country")
        subdivisions = record.get("subdivisions")
        region: Mapping[str, object] = {}
        if isinstance(subdivisions, list) and subdivisions and isinstance(subdivisions[0], dict):
            region = subdivisions[0]
        city, location = _dict(record, "city"), _dict(record, "location")
        country_code, region_code = _str(country, "iso_code"), _str(region, "iso_code")
        return Geolocation(
            country=country_code,
            country_name=self._name(country),
            region=f"{country_code}-{region_code}" if country_code and region_code else None,
            region_name=self._name(region),
            locality=self._name(city),
            postal_code=_str(_dict(record, "postal"), "code"),
            latitude=_float(location, "latitude"),
            longitude=_float(location, "longitude"),
            timezone=_str(location, "time_zone"),
            source="geoip",
        )

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


@functools.lru_cache(maxsize=16_384)  # a pure function of repeating inputs
def enrich_ip(ip: str | None, collect: bool) -> str | None:
    """The IP address to store: None when the deployment does not collect IP addresses (Genesys:
    it "may be null if the business configures the tracker to not collect IP addresses") or
    when ``ip`` is not an IP address; otherwise its canonical text (``2001:db8::1``)."""
    if not collect or ip is None:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None
