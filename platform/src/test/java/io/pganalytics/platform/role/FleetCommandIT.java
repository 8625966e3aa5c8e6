package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.fleet.ControlChannel;
import io.pganalytics.collector.fleet.FleetController;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.platform.CommandRun;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pganalytics fleet} against a real broker and registry: what it writes is what collectors read. */
@EmbeddedStack(registry = true, postgres = true, databases = "pganalytics_control")
@ContractTopics({"pga.fleet.*", "pga.alert-rules"})
class FleetCommandIT {

    private static final String KEYS = SecretBox.generateKey("k1");

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static EmbeddedRegistry registry;
    static Path config;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        kafka = stack.kafka();
        registry = stack.registry();
        config = dataDir.resolve("fleet.properties");
        Files.writeString(config, "kafka.bootstrap.servers=" + kafka.bootstrapServers() + "\nschema.registry.url=" + registry.url()
                + "\nfleet.secret.keys=" + KEYS + "\ncontrol.database.url=" + stack.postgres().jdbcUrl("pganalytics_control")
                + "\ncontrol.database.user=" + stack.postgres().user() + "\n");
        assertThat(CommandRun.of("migrate", "--config", config.toString(), "--skip-topics").exitCode()).isZero();
    }

    private static CommandRun fleet(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "fleet";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--config";
        all[args.length + 2] = config.toString();
        return CommandRun.of(all);
    }

    /** The latest value per key of a compacted topic, null for a tombstone. */
    private static Map<String, Object> latest(String topic) {
        AvroDeserializer<Object> values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        Map<String, Object> latest = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "fleet-cli-it-" + System.nanoTime(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value()));
                return !consumer.assignment().isEmpty() && consumer.assignment().stream()
                        .allMatch(p -> consumer.position(p) >= consumer.endOffsets(List.of(p)).get(p));
            });
        }
        return latest;
    }

    @Test
    void targetsArePutListedAndRemovedWithTheirPasswordEncrypted() throws Exception {
        Path password = dataDir.resolve("db1.password");
        Files.writeString(password, "s3cret-pw\n");
        CommandRun put = fleet("targets", "put", "--id", "db1", "--url", "jdbc:postgresql://db1:5432/postgres", "--user", "monitor",
                "--password-file", password.toString(), "--preset", "minimal", "--family", "tables=60000", "--databases", "app,billing");
        assertThat(put.exitCode()).as(put.err()).isZero();
        assertThat(put.out()).isEqualTo("target db1 written to pga.fleet.targets, password encrypted with key k1");
        assertThat(fleet("targets", "put", "--id", "db2", "--url", "jdbc:postgresql://db2:5432/postgres", "--disabled").exitCode()).isZero();

        FleetTarget db1 = (FleetTarget) latest(Topics.FLEET_TARGETS).get("db1");
        assertThat(db1.getEncryptedPassword()).startsWith("v2:k1:").doesNotContain("s3cret");
        assertThat(SecretBox.parse(KEYS).decrypt(db1.getEncryptedPassword(), "target:db1")).isEqualTo("s3cret-pw");
        assertThat(db1.getPreset()).isEqualTo("minimal");
        assertThat(db1.getFamilyIntervalMillis()).containsEntry("tables", 60_000L);
        assertThat(db1.getDatabases()).containsExactly("app", "billing");
        assertThat(db1.getEnabled()).isTrue();

        CommandRun list = fleet("targets", "list");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).doesNotContain("s3cret").doesNotContain(db1.getEncryptedPassword())
                .contains("2 targets")
                .containsPattern("db1\\s+jdbc:postgresql://db1:5432/postgres\\s+monitor\\s+minimal\\s+true\\s+k1")
                .containsPattern("db2\\s+jdbc:postgresql://db2:5432/postgres\\s+-\\s+-\\s+false\\s+-");

        CommandRun remove = fleet("targets", "remove", "--id", "db2");
        assertThat(remove.exitCode()).isZero();
        Map<String, Object> after = latest(Topics.FLEET_TARGETS);
        assertThat(after).containsKey("db2");
        assertThat(after.get("db2")).as("tombstone").isNull();
        assertThat(fleet("targets", "list").out()).doesNotContain("db2").contains("1 targets");
    }

    @Test
    void desiredStateIsWrittenPerCollector() {
        CommandRun set = fleet("config", "set", "--collector", "c1", "--state", "stopped", "--log-level", "debug",
                "--family", "tables=0", "--family", "statements=60000");
        assertThat(set.exitCode()).as(set.err()).isZero();
        FleetConfig written = (FleetConfig) latest(Topics.FLEET_CONFIG).get("c1");
        assertThat(written.getState()).isEqualTo(DesiredState.STOPPED);
        assertThat(written.getLogLevel()).isEqualTo("DEBUG");
        assertThat(written.getFamilyIntervalMillis()).containsEntry("tables", 0L).containsEntry("statements", 60_000L);
    }

    @Test
    void aCommandPrintsTheCollectorsAcknowledgementOrTimesOut() {
        List<String> calls = new CopyOnWriteArrayList<>();
        FleetController controller = FleetController.of(() -> calls.add("pause"), () -> calls.add("resume"),
                () -> calls.add("restart"), () -> calls.add("collectNow"), m -> calls.add("reconfigure"),
                level -> calls.add("level " + level));
        CollectorConfig collector = new CollectorConfig("cmd-c1", kafka.bootstrapServers(), registry.url(), 1000, 1000, List.of());
        try (ControlChannel channel = ControlChannel.start(collector, controller, Map.of())) {
            CommandRun run = fleet("command", "--collector", "cmd-c1", "collect-now", "--wait", "30");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).matches("command [0-9a-f-]{36} collect-now on collector cmd-c1: done \\(collection started\\)");
            assertThat(calls).containsExactly("collectNow");
        }
        CommandRun nobody = fleet("command", "--collector", "nobody", "stop", "--wait", "2");
        assertThat(nobody.exitCode()).isEqualTo(3);
        assertThat(nobody.err()).contains("did not acknowledge it within 2 s");
    }

    @Test
    void statusShowsEachCollectorsLatestHeartbeatAndItsTargets() throws Exception {
        io.pganalytics.schemas.serde.AvroSerializer<io.pganalytics.schemas.fleet.Heartbeat> values =
                new io.pganalytics.schemas.serde.AvroSerializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        java.time.Instant now = java.time.Instant.now();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(Map.<String, Object>of(
                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new org.apache.kafka.common.serialization.StringSerializer(), values)) {
            for (String state : List.of("running", "stopped")) { // the second, later heartbeat is the one shown
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.FLEET_HEARTBEATS, "status-c1",
                        io.pganalytics.schemas.fleet.Heartbeat.newBuilder().setCollectorId("status-c1").setHostname("host-1")
                                .setVersion("0.1.0").setStartedAt(now.minusSeconds(600)).setSentAt(now).setIntervalMillis(10_000)
                                .setTargetsConfigured(2).setTargetsHealthy(1).setSamplesProduced(10).setSamplesFailed(1)
                                .setUptimeMillis(600_000).setState(state).setSpoolPendingRecords(7)
                                .setDroppedByFamily(Map.of("tables", 40L, "server", 2L)).setPreviousShutdown("unclean")
                                .setTargets(List.of(io.pganalytics.schemas.fleet.TargetReport.newBuilder().setTargetId("db-down")
                                        .setConnected(false).setLastSuccessAt(null).setLastError("cannot connect: refused")
                                        .setLastCycleMillis(2001L).build()))
                                .build())).get();
            }
        }
        CommandRun status = fleet("status", "--targets");
        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).contains("status-c1", "stopped", "host-1", "10m", "7 pending", "unclean", "db-down", "never",
                "2001", "cannot connect: refused");
        assertThat(status.out().lines().filter(l -> l.startsWith("status-c1 ")).count()).isEqualTo(1);
        assertThat(status.out()).containsPattern("status-c1 +stopped +host-1 +0\\.1\\.0 +10m +2 +1 +0 +7 pending, .* +42 +unclean");

        CommandRun unknown = fleet("status", "--collector", "nobody");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.out()).contains("no heartbeat in the last 10 minutes from nobody");
    }
}
