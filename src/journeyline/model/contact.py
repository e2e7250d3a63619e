"""External contacts, their identifiers, and deployments (Genesys field names, snake_case)."""

from __future__ import annotations

from typing import Any

from journeyline.model.record import record

CONTACT_TYPES = ("Ephemeral", "Identified", "Curated")
IDENTIFIER_TYPES = ("Cookie", "Email", "Phone", "ExternalId")
#: Who vouched for an identifier (``Identifier.source``) or a session's link to its contact
#: (``IdentityMatch.source``): a website visitor's own traits (unverified), a visitor's own
#: browser cookie, the contact centre (the contact it names, or the caller's own number as the
#: network delivered it), an agent (a claim, a verification, a contact they wrote), the address
#: a chat, message or email came from (typed by whoever wrote: unverified, as a web claim is).
WEB_CLAIM, WEB_COOKIE, CONTACT_CENTRE, AGENT_VERIFIED, CONVERSATION_CLAIM = (
    "webClaim",
    "webCookie",
    "contactCentre",
    "agentVerified",
    "conversationClaim",
)
SOURCES = (WEB_CLAIM, WEB_COOKIE, CONTACT_CENTRE, AGENT_VERIFIED, CONVERSATION_CLAIM)
#: A deployment's ``identifySigning``: identify traits need no signature, or must be signed.
SIGNING_MODES = ("off", "required")


@record
class Contact:
    """An external contact. When it expires is a rule: ``core.identity.expiry_ms``."""

    id: str
    type: str
    created_ms: int
    modified_ms: int
    last_activity_ms: int
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    work_email: str | None = None
    personal_email: str | None = None
    other_email: str | None = None
    work_phone: str | None = None  # E.164
    cell_phone: str | None = None
    home_phone: str | None = None
    other_phone: str | None = None
    canonical_id: str | None = None
    merged_from: tuple[str, ...] = ()
    #: A contact this visitor matched by PII alone, waiting for an agent to verify it.
    unverified_match: str | None = None
    #: The identifier (type, value) that match was made by.
    unverified_match_by: tuple[str, str] | None = None
    #: When the visitor typed it, and through which deployment: the claim the match explains
    #: (not the owner's own claim of the identifier). None in a contact from before they were.
    unverified_match_ms: int | None = None
    unverified_match_deployment: str | None = None
    #: ``conversation`` for a contact made from a caller's number or a chat's email: its dates
    #: follow the sessions linked to it, and it goes when none is left.
    origin: str | None = None
    #: When its visitor first identified themselves on the web (their earliest identifying
    #: event): a late, earlier one moves it, and ``modified_ms`` with it while nothing else
    #: modified the contact since. None for a contact no web visitor identified (or from
    #: before there was this field). Ours; not a Genesys field.
    identified_ms: int | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or "Unknown"


@record
class Identifier:
    """An identifier a contact owns. ``source``: who vouched for it (:data:`SOURCES`; None in a
    row older than sources); a website claim also records the visitor (``claimed_by``, their
    cookie) and the deployment it came through."""

    type: str
    value: str
    contact_id: str
    verified: bool
    created_ms: int
    source: str | None = None
    claimed_by: str | None = None
    deployment_id: str | None = None


@record
class IdentityMatch:
    """Why a session shows the contact it shows (``core.provenance``).

    ``source``: who vouched for the link (:data:`SOURCES`); ``verified``: whether the link is
    verified (the session's ``externalContactVerified``); ``type`` and ``value``: the
    identifier it was matched by, when it was; ``claimed_ms``, ``claimed_by`` (a visitor's
    cookie), ``deployment_id``: when and through which website that identifier was claimed;
    ``claimed_session_id``: the web session of that visitor at that time, when it is known.
    """

    source: str
    verified: bool
    type: str | None = None
    value: str | None = None
    claimed_ms: int | None = None
    claimed_by: str | None = None
    deployment_id: str | None = None
    claimed_session_id: str | None = None


@record
class Deployment:
    """A Genesys ``WebDeployment``; ``collect_ip_addresses`` and ``identify_signing`` are our
    extensions."""

    id: str
    name: str
    write_key: str
    allowed_domains: tuple[str, ...] = ()
    allow_all_domains: bool = False
    collect_ip_addresses: bool = True
    description: str | None = None
    #: ``off`` or ``required``: whether identify traits must be signed by the site's backend
    #: (``core.signing``) before they claim anything; ours, as is ``collect_ip_addresses``.
    identify_signing: str = "off"
    created_ms: int = 0
    modified_ms: int = 0


@record
class Audit:
    """One entry of the identity audit trail: who did what to which contact, and the details."""

    at_ms: int
    actor: str
    action: str
    contact_id: str | None
    details: dict[str, Any]
