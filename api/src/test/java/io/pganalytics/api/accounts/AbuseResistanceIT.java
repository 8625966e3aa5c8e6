package io.pganalytics.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.RateLimitSettings;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits and the login lockout on two API replicas behind a "proxy" (the tests say who the client is with
 * {@code X-Forwarded-For}, which the replicas trust from 127.0.0.1): limits shared by the replicas, 429 with its
 * headers, brute force from one address and from a thousand.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class AbuseResistanceIT {

    static final String DATABASE = "pganalytics_abuse";
    static final String PASSWORD = "correct horse battery staple";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final int USER_LIMIT = 20;
    static final int COLLECTOR_LIMIT = 30;
    static final int LOGIN_LIMIT = 10;
    static EmbeddedPostgres postgres;
    static ControlPlane fleetA;
    static ControlPlane fleetB;
    static ApiServer replicaA;
    static ApiServer replicaB;
    static final AtomicInteger ADDRESSES = new AtomicInteger();

    @BeforeAll
    static void start(TestStack stack) {
        postgres = stack.postgres();
        ControlPlaneConfig control = ApiCalls.controlPlane(stack, DATABASE, 8);
        fleetA = ControlPlanes.open(control, "abuse-it-a");
        fleetB = ControlPlanes.open(control, "abuse-it-b");
        ApiConfig api = ApiCalls.api(control, 0).withRateLimits(new RateLimitSettings(USER_LIMIT, COLLECTOR_LIMIT, LOGIN_LIMIT, List.of("127.0.0.1")));
        replicaA = FleetApi.start(api, fleetA);
        replicaB = FleetApi.start(api, fleetB);
        for (String name : List.of("admin-1", "victim", "bystander", "busy", "steady")) {
            fleetA.accounts().createUser(Actor.cli("it", "localhost"),
                    new Accounts.NewUser(name, name.equals("admin-1") ? "admin" : "user", PASSWORD));
        }
    }

    @AfterAll
    static void stop() {
        ApiCalls.closeAll(replicaA, replicaB, fleetA, fleetB);
    }

    /** A client address of its own: what a test asks for to stay out of the other tests' login buckets. */
    static String newAddress() {
        int n = ADDRESSES.incrementAndGet();
        return "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
    }

    static HttpResponse<String> call(ApiServer api, String method, String path, String token, String body, String from)
            throws Exception {
        return ApiCalls.call(api, method, path, token, body, Map.of("X-Forwarded-For", from));
    }

    static HttpResponse<String> login(ApiServer api, String name, String password, String from) throws Exception {
        return call(api, "POST", "/api/v1/auth/login", null, JSON.writeValueAsString(Map.of("name", name, "password", password)), from);
    }

    static String accessToken(String name) throws Exception {
        HttpResponse<String> response = login(replicaA, name, PASSWORD, newAddress());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("accessToken").asText();
    }

    static String error(HttpResponse<String> response) throws Exception {
        JsonNode body = JSON.readTree(response.body());
        return body.path("error").asText();
    }

    @Test
    void aUsersLimitIsSharedByTheReplicasAndAnsweredWithItsHeaders() throws Exception {
        String busy = accessToken("busy");
        String steady = accessToken("steady");
        String from = newAddress();
        for (int i = 0; i < USER_LIMIT; i++) {
            HttpResponse<String> ok = call(i % 2 == 0 ? replicaA : replicaB, "GET", "/api/v1/auth/me", busy, null, from);
            assertThat(ok.statusCode()).as("request %d: %s", i, ok.body()).isEqualTo(200);
            assertThat(ok.headers().firstValue("RateLimit-Limit")).hasValue(Integer.toString(USER_LIMIT));
            assertThat(ok.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(USER_LIMIT - 1 - i));
        }
        // two replicas, one budget: the next request is refused on either
        for (ApiServer replica : List.of(replicaA, replicaB)) {
            HttpResponse<String> limited = call(replica, "GET", "/api/v1/auth/me", busy, null, from);
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(error(limited)).isEqualTo("rate_limited");
            assertThat(limited.headers().firstValue("Retry-After").map(Long::parseLong)).hasValueSatisfying(s ->
                    assertThat(s).isBetween(1L, 60L));
            assertThat(limited.headers().firstValue("RateLimit-Remaining")).hasValue("0");
        }
        // another user from the same address is not affected
        assertThat(call(replicaB, "GET", "/api/v1/auth/me", steady, null, from).statusCode()).isEqualTo(200);
    }

    @Test
    void aCollectorTokenHasItsOwnLimitAndProbingRoutesSpendsIt() throws Exception {
        String admin = accessToken("admin-1");
        String secret = JSON.readTree(call(replicaA, "POST", "/api/v1/registration-secrets", admin, "{\"maxUses\":1}", newAddress())
                .body()).path("secret").asText();
        String token = JSON.readTree(call(replicaA, "POST", "/api/v1/collectors/register", null,
                "{\"secret\":\"" + secret + "\",\"name\":\"c\",\"hostname\":\"h\",\"version\":\"1\"}", newAddress()).body())
                .path("token").asText();
        String from = newAddress();
        for (int i = 0; i < COLLECTOR_LIMIT; i++) {
            assertThat(call(replicaB, "GET", "/api/v1/collectors", token, null, from).statusCode()).isEqualTo(403);
        }
        HttpResponse<String> limited = call(replicaA, "GET", "/api/v1/collectors", token, null, from);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("RateLimit-Limit")).hasValue(Integer.toString(COLLECTOR_LIMIT));
    }

    @Test
    void loginAttemptsFromOneAddressAreLimited() throws Exception {
        String from = newAddress();
        for (int i = 0; i < LOGIN_LIMIT; i++) {
            // a different unknown name each time: no lockout, only the address's budget
            assertThat(login(i % 2 == 0 ? replicaA : replicaB, "guess-" + i, "wrong password " + i, from).statusCode())
                    .isEqualTo(401);
        }
        HttpResponse<String> limited = login(replicaB, "busy", PASSWORD, from);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(error(limited)).isEqualTo("rate_limited");
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        // the right password from another address still signs in
        assertThat(login(replicaA, "busy", PASSWORD, newAddress()).statusCode()).isEqualTo(200);
    }

    @Test
    void aThousandWrongPasswordsFromOneAddressAreCutOffByItsLimit() throws Exception {
        String from = newAddress();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        for (int i = 0; i < 1000; i++) {
            statuses.merge(login(replicaA, "bystander", "wrong password " + i, from).statusCode(), 1, Integer::sum);
        }
        // 10 allowed through by the address's budget, 5 failures of which locked the name; the rest refused unhashed
        assertThat(statuses.getOrDefault(401, 0)).isBetween(Accounts.LOCKOUT_EVERY, LOGIN_LIMIT);
        assertThat(statuses.getOrDefault(429, 0)).isGreaterThanOrEqualTo(1000 - LOGIN_LIMIT);
        assertThat(statuses.keySet()).containsOnly(401, 429);
        // locked: the right password is refused, from anywhere
        HttpResponse<String> locked = login(replicaB, "bystander", PASSWORD, newAddress());
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(error(locked)).isEqualTo("account_locked");
        // the lockout ends (its time has come): the right password signs in and clears the count
        endLockout("bystander");
        assertThat(login(replicaB, "bystander", PASSWORD, newAddress()).statusCode()).isEqualTo(200);
    }

    @Test
    void aThousandWrongPasswordsFromAThousandAddressesLockTheAccountAndOtherUsersAreServedAsBefore() throws Exception {
        String bystander = accessToken("steady");
        List<Long> before = latencies(bystander, 200, new AtomicBoolean(true));
        AtomicBoolean attacking = new AtomicBoolean(true);
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        ExecutorService attackers = Executors.newFixedThreadPool(8);
        List<Future<?>> attacks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int n = i;
            attacks.add(attackers.submit(() -> {
                HttpResponse<String> response = login(n % 2 == 0 ? replicaA : replicaB, "victim", "guess number " + n, newAddress());
                outcomes.merge(response.statusCode() + " " + error(response), 1, Integer::sum);
                return null;
            }));
        }
        List<Long> during = latencies(bystander, 200, attacking);
        for (Future<?> attack : attacks) {
            attack.get();
        }
        attacking.set(false);
        attackers.shutdown();
        // a handful of guesses were checked before the lock; every other one was refused without hashing
        assertThat(outcomes.getOrDefault("401 unauthorized", 0)).isBetween(Accounts.LOCKOUT_EVERY, Accounts.LOCKOUT_EVERY + 8);
        assertThat(outcomes.getOrDefault("429 account_locked", 0)).isGreaterThanOrEqualTo(1000 - Accounts.LOCKOUT_EVERY - 8);
        HttpResponse<String> rightPassword = login(replicaA, "victim", PASSWORD, newAddress());
        assertThat(rightPassword.statusCode()).isEqualTo(429);
        assertThat(rightPassword.headers().firstValue("Retry-After").map(Long::parseLong)).hasValueSatisfying(s ->
                assertThat(s).isBetween(1L, 3600L));
        // an admin lifts the lockout
        String admin = accessToken("admin-1");
        HttpResponse<String> unlocked = call(replicaB, "POST", "/api/v1/users/victim/unlock", admin, null, newAddress());
        assertThat(JSON.readTree(unlocked.body()).path("unlocked").asBoolean()).isTrue();
        assertThat(login(replicaA, "victim", PASSWORD, newAddress()).statusCode()).isEqualTo(200);
        long p99Before = p99(before);
        long p99During = p99(during);
        System.out.printf("other users' /auth/me p99: %d ms before, %d ms during the brute force%n", p99Before / 1_000_000,
                p99During / 1_000_000);
        // Refused guesses cost no hash, so the server has time for everyone else (a generous bound: a slow CI machine)
        assertThat(p99During).isLessThan(Duration.ofMillis(Math.max(500, 10 * p99Before / 1_000_000)).toNanos());
    }

    /** {@code count} timed calls of a signed-in user's route (the user limit is 20 a minute: several users take turns). */
    static List<Long> latencies(String ignored, int count, AtomicBoolean go) throws Exception {
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < (count + USER_LIMIT - 1) / USER_LIMIT; i++) {
            String name = "latency-" + ADDRESSES.incrementAndGet();
            fleetA.accounts().createUser(Actor.cli("it", "localhost"), new Accounts.NewUser(name, "viewer", PASSWORD));
            tokens.add(accessToken(name));
        }
        for (int i = 0; i < count && go.get(); i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = call(i % 2 == 0 ? replicaA : replicaB, "GET", "/api/v1/auth/me",
                    tokens.get(i / USER_LIMIT), null, newAddress());
            nanos.add(System.nanoTime() - start);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        return nanos;
    }

    static long p99(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
    }

    /** What an hour of waiting would do, without the hour. */
    static void endLockout(String name) throws Exception {
        try (Connection connection = postgres.dataSource(DATABASE).getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE login_failures SET locked_until = now() - interval '1 second' WHERE account = '" + name + "'");
        }
    }
}
