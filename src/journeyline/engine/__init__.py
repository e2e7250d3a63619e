"""The unit of work: stores accepted input in the log, applies it, and says what changed.

May import ``model/``, ``core/``, ``ingest/`` (to decode what the log holds), ``store/`` and the
package root's ``clock``, ``ids`` and ``config``; never ``api/``, ``ui/`` or ``demo/``.

- ``unit``: :class:`~journeyline.engine.unit.Engine`, one transaction per batch;
  ``inputs``: what goes in and out of a unit of work; ``replay``: ``rebuild``.
- ``conversations``, ``web``, ``identity``: the conversation, web-session and identity parts
  of a unit of work; ``queries``: what the API asks of identity; ``erasure``: the right to
  erasure (a person's rows found, tombstoned, deleted).
- ``effects``: the effect sink, in-transaction and post-commit subscribers, the dispatcher.
- ``writer``: the single writer thread with group commit.
- ``batch``: feeding inputs to the engine outside HTTP (``journeyline import``, the demo).
"""
