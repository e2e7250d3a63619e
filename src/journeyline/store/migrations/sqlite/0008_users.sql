-- depends: 0007_rule_events
-- People who sign in to the agent desktop: an account per directory user that has an email,
-- their sign-in sessions, and the server's own secrets. Configuration, not projections: a
-- rebuild keeps them.

CREATE TABLE accounts (
    user_id         TEXT PRIMARY KEY,        -- the directory user (kind 'user') it signs in as
    email           TEXT NOT NULL UNIQUE,    -- normalised (lower case)
    password_hash   TEXT,                    -- argon2id (PHC string); NULL: cannot sign in
    role            TEXT NOT NULL,           -- agent | supervisor | admin
    created_ms      INTEGER NOT NULL,
    modified_ms     INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,  -- failed sign-ins in a row
    locked_until_ms INTEGER                  -- no sign-in before this; NULL: not locked
);

CREATE TABLE desktop_sessions (
    token_hash   TEXT PRIMARY KEY,           -- SHA-256 of the session cookie (never the token)
    user_id      TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,              -- the synchronizer token of the session's forms
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,           -- sliding: last_seen_ms + the session lifetime
    last_seen_ms INTEGER NOT NULL
);
CREATE INDEX desktop_sessions_user ON desktop_sessions (user_id);
CREATE INDEX desktop_sessions_expiry ON desktop_sessions (expires_ms);

CREATE TABLE server_secrets (                -- e.g. the key that signs the sign-in form's token
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
