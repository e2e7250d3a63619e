"""JSON log lines, and the net that keeps emails, phone numbers and IP addresses out of them."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from journeyline.logs import JsonFormatter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no contact for ann.leak@example.com", "no contact for [email]"),
        ("GET /?e=ann.leak%40example.com HTTP/1.1", "GET /?e=[email] HTTP/1.1"),
        ("call +33 6 12 34 56 78 or +15551234567", "call [phone] or [phone]"),
        ("q=%2B33612345678", "q=[phone]"),
        ("from 203.0.113.9, 2001:db8::1 and [2001:db8::2]:443", "from [ip], [ip] and [[ip]]:443"),
        ("mapped ::ffff:203.0.113.9", "mapped [ip]"),
        # this machine's addresses, and what only looks like an address
        ("running on http://127.0.0.1:8000, [::1] and 0.0.0.0", None),
        ("at 10:30:00, version 1.2.3, 1795600000000 ms, id 3f2c-11aa-0001", None),
        ("999.1.1.1 and 1:2", None),
    ],
)
def test_redact(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("journeyline.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_is_one_json_object_with_the_extra_fields() -> None:
    line = JsonFormatter().format(record("%s took %d ms", "GET /x", 3, route="/x", status=200))
    doc = json.loads(line)
    assert "\n" not in line
    assert doc["time"].endswith("+00:00")
    assert {k: doc[k] for k in ("level", "logger", "message", "route", "status")} == {
        "level": "warning",
        "logger": "journeyline.test",
        "message": "GET /x took 3 ms",
        "route": "/x",
        "status": 200,
    }


def test_the_message_and_the_traceback_are_redacted() -> None:
    try:
        raise ValueError("no contact with email ann.leak@example.com from 203.0.113.9")
    except ValueError:
        failed = record("lookup of %s failed", "+33612345678")
        failed.exc_info = sys.exc_info()
    doc = json.loads(JsonFormatter().format(failed))
    assert doc["message"] == "lookup of [phone] failed"
    assert "ValueError: no contact with email [email] from [ip]" in doc["exception"]
    assert "example.com" not in doc["exception"]
