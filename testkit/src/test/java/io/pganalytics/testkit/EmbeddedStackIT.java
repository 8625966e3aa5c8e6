package io.pganalytics.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@EmbeddedStack(registry = true, postgres = true, postgresSettings = "max_connections=42", databases = "metrics",
        extensions = "pg_stat_statements")
@ContractTopics(value = "pga.fleet.*", partitions = 2)
@ContractTopics(Topics.FLEET_TARGETS)
class EmbeddedStackIT {

    @Test
    void theDeclaredTopicsExistWithTheirPartitions(EmbeddedKafka kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Map<String, TopicDescription> topics = admin.describeTopics(java.util.List.of(Topics.FLEET_TARGETS, Topics.FLEET_EVENTS))
                    .allTopicNames().get();
            assertThat(topics.get(Topics.FLEET_TARGETS).partitions()).hasSize(12);
            assertThat(topics.get(Topics.FLEET_EVENTS).partitions()).hasSize(2);
            assertThat(admin.listTopics().names().get()).noneMatch(name -> name.startsWith("pga.raw."));
        }
    }

    @Test
    void theRegistryAnswersOnTheBroker(EmbeddedRegistry registry) throws Exception {
        HttpResponse<String> subjects = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(subjects.statusCode()).isEqualTo(200);
    }

    @Test
    void postgresHasItsSettingsDatabasesAndExtensions(EmbeddedPostgres postgres) throws Exception {
        try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            assertThat(single(s, "SHOW max_connections")).isEqualTo("42");
            assertThat(single(s, "SELECT extname FROM pg_extension WHERE extname = 'pg_stat_statements'")).isEqualTo("pg_stat_statements");
            assertThat(single(s, "SELECT datname FROM pg_database WHERE datname = 'metrics'")).isEqualTo("metrics");
        }
    }

    @Test
    void aPartThatIsNotDeclaredSaysHowToDeclareIt(TestStack stack) {
        assertThatThrownBy(stack::connect).hasMessage("EmbeddedStackIT has no connect: declare @EmbeddedStack(connect = true)");
    }

    private static String single(Statement s, String sql) throws Exception {
        try (ResultSet rows = s.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    @Nested
    class NestedClasses {

        @Test
        void shareTheOuterClassesStack(TestStack stack, EmbeddedKafka kafka) {
            assertThat(stack.kafka()).isSameAs(kafka);
            assertThat(stack.toString()).contains("EmbeddedStackIT");
        }
    }
}
