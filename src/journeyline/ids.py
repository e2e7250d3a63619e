"""Ids as a seam: new ids are time-ordered UUIDs (v7), so inserts append to the B-trees."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
