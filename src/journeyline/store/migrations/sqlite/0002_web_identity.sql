-- depends: 0001_initial
-- Web and app sessions, deployments, external contacts and identity.

ALTER TABLE session_events ADD COLUMN event_type TEXT NOT NULL DEFAULT 'ConversationEvent';
ALTER TABLE sessions ADD COLUMN contact_verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sessions ADD COLUMN last_event_ms INTEGER;
CREATE INDEX sessions_recent ON sessions (created_ms, id);

CREATE TABLE deployments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    write_key   TEXT NOT NULL UNIQUE,    -- the Segment-spec collector's write key
    doc         BLOB NOT NULL,           -- allowedDomains, allowAllDomains, ipCollection, ...
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,      -- Ephemeral | Identified | Curated
    canonical_id     TEXT,               -- the head of the merge set this contact belongs to
    doc              BLOB NOT NULL,      -- names, emails, phones, ...
    created_ms       INTEGER NOT NULL,
    modified_ms      INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL,
    merged_from      TEXT                -- JSON list: the contacts a canonical contact was made of
);
CREATE INDEX contacts_canonical ON contacts (canonical_id);

CREATE TABLE identifiers (
    type        TEXT NOT NULL,           -- Cookie | Email | Phone | ExternalId
    value       TEXT NOT NULL,           -- normalised: E.164 phones, lower-case emails
    contact_id  TEXT NOT NULL,
    verified    INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (type, value)
);
CREATE INDEX identifiers_contact ON identifiers (contact_id);

CREATE TABLE audits (
    seq         INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT NOT NULL,           -- the OAuth client that acted
    action      TEXT NOT NULL,           -- verify | merge | unmerge | claim | release | ...
    contact_id  TEXT,
    doc         BLOB NOT NULL
);
CREATE INDEX audits_contact ON audits (contact_id, seq);
