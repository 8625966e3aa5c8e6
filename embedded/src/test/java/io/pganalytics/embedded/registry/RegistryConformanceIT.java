package io.pganalytics.embedded.registry;

import static io.pganalytics.embedded.registry.RegistryHttp.body;
import static io.pganalytics.embedded.registry.RegistryHttp.level;
import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.PasswordHash;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite against one registry instance on a real broker, plus what only a whole server shows:
 * everything comes back from {@code _schemas} after a restart, basic authentication, and TLS.
 */
class RegistryConformanceIT extends RegistryConformance {

    @TempDir
    static Path dataDir;

    private static EmbeddedKafka kafka;
    private static SchemaRegistryServer server;

    @BeforeAll
    static void startBrokerAndRegistry() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
        server = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers()).withPort(0));
    }

    @AfterAll
    static void stopRegistryAndBroker() {
        if (server != null) {
            server.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Override
    RegistryHttp registry() {
        return RegistryHttp.to(server.url());
    }

    @Test
    void aRestartedRegistryRebuildsEverythingFromItsTopic() {
        RegistryConfig config = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("restart-schemas")
                .withGroupId("restart-registry");
        String versions;
        String deletedVersions;
        String latest;
        String subjects;
        int idB;
        try (SchemaRegistryServer before = SchemaRegistryServer.start(config)) {
            RegistryHttp r = RegistryHttp.to(before.url());
            r.put("/config", level("FULL")).ok();
            r.put("/config/restart-value", level("NONE")).ok();
            r.register("restart-value", A);
            idB = r.register("restart-value", B);
            r.register("restart-value", D);
            r.delete("/subjects/restart-value/versions/2").ok();
            r.register("restart-gone-value", E);
            r.delete("/subjects/restart-gone-value").ok();
            r.put("/mode/restart-value", "{\"mode\": \"READONLY\"}").ok();
            versions = r.get("/subjects/restart-value/versions").ok().body();
            deletedVersions = r.get("/subjects/restart-value/versions?deleted=true").ok().body();
            latest = r.get("/subjects/restart-value/versions/latest").ok().body();
            subjects = r.get("/subjects?deleted=true").ok().body();
        }

        try (SchemaRegistryServer after = SchemaRegistryServer.start(config)) {
            RegistryHttp r = RegistryHttp.to(after.url());
            assertThat(r.get("/subjects/restart-value/versions").ok().body()).isEqualTo(versions);
            assertThat(r.get("/subjects/restart-value/versions?deleted=true").ok().body()).isEqualTo(deletedVersions);
            assertThat(r.get("/subjects/restart-value/versions/latest").ok().body()).isEqualTo(latest);
            assertThat(r.get("/subjects?deleted=true").ok().body()).isEqualTo(subjects);
            assertThat(r.get("/subjects").ok().json().toString()).doesNotContain("restart-gone-value");
            assertThat(r.get("/config").ok().json().path("compatibilityLevel").asText()).isEqualTo("FULL");
            assertThat(r.get("/config/restart-value").ok().json().path("compatibilityLevel").asText())
                    .isEqualTo("NONE");
            assertThat(r.get("/mode/restart-value").ok().json().path("mode").asText()).isEqualTo("READONLY");
            assertThat(r.get("/schemas/ids/" + idB).status()).isEqualTo(200);
            r.delete("/mode/restart-value").ok();
            int next = r.register("restart-next-value", RegistryHttp.record("AfterRestart",
                    "{\"name\": \"n\", \"type\": \"int\"}"));
            assertThat(next).isGreaterThan(idB + 1);
            assertThat(r.register("restart-value", B)).isEqualTo(idB);
            assertThat(r.get("/subjects/restart-value/versions").ok().json().toString()).isEqualTo("[1,3,4]");
        }
    }

    @Test
    void withBasicAuthenticationEveryRequestNeedsAKnownUser() {
        RegistryConfig config = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("auth-schemas")
                .withGroupId("auth-registry")
                .withBasicAuthUsers(Map.of("producer", PasswordHash.of("s3cret-pass".toCharArray())));
        try (SchemaRegistryServer secured = SchemaRegistryServer.start(config)) {
            RegistryHttp anonymous = RegistryHttp.to(secured.url());
            assertThat(anonymous.get("/subjects").status()).isEqualTo(401);
            assertThat(anonymous.get("/subjects").errorCode()).isEqualTo(401);
            assertThat(anonymous.as("producer", "wrong").get("/subjects").status()).isEqualTo(401);
            assertThat(anonymous.as("nobody", "s3cret-pass").get("/subjects").status()).isEqualTo(401);

            RegistryHttp producer = anonymous.as("producer", "s3cret-pass");
            int id = producer.register("auth-value", A);
            assertThat(producer.get("/schemas/ids/" + id).status()).isEqualTo(200);
            assertThat(producer.post("/subjects/auth-value/versions", body(A)).status()).isEqualTo(200);
        }
    }

    @Test
    void withAKeyStoreTheRegistryServesHttps(@TempDir Path keys) throws Exception {
        Path keystore = keys.resolve("registry.p12");
        generateKeyStore(keystore, "changeit-store");
        RegistryConfig config = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("tls-schemas")
                .withGroupId("tls-registry").withTls(RegistryConfig.Tls.of(keystore, "changeit-store"));
        try (SchemaRegistryServer secured = SchemaRegistryServer.start(config)) {
            assertThat(secured.url()).startsWith("https://");
            RegistryHttp r = RegistryHttp.to(secured.url(), trusting(keystore, "changeit-store"));
            int id = r.register("tls-value", A);
            assertThat(r.get("/schemas/ids/" + id).status()).isEqualTo(200);
        }
    }

    static void generateKeyStore(Path keystore, String password) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "registry",
                "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", password, "-keypass", password))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    static SSLContext trusting(Path keystore, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, password.toCharArray());
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
