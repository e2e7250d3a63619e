"""The store interface, one small protocol per projection, composed into :class:`Store`.

A backend implements the pieces; the contract suite (``tests/store/test_contract.py``) checks
every backend against them. The caller owns the unit of work: ``with store.transaction(): ...``;
no method commits on its own. Every method raises :class:`journeyline.model.errors.StoreError` when
the backend fails (driver errors are translated at the boundary, ``store/boundary.py``), and
:class:`journeyline.model.errors.InvalidInput` for a cursor it did not issue.

    Store
     ├── UnitOfWork         url, transaction, savepoint, close
     ├── LogStore           the append-only event log
     ├── ConversationStore  conversation sessions, their journey events, the session listing
     ├── WebStore           web and app sessions and their events
     ├── PeopleStore        contacts, identifiers, session links, the audit trail
     ├── ProjectionStore    what a replay needs: clear the projections, snapshot them
     ├── DirectoryStore     queues, users and wrap-up codes
     ├── DeploymentStore    web deployments, their identify secrets
     ├── AuthStore          OAuth clients and tokens
     ├── AccountStore       desktop accounts, their sign-in sessions, the server's secrets
     ├── EffectStore        the effect log, partition positions, deadlines
     ├── FlowStore          registered flows (webhooks) and their signing secrets
     ├── OutboxStore        the flows' deliveries: pending, delivered, dead letters
 ├── ErasureStore       right to erasure (a person's rows, tombstones) and contact expiry
     └── DefinitionStore    segments, outcomes, action maps, action templates, and what
                            evaluating them decided (progress, assignments, achievements,
                            actions)
"""

from __future__ import annotations

import inspect
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from journeyline.model.contact import Contact, Deployment, Identifier
from journeyline.model.effects import Cursor, Envelope
from journeyline.model.flows import Delivery, Flow
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebEvent, WebSession
from journeyline.store.records import (
    Account,
    Achievement,
    AnySession,
    Assignment,
    ConversationWrite,
    DesktopSession,
    DirectoryEntry,
    JourneyAction,
    LogRecord,
    OAuthClient,
    Page,
    RuleEventRow,
    Snapshot,
    StoredDefinition,
    WebSessionWrite,
)


class UnitOfWork(Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: the block's writes are committed together, or none when it raises."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested unit inside a transaction: undone alone when its block raises."""
        ...

    def close(self) -> None: ...


class LogStore(Protocol):
    def logged_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of the keys the log holds already."""
        ...

    def append(self, records: Sequence[LogRecord]) -> set[str]:
        """Store the records whose key is new; returns those keys (a key twice: stored once)."""
        ...

    def log_for_partition(self, kind: str, partition_key: str) -> list[bytes]:
        """The bodies of one partition's inputs of one kind, in arrival order."""
        ...

    def iter_all_log(self) -> Iterator[LogRecord]:
        """Every logged input, with its unit and time, in arrival order."""
        ...

    def log_count(self) -> int: ...
    def last_unit(self) -> int:
        """The highest unit of work in the log (0 for an empty log)."""
        ...


class ConversationStore(Protocol):
    def save_conversations(self, writes: Sequence[ConversationWrite]) -> None: ...
    def get_session(self, session_id: str) -> ConversationSession | None: ...
    def sessions_for_conversation(self, conversation_id: str) -> list[ConversationSession]: ...
    def recent_sessions(
        self, *, after: str | None, page_size: int, contact_ids: Sequence[str] | None = None
    ) -> Page[AnySession]:
        """Sessions of every type newest first, all of them or those linked to some contacts."""
        ...

    def session_events(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[SessionEvent]:
        """A conversation session's journey events, oldest first."""
        ...

    def sessions_live(self, *, since_ms: int, limit: int) -> list[AnySession]:
        """What may be live: conversation sessions not ended or ended at or after
        ``since_ms``, web and app sessions with an event at or after it; newest first. Past
        ``limit``, the open conversations are kept first, the longest open first."""
        ...


class WebStore(Protocol):
    def save_web_sessions(self, writes: Sequence[WebSessionWrite]) -> None: ...
    def delete_session(self, session_id: str) -> None: ...
    def web_session_get(self, session_id: str) -> WebSession | None: ...
    def web_events_page(
        self, session_id: str, *, after: str | None, page_size: int, names: Sequence[str]
    ) -> Page[WebEvent]:
        """A web session's events, oldest first."""
        ...

    def session_of_event(self, event_id: str) -> str | None: ...
    def web_events_of(self, customer_id: str, session_type: str) -> list[WebEvent]: ...
    def customer_web_sessions(self, customer_id: str, session_type: str) -> list[str]: ...
    def web_session_at(self, customer_id: str, at_ms: int) -> str | None:
        """The web or app session of a visitor (cookie) going on at ``at_ms``, if any."""
        ...

    def customers_with_sessions(
        self, customer_ids: Collection[str], session_type: str
    ) -> set[str]: ...


class PeopleStore(Protocol):
    # external contacts
    def contact_put(self, contact: Contact) -> None: ...
    def contacts_put(self, contacts: Sequence[Contact]) -> None: ...
    def contact_get(self, contact_id: str) -> Contact | None: ...
    def contacts_get(self, contact_ids: Collection[str]) -> dict[str, Contact]: ...
    def contact_delete(self, contact_id: str) -> None: ...
    def contact_members(self, canonical_id: str) -> list[Contact]: ...
    def contacts_page(
        self, *, page_number: int, page_size: int, now_ms: int | None = None
    ) -> tuple[list[Contact], int]:
        """Contacts, newest first; with ``now_ms``, those expired by then left out."""
        ...

    def contacts_search(self, text: str, *, limit: int) -> list[Contact]:
        """Contacts whose first and last name contain ``text`` (any case), most recently
        active first; merged members and expired contacts included (the caller decides)."""
        ...

    # identifiers
    def identifier_get(self, kind: str, value: str) -> Identifier | None: ...
    def identifiers_get(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], Identifier]: ...
    def identifier_put(self, identifier: Identifier) -> None: ...
    def identifiers_put(self, identifiers: Sequence[Identifier]) -> None: ...
    def identifier_delete(self, kind: str, value: str) -> bool: ...
    def identifiers_of(self, contact_id: str) -> list[Identifier]: ...
    def move_identifiers(self, from_id: str, to_id: str) -> None: ...

    # the audit trail
    def audit_add(
        self, *, at_ms: int, actor: str, action: str, contact_id: str | None, doc: dict[str, Any]
    ) -> None: ...
    def audits_of(self, contact_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    # session <-> contact links (level 0 unverified, 1 verified, 2 by an agent)
    def link_session(self, session_id: str, contact_id: str | None, level: int) -> None: ...
    def session_link(self, session_id: str) -> tuple[str | None, int] | None: ...
    def session_links(self, session_ids: Collection[str]) -> dict[str, tuple[str | None, int]]:
        """``session_link`` of many sessions in one query per chunk; unknown ones left out."""
        ...

    def relink_customer(
        self, customer_id: str, contact_id: str, level: int, *, only_from: str | None = None
    ) -> None: ...
    def relink_contact(self, old_id: str, new_id: str | None) -> None: ...
    def contact_activity(self, contact_id: str) -> tuple[int, int] | None: ...


class ProjectionStore(Protocol):
    def clear_projections(self) -> None:
        """Delete every projection (sessions, their events, contacts, identifiers, audits)."""
        ...

    def snapshot(self) -> Snapshot:
        """Every projection as typed records: what a rebuild must reproduce."""
        ...


class DirectoryStore(Protocol):
    def directory_put(self, entry: DirectoryEntry) -> None: ...
    def directory_get(self, kind: str, entry_id: str) -> DirectoryEntry | None: ...
    def directory_list(
        self, kind: str, *, page_number: int, page_size: int, name: str | None
    ) -> tuple[list[DirectoryEntry], int]:
        """One page by name, and the total; ``name`` matches exactly, ``*`` is a wildcard."""
        ...

    def directory_delete(self, kind: str, entry_id: str) -> bool: ...
    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...


class DeploymentStore(Protocol):
    def deployment_put(self, deployment: Deployment) -> None: ...
    def deployment_get(self, deployment_id: str) -> Deployment | None: ...
    def deployment_by_write_key(self, write_key: str) -> Deployment | None: ...
    def deployments(self) -> list[Deployment]: ...
    def deployment_delete(self, deployment_id: str) -> bool: ...
    def deployment_secret_put(self, deployment_id: str, secret: str, now_ms: int) -> None:
        """A deployment's identify secret, which checks signed traits (``core.signing``); kept
        apart from the deployment, so that no read of a deployment carries it."""
        ...

    def deployment_secret(self, deployment_id: str) -> str | None: ...


class AuthStore(Protocol):
    def client_put(self, client: OAuthClient) -> None: ...
    def client_get(self, client_id: str) -> OAuthClient | None: ...
    def clients(self) -> list[OAuthClient]:
        """Every client, by name then id (for the admin screen: no one reads a secret back
        from its hash)."""
        ...

    def client_update(self, client: OAuthClient) -> bool:
        """Replace the client's secret hash, name, role, description, state and modified
        time; False when there is no such client."""
        ...

    def client_delete(self, client_id: str) -> bool:
        """Delete the client and every token of it; False when there was none."""
        ...

    def token_put(self, token_hash: str, client_id: str, expires_ms: int) -> None: ...
    def token_get(self, token_hash: str) -> tuple[OAuthClient, int] | None:
        """The token's client (whatever its state: the caller refuses a disabled one) and when
        the token expires; None for an unknown token or one whose client has gone."""
        ...

    def token_delete(self, token_hash: str) -> bool:
        """Revoke one token; False when there was none."""
        ...

    def tokens_revoke(self, client_id: str) -> int:
        """Revoke every token of a client; how many there were."""
        ...

    def tokens_prune(self, now_ms: int) -> int:
        """Delete the tokens that expired at or before ``now_ms``; how many there were."""
        ...


class AccountStore(Protocol):
    """Accounts of directory users who sign in to the desktop, their sign-in sessions (by the
    SHA-256 of the cookie's token) and the server's own secrets. Configuration: a rebuild
    keeps them all."""

    def account_put(self, account: Account) -> None:
        """Add or replace the user's account. An email another account has is a StoreError:
        the caller asks ``account_by_email`` first, in the same transaction."""
        ...

    def account_get(self, user_id: str) -> Account | None: ...
    def account_by_email(self, email: str) -> Account | None: ...
    def accounts_of(self, user_ids: Collection[str]) -> dict[str, Account]:
        """``user id -> account`` for the users that have one."""
        ...

    def account_delete(self, user_id: str) -> bool:
        """Delete the account and every sign-in session of it; False when there was none."""
        ...

    def desktop_session_put(self, session: DesktopSession) -> None: ...
    def desktop_session_get(self, token_hash: str) -> tuple[DesktopSession, Account] | None:
        """The session and its account (None: no such session, or its account has gone)."""
        ...

    def desktop_session_touch(self, token_hash: str, last_seen_ms: int, expires_ms: int) -> None:
        """Record that the session was used, and when it now expires (sliding)."""
        ...

    def desktop_session_delete(self, token_hash: str) -> bool: ...
    def desktop_sessions_end(self, user_id: str) -> int:
        """Delete every sign-in session of a user; how many there were."""
        ...

    def desktop_sessions_prune(self, now_ms: int) -> int:
        """Delete the sessions that expired at or before ``now_ms``; how many there were."""
        ...

    def server_secret(self, name: str, candidate: str, now_ms: int) -> str:
        """The server's secret ``name``: ``candidate``, stored, the first time it is asked
        for; the stored one ever after."""
        ...


class EffectStore(Protocol):
    """The effect log, the partitions' positions and the deadlines (see ``engine.effects``)."""

    def effects_append(self, envelopes: Sequence[Envelope]) -> None: ...
    def effects_after(self, cursor: Cursor, *, limit: int) -> list[Envelope]:
        """Stored effects the cursor has not seen, in commit order, at most ``limit``."""
        ...

    def effects_prune(self, before_ms: int, *, limit: int = 10_000) -> int:
        """Drop at most ``limit`` of the oldest effects applied before ``before_ms``."""
        ...

    def partition_positions(self) -> dict[int, tuple[int, int]]:
        """``partition -> (last position, units that touched it)``, for the partitions used."""
        ...

    def partition_positions_put(self, positions: dict[int, tuple[int, int]]) -> None: ...
    def deadlines_put(self, deadlines: Sequence[tuple[str, str, int | None]]) -> None:
        """``(session id, kind, due_ms)``; a due time of None removes the session's deadline."""
        ...

    def deadlines_due(self, now_ms: int) -> list[tuple[str, str, int]]: ...
    def next_deadline(self) -> int | None: ...


class DefinitionStore(Protocol):
    def definition_put(self, definition: StoredDefinition) -> None: ...
    def definition_get(self, kind: str, definition_id: str) -> StoredDefinition | None: ...
    def definition_delete(self, kind: str, definition_id: str) -> bool: ...
    def definitions(self, kind: str) -> list[StoredDefinition]:
        """Every definition of a kind, by id."""
        ...

    def definitions_page(
        self,
        kind: str,
        *,
        page_number: int,
        page_size: int,
        sort_by: str = "displayName",
        descending: bool = False,
        is_active: bool | None = None,
        name_contains: str | None = None,
    ) -> tuple[list[StoredDefinition], int]:
        """A page of a kind's definitions and their total; ``sort_by``: ``displayName``,
        ``createdDate`` or ``modifiedDate``."""
        ...

    def progress_get(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """``(definition id, scope) -> state`` for the keys that have one."""
        ...

    def progress_put(self, states: Sequence[tuple[str, str, bytes]]) -> None: ...
    def assignment_put(self, assignment: Assignment) -> None: ...
    def assignment_get(self, segment_id: str, scope: str) -> Assignment | None: ...
    def assignments_of(
        self, *, session_id: str | None = None, contact_ids: Sequence[str] = ()
    ) -> list[Assignment]: ...
    def achievement_put(self, achievement: Achievement) -> bool:
        """False (and nothing written) when the outcome was achieved on the session before."""
        ...

    def achievements_of(self, session_id: str) -> list[Achievement]: ...
    def assignments_on(self, session_ids: Collection[str]) -> dict[str, list[Assignment]]:
        """``assignments_of(session_id=…)`` of many sessions at once; those with none left out."""
        ...

    def achievements_on(self, session_ids: Collection[str]) -> dict[str, list[Achievement]]:
        """``achievements_of`` of many sessions at once; those with none left out."""
        ...

    def customer_actions(
        self,
        customer_id: str,
        *,
        session_type: str,
        states: Collection[str],
        media_types: Collection[str],
        active_since_ms: int,
    ) -> list[JourneyAction]:
        """Actions in one of ``states`` and ``media_types`` on the customer's sessions of
        ``session_type`` whose last event is at or after ``active_since_ms``, oldest first
        (what the tracker's ping serves)."""
        ...

    def action_put(self, action: JourneyAction) -> None: ...
    def action_get(self, action_id: str) -> JourneyAction | None: ...
    def actions_of(
        self, session_id: str, action_map_id: str | None = None
    ) -> list[JourneyAction]: ...
    def actions_waiting(self, contact_id: str) -> list[JourneyAction]:
        """A contact's actions in state ``waiting`` (for its next session), oldest first."""
        ...

    def assignments_due(self, now_ms: int) -> list[Assignment]:
        """Assignments still held whose ``unassign_ms`` is at or before ``now_ms``."""
        ...

    def next_unassignment(self) -> int | None:
        """When the earliest held assignment lapses (None: none will)."""
        ...

    def journey_events_put(self, rows: Sequence[RuleEventRow]) -> None:
        """Add journey events decided by definitions (an id seen before is replaced)."""
        ...

    def journey_events_page(
        self, session_id: str, *, after: str | None, page_size: int, types: Sequence[str]
    ) -> Page[RuleEventRow]:
        """A session's rule events, oldest first by ``(created, id)`` — the same order and
        cursor as ``session_events``, so that a listing can merge the two; ``types``: the
        event types to keep (empty: all)."""
        ...


class FlowStore(Protocol):
    """Flows and their signing secrets. The secret is apart from the flow: only the delivery
    worker reads it (``flow_secret``), so no read of a flow can show it."""

    def flow_put(self, flow: Flow) -> None: ...
    def flow_get(self, flow_id: str) -> Flow | None: ...
    def flows_page(self, *, page_number: int, page_size: int) -> tuple[list[Flow], int]:
        """One page of flows by name, and the total."""
        ...

    def flow_delete(self, flow_id: str) -> bool:
        """Delete a flow and its secret; its deliveries stay (they die when next tried)."""
        ...

    def flow_secret_put(self, flow_id: str, secret: str, now_ms: int) -> None:
        """Set (or replace: rotation) the flow's signing secret."""
        ...

    def flow_secret(self, flow_id: str) -> str | None: ...


class OutboxStore(Protocol):
    """Deliveries of flows. ``outbox_put`` runs inside the unit of work that decided the
    delivery, so both commit together; the delivery worker records the tries as they end,
    every 50 ms those that ended meanwhile in one short transaction."""

    def outbox_put(self, delivery: Delivery) -> bool:
        """Add a delivery; one whose id is already there is left as it is. True when added."""
        ...

    def outbox_get(self, delivery_id: str) -> Delivery | None: ...
    def outbox_due(self, now_ms: int, *, limit: int) -> list[Delivery]:
        """Pending deliveries due at or before ``now_ms``, earliest first, at most ``limit``."""
        ...

    def outbox_next_due(self) -> int | None:
        """When the earliest pending delivery is due (None: nothing pending)."""
        ...

    def outbox_update(self, delivery: Delivery) -> None:
        """Record a try: state, attempts, next attempt, last status, error and time."""
        ...

    def deadletters_page(self, *, page_number: int, page_size: int) -> tuple[list[Delivery], int]:
        """One page of dead deliveries, the last tried first, and the total."""
        ...

    def outbox_replay(self, delivery_ids: Sequence[str] | None, now_ms: int) -> list[str]:
        """Dead deliveries back to pending, due now, attempts reset: those named, or every one
        (None). Returns the ids replayed."""
        ...

    def outbox_counts(self) -> dict[str, int]:
        """How many deliveries are ``pending`` and how many ``dead`` (both keys always there;
        delivered ones are history, not counted). Cheap enough to read at every scrape."""
        ...


class ErasureStore(Protocol):
    """What right to erasure and contact expiry need (``engine.erasure``, the clock's tick)."""

    def sessions_of_people(
        self,
        *,
        contact_ids: Collection[str] = (),
        cookies: Collection[str] = (),
        conversation_ids: Collection[str] = (),
    ) -> list[tuple[str, str, str]]:
        """``(session id, type, customer key)`` of the sessions linked to ``contact_ids``, of
        visitors with ``cookies``, or of ``conversation_ids``."""
        ...

    def log_entries(self, kind: str, partition_key: str) -> list[tuple[str, bytes]]:
        """``(key, body)`` of the log rows of one kind and partition key, in arrival order."""
        ...

    def log_erase(self, *, partition_keys: Mapping[str, str], keys: Collection[str]) -> int:
        """Tombstone the log rows of ``partition_keys`` (renamed as mapped) and of ``keys``:
        kind ``erased``, an empty body; key, order, unit and time stay."""
        ...

    def log_naming(self, kind: str, needles: Collection[str]) -> list[tuple[str, bytes]]:
        """``(key, body)`` of the log rows of ``kind`` (not tombstones) whose body holds one
        of ``needles``, in arrival order."""
        ...

    def web_event_rewrite(self, key: str, body: bytes) -> None:
        """Replace a web event's body in the log and in its session's events."""
        ...

    def audit_entries(self) -> list[tuple[int, str, bytes]]:
        """``(seq, action, doc)`` of every audit entry, oldest first."""
        ...

    def audits_delete(self, seqs: Collection[int]) -> None:
        """Delete the audit entries ``seqs``."""
        ...

    def erase_projections(
        self, *, contact_ids: Collection[str], session_ids: Collection[str]
    ) -> None:
        """Delete the sessions and contacts given and everything projected of them."""
        ...

    def effects_erase(self, ids: Collection[str]) -> int:
        """Tombstone the effects that name one of ``ids`` (partition and position stay)."""
        ...

    def outbox_erase(self, ids: Collection[str]) -> int:
        """Delete the flow deliveries whose body names one of ``ids``."""
        ...

    def reclaim_erased(self) -> bool:
        """After an erasure committed: leave no copy of what it removed in the store's files
        (SQLite: checkpoint the write-ahead log and truncate it). False when a reader kept it
        from finishing: it is to be tried again."""
        ...

    def erased_customers_put(self, digests: Collection[str], until_ms: int) -> None:
        """Refuse the customers of ``digests`` (``engine.erasure.digest``) new events until
        ``until_ms``."""
        ...

    def erased_customers_among(self, digests: Collection[str], now_ms: int) -> set[str]:
        """Those of ``digests`` whose refusal still holds at ``now_ms``."""
        ...

    def erased_customers_any(self, now_ms: int) -> bool:
        """Whether any refusal still holds at ``now_ms``."""
        ...

    def erased_customers_prune(self, now_ms: int) -> int:
        """Forget the refusals that ended before ``now_ms``; returns how many."""
        ...

    def contacts_expired(self, now_ms: int) -> list[Contact]:
        """Contacts in no merge set that expired before ``now_ms``."""
        ...

    def next_contact_expiry(self) -> int | None:
        """The earliest expiry of a contact in no merge set."""
        ...


class Store(
    UnitOfWork,
    LogStore,
    ConversationStore,
    WebStore,
    PeopleStore,
    ProjectionStore,
    DirectoryStore,
    DeploymentStore,
    AuthStore,
    AccountStore,
    EffectStore,
    DefinitionStore,
    FlowStore,
    OutboxStore,
    ErasureStore,
    Protocol,
):
    """The whole store: what ``open_store`` returns."""


def methods_of(protocol: type) -> dict[str, type]:
    """The public methods a protocol promises, each with the piece that declares it."""
    found: dict[str, type] = {}
    for piece in reversed(protocol.__mro__):
        if piece is object or not getattr(piece, "_is_protocol", False) or piece is Protocol:
            continue
        for name, value in vars(piece).items():
            if not name.startswith("_") and inspect.isfunction(value):
                found[name] = piece
    return found
