"""Reading a request body within a limit, refused before it is read when it says it is larger,
and refused when a JSON string in it holds a NUL (``ingest/nul.py``)."""

from __future__ import annotations

from starlette.requests import Request

from journeyline.ingest.nul import refuse_nul
from journeyline.model.errors import PayloadTooLarge


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes before reading them all, and a
    NUL character in it (``\\u0000``: InvalidInput)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return refuse_nul(b"".join(chunks))
