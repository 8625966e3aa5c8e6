package io.pganalytics.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.onelogin.saml2.util.Constants;
import com.onelogin.saml2.util.Util;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.io.FileInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * SAML 2.0 sign-in with responses a test identity provider signs with its own key (Apache Santuario through java-saml's
 * {@code Util.addSign}): a good one signs in, and the classic attacks (unsigned, signed by another key, signature
 * wrapping, wrong audience, expired, replayed assertion id, wrong recipient or destination) are all refused.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class SamlSignInIT {

    static final String DATABASE = "pganalytics_saml";
    static final String IDP = "https://idp.example.com/saml";
    static final String SP = "https://pga.example.com/saml";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static PrivateKey idpKey;
    static X509Certificate idpCertificate;
    static PrivateKey otherKey;
    static X509Certificate otherCertificate;
    static ControlPlane fleet;
    static ApiServer api;
    static String acs;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        KeyStore idp = rsa("idp");
        idpKey = (PrivateKey) idp.getKey("idp", "test-password".toCharArray());
        idpCertificate = (X509Certificate) idp.getCertificate("idp");
        KeyStore other = rsa("other");
        otherKey = (PrivateKey) other.getKey("other", "test-password".toCharArray());
        otherCertificate = (X509Certificate) other.getCertificate("other");
        Path certificateFile = Files.writeString(dir.resolve("idp.crt"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(idpCertificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");

        ControlPlaneConfig control = ApiCalls.controlPlane(stack, DATABASE, 4);
        fleet = ControlPlanes.open(control, "saml-it");
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        acs = "http://127.0.0.1:" + port + "/api/v1/auth/saml/acs";
        SamlConfig saml = new SamlConfig(IDP, certificateFile, "https://idp.example.com/saml/sso", SP, acs, null, "groups",
                Map.of("admin", "pga-admins", "viewer", "staff"));
        api = FleetApi.start(ApiCalls.api(control, port).withSaml(saml), fleet);
    }

    @AfterAll
    static void stop() {
        ApiCalls.closeAll(api, fleet);
    }

    static KeyStore rsa(String alias) throws Exception {
        Path store = dir.resolve(alias + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", alias, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + alias, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "test-password", "-keypass", "test-password")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(store.toFile())) {
            keys.load(in, "test-password".toCharArray());
        }
        return keys;
    }

    /** What the test identity provider says in one assertion; each test changes what its attack needs. */
    record Assertion(String id, String user, List<String> groups, String audience, String recipient, Instant notOnOrAfter) {
        static Assertion good(String user, String group) {
            return new Assertion("_" + UUID.randomUUID(), user, List.of(group), SP, acs, Instant.now().plus(5, ChronoUnit.MINUTES));
        }

        String xml() {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            StringBuilder values = new StringBuilder();
            groups.forEach(g -> values.append("<saml:AttributeValue>").append(g).append("</saml:AttributeValue>"));
            return """
                    <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s">\
                    <saml:Issuer>%s</saml:Issuer>\
                    <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">%s</saml:NameID>\
                    <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">\
                    <saml:SubjectConfirmationData NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject>\
                    <saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction><saml:Audience>%s</saml:Audience>\
                    </saml:AudienceRestriction></saml:Conditions>\
                    <saml:AuthnStatement AuthnInstant="%s" SessionIndex="_s1"><saml:AuthnContext>\
                    <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>\
                    </saml:AuthnContext></saml:AuthnStatement>\
                    <saml:AttributeStatement><saml:Attribute Name="groups">%s</saml:Attribute></saml:AttributeStatement>\
                    </saml:Assertion>""".formatted(id, now, IDP, user, notOnOrAfter.truncatedTo(ChronoUnit.SECONDS), recipient,
                    now.minus(1, ChronoUnit.MINUTES), notOnOrAfter.truncatedTo(ChronoUnit.SECONDS), audience, now, values);
        }
    }

    /** The assertion signed (enveloped, RSA-SHA256, exclusive c14n) by {@code key}. */
    static String signed(String assertion, PrivateKey key, X509Certificate certificate) throws Exception {
        Document document = Util.loadXML(assertion);
        Element root = document.getDocumentElement();
        String signed = Util.addSign(root, key, certificate, Constants.RSA_SHA256, Constants.SHA256);
        return signed.replaceFirst("^<\\?xml[^>]*\\?>", "");
    }

    static String response(String destination, String... assertions) {
        return """
                <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" \
                ID="_%s" Version="2.0" IssueInstant="%s" Destination="%s"><saml:Issuer>%s</saml:Issuer>\
                <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>%s</samlp:Response>"""
                .formatted(UUID.randomUUID(), Instant.now().truncatedTo(ChronoUnit.SECONDS), destination, IDP, String.join("", assertions));
    }

    static HttpResponse<String> post(String responseXml) throws Exception {
        String form = "SAMLResponse=" + URLEncoder.encode(Base64.getEncoder().encodeToString(responseXml.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/auth/saml/acs")).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String role(HttpResponse<String> signedIn) throws Exception {
        String token = JSON.readTree(signedIn.body()).path("accessToken").asText();
        HttpResponse<String> me = HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/auth/me"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(me.body()).path("role").asText();
    }

    @Test
    void aSignedAssertionSignsTheUserInWithTheRoleOfTheirGroupAndOnlyOnce() throws Exception {
        String response = response(acs, signed(Assertion.good("Alice", "pga-admins").xml(), idpKey, idpCertificate));
        HttpResponse<String> signedIn = post(response);
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        assertThat(role(signedIn)).isEqualTo("admin");
        // the same response posted again: its assertion id is spent
        HttpResponse<String> replayed = post(response);
        assertThat(replayed.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(replayed.body()).path("message").asText()).isEqualTo("single sign-on refused");
    }

    @Test
    void theServiceProvidersMetadataNamesItsEntityAndAssertionConsumerService() throws Exception {
        HttpResponse<String> metadata = HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/v1/auth/saml/metadata")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(metadata.body()).contains("entityID=\"" + SP + "\"").contains("Location=\"" + acs + "\"")
                .contains("WantAssertionsSigned=\"true\"");
    }

    @Test
    void anUnsignedAssertionIsRefused() throws Exception {
        assertThat(post(response(acs, Assertion.good("bob", "staff").xml())).statusCode()).isEqualTo(401);
    }

    @Test
    void anAssertionSignedByAnotherKeyIsRefused() throws Exception {
        assertThat(post(response(acs, signed(Assertion.good("bob", "staff").xml(), otherKey, otherCertificate))).statusCode())
                .isEqualTo(401);
    }

    @Test
    void signatureWrappingIsRefused() throws Exception {
        String genuine = signed(Assertion.good("viewer-user", "staff").xml(), idpKey, idpCertificate);
        String evil = Assertion.good("evil-admin", "pga-admins").xml();
        // an unsigned assertion beside the signed one, in either order
        assertThat(post(response(acs, evil, genuine)).statusCode()).isEqualTo(401);
        assertThat(post(response(acs, genuine, evil)).statusCode()).isEqualTo(401);
        // the genuine signature moved into an assertion whose content was changed under the same id
        String signature = genuine.substring(genuine.indexOf("<ds:Signature"), genuine.indexOf("</ds:Signature>") + "</ds:Signature>".length());
        String genuineId = genuine.replaceAll("(?s).*?ID=\"([^\"]+)\".*", "$1");
        String forged = evil.replaceFirst("ID=\"[^\"]+\"", "ID=\"" + genuineId + "\"")
                .replaceFirst("</saml:Issuer>", "</saml:Issuer>" + signature);
        assertThat(post(response(acs, forged)).statusCode()).isEqualTo(401);
    }

    @Test
    void anAssertionForAnotherAudienceIsRefused() throws Exception {
        Assertion good = Assertion.good("carol", "staff");
        Assertion other = new Assertion(good.id(), good.user(), good.groups(), "https://another-sp.example.com", good.recipient(),
                good.notOnOrAfter());
        assertThat(post(response(acs, signed(other.xml(), idpKey, idpCertificate))).statusCode()).isEqualTo(401);
    }

    @Test
    void anExpiredAssertionIsRefused() throws Exception {
        Assertion good = Assertion.good("dave", "staff");
        Assertion expired = new Assertion(good.id(), good.user(), good.groups(), good.audience(), good.recipient(),
                Instant.now().minus(10, ChronoUnit.MINUTES));
        assertThat(post(response(acs, signed(expired.xml(), idpKey, idpCertificate))).statusCode()).isEqualTo(401);
    }

    @Test
    void aWrongRecipientOrDestinationIsRefused() throws Exception {
        Assertion good = Assertion.good("erin", "staff");
        Assertion elsewhere = new Assertion(good.id(), good.user(), good.groups(), good.audience(),
                "https://another-sp.example.com/acs", good.notOnOrAfter());
        assertThat(post(response(acs, signed(elsewhere.xml(), idpKey, idpCertificate))).statusCode()).isEqualTo(401);
        assertThat(post(response("https://another-sp.example.com/acs",
                signed(Assertion.good("erin", "staff").xml(), idpKey, idpCertificate))).statusCode()).isEqualTo(401);
    }

    @Test
    void aUserInNoMappedGroupIsRefused() throws Exception {
        assertThat(post(response(acs, signed(Assertion.good("frank", "marketing").xml(), idpKey, idpCertificate))).statusCode())
                .isEqualTo(401);
    }
}
