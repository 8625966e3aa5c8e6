-- The control plane's own tables: the source of truth of the fleet. The Kafka topics pga.fleet.targets,
-- pga.fleet.config, pga.fleet.control and pga.alert-rules are their projection (see projection_outbox).

CREATE TABLE collector_groups (
    name        text PRIMARY KEY,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE collectors (
    id                text PRIMARY KEY,
    name              text NOT NULL,
    hostname          text,
    version           text,
    group_name        text REFERENCES collector_groups (name),
    tags              text[] NOT NULL DEFAULT '{}',
    labels            jsonb NOT NULL DEFAULT '{}',
    lifecycle         text NOT NULL DEFAULT 'active' CHECK (lifecycle IN ('active', 'archived')),
    desired_state     text NOT NULL DEFAULT 'running' CHECK (desired_state IN ('running', 'stopped')),
    desired_log_level text,
    desired_family_interval_millis jsonb NOT NULL DEFAULT '{}',
    live_status       text NOT NULL DEFAULT 'unknown',
    last_heartbeat_at timestamptz,
    registered_at     timestamptz NOT NULL DEFAULT now(),
    archived_at       timestamptz,
    token_hash        bytea UNIQUE,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Pages of the collector list: by name (the default sort), filtered by the usual columns.
CREATE INDEX collectors_page ON collectors (lifecycle, lower(name), id);
CREATE INDEX collectors_status ON collectors (lifecycle, live_status, lower(name), id);
CREATE INDEX collectors_group ON collectors (lifecycle, group_name, lower(name), id);
CREATE INDEX collectors_tags ON collectors USING gin (tags);

CREATE TABLE registration_secrets (
    id          text PRIMARY KEY,
    secret_hash bytea NOT NULL UNIQUE,
    description text,
    group_name  text REFERENCES collector_groups (name),
    expires_at  timestamptz NOT NULL,
    max_uses    integer NOT NULL CHECK (max_uses > 0),
    uses        integer NOT NULL DEFAULT 0,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);

CREATE TABLE targets (
    id                     text PRIMARY KEY,
    url                    text NOT NULL,
    username               text,
    -- SecretBox v2, bound to 'target:' || id: a ciphertext copied to another row does not decrypt.
    encrypted_password     text,
    preset                 text,
    family_interval_millis jsonb NOT NULL DEFAULT '{}',
    databases              text[] NOT NULL DEFAULT '{}',
    enabled                boolean NOT NULL DEFAULT true,
    group_name             text REFERENCES collector_groups (name),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX targets_group ON targets (group_name, id);

CREATE TABLE commands (
    id              uuid PRIMARY KEY,
    collector_id    text NOT NULL,
    command         text NOT NULL,
    issued_by       text NOT NULL,
    issued_at       timestamptz NOT NULL,
    timeout_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acknowledged', 'failed')),
    outcome         text,
    reason          text,
    acknowledged_at timestamptz,
    published_at    timestamptz
);
CREATE INDEX commands_collector ON commands (collector_id, issued_at DESC);

CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    fingerprint  bytea NOT NULL,
    status       integer NOT NULL,
    content_type text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE TABLE alert_rules (
    id               text PRIMARY KEY,
    family           text NOT NULL,
    field            text NOT NULL,
    kind             text NOT NULL,
    operator         text NOT NULL,
    threshold        double precision NOT NULL,
    duration_seconds bigint NOT NULL DEFAULT 0,
    window_samples   integer NOT NULL DEFAULT 30,
    collector_id     text,
    target_id        text,
    description      text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- What to (re)publish to Kafka: written in the transaction of the change, drained by one publisher at a time,
-- which publishes the entity's state at that moment (so the topic converges on the table, in order).
CREATE TABLE projection_outbox (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('target', 'collector', 'alert-rule', 'command')),
    entity_id  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
