-- Rate-limit buckets shared by every API replica (Bucket4j's PostgreSQL proxy manager, SELECT ... FOR UPDATE),
-- so that adding a replica does not multiply a limit. expires_at: epoch milliseconds after which a bucket is full
-- again and its row can go.
CREATE TABLE rate_limit_buckets (
    id         text PRIMARY KEY,
    state      bytea,
    expires_at bigint
);
CREATE INDEX rate_limit_buckets_expiry ON rate_limit_buckets (expires_at);

-- Consecutive failed logins per account name (known or not, so that a lockout tells nothing about which names
-- exist). Every fifth failure locks the name, for twice as long each time; a success or an admin's unlock clears it.
CREATE TABLE login_failures (
    account         text PRIMARY KEY,
    failures        integer NOT NULL,
    locked_until    timestamptz,
    last_failure_at timestamptz NOT NULL
);
