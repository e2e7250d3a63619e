"""The SQLite store at its edges: driver errors become StoreError, transactions roll back."""

from __future__ import annotations

import sqlite3

import pytest

from journeyline.errors import StoreError
from journeyline.store import Store, open_store
from journeyline.store.base import LogRecord


def test_a_failing_unit_of_work_is_rolled_back_and_translated(store: Store) -> None:
    good = LogRecord("k1", "test", "p", 1, b"{}", 1)
    bad = LogRecord("k2", "test", "p", 1, None, 1)  # type: ignore[arg-type]  # NOT NULL body
    with pytest.raises(StoreError, match="the store failed") as caught, store.transaction():  # noqa: PT012
        store.append([good])
        store.append([bad])
    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert store.log_count() == 0


def test_a_second_writer_waits_for_the_first(store_url: str) -> None:
    first, second = open_store(store_url), open_store(store_url)
    with first.transaction():
        first.append([LogRecord("a", "test", "p", 1, b"{}", 1)])
    with second.transaction():
        assert second.append([LogRecord("a", "test", "p", 1, b"{}", 1)]) == set()
    assert second.log_count() == 1
    first.close()
    second.close()


def test_unknown_url_schemes_are_refused() -> None:
    from journeyline.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unsupported store URL scheme 'postgresql'"):
        open_store("postgresql://localhost/test")
