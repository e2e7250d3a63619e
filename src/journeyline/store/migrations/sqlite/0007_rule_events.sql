-- depends: 0006_journey_rules
-- The journey events that evaluating definitions adds to a session's journey (segment
-- assignments, outcome achievements, web action events), apart from the session's own events so
-- that re-sessionizing or refolding a session never touches them. A projection: replay rebuilds it.

CREATE TABLE rule_events (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    event_type  TEXT NOT NULL,          -- SegmentAssignmentEvent | OutcomeAchievedEvent | WebActionEvent
    doc         BLOB NOT NULL           -- the Genesys payload, e.g. {"segmentAssignmentEvent": {...}}
);
CREATE INDEX rule_events_session ON rule_events (session_id, created_ms, id);

-- Assignments still to lapse, by when (the scheduler's next deadline looks here too).
CREATE INDEX segment_assignments_due ON segment_assignments (unassign_ms) WHERE state = 'Assigned';

-- Actions waiting for their contact's next session (activation on-next-session).
CREATE INDEX journey_actions_waiting ON journey_actions (contact_id) WHERE state = 'waiting';
