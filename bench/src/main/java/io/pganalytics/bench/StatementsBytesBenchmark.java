package io.pganalytics.bench;

import io.pganalytics.collector.targets.TargetSession;
import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.QueryText;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;

/**
 * What the statements family costs on the wire, per cycle, for a server with 5,000 distinct
 * statements: the bytes of the Kafka records (key + Avro value in the Confluent wire format, before
 * compression) the collector would produce, cycle by cycle, with a known workload in between.
 *
 * <p>Usage: {@code bench/run-statements [statements]} (default 5000). Prints a Markdown table for
 * docs/benchmarks.md.
 */
public final class StatementsBytesBenchmark {

    private StatementsBytesBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int statements = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        Path dir = Files.createTempDirectory("pga-statements-bench");
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(dir.resolve("postgres"))
                .serverConfig("pg_stat_statements.max", Integer.toString(statements * 2))
                .start()) {
            try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                // One table per statement: distinct relations make distinct queryids (constants do not).
                s.execute("DO $$ BEGIN FOR i IN 1.." + statements + " LOOP "
                        + "EXECUTE format('CREATE TABLE bench_%s (a int)', i); END LOOP; END $$");
                s.execute("SELECT pg_stat_statements_reset()");
            }
            run(postgres, statements, 1, statements); // every statement once
            CollectorConfig config = new CollectorConfig("bench", "unused:9092", "mock://statements-bench", 10_000, 10_000,
                    List.of());
            Map<String, Object> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
            AvroSerializer<GenericContainer> serializer = new AvroSerializer<>();
            serializer.configure(serde, false);
            try (TargetSession session = new TargetSession(new Target("bench-target", postgres.jdbcUrl("postgres"),
                    postgres.user(), null), config, Catalog.load())) {
                System.out.println("| cycle | workload since the previous cycle | statement records | statement bytes "
                        + "| query texts | query-text bytes | total bytes |");
                System.out.println("|---|---|---|---|---|---|---|");
                cycle(session, serializer, 1, "first cycle: " + statements + " statements, each run once");
                cycle(session, serializer, 2, "none");
                run(postgres, statements, 1, 100);
                cycle(session, serializer, 3, "100 of the statements run again");
                cycle(session, serializer, 4, "none");
                run(postgres, statements, 1, statements);
                cycle(session, serializer, 5, "all " + statements + " run again");
                cycle(session, serializer, 6, "none");
            }
        }
    }

    private static void run(EmbeddedPostgres postgres, int statements, int from, int to) throws Exception {
        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            for (int i = from; i <= to; i++) {
                s.executeQuery("SELECT count(*) FROM bench_" + i).close();
            }
        }
    }

    private static void cycle(TargetSession session, AvroSerializer<GenericContainer> serializer, int n, String workload)
            throws Exception {
        Collected collected = session.collect("statements");
        String key = "bench/bench-target";
        long sampleBytes = 0;
        for (GenericRecord sample : collected.samples()) {
            sampleBytes += key.getBytes(StandardCharsets.UTF_8).length
                    + serializer.serialize(Topics.raw("statements"), sample).length;
        }
        long textBytes = 0;
        List<Long> ids = new ArrayList<>();
        for (QueryText text : collected.queryTexts()) {
            ids.add(text.getQueryid());
            textBytes += ("bench-target/" + text.getQueryid()).getBytes(StandardCharsets.UTF_8).length
                    + serializer.serialize(Topics.RAW_QUERY_TEXTS, text).length;
        }
        System.out.printf("| %d | %s | %d | %,d | %d | %,d | %,d |%n", n, workload, collected.samples().size(), sampleBytes,
                ids.size(), textBytes, sampleBytes + textBytes);
    }
}
