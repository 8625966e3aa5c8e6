package io.pganalytics.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registry's operations over the state and an in-memory topic: what is written, and which errors come back. */
class RegistryTest {

    private final RegistryState state = new RegistryState();
    private final InMemoryStoreWriter topic = new InMemoryStoreWriter(state);
    private final Registry registry = new Registry(state, topic);

    @Test
    void registeringWritesOnceAndReRegisteringWritesNothing() {
        Registry.Registered first = registry.register("s", Schemas.V1);
        Registry.Registered again = registry.register("s", Schemas.V1);

        assertThat(first).isEqualTo(new Registry.Registered(1, 1, true));
        assertThat(again).isEqualTo(new Registry.Registered(1, 1, false));
        assertThat(topic.written()).hasSize(1);
    }

    @Test
    void concurrentRegistrationsOfDistinctSchemasGetDistinctIdsAndVersions() throws Exception {
        registry.setGlobalLevel("NONE");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Registry.Registered>> registrations = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String schema = "{\"type\": \"fixed\", \"name\": \"F" + i + "\", \"size\": 4}";
                registrations.add(() -> registry.register("s", schema));
            }
            Set<Integer> ids = ConcurrentHashMap.newKeySet();
            Set<Integer> versions = ConcurrentHashMap.newKeySet();
            for (Future<Registry.Registered> done : pool.invokeAll(registrations)) {
                ids.add(done.get().id());
                versions.add(done.get().version());
            }
            assertThat(ids).hasSize(40).allMatch(id -> id >= 1 && id <= 40);
            assertThat(versions).hasSize(40);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The duplicate-id race: a write is committed but the reader has not applied it when the writer gives up waiting
     * (or its outcome is unknown). The next registration must not be planned on that state, or it takes the same id.
     */
    @Test
    void aWriteIsNeverPlannedOnAStateThatMissesAnEarlierWrite() {
        LaggingWriter lagging = new LaggingWriter(state);
        Registry registry = new Registry(state, lagging);
        registry.setGlobalLevel("NONE");

        assertError(() -> registry.register("s", Schemas.V1), 500, RegistryException.OPERATION_TIMEOUT);
        Registry.Registered next = registry.register("s", Schemas.OTHER);

        assertThat(next.id()).isEqualTo(2);
        assertThat(next.version()).isEqualTo(2);
        assertThat(registry.schemaById(1).schema()).contains("Sample");
    }

    /**
     * A topic whose reader is slow: the first schema write is committed but not yet applied when write() gives up;
     * the reader catches up only when waited for ({@link #awaitCurrent()}).
     */
    private static final class LaggingWriter implements StoreWriter {
        private final RegistryState state;
        private final List<StoreRecord> committed = new ArrayList<>();
        private boolean lagged;

        LaggingWriter(RegistryState state) {
            this.state = state;
        }

        @Override
        public synchronized void write(List<StoreRecord> records, long plannedIn) {
            committed.addAll(records);
            if (!lagged && records.get(0).key() instanceof StoreKey.SchemaKey) {
                lagged = true;
                throw new SchemasTopic.StoreTimeoutException("the reader did not apply it in time");
            }
            awaitCurrent();
        }

        @Override
        public synchronized long awaitCurrent() {
            for (StoreRecord record : committed) {
                state.apply(TopicFormat.parseKey(record.keyBytes()), record.value());
            }
            committed.clear();
            return 0;
        }

        @Override
        public long appliedOffset() {
            return 0;
        }
    }

    @Test
    void errorsCarryConfluentsStatusAndCode() {
        registry.register("s", Schemas.V1);

        assertError(() -> registry.register("s", Schemas.V2_ADDS_REQUIRED), 409, 40901);
        assertError(() -> registry.register("s", "{\"type\": \"record\"}"), 422, 42201);
        assertError(() -> registry.register("s", "{\"type\": \"strin\"}"), 422, 42201);
        assertError(() -> registry.lookup("t", Schemas.V1), 404, 40401);
        assertError(() -> registry.lookup("s", Schemas.OTHER), 404, 40403);
        assertError(() -> registry.version("s", "2"), 404, 40402);
        assertError(() -> registry.version("s", "-2"), 422, 42202);
        assertError(() -> registry.version("t", "1"), 404, 40401);
        assertError(() -> registry.schemaById(2), 404, 40403);
        assertError(() -> registry.subjectLevel("s", false), 404, 40408);
        assertError(() -> registry.setSubjectLevel("s", "BACKWARDS"), 422, 42203);
    }

    @Test
    void latestAndMinusOneBothMeanTheNewestVersion() {
        registry.register("s", Schemas.V1);
        registry.register("s", Schemas.V2_ADDS_OPTIONAL);

        assertThat(registry.version("s", "latest").version()).isEqualTo(2);
        assertThat(registry.version("s", "-1").version()).isEqualTo(2);
        assertThat(registry.version("s", "1").version()).isEqualTo(1);
    }

    @Test
    void settingALevelIsWrittenToTheTopicAndTakesEffect() {
        registry.register("s", Schemas.V1);

        assertThat(registry.setSubjectLevel("s", "forward")).isEqualTo(CompatibilityLevel.FORWARD);

        assertThat(registry.register("s", Schemas.V2_ADDS_REQUIRED).version()).isEqualTo(2);
        assertThat(registry.subjectLevel("s", false)).isEqualTo(CompatibilityLevel.FORWARD);
        assertThat(registry.globalLevel()).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    private static void assertError(Runnable call, int status, int errorCode) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.httpStatus()).as(e.getMessage()).isEqualTo(status);
            assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(errorCode);
        });
    }
}
