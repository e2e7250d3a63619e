"""The store interface and the backend registry.

The interface is split by projection (``store/protocol.py``) and composed into ``Store``; the
records it takes and gives are in ``store/records.py``. Both are re-exported here, the names the
rest of the package imports. Backends are chosen by the URL scheme (``sqlite:///path``,
``postgresql://host/database``) through one registry, which gives a store (``open_store``: one
connection, the writer's or a tool's) or a pool of them (``open_pool``: the API's reads, each
lent to one thread at a time).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from journeyline.model.errors import InvalidInput
from journeyline.store.protocol import (
    AccountStore,
    AuthStore,
    ConversationStore,
    DefinitionStore,
    DeploymentStore,
    DirectoryStore,
    EffectStore,
    ErasureStore,
    FlowStore,
    LogStore,
    OutboxStore,
    PeopleStore,
    ProjectionStore,
    Store,
    UnitOfWork,
    WebStore,
    methods_of,
)
from journeyline.store.records import (
    DIRECTORY_KINDS,
    ERASED_KIND,
    Account,
    Achievement,
    AnySession,
    Assignment,
    Audit,
    ConversationWrite,
    Deadline,
    DesktopSession,
    DirectoryEntry,
    JourneyAction,
    LogRecord,
    OAuthClient,
    Page,
    RuleEventRow,
    SessionLink,
    Snapshot,
    StoredDefinition,
    StoredWebEvent,
    WebSessionWrite,
)

__all__ = [
    "BACKENDS",
    "DIRECTORY_KINDS",
    "ERASED_KIND",
    "Account",
    "AccountStore",
    "Achievement",
    "AnySession",
    "Assignment",
    "Audit",
    "AuthStore",
    "ConversationStore",
    "ConversationWrite",
    "Deadline",
    "DefinitionStore",
    "DeploymentStore",
    "DesktopSession",
    "DirectoryEntry",
    "DirectoryStore",
    "EffectStore",
    "ErasureStore",
    "FlowStore",
    "JourneyAction",
    "LogRecord",
    "LogStore",
    "OAuthClient",
    "Opener",
    "OutboxStore",
    "Page",
    "PeopleStore",
    "PoolOpener",
    "ProjectionStore",
    "RuleEventRow",
    "SessionLink",
    "Snapshot",
    "Store",
    "StorePool",
    "StoredDefinition",
    "StoredWebEvent",
    "UnitOfWork",
    "WebSessionWrite",
    "WebStore",
    "methods_of",
    "open_pool",
    "open_store",
    "register_backend",
]


class StorePool(Protocol):
    """Up to ``size`` stores on the same database, each lent to one caller at a time: reads
    from many threads without sharing a connection. A store lent is used for reads only (the
    writer has its own) and is not closed by its borrower."""

    size: int

    def borrow(self) -> AbstractContextManager[Store]:
        """A store for the block; StoreError when none is free in time or none can connect."""
        ...

    def close(self) -> None: ...


Opener = Callable[[str], Store]
PoolOpener = Callable[[str, int], StorePool]
BACKENDS: dict[str, Opener] = {}
POOLS: dict[str, PoolOpener] = {}


def register_backend(scheme: str, opener: Opener, pool: PoolOpener) -> None:
    BACKENDS[scheme] = opener
    POOLS[scheme] = pool


def shown(url: str) -> str:
    """``url`` with its password, if it names one, as ``***``: a store's URL as it is printed or
    put in a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.netloc.rpartition("@")[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{parts.netloc.rpartition('@')[2]}"))


def open_store(url: str) -> Store:
    """Open (and migrate) the store named by ``url``."""
    return BACKENDS[_scheme(url)](url)


def open_pool(url: str, size: int) -> StorePool:
    """A pool of ``size`` stores on ``url``, which ``open_store`` has migrated already."""
    return POOLS[_scheme(url)](url, size)


def _scheme(url: str) -> str:
    """The URL's scheme, its backend registered (InvalidInput for an unknown one)."""
    scheme = url.split(":", 1)[0]
    if scheme not in BACKENDS:
        # Import the built-in backends lazily so that importing the interface stays cheap.
        if scheme in ("postgresql", "postgres"):
            from journeyline.store import postgres  # noqa: F401
        else:
            from journeyline.store import sqlite  # noqa: F401

    opener = BACKENDS.get(scheme)
    if opener is None:
        for backend in ("postgres", "sqlite"):  # every built-in one named
            importlib.import_module(f"journeyline.store.{backend}")

        known = ", ".join(sorted(BACKENDS))
        raise InvalidInput(f"unsupported store URL scheme '{scheme}' (known: {known})")
    return scheme
