"""Typed domain records: detail and web events, sessions, cards, contacts, directory entries,
commands and effects. Frozen dataclasses (``@record``: ``model/record.py``, the same dataclass
made faster); no I/O, no wire or storage concerns (see ``ingest/``
and ``store/``).

May import: the standard library, ``journeyline.model`` and msgspec (commands are tagged
msgspec records, decoded in one step) — nothing else (``tests/test_layout.py``).
"""
