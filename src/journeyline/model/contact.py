"""External contacts, their identifiers, and deployments (Genesys field names, snake_case)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONTACT_TYPES = ("Ephemeral", "Identified", "Curated")
IDENTIFIER_TYPES = ("Cookie", "Email", "Phone", "ExternalId")


@dataclass(frozen=True, slots=True)
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
    #: ``conversation`` for a contact made from a caller's number or a chat's email: its dates
    #: follow the sessions linked to it, and it goes when none is left.
    origin: str | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or "Unknown"


@dataclass(frozen=True, slots=True)
class Identifier:
    type: str
    value: str
    contact_id: str
    verified: bool
    created_ms: int


@dataclass(frozen=True, slots=True)
class Deployment:
    """A Genesys ``WebDeployment``; ``collect_ip_addresses`` is our extension."""

    id: str
    name: str
    write_key: str
    allowed_domains: tuple[str, ...] = ()
    allow_all_domains: bool = False
    collect_ip_addresses: bool = True
    description: str | None = None
    created_ms: int = 0
    modified_ms: int = 0


@dataclass(frozen=True, slots=True)
class Audit:
    """One entry of the identity audit trail: who did what to which contact, and the details."""

    at_ms: int
    actor: str
    action: str
    contact_id: str | None
    details: dict[str, Any]
