package io.pganalytics.streams.ingest;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

    /** Every key of the ingest topology, declared once: type, default, rule and what docs/configuration.md says. */
    public static final class Keys {
        public static final Field<Boolean> REQUIRE_KNOWN_TARGETS = Field.bool(IngestConfig.REQUIRE_KNOWN_TARGETS)
                .withDefault(false)
                .withDoc("reject (check `unknown-target`) samples whose `targetId` is not a key of the compacted "
                        + "`pga.fleet.targets`; off until fleet management writes that topic");
        public static final Field<Duration> MAX_FUTURE = positiveSeconds(MAX_FUTURE_SECONDS, 300)
                .withDoc("a sample whose `sampledAt` is further than this past the processor's clock is rejected "
                        + "(`future-timestamp`)");
        public static final Field<Long> RECORDS_PER_SECOND = Field.longValue(QUOTA_RECORDS_PER_SECOND).withDefault(5000L)
                .withCheck(Check.atLeast(1))
                .withDoc("default quota: records per second one collector may send to each family, counted over the "
                        + "quota window; `pga.quotas` overrides it per collector");
        public static final Field<Duration> QUOTA_WINDOW = positiveSeconds(QUOTA_WINDOW_SECONDS, 10)
                .withDoc("the window (record time) the records-per-second quota is counted over; bursts within it are "
                        + "allowed");
        public static final Field<Long> SERIES_PER_FAMILY = Field.longValue(QUOTA_SERIES_PER_FAMILY).withDefault(100_000L)
                .withCheck(Check.atLeast(1))
                .withDoc("default quota: active series one collector may have in each family; `pga.quotas` overrides "
                        + "it per collector");
        public static final Field<Duration> THROTTLE_EVENT_INTERVAL = positiveSeconds(THROTTLE_EVENT_INTERVAL_SECONDS, 60)
                .withDoc("at most one `throttled` event per collector and family on `pga.fleet.events` per this many "
                        + "seconds");
        public static final Field<Duration> SERIES_IDLE_TIMEOUT = positiveSeconds(SERIES_IDLE_TIMEOUT_SECONDS, 86_400)
                .withDoc("a series not seen for this long (record time) is forgotten: its next sample starts a new "
                        + "baseline, and it stops counting against the series quota");

        private Keys() {
        }

        private static Field<Duration> positiveSeconds(String name, long defaultSeconds) {
            return Field.seconds(name).withDefault(Duration.ofSeconds(defaultSeconds)).withCheck(duration ->
                    duration.isNegative() || duration.isZero() ? "must be positive, got " + duration.toSeconds() : null);
        }
    }

    /** The keys, in the order docs/configuration.md lists them. */
    public static final List<Field<?>> FIELDS = List.of(Keys.REQUIRE_KNOWN_TARGETS, Keys.MAX_FUTURE,
            Keys.RECORDS_PER_SECOND, Keys.QUOTA_WINDOW, Keys.SERIES_PER_FAMILY, Keys.THROTTLE_EVENT_INTERVAL,
            Keys.SERIES_IDLE_TIMEOUT);

    /** Values given in code follow the rules of values read from a file. */
    public IngestConfig {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        Keys.MAX_FUTURE.problemWith(maxFuture).ifPresent(problems::add);
        Keys.RECORDS_PER_SECOND.problemWith(recordsPerSecond).ifPresent(problems::add);
        Keys.QUOTA_WINDOW.problemWith(quotaWindow).ifPresent(problems::add);
        Keys.SERIES_PER_FAMILY.problemWith(seriesPerFamily).ifPresent(problems::add);
        Keys.THROTTLE_EVENT_INTERVAL.problemWith(throttleEventInterval).ifPresent(problems::add);
        Keys.SERIES_IDLE_TIMEOUT.problemWith(seriesIdleTimeout).ifPresent(problems::add);
        InvalidValue.throwIfAny(problems);
    }

    /** Every key at its default. */
    public static IngestConfig defaults() {
        return new IngestConfig(Keys.REQUIRE_KNOWN_TARGETS.defaultValue(), Keys.MAX_FUTURE.defaultValue(),
                Keys.RECORDS_PER_SECOND.defaultValue(), Keys.QUOTA_WINDOW.defaultValue(),
                Keys.SERIES_PER_FAMILY.defaultValue(), Keys.THROTTLE_EVENT_INTERVAL.defaultValue(),
                Keys.SERIES_IDLE_TIMEOUT.defaultValue());
    }

    /** The configuration {@code values} (read against fields that include {@link #FIELDS}) describe. */
    public static IngestConfig from(Values values) {
        IngestConfig config = new IngestConfig(values.get(Keys.REQUIRE_KNOWN_TARGETS), values.get(Keys.MAX_FUTURE),
                values.get(Keys.RECORDS_PER_SECOND), values.get(Keys.QUOTA_WINDOW), values.get(Keys.SERIES_PER_FAMILY),
                values.get(Keys.THROTTLE_EVENT_INTERVAL), values.get(Keys.SERIES_IDLE_TIMEOUT));
        values.validate();
        return config;
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
}
