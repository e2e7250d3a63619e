"""Signed identify traits: what a site's backend signs, and whether an event's claim stands.

A deployment with ``identifySigning: "required"`` believes the traits (and the external id) of
a web event or a Segment call only when they carry ``traitsSignature``: the HMAC-SHA256, with
the deployment's identify secret, of the *claim* in canonical JSON (docs/web.md):

- the claim is an object with ``"traits"``: the traits object exactly as the event sends it
  (a web event's ``{name: {dataType, value}}`` maps, a Segment call's plain traits), and
  ``"externalId"``: the external id as a string (a web event's ``externalId``, a Segment
  call's ``userId``) — each only when the event has it;
- canonical JSON: object keys sorted by code point at every level, no whitespace, strings as
  JSON escapes them (non-ASCII characters as themselves, not ``\\u`` escapes), integers as
  integers, a number whose value is whole written as an integer (``1.0`` is ``1``, as
  JavaScript writes it), other numbers in their shortest round-trip form;
- the bytes signed are that text in UTF-8; the key is the secret's UTF-8 bytes; the signature
  is the digest in lower-case hex (64 characters; upper case is accepted too).

A claim that is unsigned or wrongly signed *claims nothing*: the event is kept, with its traits,
but they neither claim nor match an identifier nor name the visitor (:func:`refusal`'s reason
is kept on the event). Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from typing import Any

#: Why an event's traits claim nothing.
UNSIGNED, BAD_SIGNATURE, NO_SECRET = "unsigned", "badSignature", "noSecret"
REASONS = (UNSIGNED, BAD_SIGNATURE, NO_SECRET)


def claim_of(traits: Mapping[str, Any] | None, external_id: str | None) -> dict[str, Any]:
    """The claim an event makes: its traits as sent and its external id, those it has."""
    claim: dict[str, Any] = {}
    if traits:
        claim["traits"] = traits
    if external_id is not None:
        claim["externalId"] = str(external_id)
    return claim


def _plain(value: Any) -> Any:
    """Whole numbers as integers, recursively (JavaScript writes ``1.0`` as ``1``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(claim: Mapping[str, Any]) -> bytes:
    """The bytes a claim's signature is computed over (see the module docstring)."""
    text = json.dumps(
        _plain(claim), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def sign(secret: str, claim: Mapping[str, Any]) -> str:
    """The ``traitsSignature`` of a claim: HMAC-SHA256 over :func:`canonical`, lower-case hex."""
    return hmac.new(secret.encode("utf-8"), canonical(claim), hashlib.sha256).hexdigest()


def refusal(
    mode: str, secret: str | None, claim: Mapping[str, Any], signature: str | None
) -> str | None:
    """Why a claim must claim nothing on a deployment whose ``identifySigning`` is ``mode``:
    None when it stands (signing is off, there is nothing to claim, or the signature is
    right); ``unsigned``, ``badSignature``, or ``noSecret`` (the deployment has no secret to
    check with: an operator must rotate one)."""
    if mode != "required" or not claim:
        return None
    if not signature:
        return UNSIGNED
    if secret is None:
        return NO_SECRET
    try:
        expected = sign(secret, claim)
    except (ValueError, TypeError, UnicodeEncodeError):  # NaN, a lone surrogate: unsignable
        return BAD_SIGNATURE
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        return BAD_SIGNATURE
    return None
