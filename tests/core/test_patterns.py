"""Journey patterns one event at a time, event conditions, the index (core/patterns.py)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from conversation_cases import answered, inbound, name_of
from journeyline.core.conversation import fold
from journeyline.core.patterns import (
    START,
    CriteriaEvent,
    DefinitionIndex,
    JourneyProgress,
    advance,
    advance_all,
    conditions_match,
    event_from_effect,
    is_matched,
    page_url_matches,
    pattern_matches,
)
from journeyline.model.definitions import (
    ActionMap,
    ActionMapAction,
    ContextPattern,
    Criterion,
    EventCondition,
    JourneyPattern,
    PageUrlCondition,
    Segment,
)
from journeyline.model.effects import JourneyEventAdded, JourneyEventChanged
from journeyline.model.session import SessionEvent


def web(event_id: str, name: str = "page_viewed", t: int = 0, **attributes: str) -> CriteriaEvent:
    attrs = {k.replace("_", "."): v for k, v in attributes.items()}
    return CriteriaEvent(event_id, "Web", "web", name, attrs, t)


def page(*values: str, operator: str = "containsAny") -> Criterion:
    return Criterion("page.url", values, operator, False)  # type: ignore[arg-type]


def web_pattern(
    count: int, *criteria: Criterion, name: str | None = "page_viewed"
) -> JourneyPattern:
    return JourneyPattern(criteria, count, "Web", "web", name)


BOOTS_THEN_CHECKOUT = (web_pattern(2, page("/boots")), web_pattern(1, page("/checkout")))


def test_patterns_in_sequence_with_counts() -> None:
    events = [
        web("e1", t=1, page_url="/checkout"),  # too early: pattern 0 is not satisfied
        web("e2", t=2, page_url="/boots/red"),
        web("e3", t=3, page_url="/hats"),
        web("e4", t=4, page_url="/boots/blue"),
        web("e5", t=5, page_url="/checkout"),
    ]
    steps = []
    progress = START
    for event in events:
        progress = advance(BOOTS_THEN_CHECKOUT, progress, event)
        steps.append((progress.pattern_index, progress.matched))
    assert steps == [(0, 0), (0, 1), (0, 1), (1, 0), (2, 0)]
    assert progress.complete(BOOTS_THEN_CHECKOUT)
    assert progress.counted_event_ids == {"e2", "e4", "e5"}


def test_an_event_counts_once_even_when_sent_again() -> None:
    twice = advance_all(BOOTS_THEN_CHECKOUT, START, [web("e1", page_url="/boots")] * 2)
    assert (twice.pattern_index, twice.matched) == (0, 1)


def test_the_event_that_satisfies_a_pattern_does_not_count_for_the_next() -> None:
    same = (web_pattern(1, page("/boots")), web_pattern(1, page("/boots")))
    progress = advance_all(same, START, [web("e1", page_url="/boots")] * 3)
    assert (progress.pattern_index, progress.matched) == (1, 0)
    assert advance(same, progress, web("e2", t=1, page_url="/boots")).complete(same)


def test_only_an_event_after_the_previous_satisfaction_counts() -> None:
    satisfied = advance_all(
        BOOTS_THEN_CHECKOUT, START, [web(f"b{i}", t=100, page_url="/boots") for i in range(2)]
    )
    late = web("late", t=50, page_url="/checkout")  # arrived late: it happened before
    assert advance(BOOTS_THEN_CHECKOUT, satisfied, late) is satisfied
    same_ms = web("same", t=100, page_url="/checkout")
    assert advance(BOOTS_THEN_CHECKOUT, satisfied, same_ms) is satisfied
    after = web("c", t=101, page_url="/checkout")
    assert advance(BOOTS_THEN_CHECKOUT, satisfied, after).complete(BOOTS_THEN_CHECKOUT)


def test_an_event_evaluated_again_later_counts_by_when_it_happened() -> None:
    """An event that arrived before the previous pattern was satisfied but happened after it
    (out of order) counts when it is evaluated again, e.g. changed by a late detail event."""
    hats_then_boots = (web_pattern(1, page("/hats")), web_pattern(1, page("/boots")))
    boots, hats = web("b", t=5, page_url="/boots"), web("h", t=3, page_url="/hats")
    progress = advance_all(hats_then_boots, START, [boots, hats])
    assert progress.pattern_index == 1
    assert advance(hats_then_boots, progress, boots).complete(hats_then_boots)


def test_an_unrelated_event_returns_the_same_progress() -> None:
    other = CriteriaEvent("x", "App", "app", "page_viewed", {"page.url": "/boots"}, 0)
    assert advance(BOOTS_THEN_CHECKOUT, START, other) is START
    assert advance(BOOTS_THEN_CHECKOUT, START, web("y", "searched", page_url="/boots")) is START


def test_a_pattern_without_event_name_counts_any_event_of_its_stream() -> None:
    any_two = (web_pattern(2, name=None),)
    events = [web("a", "searched"), web("b", "form_submitted")]
    assert advance_all(any_two, START, events).complete(any_two)


def test_no_journey_patterns_is_complete() -> None:
    assert START.complete(())


# -- conversations: the detail events folded, their journey events as effects ------------------


def _added(e: SessionEvent) -> JourneyEventAdded:
    return JourneyEventAdded(
        e.session_id, e.id, e.event_name, e.stream_type, e.session_type, e.created_ms, e.attributes
    )


def _changed(e: SessionEvent) -> JourneyEventChanged:
    return JourneyEventChanged(e.session_id, e.id, e.event_name, e.created_ms, e.attributes)


def conv(*criteria: Criterion, name: str = "ended", count: int = 1) -> JourneyPattern:
    return JourneyPattern(criteria, count, "Conversation", "conversation", name)


def c(key: str, operator: str, *values: str, ignore_case: bool = False) -> Criterion:
    return Criterion(key, values, operator, ignore_case)  # type: ignore[arg-type]


ABANDONED_IN_SALES = (
    conv(
        c("queue.name", "equal", "sales", ignore_case=True),
        c("endedBy", "equal", "customer"),
        c("acdOutcome", "equal", "Abandon"),
        c("waitSeconds", "greaterThan", "60"),
    ),
)
WRAPPED_UP_SALE = (conv(c("wrapupCode.name", "equal", "Sale")),)


def _progress(
    patterns: Sequence[JourneyPattern], effects: Sequence[JourneyEventAdded | JourneyEventChanged]
) -> JourneyProgress:
    return advance_all(patterns, START, [event_from_effect(e, name_of=name_of) for e in effects])


def test_abandoned_in_queue_sales_after_waiting_more_than_60_seconds() -> None:
    long_wait = fold(
        inbound().acd_end(100, "q-sales", "ABANDON").customer_end(100, "PEER").events()
    )
    short_wait = fold(inbound().acd_end(50, "q-sales", "ABANDON").customer_end(50, "PEER").events())
    talked = fold(answered().user_end(200, "u-ann", "PEER").customer_end(200).events())
    assert _progress(ABANDONED_IN_SALES, [_added(e) for e in long_wait.events]).complete(
        ABANDONED_IN_SALES
    )
    assert not _progress(ABANDONED_IN_SALES, [_added(e) for e in short_wait.events]).complete(
        ABANDONED_IN_SALES
    )
    assert not _progress(ABANDONED_IN_SALES, [_added(e) for e in talked.events]).complete(
        ABANDONED_IN_SALES
    )


def test_a_late_wrap_up_matches_the_changed_ended_event_once() -> None:
    call = answered().user_end(200, "u-ann", "PEER").customer_end(200)
    before = fold(call.events()).events
    after = fold(call.acw(230, "u-ann", "w-sale").events()).events
    ended = after[-1]
    assert ended.id == before[-1].id
    assert "wrapupCode.id" in ended.attributes
    progress = _progress(WRAPPED_UP_SALE, [_added(e) for e in before])
    assert not progress.complete(WRAPPED_UP_SALE)
    progress = advance(
        WRAPPED_UP_SALE, progress, event_from_effect(_changed(ended), name_of=name_of)
    )
    assert progress.complete(WRAPPED_UP_SALE)
    twice = (conv(c("wrapupCode.name", "equal", "Sale"), count=2),)
    again = _progress(twice, [_added(e) for e in before] + [_changed(ended), _changed(ended)])
    assert (again.pattern_index, again.matched) == (0, 1)


def test_event_from_effect_names_ids_and_spells_web_keys_the_genesys_way() -> None:
    added = JourneyEventAdded(
        "s", "e", "searched", "Web", "web", 5, {"search.query": "boots", "page.url": "/"}
    )
    event = event_from_effect(added)
    assert event.attributes == {"searchQuery": "boots", "page.url": "/"}
    assert (event.stream_type, event.session_type, event.created_ms) == ("Web", "web", 5)
    changed = JourneyEventChanged("s", "e2", "ended", 9, {"queue.id": "q-sales", "agent.id": "u-x"})
    named = event_from_effect(changed, name_of=name_of)
    assert named.stream_type == "Conversation"
    assert named.attributes["queue.name"] == "Sales"
    assert named.attributes["agent.name"] == "u-x"  # unknown: the id, as cards show it


# -- a property: incremental, order-respecting, duplicates change nothing ----------------------

PAGES = ["/boots", "/hats", "/checkout", "/pay"]
JOURNEYS = st.lists(
    st.builds(
        lambda path, count, name: web_pattern(count, page(path), name=name),
        st.sampled_from(PAGES),
        st.integers(1, 3),
        st.sampled_from(["page_viewed", "searched", None]),
    ),
    min_size=1,
    max_size=3,
)


def _timed(specs: list[tuple[str, str, int]]) -> list[CriteriaEvent]:
    """Events arriving in the order they happened (ties allowed): ``(path, name, gap)``."""
    events, t = [], 0
    for i, (path, name, gap) in enumerate(specs):
        t += gap
        events.append(web(f"e{i}", name, t, page_url=path))
    return events


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(PAGES), st.sampled_from(["page_viewed", "searched"]), st.integers(0, 2)
    ),
    max_size=12,
).map(_timed)


def _reference(patterns: Sequence[JourneyPattern], events: Sequence[CriteriaEvent]) -> int:
    """How many patterns a whole history satisfies, by rescanning it (the definition)."""
    unique = list({e.event_id: e for e in reversed(events)}.values())[::-1]
    position, since, done = 0, None, 0
    for p in patterns:
        needed = p.count
        while position < len(unique) and needed:
            e = unique[position]
            position += 1
            if (since is None or e.created_ms > since) and pattern_matches(p, e):
                needed -= 1
                if not needed:
                    since = e.created_ms
        if needed:
            return done
        done += 1
    return done


@given(JOURNEYS, EVENTS, st.data())
def test_one_by_one_equals_any_order_respecting_application_with_duplicates(
    patterns: list[JourneyPattern], events: list[CriteriaEvent], data: st.DataObject
) -> None:
    once = advance_all(patterns, START, events)
    assert once.pattern_index == _reference(patterns, events)
    fed: list[CriteriaEvent] = []
    for event in events:
        fed.append(event)
        repeats = data.draw(st.lists(st.sampled_from(fed), max_size=2))
        fed.extend(repeats)
    assert advance_all(patterns, START, fed) == once


# -- event conditions, page URLs, matching, the index --------------------------------------------

CHECKOUT_VIEW = EventCondition(
    "page.url", ("/checkout",), "containsAny", "Web", "web", "page_viewed"
)
TITLE_PAY = EventCondition("page.title", ("Pay",), "startsWith", "Web", "web", "page_viewed")


def test_event_conditions_are_all_about_one_event() -> None:
    both = web("e1", page_url="/checkout", page_title="Payment")
    assert conditions_match((CHECKOUT_VIEW, TITLE_PAY), both)
    assert not conditions_match((CHECKOUT_VIEW, TITLE_PAY), web("e2", page_url="/checkout"))
    assert not conditions_match((CHECKOUT_VIEW,), web("e3", "searched", page_url="/checkout"))
    assert not conditions_match((), both)


def test_page_url_conditions() -> None:
    shop = (PageUrlCondition(("https://shop.example.com",), "startsWith"),)
    assert page_url_matches(shop, "https://shop.example.com/boots")
    assert not page_url_matches(shop, "https://blog.example.com/")
    assert not page_url_matches(shop, None)
    assert page_url_matches((), None)


def seg(
    seg_id: str,
    journey: tuple[JourneyPattern, ...] = (),
    context: tuple[ContextPattern, ...] = (),
    *,
    active: bool = True,
) -> Segment:
    return Segment(
        seg_id,
        1,
        seg_id,
        0,
        0,
        is_active=active,
        context_patterns=context,
        journey_patterns=journey,
    )


UK = ContextPattern((Criterion("geolocation.country", ("GB",), "equal", False, "visit"),))


def test_is_matched_needs_the_journey_and_the_context() -> None:
    segment = seg("s", BOOTS_THEN_CHECKOUT[:1], (UK,))
    done = JourneyProgress(1, 0, frozenset({"a", "b"}), 0)
    assert is_matched(segment, done, {"geolocation.country": "GB"})
    assert not is_matched(segment, done, {"geolocation.country": "FR"})
    assert not is_matched(segment, START, {"geolocation.country": "GB"})


def test_the_index_returns_only_definitions_that_could_care() -> None:
    views = seg("views", BOOTS_THEN_CHECKOUT)
    searches = seg("searches", (web_pattern(1, name="searched"),))
    any_web = seg("any", (web_pattern(3, name=None),))
    uk = seg("uk", context=(UK,))
    calls = seg("calls", WRAPPED_UP_SALE)
    off = seg("off", BOOTS_THEN_CHECKOUT, active=False)
    index = DefinitionIndex.build([views, searches, any_web, uk, calls, off])
    assert index.candidates("Web", "page_viewed") == (views, any_web, uk)
    assert index.candidates("Web", "searched") == (searches, any_web, uk)
    assert index.candidates("Conversation", "ended") == (calls, uk)
    assert index.candidates("App", "screen_viewed") == (uk,)
    alone = DefinitionIndex.build([views])
    assert alone.candidates("Conversation", "ended") == ()


def test_the_index_of_action_maps_by_event_and_by_segment() -> None:
    action = ActionMapAction("contentOffer", action_template_id="t1")
    by_event = ActionMap(
        "m1", 1, "Checkout", action, 0, 0, trigger_with_event_conditions=(CHECKOUT_VIEW,)
    )
    by_segment = ActionMap("m2", 1, "VIP", action, 0, 0, trigger_with_segments=("vip", "uk"))
    index = DefinitionIndex.build([by_event, by_segment])
    assert index.candidates("Web", "page_viewed") == (by_event,)
    assert index.candidates("Web", "searched") == ()
    assert index.triggered_by("uk") == (by_segment,)
    assert index.triggered_by("other") == ()
