"""Pure rules: the conversation state machine, sessionization, cards, identity decisions.

No I/O, no clock reads (time is passed in): the same code serves live processing, replay and
benchmarks, and is tested with tables of cases. See README.md beside this file.

May import: the standard library, ``journeyline.model`` (the exception hierarchy included:
``model.errors``) and ``journeyline.core`` — nothing else (``tests/test_layout.py``).
"""
