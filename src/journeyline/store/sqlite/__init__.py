"""The embedded store: one SQLite file in WAL mode (``sqlite:///path/to/file.db``).

One connection per ``SqliteStore``; the process has one writer (the ingest thread) and readers
on their own connections. The store is one mixin per piece of the interface
(``store/protocol.py``) on a connection (``connection.py``); every public method translates
``sqlite3.Error`` to ``StoreError`` (``store/boundary.py``).

    connection.py     the file, migrations, transactions and savepoints
    log.py            event_log
    conversations.py  conversation sessions and events, the session listing
    web.py            web and app sessions and their events
    people.py         contacts, identifiers, audits, session links
    projections.py    clear and snapshot the projections
    effects.py        the effect log, partition positions, deadlines
    definitions.py    segments, outcomes, action maps, templates and their decisions
    flows.py          flows, their secrets, the outbox of their deliveries
    accounts.py       desktop accounts, their sign-in sessions, the server's secrets
    directory.py  deployments.py  auth.py
"""

from __future__ import annotations

import sqlite3

from journeyline.store.base import register_backend
from journeyline.store.boundary import translate_errors
from journeyline.store.sqlite.accounts import AccountsMixin
from journeyline.store.sqlite.auth import AuthMixin
from journeyline.store.sqlite.connection import MIGRATIONS, Connection, migrate, path_of
from journeyline.store.sqlite.conversations import ConversationMixin
from journeyline.store.sqlite.definitions import DefinitionsMixin
from journeyline.store.sqlite.deployments import DeploymentMixin
from journeyline.store.sqlite.directory import DirectoryMixin
from journeyline.store.sqlite.effects import EffectsMixin
from journeyline.store.sqlite.flows import FlowsMixin
from journeyline.store.sqlite.log import LogMixin
from journeyline.store.sqlite.people import PeopleMixin
from journeyline.store.sqlite.projections import ProjectionMixin
from journeyline.store.sqlite.web import WebMixin

__all__ = ["MIGRATIONS", "SqliteStore", "migrate", "path_of"]


@translate_errors(sqlite3.Error)
class SqliteStore(
    LogMixin,
    ConversationMixin,
    WebMixin,
    PeopleMixin,
    ProjectionMixin,
    DirectoryMixin,
    DeploymentMixin,
    AuthMixin,
    AccountsMixin,
    EffectsMixin,
    DefinitionsMixin,
    FlowsMixin,
    Connection,
):
    @classmethod
    def open(cls, url: str) -> SqliteStore:
        migrate(url)
        return cls(url)


register_backend("sqlite", SqliteStore.open)
