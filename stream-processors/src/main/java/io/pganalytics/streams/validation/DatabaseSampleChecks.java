package io.pganalytics.streams.validation;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.util.Optional;

/**
 * The checks a {@code database} sample must pass before it reaches {@code pga.metrics.database}:
 * a key that matches its content, and values PostgreSQL can actually produce.
 */
public final class DatabaseSampleChecks {

    private DatabaseSampleChecks() {
    }

    /** The first check the sample fails, or empty when it passes them all. */
    public static Optional<CheckFailure> check(String key, DatabaseSample sample) {
        String expectedKey = sample.getCollectorId() + "/" + sample.getTargetId();
        if (!expectedKey.equals(key)) {
            return fail("key-mismatch", "key '" + key + "' does not match collectorId/targetId '" + expectedKey + "'");
        }
        if (sample.getCollectorId().isEmpty() || sample.getTargetId().isEmpty()) {
            return fail("missing-id", "collectorId and targetId must not be empty");
        }
        if (sample.getDatid() < 0) {
            return fail("invalid-datid", "datid " + sample.getDatid() + " is negative");
        }
        if (sample.getServerVersionNum() < 90000) {
            return fail("invalid-version", "serverVersionNum " + sample.getServerVersionNum() + " is not a PostgreSQL version");
        }
        if (sample.getNumbackends() < 0) {
            return fail("negative-counter", "numbackends is " + sample.getNumbackends());
        }
        String[] names = {"xactCommit", "xactRollback", "blksRead", "blksHit", "tupReturned", "tupFetched",
                "tupInserted", "tupUpdated", "tupDeleted", "conflicts", "tempFiles", "tempBytes", "deadlocks"};
        long[] counters = {sample.getXactCommit(), sample.getXactRollback(), sample.getBlksRead(), sample.getBlksHit(),
                sample.getTupReturned(), sample.getTupFetched(), sample.getTupInserted(), sample.getTupUpdated(),
                sample.getTupDeleted(), sample.getConflicts(), sample.getTempFiles(), sample.getTempBytes(),
                sample.getDeadlocks()};
        for (int i = 0; i < counters.length; i++) {
            if (counters[i] < 0) {
                return fail("negative-counter", names[i] + " is " + counters[i]);
            }
        }
        if (sample.getBlkReadTimeMs() < 0 || sample.getBlkWriteTimeMs() < 0
                || Double.isNaN(sample.getBlkReadTimeMs()) || Double.isNaN(sample.getBlkWriteTimeMs())) {
            return fail("negative-counter", "blkReadTimeMs/blkWriteTimeMs must be non-negative numbers");
        }
        if (sample.getStatsReset() != null && sample.getStatsReset().isAfter(sample.getSampledAt())) {
            return fail("reset-after-sample", "statsReset " + sample.getStatsReset() + " is after sampledAt " + sample.getSampledAt());
        }
        return Optional.empty();
    }

    private static Optional<CheckFailure> fail(String check, String reason) {
        return Optional.of(new CheckFailure(check, reason));
    }
}
