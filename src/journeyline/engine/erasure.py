"""Right to erasure: ``DELETE /api/v2/externalcontacts/contacts/{contactId}`` erases a person.

The person is the contact's whole merge set (its head and every member), with the contacts its
visitors' cookies made, and in turn those their cookies made (an agent may have claimed another
visitor's cookie for one). What is theirs:

- identifiers (cookies, emails, phones, external ids) and the contacts themselves (names,
  emails, phones: every field);
- sessions: every session linked to one of the contacts, every web or app session of one of
  their cookies, every session of a conversation one of those sessions is — with their journey
  events (page URLs with their query strings, search terms, traits, IP addresses, user agents,
  locations: all in the event), deadlines, criteria progress, segment assignments, outcome
  achievements, web actions and rule events. Sessions are deleted, not kept anonymised: what
  an agent's statistics count of them goes with them (docs/api.md);
- in the event log, each input of theirs becomes a tombstone (kind ``erased``, an empty body)
  that keeps its key, its place (``seq``), unit and time: the conversations' and visitors'
  detail and web events (a visitor's partition key, which names the cookie, becomes
  ``erased:<partition>``), and every logged command about them (create, update, claim,
  release, verify, merge, unmerge, segment assignments, web action reports). A duplicate of an
  erased input sent again is still a duplicate: its key is known, nothing comes back;
- the person's cookies and conversations, as SHA-256 digests: for :data:`REFUSAL_MS` their
  new events are refused (:func:`refused`), for they would make the same contact and session
  ids again (both name-based) and store the browser's and the caller's data anew;
- another visitor's web events that name one of the person's emails, phones or external ids
  (refused traits, a visitor not linked to the person) stay, without them: the trait keeps its
  name and loses its value, in the log's body and in the session's events alike
  (:func:`scrub_event`), so a rebuild reads what live shows;
- in the effect log, every effect naming one of the contacts, sessions, cookies, emails,
  phones or external ids keeps its partition and position and loses its content
  (``model.effects.Erased``);
- in the outbox, every flow delivery naming one of the contacts, sessions or identifiers is
  dropped, pending, delivered or dead (its body is what would be or was posted);
- the audit trail of the contacts goes too, and another contact's entries of commands about
  the person (those the log tombstones: a claim of their email, say); one ``erase`` entry is
  added: who, when, which contact, the ids of the contacts erased and how many sessions — no
  personal data.

The command is logged (``identity.command``, ``erase``) with the ids it erased, filled in by
:func:`resolve` before it is logged, so a replay erases the same ids whatever is left of them:
since their inputs are tombstones, a rebuild makes none of it and ``rebuild == live``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Iterable, Sequence

import msgspec

from journeyline.core.identity import CONTACT_TTL_MS, cookie_contact_id
from journeyline.engine import queries
from journeyline.engine.effects import COMMANDS_KEY, Effects, partition_for
from journeyline.engine.identity import COMMAND_KIND, decode_command
from journeyline.engine.inputs import Applied
from journeyline.ingest import genesys_web
from journeyline.ingest.genesys_detail import Accepted
from journeyline.ingest.genesys_web import AcceptedWeb
from journeyline.ingest.identifiers import pii_from_traits
from journeyline.model.commands import (
    AssignSegments,
    ClaimIdentifier,
    Command,
    CreateContact,
    DeleteContact,
    EraseContact,
    MergeContacts,
    RecordActionEvent,
    ReleaseIdentifier,
    UnmergeContact,
    UpdateContact,
    VerifySession,
)
from journeyline.model.effects import ContactDeleted, Envelope, Erased, SessionRemoved
from journeyline.model.errors import JourneylineError, NotFound
from journeyline.model.record import record
from journeyline.model.web import Attribute, WebEvent
from journeyline.store.base import Store

#: The session types a cookie's events may make (their customer key is ``type:cookie``).
_VISITOR_TYPES = ("web", "app")
#: The kinds of identifiers a web event's traits (emails, phones) or external id carry.
_NAMED = ("Email", "Phone", "ExternalId")
_event_encoder = msgspec.json.Encoder(order="sorted")  # as intake encodes a web event
#: How long new events of an erased visitor's cookie or of an erased conversation are refused:
#: both name-based, they would make the same contact and session ids again, and store the
#: browser's and the caller's data anew. As long as a contact lives without activity.
REFUSAL_MS = CONTACT_TTL_MS


def _cookies(sessions: Iterable[tuple[str, str, str]]) -> set[str]:
    """The visitors' cookies of sessions ``(id, type, customer key)``."""
    return {key.split(":", 1)[1] for _, kind, key in sessions if kind != "conversation"}


@record
class Person:
    """What an erasure found: the contacts, their identifiers (type, value), the sessions
    ``(id, type, customer key)``."""

    contact_ids: frozenset[str]
    identifiers: frozenset[tuple[str, str]]
    sessions: tuple[tuple[str, str, str], ...]

    @property
    def cookies(self) -> set[str]:
        owned = {value for kind, value in self.identifiers if kind == "Cookie"}
        return owned | _cookies(self.sessions)

    @property
    def session_ids(self) -> set[str]:
        return {session_id for session_id, _, _ in self.sessions}

    @property
    def named(self) -> set[tuple[str, str]]:
        """The identifiers another visitor's traits or external id may name (not cookies)."""
        return {(kind, value) for kind, value in self.identifiers if kind in _NAMED}


def find(store: Store, contact_id: str) -> Person:
    """The person ``contact_id`` is (NotFound when no such contact is stored, expired or not:
    an expired contact still holds personal data until the clock's tick removes it)."""
    contact = store.contact_get(contact_id)
    if contact is None:
        raise NotFound(f"no external contact with id {contact_id}", field="contactId")
    contacts = {c.id: c for c in queries.merge_set(store, contact)}
    identifiers = {(i.type, i.value) for cid in contacts for i in store.identifiers_of(cid)}
    while True:  # until the cookies' own contacts bring no other cookie (an agent's claim)
        linked = store.sessions_of_people(contact_ids=contacts)
        cookies = Person(frozenset(contacts), frozenset(identifiers), tuple(linked)).cookies
        conversations = {key for _, kind, key in linked if kind == "conversation"}
        sessions = store.sessions_of_people(
            contact_ids=contacts, cookies=cookies, conversation_ids=conversations
        )
        owns = store.contacts_get([cookie_contact_id(c) for c in cookies]).values()
        added = [own for own in owns if own.id not in contacts]
        if not added:  # every cookie whose log rows the erasure tombstones has its sessions
            return Person(frozenset(contacts), frozenset(identifiers), tuple(sessions))
        for own in added:  # the contact a cookie made, when another holds it now
            contacts[own.id] = own
            identifiers |= {(i.type, i.value) for i in store.identifiers_of(own.id)}


def resolve(store: Store, command: EraseContact) -> tuple[EraseContact, Person]:
    """The command with the ids it erases filled in (what is logged), and the person."""
    person = find(store, command.id)
    filled = msgspec.structs.replace(
        command,
        contact_ids=tuple(sorted(person.contact_ids)),
        session_ids=tuple(sorted(person.session_ids)),
    )
    return filled, person


def mentions(command: Command, person: Person) -> bool:
    """Whether a logged command is about the person (and so is erased with it)."""
    contacts, sessions = person.contact_ids, person.session_ids
    match command:
        case CreateContact() | UpdateContact() | DeleteContact() | UnmergeContact():
            return command.id in contacts
        case ClaimIdentifier() | ReleaseIdentifier():
            key = (command.type, command.value)
            return command.contact_id in contacts or key in person.identifiers
        case VerifySession():
            return (
                command.contact_id in contacts
                or command.session_id in sessions
                or command.cookie in person.cookies
            )
        case MergeContacts():
            return command.id in contacts or not contacts.isdisjoint(command.contact_ids)
        case AssignSegments():
            return command.contact_id in contacts
        case RecordActionEvent():
            return command.session_id in sessions
        case _:
            return False


def _logged_commands(store: Store, person: Person) -> list[str]:
    """The keys of the logged commands about the person."""
    keys = []
    for key, body in store.log_entries(COMMAND_KIND, COMMANDS_KEY):
        if mentions(decode_command(body), person):
            keys.append(key)
    return keys


def _audited_commands(store: Store, person: Person) -> list[int]:
    """The audit entries, on any contact, of commands about the person: the commands that
    :func:`_logged_commands` makes tombstones, so a rebuild has no such entries either (an
    agent claimed the person's email for another contact, then released it)."""
    seqs = []
    for seq, action, doc in store.audit_entries():
        args = msgspec.json.decode(doc).get("args")
        if not isinstance(args, dict):
            continue  # an erasure's or an expiry's entry: ids only, no command
        wire = msgspec.json.encode({**args, "command": action, "actor": "", "atMs": 0})
        try:
            command = decode_command(wire)
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue
        if mentions(command, person):
            seqs.append(seq)
    return seqs


def erase(store: Store, effects: Effects, command: EraseContact, person: Person | None) -> None:
    """Erase what ``command`` names. ``person`` (live, from :func:`resolve`): also tombstone
    the person's log rows and effects and drop their deliveries; None (a replay): the log is
    as it was left, only the projections are erased again."""
    contact_ids, session_ids = set(command.contact_ids), set(command.session_ids)
    if person is not None:
        partition_keys = {}
        for _, kind, key in person.sessions:
            partition_keys[key] = key if kind == "conversation" else _erased_key(key)
        for cookie in person.cookies:
            for kind in _VISITOR_TYPES:
                partition_keys[f"{kind}:{cookie}"] = _erased_key(f"{kind}:{cookie}")
        store.log_erase(partition_keys=partition_keys, keys=_logged_commands(store, person))
        conversations = {key for _, kind, key in person.sessions if kind == "conversation"}
        digests = [digest("cookie", c) for c in person.cookies]
        digests += [digest("conversation", c) for c in conversations]
        store.erased_customers_put(digests, command.at_ms + REFUSAL_MS)
        store.audits_delete(_audited_commands(store, person))
        _scrub_kept_events(store, person.named)
        named = _quoted(person.named)  # a whole JSON string: "42" names no other "1420"
        store.effects_erase(contact_ids | session_ids | person.cookies | named)
        store.outbox_erase(contact_ids | session_ids | named)
    for session_id in sorted(session_ids):
        removed = _session_kind(store, session_id)
        if removed is not None:
            effects.at(removed[1])
            effects.emit(SessionRemoved(session_id, removed[0]))
    effects.at(COMMANDS_KEY)
    for contact_id in sorted(store.contacts_get(contact_ids)):
        effects.emit(ContactDeleted(contact_id))
    store.erase_projections(contact_ids=contact_ids, session_ids=session_ids)
    store.audit_add(
        at_ms=command.at_ms,
        actor=command.actor,
        action="erase",
        contact_id=command.id,
        doc={"contactIds": sorted(contact_ids), "sessions": len(session_ids)},
    )


def _scrub_kept_events(store: Store, named: Collection[tuple[str, str]]) -> None:
    """Another visitor's web events that name one of the person's identifiers (traits an
    unsigned claim sent and were refused, or a visitor not linked to the person) are kept,
    without them: in the log and in their session alike (``scrub_event``)."""
    needles = sorted(_quoted(named))  # as intake normalised them: its identifiers
    for key, body in store.log_naming(genesys_web.KIND, needles):
        scrubbed = scrub_event(genesys_web.decode_stored(body), named)
        if scrubbed is not None:
            store.web_event_rewrite(key, _event_encoder.encode(scrubbed))


def _quoted(named: Collection[tuple[str, str]]) -> set[str]:
    """The identifiers' values as JSON strings (quoted), as a body holds them."""
    return {msgspec.json.encode(value).decode() for _, value in named}


def scrub_event(event: WebEvent, named: Collection[tuple[str, str]]) -> WebEvent | None:
    """``event`` without the identifiers ``named``, None when it names none of them. A trait
    or attribute naming one keeps its name and loses its value (the event keeps as many
    traits, so it identifies its visitor, or not, as before), ``identifiers`` drops it, an
    external id that is one of them goes."""
    named = set(named)
    values = {value.lower() for _, value in named}
    traits = {k: _scrubbed(k, a, named, values) for k, a in event.traits.items()}
    attributes = {k: _scrubbed(k, a, named, values) for k, a in event.attributes.items()}
    identifiers = tuple(i for i in event.identifiers if i not in named)
    external_id = event.external_id
    if external_id is not None and ("ExternalId", external_id.strip()) in named:
        external_id = None
    if (traits, attributes, identifiers, external_id) == (
        event.traits,
        event.attributes,
        event.identifiers,
        event.external_id,
    ):
        return None
    return dataclasses.replace(
        event,
        traits=traits,
        attributes=attributes,
        identifiers=identifiers,
        external_id=external_id,
    )


def _scrubbed(
    name: str, attribute: Attribute, named: set[tuple[str, str]], values: set[str]
) -> Attribute:
    """The attribute with an empty value when it is one of the identifiers ``named``."""
    value = attribute.value
    if not isinstance(value, str):
        return attribute
    try:  # an email or phone trait, as intake normalised it
        keys = set(pii_from_traits({name: value}))
    except JourneylineError:
        keys = set()
    if keys & named or value.strip().lower() in values:
        return Attribute(attribute.data_type, "")
    return attribute


def digest(kind: str, value: str) -> str:
    """What the store keeps of an erased cookie or conversation id: a SHA-256, not the id."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def refused(
    store: Store, events: Sequence[Accepted | AcceptedWeb], now_ms: int
) -> dict[int, Applied]:
    """The events, by index, of a cookie or a conversation erased less than
    :data:`REFUSAL_MS` ago, each with its refusal: they are neither logged nor applied."""
    digests = [
        digest("conversation", e.event.conversation_id)
        if isinstance(e, Accepted)
        else digest("cookie", e.event.customer_cookie_id)
        for e in events
    ]
    erased = store.erased_customers_among(set(digests), now_ms)
    days = REFUSAL_MS // 86_400_000
    return {
        index: Applied(
            events[index].event.key,
            "failed",
            error=NotFound(
                f"this {'conversation' if isinstance(events[index], Accepted) else 'visitor'}"
                f" was erased (right to erasure): its new events are refused for {days} days"
            ),
        )
        for index, found in enumerate(digests)
        if found in erased
    }


def _erased_key(key: str) -> str:
    """A visitor's partition key names its cookie: the tombstone keeps only its partition."""
    return f"erased:{partition_for(key)}"


def _session_kind(store: Store, session_id: str) -> tuple[str, str] | None:
    """A stored session's type and customer key."""
    web = store.web_session_get(session_id)
    if web is not None:
        return web.type, f"{web.type}:{web.customer_cookie_id}"
    conversation = store.get_session(session_id)
    if conversation is not None:
        return "conversation", conversation.conversation_id
    return None


def scrub(envelopes: Iterable[Envelope], ids: Collection[str]) -> list[Envelope]:
    """Effects of the same batch, not yet stored, that name an erased id lose their content."""
    needles = [i.encode() for i in ids]
    out = []
    for envelope in envelopes:
        body = msgspec.json.encode(envelope.effect)
        if any(n in body for n in needles):
            envelope = Envelope(
                envelope.partition, envelope.position, envelope.unit, envelope.at_ms, Erased()
            )
        out.append(envelope)
    return out
