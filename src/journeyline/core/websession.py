"""Web and app sessionization: pure.

A customer's events, sorted by time, split into sessions wherever 20 minutes (configurable) pass
without an event: a gap of 19:59 continues the session, 20:00 starts a new one. Visits, for
campaign attribution, split at 30 minutes of inactivity or when the visitor arrives from a new
traffic source. Splitting is local — a gap of 30 minutes separates everything before it from
everything after — so the engine refolds only the *cluster* of events around a new event
(:func:`cluster_bounds`), and any arrival order converges to the same sessions and ids.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence

from journeyline.core.conversation import NAMESPACE
from journeyline.core.identity import identifies
from journeyline.core.uuids import uuid5_text
from journeyline.model.web import Campaign, Geolocation, Page, WebEvent, WebSession

SESSION_TIMEOUT_MS = 20 * 60 * 1000
VISIT_TIMEOUT_MS = 30 * 60 * 1000
PAGEVIEW = "page_viewed"
SCREENVIEW = "screen_viewed"


@functools.lru_cache(maxsize=1 << 16)  # asked again at every refold of the session
def session_id_for(cookie_id: str, session_type: str, first_event_key: str) -> str:
    return uuid5_text(NAMESPACE, f"{session_type}:{cookie_id}:{first_event_key}")


@functools.lru_cache(maxsize=1 << 16)  # asked by the fold, the store and the effects alike
def web_event_id(key: str) -> str:
    """The id of a stored web event: a UUID made from its idempotency key."""
    return uuid5_text(NAMESPACE, "webevent:" + key)


def ordered(events: Sequence[WebEvent]) -> list[WebEvent]:
    unique = {e.key: e for e in events}
    return sorted(unique.values(), key=lambda e: (e.created_ms, e.key))


def _order(event: WebEvent) -> tuple[int, str]:
    return event.created_ms, event.key


def cluster_bounds(events: Sequence[WebEvent], new: Sequence[WebEvent]) -> tuple[int, int]:
    """Indexes ``[start, end)`` of the events (sorted by time and key) linked to ``new`` by gaps
    under 30 minutes. Found by bisection: a visitor's long history costs nothing here."""
    positions = []
    for event in new:
        i = bisect.bisect_left(events, _order(event), key=_order)
        if i < len(events) and events[i].key == event.key:
            positions.append(i)
    if not positions:
        return 0, 0
    start, end = min(positions), max(positions) + 1
    while start > 0 and events[start].created_ms - events[start - 1].created_ms < VISIT_TIMEOUT_MS:
        start -= 1
    while (
        end < len(events) and events[end].created_ms - events[end - 1].created_ms < VISIT_TIMEOUT_MS
    ):
        end += 1
    return start, end


def split(events: Sequence[WebEvent], timeout_ms: int = SESSION_TIMEOUT_MS) -> list[list[WebEvent]]:
    """Sorted events of one customer and session type -> sessions, by inactivity gaps."""
    sessions: list[list[WebEvent]] = []
    for event in events:
        if sessions and event.created_ms - sessions[-1][-1].created_ms < timeout_ms:
            sessions[-1].append(event)
        else:
            sessions.append([event])
    return sessions


def _source(event: WebEvent) -> tuple[str | None, ...] | None:
    """The traffic source an event brings, or None when it brings none (internal, direct)."""
    campaign = event.campaign
    if campaign is not None:
        return ("campaign", campaign.source, campaign.medium, campaign.name, campaign.click_id)
    referrer = event.referrer
    if referrer is not None and referrer.medium != "internal":
        return ("referrer", referrer.medium, referrer.domain)
    return None


def visit_starts(events: Sequence[WebEvent]) -> list[int]:
    """Indexes of the events that open a visit: after 30 minutes, or from a new source."""
    starts: list[int] = []
    current: tuple[str | None, ...] | None = None
    for index, event in enumerate(events):
        source = _source(event)
        gap = index == 0 or event.created_ms - events[index - 1].created_ms >= VISIT_TIMEOUT_MS
        if gap or (source is not None and source != current):
            starts.append(index)
            current = source
    return starts


def fold(events: Sequence[WebEvent], visit_campaign: Campaign | None) -> WebSession:
    """One session's events (sorted) -> the session. ``visit_campaign``: its first visit's.

    One pass over the events: the fold runs for every session a unit touches."""
    first, last = events[0], events[-1]
    last_page: Page | None = None
    last_screen: str | None = None
    geolocation: Geolocation | None = None
    terms: list[str] = []
    pageviews = screenviews = 0
    authenticated = False
    for e in events:
        if e.page is not None:
            last_page = e.page
        if e.screen_name:
            last_screen = e.screen_name
        if e.search_query and e.search_query not in terms:
            terms.append(e.search_query)
        if e.geolocation is not None:
            geolocation = e.geolocation
        name = e.event_name
        if name == PAGEVIEW:
            pageviews += 1
        elif name == SCREENVIEW:
            screenviews += 1
        if not authenticated and identifies(e):
            authenticated = True
    return WebSession(
        id=session_id_for(first.customer_cookie_id, first.session_type, first.key),
        type=first.session_type,
        customer_cookie_id=first.customer_cookie_id,
        deployment_id=last.deployment_id,
        created_ms=first.created_ms,
        last_event_ms=last.created_ms,
        event_count=len(events),
        pageview_count=pageviews,
        screenview_count=screenviews,
        visit_count=len(visit_starts(events)),
        last_page=last_page,
        last_screen=last_screen,
        search_terms=tuple(terms),
        referrer=first.referrer,
        campaign=visit_campaign,
        browser=last.browser,
        device=last.device,
        geolocation=geolocation,
        ip_address=last.ip_address,
        user_agent=last.user_agent,
        authenticated=authenticated,
        last_event_id=web_event_id(last.key),
        last_event_name=last.event_name,
    )


def sessionize(
    cluster: Sequence[WebEvent], timeout_ms: int = SESSION_TIMEOUT_MS
) -> list[tuple[WebSession, list[WebEvent]]]:
    """A cluster of one customer's events of one type (sorted) -> its sessions with their events."""
    starts = visit_starts(cluster)
    campaigns: list[tuple[int, Campaign | None]] = [
        (cluster[i].created_ms, cluster[i].campaign) for i in starts
    ]
    result: list[tuple[WebSession, list[WebEvent]]] = []
    for events in split(cluster, timeout_ms):
        begin = events[0].created_ms
        visit = max((c for c in campaigns if c[0] <= begin), key=lambda c: c[0], default=None)
        result.append((fold(events, visit[1] if visit else None), events))
    return result
