"""Web sessions, web events and external contacts -> Genesys-shaped JSON."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import phonenumbers

from journeyline.api.wire import Json, compact, session_uri
from journeyline.clock import iso
from journeyline.core.identity import expiry_ms, identifies
from journeyline.core.ids import path_segment
from journeyline.core.websession import web_event_id
from journeyline.model.contact import Contact, Deployment, Identifier, IdentityMatch
from journeyline.model.web import Attribute, WebEvent, WebSession


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def record(value: Any) -> Json | None:
    """A domain record (dataclass) -> camelCase JSON, nulls and empty lists omitted."""
    if value is None:
        return None
    doc: Json = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is None or item == () or item == {}:
            continue
        if dataclasses.is_dataclass(item):
            item = record(item)
        elif isinstance(item, tuple):
            item = list(item)
        doc[_camel(f.name)] = item
    return doc


def attributes(values: dict[str, Attribute]) -> Json:
    return {name: {"dataType": a.data_type, "value": a.value} for name, a in values.items()}


def contact_ref(contact_id: str | None) -> Json | None:
    if contact_id is None:
        return None
    return {
        "id": contact_id,
        "selfUri": f"/api/v2/externalcontacts/contacts/{path_segment(contact_id)}",
    }


def identity_match(m: IdentityMatch | None) -> Json | None:
    """Why a session shows its contact (``IdentityMatch``, our extension; docs/api.md)."""
    if m is None:
        return None
    claimant = None
    session = m.claimed_session_id
    if m.claimed_by is not None:
        claimant = compact(
            {
                "customerId": m.claimed_by,
                "customerIdType": "cookie",
                "deployment": {"id": m.deployment_id} if m.deployment_id else None,
                "session": {"id": session, "selfUri": session_uri(session)} if session else None,
            }
        )
    return compact(
        {
            "source": m.source,
            "verified": m.verified,
            "type": m.type,
            "value": m.value,
            "claimedDate": iso(m.claimed_ms) if m.claimed_ms is not None else None,
            "claimedBy": claimant,
        }
    )


def web_session(
    s: WebSession, *, now_ms: int, contact_id: str | None, verified: bool, timeout_ms: int
) -> Json:
    ended = now_ms - s.last_event_ms >= timeout_ms
    return compact(
        {
            "id": s.id,
            "type": s.type,
            "customerId": s.customer_cookie_id,
            "customerIdType": "cookie",
            "externalContact": contact_ref(contact_id),
            "externalContactVerified": verified if contact_id else None,
            "createdDate": iso(s.created_ms),
            "endedDate": iso(s.last_event_ms) if ended else None,
            "durationInSeconds": (s.last_event_ms - s.created_ms) // 1000,
            "eventCount": s.event_count,
            "pageviewCount": s.pageview_count if s.type == "web" else None,
            "screenviewCount": s.screenview_count if s.type == "app" else None,
            "lastPage": record(s.last_page),
            "lastScreen": s.last_screen,
            "searchTerms": list(s.search_terms) or None,
            "referrer": record(s.referrer),
            "mktCampaign": record(s.campaign),
            "browser": record(s.browser),
            "device": record(s.device),
            "geolocation": record(s.geolocation),
            "ipAddress": s.ip_address,
            "userAgentString": s.user_agent,
            "authenticated": s.authenticated,
            "visitCount": s.visit_count,
            "lastEvent": {
                "id": s.last_event_id,
                "eventName": s.last_event_name,
                "createdDate": iso(s.last_event_ms),
            },
            "selfUri": session_uri(s.id),
        }
    )


def web_event_payload(e: WebEvent) -> Json:
    return compact(
        {
            "eventName": e.event_name,
            "page": record(e.page),
            "screenName": e.screen_name,
            "searchQuery": e.search_query,
            "referrer": record(e.referrer),
            "mktCampaign": record(e.campaign),
            "browser": record(e.browser),
            "device": record(e.device),
            "geolocation": record(e.geolocation),
            "ipAddress": e.ip_address,
            "userAgentString": e.user_agent,
            "attributes": attributes(e.attributes),
            "traits": attributes(e.traits),
            "externalId": e.external_id,
            "authenticated": identifies(e),
            "traitsRefused": e.traits_refused,
        }
    )


def web_event(e: WebEvent, session_id: str) -> Json:
    kind = "AppEvent" if e.session_type == "app" else "WebEvent"
    return {
        "id": web_event_id(e.key),
        "customerId": e.customer_cookie_id,
        "customerIdType": "cookie",
        "session": {"id": session_id, "type": e.session_type, "selfUri": session_uri(session_id)},
        "eventType": kind,
        "createdDate": iso(e.created_ms),
        "appEvent" if kind == "AppEvent" else "webEvent": web_event_payload(e),
    }


def web_event_response(e: WebEvent, s: WebSession) -> Json:
    """The answer to ``POST .../webevents``: a Genesys WebEventResponse."""
    return compact(
        {
            "customerId": e.customer_cookie_id,
            "customerIdType": "cookie",
            **web_event_payload(e),
            "createdDate": iso(e.created_ms),
            "session": compact(
                {
                    "id": s.id,
                    "durationInSeconds": (s.last_event_ms - s.created_ms) // 1000,
                    "eventCount": s.event_count,
                    "pageviewCount": s.pageview_count,
                    "referrer": record(s.referrer),
                    "createdDate": iso(s.created_ms),
                    "selfUri": session_uri(s.id),
                }
            ),
        }
    )


def _phone(e164: str | None) -> Json | None:
    if e164 is None:
        return None
    try:
        number = phonenumbers.parse(e164, None)
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        country = str(number.country_code)
    except phonenumbers.NumberParseException:
        display, country = e164, None
    return compact({"display": display, "e164": e164, "countryCode": country})


def contact(c: Contact, *, members: list[str]) -> Json:
    expires = expiry_ms(c)
    return compact(
        {
            "id": c.id,
            "type": c.type,
            "firstName": c.first_name,
            "lastName": c.last_name,
            "title": c.title,
            "workEmail": c.work_email,
            "personalEmail": c.personal_email,
            "otherEmail": c.other_email,
            "workPhone": _phone(c.work_phone),
            "cellPhone": _phone(c.cell_phone),
            "homePhone": _phone(c.home_phone),
            "otherPhone": _phone(c.other_phone),
            "canonicalContact": contact_ref(c.canonical_id),
            "mergeSet": [contact_ref(m) for m in members] or None,
            "mergedFrom": [contact_ref(m) for m in c.merged_from] or None,
            "unverifiedMatch": contact_ref(c.unverified_match),
            "createDate": iso(c.created_ms),
            "modifyDate": iso(c.modified_ms),
            "expiryDate": iso(expires) if expires is not None else None,
            "selfUri": f"/api/v2/externalcontacts/contacts/{path_segment(c.id)}",
        }
    )


def identifier(i: Identifier) -> Json:
    return {
        "type": i.type,
        "value": i.value,
        "verified": i.verified,
        "dateCreated": iso(i.created_ms),
    }


def deployment(
    d: Deployment, *, base_url: str, with_key: bool = True, secret: str | None = None
) -> Json:
    """A Genesys WebDeployment; ``with_key``: with its Segment ``writeKey`` (a secret: only for
    those who may manage deployments); ``secret``: its new identify secret, shown once."""
    # escaped: a deployment stored before ids were checked may hold markup (the admin pastes it)
    attribute = html.escape(d.id, quote=True)
    snippet = (
        f'<script src="{base_url}/journeyline.js" data-deployment="{attribute}" async></script>'
    )
    return compact(
        {
            "id": d.id,
            "name": d.name,
            "description": d.description,
            "allowAllDomains": d.allow_all_domains,
            "allowedDomains": list(d.allowed_domains),
            "collectIpAddresses": d.collect_ip_addresses,
            "identifySigning": d.identify_signing,
            "identifySecret": secret,
            "writeKey": d.write_key if with_key else None,
            "snippet": snippet,
            "status": "Active",
            "dateCreated": iso(d.created_ms),
            "dateModified": iso(d.modified_ms),
            "selfUri": f"/api/v2/webdeployments/deployments/{path_segment(d.id)}",
        }
    )
