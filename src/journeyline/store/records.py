"""The records the store takes and gives back, besides the domain records of ``model/``.

Nothing here knows a backend: these are what every backend reads and writes, and what the
contract suite (``tests/store/test_contract.py``) compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from journeyline.model.contact import Audit, Contact, Identifier
from journeyline.model.directory import DIRECTORY_KINDS, DirectoryEntry
from journeyline.model.record import record
from journeyline.model.session import ConversationSession, SessionEvent
from journeyline.model.web import WebEvent, WebSession

T = TypeVar("T")
AnySession = ConversationSession | WebSession


__all__ = ["DIRECTORY_KINDS", "Audit", "DirectoryEntry"]  # model records, named here too


#: The kind of a log row whose input was erased (right to erasure): its body is ``{}``, its key,
#: place, unit and time stay, and a replay skips it.
ERASED_KIND = "erased"


@record
class LogRecord:
    key: str
    kind: str
    partition_key: str
    received_ms: int
    body: bytes
    unit: int = 0  # the unit of work it was applied in (replays apply the same units)


@record
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@record
class ConversationWrite:
    """A conversation session to store, the journey events to upsert and to delete (all of
    its old ones, with ``replace_all``)."""

    session: ConversationSession
    upsert: Sequence[SessionEvent]
    delete_ids: Sequence[str]
    replace_all: bool


@record
class WebSessionWrite:
    """A web session to store, the events to add (or, with ``replace``, all of them), its link.

    The events are in the log already: the store keeps their keys, and reads their bodies
    there (a web event's body is stored once)."""

    session: WebSession
    events: Sequence[WebEvent]
    contact_id: str | None
    level: int  # the link's: 0 unverified, 1 verified, 2 an agent's (a bool reads as 0 or 1)
    replace: bool


@record
class OAuthClient:
    """An OAuth client (client credentials). ``state``: ``active``, or ``disabled`` (it mints
    no token and its tokens are refused); ``secret_hash``: the SHA-256 of its secret."""

    client_id: str
    secret_hash: str
    name: str
    role: str
    created_ms: int
    description: str = ""
    state: str = "active"
    modified_ms: int = 0


@record
class Account:
    """A directory user who may sign in to the desktop (with a password) or not (None)."""

    user_id: str
    email: str  # normalised
    password_hash: str | None  # argon2 (PHC string), never shown
    role: str  # agent | supervisor | admin
    created_ms: int
    modified_ms: int
    failed_attempts: int = 0  # failed sign-ins in a row
    locked_until_ms: int | None = None


@record
class DesktopSession:
    """A signed-in browser: the SHA-256 of its cookie's token, never the token."""

    token_hash: str
    user_id: str
    csrf_token: str
    created_ms: int
    expires_ms: int
    last_seen_ms: int


# -- the snapshot of the projections ------------------------------------------------------


@record
class StoredWebEvent:
    """A web or app event as the store holds it: in a session."""

    session_id: str
    event: WebEvent


@record
class SessionLink:
    """A session's contact and link level (0 unverified, 1 verified, 2 by an agent)."""

    session_id: str
    contact_id: str | None
    level: int


@record
class Deadline:
    """When time alone will change a session's card (``EffectStore.deadlines_put``)."""

    session_id: str
    kind: str
    due_ms: int


@record
class Snapshot:
    """Every projection as typed records, in an order no backend chooses.

    The replay oracle: ``journeyline rebuild`` must give the snapshot live processing gave, on
    any backend. The directory, deployments and OAuth clients are configuration, not
    projections, and are not in it. Build one with :meth:`of`, which sorts.
    """

    conversations: tuple[ConversationSession, ...]  # by id
    conversation_events: tuple[SessionEvent, ...]  # by session, time, id
    web_sessions: tuple[WebSession, ...]  # by id
    web_events: tuple[StoredWebEvent, ...]  # by session, time, key
    contacts: tuple[Contact, ...]  # by id
    identifiers: tuple[Identifier, ...]  # by type, value
    links: tuple[SessionLink, ...]  # one per session, by session id
    audits: tuple[Audit, ...]  # in the order they were written
    deadlines: tuple[Deadline, ...] = ()  # by session id
    assignments: tuple[Assignment, ...] = ()  # by segment, scope
    achievements: tuple[Achievement, ...] = ()  # by outcome, session
    actions: tuple[JourneyAction, ...] = ()  # by id
    rule_events: tuple[RuleEventRow, ...] = ()  # by id

    @classmethod
    def of(
        cls,
        *,
        conversations: Iterable[ConversationSession],
        conversation_events: Iterable[SessionEvent],
        web_sessions: Iterable[WebSession],
        web_events: Iterable[StoredWebEvent],
        contacts: Iterable[Contact],
        identifiers: Iterable[Identifier],
        links: Iterable[SessionLink],
        audits: Iterable[Audit],
        deadlines: Iterable[Deadline] = (),
        assignments: Iterable[Assignment] = (),
        achievements: Iterable[Achievement] = (),
        actions: Iterable[JourneyAction] = (),
        rule_events: Iterable[RuleEventRow] = (),
    ) -> Snapshot:
        """A snapshot of these records, sorted here (in Python, not by a database collation)."""
        return cls(
            conversations=tuple(sorted(conversations, key=lambda s: s.id)),
            conversation_events=tuple(
                sorted(conversation_events, key=lambda e: (e.session_id, e.created_ms, e.id))
            ),
            web_sessions=tuple(sorted(web_sessions, key=lambda s: s.id)),
            web_events=tuple(
                sorted(web_events, key=lambda w: (w.session_id, w.event.created_ms, w.event.key))
            ),
            contacts=tuple(sorted(contacts, key=lambda c: c.id)),
            identifiers=tuple(sorted(identifiers, key=lambda i: (i.type, i.value))),
            links=tuple(sorted(links, key=lambda link: link.session_id)),
            audits=tuple(audits),
            deadlines=tuple(sorted(deadlines, key=lambda d: d.session_id)),
            assignments=tuple(sorted(assignments, key=lambda a: (a.segment_id, a.scope))),
            achievements=tuple(sorted(achievements, key=lambda a: (a.outcome_id, a.session_id))),
            actions=tuple(sorted(actions, key=lambda a: a.id)),
            rule_events=tuple(sorted(rule_events, key=lambda e: e.id)),
        )

    @property
    def session_count(self) -> int:
        return len(self.conversations) + len(self.web_sessions)


# -- segments, outcomes, action maps -----------------------------------------------------------


@record
class StoredDefinition:
    """A segment, outcome, action map or action template: its Genesys JSON (``doc``) with the
    columns a listing sorts and filters by."""

    kind: str  # segment | outcome | actionmap | actiontemplate
    id: str
    version: int
    display_name: str
    is_active: bool
    created_ms: int
    modified_ms: int
    doc: bytes


@record
class Assignment:
    """A segment assigned to a session (session scope) or a contact (customer scope)."""

    segment_id: str
    scope: str
    session_id: str
    contact_id: str | None
    assigned_ms: int
    modified_ms: int
    unassign_ms: int | None
    state: str  # Assigned | Unassigned


@record
class Achievement:
    outcome_id: str
    session_id: str
    contact_id: str | None
    achieved_ms: int
    value: float | None


@record
class JourneyAction:
    """What an action map did on a session: its state, and in ``doc`` the rest (the trigger,
    a blocking reason, the flow delivery's id)."""

    id: str
    action_map_id: str
    action_map_version: int
    session_id: str
    contact_id: str | None
    media_type: str
    state: str
    created_ms: int
    modified_ms: int
    doc: bytes


@record
class RuleEventRow:
    """A journey event that evaluating definitions added to a session: a
    ``SegmentAssignmentEvent``, ``OutcomeAchievedEvent`` or ``WebActionEvent``. ``doc`` is its
    Genesys payload as JSON (``{"segmentAssignmentEvent": {...}}``); the listing wraps it in
    the event envelope."""

    id: str
    session_id: str
    created_ms: int
    event_type: str
    doc: bytes
