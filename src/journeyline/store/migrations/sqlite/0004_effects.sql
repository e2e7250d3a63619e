-- depends: 0003_log_units
-- Effects: what each unit of work changed, for subscribers that resume by cursor; the
-- partitions' positions; and the deadlines at which time alone changes a session's card.

CREATE TABLE effect_log (
    seq       INTEGER PRIMARY KEY,       -- commit order across partitions (this store's)
    partition INTEGER NOT NULL,          -- 0 .. PARTITIONS-1, a stable hash of the customer key
    position  INTEGER NOT NULL,          -- 1, 2, ... within the partition
    unit      INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    name      TEXT NOT NULL,             -- the effect's stable name, e.g. session.changed
    body      BLOB NOT NULL,             -- the effect record as JSON
    UNIQUE (partition, position)
);
CREATE INDEX effect_log_at ON effect_log (at_ms);

CREATE TABLE partitions (
    partition INTEGER PRIMARY KEY,
    position  INTEGER NOT NULL,          -- the last effect position given out
    units     INTEGER NOT NULL           -- units of work that touched it: another writer's show
);

CREATE TABLE deadlines (                 -- a projection: replay rebuilds it
    session_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,            -- conversation | web | app
    due_ms     INTEGER NOT NULL
);
CREATE INDEX deadlines_due ON deadlines (due_ms);
