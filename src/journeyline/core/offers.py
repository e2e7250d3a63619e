"""Web offers: the lifecycle of a ``contentOffer`` or ``webMessagingOffer`` journey action.

An action map that fires records a journey action in state ``qualified``
(``engine.journeys``). The tracker is served it on its ping (while it is ``qualified``) and
reports what became of it (``POST …/actionevent``). :func:`transition` says whether a reported
state may follow the action's current one:

==========================================  ================================================
from                                        to (what the browser may report)
==========================================  ================================================
``qualified``, ``qualifiedOutsideSchedule``  ``offered``, ``accepted``, ``rejected``, ``ignored``,
                                            ``timedout``, ``errored``
``offered``, ``offeredOutsideSchedule``      ``accepted``, ``rejected``, ``ignored``,
                                            ``timedout``, ``errored``, ``started``, ``engaged``
``started``                                 ``engaged``, ``completed``, ``abandoned``,
                                            ``errored``
``engaged``                                 ``completed``, ``abandoned``, ``errored``
terminal (see :data:`TERMINAL`)             nothing
==========================================  ================================================

The same state reported again is a no-op (:func:`transition` returns False), whatever the
state. ``qualified``, ``qualifiedOutsideSchedule``, ``offeredOutsideSchedule`` and
``frequencyCapReached`` are decided by the server and never reported by a browser.

:func:`servable` says whether the ping serves a qualified offer on a page: it must be due (an
action whose doc has ``dueMs``, an activation delay, is served from then on) and the page URL
(the ping's ``dl``) must meet the action map's ``pageUrlConditions``, with the operators of
criteria (``core.patterns.page_url_matches``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeyline.core.patterns import page_url_matches
from journeyline.model.definitions import PageUrlCondition
from journeyline.model.errors import Conflict, InvalidInput

#: The media types the tracker shows.
WEB_OFFERS = frozenset({"contentOffer", "webMessagingOffer"})

#: Genesys ``EventAction.state`` / ``ActionEventRequest.actionState`` (SDK ENUM).
STATES = frozenset(
    {
        "accepted",
        "rejected",
        "timedout",
        "errored",
        "ignored",
        "qualified",
        "offered",
        "started",
        "engaged",
        "qualifiedOutsideSchedule",
        "offeredOutsideSchedule",
        "abandoned",
        "completed",
        "frequencyCapReached",
    }
)

#: States nothing follows (``blocked`` is ours: an action the rules held back).
TERMINAL = frozenset(
    {
        "accepted",
        "rejected",
        "ignored",
        "timedout",
        "errored",
        "completed",
        "abandoned",
        "frequencyCapReached",
        "blocked",
    }
)

#: What the browser may report, by the state the action is in.
_SHOWN = ("accepted", "rejected", "ignored", "timedout", "errored")
NEXT: dict[str, frozenset[str]] = {
    "qualified": frozenset({"offered", *_SHOWN}),
    "qualifiedOutsideSchedule": frozenset({"offered", *_SHOWN}),
    "offered": frozenset({*_SHOWN, "started", "engaged"}),
    "offeredOutsideSchedule": frozenset({*_SHOWN, "started", "engaged"}),
    "started": frozenset({"engaged", "completed", "abandoned", "errored"}),
    "engaged": frozenset({"completed", "abandoned", "errored"}),
}

#: States a browser reports (the rest are the server's to decide).
REPORTABLE = frozenset().union(*NEXT.values())


def transition(current: str, reported: str) -> bool:
    """True when ``reported`` changes an action in state ``current``; False when it is the same
    state again (a duplicate, a no-op). Raises ``InvalidInput`` (field ``actionState``) for a
    state that is not a Genesys state or not one a browser reports, and ``Conflict`` for one
    that cannot follow ``current``."""
    if reported not in STATES:
        raise InvalidInput(
            f"actionState {reported!r} is not one of {', '.join(sorted(STATES))}",
            field="actionState",
        )
    if reported == current:
        return False
    if reported not in REPORTABLE:
        raise InvalidInput(
            f"actionState {reported} is decided by the server, not reported "
            f"(reported: {', '.join(sorted(REPORTABLE))})",
            field="actionState",
        )
    if reported not in NEXT.get(current, frozenset()):
        final = " (a final state)" if current in TERMINAL else ""
        raise Conflict(
            f"an action in state {current}{final} cannot become {reported}", field="actionState"
        )
    return True


def servable(doc: Mapping[str, Any], *, url: str, now_ms: int) -> bool:
    """Whether a qualified offer whose action doc is ``doc`` is served on ``url`` now."""
    due = doc.get("dueMs")
    if isinstance(due, int | float) and now_ms < due:
        return False
    conditions = tuple(
        PageUrlCondition(tuple(c.get("values", ())), c.get("operator", "equal"))
        for c in doc.get("pageUrlConditions", ())
    )
    return page_url_matches(conditions, url)
