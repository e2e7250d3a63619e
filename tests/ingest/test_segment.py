"""Segment-spec messages -> Genesys web events: the pure mapping, in tables."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from journeyline.clock import iso
from journeyline.ingest import genesys_web as web
from journeyline.ingest import segment
from journeyline.ingest.enrich import GeoLookup
from journeyline.model.contact import Deployment
from journeyline.model.errors import InvalidInput, PayloadTooLarge

NOW = 1_795_600_000_000
ANON = "0b6f5a34-9a9e-4f0c-8d1d-6c2a8f7b9e10"
DEPLOYMENT = Deployment(id="dep-1", name="Shop", write_key="wk-1")
OTHER_DEPLOYMENT = Deployment(id="dep-2", name="Other", write_key="wk-2")
URL = "https://shop.example.com/boots?utm_source=news&utm_campaign=spring"
PLUS_2 = timezone(timedelta(hours=2))
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def ctx(deployment: Deployment = DEPLOYMENT, *, ip: str | None = "198.51.100.7") -> web.Context:
    return web.Context(deployment, NOW, ip, None, GeoLookup(None))


def msg(kind: str = "track", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "anonymousId": ANON, "timestamp": iso(NOW - 60_000)}
    if kind == "track":
        base["event"] = "Order Completed"
    return {**base, **fields}


# -- small pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Order Completed", "order_completed"),
        ("order completed", "order_completed"),
        ("orderCompleted", "order_completed"),
        ("OrderCompleted", "order_completed"),
        ("HTTPRequest Sent", "http_request_sent"),
        ("already_snake", "already_snake"),
        ("Product-Added!", "product_added"),
        ("  Signed   Up  ", "signed_up"),
        ("Step 2 Done", "step_2_done"),
        ("Café Visited", "cafe_visited"),
        ("a__b", "a_b"),
        ("checkout.step.viewed", "checkout_step_viewed"),
    ],
)
def test_event_names_become_snake_case(name: str, expected: str) -> None:
    assert segment.snake_case(name) == expected
    assert web.EVENT_NAME.match(expected)


@pytest.mark.parametrize(("name", "message"), [("!!!", "no letters"), ("日本", "no letters")])
def test_event_names_without_letters_are_rejected(name: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        segment.snake_case(name)
    assert caught.value.field == "event"


def test_a_too_long_event_name_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="longer than 255"):
        segment.snake_case("x" * 256)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ANON, ANON),
        (ANON.upper(), ANON),
        ("{" + ANON + "}", ANON),
        ("anon-123", str(uuid.uuid5(segment.NAMESPACE, "anon-123"))),
        ("user@example.com", str(uuid.uuid5(segment.NAMESPACE, "user@example.com"))),
    ],
)
def test_cookie_ids_are_uuids_and_stable(value: str, expected: str) -> None:
    assert segment.cookie_id(value) == expected
    assert segment.cookie_id(value) == segment.cookie_id(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("EUR", {"dataType": "string", "value": "EUR"}),
        (True, {"dataType": "boolean", "value": True}),
        (3, {"dataType": "integer", "value": 3}),
        (42.5, {"dataType": "number", "value": 42.5}),
        ([{"sku": "A", "qty": 1}], {"dataType": "string", "value": '[{"sku":"A","qty":1}]'}),
        ({"city": "Leeds"}, {"dataType": "string", "value": '{"city":"Leeds"}'}),
        ([], {"dataType": "string", "value": "[]"}),
    ],
)
def test_values_are_typed_and_nested_ones_are_json_strings(value: Any, expected: Any) -> None:
    assert segment.typed({"x": value}, "properties") == {"x": expected}


def test_nulls_are_dropped_and_limits_hold() -> None:
    assert segment.typed({"a": None, "b": 1}, "properties") == {
        "b": {"dataType": "integer", "value": 1}
    }
    assert segment.typed(None, "properties") == {}
    with pytest.raises(InvalidInput, match="at most 100") as caught:
        segment.typed({f"p{i}": i for i in range(101)}, "properties")
    assert caught.value.field == "properties"
    with pytest.raises(InvalidInput, match="longer than 255"):
        segment.typed({"n" * 256: 1}, "properties")
    with pytest.raises(InvalidInput, match="must be an object"):
        segment.typed(["a"], "traits")


def test_the_key_is_the_deployment_and_message_id() -> None:
    key = segment.idempotency_key("dep-1", "m-1")
    assert key == segment.idempotency_key("dep-1", "m-1")
    assert key != segment.idempotency_key("dep-2", "m-1")
    assert key != segment.idempotency_key("dep-1", "m-2")
    assert len(key) == 32


# -- the mapping, call by call ---------------------------------------------------------------

MAPPINGS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "track",
        msg(
            "track",
            event="Order Completed",
            userId="u-1",
            properties={"revenue": 42.5, "currency": "EUR", "items": 2, "note": None},
        ),
        {
            "customerCookieId": ANON,
            "externalId": "u-1",
            "eventName": "order_completed",
            "attributes": {
                "revenue": {"dataType": "number", "value": 42.5},
                "currency": {"dataType": "string", "value": "EUR"},
                "items": {"dataType": "integer", "value": 2},
            },
        },
    ),
    (
        "track without anonymousId: the cookie comes from the userId",
        {"type": "track", "event": "Signed Up", "userId": "u-9", "timestamp": iso(NOW)},
        {
            "customerCookieId": str(uuid.uuid5(segment.NAMESPACE, "u-9")),
            "externalId": "u-9",
            "eventName": "signed_up",
        },
    ),
    (
        "track with a numeric userId",
        {"type": "track", "event": "x", "userId": 42, "timestamp": iso(NOW)},
        {"customerCookieId": str(uuid.uuid5(segment.NAMESPACE, "42")), "externalId": "42"},
    ),
    (
        "track takes its page from context.page",
        msg(
            "track",
            context={"page": {"url": URL, "title": "Boots", "referrer": "https://google.com/"}},
        ),
        {
            "page": {"url": URL, "title": "Boots"},
            "referrerUrl": "https://google.com/",
            "attributes": {},
        },
    ),
    (
        "track ignores a context.page.url that is not absolute",
        msg("track", context={"page": {"url": "/boots", "title": "Boots"}}),
        {"page": None, "referrerUrl": None},
    ),
    (
        "page from properties",
        msg(
            "page",
            name="Boots",
            category="Shop",
            properties={"url": URL, "title": "Boots | Shop", "path": "/boots", "size": 42},
        ),
        {
            "eventName": "page_viewed",
            "page": {"url": URL, "title": "Boots | Shop"},
            "attributes": {
                "size": {"dataType": "integer", "value": 42},
                "name": {"dataType": "string", "value": "Boots"},
                "category": {"dataType": "string", "value": "Shop"},
            },
        },
    ),
    (
        "page from context.page",
        msg("page", context={"page": {"url": URL, "title": "Boots", "path": "/boots"}}),
        {"eventName": "page_viewed", "page": {"url": URL, "title": "Boots"}},
    ),
    (
        "page without a url is kept, without a page",
        msg("page", name="Home"),
        {"eventName": "page_viewed", "page": None},
    ),
    (
        "screen with a url",
        msg("screen", name="Basket", properties={"url": URL}),
        {
            "eventName": "screen_viewed",
            "page": {"url": URL},
            "attributes": {"name": {"dataType": "string", "value": "Basket"}},
        },
    ),
    (
        "identify",
        msg(
            "identify",
            userId="u-1",
            traits={
                "email": "Ada@Example.com",
                "firstName": "Ada",
                "age": 36,
                "address": {"city": "Leeds"},
            },
        ),
        {
            "eventName": "identified",
            "externalId": "u-1",
            "traits": {
                "email": {"dataType": "string", "value": "Ada@Example.com"},
                "firstName": {"dataType": "string", "value": "Ada"},
                "age": {"dataType": "integer", "value": 36},
                "address": {"dataType": "string", "value": '{"city":"Leeds"}'},
            },
            "attributes": None,
        },
    ),
    (
        "alias: filed under the previous identity",
        {"type": "alias", "previousId": "anon-7", "userId": "u-1", "timestamp": iso(NOW)},
        {
            "eventName": "aliased",
            "customerCookieId": segment.cookie_id("anon-7"),
            "externalId": "u-1",
            "attributes": {
                "previousId": {"dataType": "string", "value": "anon-7"},
                "userId": {"dataType": "string", "value": "u-1"},
            },
        },
    ),
    (
        "context: locale and screen",
        msg("track", context={"locale": "en-GB", "screen": {"width": 1440, "height": 900.5}}),
        {"browser": {"lang": "en-GB"}, "device": {"screenWidth": 1440}},
    ),
]


@pytest.mark.parametrize(
    ("message", "expected"), [m[1:] for m in MAPPINGS], ids=[m[0] for m in MAPPINGS]
)
def test_messages_map_to_web_event_requests(
    message: dict[str, Any], expected: dict[str, Any]
) -> None:
    mapped = segment.to_web_request(message, NOW)
    for name, value in expected.items():
        assert mapped.request.get(name) == value, name
    # and the web pipeline takes it
    web.parse_web(mapped.request, ctx())


def test_the_route_gives_the_type() -> None:
    body = {"event": "Clicked", "anonymousId": ANON, "type": "identify"}
    assert segment.to_web_request(body, NOW, call="track").request["eventName"] == "clicked"


@pytest.mark.parametrize(
    ("fields", "expected_ms"),
    [
        ({"timestamp": iso(NOW - 5_000)}, NOW - 5_000),
        (
            {"timestamp": datetime.fromtimestamp((NOW - 3_000) / 1000, PLUS_2).isoformat()},
            NOW - 3_000,
        ),
        ({"originalTimestamp": iso(NOW - 7_000)}, NOW - 7_000),
        ({"receivedAt": iso(NOW - 9_000)}, NOW - 9_000),
        ({"timestamp": iso(NOW - 1_000), "originalTimestamp": iso(NOW - 2_000)}, NOW - 1_000),
        ({}, NOW),
    ],
)
def test_created_date_comes_from_timestamp_then_original_then_received_then_now(
    fields: dict[str, Any], expected_ms: int
) -> None:
    message = {"type": "track", "event": "x", "anonymousId": ANON, **fields}
    mapped = segment.to_web_request(message, NOW)
    assert mapped.request["createdDate"] == iso(expected_ms)


def test_message_id_user_agent_and_ip_travel_beside_the_request() -> None:
    mapped = segment.to_web_request(
        msg(messageId="m-1", context={"userAgent": CHROME, "ip": "203.0.113.9"}), NOW
    )
    assert (mapped.message_id, mapped.user_agent, mapped.ip) == ("m-1", CHROME, "203.0.113.9")


# -- bad messages ----------------------------------------------------------------------------

BAD: list[tuple[str, Any, str, str | None]] = [
    ("not an object", ["x"], "must be a JSON object", None),
    ("no type", {"anonymousId": ANON, "event": "x"}, "type is missing", "type"),
    ("group", msg("group", groupId="g-1"), "type 'group' is not supported", "type"),
    ("no ids", {"type": "track", "event": "x"}, "needs userId or anonymousId", "userId"),
    ("track without event", msg("track", event=None), "track needs an event", "event"),
    ("blank event", msg("track", event="  "), "track needs an event", "event"),
    ("event of symbols", msg("track", event="???"), "no letters or digits", "event"),
    ("boolean userId", msg(userId=True), "userId must be a string", "userId"),
    ("long userId", msg(userId="u" * 256), "longer than 255", "userId"),
    ("bad timestamp", msg(timestamp="yesterday"), "is not an ISO-8601 date", "timestamp"),
    ("numeric timestamp", msg(timestamp=1_795_600_000), "ISO-8601 date string", "timestamp"),
    ("naive timestamp", msg(timestamp="2026-11-26T04:26:35"), "needs a time zone", "timestamp"),
    ("old timestamp", msg(timestamp=iso(NOW - 3_600_001)), "older than one hour", "timestamp"),
    (
        "old originalTimestamp",
        {**msg(), "timestamp": None, "originalTimestamp": iso(NOW - 7_200_000)},
        "older than one hour",
        "originalTimestamp",
    ),
    ("future timestamp", msg(timestamp=iso(NOW + 600_000)), "in the future", "timestamp"),
    ("screen without url", msg("screen", name="Basket"), "screen calls need a page URL", None),
    ("alias without previousId", {"type": "alias", "userId": "u"}, "previousId", "previousId"),
    ("long messageId", msg(messageId="m" * 101), "longer than 100", "messageId"),
    ("numeric messageId", msg(messageId=7), "messageId must be a string", "messageId"),
    ("properties not an object", msg(properties=[1]), "must be an object", "properties"),
    ("context not an object", msg(context="x"), "must be an object", "context"),
]


@pytest.mark.parametrize(
    ("message", "text", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_messages_are_rejected_naming_the_segment_field(
    message: Any, text: str, field: str | None
) -> None:
    with pytest.raises(InvalidInput, match=text) as caught:
        segment.parse_message(message, ctx())
    if field is not None:
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("message", "text", "field"),
    [
        (msg("identify", traits={"email": "not-an-email"}), "not a valid email", "traits.email"),
        (msg("identify", traits={"phone": "12"}), "phone", "traits.phone"),
        (msg("page", properties={"url": "/relative"}), "properties.url must be an absolute", None),
        (msg(anonymousId="a" * 256), "longer than 255", "anonymousId"),
    ],
)
def test_errors_of_the_web_pipeline_name_segment_fields(
    message: Any, text: str, field: str | None
) -> None:
    with pytest.raises(InvalidInput, match=text) as caught:
        segment.parse_message(message, ctx())
    assert caught.value.field == (field or "properties.url")


def test_a_message_over_32_kb_is_refused() -> None:
    big = msg(properties={"blob": "x" * (32 * 1024)})
    with pytest.raises(PayloadTooLarge, match="larger than 32 KB"):
        segment.parse_message(big, ctx())


# -- parsed events ---------------------------------------------------------------------------


def test_parse_message_gives_an_enriched_web_event() -> None:
    message = msg(
        "page",
        userId="u-1",
        messageId="m-1",
        properties={"url": URL, "title": "Boots"},
        context={"userAgent": CHROME, "ip": "203.0.113.9"},
    )
    event = segment.parse_message(message, ctx()).event
    assert event.key == segment.idempotency_key("dep-1", "m-1")
    assert (event.event_name, event.customer_cookie_id, event.external_id) == (
        "page_viewed",
        ANON,
        "u-1",
    )
    assert event.page is not None
    assert event.page.title == "Boots"
    assert event.campaign is not None
    assert event.campaign.name == "spring"
    assert event.browser is not None
    assert event.browser.family == "Chrome"
    assert event.user_agent == CHROME
    assert event.ip_address == "203.0.113.9"
    assert event.created_ms == NOW - 60_000


def test_the_request_address_stands_in_for_context_ip_but_not_its_user_agent() -> None:
    event = segment.parse_message(msg(), ctx(ip="198.51.100.7")).event
    assert event.ip_address == "198.51.100.7"
    assert event.user_agent is None


def test_a_retry_with_the_same_message_id_is_the_same_event() -> None:
    first = segment.parse_message(msg(messageId="m-1"), ctx()).event
    retry = segment.parse_message(
        msg(messageId="m-1", sentAt=iso(NOW), properties={"changed": True}), ctx()
    ).event
    assert first.key == retry.key
    other = segment.parse_message(msg(messageId="m-1"), ctx(OTHER_DEPLOYMENT)).event
    assert other.key != first.key
    without = segment.parse_message(msg(), ctx()).event
    assert without.key == segment.parse_message(msg(), ctx()).event.key != first.key


def test_a_batch_context_is_a_default_for_each_message() -> None:
    body = {
        "batch": [msg(), msg(context={"ip": "203.0.113.1"}), "junk"],
        "context": {"ip": "203.0.113.9", "userAgent": CHROME},
    }
    messages, shared = segment.batch_messages(body)
    events = [segment.parse_message(m, ctx(), shared_context=shared).event for m in messages[:2]]
    assert [e.ip_address for e in events] == ["203.0.113.9", "203.0.113.1"]
    assert [e.user_agent for e in events] == [CHROME, CHROME]
    with pytest.raises(InvalidInput, match="JSON object"):
        segment.parse_message(messages[2], ctx(), shared_context=shared)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({}, "batch must be an array"),
        ({"batch": {}}, "batch must be an array"),
        ({"batch": []}, "batch is empty"),
        ({"batch": [{}], "context": 3}, "context must be an object"),
    ],
)
def test_bad_batches_are_refused(body: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidInput, match=text):
        segment.batch_messages(body)


@pytest.mark.parametrize(
    ("raw", "text"), [(b"{nope", "malformed JSON"), (b"[1]", "must be a JSON object")]
)
def test_bodies_must_be_json_objects(raw: bytes, text: str) -> None:
    with pytest.raises(InvalidInput, match=text):
        segment.decode_body(raw)
