package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.schemas.serde.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent Confluent-compatible client, the npm package {@code @kafkajs/confluent-schema-registry} (pinned in
 * {@code src/test/resources/registry/confluent-js/package-lock.json}), pointed at our embedded registry: it
 * registers, looks up and reads back schemas, decodes a record our AvroSerializer wrote, and encodes one our
 * AvroDeserializer decodes. Node.js and npm are required: without them this test fails, it does not skip.
 */
class ConfluentJsClientIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK_DIR = Path.of("target", "confluent-js");
    private static final String RESOURCES = "/registry/confluent-js/";

    @TempDir
    static Path dataDir;

    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;

    @BeforeAll
    static void installClientAndStartRegistry() throws Exception {
        Files.createDirectories(WORK_DIR);
        for (String file : List.of("package.json", "package-lock.json", "check.js")) {
            try (InputStream in = ConfluentJsClientIT.class.getResourceAsStream(RESOURCES + file)) {
                assertThat(in).as(file).isNotNull();
                Files.copy(in, WORK_DIR.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        run(List.of("node", "--version"), 30);
        if (!Files.isDirectory(WORK_DIR.resolve("node_modules/@kafkajs/confluent-schema-registry"))) {
            // npm ci installs exactly the committed lock; scripts stay off, none is needed.
            run(List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"), 240);
        }
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theKafkaJsClientRegistersReadsBackAndDecodesOurRecords() throws Exception {
        Map<String, Object> serdeConfig = Map.of("schema.registry.url", registry.url(),
                "specific.avro.reader", "true");
        AvroSerializer<Heartbeat> serializer = new AvroSerializer<>();
        serializer.configure(serdeConfig, false);
        Heartbeat written = heartbeat("java-collector", 3);
        byte[] payload = serializer.serialize(Topics.FLEET_HEARTBEATS, written);
        int heartbeatId = WireFormat.schemaId(payload);

        ObjectNode input = JSON.createObjectNode()
                .put("url", registry.url())
                .put("subject", "confluent-js-value")
                .put("schema", RegistryHttp.record("JsCheck", "{\"name\": \"ok\", \"type\": \"boolean\"}"))
                .put("javaPayload", Base64.getEncoder().encodeToString(payload))
                .put("javaSchemaId", heartbeatId);
        input.set("recordToEncode", JSON.valueToTree(Map.of(
                "collectorId", "js-collector", "hostname", "node-host", "version", "js-1",
                "startedAt", 1_700_000_000_000L, "sentAt", 1_700_000_005_000L, "intervalMillis", 5000,
                "targetsConfigured", 4, "targetsHealthy", 4, "samplesProduced", 12, "samplesFailed", 0)));

        JsonNode seen = JSON.readTree(run(List.of("node", "check.js", input.toString()), 60));

        int id = seen.path("id").asInt();
        assertThat(id).isPositive();
        assertThat(seen.path("latestId").asInt()).isEqualTo(id);
        assertThat(seen.path("idBySchema").asInt()).isEqualTo(id);
        assertThat(seen.path("versionOneId").asInt()).isEqualTo(id);
        assertThat(seen.path("readBackName").asText()).isEqualTo("io.pganalytics.it.JsCheck");
        RegistryHttp http = RegistryHttp.to(registry.url());
        assertThat(http.get("/subjects/confluent-js-value/versions/latest").ok().json().path("id").asInt())
                .isEqualTo(id);

        JsonNode decoded = seen.path("decoded");
        assertThat(decoded.path("collectorId").asText()).isEqualTo("java-collector");
        assertThat(decoded.path("targetsHealthy").asInt()).isEqualTo(3);
        assertThat(decoded.path("startedAt").asLong()).isEqualTo(written.getStartedAt().toEpochMilli());

        AvroDeserializer<Heartbeat> deserializer = new AvroDeserializer<>();
        deserializer.configure(serdeConfig, false);
        Heartbeat fromJs = deserializer.deserialize(Topics.FLEET_HEARTBEATS,
                Base64.getDecoder().decode(seen.path("encoded").asText()));
        assertThat(fromJs.getCollectorId()).isEqualTo("js-collector");
        assertThat(fromJs.getSentAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_005_000L));
        assertThat(fromJs.getSamplesProduced()).isEqualTo(12L);
    }

    private static Heartbeat heartbeat(String collectorId, int healthy) {
        return Heartbeat.newBuilder()
                .setCollectorId(collectorId)
                .setHostname("db-host")
                .setVersion("0.1.0")
                .setStartedAt(Instant.ofEpochMilli(1_699_999_000_000L))
                .setSentAt(Instant.ofEpochMilli(1_699_999_900_000L))
                .setIntervalMillis(5000)
                .setTargetsConfigured(4)
                .setTargetsHealthy(healthy)
                .setSamplesProduced(100)
                .setSamplesFailed(1)
                .build();
    }

    /** Runs a command in the work directory; answers its stdout, failing the test with its output otherwise. */
    private static String run(List<String> command, int timeoutSeconds) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(new ArrayList<>(command)).directory(WORK_DIR.toFile())
                    .redirectError(WORK_DIR.resolve("stderr.log").toFile()).start();
        } catch (IOException e) {
            return fail("cannot run '" + command.get(0) + "': Node.js 20+ and npm must be installed and on the PATH"
                    + " for this test (it checks our registry with an independent Confluent client): " + e.getMessage());
        }
        String stdout;
        try {
            stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return fail("cannot read the output of " + command + ": " + e.getMessage());
        }
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return fail(command + " did not finish within " + timeoutSeconds + " s");
        }
        if (process.exitValue() != 0) {
            String stderr;
            try {
                stderr = Files.readString(WORK_DIR.resolve("stderr.log"));
            } catch (IOException e) {
                stderr = "(no stderr: " + e.getMessage() + ")";
            }
            return fail(command + " exited with " + process.exitValue() + ":\n" + stdout + "\n" + stderr);
        }
        return stdout;
    }
}
