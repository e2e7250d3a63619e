"""The Segment-spec messages the collector takes (``api.segment``), as the contract states them.

``ingest.segment`` reads a message as a plain JSON object, field by field, with a message of
its own for each fault; these Structs only describe what it takes, for the OpenAPI document:
types and bounds by ``documented``, the rules across fields (an id to file the message under,
an ``alias``'s two ids) by ``__json_schema__`` (``api.contract.SCHEMA_EXTRA``). Fields they do
not name are accepted, as Segment does. What no schema says — an ``identify``'s email and
phone traits are validated, a ``screen`` needs a page URL, a message's time is at most an hour
old — is in docs/web.md and in the operations' descriptions.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from journeyline.api.contract import documented
from journeyline.ingest.genesys_web import MAX_ATTRIBUTES, PAGE_URL
from journeyline.ingest.segment import MAX_ID, MAX_MESSAGE_ID, MAX_NAME

#: An id: a string of at most 255 characters or a number; ``""`` and ``null`` are no id.
SegmentId = Annotated[str, documented(maxLength=MAX_ID)] | int | float | None
#: Properties or traits: typed attributes, nulls dropped (``ingest.segment.typed``).
Attributes = Annotated[
    dict[Annotated[str, documented(maxLength=MAX_NAME)], Any],
    documented(maxProperties=MAX_ATTRIBUTES),
]
#: ``timestamp``, ``originalTimestamp``, ``receivedAt``: RFC 3339, at most an hour old.
Moment = Annotated[str, documented(format="date-time")]


def _an_id(name: str) -> dict[str, Any]:
    """JSON Schema: ``name`` is there and is an id (not ``""`` or ``null``)."""
    return {"required": [name], "properties": {name: {"not": {"enum": ["", None]}}}}


#: An id to file the message under (``ingest.segment.to_web_request``).
SOME_ID = {"anyOf": [_an_id("anonymousId"), _an_id("userId")]}


class SegmentMessage(msgspec.Struct, rename="camel"):
    """What every call takes: ``anonymousId`` or ``userId`` names the visitor."""

    __json_schema__: ClassVar[dict[str, Any]] = SOME_ID

    anonymous_id: SegmentId = None
    user_id: SegmentId = None
    message_id: Annotated[str, documented(minLength=1, maxLength=MAX_MESSAGE_ID)] | None = None
    timestamp: Moment | None = None
    original_timestamp: Moment | None = None
    received_at: Moment | None = None
    context: dict[str, Any] | None = None


class SegmentTrack(SegmentMessage, kw_only=True):
    """``track``: ``event`` (in snake case, the web event's name) holds a letter or digit."""

    event: Annotated[str, documented(pattern="[A-Za-z0-9]", maxLength=MAX_NAME)]
    properties: Attributes | None = None


#: ``properties.url``, when it is a string that is not blank, is the page's URL.
PROPERTIES_URL = {
    "properties": {
        "properties": {
            "properties": {
                "url": {
                    "anyOf": [
                        {"not": {"type": "string"}},
                        {"pattern": r"^\s*$"},
                        {"pattern": PAGE_URL},
                    ]
                }
            }
        }
    }
}


def _url_in(*path: str) -> dict[str, Any]:
    """JSON Schema: the object at ``path`` has a page URL."""
    found: dict[str, Any] = {
        "required": ["url"],
        "properties": {"url": {"type": "string", "pattern": PAGE_URL}},
    }
    for part in reversed(path):
        found = {"required": [part], "properties": {part: {"type": "object", **found}}}
    return found


class SegmentPage(SegmentMessage, kw_only=True):
    """``page``: the page from ``properties.url`` or ``context.page``."""

    __json_schema__: ClassVar[dict[str, Any]] = {"allOf": [SOME_ID, PROPERTIES_URL]}

    name: str | None = None
    category: str | None = None
    properties: Attributes | None = None


class SegmentScreen(SegmentPage, kw_only=True):
    """``screen``: as ``page``, and a page URL (app screens are not collected this way)."""

    __json_schema__: ClassVar[dict[str, Any]] = {
        "allOf": [
            SOME_ID,
            PROPERTIES_URL,
            {"anyOf": [_url_in("properties"), _url_in("context", "page")]},
        ]
    }


class SegmentIdentify(SegmentMessage, kw_only=True):
    """``identify``: ``traits`` as typed traits (emails and phones among them validated)."""

    traits: Attributes | None = None


class SegmentAlias(SegmentMessage, kw_only=True):
    """``alias``: ``previousId`` and ``userId`` both."""

    __json_schema__: ClassVar[dict[str, Any]] = {"allOf": [_an_id("previousId"), _an_id("userId")]}

    previous_id: SegmentId = None


class BatchTrack(SegmentTrack, tag_field="type", tag="track"):
    pass


class BatchPage(SegmentPage, tag_field="type", tag="page"):
    pass


class BatchScreen(SegmentScreen, tag_field="type", tag="screen"):
    pass


class BatchIdentify(SegmentIdentify, tag_field="type", tag="identify"):
    pass


class BatchAlias(SegmentAlias, tag_field="type", tag="alias"):
    pass


#: The body of each single call, by the call the route names.
CALL_BODIES: dict[str, type[SegmentMessage]] = {
    "track": SegmentTrack,
    "page": SegmentPage,
    "screen": SegmentScreen,
    "identify": SegmentIdentify,
    "alias": SegmentAlias,
}


class SegmentBatch(msgspec.Struct, rename="camel"):
    """A Segment ``batch`` call: its messages (each with its ``type``), and what they share."""

    batch: Annotated[
        list[BatchTrack | BatchPage | BatchScreen | BatchIdentify | BatchAlias],
        documented(minItems=1),
    ]
    context: dict[str, Any] | None = None
    sent_at: str | None = None
    write_key: str | None = None
