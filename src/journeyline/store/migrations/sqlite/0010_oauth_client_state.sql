-- depends: 0009_live_sessions
-- OAuth clients an admin manages (issue 10): a description, a state (`active`, or `disabled`:
-- it mints no token and its tokens are refused) and when it last changed; tokens found by their
-- client (to revoke them all) and by their expiry (to prune the expired ones).
ALTER TABLE oauth_clients ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE oauth_clients ADD COLUMN modified_ms INTEGER NOT NULL DEFAULT 0;
UPDATE oauth_clients SET modified_ms = created_ms;
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_ms);
