package io.pganalytics.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two registries on one topic, as behind a load balancer: the whole conformance suite is spoken to the follower
 * (every write forwarded to the leader), both answer reads alike, concurrent writes through both never share an
 * id or version, and the follower takes over when the leader stops.
 */
class RegistryClusterIT extends RegistryConformance {

    @TempDir
    static Path dataDir;

    private static EmbeddedKafka kafka;
    private static SchemaRegistryServer leader;
    private static SchemaRegistryServer follower;

    @BeforeAll
    static void startBrokerAndTwoRegistries() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).port(0).start();
        leader = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers()).withPort(0));
        follower = SchemaRegistryServer.start(RegistryConfig.of(kafka.bootstrapServers()).withPort(0)
                .withLeaderEligible(false));
    }

    @AfterAll
    static void stopEverything() {
        for (AutoCloseable closeable : new AutoCloseable[] {follower, leader, kafka}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    RegistryHttp registry() {
        return RegistryHttp.to(follower.url());
    }

    @Test
    void oneInstanceLeadsAndBothAnswerReadsAlike() {
        assertThat(leader.isLeader()).isTrue();
        assertThat(follower.isLeader()).isFalse();
        RegistryHttp viaFollower = RegistryHttp.to(follower.url());
        RegistryHttp viaLeader = RegistryHttp.to(leader.url());

        int id = viaFollower.register("cluster-reads-value", A);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(viaLeader.get("/subjects/cluster-reads-value/versions/latest").body())
                        .isEqualTo(viaFollower.get("/subjects/cluster-reads-value/versions/latest").body()));
        assertThat(viaLeader.get("/schemas/ids/" + id).body()).isEqualTo(viaFollower.get("/schemas/ids/" + id).body());
    }

    @Test
    void concurrentRegistrationsThroughBothInstancesGetDistinctIdsAndVersions() throws Exception {
        RegistryHttp viaFollower = RegistryHttp.to(follower.url());
        RegistryHttp viaLeader = RegistryHttp.to(leader.url());
        viaLeader.put("/config/cluster-race-value", RegistryHttp.level("NONE")).ok();
        List<Callable<Integer>> registrations = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            RegistryHttp via = i % 2 == 0 ? viaFollower : viaLeader;
            String schema = RegistryHttp.record("Race" + i, "{\"name\": \"n\", \"type\": \"int\"}");
            registrations.add(() -> via.register("cluster-race-value", schema));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Set<Integer> ids = new HashSet<>();
        try {
            for (Future<Integer> future : pool.invokeAll(registrations)) {
                ids.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ids).hasSize(16);
        assertThat(viaFollower.get("/subjects/cluster-race-value/versions").ok().json()).hasSize(16);
        assertThat(viaFollower.get("/subjects/cluster-race-value/versions").ok().json().toString())
                .isEqualTo("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]");
    }

    @Test
    void anEligibleInstanceTakesOverWhenTheLeaderStops() {
        RegistryConfig config = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("failover-schemas")
                .withGroupId("failover-registry");
        try (SchemaRegistryServer first = SchemaRegistryServer.start(config);
             SchemaRegistryServer second = SchemaRegistryServer.start(config)) {
            SchemaRegistryServer leading = first.isLeader() ? first : second;
            SchemaRegistryServer other = leading == first ? second : first;
            RegistryHttp survivor = RegistryHttp.to(other.url());
            int before = survivor.register("failover-value", A);

            leading.close();

            await().atMost(Duration.ofSeconds(20)).until(other::isLeader);
            int after = survivor.register("failover-other-value", B);
            assertThat(after).isGreaterThan(before);
            assertThat(survivor.get("/subjects/failover-value/versions").ok().json().toString()).isEqualTo("[1]");
        }
    }
}
