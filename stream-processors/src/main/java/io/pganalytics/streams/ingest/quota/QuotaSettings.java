package io.pganalytics.streams.ingest.quota;

import java.time.Duration;

/**
 * What the quota gate is configured with: the default limits of every collector (its override in
 * {@code pga.quotas} replaces them field by field), how often throttling is reported and when a series
 * stops counting. The values come from the ingest configuration, which checks them.
 *
 * @param recordsPerSecond      default records per second per collector and family
 * @param quotaWindow           the window (record time) the records-per-second quota is counted over
 * @param seriesPerFamily       default active series per collector and family
 * @param throttleEventInterval at most one {@code throttled} fleet event per collector and family per this interval
 * @param seriesIdleTimeout     a series not seen for this long (record time) no longer counts
 */
public record QuotaSettings(long recordsPerSecond, Duration quotaWindow, long seriesPerFamily,
        Duration throttleEventInterval, Duration seriesIdleTimeout) {
}
