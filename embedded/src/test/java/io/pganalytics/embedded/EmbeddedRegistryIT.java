package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import io.pganalytics.schemas.registry.RegisteredSchema;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on a real broker, spoken to over HTTP: registrations, lookups, compatibility, and ids that survive
 * a restart because they live in the broker's {@code _schemas} topic. One broker and one registry for the class;
 * each test uses its own subjects.
 */
class EmbeddedRegistryIT {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final String SAMPLE_V1 = """
            {"type": "record", "name": "DatabaseSample", "namespace": "io.pganalytics.it",
             "fields": [{"name": "datname", "type": "string"}]}""";
    private static final String SAMPLE_V2 = """
            {"type": "record", "name": "DatabaseSample", "namespace": "io.pganalytics.it",
             "fields": [{"name": "datname", "type": "string"},
                        {"name": "xact_commit", "type": "long", "default": 0}]}""";
    /** A required field without a default: new readers cannot read V1 data, so BACKWARD refuses it. */
    private static final String SAMPLE_BREAKING = """
            {"type": "record", "name": "DatabaseSample", "namespace": "io.pganalytics.it",
             "fields": [{"name": "datname", "type": "string"},
                        {"name": "blks_hit", "type": "long"}]}""";
    private static final String HEARTBEAT = """
            {"type": "record", "name": "Heartbeat", "namespace": "io.pganalytics.it",
             "fields": [{"name": "collectorId", "type": "string"}, {"name": "at", "type": "long"}]}""";

    @TempDir
    static Path dataDir;

    private static EmbeddedKafka kafka;
    private static EmbeddedRegistry registry;

    @BeforeAll
    static void startBrokerAndRegistry() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
        registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
    }

    @AfterAll
    static void stopRegistryAndBroker() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void twoVersionsOfASubjectAreServedByLookupIdAndVersion() throws Exception {
        String subject = "pga.raw.database-value";
        int v1 = register(registry, subject, SAMPLE_V1);
        int v2 = register(registry, subject, SAMPLE_V2);
        assertThat(v2).isNotEqualTo(v1);

        JsonNode lookup = send(registry, "POST", "/subjects/" + subject, schemaBody(SAMPLE_V1)).json();
        assertThat(lookup.path("subject").asText()).isEqualTo(subject);
        assertThat(lookup.path("id").asInt()).isEqualTo(v1);
        assertThat(lookup.path("version").asInt()).isEqualTo(1);

        JsonNode byId = get(registry, "/schemas/ids/" + v2).json();
        assertThat(JSON.readTree(byId.path("schema").asText())).isEqualTo(JSON.readTree(SAMPLE_V2));

        JsonNode latest = get(registry, "/subjects/" + subject + "/versions/latest").json();
        assertThat(latest.path("version").asInt()).isEqualTo(2);
        assertThat(latest.path("id").asInt()).isEqualTo(v2);
        assertThat(latest.path("schema").asText()).isEqualTo(byId.path("schema").asText());

        assertThat(get(registry, "/subjects/" + subject + "/versions").json().toString()).isEqualTo("[1,2]");
        assertThat(get(registry, "/subjects").json()).extracting(JsonNode::asText).contains(subject);
        // Registering a version again is idempotent: same id, no new version.
        assertThat(register(registry, subject, SAMPLE_V2)).isEqualTo(v2);
        assertThat(get(registry, "/subjects/" + subject + "/versions").json().toString()).isEqualTo("[1,2]");
    }

    @Test
    void anIncompatibleChangeIsRefusedWith409() throws Exception {
        String subject = "incompatible-value";
        register(registry, subject, SAMPLE_V1);

        Answer refused = send(registry, "POST", "/subjects/" + subject + "/versions", schemaBody(SAMPLE_BREAKING));

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("error_code").asInt()).isEqualTo(40901);
        assertThat(refused.json().path("message").asText()).contains("blks_hit");
        assertThat(get(registry, "/subjects/" + subject + "/versions").json().toString()).isEqualTo("[1]");
    }

    @Test
    void theSameSchemaUnderAnotherSubjectReusesItsId() throws Exception {
        int first = register(registry, "pga.fleet.heartbeats-value", HEARTBEAT);

        int second = register(registry, "heartbeats-copy-value", HEARTBEAT);

        assertThat(second).isEqualTo(first);
        assertThat(get(registry, "/subjects/heartbeats-copy-value/versions/1").json().path("id").asInt())
                .isEqualTo(first);
    }

    @Test
    void idsAndVersionsSurviveARestartOfTheRegistry() throws Exception {
        int v1;
        int v2;
        String latestBefore;
        try (EmbeddedRegistry before = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
            v1 = register(before, "restart-value", SAMPLE_V1);
            v2 = register(before, "restart-value", SAMPLE_V2);
            latestBefore = get(before, "/subjects/restart-value/versions/latest").body();
            send(before, "PUT", "/config/restart-value", "{\"compatibility\": \"FULL\"}");
        }

        try (EmbeddedRegistry after = EmbeddedRegistry.start(kafka.bootstrapServers(), 0)) {
            assertThat(get(after, "/subjects/restart-value/versions/latest").body()).isEqualTo(latestBefore);
            assertThat(get(after, "/subjects/restart-value/versions").json().toString()).isEqualTo("[1,2]");
            assertThat(JSON.readTree(get(after, "/schemas/ids/" + v1).json().path("schema").asText()))
                    .isEqualTo(JSON.readTree(SAMPLE_V1));
            assertThat(register(after, "restart-value", SAMPLE_V2)).isEqualTo(v2);
            assertThat(get(after, "/config/restart-value").json().path("compatibilityLevel").asText())
                    .isEqualTo("FULL");
            // A new schema after the restart continues the id sequence rather than reusing an id.
            int next = register(after, "restart-other-value", """
                    {"type": "record", "name": "AfterRestart", "fields": [{"name": "n", "type": "int"}]}""");
            assertThat(next).isGreaterThan(Math.max(v1, v2));
        }
    }

    @Test
    void malformedJsonIsAClientErrorWithAnErrorBody() throws Exception {
        Answer broken = send(registry, "POST", "/subjects/malformed-value/versions", "{\"schema\": ");
        Answer notAvro = send(registry, "POST", "/subjects/malformed-value/versions",
                schemaBody("{\"type\": \"record\", \"name\": \"NoFields\"}"));

        assertThat(broken.status()).isEqualTo(400);
        assertThat(broken.contentType()).isEqualTo(CONTENT_TYPE);
        assertThat(broken.json().path("error_code").asInt()).isEqualTo(400);
        assertThat(broken.json().path("message").asText()).isNotBlank();
        assertThat(notAvro.status()).isEqualTo(422);
        assertThat(notAvro.json().path("error_code").asInt()).isEqualTo(42201);
        assertThat(get(registry, "/subjects/malformed-value/versions").status()).isEqualTo(404);
    }

    @Test
    void theSchemasModulesClientWorksAgainstIt() {
        SchemaRegistryClient client = SchemaRegistryClient.forUrl(registry.url());
        Schema schema = new Schema.Parser().parse("""
                {"type": "record", "name": "ClientCheck", "namespace": "io.pganalytics.it",
                 "fields": [{"name": "ok", "type": "boolean"}]}""");

        int id = client.register("client-value", schema);

        assertThat(client.schemaById(id)).isEqualTo(schema);
        assertThat(client.lookup("client-value", schema)).map(RegisteredSchema::id).contains(id);
        assertThat(client.latest("client-value").version()).isEqualTo(1);
        assertThat(client.subjects()).contains("client-value");
        assertThat(client.lookup("client-value", new Schema.Parser().parse(HEARTBEAT))).isEmpty();
    }

    @Test
    void startRefusesATakenPortAndATopicThatIsNotSinglePartitionCompacted() {
        assertThatThrownBy(() -> EmbeddedRegistry.start(kafka.bootstrapServers(), registry.port()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Integer.toString(registry.port()));

        kafka.createTopics(new NewTopic("three-partition-schemas", 3, (short) 1));
        RegistryConfig spread = RegistryConfig.of(kafka.bootstrapServers()).withPort(0)
                .withTopic("three-partition-schemas");
        assertThatThrownBy(() -> SchemaRegistryServer.start(spread))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("three-partition-schemas has 3 partitions");

        kafka.createTopics(new NewTopic("deleting-schemas", 1, (short) 1)
                .configs(Map.of("cleanup.policy", "delete")));
        RegistryConfig deleting = spread.withTopic("deleting-schemas");
        assertThatThrownBy(() -> SchemaRegistryServer.start(deleting))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cleanup.policy=delete");
    }

    private static int register(EmbeddedRegistry target, String subject, String schema) throws Exception {
        Answer answer = send(target, "POST", "/subjects/" + subject + "/versions", schemaBody(schema));
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        return answer.json().path("id").asInt();
    }

    private static String schemaBody(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private static Answer get(EmbeddedRegistry target, String path) throws Exception {
        return send(target, "GET", path, null);
    }

    private static Answer send(EmbeddedRegistry target, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.url() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                response.body());
    }
}
