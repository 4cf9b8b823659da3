-- Access that ends when it should: an organiser may disable an account (its logins, sessions
-- and API keys stop working) and give API keys a label to tell them apart when revoking one.
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
ALTER TABLE api_keys ADD COLUMN label TEXT;

-- Sessions are purged when expired and ended by whom they belong to (an account disabled, an
-- enrollment cancelled, a meeting's guest code disabled).
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_enrollment ON sessions (enrollment_id);
CREATE INDEX sessions_guest ON sessions (guest_id);

-- Written only inside a transaction that is rolled back: `/readyz` checks that a write fits
-- again after the storage was found full.
CREATE TABLE storage_probe (
    filler TEXT NOT NULL
);
