"""Web sessionization and visits: boundaries as tables, and convergence as a property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeyline.core import websession
from journeyline.model.web import Campaign, Referrer, WebEvent, WebSession

T0 = 1_795_600_000_000
COOKIE = "7d5d8a6e-2f8b-4c1e-9a3b-0c1d2e3f4a5b"


def event(seconds: float, name: str = "page_viewed", **fields: object) -> WebEvent:
    return WebEvent(
        key=f"k{seconds}-{name}",
        deployment_id="d1",
        customer_cookie_id=COOKIE,
        event_name=name,
        created_ms=T0 + int(seconds * 1000),
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("gap_seconds", "sessions"),
    [(0, 1), (60, 1), (19 * 60 + 59, 1), (19 * 60 + 59.999, 1), (20 * 60, 2), (45 * 60, 2)],
)
def test_twenty_minutes_of_inactivity_end_a_session(gap_seconds: float, sessions: int) -> None:
    split = websession.split([event(0), event(gap_seconds, "searched")])
    assert len(split) == sessions


SEARCH = Referrer(url="https://www.google.com/", medium="search", domain="google.com")
SOCIAL = Referrer(url="https://t.co/x", medium="social", domain="t.co")
INTERNAL = Referrer(url="https://shop.example.com/a", medium="internal", domain="example.com")
SPRING = Campaign(name="spring", source="newsletter", medium="email")


@pytest.mark.parametrize(
    ("events", "starts"),
    [
        ([event(0), event(60), event(120)], [0]),
        ([event(0), event(29 * 60 + 59)], [0]),
        ([event(0), event(30 * 60)], [0, 1]),
        ([event(0, referrer=SEARCH), event(60, referrer=INTERNAL)], [0]),
        ([event(0, referrer=SEARCH), event(60, referrer=SOCIAL)], [0, 1]),
        ([event(0, referrer=SEARCH), event(60, referrer=SEARCH)], [0]),
        ([event(0), event(60, campaign=SPRING), event(90, campaign=SPRING)], [0, 1]),
    ],
    ids=["steady", "29:59", "30:00", "internal", "new source", "same source", "campaign"],
)
def test_visits_split_on_thirty_minutes_or_a_new_source(
    events: list[WebEvent], starts: list[int]
) -> None:
    assert websession.visit_starts(events) == starts


def test_session_fields() -> None:
    from journeyline.model.web import Page

    events = [
        event(0, referrer=SEARCH, campaign=SPRING, page=Page(url="https://s/a", title="A")),
        event(30, "searched", search_query="boots"),
        event(40, "searched", search_query="boots"),
        event(50, "searched", search_query="red boots"),
        event(70, page=Page(url="https://s/b", title="B")),
    ]
    [(session, grouped)] = websession.sessionize(events)
    assert len(grouped) == 5
    assert session.event_count == 5
    assert session.pageview_count == 2
    assert session.search_terms == ("boots", "red boots")
    assert session.last_page is not None
    assert session.last_page.title == "B"
    assert session.referrer == SEARCH
    assert session.campaign == SPRING
    assert session.created_ms == T0
    assert session.last_event_ms == T0 + 70_000
    assert session.id == websession.session_id_for(COOKIE, "web", events[0].key)


def test_a_session_after_a_short_gap_keeps_the_visit_campaign() -> None:
    events = [event(0, campaign=SPRING), event(25 * 60)]  # new session, same visit
    sessions = websession.sessionize(events)
    assert [s.campaign for s, _ in sessions] == [SPRING, SPRING]


TIMES = st.lists(st.integers(0, 3 * 3600), min_size=1, max_size=25, unique=True)


@settings(max_examples=200, deadline=None)
@given(times=TIMES, data=st.data())
def test_refolding_clusters_equals_folding_everything(
    times: list[int], data: st.DataObject
) -> None:
    """Adding events one at a time, refolding only their cluster, ends where a full fold does."""
    events = [event(t) for t in times]
    expected = {s.id: s for s, _ in websession.sessionize(websession.ordered(events))}
    arrival = data.draw(st.permutations(events))
    current: dict[str, WebSession] = {}
    seen: list[WebEvent] = []
    for new in arrival:
        seen = websession.ordered([*seen, new])
        start, end = websession.cluster_bounds(seen, [new])
        cluster = seen[start:end]
        stale = {
            sid
            for sid, s in current.items()
            if cluster[0].created_ms <= s.created_ms <= cluster[-1].created_ms
        }
        for sid in stale:
            del current[sid]
        current.update({s.id: s for s, _ in websession.sessionize(cluster)})
    assert current == expected
