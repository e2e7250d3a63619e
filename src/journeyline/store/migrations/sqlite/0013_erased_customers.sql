-- depends: 0012_erasure_expiry
-- The visitors' cookies and the conversations an erasure removed, as SHA-256 digests (never
-- the ids themselves), each until when a new event of theirs is refused (engine.erasure). Not
-- a projection: live state, kept like the log, which a rebuild leaves as it is.

CREATE TABLE erased_customers (
    digest    TEXT PRIMARY KEY,
    until_ms  INTEGER NOT NULL
);
CREATE INDEX erased_customers_until ON erased_customers (until_ms);
