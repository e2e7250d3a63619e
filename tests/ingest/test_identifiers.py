"""Phone numbers as people write them, to E.164 (``ingest.identifiers.normalise_phone``)."""

from __future__ import annotations

import pytest

from journeyline.ingest.identifiers import normalise_phone
from journeyline.model.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+33698765432", "+33698765432"),
        ("0033698765432", "+33698765432"),  # 00: the international prefix
        ("0033 6 98 76 54 32", "+33698765432"),
        (
            "\uff0b\uff13\uff13\uff16\uff19\uff18\uff17\uff16\uff15\uff14\uff13\uff12",
            "+33698765432",
        ),
        (" tel:+33698765432 ", "+33698765432"),
        ("06 98 76 54 32", None),  # a national number, and no region to read it in
    ],
)
def test_a_phone_number_as_people_write_it(given: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput):
            normalise_phone(given)
    else:
        assert normalise_phone(given) == expected
