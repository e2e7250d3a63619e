"""The ids a client may give, and ids of any origin put into a ``selfUri`` (``core/ids.py``)."""

from __future__ import annotations

import pytest

from journeyline.core.ids import check_id, cookie_id, path_segment
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


COOKIE = "7d5d8a6e-2f8b-4c1e-9a3b-0c1d2e3f4a5b"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (COOKIE, COOKIE),
        (COOKIE.upper(), COOKIE),  # the same visitor: case is no part of a UUID
        ("{" + COOKIE + "}", None),  # other spellings of it are refused, not rewritten
        (COOKIE.replace("-", ""), None),
        ("urn:uuid:" + COOKIE, None),
        (COOKIE + " ", None),
        ("7d5d8a6e-2f8b-4c1e-9a3b-0c1d2e3f4a5g", None),
        ("", None),
    ],
)
def test_a_cookie_id_is_a_uuid_in_one_spelling(given: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput) as refused:
            cookie_id(given)
        assert refused.value.field == "customerCookieId"
    else:
        assert cookie_id(given) == expected
