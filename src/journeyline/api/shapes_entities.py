"""The response shapes of what clients manage — the directory, users, contacts, deployments,
definitions, flows, OAuth clients — and of the service routes (token, health, the collector,
the ping).

As in ``api.shapes``: Structs describing the handlers' answers for the OpenAPI document,
checked against real answers by ``tests/api/test_openapi.py``. A definition's answer is its
request body (``ingest.definition_wire``, which accepts a GET answer back) with the envelope
every definition has (``id``, ``version``, dates, ``selfUri``); its nested parts, the request
bodies' own, accept fields they do not name.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET

from journeyline.api.contract import Date, Ext, Maybe
from journeyline.api.shapes import ErrorBody, Ref, SessionRef, Shape
from journeyline.ingest.definition_wire import (
    ActionMapBody,
    ActionTemplateBody,
    OutcomeBody,
    SegmentBody,
)

# -- listings ---------------------------------------------------------------------------------


class NumberedListing(Shape):
    """A page of a numbered listing; ``nextUri`` is null on the last page."""

    page_size: int
    page_number: int
    total: int
    page_count: int
    self_uri: str
    next_uri: str | None


# -- the directory and users ------------------------------------------------------------------


class DirectoryEntry(Shape):
    id: str
    name: str
    date_modified: Date
    self_uri: str


class Queue(DirectoryEntry):
    """A Genesys ``Queue``: its id and name."""


class WrapupCode(DirectoryEntry):
    """A Genesys ``WrapupCode``: its id and name."""


class User(DirectoryEntry):
    """A Genesys ``User``; ``email`` and ``role`` when it has an account."""

    email: Maybe[str] = UNSET
    role: Maybe[Ext[Literal["agent", "supervisor", "admin"]]] = UNSET


class QueueEntityListing(NumberedListing, kw_only=True):
    entities: list[Queue]


class WrapupCodeEntityListing(NumberedListing, kw_only=True):
    entities: list[WrapupCode]


class UserEntityListing(NumberedListing, kw_only=True):
    entities: list[User]


# -- contacts ---------------------------------------------------------------------------------


class PhoneNumber(Shape):
    display: str
    e164: str
    country_code: Maybe[str] = UNSET


class ExternalContact(Shape):
    """A Genesys ``ExternalContact``; ``unverifiedMatch`` is ours: a contact the visitor
    matched by an email or phone alone, for an agent to verify."""

    id: str
    type: str
    create_date: Date
    modify_date: Date
    self_uri: str
    first_name: Maybe[str] = UNSET
    last_name: Maybe[str] = UNSET
    title: Maybe[str] = UNSET
    work_email: Maybe[str] = UNSET
    personal_email: Maybe[str] = UNSET
    other_email: Maybe[str] = UNSET
    work_phone: Maybe[PhoneNumber] = UNSET
    cell_phone: Maybe[PhoneNumber] = UNSET
    home_phone: Maybe[PhoneNumber] = UNSET
    other_phone: Maybe[PhoneNumber] = UNSET
    canonical_contact: Maybe[Ref] = UNSET
    merge_set: Maybe[list[Ref]] = UNSET
    merged_from: Maybe[list[Ref]] = UNSET
    unverified_match: Maybe[Ext[Ref]] = UNSET
    expiry_date: Maybe[Date] = UNSET


class ContactListing(Shape):
    entities: list[ExternalContact]
    page_size: int
    page_number: int
    total: int
    self_uri: str


class ContactsOfUnmerge(Shape):
    """The contacts that stand alone again."""

    entities: list[ExternalContact]


class ContactIdentifier(Shape):
    type: str
    value: str
    verified: bool
    date_created: Date


class ContactIdentifierListing(Shape):
    entities: list[ContactIdentifier]


class Audit(Shape):
    """Who did what to which contact: ``details`` depends on the ``action``."""

    at_ms: int
    actor: str
    action: str
    contact_id: str | None
    details: dict[str, Any]


class AuditListing(Shape):
    entities: list[Audit]


# -- segment assignments ----------------------------------------------------------------------


class SegmentAssignment(Shape):
    """``session`` for a session segment, the session it holds for."""

    date_assigned: Date
    segment: Ref
    date_for_unassignment: Maybe[Date] = UNSET
    external_contact: Maybe[Ref] = UNSET
    session: Maybe[SessionRef] = UNSET


class SegmentAssignmentListing(Shape):
    entities: list[SegmentAssignment]


class SegmentIds(Shape):
    id: str


class Segments(Shape):
    segments: list[SegmentIds]


class UnprocessedItems(Shape):
    assign: Segments
    unassign: Segments
    count: int


class UpdateSegmentAssignmentResponse(Shape):
    unprocessed_items: UnprocessedItems


# -- web deployments and the tracker's ping ---------------------------------------------------


class WebDeployment(Shape):
    """A Genesys ``WebDeployment``; ``writeKey`` (the Segment collector's key) only for those
    who may manage deployments; ``identifySecret`` only in the answer that made it (creation,
    or a change to ``identifySigning: "required"`` of a deployment without one)."""

    id: str
    name: str
    allow_all_domains: bool
    allowed_domains: list[str]
    collect_ip_addresses: Ext[bool]
    snippet: Ext[str]
    status: Literal["Active"]
    date_created: Date
    date_modified: Date
    self_uri: str
    description: Maybe[str] = UNSET
    write_key: Maybe[Ext[str]] = UNSET
    identify_signing: Ext[Literal["off", "required"]] = "off"
    identify_secret: Maybe[Ext[str]] = UNSET


class IdentifySecret(Shape):
    """A deployment's new identify secret, shown this once (docs/web.md, "Signed traits")."""

    id: str
    identify_secret: Ext[str]
    self_uri: str


class WebDeploymentListing(Shape):
    entities: list[WebDeployment]
    total: int
    self_uri: str


class DeploymentWebAction(Shape):
    """A Genesys ``DeploymentWebAction``: a web offer to show now."""

    id: str
    media_type: Literal["contentOffer", "webMessagingOffer"]
    customer_id: str
    customer_id_type: Literal["cookie"]
    action_map_id: str
    session_id: str
    action_map_version: Maybe[int] = UNSET
    web_messaging_offer_properties: Maybe[dict[str, Any]] = UNSET
    content_offer_properties: Maybe[dict[str, Any]] = UNSET


class DeploymentPing(Shape):
    poll_interval_milliseconds: int
    actions: list[DeploymentWebAction]


# -- definitions ------------------------------------------------------------------------------


class JourneySegment(SegmentBody, kw_only=True, forbid_unknown_fields=True):
    """A Genesys ``JourneySegment``."""

    id: str
    version: int
    created_date: Date
    modified_date: Date
    self_uri: str


class Outcome(OutcomeBody, kw_only=True, forbid_unknown_fields=True):
    """A Genesys ``Outcome``."""

    id: str
    version: int
    created_date: Date
    modified_date: Date
    self_uri: str


class ActionMap(ActionMapBody, kw_only=True, forbid_unknown_fields=True):
    """A Genesys ``ActionMap``."""

    id: str
    version: int
    created_date: Date
    modified_date: Date
    self_uri: str


class ActionTemplate(ActionTemplateBody, kw_only=True, forbid_unknown_fields=True):
    """A Genesys ``ActionTemplate``."""

    id: str
    version: int
    created_date: Date
    modified_date: Date
    self_uri: str


class DefinitionListing(NumberedListing, kw_only=True):
    first_uri: str
    last_uri: str
    previous_uri: str | None


class JourneySegmentListing(DefinitionListing, kw_only=True):
    entities: list[JourneySegment]


class OutcomeListing(DefinitionListing, kw_only=True):
    entities: list[Outcome]


class ActionMapListing(DefinitionListing, kw_only=True):
    entities: list[ActionMap]


class ActionTemplateListing(DefinitionListing, kw_only=True):
    entities: list[ActionTemplate]


# -- flows (ours: webhooks, docs/flows.md) ----------------------------------------------------


class Flow(Shape):
    """``secret`` only in the answer that registers the flow."""

    id: str
    name: str
    url: str
    date_created: Date
    date_modified: Date
    self_uri: str
    description: Maybe[str] = UNSET
    secret: Maybe[str] = UNSET


class CompactListing(Shape):
    """A page of a numbered listing; ``nextUri`` absent on the last page."""

    page_size: int
    page_number: int
    total: int
    page_count: int
    self_uri: str
    next_uri: Maybe[str] = UNSET


class FlowListing(CompactListing, kw_only=True):
    entities: list[Flow]


class FlowSecret(Shape):
    id: str
    secret: str
    self_uri: str


class FlowOfDelivery(Shape):
    id: str
    self_uri: str
    name: Maybe[str] = UNSET


class Delivery(Shape):
    """A delivery of a flow; ``body`` is what was posted (JSON, or the text it was)."""

    id: str
    flow: FlowOfDelivery
    state: str
    attempts: int
    date_created: Date
    body: Any
    self_uri: str
    last_status: Maybe[int] = UNSET
    last_error: Maybe[str] = UNSET
    date_last_attempt: Maybe[Date] = UNSET
    date_next_attempt: Maybe[Date] = UNSET


class DeliveryListing(CompactListing, kw_only=True):
    entities: list[Delivery]


# -- the service routes -----------------------------------------------------------------------


class Health(Shape):
    status: Literal["ok"]


class Readiness(Shape):
    """``GET /ready``: each check's name and ``ok`` or ``failed``."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, Literal["ok", "failed"]]


class TokenRequest(msgspec.Struct):
    """The form ``POST /oauth/token`` takes (the client's id and secret come by HTTP Basic)."""

    grant_type: Literal["client_credentials"]


class Token(msgspec.Struct, forbid_unknown_fields=True):
    """An OAuth access token (snake_case, as OAuth has it)."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class OAuthClient(Shape):
    """A Genesys ``OAuthClient`` (client credentials): ``secret`` only in the answers that
    create the client or give it a new one (only its hash is kept); ``role`` is ours."""

    id: str
    name: str
    authorized_grant_type: Literal["CLIENT-CREDENTIALS"]
    state: Literal["active", "disabled"]
    access_token_validity_seconds: int
    role: Ext[Literal["admin", "supervisor", "agent", "ingest"]]
    date_created: Date
    date_modified: Date
    self_uri: str
    description: Maybe[str] = UNSET
    secret: Maybe[str] = UNSET


class OAuthClientEntityListing(NumberedListing, kw_only=True):
    entities: list[OAuthClient]


class CollectorItem(Shape):
    index: int
    status: Literal["accepted", "duplicate", "rejected"]
    message: Maybe[str] = UNSET
    field: Maybe[str] = UNSET


class CollectorResult(Shape):
    """``success``: every message kept (or a duplicate); else one result per message."""

    success: bool
    results: Maybe[list[CollectorItem]] = UNSET


class CollectorError(ErrorBody, kw_only=True):
    """A malformed request, or one whose every message was rejected (``results``)."""

    results: Maybe[list[CollectorItem]] = UNSET
