"""Structured logs: one JSON object a line, with no email, phone number or IP address in it.

:func:`configure` (``journeyline serve`` calls it) sends every logger's records to stderr as JSON
lines: ``time`` (ISO 8601 UTC), ``level``, ``logger``, ``message``, the fields a call passes in
``extra`` (the access log's ``method``, ``route``, ``status``...) and ``exception`` (the
traceback) when there is one.

Log calls in journeyline name ids, never a person's email, phone or address; but a message or a
traceback can quote what a client sent (an exception's message, a library's warning about a
malformed request line). :func:`redact` is the net under them: the formatter runs the message
and the traceback through it, so emails, ``+``-prefixed phone numbers and IP addresses (but the
loopback and unspecified ones, which are this machine's) become ``[email]``, ``[phone]``,
``[ip]``. The ``extra`` fields are not rewritten: whoever passes them makes them safe.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec

_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+|%2B)\d[\d\s().-]{5,18}\d", re.IGNORECASE)
#: candidates only: what :mod:`ipaddress` accepts of them is an address
_IPV6 = re.compile(
    r"(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])", re.IGNORECASE
)
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")


def _address(match: re.Match[str]) -> str:
    try:
        address = ipaddress.ip_address(match[0])
    except ValueError:
        return match[0]
    return match[0] if address.is_loopback or address.is_unspecified else "[ip]"


def redact(text: str) -> str:
    """``text`` with its emails, ``+``-prefixed phone numbers and IP addresses replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _IPV6.sub(_address, text)
    text = _IPV4.sub(_address, text)
    return _PHONE.sub("[phone]", text)


#: what every LogRecord has: the rest of a record's attributes came in ``extra``
#: (and uvicorn's ``color_message``, its message with terminal colours)
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """A record as one JSON object (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        doc.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            doc["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            doc["stack"] = redact(self.formatStack(record.stack_info))
        return msgspec.json.encode(doc, enc_hook=str).decode()


#: libraries whose info lines are not ours to keep: httpx logs every request it sends (a flow
#: receiver's URL, with whatever its query holds)
QUIET = ("httpx", "httpcore")


def configure(level: str | int = "info") -> None:
    """Every logger (uvicorn's too) to stderr as JSON lines, from ``level`` up (:data:`QUIET`
    ones from ``warning``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
