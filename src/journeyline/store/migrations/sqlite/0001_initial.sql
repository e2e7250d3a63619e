-- The append-only event log (the truth) and the projections derived from it.

CREATE TABLE event_log (
    seq           INTEGER PRIMARY KEY,   -- arrival order; time-ordered, so inserts append
    key           TEXT NOT NULL UNIQUE,  -- idempotency key: SHA-256 of the canonical body
    kind          TEXT NOT NULL,         -- wire format, e.g. genesys.conversation.detail
    partition_key TEXT NOT NULL,         -- events of one key are applied in order (conversation id)
    received_ms   INTEGER NOT NULL,
    body          BLOB NOT NULL          -- canonical JSON of the accepted object
);
CREATE INDEX event_log_partition ON event_log (partition_key, seq);

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    type                TEXT NOT NULL,
    conversation_id     TEXT UNIQUE,
    customer_id         TEXT,
    customer_id_type    TEXT,
    external_contact_id TEXT,
    created_ms          INTEGER NOT NULL,
    ended_ms            INTEGER,
    doc                 BLOB NOT NULL      -- the domain record as JSON
);
CREATE INDEX sessions_contact ON sessions (external_contact_id, created_ms, id);
CREATE INDEX sessions_customer ON sessions (customer_id, created_ms, id);

CREATE TABLE session_events (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    event_name  TEXT NOT NULL,
    doc         BLOB NOT NULL
);
CREATE INDEX session_events_session ON session_events (session_id, created_ms, id);

CREATE TABLE directory (
    kind        TEXT NOT NULL,           -- queue | user | wrapupcode
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX directory_name ON directory (kind, name);

CREATE TABLE oauth_clients (
    client_id   TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,           -- SHA-256 of a 256-bit random secret
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE oauth_tokens (
    token_hash  TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL
);
