"""Identifiers people are recognised by, normalised: E.164 phones, normalised email addresses.

Traits (from web events, identify calls and the Segment collector) name them in several ways;
``pii_from_traits`` maps the usual names to identifier types and validates each value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from journeyline.model.contact import IDENTIFIER_TYPES
from journeyline.model.errors import InvalidInput

EMAIL_TRAITS = ("email", "workEmail", "personalEmail", "otherEmail")
PHONE_TRAITS = ("phone", "cellPhone", "mobilePhone", "workPhone", "homePhone", "otherPhone")


def normalise_email(value: str, *, field: str = "email") -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field}: '{value}' is not a valid email address", field=field) from exc
    return result.normalized.lower()


def normalise_phone(value: str, *, field: str = "phone", region: str | None = None) -> str:
    """A phone number in E.164; without a ``+`` country code it needs a default ``region``.
    Full-width digits and plus are folded (NFKC), and ``00`` is the international prefix
    (``0033…`` is ``+33…``) as it is everywhere but North America, which dials ``011``."""
    raw = unicodedata.normalize("NFKC", value).strip().removeprefix("tel:")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            f"{field}: '{value}' is not a phone number in E.164 form (+countrycode...)",
            field=field,
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(f"{field}: '{value}' is not a valid phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pii_from_traits(
    traits: Mapping[str, object], *, prefix: str = "traits"
) -> list[tuple[str, str]]:
    """``(type, value)`` identifiers named by traits, validated; raises InvalidInput naming one."""
    found: list[tuple[str, str]] = []
    for name in EMAIL_TRAITS:
        value = traits.get(name)
        if isinstance(value, str) and value:
            found.append(("Email", normalise_email(value, field=f"{prefix}.{name}")))
    for name in PHONE_TRAITS:
        value = traits.get(name)
        if isinstance(value, str) and value:
            found.append(("Phone", normalise_phone(value, field=f"{prefix}.{name}")))
    return list(dict.fromkeys(found))


def normalise_identifier(kind: str, value: str) -> str:
    """An identifier a client names (``type``, ``value``), validated and normalised."""
    if kind not in IDENTIFIER_TYPES:
        raise InvalidInput(
            f"identifier.type must be one of {', '.join(IDENTIFIER_TYPES)}", field="identifier.type"
        )
    value = value.strip()
    if not value or len(value) > 255:
        raise InvalidInput("identifier.value must be 1 to 255 characters", field="identifier.value")
    if kind == "Email":
        return normalise_email(value, field="identifier.value")
    if kind == "Phone":
        return normalise_phone(value, field="identifier.value")
    if kind == "Cookie":
        return value.lower()
    return value
