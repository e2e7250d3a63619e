"""Typed domain records. No I/O, no wire or storage concerns: see ``ingest/`` and ``store/``."""
