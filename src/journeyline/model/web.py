"""Web and app events, web sessions: domain records (Genesys field names, snake_case here).

The wire shapes (``WebEventRequest``, ``AppEventRequest``) are parsed and *enriched* at intake
(``journeyline.ingest.genesys_web`` and ``journeyline.ingest.enrich``); the log stores the enriched
event, so a replay does not depend on today's GeoIP or user-agent data.
"""

from __future__ import annotations

from dataclasses import field

from journeyline.model.record import record

AttributeMap = dict[str, "Attribute"]


@record
class Attribute:
    """A Genesys ``CustomEventAttribute``: ``dataType`` is string, number, integer or boolean."""

    data_type: str
    value: str | int | float | bool


@record
class Page:
    """A Genesys ``JourneyPage``."""

    url: str
    title: str | None = None
    domain: str | None = None  # the registered domain, e.g. example.co.uk
    hostname: str | None = None
    pathname: str | None = None
    query_string: str | None = None
    fragment: str | None = None
    keywords: str | None = None
    lang: str | None = None
    breadcrumb: tuple[str, ...] = ()


@record
class Campaign:
    """A Genesys ``JourneyCampaign`` (UTM parameters and ad click ids of the landing URL)."""

    name: str | None = None
    source: str | None = None
    medium: str | None = None
    term: str | None = None
    content: str | None = None
    click_id: str | None = None
    network: str | None = None


@record
class Referrer:
    """A Genesys ``Referrer``; ``medium`` is internal, search, social, email, paid or unknown."""

    url: str
    medium: str
    domain: str | None = None
    hostname: str | None = None
    pathname: str | None = None
    query_string: str | None = None
    fragment: str | None = None
    keywords: str | None = None
    name: str | None = None  # e.g. Google, Facebook


@record
class Browser:
    family: str | None = None
    version: str | None = None
    lang: str | None = None


@record
class Device:
    """A Genesys ``Device``; ``category`` is desktop, mobile, tablet or other."""

    category: str | None = None
    type: str | None = None
    is_mobile: bool | None = None
    os_family: str | None = None
    os_version: str | None = None
    manufacturer: str | None = None
    screen_height: int | None = None
    screen_width: int | None = None
    screen_density: int | None = None


@record
class Geolocation:
    """A Genesys ``JourneyGeolocation`` (from a local GeoIP database, when one is configured)."""

    country: str | None = None
    country_name: str | None = None
    region: str | None = None
    region_name: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    source: str | None = None


@record
class WebEvent:
    """One enriched web (or app) event. ``key`` is its idempotency key."""

    key: str
    deployment_id: str
    customer_cookie_id: str
    event_name: str
    created_ms: int
    session_type: str = "web"  # web | app
    page: Page | None = None
    screen_name: str | None = None  # app events
    search_query: str | None = None
    referrer: Referrer | None = None
    campaign: Campaign | None = None
    user_agent: str | None = None
    browser: Browser | None = None
    device: Device | None = None
    geolocation: Geolocation | None = None
    ip_address: str | None = None
    ip_organization: str | None = None
    attributes: dict[str, Attribute] = field(default_factory=dict)
    traits: dict[str, Attribute] = field(default_factory=dict)
    external_id: str | None = None
    #: ``(type, value)`` identifiers the traits name, validated and normalised at intake.
    identifiers: tuple[tuple[str, str], ...] = ()
    #: Why the traits and external id claim nothing (``core.signing``: ``unsigned``,
    #: ``badSignature``, ``noSecret``); None when they may identify the visitor. They are
    #: kept with the event all the same.
    traits_refused: str | None = None


@record
class WebSession:
    """A web or app session: the Genesys Session fields that web sessions fill."""

    id: str
    type: str  # web | app
    customer_cookie_id: str
    deployment_id: str
    created_ms: int
    last_event_ms: int
    event_count: int
    pageview_count: int
    screenview_count: int
    visit_count: int
    last_page: Page | None
    last_screen: str | None
    search_terms: tuple[str, ...]
    referrer: Referrer | None  # the first event's
    campaign: Campaign | None  # the first visit's
    browser: Browser | None
    device: Device | None
    geolocation: Geolocation | None
    ip_address: str | None
    user_agent: str | None
    authenticated: bool
    last_event_id: str
    last_event_name: str
