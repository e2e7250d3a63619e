"""core.uuids.uuid5_text gives the standard library's name-based UUIDs, as text."""

from __future__ import annotations

import uuid

import pytest

from journeyline.core.conversation import NAMESPACE
from journeyline.core.uuids import uuid5_text

CASES = [
    (NAMESPACE, "conversation:5b2b6f2e-0000-4000-8000-000000000001"),
    (NAMESPACE, "webevent:8f867cc42f1d4ad3ab22e2031a7fe637"),
    (NAMESPACE, "contact:cookie:573d5dc7-9b80-4edd-a8df-8b22f5a05735"),
    (NAMESPACE, ""),
    (NAMESPACE, "ünïcødé: Zoë, 東京"),
    (uuid.NAMESPACE_DNS, "example.com"),
    (uuid.NAMESPACE_URL, "https://example.com/a?b=c"),
]


@pytest.mark.parametrize(("namespace", "name"), CASES)
def test_uuid5_text_is_the_standard_librarys(namespace: uuid.UUID, name: str) -> None:
    assert uuid5_text(namespace, name) == str(uuid.uuid5(namespace, name))


def test_many_names_agree() -> None:
    for n in range(2000):  # every value of the version and variant bytes comes up
        name = f"name-{n}"
        assert uuid5_text(NAMESPACE, name) == str(uuid.uuid5(NAMESPACE, name))
