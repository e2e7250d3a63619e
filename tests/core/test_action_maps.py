"""Action map filters and activation as tables of cases (core/action_maps.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from journeyline.core.action_maps import Earlier, OfferPolicy, Verdict, judge, weigh
from journeyline.model.definitions import (
    ActionMap,
    ActionMapAction,
    Activation,
    MediaType,
)

NOW = 1_795_600_000_000


def action_map(
    map_id: str = "m1", media_type: MediaType = "contentOffer", **fields: object
) -> ActionMap:
    made = ActionMap(
        map_id, 1, map_id, ActionMapAction(media_type), created_ms=NOW, modified_ms=NOW
    )
    return replace(made, **fields)  # type: ignore[arg-type]


def earlier(
    state: str, map_id: str = "m0", media_type: str = "contentOffer", ago_s: int = 60
) -> Earlier:
    return Earlier(map_id, media_type, state, NOW - ago_s * 1000)


DEFAULT = OfferPolicy()
Case = tuple[str, ActionMap, bool, list[Earlier], OfferPolicy, Verdict]


def case(
    what: str,
    action: ActionMap,
    expected: Verdict,
    *,
    every_time: bool = False,
    before: tuple[Earlier, ...] = (),
    policy: OfferPolicy = DEFAULT,
) -> Case:
    return (what, action, every_time, list(before), policy, expected)


NOW_OK = Verdict("qualified", due_ms=NOW)
SKIP = Verdict("skip")
FLOW = action_map(media_type="architectFlow")
CAPPED = Verdict("blocked", "FrequencyCapping")
MESSAGING: MediaType = "webMessagingOffer"

CASES: list[Case] = [
    case("an offer, nothing before", action_map(), NOW_OK),
    case("a flow before its start", replace(FLOW, start_ms=NOW + 1), SKIP, every_time=True),
    case(
        "an offer before its start",
        action_map(start_ms=NOW + 1),
        Verdict("blocked", "TriggerDateInFuture"),
    ),
    case("at its end date", action_map(end_ms=NOW), SKIP),
    case("a moment before its end", action_map(end_ms=NOW + 1), NOW_OK),
    # the flow rule: visitor activity alone fires every time; anything else once per session
    case(
        "a flow on activity, again",
        FLOW,
        NOW_OK,
        every_time=True,
        before=(earlier("qualified", "m1", "architectFlow"),),
    ),
    case(
        "a flow on a segment, again",
        FLOW,
        SKIP,
        before=(earlier("qualified", "m1", "architectFlow"),),
    ),
    case(
        "an offer on activity, again",
        action_map(),
        SKIP,
        every_time=True,
        before=(earlier("ignored", "m1"),),
    ),
    case("blocked before is no bar", action_map(), NOW_OK, before=(earlier("blocked", "m1"),)),
    # one pending offer at a time
    case(
        "another offer pending",
        action_map(),
        Verdict("blocked", "AlreadyExistingOffer"),
        before=(earlier("offered", media_type=MESSAGING),),
    ),
    case("another offer over", action_map(), NOW_OK, before=(earlier("ignored"),)),
    case(
        "a flow pending is no offer",
        action_map(),
        NOW_OK,
        before=(earlier("qualified", media_type="architectFlow"),),
    ),
    # frequency capping, per media type, unless the map ignores it
    case("rejected before", action_map(), CAPPED, before=(earlier("rejected"),)),
    case(
        "rejected, cap off",
        action_map(),
        NOW_OK,
        before=(earlier("rejected"),),
        policy=OfferPolicy(cap_after_rejection=False),
    ),
    case(
        "rejected, the map ignores the cap",
        action_map(ignore_frequency_cap=True),
        NOW_OK,
        before=(earlier("rejected"),),
    ),
    case(
        "another type rejected",
        action_map(),
        NOW_OK,
        before=(earlier("rejected", media_type=MESSAGING),),
    ),
    case("accepted before", action_map(), CAPPED, before=(earlier("accepted"),)),
    case(
        "accepted, cap off",
        action_map(),
        NOW_OK,
        before=(earlier("accepted"),),
        policy=OfferPolicy(cap_after_acceptance=False),
    ),
    case(
        "within the minimum wait",
        action_map(),
        CAPPED,
        before=(earlier("ignored", ago_s=30),),
        policy=OfferPolicy(min_wait_ms=60_000),
    ),
    case(
        "after the minimum wait",
        action_map(),
        NOW_OK,
        before=(earlier("ignored", ago_s=61),),
        policy=OfferPolicy(min_wait_ms=60_000),
    ),
    # activation
    case(
        "a delay",
        action_map(activation=Activation("delay", 30)),
        Verdict("qualified", due_ms=NOW + 30_000),
    ),
    case(
        "on the next session",
        action_map(activation=Activation("on-next-session")),
        Verdict("qualified", due_ms=None),
    ),
    case(
        "on the next visit",
        replace(FLOW, activation=Activation("on-next-visit")),
        Verdict("qualified", due_ms=None),
    ),
]


@pytest.mark.parametrize(
    ("action", "every_time", "before", "policy", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_judge(
    action: ActionMap,
    every_time: bool,
    before: list[Earlier],
    policy: OfferPolicy,
    expected: Verdict,
) -> None:
    verdict = judge(action, now_ms=NOW, every_time=every_time, earlier=before, policy=policy)
    assert verdict == expected


def test_the_heaviest_web_offer_wins_and_others_never_lose() -> None:
    light, heavy = action_map("light", weight=1), action_map("heavy", MESSAGING, weight=3)
    flow = action_map("flow", "architectFlow", weight=9)
    assert {m.id for m in weigh([light, heavy, flow], "s1")} == {"light"}  # one offer shown
    assert weigh([light, flow], "s1") == ()


def test_at_equal_weight_one_offer_is_chosen_stably_and_each_about_evenly() -> None:
    maps = [action_map(f"m{n}") for n in range(3)]
    winners: dict[str, int] = {}
    for n in range(600):
        losers = {m.id for m in weigh(maps, f"session-{n}")}
        [winner] = [m.id for m in maps if m.id not in losers]
        assert {m.id for m in weigh(list(reversed(maps)), f"session-{n}")} == losers  # stable
        winners[winner] = winners.get(winner, 0) + 1
    assert set(winners) == {"m0", "m1", "m2"}
    assert all(150 < count < 250 for count in winners.values()), winners
