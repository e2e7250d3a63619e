"""Effects: what a unit of work changed, as typed records with a stable name.

A unit of work (one transaction of the single writer) returns its effects in order; each is
wrapped in an :class:`Envelope` that gives it a *partition* and a *position* that only grows
within that partition. Subscribers read effects, never the projections' tables: in-transaction
subscribers (segments, outcomes, action maps, the outbox) before the commit, post-commit
subscribers (the live feed, a publisher) after it, resuming from a :class:`Cursor`.

Every effect class has a ``name`` (a class attribute, stable: it is stored and sent to
subscribers) and documented fields. Times are epoch milliseconds.

=====================  =====================================================================
name                   when
=====================  =====================================================================
session.started        a conversation, web or app session appears (its first card)
session.changed        a session's card or contact changed (card before and after); also when
                       time alone changes it (the after-call-work grace ends, a web session
                       goes idle)
session.removed        a web session was re-keyed by a late earlier event (its events now
                       belong to another session)
journey.event.added    a journey event joined a session: routed, connected, ended, and every
                       web event (page viewed, searched, form submitted, ...)
journey.event.changed  a late detail event changed an existing journey event's attributes
journey.event.removed  a late detail event made a journey event obsolete
contact.created        an external contact was created (by a visitor, a caller or an agent)
contact.changed        a contact's fields, type, merge or match changed (before and after);
                       not its activity dates alone
contact.deleted        a contact was deleted (by an agent, or a number seen half-way), or
                       erased with its merge set (right to erasure)
contact.merged         2 to 25 contacts were merged into a canonical contact
contact.unmerged       a merge was undone
contact.verified       an agent confirmed who a session (and its visitor's cookie) is
identifier.claimed     a cookie, email, phone or external id now belongs to a contact
identifier.released    an identifier no longer belongs to its contact
segment.assigned       a segment's conditions held for a session (session scope) or a contact,
                       or an API client assigned it to a contact (or renewed its expiry)
segment.unassigned     a segment assignment lapsed (``assignmentExpirationDays``) or an API
                       client unassigned it
outcome.achieved       an outcome's conditions held on a session (once per session)
action.qualified       an action map's trigger held on a session and its filters passed: its
                       action is to be taken (now, after a delay, or on the next session)
action.blocked         an action map's trigger held but a filter blocked it (its Genesys
                       ``blockingReason``: FrequencyCapping, AlreadyExistingOffer, ...)
action.changed         a web offer's state changed as the browser reported it (offered,
                       accepted, rejected, ignored, timedout, errored, ...)
erased                 the place of an effect whose content was erased (right to erasure):
                       the effect log keeps its partition and position, and nothing else
=====================  =====================================================================
"""

from __future__ import annotations

from typing import ClassVar

from journeyline.model.card import Card, WebCard
from journeyline.model.contact import Contact, Identifier
from journeyline.model.record import record
from journeyline.model.session import AttributeValue

AnyCard = Card | WebCard

#: How many partitions the effects of one store are spread over (by a stable hash of the
#: customer key). Fixed: positions are per partition, and a cursor has one entry for each.
PARTITIONS = 16


# -- sessions and their journey events ---------------------------------------------------------


@record
class SessionStarted:
    """A session appeared. ``kind``: ``conversation``, ``web`` or ``app``."""

    name: ClassVar[str] = "session.started"
    session_id: str
    kind: str
    contact_id: str | None
    card: AnyCard


@record
class SessionChanged:
    """A session's card or contact link changed. ``reason``: ``event`` (new input),
    ``link`` (identity moved it to another contact) or ``time`` (a deadline passed)."""

    name: ClassVar[str] = "session.changed"
    session_id: str
    kind: str
    contact_id: str | None
    before: AnyCard
    after: AnyCard
    reason: str = "event"


@record
class SessionRemoved:
    name: ClassVar[str] = "session.removed"
    session_id: str
    kind: str


@record
class JourneyEventAdded:
    """A journey event of a session. ``stream_type``: ``Conversation``, ``Web`` or ``App``;
    ``event_name``: ``routed``, ``connected``, ``ended`` or the web event's name (e.g.
    ``page_viewed``); ``attributes``: the event's attributes (conversation events carry ids,
    see docs/conversation-events.md; web events their page, search and form fields).
    ``moved_from``: set when the event was already on another session, which a late, earlier
    event re-keyed (that session is removed in the same unit): the event is not new."""

    name: ClassVar[str] = "journey.event.added"
    session_id: str
    event_id: str
    event_name: str
    stream_type: str
    session_type: str
    created_ms: int
    attributes: dict[str, AttributeValue]
    contact_id: str | None = None
    moved_from: str | None = None


@record
class JourneyEventChanged:
    name: ClassVar[str] = "journey.event.changed"
    session_id: str
    event_id: str
    event_name: str
    created_ms: int
    attributes: dict[str, AttributeValue]


@record
class JourneyEventRemoved:
    name: ClassVar[str] = "journey.event.removed"
    session_id: str
    event_id: str


# -- contacts and identifiers -------------------------------------------------------------------


@record
class ContactCreated:
    name: ClassVar[str] = "contact.created"
    contact: Contact


@record
class ContactChanged:
    name: ClassVar[str] = "contact.changed"
    before: Contact
    after: Contact


@record
class ContactDeleted:
    name: ClassVar[str] = "contact.deleted"
    contact_id: str


@record
class Erased:
    """What the effect log holds in place of an effect about an erased person: its partition
    and position stay (a reader's cursor moves past it), its content is gone. Subscribers
    ignore it."""

    name: ClassVar[str] = "erased"


@record
class ContactMerged:
    """``contact_id``: the new canonical contact; ``member_ids``: the contacts it was made of."""

    name: ClassVar[str] = "contact.merged"
    contact_id: str
    member_ids: tuple[str, ...]


@record
class ContactUnmerged:
    name: ClassVar[str] = "contact.unmerged"
    contact_id: str
    member_ids: tuple[str, ...]


@record
class ContactVerified:
    """An agent confirmed that ``session_id`` (and the visitor's ``cookie``) is ``contact_id``."""

    name: ClassVar[str] = "contact.verified"
    contact_id: str
    session_id: str
    cookie: str | None
    actor: str


@record
class IdentifierClaimed:
    name: ClassVar[str] = "identifier.claimed"
    identifier: Identifier
    previous_contact_id: str | None = None


@record
class IdentifierReleased:
    name: ClassVar[str] = "identifier.released"
    type: str
    value: str
    contact_id: str


# -- segments, outcomes, action maps ---------------------------------------------------------


@record
class SegmentAssigned:
    """``scope``: the session id (session scope) or the contact id (customer scope);
    ``unassign_ms``: when the assignment expires (None: never)."""

    name: ClassVar[str] = "segment.assigned"
    segment_id: str
    scope: str
    session_id: str
    contact_id: str | None
    assigned_ms: int
    unassign_ms: int | None = None


@record
class SegmentUnassigned:
    """``reason``: ``expired`` (its ``assignmentExpirationDays`` ran out) or ``api`` (POST
    ``/externalcontacts/contacts/{id}/journey/segments``)."""

    name: ClassVar[str] = "segment.unassigned"
    segment_id: str
    scope: str
    session_id: str
    contact_id: str | None
    unassigned_ms: int
    reason: str


@record
class OutcomeAchieved:
    name: ClassVar[str] = "outcome.achieved"
    outcome_id: str
    session_id: str
    contact_id: str | None
    achieved_ms: int
    value: float | None = None


@record
class ActionQualified:
    """An action map fired on a session: ``action_id`` is the journey action it made,
    ``trigger`` what triggered it (``segment:<id>`` or ``event:<event id>``)."""

    name: ClassVar[str] = "action.qualified"
    action_id: str
    action_map_id: str
    action_map_version: int
    media_type: str
    session_id: str
    contact_id: str | None
    trigger: str
    at_ms: int


@record
class ActionBlocked:
    """An action map fired on a session but was blocked: ``reason`` is the Genesys
    ``blockingReason`` (``AlreadyExistingOffer``,
    ``TriggerDateInFuture``, ``MultipleSimultaneousOffers``, ``FrequencyCapping``)."""

    name: ClassVar[str] = "action.blocked"
    action_id: str
    action_map_id: str
    action_map_version: int
    media_type: str
    session_id: str
    contact_id: str | None
    reason: str
    at_ms: int


@record
class ActionChanged:
    """A web action's state changed from ``before`` to ``state``, as the browser reported it
    (``POST …/actionevent``); ``error_code``/``error_message`` as reported (``errored``)."""

    name: ClassVar[str] = "action.changed"
    action_id: str
    action_map_id: str
    action_map_version: int
    media_type: str
    session_id: str
    contact_id: str | None
    before: str
    state: str
    at_ms: int
    error_code: str | None = None
    error_message: str | None = None


Effect = (
    SessionStarted
    | SessionChanged
    | SessionRemoved
    | JourneyEventAdded
    | JourneyEventChanged
    | JourneyEventRemoved
    | ContactCreated
    | ContactChanged
    | ContactDeleted
    | ContactMerged
    | ContactUnmerged
    | ContactVerified
    | IdentifierClaimed
    | IdentifierReleased
    | SegmentAssigned
    | SegmentUnassigned
    | OutcomeAchieved
    | ActionQualified
    | ActionBlocked
    | ActionChanged
    | Erased
)
EFFECT_TYPES: tuple[type[Effect], ...] = (
    SessionStarted,
    SessionChanged,
    SessionRemoved,
    JourneyEventAdded,
    JourneyEventChanged,
    JourneyEventRemoved,
    ContactCreated,
    ContactChanged,
    ContactDeleted,
    ContactMerged,
    ContactUnmerged,
    ContactVerified,
    IdentifierClaimed,
    IdentifierReleased,
    SegmentAssigned,
    SegmentUnassigned,
    OutcomeAchieved,
    ActionQualified,
    ActionBlocked,
    ActionChanged,
    Erased,
)
BY_NAME: dict[str, type[Effect]] = {t.name: t for t in EFFECT_TYPES}


@record
class Envelope:
    """An effect with its place: ``partition`` (0 to PARTITIONS-1), ``position`` (1, 2, ... in
    that partition), the ``unit`` of work and the time ``at_ms`` it was applied."""

    partition: int
    position: int
    unit: int
    at_ms: int
    effect: Effect

    @property
    def name(self) -> str:
        return self.effect.name


@record
class Cursor:
    """Where a reader of effects is: the last position seen in each partition (0: none).

    Its text form (``Cursor.parse``/``str``) is ``p:pos`` pairs joined by commas, e.g.
    ``0:12,3:40``; partitions left out are at 0. A live-feed client sends it back as
    ``Last-Event-ID``.
    """

    positions: tuple[int, ...] = (0,) * PARTITIONS

    def after(self, envelope: Envelope) -> Cursor:
        positions = list(self.positions)
        positions[envelope.partition] = max(positions[envelope.partition], envelope.position)
        return Cursor(tuple(positions))

    def seen(self, envelope: Envelope) -> bool:
        return envelope.position <= self.positions[envelope.partition]

    def __str__(self) -> str:
        return ",".join(f"{p}:{n}" for p, n in enumerate(self.positions) if n)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Raises ValueError for anything but ``p:pos`` pairs with p < PARTITIONS, pos >= 0."""
        positions = [0] * PARTITIONS
        for pair in filter(None, (p.strip() for p in text.split(","))):
            partition, _, position = pair.partition(":")
            p, n = int(partition), int(position)
            if not 0 <= p < PARTITIONS or n < 0:
                raise ValueError(f"cursor entry out of range: {pair}")
            positions[p] = n
        return cls(tuple(positions))
