-- The audit trail (docs/audit.md). Every row change of a control-plane table writes an audit_outbox row in its own
-- transaction, by a trigger, whoever made it: pgAnalytics declares its actor for the transaction (set_config of
-- pga.audit.actor, ControlDatabase), a change by direct SQL declares none and is recorded out of band with the
-- database role that made it. Debezium streams audit_outbox from the write-ahead log to pga.audit.events; the stream
-- processors chain it (pga.audit.log) and the audit role stores the chain in audit_log.

CREATE TABLE audit_outbox (
    id            bigserial PRIMARY KEY,
    -- The 32-bit xid, as Debezium reports a change's transaction (source.txId).
    tx_id         bigint NOT NULL DEFAULT (txid_current() % 4294967296),
    occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor         text NOT NULL,
    role          text,
    auth_method   text,
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text,
    before        jsonb,
    after         jsonb,
    client_ip     text,
    user_agent    text,
    request_id    text,
    out_of_band   boolean NOT NULL,
    -- From the server, whatever the declared actor says.
    database_role text NOT NULL DEFAULT current_user
);

-- One outbox row per changed row. A constraint trigger deferred to the commit sees the actor pgAnalytics declared
-- anywhere in the transaction (an operation may change rows before it knows every detail). TG_ARGV[0] is the column
-- naming the row, the others are secrets: the entry shows a fingerprint (8 hex digits of an MD5 of the stored value,
-- itself a hash or a ciphertext), so that an auditor sees that a secret changed and never what to.
CREATE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    declared jsonb := nullif(current_setting('pga.audit.actor', true), '')::jsonb;
    old_row  jsonb;
    new_row  jsonb;
    secret   text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD) - 'search_text';
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW) - 'search_text';
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        secret := TG_ARGV[i];
        IF old_row IS NOT NULL AND old_row ->> secret IS NOT NULL THEN
            old_row := jsonb_set(old_row, ARRAY[secret], to_jsonb('[redacted ' || left(md5(old_row ->> secret), 8) || ']'));
        END IF;
        IF new_row IS NOT NULL AND new_row ->> secret IS NOT NULL THEN
            new_row := jsonb_set(new_row, ARRAY[secret], to_jsonb('[redacted ' || left(md5(new_row ->> secret), 8) || ']'));
        END IF;
    END LOOP;
    INSERT INTO audit_outbox (actor, role, auth_method, action, resource_type, resource_id, before, after, client_ip,
                              user_agent, request_id, out_of_band)
    VALUES (coalesce(declared ->> 'actor', current_user), declared ->> 'role', declared ->> 'authMethod',
            coalesce(declared ->> 'action', TG_TABLE_NAME || '.' || lower(TG_OP)), TG_TABLE_NAME,
            coalesce(new_row, old_row) ->> TG_ARGV[0], old_row, new_row, declared ->> 'clientIp',
            declared ->> 'userAgent', declared ->> 'requestId', declared IS NULL);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON collector_groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('name');
-- Heartbeats move live_status and last_heartbeat_at: the liveness of a collector, not a change anybody made.
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR DELETE ON collectors
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'token_hash');
CREATE CONSTRAINT TRIGGER audit_change_update AFTER UPDATE OF id, name, hostname, version, group_name, tags, labels,
    lifecycle, desired_state, desired_log_level, desired_family_interval_millis, registered_at, archived_at, token_hash
    ON collectors DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'token_hash');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON registration_secrets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'secret_hash');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON targets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id', 'encrypted_password');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON commands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON alert_rules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION audit_row_change('name', 'password_hash', 'totp_secret_sealed', 'totp_pending_sealed');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON refresh_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('family', 'token_hash');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON revocations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('id');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('kid', 'private_key_sealed');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON login_failures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('account');
CREATE CONSTRAINT TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON backup_codes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row_change('user_name', 'code_hash');

-- The chain as the audit role stores it from pga.audit.log. event is the exact canonical JSON that was hashed; the
-- columns that filter it are generated from it, so they cannot be edited apart from what the hash covers.
CREATE TABLE audit_log (
    seq           bigint PRIMARY KEY CHECK (seq > 0),
    prev_hash     text NOT NULL,
    hash          text NOT NULL,
    event         text NOT NULL,
    outbox_id     bigint GENERATED ALWAYS AS ((event::jsonb ->> 'outboxId')::bigint) STORED,
    occurred_at_micros bigint GENERATED ALWAYS AS ((event::jsonb ->> 'occurredAtMicros')::bigint) STORED,
    actor         text GENERATED ALWAYS AS (event::jsonb ->> 'actor') STORED,
    action        text GENERATED ALWAYS AS (event::jsonb ->> 'action') STORED,
    resource_type text GENERATED ALWAYS AS (event::jsonb ->> 'resourceType') STORED,
    resource_id   text GENERATED ALWAYS AS (event::jsonb ->> 'resourceId') STORED,
    out_of_band   boolean GENERATED ALWAYS AS ((event::jsonb ->> 'outOfBand')::boolean) STORED
);
CREATE INDEX audit_log_time ON audit_log (occurred_at_micros, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, seq);

-- Signed checkpoints of the chain, also written to the object store next to the backups (the copy that counts).
CREATE TABLE audit_checkpoints (
    size               bigint PRIMARY KEY,
    head_hash          text NOT NULL,
    at                 timestamptz NOT NULL,
    previous_signature text NOT NULL,
    key_id             text NOT NULL,
    signature          text NOT NULL
);

-- Append-only, for everyone: the owner and a superuser too, until they disable the triggers (which the chain and the
-- signed checkpoints then catch). The privileges say the same to every other role.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit_outbox FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit_outbox FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_outbox, audit_log, audit_checkpoints FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_outbox, audit_log, audit_checkpoints FROM CURRENT_USER;
