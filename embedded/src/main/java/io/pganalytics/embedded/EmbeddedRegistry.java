package io.pganalytics.embedded;

import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;

/**
 * Our Confluent-compatible schema registry running in this JVM on a given Kafka cluster (usually an
 * {@link EmbeddedKafka}), with its state in that cluster's {@code _schemas} topic.
 */
public final class EmbeddedRegistry implements AutoCloseable {

    private final SchemaRegistryServer server;

    private EmbeddedRegistry(SchemaRegistryServer server) {
        this.server = server;
    }

    /**
     * Starts a registry on 127.0.0.1 and returns once it answers; it first reads everything already registered
     * in the cluster's {@code _schemas} topic, so a restart keeps every id.
     *
     * @param port the HTTP port; 0 picks a free one
     */
    public static EmbeddedRegistry start(String bootstrapServers, int port) {
        return new EmbeddedRegistry(SchemaRegistryServer.start(RegistryConfig.of(bootstrapServers).withPort(port)));
    }

    /** The URL clients use, e.g. {@code http://127.0.0.1:8081} (what {@code schema.registry.url} takes). */
    public String url() {
        return server.url();
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return "EmbeddedRegistry[" + url() + "]";
    }
}
