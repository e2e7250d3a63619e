"""Fixtures of the API tests."""

from __future__ import annotations

import pytest

from conftest import Api
from web_visits import new_shop


@pytest.fixture
def shop(api: Api) -> str:
    """The id of a new deployment that allows every domain (``web_visits.new_shop``)."""
    deployment_id: str = new_shop(api)["id"]
    return deployment_id
