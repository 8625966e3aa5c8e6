package io.pganalytics.fleet.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.fleet.admin.ControlPlane.AlertRuleSpec;
import io.pganalytics.fleet.admin.ControlPlane.Collector;
import io.pganalytics.fleet.admin.ControlPlane.CollectorPage;
import io.pganalytics.fleet.admin.ControlPlane.CollectorQuery;
import io.pganalytics.fleet.admin.ControlPlane.Command;
import io.pganalytics.fleet.admin.ControlPlane.IdempotencyKey;
import io.pganalytics.fleet.admin.ControlPlane.IssuedSecret;
import io.pganalytics.fleet.admin.ControlPlane.Registration;
import io.pganalytics.fleet.admin.ControlPlane.RegistrationRequest;
import io.pganalytics.fleet.admin.ControlPlane.RegistrationSecretSpec;
import io.pganalytics.fleet.admin.ControlPlane.StoredResponse;
import io.pganalytics.fleet.admin.internal.TopicClient;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The control plane on a real PostgreSQL and broker: the database is the truth, the topics follow it. */
@EmbeddedStack(registry = true, postgres = true, databases = "pganalytics_control")
@ContractTopics(value = {"pga.fleet.*", "pga.alert-rules"}, partitions = 2)
class ControlPlaneIT {

    private static final String KEYS = SecretBox.generateKey("k1");
    private static final Actor ALICE = new Actor("alice", "admin", "127.0.0.1");

    static TestStack stack;
    static ControlPlaneConfig config;
    @AutoClose
    static ControlPlane plane;
    @AutoClose
    static TopicClient topics;

    @BeforeAll
    static void start(TestStack testStack) {
        stack = testStack;
        EmbeddedPostgres postgres = stack.postgres();
        config = new ControlPlaneConfig(postgres.jdbcUrl("pganalytics_control"), postgres.user(), null, 4,
                stack.kafka().bootstrapServers(), stack.registry().url(), KEYS, true);
        assertThat(ControlPlanes.migrate(config)).isPositive();
        assertThat(ControlPlanes.migrate(config)).as("migrating again changes nothing").isZero();
        plane = ControlPlanes.open(config, "control-plane-it");
        topics = new TopicClient(stack.kafka().bootstrapServers(), stack.registry().url(), "control-plane-it-reader");
    }

    @Test
    void aSecretRegistersAsManyCollectorsAsItsUsesAndRefusesEveryBadSecretAlike() {
        assertThatThrownBy(() -> plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec("two hosts", "eu", Duration.ofHours(1), 2)))
                .isInstanceOf(InvalidValue.class).hasMessageContaining("no group 'eu'");
        plane.createGroup(ALICE, new ControlPlane.GroupSpec("eu", "Europe"));
        IssuedSecret secret = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec("two hosts", "eu", Duration.ofHours(1), 2));
        assertThat(secret.secret()).startsWith("pga_r_");

        Registration first = plane.register(request(secret.secret(), "db-host-1"), "10.0.0.1");
        Registration second = plane.register(request(secret.secret(), "db-host-2"), "10.0.0.2");
        assertThat(first.token()).startsWith("pga_c_").isNotEqualTo(second.token());
        assertThat(first.collector().group()).as("the secret's group").isEqualTo("eu");
        assertThat(plane.authenticateCollector(first.token())).map(Collector::id).contains(first.collector().id());

        assertThatThrownBy(() -> plane.register(request(secret.secret(), "db-host-3"), "10.0.0.3"))
                .isInstanceOf(ControlPlane.NotAuthorized.class).hasMessage("registration refused: the secret is unknown, expired, used up or revoked");
        assertThatThrownBy(() -> plane.register(request("pga_r_nonsense", "x"), "10.0.0.3"))
                .isInstanceOf(ControlPlane.NotAuthorized.class).hasMessage("registration refused: the secret is unknown, expired, used up or revoked");
        IssuedSecret revoked = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec(null, null, null, 5));
        plane.revokeRegistrationSecret(ALICE, revoked.info().id());
        assertThatThrownBy(() -> plane.register(request(revoked.secret(), "x"), "10.0.0.3")).isInstanceOf(ControlPlane.NotAuthorized.class);
    }

    @Test
    void theLastUseOfASecretGoesToOneOfTwoConcurrentRegistrations() {
        IssuedSecret secret = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec(null, null, null, 1));
        AtomicInteger refused = new AtomicInteger();
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            attempts.add(CompletableFuture.runAsync(() -> {
                try {
                    plane.register(request(secret.secret(), "race-" + n), "10.0.0.9");
                } catch (ControlPlane.NotAuthorized e) {
                    refused.incrementAndGet();
                }
            }));
        }
        attempts.forEach(CompletableFuture::join);
        assertThat(refused).hasValue(3);
    }

    @Test
    void pagesWalkEveryMatchingCollectorOnceInOrder() {
        IssuedSecret secret = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec(null, null, null, 200));
        for (int i = 0; i < 120; i++) {
            plane.register(new RegistrationRequest(secret.secret(), String.format("page-%03d", i), "host-" + i, i % 2 == 0 ? "1.0" : "1.1",
                    null, List.of(i % 3 == 0 ? "prod" : "test"), Map.of(), null), "10.0.1.1");
        }
        Set<String> seen = new HashSet<>();
        List<String> names = new ArrayList<>();
        String cursor = null;
        do {
            CollectorPage page = plane.listCollectors(new CollectorQuery(cursor, 7, "PAGE-", null, null, "prod", "1.0", null, false));
            page.items().forEach(c -> {
                assertThat(seen.add(c.id())).as("no collector twice").isTrue();
                names.add(c.name());
            });
            cursor = page.nextCursor();
        } while (cursor != null);
        // i % 3 == 0 and i even: i % 6 == 0, i < 120: 20 collectors.
        assertThat(names).hasSize(20).isSorted();
        assertThat(plane.tags()).filteredOn(t -> t.name().equals("prod")).singleElement()
                .extracting(ControlPlane.Tag::collectors).isEqualTo(40);

        CollectorPage newest = plane.listCollectors(new CollectorQuery(null, 5, "page-", null, null, null, null, "-registeredAt", false));
        assertThat(newest.items()).extracting(Collector::name).first().isEqualTo("page-119");
        assertThatThrownBy(() -> plane.listCollectors(new CollectorQuery("not-a-cursor", 5, null, null, null, null, null, null, false)))
                .isInstanceOf(InvalidValue.class).hasMessageContaining("cursor");
    }

    @Test
    void unregisteringArchivesTheCollectorOnItsTopicAndReRegisteringBringsItBack() {
        IssuedSecret secret = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec(null, null, null, 1));
        Registration registration = plane.register(request(secret.secret(), "to-archive"), "10.0.0.5");
        String id = registration.collector().id();

        assertThat(plane.unregister(ALICE, id).archived()).isTrue();
        assertThat(plane.authenticateCollector(registration.token())).as("its token is refused").isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_CONFIG).get(id) instanceof FleetConfig c
                && c.getState() == DesiredState.ARCHIVED);
        assertThatThrownBy(() -> plane.issueCommand(ALICE, id, CommandType.STOP, Duration.ofSeconds(30)))
                .isInstanceOf(ControlPlane.Conflict.class);

        Registration back = plane.reRegister(ALICE, id);
        assertThat(back.collector().archived()).isFalse();
        assertThat(plane.authenticateCollector(back.token())).isPresent();
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_CONFIG).get(id) instanceof FleetConfig c
                && c.getState() == DesiredState.RUNNING);
    }

    @Test
    void aCommandIsPublishedPendingAndAcknowledgedOnce() {
        IssuedSecret secret = plane.createRegistrationSecret(ALICE, new RegistrationSecretSpec(null, null, null, 1));
        String id = plane.register(request(secret.secret(), "commanded"), "10.0.0.6").collector().id();
        try (TopicClient.Tail control = topics.tail(Topics.FLEET_CONTROL)) {
            Command command = plane.issueCommand(ALICE, id, CommandType.STOP, Duration.ofSeconds(60));
            assertThat(command.status()).isEqualTo("pending");
            Object sent = control.await(v -> v instanceof FleetCommand c && c.getCommandId().equals(command.id()), Duration.ofSeconds(30));
            assertThat(sent).isInstanceOf(FleetCommand.class);
            assertThat(((FleetCommand) sent).getCommand()).isEqualTo(CommandType.STOP);

            plane.recordAcknowledgement(command.id(), "done", "stopped", java.time.Instant.now());
            plane.recordAcknowledgement(command.id(), "failed", "a late repeat", java.time.Instant.now());
            assertThat(plane.command(command.id())).get().satisfies(c -> {
                assertThat(c.status()).isEqualTo("acknowledged");
                assertThat(c.reason()).isEqualTo("stopped");
            });
        }
        Command unanswered = plane.issueCommand(ALICE, id, CommandType.RESUME, Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> plane.command(unanswered.id()).orElseThrow().status().equals("timed_out"));
        assertThat(plane.collector(id)).get().extracting(Collector::desiredState).isEqualTo("running");
    }

    @Test
    void resealingMovesEveryStoredSecretToTheNewFirstKeyAndTheOldKeyCanGo() throws Exception {
        plane.createTarget(ALICE, new TargetSpec("reseal-db", "jdbc:postgresql://reseal:5432/postgres", "pga", "reseal-pw", null,
                Map.of(), List.of(), true, null));
        String kid = plane.accounts().signingKeys().get(0).kid();
        plane.accounts().createUser(ALICE, new Accounts.NewUser("reseal-user", "viewer", "a password of twenty chars"));
        plane.accounts().beginTotp(ALICE, "reseal-user");
        String newKey = SecretBox.generateKey("k2");
        try (ControlPlane both = ControlPlanes.open(new ControlPlaneConfig(config.databaseUrl(), config.databaseUser(), null, 2,
                config.bootstrapServers(), config.schemaRegistryUrl(), newKey + "," + KEYS, false), "reseal-it")) {
            ControlPlane.ResealReport report = both.resealSecrets(ALICE);
            assertThat(report.keyId()).isEqualTo("k2");
            assertThat(report.targetPasswords()).isGreaterThanOrEqualTo(1);
            assertThat(report.signingKeys()).isGreaterThanOrEqualTo(1);
            assertThat(report.totpSecrets()).isGreaterThanOrEqualTo(1);
            assertThat(both.resealSecrets(ALICE)).as("a second run has nothing to do")
                    .isEqualTo(new ControlPlane.ResealReport("k2", 0, 0, 0));
        }
        try (Connection c = stack.postgres().dataSource("pganalytics_control").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT encrypted_password AS sealed FROM targets WHERE encrypted_password IS NOT NULL"
                     + " UNION ALL SELECT private_key_sealed FROM signing_keys UNION ALL SELECT totp_pending_sealed FROM users"
                     + " WHERE totp_pending_sealed IS NOT NULL")) {
            while (rs.next()) {
                assertThat(SecretBox.keyIdOf(rs.getString(1))).isEqualTo("k2");
            }
        }
        // with only the new key, everything still opens: the signing key, and the target as published to the fleet
        try (ControlPlane onlyNew = ControlPlanes.open(new ControlPlaneConfig(config.databaseUrl(), config.databaseUser(), null, 2,
                config.bootstrapServers(), config.schemaRegistryUrl(), newKey, false), "reseal-it-2")) {
            assertThat(onlyNew.accounts().signingKeys()).extracting(Accounts.SigningKey::kid).contains(kid);
            assertThat(onlyNew.target("reseal-db").orElseThrow().passwordKeyId()).isEqualTo("k2");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_TARGETS).get("reseal-db") instanceof FleetTarget t
                && "k2".equals(SecretBox.keyIdOf(t.getEncryptedPassword())));
    }

    @Test
    void aTargetsPasswordIsStoredOnlyEncryptedAndBoundToItsRow() throws Exception {
        plane.createTarget(ALICE, new TargetSpec("orders-db", "jdbc:postgresql://orders:5432/postgres", "pga", "s3cret-pw", null, Map.of(),
                List.of(), true, null));
        assertThatThrownBy(() -> plane.createTarget(ALICE, new TargetSpec("orders-db", "jdbc:postgresql://x:5432/postgres", null, null, null,
                Map.of(), List.of(), true, null))).isInstanceOf(ControlPlane.Conflict.class);

        String stored;
        try (Connection c = stack.postgres().dataSource("pganalytics_control").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM targets WHERE id = 'orders-db'")) {
            assertThat(rs.next()).isTrue();
            stored = rs.getString("encrypted_password");
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                assertThat(String.valueOf(rs.getObject(i))).doesNotContain("s3cret-pw");
            }
        }
        SecretBox box = SecretBox.parse(KEYS);
        assertThat(box.decrypt(stored, "target:orders-db")).isEqualTo("s3cret-pw");
        assertThatThrownBy(() -> box.decrypt(stored, "target:billing-db")).isInstanceOf(SecretBox.Undecryptable.class);
        assertThat(plane.target("orders-db")).get().satisfies(t -> {
            assertThat(t.passwordSet()).isTrue();
            assertThat(t.passwordKeyId()).isEqualTo("k1");
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_TARGETS).get("orders-db") instanceof FleetTarget t
                && stored.equals(t.getEncryptedPassword()));

        plane.replaceTarget(ALICE, new TargetSpec("orders-db", "jdbc:postgresql://orders2:5432/postgres", "pga", null, null, Map.of(),
                List.of(), true, null), true);
        assertThat(plane.target("orders-db")).get().extracting(ControlPlane.StoredTarget::passwordSet).isEqualTo(true);
        plane.removeTarget(ALICE, "orders-db");
        await().atMost(Duration.ofSeconds(30)).until(() -> !topics.readLatest(Topics.FLEET_TARGETS).containsKey("orders-db"));
    }

    @Test
    void changesMadeWhileKafkaIsAwayArePublishedWhenItIsBack() throws Exception {
        stack.kafka().close();
        plane.putAlertRule(ALICE, new AlertRuleSpec("many-backends", "database", "numbackends", "threshold", "above", 100.0, 60, 0, null, null,
                "too many connections"));
        plane.createTarget(ALICE, new TargetSpec("made-in-outage", "jdbc:postgresql://o:5432/postgres", null, null, null, Map.of(), List.of(),
                true, null));
        stack.restartKafka();
        await().atMost(Duration.ofSeconds(90)).until(() -> topics.readLatest(Topics.ALERT_RULES).get("many-backends") instanceof AlertRule r
                && r.getThreshold() == 100.0);
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_TARGETS).containsKey("made-in-outage"));
    }

    @Test
    void reconcilingRepublishesWhatTheTopicLostAndDeletesWhatOnlyTheTopicHas() {
        plane.createTarget(ALICE, new TargetSpec("kept", "jdbc:postgresql://k:5432/postgres", null, null, null, Map.of(), List.of(), true, null));
        await().atMost(Duration.ofSeconds(30)).until(() -> topics.readLatest(Topics.FLEET_TARGETS).containsKey("kept"));
        // Around the control plane: a target written straight to the topic, and the kept one deleted there.
        topics.write(Topics.FLEET_TARGETS, "rogue", FleetTarget.newBuilder().setTargetId("rogue").setUrl("jdbc:postgresql://r:5432/postgres")
                .setUpdatedAt(java.time.Instant.now()).build());
        topics.write(Topics.FLEET_TARGETS, "kept", null);

        plane.reconcile();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Map<String, Object> latest = topics.readLatest(Topics.FLEET_TARGETS);
            return latest.containsKey("kept") && !latest.containsKey("rogue");
        });
    }

    @Test
    void theSameIdempotencyKeyRunsItsWorkOnceAndAnotherBodyIsAConflict() {
        AtomicInteger runs = new AtomicInteger();
        IdempotencyKey key = new IdempotencyKey("alice", "key-1", new byte[] {1, 2, 3});
        List<CompletableFuture<StoredResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> plane.idempotently(key, () -> {
                int run = runs.incrementAndGet();
                plane.putAlertRule(ALICE, new AlertRuleSpec("idem-" + run, "database", "numbackends", "threshold", "above", 1.0, 0, 0, null, null, null));
                return new StoredResponse(201, "application/json", "{\"run\":" + run + "}");
            })));
        }
        assertThat(calls.stream().map(CompletableFuture::join).map(StoredResponse::body)).containsOnly("{\"run\":1}");
        assertThat(runs).hasValue(1);
        assertThat(plane.alertRule("idem-1")).isPresent();
        assertThatThrownBy(() -> plane.idempotently(new IdempotencyKey("alice", "key-1", new byte[] {9}), () -> new StoredResponse(200, "", "")))
                .isInstanceOf(ControlPlane.Conflict.class).extracting(e -> ((ControlPlane.Conflict) e).code()).isEqualTo("idempotency_key_reused");

        assertThatThrownBy(() -> plane.idempotently(new IdempotencyKey("alice", "key-2", new byte[] {1}), () -> {
            plane.putAlertRule(ALICE, new AlertRuleSpec("half-written", "database", "numbackends", "threshold", "above", 1.0, 0, 0, null, null, null));
            throw new InvalidValue("x", "a later check fails");
        })).isInstanceOf(InvalidValue.class);
        assertThat(plane.alertRule("half-written")).as("the failed request's change is rolled back").isEmpty();
    }

    @Test
    void testingAConnectionReportsVersionStatementsAndMissingRolesAndAClosedPortWithinItsTimeout() throws Exception {
        EmbeddedPostgres postgres = stack.postgres();
        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plain') THEN CREATE ROLE plain LOGIN PASSWORD 'plain-pw'; END IF; END $$");
        }
        ControlPlane.ConnectionReport asSuperuser = plane.testConnection(new TargetSpec("probe", postgres.jdbcUrl("postgres"), postgres.user(),
                null, null, Map.of(), List.of(), true, null), Duration.ofSeconds(5));
        assertThat(asSuperuser.reachable()).as(asSuperuser.error()).isTrue();
        assertThat(asSuperuser.serverVersionNum()).isGreaterThanOrEqualTo(130000);
        assertThat(asSuperuser.pgStatStatements()).isTrue();
        assertThat(asSuperuser.missingPermissions()).isEmpty();

        plane.createTarget(ALICE, new TargetSpec("plain-probe", postgres.jdbcUrl("postgres"), "plain", "plain-pw", null, Map.of(), List.of(),
                true, null));
        ControlPlane.ConnectionReport asPlain = plane.testConnection("plain-probe", Duration.ofSeconds(5));
        assertThat(asPlain.reachable()).as("with the stored password: " + asPlain.error()).isTrue();
        assertThat(asPlain.missingPermissions()).contains("pg_monitor");

        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            int port = closed.getLocalPort();
            closed.close();
            ControlPlane.ConnectionReport refused = plane.testConnection(new TargetSpec("nowhere", "jdbc:postgresql://127.0.0.1:" + port
                    + "/postgres", null, null, null, Map.of(), List.of(), true, null), Duration.ofSeconds(2));
            assertThat(refused.reachable()).isFalse();
            assertThat(refused.error()).isNotBlank();
            assertThat(refused.elapsedMillis()).isLessThan(5_000);
        }
        try (io.pganalytics.testkit.SilentServer silent = io.pganalytics.testkit.SilentServer.start()) {
            ControlPlane.ConnectionReport hung = plane.testConnection(new TargetSpec("hung", "jdbc:postgresql://127.0.0.1:" + silent.port()
                    + "/postgres", null, null, null, Map.of(), List.of(), true, null), Duration.ofSeconds(1));
            assertThat(hung.reachable()).isFalse();
            assertThat(hung.elapsedMillis()).as("the timeout holds on a server that never answers").isLessThan(4_000);
        }
    }

    @Test
    void aBulkImportWithOneBadRowWritesNothingAndReportsEveryRow() {
        List<Map<String, Object>> rows = List.of(
                Map.of("id", "imp-1", "url", "jdbc:postgresql://a:5432/postgres", "databases", List.of("app")),
                Map.of("id", "imp-2", "url", "postgres://b", "colour", "red"),
                Map.of("id", "imp-1", "url", "jdbc:postgresql://c:5432/postgres"));
        ControlPlane.ImportReport refused = plane.bulkImport(ALICE, new ControlPlane.ImportBatch("targets", rows, false));
        assertThat(refused.imported()).isFalse();
        assertThat(refused.rows()).extracting(ControlPlane.ImportRow::ok).containsExactly(true, false, false);
        assertThat(refused.rows().get(1).problems()).extracting(InvalidValue.Problem::path).contains("url", "colour");
        assertThat(refused.rows().get(2).problems()).extracting(InvalidValue.Problem::reason).anyMatch(r -> r.contains("appears twice"));
        assertThat(plane.target("imp-1")).as("all or nothing").isEmpty();

        List<Map<String, Object>> good = List.of(Map.of("id", "imp-1", "url", "jdbc:postgresql://a:5432/postgres"),
                Map.of("id", "imp-3", "url", "jdbc:postgresql://d:5432/postgres", "enabled", "false"));
        assertThat(plane.bulkImport(ALICE, new ControlPlane.ImportBatch("targets", good, true)).imported()).isFalse();
        assertThat(plane.target("imp-1")).as("a dry run writes nothing").isEmpty();
        assertThat(plane.bulkImport(ALICE, new ControlPlane.ImportBatch("targets", good, false)).imported()).isTrue();
        assertThat(plane.target("imp-3")).get().extracting(ControlPlane.StoredTarget::enabled).isEqualTo(false);

        ControlPlane.ImportReport collectors = plane.bulkImport(ALICE, new ControlPlane.ImportBatch("collectors",
                List.of(Map.of("id", "pre-1", "name", "Pre one", "tags", List.of("dc1"))), false));
        assertThat(collectors.imported()).isTrue();
        assertThat(plane.collector("pre-1")).get().satisfies(c -> assertThat(c.tags()).containsExactly("dc1"));
        Registration registered = plane.reRegister(ALICE, "pre-1");
        assertThat(plane.authenticateCollector(registered.token())).isPresent();
    }

    private static RegistrationRequest request(String secret, String name) {
        return new RegistrationRequest(secret, name, name + ".example", "1.0", null, List.of(), Map.of(), null);
    }
}
