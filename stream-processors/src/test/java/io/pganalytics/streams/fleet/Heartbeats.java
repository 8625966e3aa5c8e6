package io.pganalytics.streams.fleet;

import io.pganalytics.schemas.fleet.Heartbeat;
import java.time.Instant;

/** Heartbeats for tests. */
final class Heartbeats {

    private Heartbeats() {
    }

    static Heartbeat of(String collectorId, long intervalMillis, int configured, int healthy) {
        Instant now = Instant.now();
        return Heartbeat.newBuilder().setCollectorId(collectorId).setHostname("host-" + collectorId).setVersion("0.1.0")
                .setStartedAt(now.minusSeconds(60)).setSentAt(now).setIntervalMillis(intervalMillis)
                .setTargetsConfigured(configured).setTargetsHealthy(healthy).setSamplesProduced(10).setSamplesFailed(0)
                .build();
    }
}
