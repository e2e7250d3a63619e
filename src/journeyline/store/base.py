"""The store interface and the backend registry.

The interface is split by projection (``store/protocol.py``) and composed into ``Store``; the
records it takes and gives are in ``store/records.py``. Both are re-exported here, the names the
rest of the package imports. Backends are chosen by the URL scheme (``sqlite:///path``,
``postgresql://host/database``) through one registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
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
    "ProjectionStore",
    "RuleEventRow",
    "SessionLink",
    "Snapshot",
    "Store",
    "StoredDefinition",
    "StoredWebEvent",
    "UnitOfWork",
    "WebSessionWrite",
    "WebStore",
    "methods_of",
    "open_store",
    "register_backend",
]

Opener = Callable[[str], Store]
BACKENDS: dict[str, Opener] = {}


def register_backend(scheme: str, opener: Opener) -> None:
    BACKENDS[scheme] = opener


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
    return opener(url)
