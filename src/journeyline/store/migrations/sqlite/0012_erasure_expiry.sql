-- depends: 0009_live_sessions
-- When each contact expires (core.identity.expiry_ms: 60 days after its last activity; never
-- for curated contacts and merged heads), so that the clock's tick can remove the expired ones
-- and listings can leave them out.

ALTER TABLE contacts ADD COLUMN expires_ms INTEGER;
UPDATE contacts SET expires_ms = last_activity_ms + 5184000000
 WHERE type <> 'Curated'
   AND coalesce(json_array_length(CAST(doc AS TEXT), '$.merged_from'), 0) = 0;
CREATE INDEX contacts_expiry ON contacts (expires_ms) WHERE expires_ms IS NOT NULL;
