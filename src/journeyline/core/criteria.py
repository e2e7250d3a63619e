"""Criteria: the twelve Genesys operators, the keys each stream offers, context patterns.

A criterion (``model.definitions.Criterion``) tests one attribute of an event or of a visit
against a list of string values. The semantics, decided here and documented in
docs/definitions.md:

- **Missing**: an attribute the event (or visit) does not have matches *no* operator, not even
  the negative ones: ``notEqual`` means "has the attribute, and it is none of the values".
- **Case**: exact unless ``should_ignore_case``; then both sides are compared case-folded.
- **Lists of values**: ``equal``, ``startsWith``, ``endsWith`` and the numeric operators hold
  when they hold for *any* value; ``containsAny`` when the attribute contains any value,
  ``containsAll`` when it contains every one. ``notX`` is the negation of ``X``.
- **contains***: each value is a phrase looked for as a substring of the attribute's text
  (``page.url containsAny /checkout`` holds on ``https://shop/checkout/pay``).
- **Numbers**: the numeric operators compare numbers: a number attribute, or a text that is a
  decimal number (``"10"`` > ``"9"``); anything else (text, a boolean) never matches them.
  Integers compare exactly (``9007199254740993`` > ``"9007199254740992"``, equal as floats).
  ``equal`` compares text, except that a number attribute equals a value naming the same
  number (``60`` equals ``"60.0"``) and a boolean attribute equals ``true``/``false`` in any
  case.
- **List attributes** (``page.breadcrumb``, ``searchTerms``): a positive operator holds when
  it holds for some element; its negation when it holds for none.

Keys are dotted paths (``page.url``, ``geolocation.postalCode``, ``attributes.sku``); the
vocabulary per stream is :data:`EVENT_KEYS` plus ``attributes.<name>`` where custom
attributes exist, and :data:`CONTEXT_KEYS` for context (visit) criteria.
"""

from __future__ import annotations

import math
import operator as operator_
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from journeyline.model.definitions import ContextPattern, Criterion, Operator, StreamType
from journeyline.model.web import WebSession

Scalar = str | int | float | bool
#: An attribute's value as criteria read it: a scalar or a list of scalars.
Value = Scalar | tuple[Scalar, ...] | list[Scalar]

ATTRIBUTE_PREFIX = "attributes."

_PAGE = ("url", "title", "domain", "hostname", "pathname", "queryString", "fragment")
_PAGE_ALL = (*_PAGE, "keywords", "lang", "breadcrumb")
_REFERRER = (*_PAGE, "keywords", "name", "medium")
_CAMPAIGN = ("name", "source", "medium", "term", "content", "clickId", "network")

#: Keys of a visit (context criteria, ``entityType`` ``visit``): the Genesys Session fields a
#: web or app session fills (``model.web.WebSession``), as :func:`context_of` flattens them.
CONTEXT_KEYS: frozenset[str] = frozenset(
    [f"browser.{k}" for k in ("family", "version", "lang")]
    + [
        f"device.{k}"
        for k in (
            "category",
            "type",
            "isMobile",
            "osFamily",
            "osVersion",
            "manufacturer",
            "screenHeight",
            "screenWidth",
            "screenDensity",
        )
    ]
    + [
        f"geolocation.{k}"
        for k in (
            "country",
            "countryName",
            "region",
            "regionName",
            "locality",
            "postalCode",
            "timezone",
            "source",
            "latitude",
            "longitude",
        )
    ]
    + [f"mktCampaign.{k}" for k in _CAMPAIGN]
    + [f"referrer.{k}" for k in _REFERRER]
    + [f"lastPage.{k}" for k in _PAGE_ALL]
    + [
        "ipAddress",
        "userAgentString",
        "searchTerms",
        "eventCount",
        "pageviewCount",
        "screenviewCount",
        "visitCount",
        "durationInSeconds",
        "authenticated",
        "lastScreen",
        "type",
    ]
)

#: Keys of an event, per stream (besides ``attributes.<name>`` where :data:`CUSTOM_ATTRIBUTES`).
#: Conversation keys are docs/conversation-events.md's attributes.
EVENT_KEYS: Mapping[StreamType, frozenset[str]] = {
    "Web": frozenset(
        [f"page.{k}" for k in _PAGE_ALL] + [f"referrer.{k}" for k in _REFERRER] + ["searchQuery"]
    ),
    "App": frozenset(
        ["screenName", "searchQuery"]
        + [f"app.{k}" for k in ("name", "namespace", "version", "buildNumber")]
    ),
    "Custom": frozenset(),
    "Conversation": frozenset(
        {
            "queue.id",
            "queue.name",
            "agent.id",
            "agent.name",
            "mediaType",
            "messageType",
            "direction",
            "waitSeconds",
            "talkSeconds",
            "disconnectType",
            "acdOutcome",
            "endedBy",
            "wrapupCode.id",
            "wrapupCode.name",
        }
    ),
}

#: The streams whose events carry custom attributes (``attributes.<name>``).
CUSTOM_ATTRIBUTES: frozenset[StreamType] = frozenset({"Web", "App", "Custom"})


def known_event_key(stream_type: StreamType, key: str) -> bool:
    """Whether events of ``stream_type`` can have ``key``."""
    if stream_type in CUSTOM_ATTRIBUTES and key.startswith(ATTRIBUTE_PREFIX):
        return len(key) > len(ATTRIBUTE_PREFIX)
    return key in EVENT_KEYS[stream_type]


def known_context_key(key: str) -> bool:
    """Whether a visit can have ``key``."""
    return key in CONTEXT_KEYS


# -- reading a key ------------------------------------------------------------------------------


def _is_value(value: object) -> bool:
    if isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, tuple | list):
        return all(isinstance(v, str | int | float | bool) for v in value)
    return False


def read_key(attributes: Mapping[str, object], key: str) -> Value | None:
    """The value of a dotted ``key``: the flat entry ``key`` when there is one (events and
    :func:`context_of` are flat), else the path through nested mappings. ``None`` when absent
    (or not a scalar or a list of scalars)."""
    found: object = attributes.get(key)
    if found is None and "." in key:
        node: object = attributes
        for part in key.split("."):
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        found = node
    if found is None or not _is_value(found):
        return None
    return found  # type: ignore[return-value]  # checked by _is_value


# -- operators ------------------------------------------------------------------------------------

#: The text of an integer, read as one up to this many characters (longer: as a float).
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits, as the intake takes (not ١٢)
_INTEGER_DIGITS = 400
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NEGATION: Mapping[Operator, Operator] = {
    "notEqual": "equal",
    "notContainsAll": "containsAll",
    "notContainsAny": "containsAny",
}


def as_number(value: Scalar) -> int | float | None:
    """A number attribute, or a text that is a decimal number; else ``None`` (booleans too).

    An integer, or the text of one, stays an integer: Python compares an int with an int or a
    float exactly, so ``9007199254740993`` is above ``"9007199254740992"`` (as floats both are
    2**53)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= _INTEGER_DIGITS and _INTEGER.fullmatch(text):
            return int(text)
        if not _NUMBER.fullmatch(text):
            return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


ScalarTest = Callable[[Scalar], bool]


def _positive(operator: Operator, values: tuple[str, ...], fold: bool) -> ScalarTest:
    """The test of one scalar for a positive operator."""
    norm: Callable[[str], str] = str.casefold if fold else (lambda s: s)
    texts = tuple(norm(v) for v in values)
    if operator in ("greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"):
        bounds = tuple(n for n in (as_number(v) for v in values) if n is not None)
        compare: Callable[[int | float, int | float], bool] = {
            "greaterThan": operator_.gt,
            "greaterThanOrEqual": operator_.ge,
            "lessThan": operator_.lt,
            "lessThanOrEqual": operator_.le,
        }[operator]

        def numeric(value: Scalar) -> bool:
            number = as_number(value)
            return number is not None and any(compare(number, b) for b in bounds)

        return numeric
    if operator == "equal":
        numbers = frozenset(n for n in (as_number(v) for v in values) if n is not None)
        folded = frozenset(v.casefold() for v in values)
        exact = frozenset(texts)

        def equal(value: Scalar) -> bool:
            if isinstance(value, bool):
                return _text(value) in folded
            if isinstance(value, int | float) and value in numbers:  # 60 == 60.0, exactly
                return True
            return norm(_text(value)) in exact

        return equal
    if operator == "containsAll":
        return lambda value: all(t in norm(_text(value)) for t in texts)
    if operator == "containsAny":
        return lambda value: any(t in norm(_text(value)) for t in texts)
    if operator == "startsWith":
        return lambda value: norm(_text(value)).startswith(texts)
    if operator == "endsWith":
        return lambda value: norm(_text(value)).endswith(texts)
    raise ValueError(f"not a positive operator: {operator}")  # pragma: no cover


ValueTest = Callable[[Value | None], bool]


@lru_cache(maxsize=8192)
def matcher(operator: Operator, values: tuple[str, ...], should_ignore_case: bool) -> ValueTest:
    """The compiled test of an attribute value (``None``: absent) for one criterion."""
    negated = operator in _NEGATION
    test = _positive(_NEGATION.get(operator, operator), values, should_ignore_case)

    def run(value: Value | None) -> bool:
        if value is None:
            return False
        if isinstance(value, tuple | list):
            if not value:
                return False
            hit = any(test(v) for v in value)
        else:
            hit = test(value)
        return hit != negated

    return run


def value_matches(criterion: Criterion, value: Value | None) -> bool:
    """Whether an attribute value (``None``: absent) satisfies ``criterion``."""
    return matcher(criterion.operator, criterion.values, criterion.should_ignore_case)(value)


def criterion_matches(criterion: Criterion, attributes: Mapping[str, object]) -> bool:
    """Whether the attribute ``criterion.key`` of ``attributes`` satisfies it."""
    return value_matches(criterion, read_key(attributes, criterion.key))


def all_match(criteria: Sequence[Criterion], attributes: Mapping[str, object]) -> bool:
    """Every criterion holds (true for none)."""
    return all(criterion_matches(c, attributes) for c in criteria)


# -- context ------------------------------------------------------------------------------------


def context_matches(patterns: Sequence[ContextPattern], context: Mapping[str, object]) -> bool:
    """Context patterns against a visit's attributes: every pattern, every criterion of each
    (true when there are no patterns)."""
    return all(all_match(p.criteria, context) for p in patterns)


def _put(out: dict[str, Value], prefix: str, pairs: Sequence[tuple[str, object]]) -> None:
    for name, value in pairs:
        if value is None or value == ():
            continue
        if isinstance(value, str | int | float | bool):
            out[f"{prefix}{name}"] = value
        elif isinstance(value, tuple):
            out[f"{prefix}{name}"] = tuple(str(v) for v in value)


def context_of(session: WebSession) -> dict[str, Value]:
    """A web or app session's visit attributes, flat, keyed as :data:`CONTEXT_KEYS`."""
    out: dict[str, Value] = {}
    if (b := session.browser) is not None:
        _put(out, "browser.", [("family", b.family), ("version", b.version), ("lang", b.lang)])
    if (d := session.device) is not None:
        _put(
            out,
            "device.",
            [
                ("category", d.category),
                ("type", d.type),
                ("isMobile", d.is_mobile),
                ("osFamily", d.os_family),
                ("osVersion", d.os_version),
                ("manufacturer", d.manufacturer),
                ("screenHeight", d.screen_height),
                ("screenWidth", d.screen_width),
                ("screenDensity", d.screen_density),
            ],
        )
    if (g := session.geolocation) is not None:
        _put(
            out,
            "geolocation.",
            [
                ("country", g.country),
                ("countryName", g.country_name),
                ("region", g.region),
                ("regionName", g.region_name),
                ("locality", g.locality),
                ("postalCode", g.postal_code),
                ("timezone", g.timezone),
                ("source", g.source),
                ("latitude", g.latitude),
                ("longitude", g.longitude),
            ],
        )
    if (c := session.campaign) is not None:
        _put(
            out,
            "mktCampaign.",
            [
                ("name", c.name),
                ("source", c.source),
                ("medium", c.medium),
                ("term", c.term),
                ("content", c.content),
                ("clickId", c.click_id),
                ("network", c.network),
            ],
        )
    if (r := session.referrer) is not None:
        _put(
            out,
            "referrer.",
            [
                ("url", r.url),
                ("domain", r.domain),
                ("hostname", r.hostname),
                ("pathname", r.pathname),
                ("queryString", r.query_string),
                ("fragment", r.fragment),
                ("keywords", r.keywords),
                ("name", r.name),
                ("medium", r.medium),
            ],
        )
    if (p := session.last_page) is not None:
        _put(
            out,
            "lastPage.",
            [
                ("url", p.url),
                ("title", p.title),
                ("domain", p.domain),
                ("hostname", p.hostname),
                ("pathname", p.pathname),
                ("queryString", p.query_string),
                ("fragment", p.fragment),
                ("keywords", p.keywords),
                ("lang", p.lang),
                ("breadcrumb", p.breadcrumb),
            ],
        )
    _put(
        out,
        "",
        [
            ("ipAddress", session.ip_address),
            ("userAgentString", session.user_agent),
            ("searchTerms", session.search_terms),
            ("eventCount", session.event_count),
            ("pageviewCount", session.pageview_count),
            ("screenviewCount", session.screenview_count),
            ("visitCount", session.visit_count),
            ("durationInSeconds", (session.last_event_ms - session.created_ms) // 1000),
            ("authenticated", session.authenticated),
            ("lastScreen", session.last_screen),
            ("type", session.type),
        ],
    )
    return out
