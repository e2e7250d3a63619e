-- depends: 0001_initial
-- Identity abuse (docs/web.md, "Contacts and identity"): who vouched for each identifier, and
-- for a website's claim which visitor claimed it through which deployment; the identify
-- secrets deployments check signed traits with (apart, so that no read of a deployment
-- carries one; HMAC needs the secret itself, so it is kept as it is, as flow secrets are).

ALTER TABLE identifiers ADD COLUMN source TEXT;        -- webClaim | webCookie | contactCentre | agentVerified
ALTER TABLE identifiers ADD COLUMN claimed_by TEXT;    -- a website claim: the visitor's cookie
ALTER TABLE identifiers ADD COLUMN deployment_id TEXT; -- a website claim: its deployment
UPDATE identifiers SET source = 'webCookie' WHERE type = 'Cookie';
UPDATE identifiers SET source = 'webClaim' WHERE verified = 0 AND source IS NULL;

CREATE TABLE deployment_secrets (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    secret        TEXT NOT NULL,         -- jlid_<base64>: needed as it is to check an HMAC
    created_ms    BIGINT NOT NULL
);
