package io.pganalytics.embedded;

import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.errors.NotFoundException;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.Herder;
import org.apache.kafka.connect.runtime.distributed.DistributedHerder;
import org.apache.kafka.connect.runtime.distributed.NotLeaderException;
import org.apache.kafka.connect.runtime.distributed.RebalanceNeededException;
import org.apache.kafka.connect.runtime.distributed.RequestTargetException;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.rest.errors.ConnectRestException;
import org.apache.kafka.connect.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka Connect worker running in this JVM, with its REST API on 127.0.0.1, for the quickstart and for tests of
 * our sink connectors.
 *
 * <p>It runs in <b>distributed</b> mode, as a group of one. Standalone mode would start a little faster, but it keeps
 * connector configurations only in memory (they come from files on its command line), so a restart would forget every
 * connector created through {@link #putConnector} or the REST API. In distributed mode configurations, source offsets
 * and statuses live in three compacted Kafka topics, so they survive a restart with the broker's data directory, and
 * the worker behaves exactly like the deployed ones (same REST API, same rebalance and status semantics). No data
 * directory of its own is therefore needed.
 *
 * <p>Close it before the broker: a distributed worker whose Kafka disappears blocks on shutdown, and its herder
 * thread exits the JVM (Kafka's {@code Exit.exit}) on an unexpected error.
 */
public final class EmbeddedConnect implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedConnect.class);

    private static final String HOST = "127.0.0.1";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Connect<DistributedHerder> connect;
    private final String restUrl;
    private boolean closed;

    private EmbeddedConnect(Connect<DistributedHerder> connect, String restUrl) {
        this.connect = connect;
        this.restUrl = restUrl;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The REST API's base URL, e.g. {@code http://127.0.0.1:8083}, without a trailing slash. */
    public String restUrl() {
        return restUrl;
    }

    /** The REST API's port. */
    public int port() {
        return URI.create(restUrl).getPort();
    }

    /**
     * Creates the connector or replaces its configuration, and returns once the configuration is committed to the
     * config topic. The connector and its tasks start asynchronously: await {@link #connectorState} if it matters.
     */
    public void putConnector(String name, Map<String, String> config) {
        Map<String, String> withName = new LinkedHashMap<>(config);
        // The herder rejects a config without a name, and one whose name differs from the path it is put under.
        withName.put("name", name);
        Herder.Created<ConnectorInfo> created = this.<Herder.Created<ConnectorInfo>>callHerder("put connector " + name,
                callback -> connect.herder().putConnectorConfig(name, withName, true, callback));
        LOG.info("{} connector {}", created.created() ? "Created" : "Updated", name);
    }

    /** Deletes the connector and its tasks; deleting a connector that does not exist is not an error. */
    public void deleteConnector(String name) {
        try {
            this.<Herder.Created<ConnectorInfo>>callHerder("delete connector " + name,
                    callback -> connect.herder().deleteConnectorConfig(name, callback));
            LOG.info("Deleted connector {}", name);
        } catch (NotFoundException e) {
            LOG.info("Connector {} does not exist; nothing to delete", name);
        }
    }

    /** The names of the configured connectors. */
    public List<String> connectors() {
        return connect.herder().connectors().stream().sorted().toList();
    }

    /**
     * The connector's state as Connect reports it: {@code UNASSIGNED}, {@code RUNNING}, {@code PAUSED},
     * {@code STOPPED}, {@code FAILED} or {@code RESTARTING}. {@code UNASSIGNED} also while a new connector has not
     * reported yet.
     *
     * @throws IllegalArgumentException if no connector of that name is configured
     */
    public String connectorState(String name) {
        return status(name).state();
    }

    /** The states of the connector's tasks, ordered by task id; empty until the tasks have been created. */
    public List<String> taskStates(String name) {
        return status(name).tasks().stream().map(TaskStatus::state).toList();
    }

    /** The connector's and its tasks' states, with the stack trace Connect recorded for a failure. */
    public ConnectorStatus status(String name) {
        ConnectorStateInfo info;
        try {
            info = connect.herder().connectorStatus(name);
        } catch (NotFoundException e) {
            // Between the config being committed and the connector's first status write there is no status yet.
            if (connect.herder().connectors().contains(name)) {
                return new ConnectorStatus(name, "UNASSIGNED", null, List.of());
            }
            throw new IllegalArgumentException("No connector named " + name + " (connectors: " + connectors() + ")", e);
        }
        List<TaskStatus> tasks = info.tasks().stream()
                .sorted(Comparator.comparingInt(ConnectorStateInfo.TaskState::id))
                .map(t -> new TaskStatus(t.id(), t.state(), t.trace()))
                .toList();
        return new ConnectorStatus(name, info.connector().state(), info.connector().trace(), tasks);
    }

    /** Stops every connector and task, leaves the group and stops the REST server, then waits until all is done. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long start = System.nanoTime();
        connect.stop();
        connect.awaitStop();
        LOG.info("Connect worker {} stopped in {} ms", restUrl, elapsedMillis(start));
    }

    @Override
    public String toString() {
        return "EmbeddedConnect[" + restUrl + "]";
    }

    /**
     * Herder requests are asynchronous. Right after start-up, or while a rebalance (e.g. after a new connector) is
     * in progress, a request may be refused because this worker is momentarily not the leader; a group of one
     * becomes the leader again within a rebalance, so such refusals are retried until the timeout.
     */
    private <T> T callHerder(String what, Consumer<FutureCallback<T>> request) {
        long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos();
        while (true) {
            FutureCallback<T> callback = new FutureCallback<>();
            request.accept(callback);
            try {
                return callback.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                boolean transientRefusal = cause instanceof RebalanceNeededException
                        || cause instanceof NotLeaderException
                        || cause instanceof RequestTargetException;
                if (!transientRefusal || System.nanoTime() > deadline) {
                    if (cause instanceof RuntimeException runtime
                            && (cause instanceof NotFoundException || cause instanceof ConnectRestException)) {
                        throw runtime;
                    }
                    throw new IllegalStateException("Could not " + what + ": " + cause.getMessage(), cause);
                }
                pause();
            } catch (TimeoutException e) {
                throw new IllegalStateException("Could not " + what + " within " + REQUEST_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while trying to " + what, e);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** A connector's state and its tasks' states; {@code trace} is Connect's stack trace for a failure, else null. */
    public record ConnectorStatus(String name, String state, String trace, List<TaskStatus> tasks) {
        public ConnectorStatus {
            tasks = List.copyOf(tasks);
        }
    }

    /** One task's state; {@code trace} is Connect's stack trace for a failure, else null. */
    public record TaskStatus(int id, String state, String trace) {
    }

    /** Configures and starts an {@link EmbeddedConnect}. */
    public static final class Builder {

        private String bootstrapServers;
        private int port;
        private final Map<String, String> workerProperties = new LinkedHashMap<>();

        private Builder() {
        }

        /** The Kafka cluster holding data and the worker's internal topics; required. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            return this;
        }

        /** The REST API's port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = FreePorts.check(port);
            return this;
        }

        /**
         * Sets or overrides one worker property; applied after the embedded defaults. Two workers sharing a Kafka
         * cluster but not their connectors need distinct {@code group.id} and storage topic names.
         */
        public Builder workerProperty(String key, String value) {
            workerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Starts the worker and returns once it has joined its group and read its configuration topic. */
        public EmbeddedConnect start() {
            if (bootstrapServers == null) {
                throw new IllegalStateException("EmbeddedConnect.builder().bootstrapServers(...) is required");
            }
            long start = System.nanoTime();
            Map<String, String> props = workerProperties();
            // Connect swaps the calling thread's context class loader for its plugin loader and leaves it there;
            // our caller (a test, the quickstart's main thread) must not inherit that.
            Thread thread = Thread.currentThread();
            ClassLoader callerLoader = thread.getContextClassLoader();
            Connect<DistributedHerder> connect;
            try {
                connect = new ConnectDistributed().startConnect(props);
            } finally {
                thread.setContextClassLoader(callerLoader);
            }
            String restUrl = stripTrailingSlash(connect.rest().advertisedUrl().toString());
            awaitReady(connect, restUrl);
            LOG.info("Connect worker started on {} in {} ms (group {}, Kafka {})", restUrl, elapsedMillis(start),
                    props.get("group.id"), bootstrapServers);
            return new EmbeddedConnect(connect, restUrl);
        }

        private Map<String, String> workerProperties() {
            Map<String, String> props = new LinkedHashMap<>();
            props.put("bootstrap.servers", bootstrapServers);
            props.put("group.id", "pganalytics-connect");
            props.put("config.storage.topic", "pganalytics-connect-configs");
            props.put("offset.storage.topic", "pganalytics-connect-offsets");
            props.put("status.storage.topic", "pganalytics-connect-status");
            // A single broker cannot hold three replicas (Connect's default).
            props.put("config.storage.replication.factor", "1");
            props.put("offset.storage.replication.factor", "1");
            props.put("status.storage.replication.factor", "1");
            // The default 25 offset partitions buy nothing on one broker and slow the first start.
            props.put("offset.storage.partitions", "5");
            // Our connectors decode Avro themselves (the registry client lives in our code), so the worker hands them
            // raw bytes; keys are plain strings (target ids).
            props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
            props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
            props.put("listeners", "http://" + HOST + ":" + port);
            props.put("rest.advertised.host.name", HOST);
            // Find plugins through META-INF/services instead of scanning every class on the class path: ~1 s
            // instead of ~4.5 s. Our connectors ship the service files.
            props.put("plugin.discovery", "service_load");
            // After an unclean stop the old member's connectors wait up to this long (default 5 min) for it to come
            // back before being reassigned; in a group of one there is nobody to wait for.
            props.put("scheduled.rebalance.max.delay.ms", "0");
            // Commit sink and source offsets every 5 s instead of every 60 s: after a restart the quickstart replays
            // seconds of data, not a minute.
            props.put("offset.flush.interval.ms", "5000");
            // A worker (and its sink tasks' consumers) killed with its JVM is noticed in 3 s rather
            // than 10 s (worker) and 45 s (consumers), so a restarted quickstart resumes at once.
            props.put("session.timeout.ms", "3000");
            props.put("heartbeat.interval.ms", "1000");
            props.put("consumer.session.timeout.ms", "3000");
            props.put("consumer.heartbeat.interval.ms", "1000");
            props.putAll(workerProperties);
            return props;
        }

        /**
         * startConnect returns once the herder thread is started, before the worker has joined its group; until then
         * the herder refuses requests. The health check completes once the worker has finished starting.
         */
        private static void awaitReady(Connect<DistributedHerder> connect, String restUrl) {
            FutureCallback<Void> ready = new FutureCallback<>();
            connect.herder().healthCheck(ready);
            try {
                ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                connect.stop();
                connect.awaitStop();
                throw new IllegalStateException("Connect worker " + restUrl + " did not become ready within "
                        + READY_TIMEOUT + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                connect.stop();
                throw new IllegalStateException("Interrupted while starting Connect", e);
            }
        }

        private static String stripTrailingSlash(String url) {
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
    }
}
