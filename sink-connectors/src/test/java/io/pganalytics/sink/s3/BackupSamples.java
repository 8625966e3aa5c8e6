package io.pganalytics.sink.s3;

import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.DatabaseSample;
import java.time.Duration;
import java.time.Instant;

/** Samples for the backup tests: sample n of a target is taken n minutes after {@link #T0}. */
final class BackupSamples {

    /**
     * Two days ago, on the hour, plus some microseconds: in the past, as brokers refuse timestamps more than an hour
     * ahead, and far enough back for a later sentinel record.
     */
    static final Instant T0 = Instant.now().minus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.HOURS)
            .plusNanos(123_456_000);
    static final Duration STEP = Duration.ofMinutes(1);

    private BackupSamples() {
    }

    static Instant sampledAt(int n) {
        return T0.plus(STEP.multipliedBy(n));
    }

    static DatabaseSample database(String targetId, int n) {
        return DatabaseSample.newBuilder()
                .setCollectorId("collector-1")
                .setTargetId(targetId)
                .setSampledAt(sampledAt(n))
                .setServerVersionNum(170006)
                .setDatid(16384)
                .setDatname("app")
                .setNumbackends(3 + n)
                .setXactCommit(1_000_000L + n * 17L)
                .setXactRollback(7)
                .setBlksRead(5_000_000_000L)
                .setBlksHit(9_000_000_000L + n)
                .setTupReturned(11)
                .setTupFetched(12)
                .setTupInserted(13)
                .setTupUpdated(14)
                .setTupDeleted(15)
                .setConflicts(0)
                .setTempFiles(2)
                .setTempBytes(16_384)
                .setDeadlocks(1)
                .setChecksumFailures(null)
                .setChecksumLastFailure(null)
                .setBlkReadTimeMs(12.5 + n)
                .setBlkWriteTimeMs(0.25)
                .setSessionTimeMs(86_400_000.75)
                .setActiveTimeMs(3_600_000.5)
                .setIdleInTransactionTimeMs(n % 2 == 0 ? null : 0.5)
                .setSessions(100L + n)
                .setSessionsAbandoned(0L)
                .setSessionsFatal(1L)
                .setSessionsKilled(2L)
                .setParallelWorkersToLaunch(null)
                .setParallelWorkersLaunched(null)
                .setStatsReset(Instant.parse("2026-11-01T00:00:00Z"))
                .build();
    }

    static Heartbeat heartbeat(String collectorId, int n) {
        return Heartbeat.newBuilder()
                .setCollectorId(collectorId)
                .setHostname("host-" + collectorId)
                .setVersion("0.1.0")
                .setStartedAt(T0.minusSeconds(60))
                .setSentAt(sampledAt(n))
                .setIntervalMillis(60_000)
                .setTargetsConfigured(4)
                .setTargetsHealthy(4)
                .setSamplesProduced(n * 4L)
                .setSamplesFailed(0)
                .build();
    }
}
