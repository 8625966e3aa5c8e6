package io.pganalytics.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.config.InvalidValue;
import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API listener with TLS from PEM files: HTTPS only, HSTS on every answer, clear errors for bad files. */
class ApiTlsTest {

    @TempDir
    Path dir;

    /** A self-signed certificate and its key as PEM files, and the store a client trusts it from. */
    record Pem(Path certificate, Path key, KeyStore trust) {
    }

    Pem pem() throws Exception {
        // The JDK's keytool, because the certificate must name 127.0.0.1 for the client's host-name check.
        Path storeFile = dir.resolve("api.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", storeFile.toString(),
                "-storepass", "test-password", "-keypass", "test-password").redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(storeFile.toFile())) {
            store.load(in, "test-password".toCharArray());
        }
        String alias = "api";
        PrivateKey key = (PrivateKey) store.getKey(alias, "test-password".toCharArray());
        Certificate certificate = store.getCertificate(alias);
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes());
        Path certificateFile = Files.writeString(dir.resolve("api.crt"), "-----BEGIN CERTIFICATE-----\n"
                + mime.encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Path keyFile = Files.writeString(dir.resolve("api.key"), "-----BEGIN PRIVATE KEY-----\n"
                + mime.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("api", certificate);
        return new Pem(certificateFile, keyFile, trust);
    }

    static ApiConfig config() {
        return new ApiConfig("127.0.0.1", 0, "jdbc:postgresql://127.0.0.1:1/none", null, null, "127.0.0.1:1");
    }

    @Test
    void withACertificateTheApiSpeaksOnlyHttpsAndSendsHsts() throws Exception {
        Pem pem = pem();
        try (ApiServer api = ApiServer.start(config().withTls(pem.certificate(), pem.key()), List.of())) {
            assertThat(api.url()).startsWith("https://");
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(pem.trust());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(context).build();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create(api.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.headers().firstValue("Strict-Transport-Security")).hasValueSatisfying(v -> assertThat(v).startsWith("max-age="));
            // plain HTTP to the same port gets no API answer
            String plain = api.url().replace("https://", "http://") + "/health";
            assertThatThrownBy(() -> {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plain)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(400); // Jetty's answer to cleartext on a TLS port, if any
                throw new java.io.IOException("answered " + r.statusCode());
            }).isInstanceOf(java.io.IOException.class);
            // a client that does not trust the certificate is refused by TLS itself
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        }
    }

    @Test
    void withoutACertificateThereIsNoHsts() throws Exception {
        try (ApiServer api = ApiServer.start(config(), List.of())) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.headers().firstValue("Strict-Transport-Security")).isEmpty();
        }
    }

    @Test
    void badPemFilesAreNamedByTheirKey() throws Exception {
        Pem pem = pem();
        Path notAKey = Files.writeString(dir.resolve("rsa.key"), "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ApiServer.start(config().withTls(pem.certificate(), notAKey), List.of()))
                .isInstanceOf(InvalidValue.class).hasMessageContaining("api.tls.key").hasMessageContaining("openssl pkcs8");
        assertThatThrownBy(() -> ApiServer.start(config().withTls(dir.resolve("missing.crt"), pem.key()), List.of()))
                .isInstanceOf(InvalidValue.class).hasMessageContaining("api.tls.certificate");
        assertThatThrownBy(() -> ApiConfig.from(java.util.Map.of("control.database.url", "jdbc:postgresql://h/db",
                "kafka.bootstrap.servers", "k:9092", "schema.registry.url", "http://r:8081", "api.tls.certificate", "/x.crt"),
                java.util.Map.of()))
                .isInstanceOf(InvalidValue.class).hasMessageContaining("api.tls.key");
    }
}
