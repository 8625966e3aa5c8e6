-- TOTP second factor (RFC 6238) of local users. Secrets are sealed with fleet.secret.keys (SecretBox), never stored
-- in plain text; a pending secret waits for its first code before it counts.
ALTER TABLE users ADD COLUMN totp_secret_sealed text;
ALTER TABLE users ADD COLUMN totp_pending_sealed text;
-- The last time step a code was accepted for: a code is good once, on every replica.
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz;

-- One-time backup codes (ten, made when TOTP is confirmed), stored as SHA-256: they carry 50 random bits each, so a
-- fast hash is enough, unlike passwords.
CREATE TABLE backup_codes (
    user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_name, code_hash)
);
