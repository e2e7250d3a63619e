-- depends: 0005_flows
-- Segments, outcomes, action maps and action templates (definitions), and what evaluating them
-- decided. All are projections: definitions are commands in the event log, so a replay makes
-- the same definitions at the same points and the same decisions from them.

CREATE TABLE definitions (
    kind         TEXT NOT NULL,          -- segment | outcome | actionmap | actiontemplate
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    is_active    INTEGER NOT NULL,
    created_ms   INTEGER NOT NULL,
    modified_ms  INTEGER NOT NULL,
    doc          BLOB NOT NULL,          -- the definition as the API shows it (Genesys JSON)
    PRIMARY KEY (kind, id)
);

CREATE TABLE criteria_progress (         -- where a definition's journey patterns are
    definition_id TEXT NOT NULL,
    scope         TEXT NOT NULL,         -- a session id, or a contact id (customer scope)
    state         BLOB NOT NULL,
    PRIMARY KEY (definition_id, scope)
);

CREATE TABLE segment_assignments (
    segment_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,          -- the session (session scope) or the contact
    session_id   TEXT NOT NULL,          -- the session it was assigned on
    contact_id   TEXT,
    assigned_ms  INTEGER NOT NULL,
    modified_ms  INTEGER NOT NULL,
    unassign_ms  INTEGER,                -- when it expires; NULL: never
    state        TEXT NOT NULL,          -- Assigned | Unassigned
    PRIMARY KEY (segment_id, scope)
);
CREATE INDEX segment_assignments_contact ON segment_assignments (contact_id);
CREATE INDEX segment_assignments_session ON segment_assignments (session_id);

CREATE TABLE outcome_achievements (
    outcome_id  TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    contact_id  TEXT,
    achieved_ms INTEGER NOT NULL,
    value       REAL,
    PRIMARY KEY (outcome_id, session_id)
);

CREATE TABLE journey_actions (
    id                 TEXT PRIMARY KEY,
    action_map_id      TEXT NOT NULL,
    action_map_version INTEGER NOT NULL,
    session_id         TEXT NOT NULL,
    contact_id         TEXT,
    media_type         TEXT NOT NULL,
    state              TEXT NOT NULL,    -- qualified, offered, accepted, ... or blocked
    created_ms         INTEGER NOT NULL,
    modified_ms        INTEGER NOT NULL,
    doc                BLOB NOT NULL     -- trigger, blocking reason, flow delivery id, ...
);
CREATE INDEX journey_actions_session ON journey_actions (session_id);
CREATE INDEX journey_actions_map ON journey_actions (action_map_id, session_id);
