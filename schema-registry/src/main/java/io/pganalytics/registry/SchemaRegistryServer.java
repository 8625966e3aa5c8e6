package io.pganalytics.registry;

import io.javalin.Javalin;
import io.pganalytics.registry.internal.Registry;
import io.pganalytics.registry.internal.RegistryState;
import io.pganalytics.registry.internal.RestApi;
import io.pganalytics.registry.internal.SchemasTopic;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry server speaking Confluent Schema Registry's REST API (Avro), whose only state is a
 * single-partition compacted Kafka topic: stop it, start it again on the same cluster, and every id and version is
 * still there.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);

    private final RegistryConfig config;
    private final SchemasTopic topic;
    private final Javalin http;
    private final String url;
    private boolean closed;

    private SchemaRegistryServer(RegistryConfig config, SchemasTopic topic, Javalin http) {
        this.config = config;
        this.topic = topic;
        this.http = http;
        this.url = "http://" + urlHost(config.host()) + ":" + http.port();
    }

    /**
     * Creates the topic if it is missing, reads it to its end, then starts answering HTTP; returns once it does.
     *
     * @throws IllegalStateException when Kafka cannot be reached or the topic read within
     *                               {@link RegistryConfig#startupTimeout()}, the topic is not a single-partition
     *                               compacted one, or the port cannot be bound
     */
    public static SchemaRegistryServer start(RegistryConfig config) {
        long started = System.nanoTime();
        RegistryState state = new RegistryState();
        SchemasTopic topic = SchemasTopic.open(config.bootstrapServers(), config.topic(), state,
                config.startupTimeout());
        Javalin http = null;
        try {
            Registry registry = new Registry(state, topic);
            http = Javalin.create(javalin -> {
                javalin.startup.showJavalinBanner = false;
                javalin.startup.showOldJavalinVersionWarning = false;
                javalin.jetty.host = config.host();
                javalin.jetty.port = config.port();
                RestApi.configure(javalin, registry);
            });
            http.start();
        } catch (RuntimeException e) {
            stopQuietly(http, e);
            topic.close();
            throw new IllegalStateException("cannot start the schema registry HTTP listener on " + config.host() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
        SchemaRegistryServer server = new SchemaRegistryServer(config, topic, http);
        LOG.info("schema registry listening on {} (topic {}, {} schemas loaded) in {} ms", server.url(),
                config.topic(), state.schemaCount(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return server;
    }

    /** The port the server listens on; the one picked by the system when the configuration asked for 0. */
    public int port() {
        return http.port();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return url;
    }

    /** Stops answering HTTP, then stops reading and writing the topic. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            http.stop();
        } finally {
            topic.close();
        }
        LOG.info("schema registry on {} (topic {}) stopped", url, config.topic());
    }

    private static void stopQuietly(Javalin http, RuntimeException failure) {
        if (http == null) {
            return;
        }
        try {
            http.stop();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The host clients use: a wildcard bind address is reached through the loopback address. */
    private static String urlHost(String host) {
        if (host.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (host.equals("::") || host.equals("[::]")) {
            return "[::1]";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
