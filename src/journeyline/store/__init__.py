"""Storage: one small interface (``base.Store``), backends chosen by URL scheme."""

from journeyline.store.base import Store, open_store

__all__ = ["Store", "open_store"]
