package io.pganalytics.fleet.admin;

import static io.pganalytics.fleet.admin.ControlDatabase.one;
import static io.pganalytics.fleet.admin.ControlDatabase.query;

import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.AuditEntry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/** {@link AuditTrail} over {@code audit_log} and {@code audit_checkpoints} (V9). */
final class DatabaseAuditTrail implements AuditTrail {

    /** Entries read per round trip while walking the chain. */
    private static final int CHAIN_BATCH = 5_000;
    private static final String ENTRY_COLUMNS = "seq, prev_hash, hash, event, occurred_at_micros, actor, action, resource_type,"
            + " resource_id, out_of_band";

    private final ControlDatabase db;
    private final boolean ownsDatabase;

    DatabaseAuditTrail(ControlDatabase db, boolean ownsDatabase) {
        this.db = db;
        this.ownsDatabase = ownsDatabase;
    }

    @Override
    public Page entries(Query q) {
        StringBuilder where = new StringBuilder();
        List<Object> params = new ArrayList<>();
        filters(q, where, params);
        if (q.before() != null) {
            where.append(" AND seq < ?");
            params.add(q.before());
        }
        params.add(q.limit() + 1);
        List<Entry> rows = db.read(c -> query(c, "SELECT " + ENTRY_COLUMNS + " FROM audit_log WHERE " + where
                + " ORDER BY seq DESC LIMIT ?", DatabaseAuditTrail::entry, params.toArray()));
        if (rows.size() > q.limit()) {
            List<Entry> page = rows.subList(0, q.limit());
            return new Page(List.copyOf(page), page.get(page.size() - 1).seq());
        }
        return new Page(rows, null);
    }

    @Override
    public void forEach(Query q, java.util.function.Consumer<Entry> each) {
        long after = 0;
        while (true) {
            StringBuilder where = new StringBuilder();
            List<Object> params = new ArrayList<>();
            filters(q, where, params);
            where.append(" AND seq > ?");
            params.add(after);
            params.add(CHAIN_BATCH);
            List<Entry> batch = db.read(c -> query(c, "SELECT " + ENTRY_COLUMNS + " FROM audit_log WHERE " + where
                    + " ORDER BY seq LIMIT ?", DatabaseAuditTrail::entry, params.toArray()));
            batch.forEach(each);
            if (batch.size() < CHAIN_BATCH) {
                return;
            }
            after = batch.get(batch.size() - 1).seq();
        }
    }

    @Override
    public void record(Actor actor, String action, String resourceType, String resourceId, String details) {
        db.inTransaction(actor, action, c -> ControlDatabase.update(c, "INSERT INTO audit_outbox (actor, role, auth_method, action,"
                + " resource_type, resource_id, after, client_ip, user_agent, request_id, out_of_band) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb,"
                + " ?, ?, ?, false)", actor.name(), actor.role(), actor.method(), action, resourceType, resourceId, details,
                actor.from(), actor.userAgent(), actor.requestId()));
    }

    /** The WHERE clause of {@code q}'s filters (without its cursor), always starting with TRUE. */
    private static void filters(Query q, StringBuilder where, List<Object> params) {
        where.append("TRUE");
        filter(where, params, "actor", q.actor());
        filter(where, params, "action", q.action());
        filter(where, params, "resource_type", q.resourceType());
        filter(where, params, "resource_id", q.resourceId());
        if (q.subject() != null) {
            // Their own acts, their user row, and rows keyed by them (second factors, lockouts, sessions).
            where.append(" AND (actor = ? OR (resource_type IN ('users', 'login_failures', 'backup_codes') AND resource_id = ?)"
                    + " OR event::jsonb -> 'after' ->> 'user_name' = ? OR event::jsonb -> 'before' ->> 'user_name' = ?)");
            params.addAll(List.of(q.subject(), q.subject(), q.subject(), q.subject()));
        }
        if (q.report() != null) {
            where.append(" AND ").append(switch (q.report()) {
                case PRIVILEGED_ACTIONS -> "(out_of_band OR resource_type IN ('users', 'signing_keys', 'registration_secrets')"
                        + " OR action IN ('secrets.reseal', 'user.unlock', 'mfa.reset'))";
                case CREDENTIAL_ACCESS -> "(resource_type IN ('registration_secrets', 'signing_keys', 'refresh_tokens')"
                        + " OR action IN ('secrets.reseal', 'collector.re-register', 'user.reset-password', 'user.change-password')"
                        + " OR (resource_type = 'targets' AND event::jsonb -> 'before' ->> 'encrypted_password'"
                        + " IS DISTINCT FROM event::jsonb -> 'after' ->> 'encrypted_password'))";
                case FAILED_LOGINS -> "action = 'login.failed'";
                case AUDIT_CONFIGURATION -> "(action LIKE 'audit.%' OR resource_type LIKE 'audit%')";
            });
        }
        if (q.from() != null) {
            where.append(" AND occurred_at_micros >= ?");
            params.add(AuditChain.micros(q.from()));
        }
        if (q.to() != null) {
            where.append(" AND occurred_at_micros < ?");
            params.add(AuditChain.micros(q.to()));
        }
    }

    @Override
    public Iterator<AuditChain.StoredEntry> chain() {
        return new Iterator<>() {
            private List<AuditChain.StoredEntry> batch = List.of();
            private int next;
            private long after;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next < batch.size()) {
                    return true;
                }
                if (done) {
                    return false;
                }
                // Keyset pages by seq: a chain of millions is walked in constant memory.
                batch = db.read(c -> query(c, "SELECT seq, prev_hash, hash, event FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                        rs -> new AuditChain.StoredEntry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)), after, CHAIN_BATCH));
                next = 0;
                done = batch.size() < CHAIN_BATCH;
                if (!batch.isEmpty()) {
                    after = batch.get(batch.size() - 1).seq();
                }
                return !batch.isEmpty();
            }

            @Override
            public AuditChain.StoredEntry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.get(next++);
            }
        };
    }

    @Override
    public List<AuditChain.SignedCheckpoint> checkpoints() {
        return db.read(c -> query(c, "SELECT size, head_hash, at, previous_signature, key_id, signature FROM audit_checkpoints ORDER BY size",
                rs -> new AuditChain.SignedCheckpoint(new AuditChain.Checkpoint(rs.getLong(1), rs.getString(2),
                        ControlDatabase.instant(rs, "at"), rs.getString(4)), rs.getString(5), rs.getString(6))));
    }

    @Override
    public Optional<Head> head() {
        return db.read(c -> one(c, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", rs -> new Head(rs.getLong(1), rs.getString(2))));
    }

    @Override
    public int append(List<AuditEntry> entries) {
        if (entries.isEmpty()) {
            return 0;
        }
        return db.inTransaction(Actor.SYSTEM, "audit.append", c -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO audit_log (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (seq) DO NOTHING")) {
                for (AuditEntry entry : entries) {
                    insert.setLong(1, entry.getSeq());
                    insert.setString(2, entry.getPrevHash());
                    insert.setString(3, entry.getHash());
                    insert.setString(4, entry.getEvent());
                    insert.addBatch();
                }
                int added = 0;
                for (int n : insert.executeBatch()) {
                    added += Math.max(0, n);
                }
                return added;
            }
        });
    }

    @Override
    public void storeCheckpoint(AuditChain.SignedCheckpoint signed) {
        AuditChain.Checkpoint checkpoint = signed.checkpoint();
        db.inTransaction(Actor.SYSTEM, "audit.checkpoint", c -> ControlDatabase.update(c, "INSERT INTO audit_checkpoints"
                + " (size, head_hash, at, previous_signature, key_id, signature) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
                checkpoint.size(), checkpoint.headHash(), checkpoint.at(), checkpoint.previousSignature(), signed.keyId(), signed.signature()));
    }

    @Override
    public void close() {
        if (ownsDatabase) {
            db.close();
        }
    }

    private static void filter(StringBuilder where, List<Object> params, String column, String value) {
        if (value != null && !value.isBlank()) {
            where.append(" AND ").append(column).append(" = ?");
            params.add(value);
        }
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(rs.getLong("seq"), rs.getString("prev_hash"), rs.getString("hash"), rs.getString("event"),
                AuditChain.ofMicros(rs.getLong("occurred_at_micros")),
                rs.getString("actor"), rs.getString("action"), rs.getString("resource_type"), rs.getString("resource_id"),
                rs.getBoolean("out_of_band"));
    }
}
