"""Whether a triggered action map acts, and when: its filters and activation, as pure rules.

An action map whose trigger held on a session (``engine.journeys``) passes these filters, in
the order Genesys documents them (reference §11): start and end dates, page URL conditions,
frequency capping, then weight between the web offers that fire together (page URL conditions
are checked when the offer is shown, by the ping).
What passes is **qualified**, due now or later (activation); what fails a filter that concerns
the visitor is **blocked** with its Genesys ``blockingReason``; what is simply not in force
(not started, ended) is skipped without a trace.

=====================  ========================================================================
rule                   what it does
=====================  ========================================================================
dates                  before ``startDate`` or from ``endDate`` on: skipped (a web offer before
                       its start is blocked ``TriggerDateInFuture``)
once                   an ``architectFlow`` map triggered by visitor activity alone fires on
                       every matching event; any other map acts once per session (a web offer
                       is never offered twice in a session by the same map)
page URL               a web offer's ``pageUrlConditions`` say on which pages it may be shown:
                       the ping checks them against the visitor's page (``core.offers``), so an
                       offer qualified on one page is shown on the next one that matches
already offered        a web offer while another of the session is still pending (qualified or
                       offered): blocked ``AlreadyExistingOffer``
frequency cap          unless ``ignoreFrequencyCap``: a web offer of a type whose earlier offer
                       in the session was rejected (``cap_after_rejection``), accepted
                       (``cap_after_acceptance``), or made less than ``min_wait_ms`` ago:
                       blocked ``FrequencyCapping``
weight                 of the web offers that qualify on one event (a visitor sees one offer at a
                       time), the heaviest ``weight`` wins; at equal weight one is chosen
                       uniformly by a stable hash of the session (Genesys: "each is shown a set
                       percentage of the time"), so a replay chooses the same; the others are
                       blocked ``MultipleSimultaneousOffers``
activation             ``immediate``: due now; ``delay``: due ``delayInSeconds`` later;
                       ``on-next-session`` / ``on-next-visit``: waits for the contact's next
                       session (``ActionDue.next_session``)
=====================  ========================================================================

Schedule groups (``OfferedOutsideSchedule``), service-level throttling and agent availability
(``NoAvailableAgents``) are not evaluated: journeyline does not know the contact centre's
schedules or agents' presence (docs/definitions.md says so).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from journeyline.core.offers import WEB_OFFERS
from journeyline.model.definitions import ActionMap
from journeyline.model.record import record

PENDING_STATES = frozenset({"qualified", "offered"})
ACCEPTED_STATES = frozenset({"accepted", "engaged", "started", "completed"})


@record
class OfferPolicy:
    """The organisation's frequency capping of web offers (Genesys "Action settings"),
    from the settings ``JOURNEYLINE_OFFERS_CAP_AFTER_REJECTION``, ``..._AFTER_ACCEPTANCE`` and
    ``JOURNEYLINE_OFFERS_MIN_WAIT_SECONDS``."""

    cap_after_rejection: bool = True
    cap_after_acceptance: bool = True
    min_wait_ms: int = 0


@record
class Earlier:
    """An action already taken on the session, as the rules need it."""

    action_map_id: str
    media_type: str
    state: str
    created_ms: int


@record
class Verdict:
    """``state``: ``qualified``, ``blocked`` or ``skip``; ``reason``: the Genesys blocking
    reason of a blocked one; ``due_ms``: when a qualified one acts (None: at the contact's
    next session)."""

    state: str
    reason: str | None = None
    due_ms: int | None = None


SKIP = Verdict("skip")


def is_web_offer(action_map: ActionMap) -> bool:
    return action_map.action.media_type in WEB_OFFERS


def in_force(action_map: ActionMap, now_ms: int) -> bool:
    """Whether a map acts at all at ``now_ms``: active, started and not ended (an action that
    waited for the contact's next session is taken then only if its map still is)."""
    return (
        action_map.is_active
        and (action_map.start_ms is None or action_map.start_ms <= now_ms)
        and (action_map.end_ms is None or now_ms < action_map.end_ms)
    )


def judge(
    action_map: ActionMap,
    *,
    now_ms: int,
    every_time: bool,
    earlier: Sequence[Earlier],
    policy: OfferPolicy,
) -> Verdict:
    """The filters of one triggered map on one session (see the module docstring), before
    weighing it against the others that fire with it."""
    offer = is_web_offer(action_map)
    if action_map.start_ms is not None and now_ms < action_map.start_ms:
        return Verdict("blocked", "TriggerDateInFuture") if offer else SKIP
    if action_map.end_ms is not None and now_ms >= action_map.end_ms:
        return SKIP
    own = [e for e in earlier if e.action_map_id == action_map.id and e.state != "blocked"]
    if own and (offer or not every_time):
        return SKIP  # once per session
    if offer:
        if any(e.media_type in WEB_OFFERS and e.state in PENDING_STATES for e in earlier):
            return Verdict("blocked", "AlreadyExistingOffer")
        if not action_map.ignore_frequency_cap and _capped(action_map, earlier, now_ms, policy):
            return Verdict("blocked", "FrequencyCapping")
    return Verdict("qualified", due_ms=_due(action_map, now_ms))


def _capped(
    action_map: ActionMap, earlier: Sequence[Earlier], now_ms: int, policy: OfferPolicy
) -> bool:
    same = [e for e in earlier if e.media_type == action_map.action.media_type]
    if policy.cap_after_rejection and any(e.state == "rejected" for e in same):
        return True
    if policy.cap_after_acceptance and any(e.state in ACCEPTED_STATES for e in same):
        return True
    offered = [e.created_ms for e in same if e.state != "blocked"]
    return bool(policy.min_wait_ms and offered and now_ms - max(offered) < policy.min_wait_ms)


def _due(action_map: ActionMap, now_ms: int) -> int | None:
    activation = action_map.activation
    if activation.type == "delay":
        return now_ms + (activation.delay_seconds or 0) * 1000
    if activation.type in ("on-next-session", "on-next-visit"):
        return None
    return now_ms


def weigh(qualified: Sequence[ActionMap], session_id: str) -> tuple[ActionMap, ...]:
    """The web offers of ``qualified`` (maps that passed :func:`judge` on one event) that lose:
    a visitor is shown one offer at a time, so all but the heaviest lose, and at equal weight
    all but one chosen by a stable hash of the session and the maps. Maps that are not web
    offers never lose."""
    rivals = [m for m in qualified if is_web_offer(m)]
    if len(rivals) < 2:
        return ()
    top = max(m.weight for m in rivals)
    heaviest = sorted((m for m in rivals if m.weight == top), key=lambda m: m.id)
    seed = "\x1f".join([session_id, *(m.id for m in heaviest)]).encode()
    chosen = heaviest[int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % len(heaviest)]
    return tuple(m for m in rivals if m is not chosen)
