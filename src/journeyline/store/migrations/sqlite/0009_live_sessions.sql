-- depends: 0007_rule_events
-- What may be live now (the desktop's Now view): open or recently ended conversations, and
-- web sessions with a recent event.
CREATE INDEX sessions_ended ON sessions (ended_ms);
CREATE INDEX sessions_last_event ON sessions (last_event_ms);
