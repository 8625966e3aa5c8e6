package io.pganalytics.collector.spool;

/**
 * What opening a spool found: whether the previous run closed it cleanly, how many records it left
 * unacknowledged (they are sent again, oldest first), and how much of a torn tail was cut off.
 *
 * @param previousShutdownClean false when the previous run was killed or crashed before closing the spool
 * @param recoveredRecords      records found unacknowledged, replayed to Kafka now; after an unclean
 *                              shutdown this includes up to one second of records Kafka had already
 *                              acknowledged (the checkpoint is written every second), sent again
 * @param discardedBytes        bytes of incomplete or corrupt records cut off the segment files
 */
public record Recovery(boolean previousShutdownClean, long recoveredRecords, long discardedBytes) {

    /** A spool opened for the first time. */
    public static Recovery fresh() {
        return new Recovery(true, 0, 0);
    }
}
