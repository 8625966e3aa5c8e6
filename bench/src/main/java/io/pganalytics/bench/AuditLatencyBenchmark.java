package io.pganalytics.bench;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.RateLimitSettings;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditRole;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.sink.s3.S3Connection;
import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.runtime.StreamsSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The audit trail's latency as the issue states it: a change committed through the API ({@code POST /api/v1/groups},
 * answered once its transaction committed) until its entry is visible in {@code GET /api/v1/audit}, over
 * {@code changes} changes one after another, {@code gapMillis} apart. The whole path is real and in one process:
 * PostgreSQL's write-ahead log, Debezium (embedded), Kafka, the chain's Kafka Streams application (exactly once: its
 * commit interval is part of the figure), the audit role's store, and the API reading {@code audit_log}.
 *
 * <p>Usage: {@code bench/run-audit [changes] [gapMillis]} (default 1000 20).
 */
public final class AuditLatencyBenchmark {

    private static final String TOKEN = "bench-audit-token-0123456789";

    private AuditLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int gapMillis = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory("pga-audit-bench");
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(dir.resolve("postgres")).start();
             EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start();
             EmbeddedRegistry registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
            postgres.createDatabaseIfMissing("pganalytics_control");
            kafka.createTopics(TopicContract.all().stream().map(t -> t.newTopic(t.partitions(), (short) 1)).toArray(NewTopic[]::new));
            ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl("pganalytics_control"), postgres.user(), null, 8,
                    kafka.bootstrapServers(), registry.url(), SecretBox.generateKey("bench"), true);
            ControlPlanes.migrate(control);
            KafkaStreams chain = new StreamsSettings(kafka.bootstrapServers(), registry.url(), dir.resolve("streams"), 1)
                    .start(new AuditChainStreamsRole());
            try (ControlPlane plane = ControlPlanes.open(control, "bench-audit");
                 AuditRole audit = AuditRole.start(new AuditConfig(control, dir.resolve("offsets.dat"), "pga_audit", "pga_audit", null,
                         1000, Duration.ofMinutes(5), null, new S3Connection(null, "us-east-1", false, null, null)));
                 ApiServer api = FleetApi.start(new ApiConfig("127.0.0.1", 0, control.databaseUrl(), control.databaseUser(), null,
                         kafka.bootstrapServers()).withSchemaRegistry(registry.url()).withAdminToken(TOKEN)
                         .withRateLimits(new RateLimitSettings(10_000_000, 10_000_000, 1_000, List.of())), plane)) {
                HttpClient http = HttpClient.newHttpClient();
                // Warm-up: the capture's snapshot, the chain's first transaction, JIT.
                for (int i = 0; i < 50; i++) {
                    measure(http, api.url(), "warmup-" + i);
                }
                Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
                long started = System.nanoTime();
                for (int i = 0; i < changes; i++) {
                    histogram.recordValue(measure(http, api.url(), "bench-" + i));
                    if ((i + 1) % 100 == 0) {
                        System.out.printf("%d/%d changes, p50 %.0f ms, p99 %.0f ms so far%n", i + 1, changes,
                                histogram.getValueAtPercentile(50) / 1e6, histogram.getValueAtPercentile(99) / 1e6);
                    }
                    Thread.sleep(gapMillis);
                }
                System.out.printf("commit -> visible in GET /api/v1/audit, %d changes in %.0f s: p50 %.1f ms, p90 %.1f ms,"
                                + " p99 %.1f ms, max %.1f ms (target p99 <= 1000 ms)%n", changes,
                        (System.nanoTime() - started) / 1e9, histogram.getValueAtPercentile(50) / 1e6,
                        histogram.getValueAtPercentile(90) / 1e6, histogram.getValueAtPercentile(99) / 1e6, histogram.getMaxValue() / 1e6);
            } finally {
                StreamsSettings.stop(chain);
            }
        }
    }

    /** Nanoseconds from the change's answer (committed) to the first GET that shows its entry; polled every millisecond. */
    private static long measure(HttpClient http, String url, String group) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/groups"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + group + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        long committed = System.nanoTime();
        if (created.statusCode() != 201) {
            throw new IllegalStateException("POST /api/v1/groups answered " + created.statusCode() + ": " + created.body());
        }
        HttpRequest poll = HttpRequest.newBuilder(URI.create(url + "/api/v1/audit?limit=1&action=group.create&resourceId=" + group))
                .header("Authorization", "Bearer " + TOKEN).GET().build();
        long deadline = committed + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String body = http.send(poll, HttpResponse.BodyHandlers.ofString()).body();
            if (body.contains("\"seq\"")) {
                return System.nanoTime() - committed;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the entry of group " + group + " did not appear within 30 s");
    }
}
