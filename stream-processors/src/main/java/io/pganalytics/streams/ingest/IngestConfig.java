package io.pganalytics.streams.ingest;

import io.pganalytics.streams.runtime.Key;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The settings of the ingest topology: how far in the future a sample may be, whether targets must
 * be known, the default per-collector quotas, and how long an idle series is remembered.
 *
 * @param requireKnownTargets   reject samples of targets absent from the compacted {@code pga.fleet.targets}
 * @param maxFuture             how far past the processor's clock {@code sampledAt} may be
 * @param recordsPerSecond      default quota: records per second per collector and family
 * @param quotaWindow           the window the records-per-second quota is counted over (bursts within it are fine)
 * @param seriesPerFamily       default quota: active series per collector and family
 * @param throttleEventInterval at most one {@code throttled} fleet event per collector and family per this interval
 * @param seriesIdleTimeout     a series not seen for this long (by record time) is forgotten: its
 *                              baseline goes and it no longer counts against the series quota
 */
public record IngestConfig(boolean requireKnownTargets, Duration maxFuture, long recordsPerSecond, Duration quotaWindow,
        long seriesPerFamily, Duration throttleEventInterval, Duration seriesIdleTimeout) {

    public static final String REQUIRE_KNOWN_TARGETS = "ingest.require.known.targets";
    public static final String MAX_FUTURE_SECONDS = "ingest.max.future.seconds";
    public static final String QUOTA_RECORDS_PER_SECOND = "ingest.quota.records.per.second";
    public static final String QUOTA_WINDOW_SECONDS = "ingest.quota.window.seconds";
    public static final String QUOTA_SERIES_PER_FAMILY = "ingest.quota.series.per.family";
    public static final String THROTTLE_EVENT_INTERVAL_SECONDS = "ingest.throttle.event.interval.seconds";
    public static final String SERIES_IDLE_TIMEOUT_SECONDS = "ingest.series.idle.timeout.seconds";

    private static final List<Key> KEYS = List.of(
            new Key(REQUIRE_KNOWN_TARGETS, "false",
                    "Reject (check `unknown-target`) samples whose targetId is not a key of the compacted `pga.fleet.targets`."
                            + " Off until fleet management writes that topic."),
            new Key(MAX_FUTURE_SECONDS, "300",
                    "A sample whose sampledAt is further than this past the processor's clock is rejected (`future-timestamp`)."),
            new Key(QUOTA_RECORDS_PER_SECOND, "5000",
                    "Default quota: records per second one collector may send to each family, counted over the quota window;"
                            + " `pga.quotas` overrides it per collector."),
            new Key(QUOTA_WINDOW_SECONDS, "10",
                    "The window (by record timestamp) the records-per-second quota is counted over; bursts within it are allowed."),
            new Key(QUOTA_SERIES_PER_FAMILY, "100000",
                    "Default quota: active series one collector may have in each family; `pga.quotas` overrides it per collector."),
            new Key(THROTTLE_EVENT_INTERVAL_SECONDS, "60",
                    "At most one `throttled` event per collector and family on `pga.fleet.events` per this many seconds."),
            new Key(SERIES_IDLE_TIMEOUT_SECONDS, "86400",
                    "A series not seen for this long (record time) is forgotten: its next sample starts a new baseline"
                            + " and it stops counting against the series quota."));

    public IngestConfig {
        requirePositive(MAX_FUTURE_SECONDS, maxFuture);
        requirePositive(QUOTA_WINDOW_SECONDS, quotaWindow);
        requirePositive(THROTTLE_EVENT_INTERVAL_SECONDS, throttleEventInterval);
        requirePositive(SERIES_IDLE_TIMEOUT_SECONDS, seriesIdleTimeout);
        if (recordsPerSecond < 1) {
            throw new IllegalArgumentException(QUOTA_RECORDS_PER_SECOND + ": must be at least 1, got " + recordsPerSecond);
        }
        if (seriesPerFamily < 1) {
            throw new IllegalArgumentException(QUOTA_SERIES_PER_FAMILY + ": must be at least 1, got " + seriesPerFamily);
        }
    }

    /** The defaults of {@link #keys()}. */
    public static IngestConfig defaults() {
        return fromProperties(Map.of());
    }

    /** Every key this configuration reads, with its default and meaning. */
    public static List<Key> keys() {
        return KEYS;
    }

    /** The configuration from string properties; keys other than {@link #keys()} are ignored here. */
    public static IngestConfig fromProperties(Map<String, String> properties) {
        return new IngestConfig(
                bool(properties, REQUIRE_KNOWN_TARGETS),
                Duration.ofSeconds(number(properties, MAX_FUTURE_SECONDS)),
                number(properties, QUOTA_RECORDS_PER_SECOND),
                Duration.ofSeconds(number(properties, QUOTA_WINDOW_SECONDS)),
                number(properties, QUOTA_SERIES_PER_FAMILY),
                Duration.ofSeconds(number(properties, THROTTLE_EVENT_INTERVAL_SECONDS)),
                Duration.ofSeconds(number(properties, SERIES_IDLE_TIMEOUT_SECONDS)));
    }

    /** The same configuration with other default quotas; for tests and benchmarks. */
    public IngestConfig withQuotas(long recordsPerSecond, Duration quotaWindow, long seriesPerFamily) {
        return new IngestConfig(requireKnownTargets, maxFuture, recordsPerSecond, quotaWindow, seriesPerFamily,
                throttleEventInterval, seriesIdleTimeout);
    }

    /** The same configuration requiring (or not) known targets. */
    public IngestConfig withRequireKnownTargets(boolean require) {
        return new IngestConfig(require, maxFuture, recordsPerSecond, quotaWindow, seriesPerFamily,
                throttleEventInterval, seriesIdleTimeout);
    }

    private static String value(Map<String, String> properties, String key) {
        String value = properties.get(key);
        if (value == null) {
            value = KEYS.stream().filter(k -> k.name().equals(key)).findFirst().orElseThrow().defaultValue();
        }
        return value.strip();
    }

    private static boolean bool(Map<String, String> properties, String key) {
        String value = value(properties, key);
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(key + ": expected true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static long number(Map<String, String> properties, String key) {
        String value = value(properties, key);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a whole number, got '" + value + "'");
        }
    }

    private static void requirePositive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + ": must be positive, got " + (value == null ? null : value.toSeconds()));
        }
    }
}
