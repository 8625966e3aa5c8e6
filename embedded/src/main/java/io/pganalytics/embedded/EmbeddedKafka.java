package io.pganalytics.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka cluster (one KRaft process acting as broker and controller) running in this JVM.
 *
 * <p>The log directory is formatted only when it holds no {@code meta.properties}, so starting again on the same
 * directory keeps the cluster id, topics and records.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final int NODE_ID = 1;
    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String BROKER_LISTENER = "PLAINTEXT";
    /** Ports we picked ourselves may be taken by someone else before the broker binds them; try again then. */
    private static final int MAX_ATTEMPTS_WITH_PICKED_PORTS = 3;
    private static final Duration TOPIC_READY_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, Path dataDir, int port, int controllerPort) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The bootstrap servers string clients need, e.g. {@code 127.0.0.1:9092}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The PLAINTEXT (client) port. */
    public int port() {
        return port;
    }

    /** The KRaft controller port. */
    public int controllerPort() {
        return controllerPort;
    }

    /** The log directory holding this node's metadata log, topics and records. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Creates the topics that do not exist yet and waits until every partition of every given topic has a leader
     * on this broker, so that a client may use them immediately.
     */
    public void createTopics(NewTopic... topics) {
        if (topics.length == 0) {
            return;
        }
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin"))) {
            Map<String, KafkaFuture<Void>> results = admin.createTopics(Arrays.asList(topics)).values();
            for (Map.Entry<String, KafkaFuture<Void>> result : results.entrySet()) {
                try {
                    result.getValue().get(TOPIC_READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    LOG.info("Created topic {}", result.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Could not create topic " + result.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            awaitLeaders(admin, results.keySet());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Topics not created within " + TOPIC_READY_TIMEOUT, e);
        }
    }

    /**
     * The controller answers CreateTopics once the records are committed; the broker applies them to its metadata
     * cache a moment later. Waiting here saves every caller a retry loop on UNKNOWN_TOPIC_OR_PARTITION.
     */
    private static void awaitLeaders(Admin admin, Set<String> names) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TOPIC_READY_TIMEOUT.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames()
                        .get(TOPIC_READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                boolean allLed = descriptions.values().stream()
                        .flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (allLed) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("Could not describe topics " + names, e.getCause());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("Topics " + names + " have no leader after " + TOPIC_READY_TIMEOUT);
            }
            Thread.sleep(20);
        }
    }

    /** Shuts the node down cleanly (flushing logs and writing clean-shutdown markers) and waits until it has stopped. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long start = System.nanoTime();
        server.shutdown();
        server.awaitShutdown();
        LOG.info("Kafka on {} stopped in {} ms", bootstrapServers(), elapsedMillis(start));
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Configures and starts an {@link EmbeddedKafka}. */
    public static final class Builder {

        private Path dataDir;
        private int port;
        private int controllerPort;
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();

        private Builder() {
        }

        /** The log directory; required. Created if missing. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** The PLAINTEXT listener's port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = FreePorts.check(port);
            return this;
        }

        /** The KRaft controller listener's port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = FreePorts.check(controllerPort);
            return this;
        }

        /** Sets or overrides one broker property; applied after the embedded defaults. */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Formats the log directory if it is new, starts the node and returns once the broker is unfenced. */
        public EmbeddedKafka start() {
            if (dataDir == null) {
                throw new IllegalStateException("EmbeddedKafka.builder().dataDir(...) is required");
            }
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create Kafka data directory " + dataDir, e);
            }
            boolean pickedPorts = port == 0 || controllerPort == 0;
            int attempts = pickedPorts ? MAX_ATTEMPTS_WITH_PICKED_PORTS : 1;
            for (int attempt = 1; ; attempt++) {
                int brokerPort = port != 0 ? port : FreePorts.pick();
                int quorumPort = controllerPort != 0 ? controllerPort : FreePorts.pickOtherThan(brokerPort);
                try {
                    return startOnce(brokerPort, quorumPort);
                } catch (RuntimeException e) {
                    if (attempt >= attempts || !causedByBindFailure(e)) {
                        throw e;
                    }
                    LOG.warn("Kafka could not bind port {} or {} (taken meanwhile); retrying with other ports",
                            brokerPort, quorumPort);
                }
            }
        }

        private EmbeddedKafka startOnce(int brokerPort, int quorumPort) {
            long start = System.nanoTime();
            Map<String, String> props = serverProperties(brokerPort, quorumPort);
            KafkaConfig config = new KafkaConfig(props, false);
            String formatted = formatIfNew(config);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                server.startup();
            } catch (RuntimeException e) {
                // The controller may be up when the broker fails; do not leave it running in this JVM.
                server.shutdown();
                server.awaitShutdown();
                throw e;
            }
            LOG.info("Kafka started on {}:{} (controller port {}) in {} ms, data in {} ({})",
                    HOST, brokerPort, quorumPort, elapsedMillis(start), dataDir, formatted);
            return new EmbeddedKafka(server, dataDir, brokerPort, quorumPort);
        }

        private Map<String, String> serverProperties(int brokerPort, int quorumPort) {
            Map<String, String> props = new LinkedHashMap<>();
            props.put("process.roles", "broker,controller");
            props.put("node.id", Integer.toString(NODE_ID));
            props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + quorumPort);
            props.put("controller.listener.names", CONTROLLER_LISTENER);
            props.put("inter.broker.listener.name", BROKER_LISTENER);
            props.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
                    + CONTROLLER_LISTENER + "://" + HOST + ":" + quorumPort);
            props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
            props.put("listener.security.protocol.map",
                    BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            props.put("log.dirs", dataDir.toAbsolutePath().toString());

            // One node: every internal topic must be satisfiable by a single replica, or the coordinators
            // (groups, transactions, share groups) never come up and clients hang on FindCoordinator.
            props.put("offsets.topic.replication.factor", "1");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("default.replication.factor", "1");
            props.put("min.insync.replicas", "1");
            // The default 50 partitions each cost a log, an index and a coordinator load on first use; a single
            // node gains nothing from spreading them, and it makes the first consumer group or transaction slow.
            props.put("offsets.topic.num.partitions", "5");
            props.put("transaction.state.log.num.partitions", "5");
            // The default 3 s delay exists to batch members joining a fresh group on a big cluster; here it only
            // delays every consumer's (and Connect worker's) first assignment.
            props.put("group.initial.rebalance.delay.ms", "0");
            // After a kill -9 the controller keeps the dead broker's registration until its session
            // expires, and the restarted broker cannot register before that (DUPLICATE_BROKER_REGISTRATION).
            // Broker and controller share this process, so a short session is safe: 2 s instead of 9 s.
            props.put("broker.session.timeout.ms", "2000");
            props.put("broker.heartbeat.interval.ms", "500");
            // Likewise consumer groups of a killed process: let clients ask for sessions down to 1 s.
            props.put("group.min.session.timeout.ms", "1000");
            // Topics are created deliberately (see createTopics); a typo must not silently create one.
            props.put("auto.create.topics.enable", "false");
            // The log cleaner allocates this buffer on the heap up front (default 128 MB); we share the heap with
            // the application and compact only small topics (Connect's, the registry's).
            props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));

            props.putAll(brokerProperties);
            return props;
        }

        private String formatIfNew(KafkaConfig config) {
            if (Files.exists(dataDir.resolve("meta.properties"))) {
                return "existing log directory";
            }
            String clusterId = Uuid.randomUuid().toString();
            Formatter formatter = new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setClusterId(clusterId)
                    .setNodeId(NODE_ID)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION);
            try {
                formatter.run();
            } catch (Exception e) {
                throw new IllegalStateException("Cannot format Kafka log directory " + dataDir + ": "
                        + e.getMessage(), e);
            }
            return "formatted new cluster " + clusterId;
        }

        private static boolean causedByBindFailure(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException) {
                    return true;
                }
            }
            return false;
        }

    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", " + dataDir + "]";
    }
}
