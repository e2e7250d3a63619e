"""Criteria: the operators in tables, keys, context patterns (core/criteria.py)."""

from __future__ import annotations

import pytest

from journeyline.core import criteria
from journeyline.core.criteria import (
    Value,
    as_number,
    context_matches,
    context_of,
    criterion_matches,
    known_context_key,
    known_event_key,
    read_key,
    value_matches,
)
from journeyline.model.definitions import OPERATORS, ContextPattern, Criterion, Operator, StreamType
from journeyline.model.web import Browser, Campaign, Device, Geolocation, Page, WebSession


def crit(operator: Operator, *values: str, ignore_case: bool = False) -> Criterion:
    return Criterion("k", values, operator, ignore_case)


# (operator, values, ignore_case, attribute value, expected)
CASES: list[tuple[Operator, tuple[str, ...], bool, Value | None, bool]] = [
    # equal: exact text, any of the values
    ("equal", ("Sales",), False, "Sales", True),
    ("equal", ("Sales",), False, "sales", False),
    ("equal", ("Sales",), True, "sales", True),
    ("equal", ("Support", "Sales"), False, "Sales", True),
    ("equal", ("Sales",), False, "Sales team", False),
    ("equal", ("60",), False, 60, True),
    ("equal", ("60.0",), False, 60, True),
    ("equal", ("60",), False, "60.0", False),  # a text attribute compares as text
    ("equal", ("true",), False, True, True),
    ("equal", ("TRUE",), False, True, True),  # booleans in any case
    ("equal", ("false",), False, True, False),
    ("equal", ("1",), False, True, False),  # a boolean is no number
    # notEqual: has the attribute, and it is none of the values
    ("notEqual", ("Sales",), False, "Support", True),
    ("notEqual", ("Sales",), False, "Sales", False),
    ("notEqual", ("Sales",), False, "sales", True),
    ("notEqual", ("Sales",), True, "sales", False),
    ("notEqual", ("Sales", "Support"), False, "Support", False),
    ("notEqual", ("60",), False, 60, False),
    # containsAll: every value is a substring
    ("containsAll", ("red", "boots"), False, "red leather boots", True),
    ("containsAll", ("red", "boots"), False, "red shoes", False),
    ("containsAll", ("Red",), False, "red boots", False),
    ("containsAll", ("Red", "BOOTS"), True, "red boots", True),
    ("containsAll", ("/checkout",), False, "https://shop/checkout/pay", True),
    ("containsAll", ("6",), False, 60, True),  # numbers as their text
    # containsAny: some value is a substring
    ("containsAny", ("boots", "hats"), False, "red boots", True),
    ("containsAny", ("boots", "hats"), False, "red shoes", False),
    ("containsAny", ("BOOTS",), False, "red boots", False),
    ("containsAny", ("BOOTS",), True, "red boots", True),
    # notContainsAll: not every value is a substring
    ("notContainsAll", ("red", "boots"), False, "red shoes", True),
    ("notContainsAll", ("red", "boots"), False, "red boots", False),
    ("notContainsAll", ("RED", "BOOTS"), True, "red boots", False),
    ("notContainsAll", ("RED", "BOOTS"), False, "red boots", True),
    # notContainsAny: no value is a substring
    ("notContainsAny", ("boots", "hats"), False, "red shoes", True),
    ("notContainsAny", ("boots", "hats"), False, "red hats", False),
    ("notContainsAny", ("HATS",), False, "red hats", True),
    ("notContainsAny", ("HATS",), True, "red hats", False),
    # startsWith / endsWith: any value
    ("startsWith", ("https://shop",), False, "https://shop/boots", True),
    ("startsWith", ("HTTPS://SHOP",), False, "https://shop/boots", False),
    ("startsWith", ("HTTPS://SHOP",), True, "https://shop/boots", True),
    ("startsWith", ("ftp:", "https:"), False, "https://shop/boots", True),
    ("startsWith", ("shop",), False, "https://shop/boots", False),
    ("endsWith", ("/pay",), False, "https://shop/checkout/pay", True),
    ("endsWith", ("/PAY",), False, "https://shop/checkout/pay", False),
    ("endsWith", ("/PAY",), True, "https://shop/checkout/pay", True),
    ("endsWith", ("/cart", "/pay"), False, "https://shop/checkout/pay", True),
    ("endsWith", ("0",), False, 60, True),
    # numeric: numbers, and texts that are numbers; "10" > "9" numerically
    ("greaterThan", ("60",), False, 61, True),
    ("greaterThan", ("60",), False, 60, False),
    ("greaterThan", ("60",), False, 59.5, False),
    ("greaterThan", ("9",), False, "10", True),
    ("greaterThan", ("9",), True, "10", True),
    ("greaterThan", ("9",), False, " 10 ", True),
    ("greaterThan", ("1e2",), False, 101, True),
    ("greaterThan", ("60",), False, "sixty", False),
    ("greaterThan", ("0",), False, True, False),  # a boolean never matches a number
    ("greaterThan", ("0",), False, "10s", False),
    ("greaterThan", ("0",), False, "nan", False),
    ("greaterThan", ("0",), False, "inf", False),
    ("greaterThan", ("100", "50"), False, 60, True),  # any value
    ("greaterThanOrEqual", ("60",), False, 60, True),
    ("greaterThanOrEqual", ("60",), False, "60.0", True),
    ("greaterThanOrEqual", ("60",), False, 59, False),
    ("greaterThanOrEqual", ("60",), False, "abc", False),
    ("greaterThanOrEqual", ("60",), True, "60", True),
    ("lessThan", ("10",), False, "9", True),
    ("lessThan", ("10",), False, 10, False),
    ("lessThan", ("10",), False, -3, True),
    ("lessThan", ("10",), False, "", False),
    ("lessThan", ("10",), True, "9.99", True),
    ("lessThanOrEqual", ("10",), False, 10, True),
    ("lessThanOrEqual", ("10",), False, 10.5, False),
    ("lessThanOrEqual", ("10",), True, "ten", False),
    # integers past 2**53 compare exactly (as floats 2**53 + 1 is 2**53)
    ("greaterThan", ("9007199254740992",), False, 9007199254740993, True),
    ("greaterThan", ("9007199254740992",), False, "9007199254740993", True),
    ("lessThan", ("9223372036854775807",), False, 9223372036854775806, True),
    ("greaterThanOrEqual", ("9007199254740993",), False, 9007199254740992.0, False),
    ("equal", ("9007199254740992",), False, 9007199254740993, False),
    ("notEqual", ("9007199254740992",), False, 9007199254740993, True),
    ("equal", ("9007199254740993.0",), False, 9007199254740993, False),  # a float: 2**53
    ("equal", ("60",), False, 60.0, True),
    ("greaterThan", ("1" + "0" * 300,), False, 5, False),  # past any float, and no overflow
    ("lessThan", ("1" + "0" * 300,), False, 5, True),
    # digits of other scripts are no number, as the intake says ('١٢' is not 12)
    ("greaterThan", ("10",), False, "\u0661\u0662", False),
    ("lessThan", ("\u0661\u0662",), False, 5, False),
    # a number attribute equals the text of the same number: 60.5 is "60.50", 2**64 the float
    ("equal", ("60.50",), False, 60.5, True),
    ("equal", ("18446744073709551616",), False, 2.0**64, True),
    # a list attribute: positive if some element matches, negative if none does
    ("equal", ("boots",), False, ("hats", "boots"), True),
    ("equal", ("shoes",), False, ("hats", "boots"), False),
    ("notEqual", ("boots",), False, ("hats", "boots"), False),
    ("notEqual", ("shoes",), False, ("hats", "boots"), True),
    ("containsAny", ("oot",), False, ["hats", "boots"], True),
    ("greaterThan", ("5",), False, ("1", "9"), True),
    ("equal", ("boots",), False, (), False),
]


@pytest.mark.parametrize(("operator", "values", "ignore_case", "value", "expected"), CASES)
def test_operators(
    operator: Operator, values: tuple[str, ...], ignore_case: bool, value: Value, expected: bool
) -> None:
    assert value_matches(crit(operator, *values, ignore_case=ignore_case), value) is expected


def test_the_table_covers_every_operator_with_and_without_ignore_case() -> None:
    covered = {(op, ic) for op, _, ic, _, _ in CASES}
    assert covered == {(op, ic) for op in OPERATORS for ic in (False, True)}


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("ignore_case", [False, True])
def test_a_missing_attribute_matches_no_operator(operator: Operator, ignore_case: bool) -> None:
    assert value_matches(crit(operator, "x", ignore_case=ignore_case), None) is False


@pytest.mark.parametrize(
    ("text", "number"),
    [("10", 10.0), ("-2.5", -2.5), (".5", 0.5), ("1e3", 1000.0), (" 7 ", 7.0), ("0x10", None)],
)
def test_as_number(text: str, number: float | None) -> None:
    assert as_number(text) == number


@pytest.mark.parametrize(
    ("attributes", "key", "expected"),
    [
        ({"page.url": "https://a/"}, "page.url", "https://a/"),
        ({"page": {"url": "https://a/"}}, "page.url", "https://a/"),
        ({"attributes.sku": "A1"}, "attributes.sku", "A1"),
        ({"waitSeconds": 61}, "waitSeconds", 61),
        ({"page": {"url": "https://a/"}}, "page.title", None),
        ({"page": "https://a/"}, "page.url", None),
        ({"page": {"url": {"x": 1}}}, "page.url", None),
        ({}, "queue.name", None),
    ],
)
def test_read_key(attributes: dict[str, object], key: str, expected: Value | None) -> None:
    assert read_key(attributes, key) == expected


@pytest.mark.parametrize(
    ("stream", "key", "known"),
    [
        ("Web", "page.url", True),
        ("Web", "page.hostname", True),
        ("Web", "page.keywords", True),
        ("Web", "searchQuery", True),
        ("Web", "attributes.sku", True),
        ("Web", "attributes.", False),
        ("Web", "queue.name", False),
        ("App", "screenName", True),
        ("App", "attributes.level", True),
        ("Custom", "attributes.parcel", True),
        ("Custom", "page.url", False),
        ("Conversation", "queue.name", True),
        ("Conversation", "endedBy", True),
        ("Conversation", "waitSeconds", True),
        ("Conversation", "wrapupCode.name", True),
        ("Conversation", "attributes.x", False),
        ("Conversation", "page.url", False),
    ],
)
def test_known_event_keys(stream: StreamType, key: str, known: bool) -> None:
    assert known_event_key(stream, key) is known


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("geolocation.postalCode", True),
        ("device.category", True),
        ("browser.family", True),
        ("mktCampaign.source", True),
        ("referrer.medium", True),
        ("page.url", False),
        ("geolocation.zip", False),
    ],
)
def test_known_context_keys(key: str, known: bool) -> None:
    assert known_context_key(key) is known


def _session() -> WebSession:
    return WebSession(
        id="s1",
        type="web",
        customer_cookie_id="c1",
        deployment_id="d1",
        created_ms=1_000,
        last_event_ms=61_000,
        event_count=3,
        pageview_count=2,
        screenview_count=0,
        visit_count=1,
        last_page=Page(
            "https://shop.example.com/boots", title="Boots", hostname="shop.example.com"
        ),
        last_screen=None,
        search_terms=("red boots",),
        referrer=None,
        campaign=Campaign(name="spring", source="news"),
        browser=Browser(family="Chrome", version="120"),
        device=Device(category="desktop", is_mobile=False, screen_width=1920),
        geolocation=Geolocation(country="GB", postal_code="SW1A 1AA"),
        ip_address=None,
        user_agent=None,
        authenticated=False,
        last_event_id="e3",
        last_event_name="page_viewed",
    )


def test_context_of_a_web_session_is_flat_and_keyed_as_criteria_know() -> None:
    context = context_of(_session())
    assert context["geolocation.postalCode"] == "SW1A 1AA"
    assert context["device.isMobile"] is False
    assert context["device.screenWidth"] == 1920
    assert context["mktCampaign.source"] == "news"
    assert context["lastPage.title"] == "Boots"
    assert context["searchTerms"] == ("red boots",)
    assert context["durationInSeconds"] == 60
    assert "geolocation.region" not in context  # unknown values are absent, not empty
    assert set(context) <= criteria.CONTEXT_KEYS


def ctx(key: str, operator: Operator, *values: str, ignore_case: bool = False) -> Criterion:
    return Criterion(key, values, operator, ignore_case, "visit")


UK_DESKTOP = ContextPattern(
    (
        ctx("geolocation.country", "equal", "gb", ignore_case=True),
        ctx("device.category", "equal", "desktop"),
    )
)
CHROME = ContextPattern((ctx("browser.family", "startsWith", "Chrome"),))
MOBILE = ContextPattern((ctx("device.category", "equal", "mobile"),))
NEWS = ContextPattern(
    (ctx("mktCampaign.source", "equal", "news"), ctx("pageviewCount", "greaterThan", "1"))
)


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ((), True),
        ((UK_DESKTOP,), True),
        ((UK_DESKTOP, CHROME), True),  # patterns AND-ed
        ((UK_DESKTOP, MOBILE), False),
        ((MOBILE,), False),
        ((NEWS,), True),  # criteria within a pattern AND-ed
        (
            (
                ContextPattern(
                    (
                        ctx("mktCampaign.source", "equal", "news"),
                        ctx("pageviewCount", "greaterThan", "2"),
                    )
                ),
            ),
            False,
        ),
        ((ContextPattern((ctx("geolocation.region", "notEqual", "x"),)),), False),  # absent
    ],
)
def test_context_patterns(patterns: tuple[ContextPattern, ...], expected: bool) -> None:
    assert context_matches(patterns, context_of(_session())) is expected


def test_criterion_matches_reads_its_key() -> None:
    c = Criterion("queue.name", ("sales",), "equal", True)
    assert criterion_matches(c, {"queue.name": "Sales"})
    assert not criterion_matches(c, {"queue.id": "Sales"})
