"""Break a store's database behind its back, whatever its backend: the tests of what a
failing database looks like from the API, the engine and the store's boundary."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pg


def drop_tables(url: str, *names: str) -> None:
    """Drop the tables ``names`` (none named: every table) through a connection of our own."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            if not names:
                names = tuple(
                    name
                    for (name,) in db.execute(
                        "SELECT name FROM sqlite_master"
                        " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    )
                )
            for name in names:
                db.execute(f'DROP TABLE "{name}"')
            db.commit()
    else:
        pg.drop_tables(url, names)


def run(url: str, statement: str) -> list[tuple[object, ...]]:
    """Run ``statement`` on the store at ``url`` behind its back (committed); the rows it
    selects."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            rows = [tuple(row) for row in db.execute(statement)]
            db.commit()
            return rows
    return pg.run(url, statement)
