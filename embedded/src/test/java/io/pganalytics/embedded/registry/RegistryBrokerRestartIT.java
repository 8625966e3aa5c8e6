package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry writes again once its broker is back: a write that failed while the broker was away (its outcome
 * unknown to the leader) must not leave the leader refusing every later write as "not the leader", nor let it
 * plan the next write on a state that misses the failed one.
 */
class RegistryBrokerRestartIT {

    @TempDir
    Path dataDir;

    @Test
    void aWriteThatFailedWhileTheBrokerWasAwayIsFollowedByWritesOnceItIsBack() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
        int port = kafka.port();
        int controllerPort = kafka.controllerPort();
        try (SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers())
                .withPort(0))) {
            RegistryHttp http = RegistryHttp.to(registry.url());
            http.put("/config", RegistryHttp.level("NONE")).ok();
            int before = http.register("restart-value", RegistryConformance.A);

            // Away for longer than a write may take (30 s): the write gives up with its outcome unknown.
            kafka.close();
            RegistryHttp.Answer outage = CompletableFuture.supplyAsync(() ->
                    http.post("/subjects/restart-value/versions", RegistryHttp.body(RegistryConformance.B)))
                    .get(70, TimeUnit.SECONDS);
            assertThat(outage.status()).as(outage.body()).isEqualTo(500);
            kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(port).controllerPort(controllerPort)
                    .start();

            String schemaC = RegistryHttp.record("AfterRestart", "{\"name\": \"x\", \"type\": \"long\"}");
            int after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                RegistryHttp.Answer answer = http.post("/subjects/restart-value/versions", RegistryHttp.body(schemaC));
                return answer.status() == 200 ? answer.json().path("id").asInt() : -1;
            }, id -> id > 0);

            assertThat(after).isGreaterThan(before);
            // Whether or not B's write took effect after all, the versions have no gap and B has an id of its own.
            String versions = http.get("/subjects/restart-value/versions").ok().json().toString();
            assertThat(versions).isIn("[1,2]", "[1,2,3]");
            assertThat(http.register("restart-value", RegistryConformance.B)).isNotIn(before, after);
        } finally {
            kafka.close();
        }
    }
}
