"""The desktop's languages: English and French, from Babel message catalogues.

Strings live in the templates and in Python as ``_("...")`` and are extracted into
``locale/messages.pot``; each language has ``locale/<lang>/LC_MESSAGES/messages.po`` and its
compiled ``.mo`` (``scripts/translations`` extracts, updates and compiles them). English is the
source language, so it needs no catalogue of its own.

The language of a request is, in order: the ``jl_lang`` cookie the language switch sets, the
browser's ``Accept-Language`` header, English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.core import negotiate_locale
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "fr")
DEFAULT = "en"
#: The names the language switch shows, each in its own language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
COOKIE = "jl_lang"


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def _accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (``q=0`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language to show: the switch's choice, else the browser's, else English."""
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        found = negotiate_locale(_accepted(accept_language)[:20], LANGUAGES, sep="_")
        if found:
            return found.split("_")[0]
    return DEFAULT
