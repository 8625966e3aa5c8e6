package io.pganalytics.streams.oracle;

import io.pganalytics.schemas.family.FieldRole;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.streams.validation.SampleChecks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Raw samples of any metric family, as a fleet of collectors would send them, with the events that
 * make counters hard: stats resets (a new reset marker, counters from zero), crash restarts (counters
 * from zero, marker unchanged), late and repeated samples, and counters a server version lacks (null)
 * or gains mid-run. Seeded: the same seed gives the same samples.
 *
 * <p>Works from the field roles of the family's raw schema, so it covers every family of
 * {@code MetricFamilies.all()}. Every sample it makes passes the ingest checks; what goes wrong is
 * only what real servers do.
 */
public final class RawSampleGenerator {

    /** One raw sample with its record key and record timestamp (the producer's clock, in millis). */
    public record RawSample(String key, GenericRecord value, long timestampMillis) {
    }

    /** What happened to the generated stream, so a test can insist every case occurred. */
    public record Tally(int samples, int statsResets, int restarts, int lateOrRepeated, int seriesWithNullCounters) {
    }

    private final MetricFamily family;
    private final Random random;
    private final Instant start;
    private final Duration interval;
    private double resetChance = 0.02;
    private double restartChance = 0.02;
    private double lateChance = 0.05;
    private double legacyChance = 0.25;
    private int statsResets;
    private int restarts;
    private int late;
    private int legacySeries;

    public RawSampleGenerator(MetricFamily family, long seed, Instant start, Duration interval) {
        this.family = family;
        this.random = new Random(seed);
        this.start = start;
        this.interval = interval;
    }

    /** Chances per sample of a stats reset, a crash restart and a late or repeated sample; per series of a legacy server. */
    public RawSampleGenerator chances(double reset, double restart, double lateOrRepeated, double legacy) {
        this.resetChance = reset;
        this.restartChance = restart;
        this.lateChance = lateOrRepeated;
        this.legacyChance = legacy;
        return this;
    }

    /** What the last {@link #generate} produced. */
    public Tally tally(int samples) {
        return new Tally(samples, statsResets, restarts, late, legacySeries);
    }

    /**
     * {@code samplesPerSeries} rounds of samples of {@code collectors × targetsPerCollector × seriesPerTarget}
     * series, round after round (each target's series in one round share a {@code sampledAt}, as a collector's
     * query does), plus the late and repeated ones, in the order a collector would produce them.
     */
    public List<RawSample> generate(int collectors, int targetsPerCollector, int seriesPerTarget, int samplesPerSeries) {
        List<Series> all = new ArrayList<>();
        for (int c = 0; c < collectors; c++) {
            for (int t = 0; t < targetsPerCollector; t++) {
                for (int s = 0; s < seriesPerTarget; s++) {
                    all.add(new Series("c" + c, "c" + c + "-t" + t, s, random.nextDouble() < legacyChance));
                }
            }
        }
        legacySeries = (int) all.stream().filter(s -> s.legacy).count();
        List<RawSample> out = new ArrayList<>();
        long intervalMicros = interval.toNanos() / 1000;
        for (int round = 0; round < samplesPerSeries; round++) {
            Map<String, Long> targetTime = new HashMap<>();
            long roundStart = toMicros(start) + round * intervalMicros;
            for (Series series : all) {
                // Jitter per target and round: intervals are never exactly equal, as on a real collector.
                long at = targetTime.computeIfAbsent(series.targetId, t -> roundStart + random.nextInt(1_000_000));
                if (series.legacy && round == samplesPerSeries / 2 && random.nextBoolean()) {
                    series.legacy = false; // upgraded mid-run: the counters it lacked appear
                }
                GenericRecord sample = series.next(at);
                out.add(new RawSample(series.collectorId + "/" + series.targetId, sample, at / 1000));
                if (!series.history.isEmpty() && random.nextDouble() < lateChance) {
                    GenericRecord old = series.history.get(random.nextInt(series.history.size()));
                    out.add(new RawSample(series.collectorId + "/" + series.targetId, old, at / 1000));
                    late++;
                }
                series.history.add(sample);
            }
        }
        return out;
    }

    private static long toMicros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    /** One series: its counters, its reset markers and its samples so far. */
    private final class Series {
        final String collectorId;
        final String targetId;
        final int index;
        boolean legacy;
        final Map<String, Object> counters = new HashMap<>();
        final Map<String, Long> resets = new HashMap<>();
        final List<GenericRecord> history = new ArrayList<>();

        Series(String collectorId, String targetId, int index, boolean legacy) {
            this.collectorId = collectorId;
            this.targetId = targetId;
            this.index = index;
            this.legacy = legacy;
        }

        GenericRecord next(long at) {
            Schema schema = family.rawSchema();
            boolean statsReset = !history.isEmpty() && random.nextDouble() < resetChance;
            boolean restart = !statsReset && !history.isEmpty() && random.nextDouble() < restartChance;
            if (statsReset) {
                statsResets++;
            }
            if (restart) {
                restarts++;
            }
            GenericData.Record record = new GenericData.Record(schema);
            for (Schema.Field field : schema.getFields()) {
                String name = field.name();
                FieldRole role = family.roles().get(name);
                Schema type = MetricFamily.nonNull(field.schema());
                boolean nullable = field.schema().isNullable();
                Object value = switch (role) {
                    case IDENTITY -> name.equals(MetricFamily.COLLECTOR_ID) ? collectorId
                            : name.equals(MetricFamily.TARGET_ID) ? targetId : at;
                    case SERIES -> seriesValue(type, name);
                    case COUNTER -> counter(name, type, nullable, statsReset || restart);
                    case RESET -> reset(name, at, statsReset, nullable);
                    case GAUGE -> nullable && legacy ? null : gauge(type);
                    case LABEL -> label(name, type, nullable);
                    default -> throw new IllegalStateException(name + ": role " + role + " in a raw schema");
                };
                record.put(field.pos(), role == FieldRole.COUNTER ? value : withinDeclaredBounds(field, value));
            }
            return record;
        }

        /** A gauge or label clamped to the bounds its field declares ({@code pga.min}, {@code pga.max}), which the checks enforce. */
        private Object withinDeclaredBounds(Schema.Field field, Object value) {
            if (!(value instanceof Number number)) {
                return value;
            }
            double v = number.doubleValue();
            if (field.getObjectProp(SampleChecks.MIN_PROPERTY) instanceof Number min && v < min.doubleValue()) {
                v = min.doubleValue();
            }
            if (field.getObjectProp(SampleChecks.MAX_PROPERTY) instanceof Number max && v > max.doubleValue()) {
                v = max.doubleValue();
            }
            if (value instanceof Integer) {
                return (int) v;
            }
            if (value instanceof Long) {
                return (long) v;
            }
            return value instanceof Float ? (Object) (float) v : (Object) v;
        }

        private Object seriesValue(Schema type, String name) {
            return switch (type.getType()) {
                case INT -> index;
                case LONG -> (long) index;
                case STRING -> name + "-" + index;
                case BOOLEAN -> index % 2 == 0;
                default -> throw new IllegalStateException(name + ": series field of type " + type.getType() + " not generated");
            };
        }

        private Object counter(String name, Schema type, boolean nullable, boolean fromZero) {
            if (nullable && legacy) {
                counters.remove(name);
                return null;
            }
            Object previous = counters.get(name);
            Object next;
            if (type.getType() == Schema.Type.LONG) {
                long base = previous == null || fromZero ? 0 : (Long) previous;
                // Mostly growth, sometimes none: a zero delta must be a zero rate, not a reset.
                next = base + (random.nextInt(4) == 0 ? 0 : random.nextInt(10_000));
            } else {
                double base = previous == null || fromZero ? 0 : (Double) previous;
                next = base + (random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000) / 1000.0);
            }
            counters.put(name, next);
            return next;
        }

        private Long reset(String name, long at, boolean statsReset, boolean nullable) {
            Long previous = resets.get(name);
            if (previous == null && !resets.containsKey(name)) {
                previous = nullable && random.nextInt(5) == 0 ? null : toMicros(start) - 3_600_000_000L;
            }
            if (statsReset) {
                previous = at - random.nextInt(1_000_000);
            }
            resets.put(name, previous);
            return previous;
        }

        private Object gauge(Schema type) {
            return switch (type.getType()) {
                case INT -> random.nextInt(500);
                case LONG -> (long) random.nextInt(1_000_000);
                case DOUBLE -> random.nextInt(1_000_000) / 100.0;
                case FLOAT -> (float) random.nextInt(1000);
                case BOOLEAN -> random.nextBoolean();
                case STRING -> "g" + random.nextInt(10);
                default -> throw new IllegalStateException("gauge of type " + type.getType() + " not generated");
            };
        }

        private Object label(String name, Schema type, boolean nullable) {
            if (name.equals("serverVersionNum")) {
                return legacy ? 130012 : 170006;
            }
            if (nullable && random.nextInt(3) == 0) {
                return null;
            }
            return switch (type.getType()) {
                case INT -> random.nextInt(100);
                case LONG -> toMicros(start) - random.nextInt(1_000_000);
                case DOUBLE -> random.nextInt(1000) / 10.0;
                case BOOLEAN -> random.nextBoolean();
                case STRING -> name + "-" + index;
                case ENUM -> new GenericData.EnumSymbol(type, type.getEnumSymbols().get(0));
                default -> throw new IllegalStateException(name + ": label of type " + type.getType() + " not generated");
            };
        }
    }
}
