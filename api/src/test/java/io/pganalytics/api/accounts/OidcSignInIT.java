package io.pganalytics.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OIDC sign-in against a real OpenID provider in-process (NAV's mock-oauth2-server: discovery, JWKS, authorization
 * code with PKCE), the browser's redirects followed by hand: two replicas, so that the callback reaches another
 * replica than the one that started the sign-in.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class OidcSignInIT {

    static final String DATABASE = "pganalytics_oidc";
    static final String CLIENT = "pganalytics-api";
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static final ObjectMapper JSON = new ObjectMapper();
    static MockOAuth2Server provider;
    static ControlPlane fleet;
    static ApiServer replicaA;
    static ApiServer replicaB;

    @BeforeAll
    static void start(TestStack stack) throws Exception {
        provider = new MockOAuth2Server();
        provider.start(0);
        ControlPlaneConfig control = ApiCalls.controlPlane(stack, DATABASE, 4);
        fleet = ControlPlanes.open(control, "oidc-it");
        // The redirect URI is replica B's callback: the browser comes back to another replica than it left.
        int portB;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            portB = socket.getLocalPort();
        }
        OidcConfig oidc = new OidcConfig(provider.issuerUrl("default").toString(), CLIENT, "client-secret",
                "http://127.0.0.1:" + portB + "/api/v1/auth/oidc/callback", List.of("openid", "profile"), "preferred_username",
                "groups", Map.of("admin", "pga-admins", "viewer", "staff"));
        replicaA = FleetApi.start(ApiCalls.api(control, 0).withOidc(oidc), fleet);
        replicaB = FleetApi.start(ApiCalls.api(control, portB).withOidc(oidc), fleet);
    }

    @AfterAll
    static void stop() {
        ApiCalls.closeAll(replicaA, replicaB, fleet);
        if (provider != null) {
            provider.shutdown();
        }
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** What a browser does: our login → the provider (which signs the queued user in) → back to our callback. */
    static String callbackUrl() throws Exception {
        HttpResponse<String> start = get(replicaA.url() + "/api/v1/auth/oidc/login");
        assertThat(start.statusCode()).as(start.body()).isEqualTo(302);
        String authorize = start.headers().firstValue("Location").orElseThrow();
        assertThat(authorize).startsWith(provider.issuerUrl("default").toString()).contains("code_challenge_method=S256")
                .contains("nonce=").contains("state=");
        HttpResponse<String> atProvider = get(authorize);
        assertThat(atProvider.statusCode()).as(atProvider.body()).isEqualTo(302);
        return atProvider.headers().firstValue("Location").orElseThrow();
    }

    static void signsIn(String subject, Map<String, Object> claims, List<String> audience) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback("default", subject, "JWT", audience, claims, 3600));
    }

    @Test
    void aProviderUserSignsInWithTheRoleOfTheirGroupAndGetsThisApisTokens() throws Exception {
        signsIn("alice-subject", Map.of("preferred_username", "Alice", "groups", List.of("staff", "pga-admins")), List.of(CLIENT));
        String callback = callbackUrl();
        assertThat(callback).startsWith(replicaB.url() + "/api/v1/auth/oidc/callback");
        HttpResponse<String> signedIn = get(callback);
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        JsonNode pair = JSON.readTree(signedIn.body());
        assertThat(pair.path("refreshToken").asText()).startsWith("pga_rt_");
        HttpResponse<String> me = HTTP.send(HttpRequest.newBuilder(URI.create(replicaA.url() + "/api/v1/auth/me"))
                .header("Authorization", "Bearer " + pair.path("accessToken").asText()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(me.body()).path("name").asText()).isEqualTo("alice");
        assertThat(JSON.readTree(me.body()).path("role").asText()).isEqualTo("admin");
        // the same callback again (a replayed redirect): its state is spent
        assertThat(get(callback).statusCode()).isEqualTo(401);
    }

    @Test
    void onlyAnIdTokenOfTheProviderForThisClientAndThisSignInIsAccepted() throws Exception {
        OidcSignIn signIn = new OidcSignIn(new OidcConfig(provider.issuerUrl("default").toString(), CLIENT, "client-secret",
                replicaB.url() + "/api/v1/auth/oidc/callback", List.of("openid"), "preferred_username", "groups",
                Map.of("viewer", "staff")), fleet.accounts());
        okhttp3.HttpUrl issuer = provider.issuerUrl("default");
        java.util.function.Function<Map<String, Object>, Map<String, Object>> token = extra -> {
            Map<String, Object> claims = new java.util.HashMap<>(Map.of("sub", "s", "aud", CLIENT, "nonce", "n-1",
                    "preferred_username", "tester"));
            claims.putAll(extra);
            return claims;
        };
        assertThat(signIn.validate(provider.anyToken(issuer, token.apply(Map.of()), Duration.ofMinutes(5)), "n-1")
                .getSubject().getValue()).isEqualTo("s");
        for (var bad : List.<java.util.function.Supplier<com.nimbusds.jwt.JWT>>of(
                () -> provider.anyToken(issuer, token.apply(Map.of("aud", "another-client")), Duration.ofMinutes(5)),
                () -> provider.anyToken(issuer, token.apply(Map.of("nonce", "n-2")), Duration.ofMinutes(5)),
                () -> provider.anyToken(provider.issuerUrl("another-issuer"), token.apply(Map.of()), Duration.ofMinutes(5)),
                () -> provider.anyToken(issuer, token.apply(Map.of()), Duration.ofMinutes(-5)),
                () -> new com.nimbusds.jwt.PlainJWT(claimsSet(issuer, token.apply(Map.of()))),
                () -> hs256(claimsSet(issuer, token.apply(Map.of())), "client-secret-padded-to-32-bytes!!"))) {
            com.nimbusds.jwt.JWT jwt = bad.get();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> signIn.validate(jwt, "n-1"))
                    .as(jwt.getJWTClaimsSet().toString()).isInstanceOf(ControlPlane.NotAuthorized.class);
        }
    }

    static com.nimbusds.jwt.JWTClaimsSet claimsSet(okhttp3.HttpUrl issuer, Map<String, Object> claims) {
        com.nimbusds.jwt.JWTClaimsSet.Builder builder = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer(issuer.toString())
                .issueTime(new java.util.Date()).expirationTime(new java.util.Date(System.currentTimeMillis() + 300_000));
        claims.forEach(builder::claim);
        return builder.build();
    }

    static com.nimbusds.jwt.SignedJWT hs256(com.nimbusds.jwt.JWTClaimsSet claims, String secret) {
        try {
            com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(
                    com.nimbusds.jose.JWSAlgorithm.HS256), claims);
            jwt.sign(new com.nimbusds.jose.crypto.MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return jwt;
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anExpiredIdTokenIsRefused() throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback("default", "late", "JWT", List.of(CLIENT),
                Map.of("preferred_username", "late", "groups", List.of("staff")), -120));
        assertThat(get(callbackUrl()).statusCode()).isEqualTo(401);
    }

    @Test
    void aUserInNoMappedGroupIsRefused() throws Exception {
        signsIn("outsider", Map.of("preferred_username", "outsider", "groups", List.of("marketing")), List.of(CLIENT));
        assertThat(get(callbackUrl()).statusCode()).isEqualTo(401);
    }

    @Test
    void anUnknownStateAForgedCallbackAndAProviderErrorAreRefused() throws Exception {
        String base = replicaB.url() + "/api/v1/auth/oidc/callback";
        assertThat(get(base + "?code=abc&state=made-up").statusCode()).isEqualTo(401);
        assertThat(get(base + "?code=abc").statusCode()).isEqualTo(401);
        assertThat(get(base + "?error=access_denied&state=x").statusCode()).isEqualTo(401);
        // a real state with a code the provider never issued
        signsIn("someone", Map.of("preferred_username", "someone", "groups", List.of("staff")), List.of(CLIENT));
        String callback = callbackUrl();
        String forged = callback.replaceAll("code=[^&]+", "code=forged-code");
        assertThat(get(forged).statusCode()).isIn(401, 503);
    }

    @Test
    void aProviderCannotSignInALocalAccountOfTheSameName() throws Exception {
        fleet.accounts().createUser(Actor.cli("it", "localhost"),
                new Accounts.NewUser("root-admin", "admin", "a local admin password"));
        signsIn("takeover", Map.of("preferred_username", "root-admin", "groups", List.of("pga-admins")), List.of(CLIENT));
        assertThat(get(callbackUrl()).statusCode()).isEqualTo(401);
    }
}
