package io.pganalytics.embedded.registry;

import static io.pganalytics.embedded.registry.RegistryHttp.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import io.pganalytics.registry.internal.AvroSchemas;
import io.pganalytics.registry.internal.RegistryState;
import io.pganalytics.registry.internal.SchemasTopic;
import io.pganalytics.registry.internal.StoreRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
        List<Integer> answered = new ArrayList<>();
        try {
            for (Future<Integer> future : pool.invokeAll(registrations)) {
                answered.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        // Should this ever fail, what the registry holds tells a lost write from a doubly planned one.
        assertThat(new HashSet<>(answered)).as(() -> "ids answered to Race0..Race15: " + answered
                        + "; versions held: " + viaLeader.get("/subjects/cluster-race-value/versions").body()
                        + "; " + heldVersions(viaLeader, "cluster-race-value", 17))
                .hasSize(16);
        assertThat(viaFollower.get("/subjects/cluster-race-value/versions").ok().json()).hasSize(16);
        assertThat(viaFollower.get("/subjects/cluster-race-value/versions").ok().json().toString())
                .isEqualTo("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]");
    }

    private static String heldVersions(RegistryHttp registry, String subject, int upTo) {
        StringBuilder held = new StringBuilder();
        for (int version = 1; version <= upTo; version++) {
            RegistryHttp.Answer answer = registry.get("/subjects/" + subject + "/versions/" + version);
            if (answer.status() == 200) {
                String name = AvroSchemas.parse(answer.json().path("schema").asText()).schema().getName();
                held.append("v").append(version).append(": id ").append(answer.json().path("id").asInt())
                        .append(' ').append(name).append("; ");
            }
        }
        return held.toString().trim();
    }

    /**
     * An instance that plans a write, loses the leadership, and takes it back after another instance wrote, must not
     * write its plan: it may give away an id the other instance gave meanwhile. The write is refused, and planning
     * again sees the other instance's write.
     */
    @Test
    void aWritePlannedBeforeALeadershipChangeIsRefusedAfterIt() {
        String topic = "term-schemas";
        RegistryState firstState = new RegistryState();
        RegistryState secondState = new RegistryState();
        try (SchemasTopic first = SchemasTopic.open(kafka.bootstrapServers(), topic, firstState,
                Duration.ofSeconds(30));
             SchemasTopic second = SchemasTopic.open(kafka.bootstrapServers(), topic, secondState,
                     Duration.ofSeconds(30))) {
            first.becomeLeader();
            long plannedIn = first.awaitCurrent();
            StoreRecord planned = schema("term-first-value", 1, "TermFirst");
            first.resign();
            second.becomeLeader();
            second.write(List.of(schema("term-second-value", 1, "TermSecond")), second.awaitCurrent());
            first.becomeLeader();

            assertThatThrownBy(() -> first.write(List.of(planned), plannedIn))
                    .isInstanceOf(SchemasTopic.NotLeaderException.class);
            first.awaitCurrent();
            assertThat(firstState.schemaById(1)).hasValueSatisfying(value ->
                    assertThat(value.subject()).isEqualTo("term-second-value"));
            assertThat(firstState.schemaCount()).isEqualTo(1);
        }
    }

    /**
     * A leader whose producer another one fenced (a zombie's, or a second registry misconfigured onto the same
     * topic and group-less) loses its writer: it takes the leadership back, caught up, while the group still gives
     * it the partition, and the write that met the fence is made then rather than failed.
     */
    @Test
    void aLeaderWhoseWriterWasFencedTakesItBackAndTheWriteGoesThrough() {
        RegistryConfig config = RegistryConfig.of(kafka.bootstrapServers()).withPort(0).withTopic("fenced-schemas")
                .withGroupId("fenced-registry");
        try (SchemaRegistryServer only = SchemaRegistryServer.start(config);
             SchemasTopic intruder = SchemasTopic.open(kafka.bootstrapServers(), "fenced-schemas", new RegistryState(),
                     Duration.ofSeconds(30))) {
            RegistryHttp registry = RegistryHttp.to(only.url());
            int before = registry.register("fenced-value", A);

            intruder.becomeLeader();
            intruder.resign();
            int after = registry.register("fenced-other-value",
                    record("Fenced", "{\"name\": \"n\", \"type\": \"int\"}"));

            assertThat(after).isEqualTo(before + 1);
            assertThat(only.isLeader()).isTrue();
        }
    }

    private static StoreRecord schema(String subject, int id, String name) {
        return StoreRecord.schema(RegistryState.valueOf(subject, 1, id,
                AvroSchemas.parse(record(name, "{\"name\": \"n\", \"type\": \"int\"}"))));
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
