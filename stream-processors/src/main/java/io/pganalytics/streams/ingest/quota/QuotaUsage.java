package io.pganalytics.streams.ingest.quota;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * What one collector used of its quotas in one family: records in the current window, active series,
 * and the excess not yet reported on {@code pga.fleet.events}.
 */
public record QuotaUsage(long windowStartMillis, long windowRecords, long activeSeries, long unreportedExcessRecords,
        long unreportedExcessSeries) {

    static final QuotaUsage NONE = new QuotaUsage(Long.MIN_VALUE, 0, 0, 0, 0);

    /** The store serde: five longs. */
    public static Serde<QuotaUsage> serde() {
        return Serdes.serdeFrom((topic, usage) -> usage == null ? null : ByteBuffer.allocate(40)
                        .putLong(usage.windowStartMillis).putLong(usage.windowRecords).putLong(usage.activeSeries)
                        .putLong(usage.unreportedExcessRecords).putLong(usage.unreportedExcessSeries).array(),
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    return new QuotaUsage(in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getLong());
                });
    }

    QuotaUsage inWindow(long windowStart) {
        return windowStart == windowStartMillis ? this
                : new QuotaUsage(windowStart, 0, activeSeries, unreportedExcessRecords, unreportedExcessSeries);
    }

    QuotaUsage accepted(boolean newSeries) {
        return new QuotaUsage(windowStartMillis, windowRecords + 1, activeSeries + (newSeries ? 1 : 0),
                unreportedExcessRecords, unreportedExcessSeries);
    }

    QuotaUsage excessRecord() {
        return new QuotaUsage(windowStartMillis, windowRecords, activeSeries, unreportedExcessRecords + 1, unreportedExcessSeries);
    }

    QuotaUsage excessSeries() {
        return new QuotaUsage(windowStartMillis, windowRecords, activeSeries, unreportedExcessRecords, unreportedExcessSeries + 1);
    }

    QuotaUsage reported() {
        return new QuotaUsage(windowStartMillis, windowRecords, activeSeries, 0, 0);
    }

    QuotaUsage seriesForgotten(int count) {
        return new QuotaUsage(windowStartMillis, windowRecords, Math.max(0, activeSeries - count), unreportedExcessRecords,
                unreportedExcessSeries);
    }
}
