"""Any arrival order, with any duplication, folds to the same session and events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conversation_cases import CASES
from journeyline.core.conversation import fold
from journeyline.demo.day import demo_day

DEMO = demo_day(day_start_ms=1_795_500_000_000, seed=3, conversations=40)
CONVERSATIONS = [c.conversation.events() for c in CASES]


def _demo_conversations() -> list[list[object]]:
    from journeyline.ingest.genesys_detail import parse_item

    by_id: dict[str, list[object]] = {}
    for wire in DEMO.events:
        event = parse_item(wire).event
        by_id.setdefault(event.conversation_id, []).append(event)
    return list(by_id.values())


CONVERSATIONS += _demo_conversations()  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), index=st.integers(0, len(CONVERSATIONS) - 1))
def test_permutations_and_duplicates_converge(data: st.DataObject, index: int) -> None:
    events = CONVERSATIONS[index]
    expected = fold(events)
    shuffled = data.draw(st.permutations(events))
    duplicated = data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
    assert fold([*shuffled, *duplicated]) == expected
