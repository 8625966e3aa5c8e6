package io.pganalytics.api;

/**
 * The API role's configuration.
 *
 * @param host             address to bind; 127.0.0.1 unless the API is meant to be reached from elsewhere
 * @param port             HTTP port (0 picks a free one)
 * @param databaseUrl      the control-plane PostgreSQL, {@code jdbc:postgresql://...}
 * @param databaseUser     its user
 * @param databasePassword its password (never logged)
 * @param bootstrapServers Kafka
 */
public record ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                        String bootstrapServers) {

    public ApiConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("api.port: expected 0-65535, got " + port);
        }
        if (databaseUrl == null || !databaseUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("api.database.url: expected jdbc:postgresql://host:port/db");
        }
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap.servers: required");
        }
    }

    @Override
    public String toString() {
        return "ApiConfig[host=" + host + ", port=" + port + ", databaseUrl=" + databaseUrl + ", databaseUser="
                + databaseUser + ", bootstrapServers=" + bootstrapServers + "]";
    }
}
