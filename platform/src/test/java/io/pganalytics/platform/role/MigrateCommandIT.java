package io.pganalytics.platform.role;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.platform.CommandRun;
import io.pganalytics.schemas.TopicSpec;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.testkit.EmbeddedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pganalytics migrate} on a bare broker and an empty database: everything the roles need, and again is a no-op. */
@EmbeddedStack(postgres = true, databases = "pganalytics_control")
class MigrateCommandIT {

    @Test
    void migrateCreatesTheSchemaAndEveryContractTopicAndRunsAgainAsANoOp(EmbeddedKafka kafka, EmbeddedPostgres postgres, @TempDir Path dir)
            throws Exception {
        Path config = dir.resolve("control.properties");
        Files.writeString(config, "control.database.url=" + postgres.jdbcUrl("pganalytics_control") + "\n"
                + "control.database.user=" + postgres.user() + "\n"
                + "kafka.bootstrap.servers=" + kafka.bootstrapServers() + "\n"
                + "schema.registry.url=http://127.0.0.1:1\n");

        CommandRun first = CommandRun.of("migrate", "--config", config.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("applied 9 migration(s)").contains("created " + Topics.FLEET_TARGETS + " (12 partitions, compact)")
                .contains(TopicContract.all().size() + " topic(s) created, 0 existed");
        try (Connection c = postgres.dataSource("pganalytics_control").getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                     + " AND table_name IN ('collectors', 'targets', 'commands', 'registration_secrets', 'idempotency_keys', 'alert_rules',"
                     + " 'collector_groups', 'projection_outbox', 'audit_outbox', 'audit_log')")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(10);
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            // The broker's metadata follows the controller's within moments of the creation.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                            .containsAll(TopicContract.all().stream().map(TopicSpec::name).toList()));
            String policy = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, Topics.FLEET_CONFIG))).all()
                    .get(30, TimeUnit.SECONDS).values().iterator().next().get("cleanup.policy").value();
            assertThat(policy).isEqualTo("compact");

            CommandRun again = CommandRun.of("migrate", "--config", config.toString());
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(again.out()).contains("the control-plane database is up to date")
                    .contains("0 topic(s) created, " + TopicContract.all().size() + " existed");

            // A stream topic someone created compacted is reported, not silently kept.
            admin.deleteTopics(List.of(Topics.FLEET_EVENTS)).all().get(30, TimeUnit.SECONDS);
            List<NewTopic> wrong = new ArrayList<>(List.of(new NewTopic(Topics.FLEET_EVENTS, 1, (short) 1)
                    .configs(Map.of("cleanup.policy", "compact"))));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> {
                        admin.createTopics(wrong).all().get(30, TimeUnit.SECONDS);
                        return true;
                    });
            CommandRun reported = CommandRun.of("migrate", "--config", config.toString(), "--skip-topics=false");
            assertThat(reported.exitCode()).isEqualTo(1);
            assertThat(reported.out()).contains("WRONG " + Topics.FLEET_EVENTS + " exists with cleanup.policy=compact, the contract says delete");
        }
    }
}
