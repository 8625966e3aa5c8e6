package io.pganalytics.streams;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Valid samples for tests. */
public final class DatabaseSamples {

    /** The time of the first sample of {@link #valid}. */
    public static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

    private static long tick;

    private DatabaseSamples() {
    }

    /** A valid sample, each a millisecond after the last, stats reset an hour before. */
    public static DatabaseSample.Builder valid(String collectorId, String targetId) {
        Instant at = START.plus(++tick, ChronoUnit.MILLIS);
        return at(collectorId, targetId, at).setStatsReset(at.minusSeconds(3600));
    }

    /** A valid sample of database 5 taken at {@code at}, stats reset at {@link #START} minus an hour. */
    public static DatabaseSample.Builder at(String collectorId, String targetId, Instant at) {
        return DatabaseSample.newBuilder()
                .setCollectorId(collectorId).setTargetId(targetId).setSampledAt(at).setServerVersionNum(170006)
                .setDatid(5).setDatname("postgres").setNumbackends(3)
                .setXactCommit(10).setXactRollback(1).setBlksRead(2).setBlksHit(300)
                .setTupReturned(4).setTupFetched(5).setTupInserted(6).setTupUpdated(7).setTupDeleted(8)
                .setConflicts(0).setTempFiles(0).setTempBytes(0).setDeadlocks(0)
                .setBlkReadTimeMs(1.5).setBlkWriteTimeMs(0.25).setStatsReset(START.minusSeconds(3600));
    }
}
