"""Name-based UUIDs (version 5), as text: ``str(uuid.uuid5(namespace, name))``, faster.

The engine makes several such ids per event (session ids, event ids, contact ids): the standard
library builds a ``uuid.UUID`` object (an integer, a range check, a version check) only to
format it. This hashes and formats directly; ``tests/core/test_uuids.py`` holds it to the
standard library's answer.
"""

from __future__ import annotations

import hashlib
import uuid


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``."""
    raw = namespace.bytes + name.encode()
    digest = bytearray(hashlib.sha1(raw, usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
