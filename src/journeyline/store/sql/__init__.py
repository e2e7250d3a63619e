"""The SQL both relational backends share: one mixin per piece of the store interface
(``store/protocol.py``), written in the SQL that SQLite and PostgreSQL both speak, on a
connection (``query.Db``) that each backend provides.

    query.py          the connection protocol and the helpers of every query
    log.py            event_log
    conversations.py  conversation sessions and events, the session listing
    web.py            web and app sessions and their events
    people.py         contacts, identifiers, audits, session links
    projections.py    clear and snapshot the projections
    effects.py        the effect log, partition positions, deadlines
    definitions.py    segments, outcomes, action maps, templates and their decisions
    flows.py          flows, their secrets, the outbox of their deliveries
    accounts.py       desktop accounts, their sign-in sessions, the server's secrets
    directory.py  deployments.py  auth.py

Placeholders are ``?``; the PostgreSQL connection turns them into its own. What the two
dialects say differently is a class attribute of the backend's connection (``Dialect``).
"""
