"""Commands: an agent's or an integration's change to contacts and identifiers, or to the
definitions (segments, outcomes, action maps, action templates) the engine evaluates.

One frozen class per command, each tagged with its name in the field ``command``, so that the
union :data:`Command` is decoded by msgspec in one step (``msgspec.json.decode(body,
type=Command)``). Field names are camelCase in JSON (``contactId``, ``atMs``); a contact's own
fields (:class:`ContactFields`) keep their snake_case names.

=================  ======================  =================================================
class              ``command``             what it does
=================  ======================  =================================================
CreateContact      ``create``              a new curated contact with ``fields``
UpdateContact      ``update``              change the ``fields`` given, leave the others
DeleteContact      ``delete``              the contact, its identifiers; its members stand alone
                                           (logs before erasure; the API now erases)
EraseContact       ``erase``               the person: a contact's whole merge set, its
                                           identifiers, sessions and logged events
ClaimIdentifier    ``claim``               the identifier now belongs to ``contact_id``
ReleaseIdentifier  ``release``             ``contact_id`` gives the identifier up
VerifySession      ``verify_session``      an agent says who a session (and its cookie) is
MergeContacts      ``merge``               2 to 25 contacts under a new canonical contact ``id``
UnmergeContact     ``unmerge``             undo the merge headed by ``id``
PutDefinition      ``put_definition``      create or replace a segment, outcome, action map, ...
DeleteDefinition   ``delete_definition``   delete one
AssignSegments     ``assign_segments``     assign and unassign customer segments for a contact
RecordActionEvent  ``action_event``        a browser reports a web offer's new state
=================  ======================  =================================================

Every command carries the ``actor`` (the OAuth client) and the time ``at_ms`` it was accepted.
The rules that apply them are in ``journeyline.core.identity`` (contacts),
``journeyline.engine.definitions`` and ``journeyline.core.offers`` (action states).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

FieldValue = str | None | UnsetType


class ContactFields(msgspec.Struct, frozen=True):
    """Contact fields to set; a field left ``UNSET`` is not touched, ``None`` clears it.
    Emails are normalised and phones are E.164 by the time a command carries them."""

    first_name: FieldValue = UNSET
    last_name: FieldValue = UNSET
    title: FieldValue = UNSET
    work_email: FieldValue = UNSET
    personal_email: FieldValue = UNSET
    other_email: FieldValue = UNSET
    work_phone: FieldValue = UNSET
    cell_phone: FieldValue = UNSET
    home_phone: FieldValue = UNSET
    other_phone: FieldValue = UNSET

    def given(self) -> dict[str, str | None]:
        """The fields set, by name."""
        found: dict[str, str | None] = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is not UNSET:
                found[name] = value
        return found


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag_field="command", rename="camel"):
    actor: str
    at_ms: int


class CreateContact(_Command, frozen=True, tag="create"):
    id: str
    fields: ContactFields = ContactFields()


class UpdateContact(_Command, frozen=True, tag="update"):
    id: str
    fields: ContactFields = ContactFields()


class DeleteContact(_Command, frozen=True, tag="delete"):
    id: str


class EraseContact(_Command, frozen=True, tag="erase"):
    """Right to erasure: the person ``id`` is, i.e. its whole merge set. Sent with ``id``
    alone; the engine fills in what it erased — ``contact_ids`` (the merge set) and
    ``session_ids`` (their sessions) — before it logs the command, so a replay erases the same
    things whatever is left of them. No personal data: ids only (``engine.erasure``)."""

    id: str
    contact_ids: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()


class ClaimIdentifier(_Command, frozen=True, tag="claim"):
    contact_id: str
    type: str
    value: str


class ReleaseIdentifier(_Command, frozen=True, tag="release"):
    contact_id: str
    type: str
    value: str


class VerifySession(_Command, frozen=True, tag="verify_session", omit_defaults=True):
    """``cookie``: a web session's visitor cookie, which moves to the contact too."""

    contact_id: str
    session_id: str
    cookie: str | None = None


class MergeContacts(_Command, frozen=True, tag="merge"):
    """``value_override``: fields the canonical contact takes instead of its members' values."""

    id: str
    contact_ids: tuple[str, ...]
    value_override: ContactFields = ContactFields()


class UnmergeContact(_Command, frozen=True, tag="unmerge"):
    id: str


class PutDefinition(_Command, frozen=True, tag="put_definition"):
    """Create (``expected_version`` None: the id must be new) or replace a segment, outcome,
    action map or action template (``kind``: ``segment``, ``outcome``, ``actionmap``,
    ``actiontemplate``) with ``doc``, its validated Genesys JSON; a replacement must name the
    version it replaces (a stale one is refused with 409)."""

    kind: str
    id: str
    doc: dict[str, Any]
    expected_version: int | None = None


class DeleteDefinition(_Command, frozen=True, tag="delete_definition"):
    kind: str
    id: str


class AssignSegments(_Command, frozen=True, tag="assign_segments"):
    """An API client assigns (or renews the expiry of) and unassigns customer segments for a
    contact: ``POST /api/v2/externalcontacts/contacts/{contactId}/journey/segments``."""

    contact_id: str
    assign: tuple[str, ...] = ()
    unassign: tuple[str, ...] = ()


class RecordActionEvent(_Command, frozen=True, tag="action_event", omit_defaults=True):
    """A Genesys ``ActionEventRequest`` a browser sent to ``deployment_id``: the web action
    ``action_id`` of ``session_id`` is now ``action_state`` (``errored``: with ``error_code``
    and ``error_message``). ``actor`` is ``deployment:<id>``."""

    deployment_id: str
    session_id: str
    action_id: str
    action_state: str
    error_code: str | None = None
    error_message: str | None = None


IdentityCommand = (
    CreateContact
    | UpdateContact
    | DeleteContact
    | ClaimIdentifier
    | ReleaseIdentifier
    | VerifySession
    | MergeContacts
    | UnmergeContact
)
#: Definitions are commands too, so that a replay meets each version where it was made.
DefinitionCommand = PutDefinition | DeleteDefinition
#: What a browser reports of the web actions it was served.
ActionCommand = RecordActionEvent
Command = IdentityCommand | DefinitionCommand | AssignSegments | ActionCommand | EraseContact


def command_name(command: Command) -> str:
    """The command's name (its tag): ``create``, ``claim``, ``verify_session``, ..."""
    return str(type(command).__struct_config__.tag)


def command_args(command: Command) -> dict[str, Any]:
    """What the command says besides who and when, as audits record it (camelCase keys)."""
    doc: dict[str, Any] = msgspec.to_builtins(command)
    for key in ("command", "actor", "atMs"):
        doc.pop(key, None)
    return doc
