-- depends: 0004_effects
-- Flows: registered webhooks, their signing secrets (apart, so that no read of a flow carries
-- one), and the outbox of their deliveries. None of these is a projection: a rebuild keeps them.

CREATE TABLE flows (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    description TEXT,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);

CREATE TABLE flow_secrets (
    flow_id    TEXT PRIMARY KEY REFERENCES flows (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,            -- whsec_<base64>: needed as it is to sign
    created_ms INTEGER NOT NULL
);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,    -- the webhook-id: the same on every try
    flow_id         TEXT NOT NULL,       -- no foreign key: a deleted flow's deliveries go dead
    body            BLOB NOT NULL,       -- the JSON posted
    created_ms      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    last_status     INTEGER,
    last_error      TEXT,
    last_attempt_ms INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX outbox_dead ON outbox (last_attempt_ms DESC, id) WHERE state = 'dead';
