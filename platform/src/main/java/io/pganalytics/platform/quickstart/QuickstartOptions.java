package io.pganalytics.platform.quickstart;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the quickstart runs on: where its data lives, its ports (0 picks a free one), and how often
 * it samples.
 */
public record QuickstartOptions(Path dataDir, int kafkaPort, int kafkaControllerPort, int registryPort,
                                int connectPort, int apiPort, int postgresPort, int s3Port,
                                Duration interval, int demoTransactionsPerSecond) {

    /** Everything on free ports, for tests. */
    public static QuickstartOptions ephemeral(Path dataDir, Duration interval) {
        return new QuickstartOptions(dataDir, 0, 0, 0, 0, 0, 0, 0, interval, 20);
    }
}
