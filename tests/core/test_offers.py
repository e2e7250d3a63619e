"""The web offer lifecycle's transition table, and which qualified offers a ping serves."""

from __future__ import annotations

from typing import Any

import pytest

from journeyline.core.offers import NEXT, REPORTABLE, STATES, TERMINAL, servable, transition
from journeyline.model.errors import Conflict, InvalidInput


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        ("qualified", "offered"),
        ("qualified", "accepted"),  # a headless site that never says it showed the offer
        ("qualified", "errored"),
        ("offered", "accepted"),
        ("offered", "rejected"),
        ("offered", "ignored"),
        ("offered", "timedout"),
        ("offered", "errored"),
        ("offered", "started"),
        ("started", "engaged"),
        ("engaged", "completed"),
        ("engaged", "abandoned"),
    ],
)
def test_allowed_transitions(current: str, reported: str) -> None:
    assert transition(current, reported) is True


@pytest.mark.parametrize("state", sorted(STATES))
def test_the_same_state_again_changes_nothing(state: str) -> None:
    assert transition(state, state) is False


@pytest.mark.parametrize("final", sorted(TERMINAL))
@pytest.mark.parametrize("reported", sorted(REPORTABLE))
def test_a_final_state_never_changes(final: str, reported: str) -> None:
    if final == reported:
        return
    with pytest.raises(Conflict) as caught:
        transition(final, reported)
    assert caught.value.field == "actionState"


@pytest.mark.parametrize(
    ("current", "reported"),
    [("offered", "completed"), ("started", "offered"), ("engaged", "started")],
)
def test_states_out_of_order_are_conflicts(current: str, reported: str) -> None:
    with pytest.raises(Conflict):
        transition(current, reported)


@pytest.mark.parametrize(
    "reported", ["clicked", "Accepted", "", "qualified", "frequencyCapReached", "blocked"]
)
def test_unknown_and_server_states_are_invalid(reported: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        transition("offered", reported)
    assert caught.value.field == "actionState"


def test_the_table_names_only_genesys_states() -> None:
    assert set(NEXT) <= STATES
    assert REPORTABLE <= STATES
    assert not (set(NEXT) & TERMINAL)


NOW = 1_795_600_000_000
CART = {"pageUrlConditions": [{"values": ["/cart"], "operator": "containsAny"}]}


@pytest.mark.parametrize(
    ("doc", "url", "served"),
    [
        ({}, "https://shop.example.com/", True),
        (CART, "https://shop.example.com/cart.html", True),
        (CART, "https://shop.example.com/product.html", False),
        ({"dueMs": NOW}, "https://shop.example.com/", True),
        ({"dueMs": NOW + 1}, "https://shop.example.com/", False),  # an activation delay
        (
            {"pageUrlConditions": [{"values": ["https://shop."], "operator": "startsWith"}]}
            | {"dueMs": NOW - 5},
            "https://shop.example.com/cart.html",
            True,
        ),
        (
            {"pageUrlConditions": [{"values": ["/cart"], "operator": "notContainsAny"}]},
            "https://shop.example.com/cart.html",
            False,
        ),
    ],
)
def test_what_a_ping_serves(doc: dict[str, Any], url: str, served: bool) -> None:
    assert servable(doc, url=url, now_ms=NOW) is served
