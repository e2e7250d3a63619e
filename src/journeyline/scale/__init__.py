"""Scale-out: API nodes and workers around one PostgreSQL store and a NATS JetStream stream.

``journeyline serve --role api`` validates input as ever, then appends each accepted event to
the stream (``stream.py``) and answers once JetStream has stored it. ``--role worker`` owns a
share of the stream's partitions (``ownership.py``: PostgreSQL advisory locks, which die with
the worker's connection, so a killed worker's partitions move on their own) and applies their
messages in order through the same engine, acknowledging each only after its unit committed
(``worker.py``). API nodes read what workers committed from the store's effect log
(``tail.py``), so the live feed of any node sees every change. ``--role all`` (the default)
is the single process of before, with no NATS at all.

May import: ``journeyline.model``, ``core``, ``ingest``, ``store``, ``engine``, ``clock``,
``config``, ``ids`` and ``scale``; third-party packages (nats-py, psycopg); never ``api``.
"""
