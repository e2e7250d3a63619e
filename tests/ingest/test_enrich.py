"""Intake enrichment, as tables of cases: pages, campaigns, referrers, user agents, GeoIP, IPs.

The GeoIP tests build a real MaxMind-format City database with ``mmdb-writer`` and read it
through the same reader production uses.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import maxminddb
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from journeyline.ingest.enrich import (
    GeoLookup,
    campaign,
    enrich_ip,
    parse_page,
    referrer,
    user_agent,
)
from journeyline.model.errors import InvalidInput
from journeyline.model.web import Browser, Campaign, Device, Geolocation, Page

# -- pages ---------------------------------------------------------------------------------------

PAGES = [
    pytest.param(
        "https://Shop.Example.co.uk/caf%C3%A9/shoes/?size=9&utm_source=x#reviews",
        Page(
            url="https://Shop.Example.co.uk/caf%C3%A9/shoes/?size=9&utm_source=x#reviews",
            domain="example.co.uk",
            hostname="shop.example.co.uk",
            pathname="/caf%C3%A9/shoes/",
            query_string="size=9&utm_source=x",
            fragment="reviews",
            breadcrumb=("café", "shoes"),
        ),
        id="public-suffix-co.uk",
    ),
    pytest.param(
        "http://www.example.com",
        Page(
            url="http://www.example.com",
            domain="example.com",
            hostname="www.example.com",
            pathname="/",
        ),
        id="bare-host",
    ),
    pytest.param(
        "https://a.b.example.com.au:8443/x?#",
        Page(
            url="https://a.b.example.com.au:8443/x?#",
            domain="example.com.au",
            hostname="a.b.example.com.au",
            pathname="/x",
            breadcrumb=("x",),
        ),
        id="port-empty-query-and-fragment",
    ),
    pytest.param(
        "http://localhost:8000/demo/",
        Page(
            url="http://localhost:8000/demo/",
            domain="localhost",
            hostname="localhost",
            pathname="/demo/",
            breadcrumb=("demo",),
        ),
        id="localhost",
    ),
    pytest.param(
        "http://[2001:db8::1]/a",
        Page(
            url="http://[2001:db8::1]/a",
            domain="2001:db8::1",
            hostname="2001:db8::1",
            pathname="/a",
            breadcrumb=("a",),
        ),
        id="ipv6-host",
    ),
]


@pytest.mark.parametrize(("url", "expected"), PAGES)
def test_parse_page(url: str, expected: Page) -> None:
    assert parse_page(url) == expected


def test_parse_page_keeps_what_the_client_sent() -> None:
    page = parse_page("https://example.com/", title="Home", keywords="shoes", lang="en")
    assert (page.title, page.keywords, page.lang) == ("Home", "shoes", "en")


@pytest.mark.parametrize(
    ("title", "keywords", "lang"),
    [(None, None, None), ("Home", None, None), (None, "shoes", None), (None, None, "en-GB")],
)
def test_parse_page_keeps_every_part_of_the_url(
    title: str | None, keywords: str | None, lang: str | None
) -> None:
    """What the client sent is added to every part parsed from the URL, none dropped."""
    url = "https://www.example.co.uk/c/bags/back%20packs?utm_source=x#top"
    parts = parse_page(url)
    expected = dataclasses.replace(parts, title=title, keywords=keywords, lang=lang)
    assert parse_page(url, title=title, keywords=keywords, lang=lang) == expected
    assert parts.breadcrumb == ("c", "bags", "back packs")
    assert (parts.domain, parts.fragment) == ("example.co.uk", "top")
    assert parts.query_string == "utm_source=x"


@pytest.mark.parametrize(
    "url",
    ["", "/relative/path", "example.com/x", "ftp://example.com/", "javascript:alert(1)",
     "http://", "https://[::1/x", "mailto:a@example.com"],
)  # fmt: skip
def test_parse_page_rejects_what_is_not_an_absolute_http_url(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_page(url, field="events[2].page.url")
    assert caught.value.field == "events[2].page.url"


def test_registered_domains_never_touch_the_network(tmp_path: Path) -> None:
    """A fresh interpreter with sockets refused still gets the domain, and writes no cache."""
    code = """
import socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError("network refused by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from journeyline.ingest.enrich import parse_page
print(parse_page("https://forums.bbc.co.uk/").domain, len(attempts))
"""
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "https://publicsuffix.org/list/public_suffix_list.dat",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["bbc.co.uk", "0"]
    assert not (tmp_path / "cache").exists()


# -- campaigns -----------------------------------------------------------------------------------

LANDING = "https://www.example.com/landing"

CAMPAIGNS = [
    pytest.param(LANDING, None, id="none"),
    pytest.param(f"{LANDING}?ref=home&q=shoes", None, id="other-parameters"),
    pytest.param(f"{LANDING}?utm_source=&utm_medium=", None, id="blank-utm"),
    pytest.param(
        f"{LANDING}?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale"
        "&utm_term=red+shoes&utm_content=hero%20banner",
        Campaign(
            name="spring-sale",
            source="newsletter",
            medium="email",
            term="red shoes",
            content="hero banner",
        ),
        id="all-utm",
    ),
    pytest.param(
        f"{LANDING}?UTM_Source=Google&utm_medium=cpc",
        Campaign(source="Google", medium="cpc"),
        id="parameter-names-any-case",
    ),
    pytest.param(
        f"{LANDING}?gclid=EAIaIQobChMI",
        Campaign(click_id="EAIaIQobChMI", network="google"),
        id="gclid",
    ),
    pytest.param(
        f"{LANDING}?fbclid=F&utm_campaign=launch&gclid=G#x",
        Campaign(name="launch", click_id="G", network="google"),
        id="ad-click-id-wins-over-fbclid",
    ),
    pytest.param("not a url at all", None, id="garbage"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), CAMPAIGNS)
def test_campaign(url: str, expected: Campaign | None) -> None:
    assert campaign(url) == expected


@pytest.mark.parametrize(
    ("parameter", "network"),
    [("gclid", "google"), ("gbraid", "google"), ("wbraid", "google"), ("dclid", "google"),
     ("msclkid", "microsoft"), ("fbclid", "facebook"), ("ttclid", "tiktok"),
     ("li_fat_id", "linkedin"), ("twclid", "x"), ("yclid", "yandex"), ("ScCid", "snapchat"),
     ("epik", "pinterest"), ("rdt_cid", "reddit")],
)  # fmt: skip
def test_click_ids(parameter: str, network: str) -> None:
    found = campaign(f"{LANDING}?{parameter}=Cj0KCQ-1.x")
    assert found == Campaign(click_id="Cj0KCQ-1.x", network=network)


# -- referrers -----------------------------------------------------------------------------------

PAGE = "https://www.example.com/products"

REFERRERS = [
    # (referrer URL, landing page URL, medium, name, keywords)
    pytest.param("https://www.example.com/", PAGE, "internal", None, None, id="internal"),
    pytest.param("https://blog.example.com/", PAGE, "internal", None, None, id="subdomain"),
    pytest.param("https://example.com/", PAGE, "internal", None, None, id="internal-apex"),
    pytest.param(
        "https://www.other.co.uk/", "https://shop.example.co.uk/", "unknown", None, None,
        id="same-public-suffix-is-not-internal",
    ),
    pytest.param(
        "https://www.google.com/", f"{PAGE}?gclid=EAIa", "paid", "Google", None, id="paid-gclid",
    ),
    pytest.param(
        "https://www.bing.com/search?q=red+shoes", f"{PAGE}?msclkid=1", "paid", "Bing", "red shoes",
        id="paid-search-keeps-keywords",
    ),
    pytest.param(
        "https://news.site.example.org/", f"{PAGE}?utm_medium=CPC", "paid", None, None,
        id="paid-utm-medium",
    ),
    pytest.param(
        "https://www.instagram.com/", f"{PAGE}?utm_medium=paid_social", "paid", "Instagram", None,
        id="paid-social",
    ),
    pytest.param(
        "https://l.facebook.com/l.php", f"{PAGE}?fbclid=IwAR", "social", "Facebook", None,
        id="fbclid-alone-is-not-paid",
    ),
    pytest.param(
        "https://mail.google.com/mail/u/0/", PAGE, "email", "Gmail", None, id="email-gmail",
    ),
    pytest.param(
        "https://outlook.live.com/mail/0/inbox", PAGE, "email", "Outlook", None, id="email-outlook",
    ),
    pytest.param("https://mail.yandex.ru/", PAGE, "email", None, None, id="email-webmail-host"),
    pytest.param(
        "https://tracker.esp.example.net/c/1", f"{PAGE}?utm_medium=email", "email", None, None,
        id="email-utm-medium",
    ),
    pytest.param("https://www.google.com/", PAGE, "search", "Google", None, id="search-google"),
    pytest.param(
        "https://www.google.co.uk/search?q=red+shoes&hl=en", PAGE, "search", "Google", "red shoes",
        id="search-google-country-keywords",
    ),
    pytest.param(
        "https://www.bing.com/search?q=journey+map", PAGE, "search", "Bing", "journey map",
        id="search-bing",
    ),
    pytest.param(
        "https://duckduckgo.com/?q=privacy", PAGE, "search", "DuckDuckGo", "privacy",
        id="search-duckduckgo",
    ),
    pytest.param(
        "https://search.yahoo.com/search?p=weather", PAGE, "search", "Yahoo", "weather",
        id="search-yahoo",
    ),
    pytest.param(
        "https://www.baidu.com/s?wd=%E9%9E%8B", PAGE, "search", "Baidu", "鞋", id="search-baidu",
    ),
    pytest.param(
        "https://yandex.ru/search/?text=обувь", PAGE, "search", "Yandex", "обувь",
        id="search-yandex",
    ),
    pytest.param("https://www.ecosia.org/search?q=tr", PAGE, "search", "Ecosia", "tr", id="ecosia"),
    pytest.param("https://www.qwant.com/?q=chat", PAGE, "search", "Qwant", "chat", id="qwant"),
    pytest.param("https://search.brave.com/search?q=b", PAGE, "search", "Brave", "b", id="brave"),
    pytest.param("https://t.co/AbC123", PAGE, "social", "X", None, id="social-t.co"),
    pytest.param("https://x.com/someone/status/1", PAGE, "social", "X", None, id="social-x"),
    pytest.param("https://mobile.twitter.com/", PAGE, "social", "X", None, id="social-twitter"),
    pytest.param("https://m.facebook.com/", PAGE, "social", "Facebook", None, id="social-facebook"),
    pytest.param("https://lnkd.in/eXyZ", PAGE, "social", "LinkedIn", None, id="social-lnkd.in"),
    pytest.param("https://www.linkedin.com/feed/", PAGE, "social", "LinkedIn", None, id="linkedin"),
    pytest.param("https://old.reddit.com/r/x", PAGE, "social", "Reddit", None, id="social-reddit"),
    pytest.param("https://youtu.be/abc", PAGE, "social", "YouTube", None, id="social-youtu.be"),
    pytest.param("https://www.tiktok.com/@a", PAGE, "social", "TikTok", None, id="social-tiktok"),
    pytest.param("https://www.pinterest.fr/pin/", PAGE, "social", "Pinterest", None, id="pin"),
    pytest.param("https://web.whatsapp.com/", PAGE, "social", "WhatsApp", None, id="whatsapp"),
    pytest.param(
        "https://forum.example.net/t/1", f"{PAGE}?utm_medium=social", "social", None, None,
        id="social-utm-medium",
    ),
    pytest.param("https://news.ycombinator.com/", PAGE, "unknown", None, None, id="unknown-site"),
    pytest.param("https://www.googleblog.example/", PAGE, "unknown", None, None, id="not-google"),
    pytest.param(
        "android-app://com.google.android.gm/", PAGE, "unknown", None, None, id="unknown-scheme",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("url", "page", "medium", "name", "keywords"), REFERRERS)
def test_referrer_medium(
    url: str, page: str, medium: str, name: str | None, keywords: str | None
) -> None:
    found = referrer(url, page, campaign(page))
    assert found is not None
    assert (found.url, found.medium, found.name, found.keywords) == (url, medium, name, keywords)


def test_referrer_parts_are_parsed_like_a_page() -> None:
    found = referrer("https://www.google.co.uk/search?q=shoes#frag", PAGE, None)
    assert found is not None
    assert (found.domain, found.hostname, found.pathname) == (
        "google.co.uk",
        "www.google.co.uk",
        "/search",
    )
    assert (found.query_string, found.fragment) == ("q=shoes", "frag")


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ],
)
def test_no_referrer(url: str | None) -> None:
    assert referrer(url, PAGE, campaign(f"{PAGE}?gclid=1")) is None


# -- user agents ---------------------------------------------------------------------------------

UA_CASES = [
    # (user agent, browser family and version, category, os family and version, maker, model)
    pytest.param(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        ("Chrome", "124.0.0.0"), "desktop", ("Windows", "10"), None, None,
        id="desktop-chrome-windows",
    ),
    pytest.param(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        ("Safari", "17.4"), "desktop", ("Mac OS X", "10.15.7"), "Apple", "Mac",
        id="desktop-safari-mac",
    ),
    pytest.param(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        ("Mobile Safari", "17.4"), "mobile", ("iOS", "17.4"), "Apple", "iPhone",
        id="iphone-safari",
    ),
    pytest.param(
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/16.6 Mobile/15E148 Safari/604.1",
        ("Mobile Safari", "16.6"), "tablet", ("iOS", "16.6"), "Apple", "iPad",
        id="ipad",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36",
        ("Chrome Mobile", "124.0.0.0"), "mobile", ("Android", "14"), "Samsung", "SM-S918B",
        id="android-phone",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36",
        ("Chrome Mobile", "124.0.0.0"), "mobile", ("Android", "10"), None, None,
        id="android-phone-reduced-ua",
    ),
    pytest.param(
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/123.0.0.0 Safari/537.36",
        ("Chrome", "123.0.0.0"), "tablet", ("Android", "13"), None, "SM-X710",
        id="android-tablet",
    ),
    pytest.param(
        "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
        ("Firefox Mobile", "125.0"), "tablet", ("Android", "14"), None, None,
        id="android-tablet-firefox",
    ),
    pytest.param(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ("Googlebot", "2.1"), "other", (None, None), None, None,
        id="bot",
    ),
    pytest.param(
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
        ("Samsung Internet", "4.0"), "other", ("Tizen", "6.0"), "Samsung", "SMART-TV",
        id="smart-tv",
    ),
    pytest.param(
        "%%% not a user agent %%%", (None, None), "other", (None, None), None, None, id="garbage",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("ua", "browser", "category", "system", "manufacturer", "model"), UA_CASES)
def test_user_agent(
    ua: str,
    browser: tuple[str | None, str | None],
    category: str,
    system: tuple[str | None, str | None],
    manufacturer: str | None,
    model: str | None,
) -> None:
    found_browser, device = user_agent(ua)
    assert (found_browser.family, found_browser.version) == browser
    assert device.category == category
    assert device.is_mobile is (category in ("mobile", "tablet"))
    assert (device.os_family, device.os_version) == system
    assert (device.manufacturer, device.type) == (manufacturer, model)


@pytest.mark.parametrize("ua", [None, "", "  \t"])
def test_empty_user_agent_gives_empty_records(ua: str | None) -> None:
    assert user_agent(ua) == (Browser(), Device())


def test_user_agent_parses_are_cached() -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
    assert user_agent(ua) is user_agent(f" {ua} ")


# -- GeoIP ---------------------------------------------------------------------------------------

LONDON: dict[str, Any] = {
    "city": {"geoname_id": 2643743, "names": {"en": "London", "de": "London"}},
    "country": {
        "iso_code": "GB",
        "names": {"en": "United Kingdom", "de": "Vereinigtes Königreich"},
    },
    "location": {"latitude": 51.5142, "longitude": -0.0931, "time_zone": "Europe/London"},
    "postal": {"code": "EC4"},
    "subdivisions": [
        {"iso_code": "ENG", "names": {"en": "England", "de": "England"}},
        {"iso_code": "WSM", "names": {"en": "Westminster"}},
    ],
}
JAPAN: dict[str, Any] = {
    "registered_country": {"iso_code": "JP", "names": {"en": "Japan"}},
    "location": {"latitude": 35.68536, "longitude": 139.75309, "time_zone": "Asia/Tokyo"},
}
LONDON_GEO = Geolocation(
    country="GB",
    country_name="United Kingdom",
    region="GB-ENG",
    region_name="England",
    locality="London",
    postal_code="EC4",
    latitude=51.5142,
    longitude=-0.0931,
    timezone="Europe/London",
    source="geoip",
)
JAPAN_GEO = Geolocation(
    country="JP",
    country_name="Japan",
    latitude=35.68536,
    longitude=139.75309,
    timezone="Asia/Tokyo",
    source="geoip",
)


def write_city_db(path: Path, networks: dict[str, dict[str, Any]], *, ip_version: int = 6) -> Path:
    writer = MMDBWriter(
        ip_version=ip_version,
        database_type="GeoLite2-City",
        languages=["en", "de"],
        description="journeyline test networks",
        ipv4_compatible=ip_version == 6,
    )
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    # 10.0.0.0/8 is in the file too, to show that private addresses are never looked up.
    networks = {"81.2.69.0/24": LONDON, "2001:218::/32": JAPAN, "10.0.0.0/8": LONDON}
    return write_city_db(tmp_path / "city.mmdb", networks)


GEO_CASES = [
    pytest.param("81.2.69.142", LONDON_GEO, id="ipv4-found"),
    pytest.param(" 81.2.69.1 ", LONDON_GEO, id="ipv4-found-with-spaces"),
    pytest.param("::ffff:81.2.69.142", LONDON_GEO, id="ipv4-mapped-ipv6"),
    pytest.param("2001:218::1", JAPAN_GEO, id="ipv6-found-registered-country-only"),
    pytest.param("8.8.8.8", None, id="not-in-database"),
    pytest.param("2a00:1450::1", None, id="ipv6-not-in-database"),
    pytest.param("10.1.2.3", None, id="private-even-when-in-database"),
    pytest.param("192.168.1.10", None, id="private"),
    pytest.param("127.0.0.1", None, id="loopback"),
    pytest.param("::1", None, id="ipv6-loopback"),
    pytest.param("fe80::1", None, id="link-local"),
    pytest.param("not-an-ip", None, id="invalid"),
    pytest.param("999.1.2.3", None, id="invalid-octet"),
    pytest.param("", None, id="empty"),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("ip", "expected"), GEO_CASES)
def test_geo_lookup(city_db: Path, ip: str | None, expected: Geolocation | None) -> None:
    geo = GeoLookup(city_db)
    try:
        assert geo.lookup(ip) == expected
    finally:
        geo.close()


def test_geo_names_in_the_configured_language_fall_back_to_english(city_db: Path) -> None:
    geo = GeoLookup(str(city_db), language="de")
    found = geo.lookup("81.2.69.142")
    geo.close()
    assert found is not None
    assert (found.country_name, found.region_name, found.locality) == (
        "Vereinigtes Königreich",
        "England",
        "London",
    )


def test_no_database_configured_means_no_geolocation() -> None:
    geo = GeoLookup(None)
    assert geo.lookup("81.2.69.142") is None
    geo.close()


def test_ipv6_in_an_ipv4_only_database_is_not_an_error(tmp_path: Path) -> None:
    db = write_city_db(tmp_path / "v4.mmdb", {"81.2.69.0/24": LONDON}, ip_version=4)
    geo = GeoLookup(db)
    assert geo.lookup("81.2.69.142") == LONDON_GEO
    assert geo.lookup("2001:218::1") is None
    geo.close()


def test_a_closed_lookup_finds_nothing(city_db: Path) -> None:
    geo = GeoLookup(city_db)
    geo.close()
    geo.close()
    assert geo.lookup("81.2.69.142") is None


def test_a_corrupt_database_fails_at_construction(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"this is not a maxmind database")
    with pytest.raises(maxminddb.InvalidDatabaseError):
        GeoLookup(bad)


# -- IP collection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "collect", "expected"),
    [
        ("81.2.69.142", True, "81.2.69.142"),
        ("81.2.69.142", False, None),
        (" 10.0.0.7 ", True, "10.0.0.7"),
        ("2001:DB8:0:0::0001", True, "2001:db8::1"),
        ("2001:db8::1", False, None),
        ("garbage", True, None),
        (None, True, None),
    ],
)
def test_enrich_ip(ip: str | None, collect: bool, expected: str | None) -> None:
    assert enrich_ip(ip, collect) == expected
