package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.time.Instant;

/** Test samples with every field set to a value derived from the sample's number, so a row can be checked. */
final class DatabaseSamples {

    static final Instant FIRST_SAMPLE_AT = Instant.parse("2026-11-22T10:00:00.123456Z");

    private DatabaseSamples() {
    }

    /** Sample {@code n} of target {@code targetId}, taken {@code n} seconds after {@link #FIRST_SAMPLE_AT}. */
    static DatabaseSample sample(String targetId, int n) {
        return DatabaseSample.newBuilder()
                .setCollectorId("collector-1")
                .setTargetId(targetId)
                .setSampledAt(FIRST_SAMPLE_AT.plusSeconds(n))
                .setServerVersionNum(170006)
                .setDatid(16384)
                .setDatname("app")
                .setNumbackends(3 + n)
                .setXactCommit(1_000_000L + n)
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
                .setBlkReadTimeMs(12.5)
                .setBlkWriteTimeMs(0.25)
                .setSessionTimeMs(86_400_000.75)
                .setActiveTimeMs(3_600_000.5)
                .setIdleInTransactionTimeMs(0.0)
                .setSessions(100L + n)
                .setSessionsAbandoned(0L)
                .setSessionsFatal(1L)
                .setSessionsKilled(2L)
                .setParallelWorkersToLaunch(null)
                .setParallelWorkersLaunched(null)
                .setStatsReset(Instant.parse("2026-11-01T00:00:00Z"))
                .build();
    }
}
