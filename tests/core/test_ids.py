"""The ids a client may give, and ids of any origin put into a ``selfUri`` (``core/ids.py``)."""

from __future__ import annotations

import pytest

from journeyline.core.ids import check_id, path_segment
from journeyline.model.errors import InvalidInput


@pytest.mark.parametrize(
    "given", ["q-sales", "wc_sale", "01a23ad6-d144-71d1-a277-4dfa5caea155", "a.b~c:d@e", "x" * 256]
)
def test_an_id_of_url_safe_characters_is_taken(given: str) -> None:
    assert check_id(given) == given


@pytest.mark.parametrize(
    "given",
    [
        "",
        "x" * 257,
        "<img src=x onerror=alert(1)>",
        '"><script>alert(1)</script>',
        "a/b",
        "../admin",
        ".",
        "..",
        "a b",
        "a?b=c",
        "a#b",
        "a%2Fb",
        "caf\u00e9",
        "a\x00b",
    ],
)
def test_any_other_id_is_refused_naming_the_field(given: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_id(given, "queues.id")
    assert refused.value.field == "queues.id"


@pytest.mark.parametrize(
    ("raw", "segment"),
    [
        ("q-sales", "q-sales"),
        ("a/b", "a%2Fb"),
        ("<img src=x>", "%3Cimg%20src%3Dx%3E"),
        ("../x", "..%2Fx"),
        ("a?b#c", "a%3Fb%23c"),
        ('"quoted"', "%22quoted%22"),
        (".", "%2E"),  # a step a browser or proxy would resolve
        ("..", "%2E%2E"),
        ("...", "..."),
    ],
)
def test_an_id_becomes_one_percent_encoded_path_segment(raw: str, segment: str) -> None:
    assert path_segment(raw) == segment
