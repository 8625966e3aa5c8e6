package io.pganalytics.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.audit.AuditChain;
import io.pganalytics.schemas.audit.CheckpointKeys;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.sink.s3.S3Connection;
import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The audit trail end to end on real components: changes through the control plane and by direct SQL, Debezium
 * capturing the outbox from the write-ahead log, the chain's Kafka Streams writer, the store and its signed
 * checkpoints in S3, and verification after tampering as a PostgreSQL superuser.
 */
@EmbeddedStack(registry = true, postgres = true, databases = "pganalytics_control", s3 = true)
@ContractTopics({"pga.audit.*", "pga.control.*", "pga.fleet.*", "pga.alert-rules"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditTrailIT {

    private static final String BUCKET = "pga-backups";
    private static final Actor ALICE = new Actor("alice", "admin", "10.0.0.7", "password", "curl/8.5", "req-42");

    @TempDir
    static Path dir;
    static TestStack stack;
    static DataSource database;
    static AuditConfig config;
    static ControlPlane plane;
    static KafkaStreams chain;
    static AuditRole role;
    static KeyPair keys;
    static CheckpointStore checkpoints;

    @BeforeAll
    static void start(TestStack testStack) throws Exception {
        stack = testStack;
        EmbeddedPostgres postgres = stack.postgres();
        database = postgres.dataSource("pganalytics_control");
        EmbeddedS3 s3 = stack.s3();
        try (S3Client client = connection(s3).newClient()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
        keys = CheckpointKeys.generate();
        CheckpointKeys.write(keys, dir.resolve("audit-checkpoint.key"), dir.resolve("audit-checkpoint.pub"));
        Map<String, String> properties = new HashMap<>();
        properties.put(ControlPlaneConfig.Keys.DATABASE_URL.name(), postgres.jdbcUrl("pganalytics_control"));
        properties.put(ControlPlaneConfig.Keys.DATABASE_USER.name(), postgres.user());
        properties.put(ControlPlaneConfig.Keys.BOOTSTRAP_SERVERS.name(), stack.kafka().bootstrapServers());
        properties.put(ControlPlaneConfig.Keys.SCHEMA_REGISTRY_URL.name(), stack.registry().url());
        properties.put(ControlPlaneConfig.Keys.SECRET_KEYS.name(), SecretBox.generateKey("k1"));
        properties.put(ControlPlaneConfig.Keys.POOL_SIZE.name(), "4");
        properties.put(AuditConfig.Keys.OFFSETS_FILE.name(), dir.resolve("offsets.dat").toString());
        properties.put(AuditConfig.Keys.PRIVATE_KEY.name(), dir.resolve("audit-checkpoint.key").toString());
        properties.put(AuditConfig.Keys.CHECKPOINT_ENTRIES.name(), "5");
        properties.put(AuditConfig.Keys.BUCKET.name(), BUCKET);
        properties.put(S3Connection.ENDPOINT, s3.endpoint());
        properties.put(S3Connection.REGION, s3.region());
        properties.put(S3Connection.PATH_STYLE, "true");
        properties.put(S3Connection.ACCESS_KEY_ID, s3.accessKey());
        properties.put(S3Connection.SECRET_ACCESS_KEY, s3.secretKey());
        config = AuditConfig.from(properties, Map.of());
        ControlPlanes.migrate(config.control());
        plane = ControlPlanes.open(config.control(), "audit-it");
        chain = startChain();
        role = AuditRole.start(config);
        checkpoints = new CheckpointStore(config.s3(), BUCKET);
    }

    @AfterAll
    static void stop() {
        if (role != null) {
            role.close();
        }
        if (chain != null) {
            StreamsSettings.stop(chain);
        }
        if (plane != null) {
            plane.close();
        }
        if (checkpoints != null) {
            checkpoints.close();
        }
    }

    @Test
    @Order(1)
    void aChangeThroughTheControlPlaneIsAnEntryNamingItsActorWithSecretsRedacted() {
        plane.createGroup(ALICE, new ControlPlane.GroupSpec("eu", "Europe"));
        plane.accounts().createUser(ALICE, new Accounts.NewUser("bob", "viewer", "a long enough password"));

        Map<String, Object> group = awaitEntry("action = 'group.create' AND resource_id = 'eu'");
        assertThat(group).containsEntry("actor", "alice").containsEntry("role", "admin").containsEntry("authMethod", "password")
                .containsEntry("clientIp", "10.0.0.7").containsEntry("userAgent", "curl/8.5").containsEntry("requestId", "req-42")
                .containsEntry("outOfBand", false).containsEntry("resourceType", "collector_groups");
        Map<String, Object> user = awaitEntry("action = 'user.create' AND resource_id = 'bob'");
        @SuppressWarnings("unchecked")
        Map<String, Object> after = (Map<String, Object>) user.get("after");
        assertThat(after).containsEntry("role", "viewer");
        assertThat(after.get("password_hash").toString()).matches("\\[redacted [0-9a-f]{8}]");
        assertThat(user.toString()).doesNotContain("argon2");
    }

    @Test
    @Order(2)
    void aFailedLoginIsRecordedWithTheNameTriedAndWhereFrom() {
        Actor attempt = new Actor("mallory", "anonymous", "203.0.113.9", "password", "python-requests", "req-7");
        assertThatThrownBy(() -> plane.accounts().attributed(attempt, () -> plane.accounts().authenticate("bob", "wrong password!")))
                .isInstanceOf(ControlPlane.NotAuthorized.class);
        Map<String, Object> failed = awaitEntry("action = 'login.failed' AND resource_id = 'bob'");
        assertThat(failed).containsEntry("actor", "mallory").containsEntry("clientIp", "203.0.113.9");
    }

    @Test
    @Order(3)
    void aChangeByDirectSqlIsAnOutOfBandEntryNamingTheDatabaseRoleWithinTwoSeconds() throws SQLException {
        long committed = System.nanoTime();
        sql("UPDATE users SET role = 'admin' WHERE name = 'bob'");
        Map<String, Object> entry = awaitEntry("action = 'users.update' AND resource_id = 'bob' AND out_of_band", Duration.ofSeconds(2));
        assertThat(Duration.ofNanos(System.nanoTime() - committed)).isLessThan(Duration.ofSeconds(2));
        assertThat(entry).containsEntry("outOfBand", true).containsEntry("databaseRole", stack.postgres().user())
                .containsEntry("actor", stack.postgres().user());
    }

    @Test
    @Order(4)
    void aChangeWithTheAuditTriggersOffIsStillAnOutOfBandEntry() throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET session_replication_role = replica"); // what a superuser may do: no trigger fires
            s.execute("UPDATE users SET role = 'user' WHERE name = 'bob'");
        }
        Map<String, Object> entry = awaitEntry("action = 'users.update' AND resource_id = 'bob' AND out_of_band"
                + " AND event::jsonb ->> 'databaseRole' = '" + OutboxCapture.TRIGGERS_BYPASSED + "'");
        assertThat(entry).containsEntry("actor", "unknown").containsEntry("before", null);
    }

    @Test
    @Order(5)
    void theAuditTablesRefuseUpdateDeleteAndTruncate() {
        awaitEntry("seq = 1");
        assertThatThrownBy(() -> sql("UPDATE audit_log SET event = '{}' WHERE seq = 1")).hasMessageContaining("append-only");
        assertThatThrownBy(() -> sql("DELETE FROM audit_log WHERE seq = 1")).hasMessageContaining("append-only");
        assertThatThrownBy(() -> sql("TRUNCATE audit_log")).hasMessageContaining("append-only");
        assertThatThrownBy(() -> sql("DELETE FROM audit_outbox")).hasMessageContaining("append-only");
    }

    @Test
    @Order(6)
    void restartingTheCaptureAndTheChainMidStreamNeitherLosesNorDuplicatesAnEntry() throws Exception {
        for (int i = 0; i < 20; i++) {
            plane.createGroup(ALICE, new ControlPlane.GroupSpec("g" + i, null));
            if (i == 6) {
                StreamsSettings.stop(chain); // the chain's writer goes away while events keep coming
            }
            if (i == 9) {
                role.close(); // engine.close() mid-stream: its position is committed, the rest arrives after the restart
            }
        }
        chain = startChain();
        role = AuditRole.start(config);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(one("SELECT count(*) FROM audit_log WHERE action = 'group.create'")).isEqualTo(21L));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(contiguousAndComplete()).isTrue());
    }

    @Test
    @Order(7)
    void killingTheChainsWriterMidTransactionNeitherSkipsNorRepeatsASeq() throws Exception {
        StreamsSettings.stop(chain);
        chain = null;
        Path state = dir.resolve("streams-child");
        Process first = chainWriter(state, "first");
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        long before = one("SELECT count(*) FROM audit_log WHERE action = 'group.create'");
        for (int i = 0; i < 40; i++) {
            plane.createGroup(ALICE, new ControlPlane.GroupSpec("k" + i, null));
            if (i == 15) {
                // Entries are flowing through the child's transactions (100 ms commits): kill -9 amid one.
                await().atMost(Duration.ofSeconds(60)).until(() -> one("SELECT count(*) FROM audit_log WHERE action = 'group.create'") > before);
                first.destroyForcibly().waitFor();
                killed.set(true);
            }
        }
        assertThat(killed).isTrue();
        Process second = chainWriter(state, "second");
        try {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                    assertThat(one("SELECT count(*) FROM audit_log WHERE action = 'group.create'")).isEqualTo(before + 40));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(contiguousAndComplete()).isTrue());
        } finally {
            second.destroy();
            second.waitFor();
        }
        chain = startChain();
    }

    @Test
    @Order(8)
    void anUntouchedChainVerifiesCleanAgainstTheCheckpointsInTheBucket() throws SQLException {
        await().atMost(Duration.ofSeconds(30)).until(() -> !checkpoints.all().isEmpty());
        AuditChain.Verification clean = verify();
        assertThat(clean.problem()).isEmpty();
        assertThat(clean.signaturesChecked()).isTrue();
        assertThat(clean.checkpoints()).isPositive();
        assertThat(clean.entries()).isEqualTo(one("SELECT max(seq) FROM audit_log"));
        // The database's copy of the checkpoints verifies too: what it stores is what was signed.
        assertThat(AuditVerification.verify(plane.audit(), null, keys.getPublic()).problem()).isEmpty();
    }

    @Test
    @Order(9)
    void tamperingAsASuperuserIsReportedAtTheRightSeqWithTheRightReason() throws Exception {
        long size = checkpoints.all().get(checkpoints.all().size() - 1).checkpoint().size();
        assertThat(size).isGreaterThanOrEqualTo(5);

        // an edited entry
        String event3 = text("SELECT event FROM audit_log WHERE seq = 3");
        tamper("UPDATE audit_log SET event = replace(event, '\"outOfBand\":false', '\"outOfBand\":true') WHERE seq = 3");
        assertThat(verify().problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(3);
            assertThat(p.reason()).contains("does not match its hash");
        });
        tamper("UPDATE audit_log SET event = '" + event3.replace("'", "''") + "' WHERE seq = 3");
        assertThat(verify().problem()).isEmpty();

        // a deleted entry
        Map<String, String> row2 = row(2);
        tamper("DELETE FROM audit_log WHERE seq = 2");
        assertThat(verify().problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(2);
            assertThat(p.reason()).contains("entry 2 is missing");
        });
        reinsert(row2);
        assertThat(verify().problem()).isEmpty();

        // two entries swapped
        Map<String, String> row4 = row(4);
        Map<String, String> row5 = row(5);
        tamper("DELETE FROM audit_log WHERE seq IN (4, 5)");
        reinsert(Map.of("seq", "4", "prev_hash", row5.get("prev_hash"), "hash", row5.get("hash"), "event", row5.get("event")));
        reinsert(Map.of("seq", "5", "prev_hash", row4.get("prev_hash"), "hash", row4.get("hash"), "event", row4.get("event")));
        assertThat(verify().problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(4);
            assertThat(p.reason()).contains("does not link to entry 3");
        });
        tamper("DELETE FROM audit_log WHERE seq IN (4, 5)");
        reinsert(row4);
        reinsert(row5);
        assertThat(verify().problem()).isEmpty();

        // the tail cut off below the last checkpoint
        List<Map<String, String>> tail = new java.util.ArrayList<>();
        for (long seq = size - 1; seq <= one("SELECT max(seq) FROM audit_log"); seq++) {
            tail.add(row(seq));
        }
        tamper("DELETE FROM audit_log WHERE seq >= " + (size - 1));
        assertThat(verify().problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(size - 1);
            assertThat(p.reason()).contains("the tail was cut off");
        });
        tail.forEach(AuditTrailIT::reinsert);
        assertThat(verify().problem()).isEmpty();

        // a forged checkpoint: signed by a key of the forger's
        KeyPair forger = CheckpointKeys.generate();
        AuditChain.SignedCheckpoint real = checkpoints.all().get(0);
        AuditChain.SignedCheckpoint forged = new AuditChain.Checkpoint(real.checkpoint().size(), real.checkpoint().headHash(),
                real.checkpoint().at(), real.checkpoint().previousSignature()).sign(forger.getPrivate(), real.keyId());
        checkpoints.put(forged);
        assertThat(verify().problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(real.checkpoint().size());
            assertThat(p.reason()).contains("does not verify with the pinned public key");
        });
        checkpoints.put(real);
        assertThat(verify().problem()).isEmpty();

        // the verifier handed another public key (the signing key swapped)
        assertThat(AuditVerification.verify(plane.audit(), checkpoints, forger.getPublic()).problem()).hasValueSatisfying(p ->
                assertThat(p.reason()).contains("does not verify with the pinned public key"));
    }

    // ======== helpers ========

    /** The chain's writer in a JVM of its own ({@link ChainWriterProcess}), its output in {@code <dir>/<name>.log}. */
    private static Process chainWriter(Path state, String name) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                ChainWriterProcess.class.getName(), stack.kafka().bootstrapServers(), stack.registry().url(), state.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        return process;
    }

    /** The chain's writer, on the same state directory each time (a restart restores its head from there or the changelog). */
    private static KafkaStreams startChain() {
        return new StreamsSettings(stack.kafka().bootstrapServers(), stack.registry().url(), dir.resolve("streams"), 1)
                .start(new AuditChainStreamsRole());
    }

    private static AuditChain.Verification verify() {
        return AuditVerification.verify(plane.audit(), checkpoints, keys.getPublic());
    }

    /** The seq of audit_log runs 1..n without a gap, and n is every outbox row (plus the bypassed changes). */
    private static boolean contiguousAndComplete() throws SQLException {
        long max = one("SELECT coalesce(max(seq), 0) FROM audit_log");
        long count = one("SELECT count(*) FROM audit_log");
        long outbox = one("SELECT count(*) FROM audit_outbox");
        long bypassed = one("SELECT count(*) FROM audit_log WHERE outbox_id < 0");
        long distinct = one("SELECT count(DISTINCT outbox_id) FROM audit_log");
        return max == count && count == outbox + bypassed && distinct == count;
    }

    private static Map<String, Object> awaitEntry(String where) {
        return awaitEntry(where, Duration.ofSeconds(30));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitEntry(String where, Duration within) {
        String[] event = new String[1];
        await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
            event[0] = optionalText("SELECT event FROM audit_log WHERE " + where + " ORDER BY seq DESC LIMIT 1").orElse(null);
            return event[0] != null;
        });
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(event[0], Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** As a superuser with triggers off: what it takes to change the append-only tables. */
    private static void tamper(String statement) throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET session_replication_role = replica");
            s.execute(statement);
        }
    }

    private static Map<String, String> row(long seq) throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT seq, prev_hash, hash, event FROM audit_log WHERE seq = " + seq)) {
            assertThat(rs.next()).as("entry %d", seq).isTrue();
            return Map.of("seq", rs.getString(1), "prev_hash", rs.getString(2), "hash", rs.getString(3), "event", rs.getString(4));
        }
    }

    private static void reinsert(Map<String, String> row) {
        try (Connection c = database.getConnection();
             var insert = c.prepareStatement("INSERT INTO audit_log (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)")) {
            insert.setLong(1, Long.parseLong(row.get("seq")));
            insert.setString(2, row.get("prev_hash"));
            insert.setString(3, row.get("hash"));
            insert.setString(4, row.get("event"));
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static long one(String query) throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String text(String query) throws SQLException {
        return optionalText(query).orElseThrow();
    }

    private static Optional<String> optionalText(String query) throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
        }
    }

    private static S3Connection connection(EmbeddedS3 s3) {
        return new S3Connection(s3.endpoint(), s3.region(), true, s3.accessKey(), new Password(s3.secretKey()));
    }
}
