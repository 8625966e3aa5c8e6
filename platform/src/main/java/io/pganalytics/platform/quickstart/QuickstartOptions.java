package io.pganalytics.platform.quickstart;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What the quickstart runs on: where its data lives, its ports (0 picks a free one), how often it samples, and
 * where the sink writes (its embedded PostgreSQL unless {@code metricsStore} names another).
 */
public record QuickstartOptions(Path dataDir, int kafkaPort, int kafkaControllerPort, int registryPort,
                                int connectPort, int apiPort, int postgresPort, int s3Port,
                                Duration interval, int demoTransactionsPerSecond, MetricsStore metricsStore) {

    /** An existing PostgreSQL or TimescaleDB database the sink writes to instead of the embedded one. */
    public record MetricsStore(String jdbcUrl, String user, String password) {
        public MetricsStore {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        }

        @Override
        public String toString() {
            return jdbcUrl + (user == null ? "" : " as " + user);
        }
    }

    /** The embedded PostgreSQL as the metrics store. */
    public QuickstartOptions(Path dataDir, int kafkaPort, int kafkaControllerPort, int registryPort, int connectPort,
                             int apiPort, int postgresPort, int s3Port, Duration interval,
                             int demoTransactionsPerSecond) {
        this(dataDir, kafkaPort, kafkaControllerPort, registryPort, connectPort, apiPort, postgresPort, s3Port,
                interval, demoTransactionsPerSecond, null);
    }

    /** Everything on free ports, for tests. */
    public static QuickstartOptions ephemeral(Path dataDir, Duration interval) {
        return new QuickstartOptions(dataDir, 0, 0, 0, 0, 0, 0, 0, interval, 20);
    }

    /** The same, the sink writing to {@code store}. */
    public QuickstartOptions withMetricsStore(MetricsStore store) {
        return new QuickstartOptions(dataDir, kafkaPort, kafkaControllerPort, registryPort, connectPort, apiPort,
                postgresPort, s3Port, interval, demoTransactionsPerSecond, store);
    }
}
