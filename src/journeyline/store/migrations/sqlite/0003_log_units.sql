-- depends: 0002_web_identity
-- The unit of work each logged input was applied in: a replay applies the same units, so
-- it meets identity questions (who claimed an email first) exactly as live processing did.

ALTER TABLE event_log ADD COLUMN unit INTEGER NOT NULL DEFAULT 0;
