package io.pganalytics.sink.s3.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.audit.AuditChain;
import java.io.IOException;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Point-in-time recovery of the control plane: the backed-up change streams ({@code pga.control.cdc.<table>}) replayed,
 * in commit order, into an empty control-plane database (migrated: its tables exist and hold nothing), every change
 * committed up to the instant and none after; the audit chain ({@code pga.audit.log}) restored and verified up to it.
 *
 * <p>Rows are written with {@code session_replication_role = replica}: no trigger fires (the audit triggers would
 * record the recovery itself as changes; foreign keys would refuse a child replayed before its parent within one
 * transaction's order), in one transaction, so a recovery that fails leaves the database empty.
 */
public final class ControlPlaneRestoreTarget implements RestoreTarget {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RestoreConfig config;
    private final Instant at;
    private final Checkpoints checkpoints;
    private final List<Change> changes = new ArrayList<>();
    private final Map<Long, AuditChain.StoredEntry> audit = new TreeMap<>();
    private final long started = System.nanoTime();
    private long received;
    private Instant coveredUntil = Instant.EPOCH;
    private Recovery recovery;

    /** @param checkpoints the bucket's audit checkpoints, or null to verify the chain's links only */
    ControlPlaneRestoreTarget(RestoreConfig config, Instant at, Checkpoints checkpoints) {
        this.config = config;
        this.at = at;
        this.checkpoints = checkpoints;
    }

    /** The audit checkpoints beside the backups ({@link AuditChain#CHECKPOINT_PREFIX} of the bucket) and the pinned key, if any. */
    public record Checkpoints(S3Client client, String bucket, PublicKey publicKey) {

        List<AuditChain.SignedCheckpoint> all() {
            List<AuditChain.SignedCheckpoint> out = new ArrayList<>();
            for (S3Object object : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(AuditChain.CHECKPOINT_PREFIX)).contents()) {
                out.add(AuditChain.SignedCheckpoint.fromJson(client.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asUtf8String()));
            }
            return out;
        }
    }

    /**
     * What a recovery did.
     *
     * @param at            the instant recovered to
     * @param lastChangeAt  commit time of the last change replayed (the state is as of then)
     * @param coveredUntil  the capture's clock in the backup: every change committed before it is in the backup, so the
     *                      recovery point objective achieved at {@code at} is {@code at - coveredUntil} when positive
     * @param changes       changes replayed; {@code later} the ones committed after {@code at}, left out
     * @param rows          rows per table after the recovery
     * @param auditEntries  audit entries restored (the chain up to {@code at})
     * @param verification  the chain's verification against the bucket's checkpoints up to them
     * @param took          how long replaying and verifying took (the recovery time, reading aside)
     */
    public record Recovery(Instant at, Instant lastChangeAt, Instant coveredUntil, long changes, long later,
                           Map<String, Long> rows, long auditEntries, AuditChain.Verification verification, Duration took) {

        /** The recovery point objective achieved: how much before {@code at} the backup stops knowing; zero when it covers it. */
        public Duration rpo() {
            return coveredUntil.isBefore(at) ? Duration.between(coveredUntil, at) : Duration.ZERO;
        }
    }

    private record Change(String table, String op, long commitOrder, long lsn, Instant committedAt, String key, String after) {
    }

    @Override
    public void write(List<BackupEntry> entries) {
        for (BackupEntry entry : entries) {
            received++;
            GenericRecord value = (GenericRecord) entry.value();
            if (value == null) {
                continue;
            }
            if (entry.topic().equals(Topics.AUDIT_LOG)) {
                long seq = ((Number) value.get("seq")).longValue();
                audit.put(seq, new AuditChain.StoredEntry(seq, value.get("prevHash").toString(), value.get("hash").toString(),
                        value.get("event").toString()));
                continue;
            }
            Instant committedAt = instant(value.get("committedAt"));
            if (committedAt.isAfter(coveredUntil)) {
                coveredUntil = committedAt;
            }
            String op = value.get("op").toString();
            if (op.equals("t")) {
                continue; // a tick: the capture's clock, no change
            }
            Object after = value.get("after");
            Object commitOrder = value.get("commitOrder");
            changes.add(new Change(value.get("table").toString(), op, commitOrder == null ? 0 : ((Number) commitOrder).longValue(),
                    ((Number) value.get("lsn")).longValue(), committedAt, entry.key(), after == null ? null : after.toString()));
        }
    }

    @Override
    public long finish() {
        Properties props = new Properties();
        if (config.connectionUser() != null) {
            props.setProperty("user", config.connectionUser());
        }
        if (config.connectionPassword() != null) {
            props.setProperty("password", config.connectionPassword().value());
        }
        try (Connection c = DriverManager.getConnection(config.connectionUrl(), props)) {
            c.setAutoCommit(false);
            Map<String, Table> tables = new LinkedHashMap<>();
            for (String name : Topics.CONTROL_TABLES) {
                Table table = Table.read(c, name);
                long rows = count(c, name);
                if (rows > 0) {
                    throw new RestoreException(List.of(RestoreConfig.CONNECTION_URL + ": table " + name + " holds " + rows
                            + " row(s); recover into an empty control-plane database (create it and run pganalytics migrate)"));
                }
                tables.put(name, table);
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL session_replication_role = replica");
            }
            // The snapshot is the state when the capture began; the streamed changes follow it in commit order.
            List<Change> ordered = new ArrayList<>(changes);
            ordered.sort(Comparator.comparing((Change ch) -> !ch.op().equals("r")).thenComparingLong(Change::commitOrder)
                    .thenComparingLong(Change::lsn));
            Optional<Instant> snapshotAt = ordered.stream().filter(ch -> ch.op().equals("r")).map(Change::committedAt).min(Instant::compareTo);
            if (snapshotAt.isPresent() && snapshotAt.get().isAfter(at)) {
                throw new RestoreException(List.of("the backup begins at " + snapshotAt.get() + " (the capture's first snapshot),"
                        + " after --at " + at));
            }
            long applied = 0;
            long later = 0;
            Instant last = Instant.EPOCH;
            for (Change change : ordered) {
                boolean snapshot = change.op().equals("r");
                if (!snapshot && change.committedAt().isAfter(at)) {
                    later++;
                    continue;
                }
                Table table = tables.get(change.table());
                if (table == null) {
                    continue; // a table this version no longer has
                }
                table.delete(c, change.key());
                if (change.after() != null && !change.op().equals("d")) {
                    table.insert(c, change.after());
                }
                applied++;
                if (change.committedAt().isAfter(last)) {
                    last = change.committedAt();
                }
            }
            Map<String, Long> rows = new LinkedHashMap<>();
            for (String name : tables.keySet()) {
                rows.put(name, count(c, name));
            }
            List<AuditChain.StoredEntry> chain = chainUpTo(at);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO audit_log (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)")) {
                for (AuditChain.StoredEntry entry : chain) {
                    insert.setLong(1, entry.seq());
                    insert.setString(2, entry.prevHash());
                    insert.setString(3, entry.hash());
                    insert.setString(4, entry.event());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            List<AuditChain.SignedCheckpoint> signed = checkpoints == null ? List.of()
                    : checkpoints.all().stream().filter(cp -> cp.checkpoint().size() <= chain.size()).toList();
            AuditChain.Verification verification = AuditChain.verify(chain.iterator(), signed,
                    checkpoints == null ? null : checkpoints.publicKey());
            c.commit();
            recovery = new Recovery(at, last, coveredUntil, applied, later, rows, chain.size(), verification,
                    Duration.ofNanos(System.nanoTime() - started));
            return received;
        } catch (SQLException e) {
            throw new RestoreException("cannot recover the control plane into " + config.connectionUrl().replaceAll("\\?.*", "?…")
                    + ": " + e.getMessage(), e);
        }
    }

    /** The chain's entries from seq 1 for as long as each was committed by {@code at}: the trail of the recovered state. */
    private List<AuditChain.StoredEntry> chainUpTo(Instant at) {
        long atMicros = AuditChain.micros(at);
        List<AuditChain.StoredEntry> chain = new ArrayList<>();
        for (AuditChain.StoredEntry entry : audit.values()) {
            try {
                if (JSON.readTree(entry.event()).path("occurredAtMicros").asLong() > atMicros) {
                    break;
                }
            } catch (IOException e) {
                // not JSON: verify names it below
            }
            chain.add(entry);
        }
        return chain;
    }

    /** What happened, once {@link #finish} has run. */
    Recovery recovery() {
        return recovery;
    }

    @Override
    public void close() {
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant instant) {
            return instant;
        }
        return AuditChain.ofMicros(((Number) value).longValue());
    }

    /**
     * One table as the database declares it: the columns written (generated ones aside), the key, and the columns
     * whose JSON from Debezium needs converting (bytea arrives as base64, json and jsonb as a string of JSON).
     */
    private record Table(String name, List<String> columns, List<String> key, List<String> binary, List<String> json) {

        static Table read(Connection c, String name) throws SQLException {
            List<String> columns = new ArrayList<>();
            List<String> binary = new ArrayList<>();
            List<String> json = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT column_name, data_type, is_generated FROM information_schema.columns"
                    + " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")) {
                q.setString(1, name);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        if ("ALWAYS".equals(rs.getString(3))) {
                            continue;
                        }
                        columns.add(rs.getString(1));
                        if (rs.getString(2).equals("bytea")) {
                            binary.add(rs.getString(1));
                        } else if (rs.getString(2).equals("jsonb") || rs.getString(2).equals("json")) {
                            json.add(rs.getString(1));
                        }
                    }
                }
            }
            if (columns.isEmpty()) {
                throw new RestoreException(List.of(RestoreConfig.CONNECTION_URL + ": no table " + name
                        + " (run pganalytics migrate on the empty database first)"));
            }
            List<String> key = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                    + " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary")) {
                q.setString(1, name);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        key.add(rs.getString(1));
                    }
                }
            }
            return new Table(name, List.copyOf(columns), List.copyOf(key), List.copyOf(binary), List.copyOf(json));
        }

        void delete(Connection c, String keyJson) throws SQLException {
            String keys = String.join(", ", key);
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM " + name + " WHERE (" + keys + ") = (SELECT " + keys
                    + " FROM jsonb_populate_record(NULL::" + name + ", ?::jsonb))")) {
                delete.setString(1, converted(keyJson));
                delete.executeUpdate();
            }
        }

        void insert(Connection c, String rowJson) throws SQLException {
            String cols = String.join(", ", columns);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + name + " (" + cols + ") SELECT " + cols
                    + " FROM jsonb_populate_record(NULL::" + name + ", ?::jsonb)")) {
                insert.setString(1, converted(rowJson));
                insert.executeUpdate();
            }
        }

        /** Debezium's JSON of a row as PostgreSQL's own: bytea as {@code \x<hex>}, json columns as JSON, not strings. */
        private String converted(String row) {
            try {
                ObjectNode node = (ObjectNode) JSON.readTree(row);
                for (String column : binary) {
                    JsonNode value = node.get(column);
                    if (value != null && value.isTextual()) {
                        node.put(column, "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(value.asText())));
                    }
                }
                for (String column : json) {
                    JsonNode value = node.get(column);
                    if (value != null && value.isTextual()) {
                        node.set(column, JSON.readTree(value.asText()));
                    }
                }
                return node.toString();
            } catch (IOException | ClassCastException | IllegalArgumentException e) {
                throw new RestoreException(List.of("a backed-up row of " + name + " is not readable: " + e.getMessage()));
            }
        }
    }
}
