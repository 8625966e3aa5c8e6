-- Local accounts, their sessions, the API's signing keys and revocations (docs/security.md).

CREATE TABLE users (
    name                text PRIMARY KEY,
    role                text NOT NULL CHECK (role IN ('admin', 'user', 'viewer', 'auditor')),
    -- Argon2id in the PHC string format ($argon2id$v=19$m=..,t=..,p=..$salt$hash), parameters included, so that
    -- a login can tell a hash made with older parameters and rehash it.
    password_hash       text NOT NULL,
    disabled_at         timestamptz,
    -- Every access token carries the epoch it was issued in; a password change, a reset, a disable or an admin's
    -- "revoke all sessions" raises it, and tokens of an older epoch are refused (exact, no clock comparison).
    session_epoch       integer NOT NULL DEFAULT 1,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text NOT NULL,
    -- What API replicas poll to refresh their cache of users' states (role, epoch, disabled).
    changed_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_changed ON users (changed_at);

-- Refresh tokens: opaque, stored as SHA-256, rotated at every use. One login starts a family; presenting a token
-- of the family that was already used revokes the whole family (a stolen token used by two parties).
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    family     uuid NOT NULL,
    user_name  text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_name) WHERE used_at IS NULL AND revoked_at IS NULL;

-- Revoked access-token ids (jti) and refresh families: every replica polls what was revoked since its last look.
-- Kept until the last access token that could carry the id expires.
CREATE TABLE revocations (
    id         text PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('token', 'family')),
    revoked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX revocations_recent ON revocations (revoked_at);

-- The API's JWT signing keys (EdDSA, Ed25519): the newest active key signs, every key not yet retired verifies.
-- The private key is sealed with fleet.secret.keys (SecretBox), never stored in plain text.
CREATE TABLE signing_keys (
    kid                text PRIMARY KEY,
    algorithm          text NOT NULL CHECK (algorithm = 'EdDSA'),
    public_key         bytea NOT NULL,
    private_key_sealed text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by         text NOT NULL,
    retired_at         timestamptz
);
