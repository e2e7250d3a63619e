"""Identity's rules for agents' commands: create, update, delete, claim, release, verify a
session, merge and unmerge (see ``journeyline.model.commands``).

Each is a pure function of the identity state (``core.identity.IdentityState``) and the command,
returning a ``core.identity.Decision`` — or refusing the command with ``NotFound`` (an unknown
or expired contact, an identifier the contact does not own) or ``InvalidInput`` (a merge of
fewer than 2 or more than 25 contacts, an unmerge of a contact that heads no merge). Every
command is audited; its effects are the record-level ones (contact created, changed, deleted;
identifier claimed, released) in the order they happened, then the command's own (contact
merged, unmerged, verified).
"""

from __future__ import annotations

from typing import Any, assert_never, cast

from journeyline.core.identity import (
    AGENT,
    CONTACT_FIELDS,
    MERGE_MAX,
    NO_MATCH,
    Decision,
    Draft,
    IdentityState,
    LinkCustomer,
    LinkSession,
    MoveLinks,
    canonical_id,
    claimable,
    merge_head_id,
    merge_ids,
    merge_set,
    with_fields,
)
from journeyline.model.commands import (
    ClaimIdentifier,
    CreateContact,
    DeleteContact,
    IdentityCommand,
    MergeContacts,
    ReleaseIdentifier,
    UnmergeContact,
    UpdateContact,
    VerifySession,
    command_args,
)
from journeyline.model.contact import AGENT_VERIFIED, Contact, Identifier
from journeyline.model.effects import ContactMerged, ContactUnmerged, ContactVerified
from journeyline.model.errors import InvalidInput, NotFound
from journeyline.model.record import replace


def execute(state: IdentityState, command: IdentityCommand) -> Decision:
    """Apply an identity command. Refuses with ``NotFound`` (an unknown or expired contact, an
    identifier the contact does not own) or ``InvalidInput`` (a merge of too few or too many
    contacts, an unmerge of a contact that heads no merge)."""
    draft = Draft(state, command.at_ms)
    match command:
        case CreateContact():
            return _create(draft, command)
        case UpdateContact():
            return _update(draft, command)
        case DeleteContact():
            return _delete(draft, command)
        case ClaimIdentifier():
            return _claim(draft, command)
        case ReleaseIdentifier():
            return _release(draft, command)
        case VerifySession():
            return _verify_session(draft, command)
        case MergeContacts():
            return _merge(draft, command)
        case UnmergeContact():
            return _unmerge(draft, command)
        case _:
            assert_never(command)


def _claim_fields(draft: Draft, contact: Contact) -> None:
    for kind, value in claimable(contact):
        if draft.owner((kind, value), draft.now) is None:
            draft.claim(Identifier(kind, value, contact.id, True, draft.now, AGENT_VERIFIED))


def _create(draft: Draft, command: CreateContact) -> Decision:
    at = command.at_ms
    contact = with_fields(Contact(command.id, "Curated", at, at, at), command.fields)
    draft.put_contact(contact)
    _claim_fields(draft, contact)
    draft.audit(command, contact.id)
    return draft.decision(id=contact.id)


def _update(draft: Draft, command: UpdateContact) -> Decision:
    contact = draft.require(command.id)
    updated = with_fields(replace(contact, modified_ms=command.at_ms), command.fields)
    if updated.type == "Ephemeral":
        updated = replace(updated, type="Identified")
    draft.put_contact(updated)
    _claim_fields(draft, updated)
    draft.audit(command, contact.id)
    return draft.decision(id=contact.id)


def _delete(draft: Draft, command: DeleteContact) -> Decision:
    contact = draft.require(command.id)
    for identifier in draft.identifiers_of(contact.id):
        draft.release(identifier)
    members = draft.members_of(contact.id)
    for member in members:
        draft.put_contact(replace(member, canonical_id=None))
    head = draft.contact(contact.canonical_id) if contact.canonical_id else None
    if head is not None:  # a member goes: its merged contact no longer counts it
        rest = tuple(i for i in head.merged_from if i != contact.id)
        draft.put_contact(replace(head, merged_from=rest, modified_ms=draft.now))
    draft.links.append(MoveLinks(contact.id, members[0].id if members else None))
    draft.delete_contact(contact.id)
    draft.audit(command, contact.id)
    return draft.decision(id=contact.id)


def _clear_match(draft: Draft, old_owner_id: str) -> None:
    """An identifier moved away from a contact: its PII match, if any, is void."""
    old = draft.contact(old_owner_id)
    if old is not None and old.unverified_match:
        draft.put_contact(replace(old, **NO_MATCH))


def _move_cookie(draft: Draft, cookie: str, contact: Contact) -> None:
    previous = draft.identifier(("Cookie", cookie))
    draft.claim(Identifier("Cookie", cookie, contact.id, True, draft.now, AGENT_VERIFIED))
    draft.links.append(LinkCustomer(cookie, contact.id, AGENT))
    if previous is not None and previous.contact_id != contact.id:
        _clear_match(draft, previous.contact_id)


def _claim(draft: Draft, command: ClaimIdentifier) -> Decision:
    contact = draft.require(command.contact_id)
    kind, value = command.type, command.value
    previous = draft.identifier((kind, value))
    if kind == "Cookie":
        _move_cookie(draft, value, contact)
    else:
        draft.claim(Identifier(kind, value, contact.id, True, command.at_ms, AGENT_VERIFIED))
        if previous is not None and previous.contact_id != contact.id:
            _clear_match(draft, previous.contact_id)
    draft.audit(command, contact.id, previousOwner=previous.contact_id if previous else None)
    return draft.decision(id=contact.id)


def _release(draft: Draft, command: ReleaseIdentifier) -> Decision:
    contact = draft.require(command.contact_id)
    kind, value = command.type, command.value
    found = draft.identifier((kind, value))
    if found is None or found.contact_id != contact.id:
        raise NotFound(f"contact {contact.id} does not own {kind} {value}", field="identifier")
    draft.release(found)
    draft.audit(command, contact.id)
    return draft.decision(id=contact.id)


def _verify_session(draft: Draft, command: VerifySession) -> Decision:
    """An agent confirms who a session is: the session, and a web visitor's cookie, link."""
    contact = draft.require(command.contact_id)
    draft.links.append(LinkSession(command.session_id, contact.id, AGENT))
    if command.cookie:
        _move_cookie(draft, command.cookie, contact)
    draft.audit(command, contact.id, sessionId=command.session_id)
    draft.effects.append(
        ContactVerified(contact.id, command.session_id, command.cookie, command.actor)
    )
    return draft.decision(id=contact.id, sessionId=command.session_id)


def _merge_set(draft: Draft, contact: Contact) -> list[Contact]:
    head_id = merge_head_id(contact)
    head = draft.contact(head_id) if head_id else None
    if head is None or not head.merged_from:
        return [contact]
    return merge_set(contact, head, draft.members_of(head.id))


def _merge(draft: Draft, command: MergeContacts) -> Decision:
    """2 to 25 contacts, each with its whole merge set, become one new canonical contact. The
    resulting set is held to the same limit, and naming one set alone again is refused."""
    ids = merge_ids(command)
    inputs = [draft.require(i) for i in ids]
    if len({canonical_id(c) for c in inputs}) == 1:
        raise InvalidInput(
            "contactIds name one merged contact already: nothing to merge", field="contactIds"
        )
    members: dict[str, Contact] = {}
    replaced: dict[str, Contact] = {}  # older canonical heads: the new head replaces them
    for contact in inputs:
        for member in _merge_set(draft, contact):
            if member.merged_from:
                replaced[member.id] = member
            else:
                members[member.id] = member
    if len(members) > MERGE_MAX:
        raise InvalidInput(
            f"the merged contact would have {len(members)} members; at most {MERGE_MAX}",
            field="contactIds",
        )
    override = command.value_override.given()
    values = {
        name: override.get(name)
        or next((getattr(c, name) for c in inputs if getattr(c, name)), None)
        for name in CONTACT_FIELDS
    }
    curated = any(c.type == "Curated" for c in members.values())
    head = Contact(
        id=command.id,
        type="Curated" if curated else "Identified",
        created_ms=command.at_ms,
        modified_ms=command.at_ms,
        last_activity_ms=max((c.last_activity_ms for c in members.values()), default=draft.now),
        merged_from=tuple(sorted(members)),
        **cast(dict[str, Any], values),
    )
    draft.put_contact(head)
    for member in members.values():
        draft.put_contact(replace(member, canonical_id=head.id, **NO_MATCH))
    for old_head in replaced:
        draft.links.append(MoveLinks(old_head, head.id))
        for identifier in draft.identifiers_of(old_head):
            draft.claim(replace(identifier, contact_id=head.id))
        draft.delete_contact(old_head)
    draft.audit(
        command, head.id, args={**command_args(command), "contactIds": ids}, members=sorted(members)
    )
    draft.effects.append(ContactMerged(head.id, head.merged_from))
    return draft.decision(id=head.id)


def _unmerge(draft: Draft, command: UnmergeContact) -> Decision:
    head = draft.require(command.id)
    if not head.merged_from:
        raise InvalidInput(f"contact {head.id} is not the head of a merge", field="contactId")
    members = draft.members_of(head.id)
    for member in members:
        draft.put_contact(replace(member, canonical_id=None))
    heir = members[0].id if members else None
    draft.links.append(MoveLinks(head.id, heir))
    claimed = draft.identifiers_of(head.id)
    if heir is not None:  # what was claimed on the merged contact goes to its first member
        for identifier in claimed:
            draft.claim(replace(identifier, contact_id=heir))
    draft.delete_contact(head.id)
    freed = tuple(m.id for m in members)  # the members there are (one may have been deleted)
    draft.audit(command, head.id, members=list(freed), movedIdentifiers=[i.value for i in claimed])
    draft.effects.append(ContactUnmerged(head.id, freed))
    return draft.decision(id=head.id, contactIds=list(freed))
