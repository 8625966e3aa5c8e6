package io.pganalytics.testkit;

import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.embedded.EmbeddedS3;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts an {@link EmbeddedStack} started for one test class; what its tests receive as a parameter when they
 * need more than one part, or need to stage an outage ({@link #restartKafka()}, {@link #restartPostgres()}, {@link #restartS3()}).
 */
public final class TestStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestStack.class);

    private final String owner;
    private final Path dataDir;
    private final Map<String, String> postgresSettings;
    private EmbeddedPostgres postgres;
    private EmbeddedKafka kafka;
    private EmbeddedRegistry registry;
    private EmbeddedConnect connect;
    private EmbeddedS3 s3;
    /** Read at start: a stopped s3proxy no longer knows its port. */
    private int s3Port;

    private TestStack(String owner, Path dataDir, Map<String, String> postgresSettings) {
        this.owner = owner;
        this.dataDir = dataDir;
        this.postgresSettings = postgresSettings;
    }

    /**
     * Starts what {@code spec} declares, PostgreSQL beside the broker (it is another process and mostly waits), the
     * rest in order: broker, topics, registry, Connect, S3. If a part fails to start, those already started close.
     */
    static TestStack start(Class<?> testClass, EmbeddedStack spec, List<ContractTopics> topics) {
        StackSpec.check(testClass, spec, topics);
        Map<String, String> postgresSettings = StackSpec.settings(spec.postgresSettings());
        TestStack stack = new TestStack(testClass.getSimpleName(), createDataDir(testClass), postgresSettings);
        CompletableFuture<EmbeddedPostgres> postgresStart = spec.postgres()
                ? CompletableFuture.supplyAsync(() -> stack.startPostgres(spec))
                : null;
        RuntimeException failure = null;
        try {
            stack.startInOrder(spec, topics);
        } catch (RuntimeException e) {
            failure = e;
        }
        if (postgresStart != null) {
            try {
                stack.postgres = postgresStart.join();
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
                failure = failure == null ? cause : withSuppressed(failure, cause);
            }
        }
        if (failure != null) {
            try {
                stack.close();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        return stack;
    }

    private void startInOrder(EmbeddedStack spec, List<ContractTopics> topics) {
        if (!spec.kafka()) {
            if (spec.s3()) {
                startS3(0);
            }
            return;
        }
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(StackSpec.newTopics(topics));
        if (spec.registry()) {
            registry = EmbeddedRegistry.start(kafka.bootstrapServers(), 0);
        }
        if (spec.connect()) {
            EmbeddedConnect.Builder worker = EmbeddedConnect.builder().bootstrapServers(kafka.bootstrapServers());
            StackSpec.settings(spec.connectSettings()).forEach(worker::workerProperty);
            connect = worker.start();
        }
        if (spec.s3()) {
            startS3(0);
        }
    }

    private EmbeddedS3 startS3(int port) {
        s3 = EmbeddedS3.builder().dataDir(dataDir.resolve("s3")).port(port).start();
        s3Port = s3.port();
        return s3;
    }

    private EmbeddedPostgres startPostgres(EmbeddedStack spec) {
        EmbeddedPostgres postgres = postgresBuilder(dataDir.resolve("postgres")).start();
        try {
            for (String database : spec.databases()) {
                postgres.createDatabaseIfMissing(database);
            }
            if (spec.extensions().length > 0) {
                try (Connection c = postgres.dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
                    for (String extension : spec.extensions()) {
                        s.execute("CREATE EXTENSION IF NOT EXISTS \"" + extension + "\"");
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException("Cannot create extensions " + List.of(spec.extensions()) + ": "
                            + e.getMessage(), e);
                }
            }
            return postgres;
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
    }

    private EmbeddedPostgres.Builder postgresBuilder(Path dir) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().dataDir(dir);
        postgresSettings.forEach(builder::serverConfig);
        return builder;
    }

    public EmbeddedKafka kafka() {
        return declared(kafka, "kafka");
    }

    public EmbeddedRegistry registry() {
        return declared(registry, "registry");
    }

    public EmbeddedPostgres postgres() {
        return declared(postgres, "postgres");
    }

    public EmbeddedConnect connect() {
        return declared(connect, "connect");
    }

    public EmbeddedS3 s3() {
        return declared(s3, "s3");
    }

    /**
     * Starts the broker again on its log directory and ports, after the test closed it to stage an outage (or
     * closes it first); the clients and the registry find it where they left it. The stack closes the new one.
     */
    public synchronized EmbeddedKafka restartKafka() {
        EmbeddedKafka old = kafka();
        old.close();
        kafka = EmbeddedKafka.builder().dataDir(old.dataDir()).port(old.port()).controllerPort(old.controllerPort()).start();
        return kafka;
    }

    /** Starts PostgreSQL again on its data directory, port and settings, after the test closed it (or closes it first). */
    public synchronized EmbeddedPostgres restartPostgres() {
        EmbeddedPostgres old = postgres();
        old.close();
        postgres = postgresBuilder(old.dataDir()).port(old.port()).start();
        return postgres;
    }

    /** Starts the S3 store again on its blobs and port, after the test closed it (or closes it first). */
    public synchronized EmbeddedS3 restartS3() {
        s3().close();
        return startS3(s3Port);
    }

    /** The part of the given type, for parameter resolution. */
    Object part(Class<?> type) {
        if (type == TestStack.class) {
            return this;
        } else if (type == EmbeddedKafka.class) {
            return kafka();
        } else if (type == EmbeddedRegistry.class) {
            return registry();
        } else if (type == EmbeddedPostgres.class) {
            return postgres();
        } else if (type == EmbeddedConnect.class) {
            return connect();
        } else if (type == EmbeddedS3.class) {
            return s3();
        }
        throw new IllegalArgumentException("not a part of a stack: " + type.getName());
    }

    private <T> T declared(T part, String name) {
        if (part == null) {
            throw new IllegalStateException(owner + " has no " + name + ": declare @EmbeddedStack(" + name + " = true)");
        }
        return part;
    }

    /**
     * Closes every part in reverse order of start (Connect before Kafka: a worker without its broker blocks on
     * shutdown), each even if another failed, then deletes the data; rethrows the first failure.
     */
    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (AutoCloseable part : new AutoCloseable[] {s3, connect, registry, kafka, postgres}) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception e) {
                RuntimeException wrapped = e instanceof RuntimeException r ? r : new IllegalStateException("closing " + part, e);
                failure = failure == null ? wrapped : withSuppressed(failure, wrapped);
            }
        }
        deleteDataDir();
        if (failure != null) {
            throw failure;
        }
    }

    private static Path createDataDir(Class<?> testClass) {
        try {
            return Files.createTempDirectory("pga-" + testClass.getSimpleName() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a data directory for " + testClass.getName(), e);
        }
    }

    private void deleteDataDir() {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dataDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
        } catch (IOException e) {
            LOG.warn("Cannot list {} to delete it: {}", dataDir, e.toString());
            return;
        }
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("Cannot delete {}: {}", path, e.toString());
            }
        }
    }

    private static RuntimeException withSuppressed(RuntimeException first, RuntimeException next) {
        first.addSuppressed(next);
        return first;
    }

    @Override
    public String toString() {
        return "TestStack[" + owner + ", " + dataDir + "]";
    }
}
