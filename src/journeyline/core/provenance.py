"""Why a session shows the contact it shows: the identifier it matched by, and who vouched for it.

A session's link to its contact has a level (``core.identity``: unverified, verified, by an
agent). This rule explains it: the contact centre named the contact; an agent verified the
session; or the session matched an identifier — a visitor's own cookie, a caller's number or a
chat's address, an email or phone a web visitor typed — whose :class:`Identifier` says who
vouched for it (``source``) and, for a website's claim, which visitor claimed it, through
which deployment, and when. An agent reads it before trusting a name: a number claimed by an
anonymous website visitor is no proof of who is calling.

Two steps, so that the caller loads only what is needed: :func:`candidates` names the
identifiers to read, :func:`explain` decides from them. Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from journeyline.core.identity import AGENT, UNVERIFIED, Key, conversation_keys
from journeyline.model.contact import (
    AGENT_VERIFIED,
    CONTACT_CENTRE,
    WEB_CLAIM,
    WEB_COOKIE,
    Contact,
    Identifier,
    IdentityMatch,
)
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession


def candidates(
    session: ConversationSession | WebSession, level: int, visitor: Contact | None = None
) -> list[Key]:
    """The identifiers a session may have matched by, in the order :func:`explain` tries them.
    ``visitor``: for a web session, the contact owning its cookie (whose PII match, when there
    is one, names the identifier the match was made by)."""
    if level == AGENT:
        return []
    if isinstance(session, WebSession):
        found: list[Key] = []
        if level == UNVERIFIED and visitor is not None and visitor.unverified_match_by:
            kind, value = visitor.unverified_match_by
            found.append((kind, value))
        found.append(("Cookie", session.customer_cookie_id))
        return found
    cookie, address = conversation_keys(session)
    return [key for key in (cookie, address) if key is not None]


def source_of(identifier: Identifier) -> str:
    """Who vouched for an identifier; a row from before sources were kept is taken by its
    kind: a cookie is the visitor's own, an unverified one a website's claim."""
    if identifier.source:
        return identifier.source
    if identifier.type == "Cookie":
        return WEB_COOKIE
    return AGENT_VERIFIED if identifier.verified else WEB_CLAIM


def _typed_claim(
    session: ConversationSession | WebSession,
    level: int,
    contact_ids: Collection[str],
    identifiers: Mapping[Key, Identifier | None],
    visitor: Contact | None,
) -> IdentityMatch | None:
    """A web visitor matched by PII: the claim *they* typed (when, through which deployment),
    never the owner's own claim of the identifier; None for a contact from before that was
    kept, or a match that no longer holds."""
    if not isinstance(session, WebSession) or level != UNVERIFIED or visitor is None:
        return None
    key, at_ms = visitor.unverified_match_by, visitor.unverified_match_ms
    if key is None or at_ms is None:
        return None
    owned = identifiers.get((key[0], key[1]))
    if owned is None or owned.contact_id not in contact_ids:
        return None
    return IdentityMatch(
        WEB_CLAIM,
        False,
        type=key[0],
        value=key[1],
        claimed_ms=at_ms,
        claimed_by=session.customer_cookie_id,
        deployment_id=visitor.unverified_match_deployment,
    )


def explain(
    session: ConversationSession | WebSession,
    level: int,
    contact_ids: Collection[str],
    identifiers: Mapping[Key, Identifier | None],
    visitor: Contact | None = None,
) -> IdentityMatch | None:
    """Why ``session`` is linked (at ``level``) to the contact it is: None when it is linked
    to nobody or nothing explains it any more (the identifier was released since).

    ``contact_ids``: the contact the session is linked to and the head of its merge set;
    ``identifiers``: those :func:`candidates` named, as loaded (None: absent)."""
    if not contact_ids:
        return None
    verified = level > UNVERIFIED
    if level == AGENT:
        return IdentityMatch(AGENT_VERIFIED, True)
    if isinstance(session, ConversationSession) and session.external_contact_id:
        return IdentityMatch(CONTACT_CENTRE, True)
    typed = _typed_claim(session, level, contact_ids, identifiers, visitor)
    if typed is not None:
        return typed
    for key in candidates(session, level, visitor):
        identifier = identifiers.get(key)
        if identifier is None or identifier.contact_id not in contact_ids:
            continue  # released or moved since; or the visitor's own cookie, on a PII match
        source = source_of(identifier)
        return IdentityMatch(
            source,
            verified,
            type=identifier.type,
            value=identifier.value,
            claimed_ms=identifier.created_ms,
            claimed_by=identifier.claimed_by if source == WEB_CLAIM else None,
            deployment_id=identifier.deployment_id if source == WEB_CLAIM else None,
        )
    return None
