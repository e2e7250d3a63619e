"""Storage: one small interface (``base.Store``), backends chosen by URL scheme.

May import: the standard library, database drivers and migration tools, ``journeyline.model``,
``journeyline.core`` (record helpers) and ``journeyline.store``; never
``engine``, ``ingest`` or ``api`` (``tests/test_layout.py``).
"""

from journeyline.store.base import Store, open_store

__all__ = ["Store", "open_store"]
