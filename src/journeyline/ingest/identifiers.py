"""Identifiers people are recognised by, normalised: E.164 phones, normalised email addresses.

Traits (from web events, identify calls and the Segment collector) name them in several ways;
``pii_from_traits`` maps the usual names to identifier types and validates each value.
"""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from journeyline.errors import InvalidInput

EMAIL_TRAITS = ("email", "workEmail", "personalEmail", "otherEmail")
PHONE_TRAITS = ("phone", "cellPhone", "mobilePhone", "workPhone", "homePhone", "otherPhone")
FIRST_NAME_TRAITS = ("givenName", "firstName", "first_name")
LAST_NAME_TRAITS = ("familyName", "lastName", "last_name")


def normalise_email(value: str, *, field: str = "email") -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field}: '{value}' is not a valid email address", field=field) from exc
    return result.normalized.lower()


def normalise_phone(value: str, *, field: str = "phone", region: str | None = None) -> str:
    """A phone number in E.164; without a ``+`` country code it needs a default ``region``."""
    raw = value.removeprefix("tel:")
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


def first_of(traits: Mapping[str, object], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = traits.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:1000]
    return None
