package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.PasswordHash;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.HttpSchemaRegistryClient;
import io.pganalytics.schemas.registry.RegisteredSchema;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our HTTP client through every call it offers, against our server on a real broker: what a
 * serializer, a deserializer and an operator's tooling rely on.
 */
class RegistryClientIT {

    @TempDir
    static Path dataDir;
    static EmbeddedKafka kafka;
    static SchemaRegistryServer server;
    static SchemaRegistryClient client;

    static final Schema V1 = new Schema.Parser().parse("""
            {"type": "record", "name": "Probe", "namespace": "client.it", "fields": [
              {"name": "a", "type": "long"}]}""");
    static final Schema V2 = new Schema.Parser().parse("""
            {"type": "record", "name": "Probe", "namespace": "client.it", "fields": [
              {"name": "a", "type": "long"}, {"name": "b", "type": ["null", "string"], "default": null}]}""");
    /** a changes type: not readable as V2's successor. */
    static final Schema BROKEN = new Schema.Parser().parse("""
            {"type": "record", "name": "Probe", "namespace": "client.it", "fields": [
              {"name": "a", "type": "string"}]}""");

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        server = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers()).withPort(0));
        client = SchemaRegistryClient.forUrl(server.url());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void registersLooksUpAndReadsBack() {
        int id1 = client.register("probe-value", V1);
        int id2 = client.register("probe-value", V2);

        assertThat(id2).isNotEqualTo(id1);
        assertThat(client.register("probe-value", V1)).as("registering again gives the same id").isEqualTo(id1);
        assertThat(client.schemaById(id1)).isEqualTo(V1);
        assertThat(client.lookup("probe-value", V2)).hasValueSatisfying(found -> {
            assertThat(found.id()).isEqualTo(id2);
            assertThat(found.version()).isEqualTo(2);
        });
        assertThat(client.idOf("probe-value", V1)).contains(id1);
        RegisteredSchema latest = client.latest("probe-value");
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.schema()).isEqualTo(V2);
        assertThat(client.version("probe-value", "1").id()).isEqualTo(id1);
        assertThat(client.versions("probe-value")).containsExactly(1, 2);
        assertThat(client.subjects()).contains("probe-value");
        assertThat(client.register("other-probe-value", V1)).as("one id per schema across subjects").isEqualTo(id1);
    }

    @Test
    void compatibilityIsCheckedBeforeAndEnforcedOnRegister() {
        client.register("compat-value", V1);
        client.register("compat-value", V2);

        assertThat(client.testCompatibility("compat-value", "latest", V2, false).isCompatible()).isTrue();
        var verdict = client.testCompatibility("compat-value", "latest", BROKEN, true);
        assertThat(verdict.isCompatible()).isFalse();
        assertThat(verdict.messages()).isNotEmpty().anySatisfy(m -> assertThat(m).contains("a"));

        assertThatThrownBy(() -> client.register("compat-value", BROKEN))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.isIncompatible()).isTrue());
    }

    @Test
    void unknownThingsAreNotFoundWithConfluentCodes() {
        assertThat(client.lookup("nobody-value", V1)).isEmpty();
        assertThatThrownBy(() -> client.schemaById(987_654))
                .isInstanceOfSatisfying(SchemaRegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND));
        assertThatThrownBy(() -> client.latest("nobody-value"))
                .isInstanceOfSatisfying(SchemaRegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND));
    }

    @Test
    void ourGeneratedSchemasRegisterAsTheyAre() {
        int id = client.register("pga.raw.database-value", DatabaseSample.getClassSchema());
        assertThat(client.schemaById(id)).isEqualTo(DatabaseSample.getClassSchema());
    }

    @Test
    void aDeadUrlIsSkippedForTheNextOne() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        SchemaRegistryClient failover = new HttpSchemaRegistryClient(
                List.of("http://127.0.0.1:" + deadPort, server.url()), null, 3, Duration.ofMillis(10));
        assertThat(failover.register("failover-value", V1)).isPositive();
    }

    @Test
    void basicAuthCredentialsAreSentAndChecked() {
        RegistryConfig secured = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("_schemas_auth")
                .withGroupId("registry-client-it-auth")
                .withBasicAuthUsers(Map.of("producer", PasswordHash.of("s3cret-pass".toCharArray())));
        try (SchemaRegistryServer server = SchemaRegistryServer.start(secured)) {
            SchemaRegistryClient withCredentials = SchemaRegistryClient.forUrls(List.of(server.url()), "producer:s3cret-pass");
            assertThat(withCredentials.register("auth-value", V1)).isPositive();

            SchemaRegistryClient wrong = SchemaRegistryClient.forUrls(List.of(server.url()), "producer:nope");
            assertThatThrownBy(() -> wrong.subjects())
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
        }
    }
}
