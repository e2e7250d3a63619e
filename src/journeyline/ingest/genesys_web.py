"""Adapter: Genesys ``WebEventRequest`` / ``AppEventRequest`` (wire) -> enriched :class:`WebEvent`.

Validation follows the Genesys models: ``customerCookieId`` is a UUID, ``eventName`` holds only
letters, digits and underscores, ``createdDate`` may be at most one hour old (and at most a small
clock skew in the future), attributes and traits are ``{dataType, value}`` maps of bounded size.
The idempotency key is the SHA-256 of the deployment id and the canonical request, so a tracker
retry is a duplicate; the log keeps the *enriched* event.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from typing import Annotated, Any

import msgspec

from journeyline.core import signing
from journeyline.core.ids import cookie_id
from journeyline.ingest import enrich
from journeyline.ingest.genesys_detail import validation_error
from journeyline.ingest.identifiers import EMAIL_TRAITS, PHONE_TRAITS, pii_from_traits
from journeyline.model.contact import Deployment
from journeyline.model.errors import InvalidInput
from journeyline.model.record import record
from journeyline.model.web import Attribute, Browser, Device, WebEvent

KIND = "web.event"
MAX_AGE_MS = 3_600_000
MAX_SKEW_MS = 300_000
MAX_ATTRIBUTES = 100
MIN_INT, MAX_INT = -(2**63), 2**63 - 1  # an integer attribute's range
EVENT_NAME = re.compile(r"^[A-Za-z0-9_]{1,255}$")
DATA_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
}

Short = Annotated[str, msgspec.Meta(max_length=255)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
Url = Annotated[str, msgspec.Meta(max_length=4096)]
#: A page's URL as ``enrich.parse_page`` takes it: absolute http(s), with a host.
PAGE_URL = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://([^/?#@]*@)?[^/?#@:\[\]\s]"
PageUrl = Annotated[str, msgspec.Meta(max_length=4096, extra_json_schema={"pattern": PAGE_URL})]
Size = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
#: Checked by ``_check_common`` with its own message; the schema says so too.
CookieId = Annotated[str, msgspec.Meta(max_length=255, extra_json_schema={"format": "uuid"})]
EventName = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": EVENT_NAME.pattern})]


class EventAttribute(msgspec.Struct, rename="camel"):
    data_type: Short
    value: str | int | float | bool


class EventPage(msgspec.Struct):
    url: PageUrl
    title: Text | None = None
    keywords: Text | None = None
    lang: Short | None = None


class EventBrowser(msgspec.Struct):
    family: Short | None = None
    version: Short | None = None
    lang: Short | None = None


class EventDevice(msgspec.Struct, rename="camel"):
    category: Short | None = None
    type: Short | None = None
    is_mobile: bool | None = None
    screen_height: Size | None = None
    screen_width: Size | None = None
    screen_density: Size | None = None
    os_family: Short | None = None
    os_version: Short | None = None
    manufacturer: Short | None = None


class EventApp(msgspec.Struct, rename="camel"):
    name: Short | None = None
    namespace: Short | None = None
    version: Short | None = None
    build_number: Short | None = None


class _Common(msgspec.Struct, rename="camel"):
    customer_cookie_id: CookieId
    event_name: EventName
    created_date: Annotated[datetime, msgspec.Meta(tz=True)]
    search_query: Text | None = None
    referrer_url: Url | None = None
    attributes: dict[Short, EventAttribute] | None = None
    traits: dict[Short, EventAttribute] | None = None
    external_id: Short | None = None
    #: Ours: the HMAC of the traits and external id by the site's backend (``core.signing``),
    #: which a deployment with ``identifySigning: "required"`` asks for.
    traits_signature: Short | None = None


class WebEventRequest(_Common):
    page: EventPage | None = None
    user_agent_string: Text | None = None
    browser: EventBrowser | None = None
    device: EventDevice | None = None
    #: Genesys's field, accepted and ignored: the address is the connection's (``client_ip``)
    ip_address: Short | None = None


class AppEventRequest(_Common):
    screen_name: Short | None = None
    app: EventApp | None = None
    device: EventDevice | None = None


@record
class Context:
    """What the HTTP edge knows about a request: its deployment, time, client address, UA.

    ``client_ip`` is the only source of an event's IP address (a body's ``ipAddress`` is not
    believed); it is dropped unless the deployment collects IP addresses."""

    deployment: Deployment
    now_ms: int
    client_ip: str | None
    user_agent: str | None
    geo: enrich.GeoLookup
    #: The deployment's identify secret, when it requires signed traits (``core.signing``).
    identify_secret: str | None = None
    #: The claim as the original wire format made it and its signature, when that is not
    #: the Genesys request's own (the Segment collector signs Segment's traits).
    claim: SignedClaim | None = None


@record
class SignedClaim:
    """A claim (``core.signing.claim_of``) and the ``traitsSignature`` that came with it."""

    claim: dict[str, Any]
    signature: str | None


@record
class AcceptedWeb:
    event: WebEvent
    body: bytes


_encoder = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder(WebEvent)


def _attributes(raw: dict[str, EventAttribute] | None, field: str) -> dict[str, Attribute]:
    if not raw:
        return {}
    if len(raw) > MAX_ATTRIBUTES:
        raise InvalidInput(
            f"{field}: at most {MAX_ATTRIBUTES} entries, got {len(raw)}", field=field
        )
    result: dict[str, Attribute] = {}
    for name, attr in raw.items():
        kind = attr.data_type.lower()
        expected = DATA_TYPES.get(kind)
        if expected is None:
            raise InvalidInput(
                f"{field}.{name}.dataType must be one of {', '.join(DATA_TYPES)}",
                field=f"{field}.{name}.dataType",
            )
        value = _from_text(kind, attr.value)
        if (kind != "boolean" and isinstance(value, bool)) or not isinstance(value, expected):
            raise InvalidInput(
                f"{field}.{name}.value is not a {kind}", field=f"{field}.{name}.value"
            )
        if kind == "number" and isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            value = _as_float(value)  # a number past the 64-bit range is a float (10**400: none)
        if isinstance(value, int) and not MIN_INT <= value <= MAX_INT:  # rules compare floats
            raise InvalidInput(
                f"{field}.{name}.value is out of range (a 64-bit integer)",
                field=f"{field}.{name}.value",
            )
        result[name] = Attribute(kind, value)
    return result


#: The text of an integer, or of a decimal number (``"12"``, ``"-3"``, ``"15.99"``, ``"1e3"``).
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,20}")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_BOOLEAN_TEXT = {"true": True, "false": False}


def _from_text(kind: str, value: str | int | float | bool) -> str | int | float | bool:
    """A typed attribute's value given as its text (``{dataType: 'integer', value: '12'}``, as
    Genesys documents for ``ac('record', ...)`` and as the tracker sends a BigInt): the value
    it spells, or the text itself when it spells none (then refused as not of its type)."""
    if not isinstance(value, str) or kind == "string":
        return value
    text = value.strip()
    if kind == "boolean":
        return _BOOLEAN_TEXT.get(text, value)
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER_TEXT.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else value
    return value


def _as_float(value: int) -> int | float:
    """A big integer as the float nearest it; itself when no float holds it (then refused)."""
    try:
        return float(value)
    except OverflowError:
        return value


def _check_common(request: _Common, now_ms: int) -> int:
    cookie_id(request.customer_cookie_id)
    if not EVENT_NAME.fullmatch(request.event_name):
        raise InvalidInput(
            "eventName may hold only letters, digits and underscores", field="eventName"
        )
    created_ms = int(request.created_date.timestamp() * 1000)
    if created_ms < now_ms - MAX_AGE_MS:
        raise InvalidInput(
            "createdDate: events older than one hour are rejected", field="createdDate"
        )
    if created_ms > now_ms + MAX_SKEW_MS:
        raise InvalidInput("createdDate is in the future", field="createdDate")
    return created_ms


def _convert(item: Any, model: type[_Common]) -> _Common:
    if not isinstance(item, dict):
        raise InvalidInput("the event must be a JSON object")
    try:
        return msgspec.convert(item, model)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc


def _key(deployment_id: str, item: Any) -> str:
    raw = deployment_id.encode() + b"\n" + msgspec.json.encode(item, order="sorted")
    return hashlib.sha256(raw).hexdigest()[:32]


def parse_web(item: Any, ctx: Context, *, key: str | None = None) -> AcceptedWeb:
    request = _convert(item, WebEventRequest)
    assert isinstance(request, WebEventRequest)
    created_ms = _check_common(request, ctx.now_ms)
    traits, identifiers = _traits(request.traits)
    page = None
    campaign = None
    if request.page is not None:
        page = enrich.parse_page(
            request.page.url,
            title=request.page.title,
            keywords=request.page.keywords,
            lang=request.page.lang,
            field="page.url",
        )
        campaign = enrich.campaign(request.page.url)
    referrer = (
        enrich.referrer(request.referrer_url, request.page.url, campaign)
        if request.page is not None and request.referrer_url
        else None
    )
    user_agent = request.user_agent_string or ctx.user_agent
    browser, device = enrich.user_agent(user_agent)
    if request.browser is not None and request.browser.lang:
        browser = Browser(browser.family, browser.version, request.browser.lang)
    if request.device is not None:
        device = _device(device, request.device)
    ip = enrich.enrich_ip(ctx.client_ip, ctx.deployment.collect_ip_addresses)
    event = WebEvent(
        key=key if key is not None else _key(ctx.deployment.id, item),
        deployment_id=ctx.deployment.id,
        customer_cookie_id=request.customer_cookie_id.lower(),
        event_name=request.event_name,
        created_ms=created_ms,
        session_type="web",
        page=page,
        search_query=request.search_query,
        referrer=referrer,
        campaign=campaign,
        user_agent=user_agent,
        browser=browser,
        device=device,
        geolocation=ctx.geo.lookup(ip),
        ip_address=ip,
        attributes=_attributes(request.attributes, "attributes"),
        traits=traits,
        external_id=request.external_id,
        identifiers=identifiers,
        traits_refused=refused(item, request, ctx),
    )
    return AcceptedWeb(event, _encoder.encode(event))


def _traits(
    raw: dict[str, EventAttribute] | None,
) -> tuple[dict[str, Attribute], tuple[tuple[str, str], ...]]:
    """Traits, and the emails and phones among them validated (a bad one is a 400)."""
    traits = _attributes(raw, "traits")
    if not traits:
        return traits, ()
    for name in (*EMAIL_TRAITS, *PHONE_TRAITS):
        found = traits.get(name)
        if found is not None and found.data_type != "string":  # "+33…" as an integer is 33…
            raise InvalidInput(
                f"traits.{name}.dataType must be string: an email or a phone is text",
                field=f"traits.{name}.dataType",
            )
    return traits, tuple(pii_from_traits({name: attr.value for name, attr in traits.items()}))


def refused(item: Any, request: _Common, ctx: Context) -> str | None:
    """Why the event's traits and external id must claim nothing (``core.signing.refusal``):
    the deployment requires them signed, and they are not, or not rightly."""
    mode = ctx.deployment.identify_signing
    if mode == "off":
        return None
    claimed = ctx.claim
    if claimed is None:
        raw = item.get("traits") if isinstance(item, dict) else None
        traits = raw if isinstance(raw, dict) else None
        claim = signing.claim_of(traits, request.external_id)
        claimed = SignedClaim(claim, request.traits_signature)
    return signing.refusal(mode, ctx.identify_secret, claimed.claim, claimed.signature)


def parse_app(item: Any, ctx: Context) -> AcceptedWeb:
    request = _convert(item, AppEventRequest)
    assert isinstance(request, AppEventRequest)
    created_ms = _check_common(request, ctx.now_ms)
    traits, identifiers = _traits(request.traits)
    _, device = enrich.user_agent(ctx.user_agent)
    if request.device is not None:
        device = _device(device, request.device)
    ip = enrich.enrich_ip(ctx.client_ip, ctx.deployment.collect_ip_addresses)
    event = WebEvent(
        key=_key(ctx.deployment.id, item),
        deployment_id=ctx.deployment.id,
        customer_cookie_id=request.customer_cookie_id.lower(),
        event_name=request.event_name,
        created_ms=created_ms,
        session_type="app",
        screen_name=request.screen_name,
        search_query=request.search_query,
        device=device,
        geolocation=ctx.geo.lookup(ip),
        ip_address=ip,
        attributes=_attributes(request.attributes, "attributes"),
        traits=traits,
        external_id=request.external_id,
        identifiers=identifiers,
        traits_refused=refused(item, request, ctx),
    )
    return AcceptedWeb(event, _encoder.encode(event))


def _device(parsed: Device, given: EventDevice) -> Device:
    """Fields the client states about its device win over those parsed from the user agent."""
    return Device(
        category=given.category or parsed.category,
        type=given.type or parsed.type,
        is_mobile=given.is_mobile if given.is_mobile is not None else parsed.is_mobile,
        os_family=given.os_family or parsed.os_family,
        os_version=given.os_version or parsed.os_version,
        manufacturer=given.manufacturer or parsed.manufacturer,
        screen_height=given.screen_height,
        screen_width=given.screen_width,
        screen_density=given.screen_density,
    )


def decode_stored(body: bytes) -> WebEvent:
    return _decoder.decode(body)
