"""Each ingest adapter fuzzed (issue 10): arbitrary JSON-ish values, and valid samples with a
part replaced, removed or added, give a parsed record or our clear rejection (a
``JourneylineError`` with a 4xx status), never another exception. Deterministic
(``derandomize``) and small; the hostile cases found by hand are kept as files under
``tests/fixtures/fuzz/`` (``test_hostile_bodies.py`` drives them through the real routes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import T0, answered, page_pattern, web_event
from journeyline.ingest import (
    definitions,
    directory_file,
    enrich,
    genesys_detail,
    identifiers,
    segment,
)
from journeyline.ingest import genesys_web as web
from journeyline.model.contact import Deployment
from journeyline.model.errors import JourneylineError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE = sorted((FIXTURES / "fuzz").glob("*.json"))
SHOP = Deployment(id="d1", name="Shop", write_key="k", allow_all_domains=True)
COOKIE = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: JSON-ish leaves: the edges of each type (huge and tiny numbers, empty, control and
#: non-ASCII text, NUL).
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63) - 1, 2**70, 0, -1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "<img src=x>", "javascript:alert(1)", "x" * 5000])
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list indexes), the root first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _removed(value: Any, path: tuple[Any, ...]) -> Any:
    head, rest = path[0], path[1:]
    if rest:
        return _replaced(value, (head,), _removed(value[head], rest))
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != head}
    return [v for i, v in enumerate(value) if i != head]


@st.composite
def mutated(draw: st.DrawFn, sample: Any) -> Any:
    """``sample`` with one place replaced by any JSON-ish value, removed, or given a key."""
    path = draw(st.sampled_from(_paths(sample)))
    how = draw(st.sampled_from(["replace", "remove", "add"]))
    if how == "remove" and path:
        return _removed(sample, path)
    if how == "add":
        target: Any = sample
        for part in path:
            target = target[part]
        if isinstance(target, dict):
            extra = {**target, draw(st.text(max_size=12)): draw(json_values)}
            return _replaced(sample, path, extra)
    return _replaced(sample, path, draw(json_values))


def _either_parsed_or_refused(parse: Callable[[], object]) -> None:
    refused: JourneylineError | None = None
    try:
        parse()
    except JourneylineError as exc:
        refused = exc
    if refused is not None:
        assert 400 <= refused.status < 500, refused
        assert refused.message


# -- samples of each wire format ---------------------------------------------------------------

DETAIL = [
    json.loads(line) for line in (FIXTURES / "inbound-call-answered.jsonl").read_text().splitlines()
]
WEB = web_event(
    COOKIE,
    0,
    url="https://shop.example.com/p?utm_source=news",
    now_ms=T0,
    referrerUrl="https://www.google.com/search?q=linen",
    searchQuery="linen",
    attributes={"plan": {"dataType": "String", "value": "gold"}},
    traits={"email": {"dataType": "String", "value": "ann@example.com"}},
)
APP = {
    "customerCookieId": COOKIE,
    "eventName": "screen_viewed",
    "createdDate": WEB["createdDate"],
    "screenName": "Home",
    "app": {"name": "Shop"},
}
TRACK = {
    "type": "track",
    "event": "Order Completed",
    "anonymousId": COOKIE,
    "messageId": "m-1",
    "timestamp": WEB["createdDate"],
    "properties": {"total": 12, "url": "https://shop.example.com/thanks"},
    "context": {"page": {"url": "https://shop.example.com/", "referrer": "https://x.test/"}},
}
IDENTIFY = {"type": "identify", "userId": "u-1", "traits": {"email": "u@example.com"}}
DIRECTORY = {"queues": [{"id": "q-1", "name": "Sales"}], "users": [], "wrapupCodes": []}
PATTERN = page_pattern("/p")
SEGMENT = {"displayName": "Seen", "journey": {"patterns": [PATTERN]}}
TEMPLATE = {
    "name": "10%",
    "mediaType": "contentOffer",
    "contentOffer": {"displayMode": "Modal", "layoutMode": "TextOnly", "headline": "10%"},
}
ACTION_MAP = {
    "displayName": "Offer",
    "triggerWithEventConditions": [
        {**{k: PATTERN[k] for k in ("streamType", "sessionType", "eventName")}}
        | {"key": "page.url", "values": ["/p"], "operator": "containsAny"}
    ],
    "action": {"mediaType": "contentOffer", "actionTemplate": {"id": "t-1"}},
}


def _context() -> web.Context:
    return web.Context(SHOP, T0 + 1000, "198.51.100.7", "Mozilla/5.0", enrich.GeoLookup(None))


def _detail(item: Any) -> None:
    genesys_detail.parse_item(item)


def _detail_bytes(raw: bytes) -> None:
    for item in genesys_detail.decode_items(raw):
        genesys_detail.parse_item(item)


def _web(item: Any) -> None:
    web.parse_web(item, _context())


def _app(item: Any) -> None:
    web.parse_app(item, _context())


def _segment(message: Any) -> None:
    segment.parse_message(message, _context())


def _segment_shared(message: Any, shared: dict[str, Any]) -> None:
    segment.parse_message(message, _context(), shared_context=shared)


def _segment_bytes(raw: bytes) -> None:
    body = segment.decode_body(raw)
    if "batch" in body:
        messages, shared = segment.batch_messages(body)
        for message in messages:  # a batch answers each message: one refused is no error
            _either_parsed_or_refused(partial(_segment_shared, message, shared))
    else:
        segment.parse_message(body, _context())


def _directory(value: Any) -> None:
    directory_file.parse_directory(json.dumps(value).encode(), now_ms=T0)


def _definition(decode: Callable[..., object]) -> Callable[[Any], None]:
    def parse(value: Any) -> None:
        decode(json.dumps(value).encode(), id="x", now_ms=T0)

    return parse


#: adapter -> (its parse of a decoded value, its valid samples)
ADAPTERS: dict[str, tuple[Callable[[Any], None], list[Any]]] = {
    "genesys_detail": (_detail, DETAIL),
    "genesys_web.web": (_web, [WEB]),
    "genesys_web.app": (_app, [APP]),
    "segment": (_segment, [TRACK, IDENTIFY]),
    "directory_file": (_directory, [DIRECTORY]),
    "definitions.segment": (_definition(definitions.decode_segment), [SEGMENT]),
    "definitions.outcome": (_definition(definitions.decode_outcome), [SEGMENT]),
    "definitions.action_map": (_definition(definitions.decode_action_map), [ACTION_MAP]),
    "definitions.action_template": (_definition(definitions.decode_action_template), [TEMPLATE]),
}
#: adapter -> its parse of raw request bytes
BYTE_ADAPTERS: dict[str, Callable[[bytes], object]] = {
    "genesys_detail": _detail_bytes,
    "segment": _segment_bytes,
    "directory_file": lambda raw: directory_file.parse_directory(raw, now_ms=T0),
    "definitions.segment": lambda raw: definitions.decode_segment(raw, id="x", now_ms=T0),
    "definitions.action_map": lambda raw: definitions.decode_action_map(raw, id="x", now_ms=T0),
}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_the_valid_samples_parse(adapter: str) -> None:
    """What the fuzzing starts from is accepted (else every mutation is only a rejection)."""
    parse, samples = ADAPTERS[adapter]
    for sample in samples:
        parse(sample)


@pytest.mark.parametrize("adapter", ADAPTERS)
@FUZZ
@given(data=st.data())
def test_a_mutated_sample_is_parsed_or_refused_clearly(adapter: str, data: st.DataObject) -> None:
    parse, samples = ADAPTERS[adapter]
    sample = data.draw(st.sampled_from(samples))
    value = data.draw(mutated(sample))
    _either_parsed_or_refused(lambda: parse(value))


@pytest.mark.parametrize("adapter", ADAPTERS)
@FUZZ
@given(value=json_values)
def test_any_json_value_is_parsed_or_refused_clearly(adapter: str, value: Any) -> None:
    parse, _ = ADAPTERS[adapter]
    _either_parsed_or_refused(lambda: parse(value))


@pytest.mark.parametrize("adapter", BYTE_ADAPTERS)
@FUZZ
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_are_parsed_or_refused_clearly(adapter: str, raw: bytes) -> None:
    _either_parsed_or_refused(lambda: BYTE_ADAPTERS[adapter](raw))


def test_the_hostile_fixtures_are_kept() -> None:
    names = {path.stem for path in HOSTILE}
    assert {
        "deep-nesting",
        "huge-float",
        "huge-int",
        "invalid-utf8",
        "lone-surrogate",
        "nul-escape",
        "nul-byte",
        "long-string",
    } <= names


@pytest.mark.parametrize("adapter", BYTE_ADAPTERS)
@pytest.mark.parametrize("fixture", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_a_hostile_fixture_is_refused_clearly(adapter: str, fixture: Path) -> None:
    """Each fixture is a hostile JSON value; put where each adapter reads a string (the
    conversation id, the Segment event name, a queue's id, the display name), it is refused."""
    value = fixture.read_bytes().strip()
    bodies = {
        "genesys_detail": json.dumps(answered("HOLE").wire[0]).replace('"HOLE"', "@@"),
        "segment": json.dumps({**TRACK, "event": "HOLE"}).replace('"HOLE"', "@@"),
        "directory_file": json.dumps(DIRECTORY).replace('"q-1"', "@@"),
        "definitions.segment": json.dumps(SEGMENT).replace('"Seen"', "@@"),
        "definitions.action_map": json.dumps(ACTION_MAP).replace('"Offer"', "@@"),
    }
    raw = bodies[adapter].encode().replace(b"@@", value)
    with pytest.raises(JourneylineError) as refused:
        BYTE_ADAPTERS[adapter](raw)
    assert 400 <= refused.value.status < 500


# -- the helpers every adapter calls, on any text ----------------------------------------------

#: text as a client sends it: anything, or something shaped like what the helper expects
texts = st.text(max_size=300) | st.sampled_from(
    [
        "https://shop.example.com/p?utm_source=x&gclid=1#f",
        "http://[::1",
        "https://[bad]/x",
        "https://xn--ls8h.la/",
        "javascript:alert(1)",
        "tel:+15551585963",
        "+1 (555) 158-5963",
        "ann@example.com",
        "a@b",
        "198.51.100.7",
        "::ffff:10.0.0.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36",
    ]
)
HELPERS: dict[str, Callable[[str], object]] = {
    "enrich.parse_page": enrich.parse_page,
    "enrich.campaign": enrich.campaign,
    "enrich.referrer": lambda text: enrich.referrer(text, "https://shop.example.com/", None),
    "enrich.referrer of a page": lambda text: enrich.referrer("https://x.test/", text, None),
    "enrich.user_agent": enrich.user_agent,
    "enrich.enrich_ip": lambda text: enrich.enrich_ip(text, True),
    "identifiers.email": identifiers.normalise_email,
    "identifiers.phone": identifiers.normalise_phone,
    "identifiers.phone in a region": lambda text: identifiers.normalise_phone(text, region="FR"),
    "identifiers.of a type": lambda text: identifiers.normalise_identifier("Phone", text),
}


@pytest.mark.parametrize("helper", HELPERS)
@FUZZ
@given(text=texts)
def test_a_helper_takes_any_text_or_refuses_it_clearly(helper: str, text: str) -> None:
    _either_parsed_or_refused(partial(HELPERS[helper], text))
