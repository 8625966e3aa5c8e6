package io.pganalytics.streams.validation;

import io.pganalytics.schemas.family.FieldRole;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The checks every metric family's raw sample must pass before it reaches {@code pga.metrics.<family>},
 * derived from the field roles of the family's schema, so a new family is checked without new code:
 *
 * <ul>
 *   <li>{@code key-mismatch}: the record key is not {@code <collectorId>/<targetId>} of its content;</li>
 *   <li>{@code missing-id}: an empty collectorId or targetId;</li>
 *   <li>{@code future-timestamp}: {@code sampledAt} further than the tolerance past the processor's clock;</li>
 *   <li>{@code negative-counter}: a counter below zero (PostgreSQL's counters only grow from zero);</li>
 *   <li>{@code out-of-range}: a double that is NaN or infinite, or a field outside the bounds its schema
 *       declares with the field properties {@code "pga.min"} / {@code "pga.max"};</li>
 *   <li>{@code invalid-datid}, {@code invalid-version}: a {@code datid} below 0 or a
 *       {@code serverVersionNum} that is no PostgreSQL version (below 90000), in any family that has them;</li>
 *   <li>{@code reset-after-sample}: a reset timestamp (stats_reset, postmaster start) after {@code sampledAt}.</li>
 * </ul>
 * Whether the target is known is decided by the topology, which holds the table of known targets.
 */
public final class SampleChecks {

    /** Field property: the smallest value a numeric field may take. */
    public static final String MIN_PROPERTY = "pga.min";
    /** Field property: the largest value a numeric field may take. */
    public static final String MAX_PROPERTY = "pga.max";

    private static final Map<String, Bound> KNOWN_BOUNDS = Map.of(
            "datid", new Bound("datid", "invalid-datid", 0, Double.POSITIVE_INFINITY),
            "serverVersionNum", new Bound("serverVersionNum", "invalid-version", 90000, Double.POSITIVE_INFINITY));

    private final MetricFamily family;
    private final long maxFutureMicros;
    private final int collectorPos;
    private final int targetPos;
    private final int sampledAtPos;
    private final List<Integer> counters = new ArrayList<>();
    private final List<Integer> doubles = new ArrayList<>();
    private final List<Integer> resets = new ArrayList<>();
    private final List<Bound> bounds = new ArrayList<>();

    /** The checks of {@code family}, tolerating {@code maxFutureMillis} of clock skew. */
    public SampleChecks(MetricFamily family, long maxFutureMillis) {
        this.family = family;
        this.maxFutureMicros = maxFutureMillis * 1000;
        Schema schema = family.rawSchema();
        collectorPos = schema.getField(MetricFamily.COLLECTOR_ID).pos();
        targetPos = schema.getField(MetricFamily.TARGET_ID).pos();
        sampledAtPos = schema.getField(MetricFamily.SAMPLED_AT).pos();
        for (Schema.Field field : schema.getFields()) {
            FieldRole role = family.roles().get(field.name());
            Schema.Type type = MetricFamily.nonNull(field.schema()).getType();
            if (role == FieldRole.COUNTER) {
                counters.add(field.pos());
            }
            if (role == FieldRole.RESET) {
                resets.add(field.pos());
            }
            if (type == Schema.Type.DOUBLE || type == Schema.Type.FLOAT) {
                doubles.add(field.pos());
            }
            boolean numeric = type == Schema.Type.INT || type == Schema.Type.LONG || type == Schema.Type.DOUBLE
                    || type == Schema.Type.FLOAT;
            Object min = field.getObjectProp(MIN_PROPERTY);
            Object max = field.getObjectProp(MAX_PROPERTY);
            if (numeric && (min instanceof Number || max instanceof Number)) {
                bounds.add(new Bound(field.name(), "out-of-range",
                        min instanceof Number n ? n.doubleValue() : Double.NEGATIVE_INFINITY,
                        max instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY).at(field.pos()));
            } else if (numeric && KNOWN_BOUNDS.containsKey(field.name())) {
                bounds.add(KNOWN_BOUNDS.get(field.name()).at(field.pos()));
            }
        }
    }

    /** The first check {@code sample}, read under {@code key} at {@code nowMillis}, fails; empty when it passes all. */
    public Optional<CheckFailure> check(String key, GenericRecord sample, long nowMillis) {
        String collectorId = sample.get(collectorPos).toString();
        String targetId = sample.get(targetPos).toString();
        String expectedKey = collectorId + "/" + targetId;
        if (!expectedKey.equals(key)) {
            return fail("key-mismatch", "key '" + key + "' does not match collectorId/targetId '" + expectedKey + "'");
        }
        if (collectorId.isEmpty() || targetId.isEmpty()) {
            return fail("missing-id", "collectorId and targetId must not be empty");
        }
        long sampledAt = (Long) sample.get(sampledAtPos);
        if (sampledAt > nowMillis * 1000 + maxFutureMicros) {
            return fail("future-timestamp", "sampledAt " + micros(sampledAt) + " is more than " + maxFutureMicros / 1_000_000
                    + " s after the processor's clock " + micros(nowMillis * 1000));
        }
        for (int pos : counters) {
            Object value = sample.get(pos);
            if (value instanceof Number n && n.doubleValue() < 0) {
                return fail("negative-counter", name(pos) + " is " + value);
            }
        }
        for (int pos : doubles) {
            if (sample.get(pos) instanceof Number n && !Double.isFinite(n.doubleValue())) {
                return fail("out-of-range", name(pos) + " is " + n + ", not a finite number");
            }
        }
        for (Bound bound : bounds) {
            if (sample.get(bound.pos()) instanceof Number n && !bound.holds().test(n.doubleValue())) {
                return fail(bound.check(), bound.field() + " is " + n + ", outside " + bound.describe());
            }
        }
        for (int pos : resets) {
            if (sample.get(pos) instanceof Long reset && reset > sampledAt) {
                return fail("reset-after-sample", name(pos) + " " + micros(reset) + " is after sampledAt " + micros(sampledAt));
            }
        }
        return Optional.empty();
    }

    private String name(int pos) {
        return family.rawSchema().getFields().get(pos).name();
    }

    private static String micros(long micros) {
        return java.time.Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS).toString();
    }

    private static Optional<CheckFailure> fail(String check, String reason) {
        return Optional.of(new CheckFailure(check, reason));
    }

    /** Bounds of one field, and the check code that names a violation. */
    private record Bound(String field, String check, double min, double max, int pos) {

        Bound(String field, String check, double min, double max) {
            this(field, check, min, max, -1);
        }

        Bound at(int position) {
            return new Bound(field, check, min, max, position);
        }

        Predicate<Double> holds() {
            return v -> v >= min && v <= max;
        }

        String describe() {
            return "[" + (min == Double.NEGATIVE_INFINITY ? "-inf" : fmt(min)) + ", "
                    + (max == Double.POSITIVE_INFINITY ? "inf" : fmt(max)) + "]";
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }
}
