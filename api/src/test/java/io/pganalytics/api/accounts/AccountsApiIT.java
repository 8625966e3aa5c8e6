package io.pganalytics.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static io.pganalytics.api.accounts.ApiCalls.call;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.api.routes.ApiRoute;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.fleet.admin.PasswordHasher;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sign-in, sessions and the permission matrix through real HTTP on two API replicas sharing one control-plane
 * database, so that a revocation made on one is seen refused on the other.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class AccountsApiIT {

    static final String DATABASE = "pganalytics_accounts";
    static final String PASSWORD = "correct horse battery staple";
    static final String GUARD_401 = "this route needs credentials";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedPostgres postgres;
    static ControlPlaneConfig control;
    static ControlPlane fleetA;
    static ControlPlane fleetB;
    static ApiServer replicaA;
    static ApiServer replicaB;
    static String kafka;
    static String registry;

    @BeforeAll
    static void start(TestStack stack) {
        postgres = stack.postgres();
        kafka = stack.kafka().bootstrapServers();
        registry = stack.registry().url();
        control = ApiCalls.controlPlane(stack, DATABASE, 4);
        fleetA = ControlPlanes.open(control, "accounts-it-a");
        fleetB = ControlPlanes.open(control, "accounts-it-b");
        // every route as every role is more than a minute's budget; limits have their own test (AbuseResistanceIT)
        ApiConfig api = ApiCalls.api(control, 0);
        replicaA = FleetApi.start(api, fleetA);
        replicaB = FleetApi.start(api, fleetB);
        Actor setup = Actor.cli("it", "localhost");
        for (String role : Accounts.ROLES) {
            fleetA.accounts().createUser(setup, new Accounts.NewUser(role + "-1", role, PASSWORD));
        }
    }

    @AfterAll
    static void stop() {
        ApiCalls.closeAll(replicaA, replicaB, fleetA, fleetB);
    }

    static JsonNode ok(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }

    static JsonNode login(ApiServer api, String name, String password) throws Exception {
        return ok(call(api, "POST", "/api/v1/auth/login", null, JSON.writeValueAsString(Map.of("name", name, "password", password))), 200);
    }

    static int status(ApiServer api, String token) throws Exception {
        return call(api, "GET", "/api/v1/auth/me", token, null).statusCode();
    }

    static void newUser(String name, String role) {
        fleetA.accounts().createUser(Actor.cli("it", "localhost"), new Accounts.NewUser(name, role, PASSWORD));
    }

    @Test
    void loginAnswersAPairWhoseAccessTokenCallsTheRoutesOfTheRole() throws Exception {
        JsonNode pair = login(replicaA, "viewer-1", PASSWORD);
        assertThat(pair.path("tokenType").asText()).isEqualTo("Bearer");
        assertThat(pair.path("expiresIn").asLong()).isEqualTo(900);
        assertThat(pair.path("refreshToken").asText()).startsWith("pga_rt_");
        String access = pair.path("accessToken").asText();
        JsonNode me = ok(call(replicaB, "GET", "/api/v1/auth/me", access, null), 200);
        assertThat(me.path("name").asText()).isEqualTo("viewer-1");
        assertThat(me.path("role").asText()).isEqualTo("viewer");
        assertThat(call(replicaB, "GET", "/api/v1/collectors", access, null).statusCode()).isEqualTo(200);
        assertThat(call(replicaB, "POST", "/api/v1/groups", access, "{\"name\":\"g\"}").statusCode()).isEqualTo(403);
        // the other replica verifies the same token with the shared key ring
        JsonNode jwks = ok(call(replicaB, "GET", "/.well-known/jwks.json", null, null), 200);
        assertThat(jwks.path("keys").findValuesAsText("kty")).containsOnly("OKP");
        assertThat(jwks.toString()).doesNotContain("\"d\"");
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGetTheSameAnswer() throws Exception {
        HttpResponse<String> wrong = call(replicaA, "POST", "/api/v1/auth/login", null,
                "{\"name\":\"user-1\",\"password\":\"not the password at all\"}");
        HttpResponse<String> unknown = call(replicaA, "POST", "/api/v1/auth/login", null,
                "{\"name\":\"nobody\",\"password\":\"not the password at all\"}");
        HttpResponse<String> injected = call(replicaA, "POST", "/api/v1/auth/login", null,
                "{\"name\":\"user-1' OR '1'='1\",\"password\":\"x\"}");
        for (HttpResponse<String> response : List.of(wrong, unknown, injected)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(response.body()).path("message").asText()).isEqualTo(Accounts.LOGIN_REFUSED);
        }
        assertThat(call(replicaA, "POST", "/api/v1/auth/login", null, "{\"name\":\"user-1\"}").statusCode()).isEqualTo(401);
        assertThat(call(replicaA, "POST", "/api/v1/auth/login", null, "{\"name\":\"user-1\",\"pw\":\"x\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void refreshRotatesAndAReplayedRefreshTokenEndsTheWholeSession() throws Exception {
        newUser("rotating", "user");
        JsonNode first = login(replicaA, "rotating", PASSWORD);
        String r1 = first.path("refreshToken").asText();
        JsonNode second = ok(call(replicaA, "POST", "/api/v1/auth/refresh", null, "{\"refreshToken\":\"" + r1 + "\"}"), 200);
        String r2 = second.path("refreshToken").asText();
        String access2 = second.path("accessToken").asText();
        assertThat(r2).isNotEqualTo(r1);
        assertThat(status(replicaB, access2)).isEqualTo(200);
        // r1 presented again: somebody else holds it; the family ends, r2 and its access token with it
        assertThat(call(replicaB, "POST", "/api/v1/auth/refresh", null, "{\"refreshToken\":\"" + r1 + "\"}").statusCode()).isEqualTo(401);
        assertThat(call(replicaA, "POST", "/api/v1/auth/refresh", null, "{\"refreshToken\":\"" + r2 + "\"}").statusCode()).isEqualTo(401);
        await().atMost(Duration.ofSeconds(1)).until(() -> status(replicaA, access2) == 401);
        // a refresh token is not an access token, nor the other way round
        assertThat(status(replicaA, r2)).isEqualTo(401);
        assertThat(call(replicaA, "POST", "/api/v1/auth/refresh", null, "{\"refreshToken\":\"" + access2 + "\"}").statusCode()).isEqualTo(401);
    }

    @Test
    void logoutRevokesTheAccessTokenOnEveryReplicaWithinOneSecond() throws Exception {
        JsonNode pair = login(replicaA, "user-1", PASSWORD);
        String access = pair.path("accessToken").asText();
        assertThat(status(replicaB, access)).isEqualTo(200);
        ok(call(replicaA, "POST", "/api/v1/auth/logout", access, null), 204);
        assertThat(status(replicaA, access)).isEqualTo(401);
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> status(replicaB, access) == 401);
        assertThat(call(replicaB, "POST", "/api/v1/auth/refresh", null,
                "{\"refreshToken\":\"" + pair.path("refreshToken").asText() + "\"}").statusCode()).isEqualTo(401);
        // another session of the same user lives on
        assertThat(status(replicaB, login(replicaB, "user-1", PASSWORD).path("accessToken").asText())).isEqualTo(200);
    }

    @Test
    void aPasswordChangeEndsEveryTokenIssuedBeforeIt() throws Exception {
        newUser("changer", "user");
        String other = login(replicaB, "changer", PASSWORD).path("accessToken").asText();
        String access = login(replicaA, "changer", PASSWORD).path("accessToken").asText();
        HttpResponse<String> wrongCurrent = call(replicaA, "POST", "/api/v1/auth/password", access,
                "{\"currentPassword\":\"wrong wrong wrong\",\"newPassword\":\"a brand new passphrase\"}");
        assertThat(wrongCurrent.statusCode()).isEqualTo(401);
        HttpResponse<String> weak = call(replicaA, "POST", "/api/v1/auth/password", access,
                "{\"currentPassword\":\"" + PASSWORD + "\",\"newPassword\":\"short\"}");
        assertThat(weak.statusCode()).isEqualTo(400);
        assertThat(weak.body()).contains("newPassword").doesNotContain("short");
        JsonNode renewed = ok(call(replicaA, "POST", "/api/v1/auth/password", access,
                "{\"currentPassword\":\"" + PASSWORD + "\",\"newPassword\":\"a brand new passphrase\"}"), 200);
        assertThat(status(replicaA, access)).isEqualTo(401);
        await().atMost(Duration.ofSeconds(1)).until(() -> status(replicaB, other) == 401);
        assertThat(status(replicaB, renewed.path("accessToken").asText())).isEqualTo(200);
        assertThat(call(replicaA, "POST", "/api/v1/auth/login", null,
                "{\"name\":\"changer\",\"password\":\"" + PASSWORD + "\"}").statusCode()).isEqualTo(401);
        login(replicaB, "changer", "a brand new passphrase");
    }

    @Test
    void anAdminDisablesAUserResetsAPasswordChangesARoleAndEndsSessions() throws Exception {
        newUser("managed", "viewer");
        String admin = login(replicaA, "admin-1", PASSWORD).path("accessToken").asText();
        String managed = login(replicaA, "managed", PASSWORD).path("accessToken").asText();
        // a role change applies to a token already issued, on the other replica too
        ok(call(replicaA, "PUT", "/api/v1/users/managed/role", admin, "{\"role\":\"user\"}"), 200);
        await().atMost(Duration.ofSeconds(1)).until(() ->
                JSON.readTree(call(replicaB, "GET", "/api/v1/auth/me", managed, null).body()).path("role").asText().equals("user"));
        // revoke all sessions
        ok(call(replicaA, "DELETE", "/api/v1/users/managed/sessions", admin, null), 200);
        await().atMost(Duration.ofSeconds(1)).until(() -> status(replicaB, managed) == 401);
        // disable: no login, no token
        String again = login(replicaA, "managed", PASSWORD).path("accessToken").asText();
        ok(call(replicaA, "POST", "/api/v1/users/managed/disable", admin, null), 200);
        await().atMost(Duration.ofSeconds(1)).until(() -> status(replicaB, again) == 401);
        assertThat(call(replicaB, "POST", "/api/v1/auth/login", null,
                "{\"name\":\"managed\",\"password\":\"" + PASSWORD + "\"}").statusCode()).isEqualTo(401);
        ok(call(replicaA, "POST", "/api/v1/users/managed/enable", admin, null), 200);
        ok(call(replicaA, "POST", "/api/v1/users/managed/password", admin, "{\"password\":\"reset by the admin 42\"}"), 200);
        login(replicaB, "managed", "reset by the admin 42");
        // users are listed without their hashes; creating one with a taken name or a bad role is refused
        HttpResponse<String> users = call(replicaA, "GET", "/api/v1/users", admin, null);
        assertThat(users.body()).contains("\"managed\"").doesNotContain("argon2").doesNotContain("password_hash");
        assertThat(call(replicaA, "POST", "/api/v1/users", admin,
                "{\"name\":\"managed\",\"role\":\"user\",\"password\":\"" + PASSWORD + "\"}").statusCode()).isEqualTo(409);
        assertThat(call(replicaA, "POST", "/api/v1/users", admin,
                "{\"name\":\"Bad Name\",\"role\":\"root\",\"password\":\"x\"}").body()).contains("name").contains("role").contains("password");
        assertThat(call(replicaA, "GET", "/api/v1/users/nobody", admin, null).statusCode()).isEqualTo(404);
    }

    @Test
    void aLoginRehashesAPasswordHashedWithOtherParameters() throws Exception {
        newUser("rehashed", "viewer");
        assertThat(hashOf("rehashed")).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        try (Accounts stronger = ControlPlanes.openAccounts(control.withPasswordHashing(new PasswordHasher.Parameters(8192, 3, 1)))) {
            stronger.authenticate("rehashed", PASSWORD);
        }
        assertThat(hashOf("rehashed")).startsWith("$argon2id$v=19$m=8192,t=3,p=1$");
        login(replicaA, "rehashed", PASSWORD);
    }

    static byte[] base32(String text) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (char c : text.toCharArray()) {
            buffer = buffer << 5 | alphabet.indexOf(c);
            bits += 5;
            if (bits >= 8) {
                out.write(buffer >>> bits - 8 & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    static String decodeQr(byte[] png) throws Exception {
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        com.google.zxing.BinaryBitmap bitmap = new com.google.zxing.BinaryBitmap(new com.google.zxing.common.HybridBinarizer(
                new com.google.zxing.RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
        return new com.google.zxing.qrcode.QRCodeReader().decode(bitmap).getText();
    }

    static HttpResponse<String> loginWith(ApiServer api, String name, String password, String code) throws Exception {
        Map<String, String> body = new LinkedHashMap<>(Map.of("name", name, "password", password));
        if (code != null) {
            body.put("code", code);
        }
        return call(api, "POST", "/api/v1/auth/login", null, JSON.writeValueAsString(body));
    }

    @Test
    void aTotpSecondFactorIsEnrolledByQrCodeAndEachCodeSignsInOnce() throws Exception {
        newUser("twofactor", "user");
        JsonNode enrolment = ok(call(replicaA, "POST", "/api/v1/auth/mfa/enrol", null,
                "{\"name\":\"twofactor\",\"password\":\"" + PASSWORD + "\"}"), 200);
        String uri = enrolment.path("otpauthUri").asText();
        assertThat(uri).startsWith("otpauth://totp/pgAnalytics:twofactor?secret=" + enrolment.path("secret").asText());
        assertThat(decodeQr(java.util.Base64.getDecoder().decode(enrolment.path("qrCodePng").asText()))).isEqualTo(uri);
        byte[] secret = base32(enrolment.path("secret").asText());
        long step = io.pganalytics.fleet.admin.Totp.step(java.time.Instant.now());
        String confirmBody = "{\"name\":\"twofactor\",\"password\":\"" + PASSWORD + "\",\"code\":\"%s\"}";
        assertThat(call(replicaA, "POST", "/api/v1/auth/mfa/confirm", null, confirmBody.formatted("000000")).statusCode()).isEqualTo(400);
        JsonNode confirmed = ok(call(replicaB, "POST", "/api/v1/auth/mfa/confirm", null,
                confirmBody.formatted(io.pganalytics.fleet.admin.Totp.code(secret, step))), 200);
        List<String> backups = new ArrayList<>();
        for (JsonNode code : confirmed.path("backupCodes")) {
            backups.add(code.asText());
        }
        assertThat(backups).hasSize(10).doesNotHaveDuplicates().allMatch(c -> c.matches("[a-z2-9]{5}-[a-z2-9]{5}"));
        // the password alone is no longer enough
        HttpResponse<String> passwordOnly = loginWith(replicaA, "twofactor", PASSWORD, null);
        assertThat(passwordOnly.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(passwordOnly.body()).path("error").asText()).isEqualTo("mfa_required");
        // the step used to confirm is spent; the next step's code (within the window) signs in, once, on any replica
        assertThat(loginWith(replicaA, "twofactor", PASSWORD, io.pganalytics.fleet.admin.Totp.code(secret, step)).statusCode()).isEqualTo(401);
        String next = io.pganalytics.fleet.admin.Totp.code(secret, step + 1);
        assertThat(loginWith(replicaB, "twofactor", PASSWORD, next).statusCode()).isEqualTo(200);
        assertThat(loginWith(replicaA, "twofactor", PASSWORD, next).statusCode()).isEqualTo(401);
        // a backup code, typed in capitals without its dash, works once
        String backup = backups.get(3);
        assertThat(loginWith(replicaA, "twofactor", PASSWORD, backup.replace("-", "").toUpperCase()).statusCode()).isEqualTo(200);
        assertThat(loginWith(replicaB, "twofactor", PASSWORD, backup).statusCode()).isEqualTo(401);
        // enrolling again needs the admin's reset first
        assertThat(call(replicaA, "POST", "/api/v1/auth/mfa/enrol", null, JSON.writeValueAsString(
                Map.of("name", "twofactor", "password", PASSWORD, "code", backups.get(4)))).statusCode()).isEqualTo(409);
        // wrong codes lock the name like wrong passwords
        for (int i = 0; i < Accounts.LOCKOUT_EVERY - 1; i++) {
            assertThat(loginWith(replicaA, "twofactor", PASSWORD, "12345" + i).statusCode()).isEqualTo(401);
        }
        assertThat(loginWith(replicaA, "twofactor", PASSWORD, "999999").statusCode()).isIn(401);
        assertThat(loginWith(replicaA, "twofactor", PASSWORD, backups.get(5)).statusCode()).isEqualTo(429);
        String admin = login(replicaA, "admin-1", PASSWORD).path("accessToken").asText();
        ok(call(replicaA, "POST", "/api/v1/users/twofactor/unlock", admin, null), 200);
        ok(call(replicaA, "POST", "/api/v1/users/twofactor/mfa/reset", admin, null), 200);
        assertThat(loginWith(replicaB, "twofactor", PASSWORD, null).statusCode()).isEqualTo(200);
    }

    @Test
    void aRoleThatRequiresMfaGetsNoTokenUntilItsUserEnrols() throws Exception {
        newUser("strict", "auditor");
        ApiConfig strictConfig = ApiCalls.api(control, 0).withMfaRequiredRoles(List.of("auditor"));
        try (ApiServer strict = FleetApi.start(strictConfig, fleetA)) {
            HttpResponse<String> refused = loginWith(strict, "strict", PASSWORD, null);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(refused.body()).path("error").asText()).isEqualTo("mfa_enrolment_required");
            assertThat(refused.body()).doesNotContain("accessToken");
            JsonNode enrolment = ok(call(strict, "POST", "/api/v1/auth/mfa/enrol", null,
                    "{\"name\":\"strict\",\"password\":\"" + PASSWORD + "\"}"), 200);
            byte[] secret = base32(enrolment.path("secret").asText());
            long step = io.pganalytics.fleet.admin.Totp.step(java.time.Instant.now());
            ok(call(strict, "POST", "/api/v1/auth/mfa/confirm", null, "{\"name\":\"strict\",\"password\":\"" + PASSWORD
                    + "\",\"code\":\"" + io.pganalytics.fleet.admin.Totp.code(secret, step) + "\"}"), 200);
            HttpResponse<String> signedIn = loginWith(strict, "strict", PASSWORD, io.pganalytics.fleet.admin.Totp.code(secret, step + 1));
            assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        }
    }

    static String hashOf(String user) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT password_hash FROM users WHERE name = '" + user + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * docs/security.md shows the matrix the routes enforce; run with {@code -Dpga.docs.write=true} to rewrite it:
     * {@code ./mvnw -pl api verify -Dit.test=AccountsApiIT -Dtest=none -Dpga.docs.write=true}.
     */
    @Test
    void theSecurityDocShowsThePermissionMatrixTheRoutesEnforce() throws Exception {
        java.nio.file.Path doc = java.nio.file.Path.of("..", "docs", "security.md");
        String text = java.nio.file.Files.readString(doc);
        String start = "<!-- permission-matrix:start -->\n";
        String end = "<!-- permission-matrix:end -->";
        int from = text.indexOf(start);
        int to = text.indexOf(end);
        assertThat(from).as("docs/security.md has the matrix markers").isNotNegative();
        assertThat(to).isGreaterThan(from);
        String expected = io.pganalytics.api.routes.PermissionMatrix.markdown(replicaB.routes().routes());
        String actual = text.substring(from + start.length(), to);
        if (Boolean.getBoolean("pga.docs.write")) {
            java.nio.file.Files.writeString(doc, text.substring(0, from + start.length()) + expected + text.substring(to));
            return;
        }
        assertThat(actual).as("docs/security.md's permission matrix; rewrite it with -Dpga.docs.write=true").isEqualTo(expected);
    }

    /**
     * Every route with every kind of caller: nobody gets past a rule that does not name their role (401 without a
     * credential, 403 with one), and everyone it names does. The matrix docs/security.md shows is this one.
     */
    @Test
    void everyRouteAnswersEveryRoleExactlyAsItsRuleSays() throws Exception {
        Map<Role, String> tokens = new EnumMap<>(Role.class);
        for (String role : Accounts.ROLES) {
            tokens.put(Role.valueOf(role.toUpperCase()), login(replicaA, role + "-1", PASSWORD).path("accessToken").asText());
        }
        String admin = tokens.get(Role.ADMIN);
        String secret = ok(call(replicaA, "POST", "/api/v1/registration-secrets", admin, "{\"maxUses\":1}"), 201).path("secret").asText();
        tokens.put(Role.COLLECTOR, ok(call(replicaA, "POST", "/api/v1/collectors/register", null,
                "{\"secret\":\"" + secret + "\",\"name\":\"m\",\"hostname\":\"h\",\"version\":\"1\"}"), 201).path("token").asText());
        List<String> mismatches = new ArrayList<>();
        Map<String, Integer> checked = new LinkedHashMap<>();
        for (ApiRoute route : replicaB.routes().routes()) {
            if (route.websocket() != null || route.path().equals("/api/v1/auth/logout") || route.path().endsWith("/sessions")) {
                continue; // a WebSocket upgrade is checked by EventsRoute's tests; logout and revocation would end the callers
            }
            String path = route.path().replaceAll("\\{[^}]+}", "matrix-x");
            String body = route.method().equals("GET") ? null : "{}";
            for (Role role : Role.values()) {
                HttpResponse<String> response = call(replicaB, route.method(), path, tokens.get(role), body);
                int status = response.statusCode();
                // A 401 of the guard, not of a credential in the body (login, refresh, the current password)
                boolean refused = status == 403 || status == 401 && response.body().contains(GUARD_401);
                boolean allowed = route.access().allows(role);
                if (allowed == refused || status >= 500) {
                    mismatches.add(route.method() + " " + route.path() + " as " + role + ": " + status + " (rule " + route.access() + ")");
                }
                checked.merge(role.name(), 1, Integer::sum);
            }
            if (!route.access().isOpen()) {
                HttpResponse<String> anonymous = call(replicaB, route.method(), path, null, body);
                if (anonymous.statusCode() != 401 || !anonymous.body().contains(GUARD_401)) {
                    mismatches.add(route.method() + " " + route.path() + " without credentials: " + anonymous.statusCode());
                }
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(checked.get("AUDITOR")).isGreaterThan(40);
    }
}
