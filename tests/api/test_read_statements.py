"""A journey's reads take a fixed number of statements whatever its page holds: the API's
listing of a contact's sessions and the desktop's person page load each kind of thing their
sessions show (links, contacts, segments, outcomes, identifiers, directory names) with one
``IN (...)`` query for the page (``engine.reads``), not a few queries per session — on
PostgreSQL each statement is a network round trip. Counted at the connection of each store the
reads' pool lends (the real database answers every statement)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from builders import Conversation, answered
from conftest import Api
from journeyline.core.conversation import session_id_for
from signing_in import PASSWORD, sign_in

INTAKE = "/api/v2/journey/conversationevents"
LISTING = "/api/v2/externalcontacts/contacts/{}/journey/sessions"


def answered_call(conversation_id: str) -> Conversation:
    """A call routed, answered, ended and wrapped up: a card with a queue, an agent and a
    wrap-up code to name."""
    return (
        answered(conversation_id)
        .user_end(200, "u-ann")
        .customer_end(200, "PEER")
        .acw(220, "u-ann", "w-sale")
    )


class Counting:
    """The store's connection, counting the statements sent through it."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.statements: list[str] = []

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        self.statements.append(sql)
        return self.db.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any:
        self.statements.append(sql)
        return self.db.executemany(sql, parameters)


class CountingPool:
    """The reads' pool, each store it lends counting into ``statements``."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.size = pool.size
        self.statements: list[str] = []

    @contextmanager
    def borrow(self) -> Iterator[Any]:
        with self.pool.borrow() as store:
            counter = Counting(store._db)
            counter.statements = self.statements
            store._db = counter
            try:
                yield store
            finally:
                store._db = counter.db

    def close(self) -> None:
        self.pool.close()


@contextmanager
def counted(api: Api) -> Iterator[list[str]]:
    reader = api.client.app.state.services.read  # type: ignore[attr-defined]
    counting = CountingPool(reader.pool)
    reader.pool = counting
    try:
        yield counting.statements
    finally:
        reader.pool = counting.pool


def caller_with(api: Api, sessions: int, first: int = 0) -> str:
    """One caller's ``sessions`` more wrapped-up calls, an hour apart; their contact's id."""
    for n in range(first, first + sessions):
        call = answered_call(f"conv-{n}")
        for wire in call.wire:
            wire["eventBody"]["eventTime"] += n * 3_600_000
        assert api.post(INTAKE, call.wire).status_code == 202
    found = api.get(f"/api/v2/journey/sessions/{session_id_for('conv-0')}").json()
    contact_id: str = found["externalContact"]["id"]
    return contact_id


def signed_in(api: Api) -> None:
    body = {"name": "Ann Agent", "email": "ann@example.com", "password": PASSWORD}
    assert api.post("/api/v2/users", body).status_code == 200
    assert sign_in(api.client).status_code == 303


def statements_of(api: Api, path: str, **params: Any) -> tuple[int, str]:
    with counted(api) as statements:
        response = api.get(path, params=params) if params else api.client.get(path)
    assert response.status_code == 200, response.text
    return len(statements), response.text


@pytest.mark.parametrize("page_size", [25, 200])
def test_a_contacts_listing_takes_the_same_statements_for_5_sessions_as_for_25(
    api: Api, page_size: int
) -> None:
    contact_id = caller_with(api, 5)
    few, text = statements_of(api, LISTING.format(contact_id), pageSize=page_size)
    assert text.count('"conversation":') == 5
    caller_with(api, 20, first=5)
    many, text = statements_of(api, LISTING.format(contact_id), pageSize=page_size)
    assert text.count('"conversation":') == 25
    assert many == few <= 8, (few, many)  # before the reads ahead: 36 and 176


def test_the_person_page_takes_the_same_statements_for_5_sessions_as_for_25(api: Api) -> None:
    contact_id = caller_with(api, 5)
    signed_in(api)
    path = f"/desktop/people/{contact_id}"
    few, text = statements_of(api, path)
    assert sum(session_id_for(f"conv-{n}") in text for n in range(25)) == 5
    caller_with(api, 20, first=5)
    many, text = statements_of(api, path)
    assert sum(session_id_for(f"conv-{n}") in text for n in range(25)) == 25
    assert many == few <= 20, (few, many)  # before the reads ahead: 34 and 134
