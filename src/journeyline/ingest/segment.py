"""Adapter: Segment-spec messages (track, page, screen, identify, alias) -> Genesys web events.

Sites instrumented with a Segment or RudderStack SDK send Segment-spec messages; each one is
mapped, by the pure functions here, to a Genesys ``WebEventRequest`` dict and then goes through
:func:`journeyline.ingest.genesys_web.parse_web` like any browser event, so every rule of the web
pipeline applies (a UUID cookie id, the event-name alphabet, the one-hour age rule, typed
attributes, validated emails and phones among the traits).

Identity
    ``anonymousId`` becomes ``customerCookieId``: kept when it is a UUID, else replaced by the
    name-based ``uuid5(NAMESPACE, anonymousId)``, so the same anonymous id is always the same
    visitor. ``userId`` becomes ``externalId``; a message with no ``anonymousId`` gets its
    cookie id from the ``userId`` in the same way. An ``alias`` call is filed under the visitor
    of its ``previousId`` (the identity being merged away; derived the same way), carrying
    ``externalId = userId``, so the old visitor gets linked to the user. Ids may be strings or
    numbers and are at most 255 characters.

Calls
    ``track``    -> ``eventName`` = the event in snake case ("Order Completed" ->
                   ``order_completed``, "orderCompleted" -> ``order_completed``, accents
                   dropped: "Café Visited" -> ``cafe_visited``); ``properties`` -> attributes.
    ``page``     -> ``page_viewed``; the page from ``properties.url``/``title``/``referrer``,
                   else ``context.page``. A page call without a URL is kept, without a page.
                   The call's ``name`` and ``category`` become attributes of those names.
    ``screen``   -> ``screen_viewed`` web event when a URL is known (``properties.url`` or
                   ``context.page.url``); without one it is rejected: Segment screens are not
                   made into app events.
    ``identify`` -> ``identified`` with ``traits`` as typed traits (a bad email or phone
                   rejects the message, as for browser events).
    ``alias``    -> ``aliased`` with the attributes ``previousId`` and ``userId``.
    On a deployment that requires signed traits (docs/web.md, "Signed traits"), what a call
    claims — an ``identify``'s ``traits`` as sent, and the ``userId`` of any call — claims
    something only when ``context.traitsSignature`` signs it.
    ``group`` and any other type are rejected.

    Every call also takes its page from ``context.page`` when that holds an absolute http(s)
    URL (analytics.js sends it on every call); ``context.locale`` is the browser language and
    ``context.screen`` width/height the device screen.

Attributes and traits
    Typed ``{dataType, value}``: strings ``string``, booleans ``boolean``, integers
    ``integer``, other numbers ``number`` (an integer past the 64-bit range too: JavaScript
    writes ``1e20`` as ``100000000000000000000``, kept as the nearest float). Nested objects
    and lists are kept as compact JSON strings (``products`` of an "Order Completed" survives
    as one ``string`` attribute); nulls are dropped. At most 100 per message, names at most
    255 characters. On ``page`` and ``screen`` calls the page properties consumed into the
    page (``url``, ``title``, ``referrer``, ``path``, ``search``) are not repeated as
    attributes.

Time
    ``createdDate`` is ``timestamp``, else ``originalTimestamp``, else ``receivedAt``, else
    the time of arrival; it must be an ISO-8601 date with a time zone. The web pipeline's rule
    applies: events more than one hour old (or more than five minutes in the future) are
    rejected, so backfills through this collector are not possible. ``sentAt`` is not used to
    correct client clock skew.

Deduplication
    The idempotency key is the SHA-256 of the deployment id and ``messageId`` (at most 100
    characters), so an SDK's retry of a message is a duplicate whatever else changed
    (``sentAt``, say). A message without ``messageId`` is keyed on its mapped content, as
    browser events are.

Request context
    ``context.userAgent`` and ``context.ip`` are the user agent and client address of the
    event (the HTTP request's own User-Agent is the SDK's, so it is not used; the request's
    address stands in for a missing ``context.ip``, as at Segment).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from journeyline.core import signing
from journeyline.ingest import enrich
from journeyline.ingest import genesys_web as web
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.ingest.nul import refuse_nul
from journeyline.model.errors import InvalidInput, PayloadTooLarge
from journeyline.model.record import record

CALLS = ("track", "page", "screen", "identify", "alias")
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_MESSAGE_ID = 100
MAX_ID = 255
MAX_NAME = 255
NAMESPACE = uuid.UUID("5e6a3f8e-2f4b-5c1d-9a57-0c3b7d1e9f21")
PAGE_PROPERTIES = ("url", "title", "referrer", "path", "search")
EVENT_NAMES = {
    "page": "page_viewed",
    "screen": "screen_viewed",
    "identify": "identified",
    "alias": "aliased",
}

_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")
_encoder = msgspec.json.Encoder()


@record
class Mapped:
    """A Segment message as a Genesys ``WebEventRequest`` plus what travels beside it."""

    request: dict[str, Any]
    message_id: str | None
    user_agent: str | None
    ip: str | None
    fields: dict[str, str]  # Genesys field -> the Segment field it came from, for errors
    #: What the message claims (an ``identify``'s traits as sent, the ``userId``) and its
    #: ``context.traitsSignature``, for a deployment that requires signed traits.
    claim: web.SignedClaim | None = None


# -- small pieces ----------------------------------------------------------------------------


def cookie_id(value: str) -> str:
    """A visitor's cookie id: the value if it is a UUID, else a stable name-based UUID of it."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid5(NAMESPACE, value))


def snake_case(name: str) -> str:
    """An event name as Genesys allows it: ASCII letters, digits and underscores, lower case."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    split = _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", ascii_name))
    result = _NOT_WORD.sub("_", split).strip("_").lower()
    if not result:
        raise InvalidInput(f"event '{name}' has no letters or digits", field="event")
    if len(result) > MAX_NAME:
        raise InvalidInput(f"event is longer than {MAX_NAME} characters", field="event")
    return result


def typed(values: Any, field: str) -> dict[str, dict[str, Any]]:
    """Segment properties or traits as Genesys ``{dataType, value}`` maps (see module doc)."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InvalidInput(f"{field} must be an object", field=field)
    result: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if value is None:
            continue
        if len(name) > MAX_NAME:
            raise InvalidInput(
                f"{field}: the name '{name[:40]}...' is longer than {MAX_NAME} characters",
                field=field,
            )
        if isinstance(value, bool):
            result[name] = {"dataType": "boolean", "value": value}
        elif isinstance(value, int):  # JavaScript writes 1e20 as 100000000000000000000
            in_range = web.MIN_INT <= value <= web.MAX_INT
            result[name] = {"dataType": "integer" if in_range else "number", "value": value}
        elif isinstance(value, float):
            result[name] = {"dataType": "number", "value": value}
        elif isinstance(value, str):
            result[name] = {"dataType": "string", "value": value}
        else:
            result[name] = {"dataType": "string", "value": _encoder.encode(value).decode()}
    if len(result) > web.MAX_ATTRIBUTES:
        raise InvalidInput(
            f"{field}: at most {web.MAX_ATTRIBUTES} entries, got {len(result)}", field=field
        )
    return result


def idempotency_key(deployment_id: str, message_id: str) -> str:
    raw = deployment_id.encode() + b"\nsegment\n" + message_id.encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _identifier(message: Mapping[str, Any], name: str) -> str | None:
    value = message.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{name} must be a string", field=name)
    text = str(value)
    if len(text) > MAX_ID:
        raise InvalidInput(f"{name} is longer than {MAX_ID} characters", field=name)
    return text


def _object(message: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be an object", field=name)
    return value


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def created_date(message: Mapping[str, Any], now_ms: int) -> tuple[str, str | None]:
    """``createdDate`` (ISO-8601, UTC) and the Segment field it came from (None: arrival)."""
    for name in ("timestamp", "originalTimestamp", "receivedAt"):
        value = message.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be an ISO-8601 date string", field=name)
        try:
            moment = msgspec.convert(value, datetime)
        except msgspec.ValidationError as exc:
            raise InvalidInput(
                f"{name}: '{value[:64]}' is not an ISO-8601 date", field=name
            ) from exc
        if moment.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone (UTC: 'Z')", field=name)
        moment_ms = int(moment.timestamp() * 1000)
        if moment_ms < now_ms - web.MAX_AGE_MS:
            raise InvalidInput(f"{name}: events older than one hour are rejected", field=name)
        if moment_ms > now_ms + web.MAX_SKEW_MS:
            raise InvalidInput(f"{name} is in the future", field=name)
        return _iso(moment), name
    return _iso(datetime.fromtimestamp(now_ms / 1000, UTC)), None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _valid_url(url: str | None) -> bool:
    if url is None:
        return False
    try:
        enrich.parse_page(url)
    except InvalidInput:
        return False
    return True


# -- one message -----------------------------------------------------------------------------


def to_web_request(message: Any, now_ms: int, *, call: str | None = None) -> Mapped:
    """Map one Segment message to a Genesys ``WebEventRequest``; InvalidInput names the field.

    ``call`` is the type given by the route (``/v1/track``); a batch item carries ``type``.
    """
    if not isinstance(message, dict):
        raise InvalidInput("each message must be a JSON object")
    kind = call or message.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("type is missing", field="type")
    if kind not in CALLS:
        raise InvalidInput(
            f"type '{kind[:40]}' is not supported (one of {', '.join(CALLS)})", field="type"
        )
    fields: dict[str, str] = {"attributes": "properties", "traits": "traits"}
    context = _object(message, "context")
    properties = _object(message, "properties")
    anonymous_id = _identifier(message, "anonymousId")
    user_id = _identifier(message, "userId")
    request: dict[str, Any] = {}

    if kind == "alias":
        previous_id = _identifier(message, "previousId")
        if previous_id is None or user_id is None:
            raise InvalidInput("alias needs previousId and userId", field="previousId")
        request["customerCookieId"] = cookie_id(anonymous_id or previous_id)
        fields["customerCookieId"] = "anonymousId" if anonymous_id else "previousId"
        request["attributes"] = typed({"previousId": previous_id, "userId": user_id}, "alias")
    elif anonymous_id is not None:
        request["customerCookieId"] = cookie_id(anonymous_id)
        fields["customerCookieId"] = "anonymousId"
    elif user_id is not None:
        request["customerCookieId"] = cookie_id(user_id)
        fields["customerCookieId"] = "userId"
    else:
        raise InvalidInput("a message needs userId or anonymousId", field="userId")
    if user_id is not None:
        request["externalId"] = user_id
        fields["externalId"] = "userId"

    if kind == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            raise InvalidInput("track needs an event name", field="event")
        request["eventName"] = snake_case(event)
        fields["eventName"] = "event"
    else:
        request["eventName"] = EVENT_NAMES[kind]

    created, source = created_date(message, now_ms)
    request["createdDate"] = created
    if source is not None:
        fields["createdDate"] = source

    context_page = _object(context, "page") if isinstance(context.get("page"), dict) else {}
    url = title = referrer = None
    if kind in ("page", "screen"):
        url = _string(properties.get("url"))
        title = _string(properties.get("title"))
        referrer = _string(properties.get("referrer"))
        fields["page.url"] = "properties.url"
        fields["page.title"] = "properties.title"
        fields["referrerUrl"] = "properties.referrer"
    if url is None and _valid_url(_string(context_page.get("url"))):
        url = _string(context_page.get("url"))
        fields["page.url"] = "context.page.url"
    if url is not None and url == _string(context_page.get("url")):
        title = title or _string(context_page.get("title"))
        referrer = referrer or _string(context_page.get("referrer"))
    if kind == "screen" and url is None:
        raise InvalidInput(
            "screen calls need a page URL (properties.url or context.page.url): "
            "app screens are not collected through Segment",
            field="properties.url",
        )
    if url is not None:
        request["page"] = {"url": url, **({"title": title} if title else {})}
        if referrer:
            request["referrerUrl"] = referrer

    if kind in ("track", "page", "screen"):
        attributes = dict(properties)
        if kind in ("page", "screen"):
            for name in PAGE_PROPERTIES:
                attributes.pop(name, None)
            for name in ("name", "category"):
                value = _string(message.get(name))
                if value is not None:
                    attributes.setdefault(name, value)
        request["attributes"] = typed(attributes, "properties")
    if kind == "identify":
        request["traits"] = typed(_object(message, "traits"), "traits")

    locale = _string(context.get("locale"))
    if locale is not None and len(locale) <= MAX_NAME:
        request["browser"] = {"lang": locale}
    screen = context.get("screen")
    if isinstance(screen, dict):
        sizes = {
            "screenWidth": screen.get("width"),
            "screenHeight": screen.get("height"),
        }
        device = {
            name: value
            for name, value in sizes.items()
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000
        }
        if device:
            request["device"] = device

    message_id = message.get("messageId")
    if message_id is not None:
        if not isinstance(message_id, str) or not message_id:
            raise InvalidInput("messageId must be a string", field="messageId")
        if len(message_id) > MAX_MESSAGE_ID:
            raise InvalidInput(
                f"messageId is longer than {MAX_MESSAGE_ID} characters", field="messageId"
            )
    raw_traits = message.get("traits") if kind == "identify" else None
    signature = context.get("traitsSignature")
    claim = web.SignedClaim(
        signing.claim_of(raw_traits if isinstance(raw_traits, dict) else None, user_id),
        signature if isinstance(signature, str) else None,
    )
    return Mapped(
        request=request,
        message_id=message_id,
        user_agent=_string(context.get("userAgent")),
        ip=_string(context.get("ip")),
        fields=fields,
        claim=claim,
    )


def _segment_error(exc: InvalidInput, fields: Mapping[str, str]) -> InvalidInput:
    """An error of the web pipeline, with the Genesys field names put back to Segment's."""
    if not exc.field:
        return exc
    for genesys in sorted(fields, key=len, reverse=True):
        if exc.field == genesys or exc.field.startswith(genesys + "."):
            field = fields[genesys] + exc.field[len(genesys) :]
            message = exc.message
            if message.startswith(exc.field):
                message = field + message[len(exc.field) :]
            return InvalidInput(message, field=field)
    return exc


def parse_message(
    message: Any,
    ctx: web.Context,
    *,
    call: str | None = None,
    shared_context: Mapping[str, Any] | None = None,
) -> AcceptedWeb:
    """One Segment message -> an accepted web event, or InvalidInput naming the Segment field.

    ``shared_context`` is a batch's top-level ``context``: each key the message's own
    ``context`` lacks is taken from it. A message over 32 KB (as compact JSON) is refused.
    """
    if isinstance(message, dict):
        if len(_encoder.encode(message)) > MAX_EVENT_BYTES:
            raise PayloadTooLarge(f"the message is larger than {MAX_EVENT_BYTES // 1024} KB")
        if shared_context:
            own = message.get("context")
            context = {**shared_context, **own} if isinstance(own, dict) else shared_context
            message = {**message, "context": context}
    mapped = to_web_request(message, ctx.now_ms, call=call)
    event_ctx = dataclasses.replace(
        ctx, user_agent=mapped.user_agent, client_ip=mapped.ip or ctx.client_ip, claim=mapped.claim
    )
    key = (
        idempotency_key(ctx.deployment.id, mapped.message_id)
        if mapped.message_id is not None
        else None
    )
    try:
        return web.parse_web(mapped.request, event_ctx, key=key)
    except InvalidInput as exc:
        raise _segment_error(exc, mapped.fields) from exc


# -- request bodies --------------------------------------------------------------------------


def decode_body(raw: bytes) -> dict[str, Any]:
    """A Segment request body: one JSON object."""
    try:
        body = msgspec.json.decode(refuse_nul(raw))
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def batch_messages(body: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The messages of a ``/v1/batch`` body and its top-level ``context`` (shared by all)."""
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise InvalidInput("batch must be an array of messages", field="batch")
    if not batch:
        raise InvalidInput("batch is empty", field="batch")
    return batch, _object(body, "context")
