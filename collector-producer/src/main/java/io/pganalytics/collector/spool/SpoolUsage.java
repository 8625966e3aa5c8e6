package io.pganalytics.collector.spool;

/**
 * How full the spool is, for the heartbeat and {@code /metrics}.
 *
 * @param usedBytes      bytes of the segment files on disk
 * @param capacityBytes  {@code collector.spool.max.bytes}
 * @param pendingRecords records appended and not yet acknowledged by Kafka (nor dropped)
 * @param appendedRecords records appended since this run opened the spool
 * @param droppedRecords  unacknowledged records dropped because the spool was full, since this run opened it
 */
public record SpoolUsage(long usedBytes, long capacityBytes, long pendingRecords, long appendedRecords, long droppedRecords) {
}
