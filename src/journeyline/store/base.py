"""The store interface and the backend registry.

A store holds the append-only event log and the projections derived from it. The caller owns
the unit of work: ``with store.transaction(): ...``; no method commits on its own.
Backends are chosen by the URL scheme (``sqlite:///path``; ``postgresql://`` is planned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from journeyline.errors import InvalidInput
from journeyline.model.contact import Contact, Deployment, Identifier
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebEvent, WebSession

T = TypeVar("T")
AnySession = ConversationSession | WebSession

DIRECTORY_KINDS = ("queue", "user", "wrapupcode")


@dataclass(frozen=True, slots=True)
class LogRecord:
    key: str
    kind: str
    partition_key: str
    received_ms: int
    body: bytes
    unit: int = 0  # the unit of work it was applied in (replays apply the same units)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ConversationWrite:
    """A conversation session to store, the journey events to upsert and to delete (all of
    its old ones, with ``replace_all``)."""

    session: ConversationSession
    upsert: Sequence[SessionEvent]
    delete_ids: Sequence[str]
    replace_all: bool


@dataclass(frozen=True, slots=True)
class WebSessionWrite:
    """A web session to store, the events to add (or, with ``replace``, all of them), its link."""

    session: WebSession
    events: Sequence[WebEvent]
    contact_id: str | None
    verified: bool
    replace: bool


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    kind: str
    id: str
    name: str
    modified_ms: int


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    secret_hash: str
    name: str
    role: str
    created_ms: int


class Store(Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...

    # the event log
    def append(self, records: Sequence[LogRecord]) -> set[str]: ...
    def log_for_partition(self, kind: str, partition_key: str) -> list[bytes]: ...
    def log_count(self) -> int: ...

    # projections
    def save_conversations(self, writes: Sequence[ConversationWrite]) -> None: ...
    def get_session(self, session_id: str) -> ConversationSession | None: ...
    def sessions_for_conversation(self, conversation_id: str) -> list[ConversationSession]: ...
    def recent_sessions(
        self, *, after: str | None, page_size: int, contact_ids: Sequence[str] | None = None
    ) -> Page[AnySession]: ...
    def session_events(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[SessionEvent]: ...
    def clear_projections(self) -> None: ...
    def projection_rows(self) -> dict[str, list[tuple[object, ...]]]: ...

    # directory of queues, users and wrap-up codes
    def directory_put(self, entry: DirectoryEntry) -> None: ...
    def directory_get(self, kind: str, entry_id: str) -> DirectoryEntry | None: ...
    def directory_list(
        self, kind: str, *, page_number: int, page_size: int, name: str | None
    ) -> tuple[list[DirectoryEntry], int]: ...
    def directory_delete(self, kind: str, entry_id: str) -> bool: ...
    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...

    # deployments
    def deployment_put(self, deployment: Deployment) -> None: ...
    def deployment_get(self, deployment_id: str) -> Deployment | None: ...
    def deployment_by_write_key(self, write_key: str) -> Deployment | None: ...
    def deployments(self) -> list[Deployment]: ...
    def deployment_delete(self, deployment_id: str) -> bool: ...

    # external contacts and identity
    def contact_put(self, contact: Contact) -> None: ...
    def contact_get(self, contact_id: str) -> Contact | None: ...
    def contact_delete(self, contact_id: str) -> None: ...
    def contact_members(self, canonical_id: str) -> list[Contact]: ...
    def contacts_page(self, *, page_number: int, page_size: int) -> tuple[list[Contact], int]: ...
    def identifier_get(self, kind: str, value: str) -> Identifier | None: ...
    def identifier_put(self, identifier: Identifier) -> None: ...
    def identifier_delete(self, kind: str, value: str) -> bool: ...
    def identifiers_of(self, contact_id: str) -> list[Identifier]: ...
    def move_identifiers(self, from_id: str, to_id: str) -> None: ...
    def audit_add(
        self, *, at_ms: int, actor: str, action: str, contact_id: str | None, doc: dict[str, Any]
    ) -> None: ...
    def audits_of(self, contact_ids: Sequence[str]) -> list[dict[str, Any]]: ...
    def link_session(self, session_id: str, contact_id: str | None, level: int) -> None: ...
    def session_link(self, session_id: str) -> tuple[str | None, int] | None: ...
    def relink_customer(
        self, customer_id: str, contact_id: str, level: int, *, only_from: str | None = None
    ) -> None: ...
    def contact_activity(self, contact_id: str) -> tuple[int, int] | None: ...
    def relink_contact(self, old_id: str, new_id: str | None) -> None: ...

    # web and app sessions
    def save_web_sessions(self, writes: Sequence[WebSessionWrite]) -> None: ...
    def savepoint(self) -> AbstractContextManager[None]: ...
    def delete_session(self, session_id: str) -> None: ...
    def web_session_get(self, session_id: str) -> WebSession | None: ...
    def web_events_page(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[WebEvent]: ...
    def session_of_event(self, event_id: str) -> str | None: ...
    def web_events_of(self, customer_id: str, session_type: str) -> list[WebEvent]: ...
    def iter_all_log(self) -> Iterator[tuple[int, str, str, bytes]]: ...
    def last_unit(self) -> int: ...
    def last_seq(self) -> int: ...
    def customer_web_sessions(self, customer_id: str, session_type: str) -> list[str]: ...

    # OAuth clients and tokens
    def client_put(self, client: OAuthClient) -> None: ...
    def client_get(self, client_id: str) -> OAuthClient | None: ...
    def token_put(self, token_hash: str, client_id: str, expires_ms: int) -> None: ...
    def token_get(self, token_hash: str) -> tuple[OAuthClient, int] | None: ...


Opener = Callable[[str], Store]
BACKENDS: dict[str, Opener] = {}


def register_backend(scheme: str, opener: Opener) -> None:
    BACKENDS[scheme] = opener


def open_store(url: str) -> Store:
    """Open (and migrate) the store named by ``url``."""
    scheme = url.split(":", 1)[0]
    if scheme not in BACKENDS:
        # Import the built-in backends lazily so that importing the interface stays cheap.
        from journeyline.store import sqlite  # noqa: F401

    opener = BACKENDS.get(scheme)
    if opener is None:
        known = ", ".join(sorted(BACKENDS))
        raise InvalidInput(f"unsupported store URL scheme '{scheme}' (known: {known})")
    return opener(url)
