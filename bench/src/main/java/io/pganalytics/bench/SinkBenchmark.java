package io.pganalytics.bench;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Rows per second into PostgreSQL: the Timescale sink (records already in Kafka, the sink alone running, one task,
 * one partition) beside plain JDBC writing the same rows into the same table in the same run: raw {@code COPY}
 * (binary and text), staging + {@code INSERT ... ON CONFLICT DO NOTHING}, and batched multi-row {@code INSERT}. Every
 * method writes batches of the sink's {@code batch.max.rows}, one transaction each. Prints a Markdown table for
 * docs/benchmarks.md.
 *
 * <p>Usage: {@code bench/run-sink [rows] [rounds]} (defaults 300000 and 3; the table shows each method's median).
 */
public final class SinkBenchmark {

    private static final String DATABASE = "bench";
    private static final String TABLE = "database_metrics";
    private static final int BATCH_ROWS = 10_000;
    private static final int INSERT_ROWS_PER_STATEMENT = 1_000;
    private static final Instant FIRST = Instant.parse("2026-11-20T00:00:00Z");
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;
    private static final String[] COLUMNS = {"collector_id", "target_id", "sampled_at", "server_version_num", "datid",
            "datname", "numbackends", "xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned",
            "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes",
            "deadlocks", "checksum_failures", "checksum_last_failure", "blk_read_time_ms", "blk_write_time_ms",
            "session_time_ms", "active_time_ms", "idle_in_transaction_time_ms", "sessions", "sessions_abandoned",
            "sessions_fatal", "sessions_killed", "parallel_workers_to_launch", "parallel_workers_launched", "stats_reset"};

    private SinkBenchmark() {
    }

    /** Sample {@code n}: 50 targets, one sample per target and second; every field set as a collector would. */
    static DatabaseSample sample(int n) {
        return DatabaseSample.newBuilder()
                .setCollectorId("collector-" + n % 5).setTargetId("target-" + n % 50)
                .setSampledAt(FIRST.plusSeconds(n / 50).plusNanos(123_456_000L)).setServerVersionNum(170006)
                .setDatid(16384).setDatname("app").setNumbackends(3 + n % 7)
                .setXactCommit(1_000_000L + n).setXactRollback(7).setBlksRead(5_000_000_000L + n)
                .setBlksHit(9_000_000_000L + 3L * n).setTupReturned(11L * n).setTupFetched(12L * n)
                .setTupInserted(13L * n).setTupUpdated(14).setTupDeleted(15).setConflicts(0).setTempFiles(2)
                .setTempBytes(16_384).setDeadlocks(1).setChecksumFailures(null).setChecksumLastFailure(null)
                .setBlkReadTimeMs(12.5 + n).setBlkWriteTimeMs(0.25).setSessionTimeMs(86_400_000.75 + n)
                .setActiveTimeMs(3_600_000.5).setIdleInTransactionTimeMs(0.0).setSessions(100L + n)
                .setSessionsAbandoned(0L).setSessionsFatal(1L).setSessionsKilled(2L)
                .setParallelWorkersToLaunch(null).setParallelWorkersLaunched(null)
                .setStatsReset(Instant.parse("2026-11-01T00:00:00Z")).build();
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path root = Files.createTempDirectory("pga-sink-bench");
        String loadBefore = loadAverage();
        System.err.println("load average " + loadBefore);
        Map<String, List<Double>> results = new LinkedHashMap<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(root.resolve("postgres")).start();
             EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(root.resolve("kafka")).start();
             EmbeddedRegistry registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
            postgres.createDatabaseIfMissing(DATABASE);
            String url = postgres.jdbcUrl(DATABASE);
            kafka.createTopics(new NewTopic(Topics.METRICS_DATABASE, 1, (short) 1));
            produce(kafka.bootstrapServers(), registry.url(), rows);
            try (EmbeddedConnect connect = EmbeddedConnect.builder().bootstrapServers(kafka.bootstrapServers()).start()) {
                Map<String, Method> methods = new LinkedHashMap<>();
                methods.put(SINK, () -> sink(connect, registry.url(), url, postgres.user(), rows, sinkRuns[0]++));
                methods.put(COPY_BINARY, () -> timed(url, postgres.user(), c -> copyBinary(c, rows), rows));
                methods.put("raw COPY, text (CopyManager)", () -> timed(url, postgres.user(), c -> copyText(c, rows), rows));
                methods.put("staging + INSERT ... ON CONFLICT DO NOTHING",
                        () -> timed(url, postgres.user(), c -> stagingOnConflict(c, rows), rows));
                methods.put("batched multi-row INSERT ... ON CONFLICT DO NOTHING",
                        () -> timed(url, postgres.user(), c -> batchedInsert(c, rows), rows));
                List<String> names = new ArrayList<>(methods.keySet());
                // Round 0 warms the JIT and creates the table and its partitions (the sink first): not recorded.
                for (int round = 0; round <= rounds; round++) {
                    for (int i = 0; i < names.size(); i++) {
                        // Later rounds rotate the order, so no method always runs first or right after another.
                        String name = names.get(round == 0 ? i : (i + round) % names.size());
                        truncate(url, postgres.user());
                        double[] perSecond = methods.get(name).run();
                        System.err.printf("round %d: %s: %,.0f rows/s%n", round, name, perSecond[0]);
                        if (round > 0) {
                            results.computeIfAbsent(name, k -> new ArrayList<>()).add(perSecond[0]);
                            if (perSecond.length > 1) {
                                results.computeIfAbsent(SINK_STEADY, k -> new ArrayList<>()).add(perSecond[1]);
                            }
                        }
                    }
                }
            }
        }
        double copy = median(results.get(COPY_BINARY));
        List<Double> sinks = results.get(SINK);
        List<Double> copies = results.get(COPY_BINARY);
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < sinks.size(); i++) {
            pairs.add(String.format("%.0f%%", 100 * sinks.get(i) / copies.get(i)));
        }
        System.out.printf("%n%d rows of %d columns, batches of %d rows, %d rounds; load average before %s, after %s%n%n",
                rows, COLUMNS.length, BATCH_ROWS, rounds, loadBefore, loadAverage());
        System.out.printf("| method | median rows/s | %% of raw binary COPY | runs (rows/s) |%n|---|---|---|---|%n");
        results.forEach((name, perSecond) -> System.out.printf("| %s | %,.0f | %.0f%% | %s |%n", name, median(perSecond),
                100 * median(perSecond) / copy, perSecond.stream().map(r -> String.format("%,.0f", r)).toList()));
        System.out.printf("%nsink / raw binary COPY, round by round (adjacent runs): %s%n", pairs);
    }

    private static final String SINK = "sink, from connector creation (Kafka → bytes decoded by the sink → binary COPY + offsets)";
    private static final String SINK_STEADY = "sink, steady (from its first stored batch on)";
    private static final String COPY_BINARY = "raw COPY, binary (CopyManager)";
    private static final int[] sinkRuns = {0};

    /** One measured run: rows per second (the sink also gives its steady rate). */
    private interface Method {
        double[] run() throws Exception;
    }

    private interface Work {
        void run(Connection c) throws Exception;
    }

    private static double[] timed(String url, String user, Work work, int rows) throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, null)) {
            c.setAutoCommit(false);
            long start = System.nanoTime();
            work.run(c);
            long nanos = System.nanoTime() - start;
            check(c, work);
            return new double[] {rows / (nanos / 1e9)};
        }
    }

    private static void check(Connection c, Work work) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE)) {
            rs.next();
            if (rs.getLong(1) == 0) {
                throw new IllegalStateException("no rows written by " + work);
            }
        }
    }

    private static void truncate(String url, String user) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, null); Statement s = c.createStatement()) {
            if (exists(c)) {
                s.execute("TRUNCATE " + TABLE);
            }
            s.execute("DROP TABLE IF EXISTS pga_sink_offsets");
            s.execute("CHECKPOINT");
        }
    }

    private static boolean exists(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static void produce(String bootstrap, String registryUrl, int rows) {
        long start = System.nanoTime();
        try (KafkaProducer<String, DatabaseSample> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                "schema.registry.url", registryUrl))) {
            for (int n = 0; n < rows; n++) {
                DatabaseSample s = sample(n);
                producer.send(new ProducerRecord<>(Topics.METRICS_DATABASE, s.getCollectorId() + "/" + s.getTargetId(), s));
            }
            producer.flush();
        }
        System.err.printf("produced %,d records in %d ms%n", rows, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * From creating the connector until the offsets stored with the rows cover every record; also the steady rate,
     * from the first stored batch on (without the task's start, group join and first fetch).
     */
    private static double[] sink(EmbeddedConnect connect, String registryUrl, String url, String user, int rows, int round)
            throws Exception {
        String name = "bench-sink-" + round;
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", "io.pganalytics.sink.timescale.TimescaleSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics", Topics.METRICS_DATABASE);
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("schema.registry.url", registryUrl);
        config.put("connection.url", url);
        config.put("connection.user", user);
        config.put("batch.max.rows", Integer.toString(BATCH_ROWS));
        config.put("retention.days", "0");
        config.put("consumer.override.max.poll.records", Integer.toString(BATCH_ROWS));
        // A batch of 10,000 ~0.5 KB records is ~5 MB: with the default 1 MB per partition a poll
        // needs several fetch round trips; let one fetch carry a whole batch.
        config.put("consumer.override.max.partition.fetch.bytes", Integer.toString(8 * 1024 * 1024));
        long start = System.nanoTime();
        connect.putConnector(name, config);
        long firstAt = 0;
        long firstStored = 0;
        try (Connection c = DriverManager.getConnection(url, user, null)) {
            while (true) {
                long stored = storedOffset(c, name);
                if (stored > 0 && firstAt == 0) {
                    firstAt = System.nanoTime();
                    firstStored = stored;
                }
                if (stored >= rows) {
                    break;
                }
                if (System.nanoTime() - start > 600_000_000_000L) {
                    throw new IllegalStateException("sink stored " + stored + " of " + rows + " in 10 minutes: "
                            + connect.status(name));
                }
                Thread.sleep(20); // polling resolution; a busy loop would steal a core from the sink
            }
        }
        long end = System.nanoTime();
        connect.deleteConnector(name);
        System.err.printf("sink: first batch (%,d rows) stored after %d ms; load average %s%n", firstStored,
                (firstAt - start) / 1_000_000, loadAverage());
        return new double[] {rows / ((end - start) / 1e9), (rows - firstStored) / ((end - firstAt) / 1e9)};
    }

    private static long storedOffset(Connection c, String connector) throws SQLException {
        try (PreparedStatement q = c.prepareStatement(
                "SELECT coalesce(sum(next_offset), 0) FROM pga_sink_offsets WHERE connector = ?")) {
            q.setString(1, connector);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0;
            }
            throw e;
        }
    }

    private static String columns() {
        return String.join(", ", COLUMNS);
    }

    private static void copyBinary(Connection c, int rows) throws Exception {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (int from = 0; from < rows; from += BATCH_ROWS) {
            byte[] batch = binaryBatch(from, Math.min(rows, from + BATCH_ROWS));
            copy.copyIn("COPY " + TABLE + " (" + columns() + ") FROM STDIN (FORMAT binary)", new java.io.ByteArrayInputStream(batch));
            c.commit();
        }
    }

    private static void copyText(Connection c, int rows) throws Exception {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (int from = 0; from < rows; from += BATCH_ROWS) {
            StringBuilder text = new StringBuilder(BATCH_ROWS * 300);
            for (int n = from; n < Math.min(rows, from + BATCH_ROWS); n++) {
                DatabaseSample s = sample(n);
                for (int i = 0; i < COLUMNS.length; i++) {
                    if (i > 0) {
                        text.append('\t');
                    }
                    Object v = s.get(i);
                    text.append(v == null ? "\\N" : v instanceof Instant instant ? instant.toString() : v.toString());
                }
                text.append('\n');
            }
            copy.copyIn("COPY " + TABLE + " (" + columns() + ") FROM STDIN", new StringReader(text.toString()));
            c.commit();
        }
    }

    private static void stagingOnConflict(Connection c, int rows) throws Exception {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (int from = 0; from < rows; from += BATCH_ROWS) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TEMPORARY TABLE staging (LIKE " + TABLE + ") ON COMMIT DROP");
                copy.copyIn("COPY staging (" + columns() + ") FROM STDIN (FORMAT binary)",
                        new java.io.ByteArrayInputStream(binaryBatch(from, Math.min(rows, from + BATCH_ROWS))));
                s.executeUpdate("INSERT INTO " + TABLE + " (" + columns() + ") SELECT " + columns()
                        + " FROM staging ON CONFLICT (target_id, datid, sampled_at) DO NOTHING");
            }
            c.commit();
        }
    }

    private static void batchedInsert(Connection c, int rows) throws Exception {
        StringBuilder sql = new StringBuilder("INSERT INTO " + TABLE + " (" + columns() + ") VALUES ");
        String row = "(" + String.join(", ", Collections.nCopies(COLUMNS.length, "?")) + ")";
        for (int r = 0; r < INSERT_ROWS_PER_STATEMENT; r++) {
            sql.append(r == 0 ? "" : ", ").append(row);
        }
        sql.append(" ON CONFLICT (target_id, datid, sampled_at) DO NOTHING");
        try (PreparedStatement insert = c.prepareStatement(sql.toString())) {
            for (int from = 0; from < rows; from += BATCH_ROWS) {
                int to = Math.min(rows, from + BATCH_ROWS);
                for (int stmt = from; stmt < to; stmt += INSERT_ROWS_PER_STATEMENT) {
                    if (to - stmt < INSERT_ROWS_PER_STATEMENT) {
                        throw new IllegalArgumentException("rows must be a multiple of " + INSERT_ROWS_PER_STATEMENT);
                    }
                    for (int r = 0; r < INSERT_ROWS_PER_STATEMENT; r++) {
                        DatabaseSample s = sample(stmt + r);
                        for (int i = 0; i < COLUMNS.length; i++) {
                            Object v = s.get(i);
                            int p = r * COLUMNS.length + i + 1;
                            if (v instanceof Instant instant) {
                                insert.setObject(p, java.time.OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC));
                            } else if (v == null) {
                                insert.setNull(p, types(i));
                            } else {
                                insert.setObject(p, v instanceof CharSequence cs ? cs.toString() : v);
                            }
                        }
                    }
                    insert.addBatch();
                }
                insert.executeBatch();
                c.commit();
            }
        }
    }

    private static int types(int column) {
        return switch (COLUMNS[column]) {
            case "checksum_last_failure", "stats_reset" -> java.sql.Types.TIMESTAMP_WITH_TIMEZONE;
            case "datname" -> java.sql.Types.VARCHAR;
            case "session_time_ms", "active_time_ms", "idle_in_transaction_time_ms" -> java.sql.Types.DOUBLE;
            default -> java.sql.Types.BIGINT;
        };
    }

    /** Binary COPY of samples [from, to), written the straightforward way (DataOutputStream). */
    private static byte[] binaryBatch(int from, int to) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(BATCH_ROWS * 400);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0});
            out.writeInt(0);
            out.writeInt(0);
            for (int n = from; n < to; n++) {
                DatabaseSample s = sample(n);
                out.writeShort(COLUMNS.length);
                for (int i = 0; i < COLUMNS.length; i++) {
                    Object v = s.get(i);
                    if (v == null) {
                        out.writeInt(-1);
                    } else if (v instanceof CharSequence text) {
                        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
                        out.writeInt(utf8.length);
                        out.write(utf8);
                    } else if (v instanceof Instant instant) {
                        out.writeInt(8);
                        out.writeLong(instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000 - POSTGRES_EPOCH_MICROS);
                    } else if (v instanceof Integer number) {
                        out.writeInt(4);
                        out.writeInt(number);
                    } else if (v instanceof Long number) {
                        out.writeInt(8);
                        out.writeLong(number);
                    } else if (v instanceof Double number) {
                        out.writeInt(8);
                        out.writeDouble(number);
                    } else {
                        throw new IllegalStateException("unexpected " + v.getClass());
                    }
                }
            }
            out.writeShort(-1);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
