package io.pganalytics.schemas.family;

import io.pganalytics.schemas.Topics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * One metric family (database, statements, tables…): its raw schema, the role of every field, its
 * topics, and the schema of its validated records on {@code pga.metrics.<family>}, derived from the
 * raw one by adding a delta and a per-second rate beside every counter.
 *
 * <p>Conventions every raw family schema follows (checked by {@link #of}):
 * <ul>
 *   <li>record property {@code "pga.family"} names the family ({@code "database"});</li>
 *   <li>fields {@code collectorId} (string), {@code targetId} (string) and {@code sampledAt}
 *       ({@code timestamp-micros}, the target's clock) come first;</li>
 *   <li>every other field has a {@code "pga.role"} property (see {@link FieldRole}); counters are
 *       {@code long} or {@code double}, optional when a server version lacks them.</li>
 * </ul>
 * A series is identified by {@code targetId} plus the {@link FieldRole#SERIES} fields; its natural key
 * in the metrics store adds {@code sampledAt}.
 */
public final class MetricFamily {

    /** The record property naming the family. */
    public static final String FAMILY_PROPERTY = "pga.family";
    public static final String COLLECTOR_ID = "collectorId";
    public static final String TARGET_ID = "targetId";
    public static final String SAMPLED_AT = "sampledAt";
    /** Derived field: seconds of {@code sampledAt} since the series' previous sample; null on its first. */
    public static final String INTERVAL_SECONDS = "intervalSeconds";
    /**
     * Derived field: why this sample has no deltas: it starts a new baseline ({@code first},
     * {@code counter-decreased}, {@code reset-changed}) or is not after the series' baseline
     * ({@code out-of-order}: late or repeated, the baseline stays); null when it has deltas.
     */
    public static final String BASELINE = "baseline";
    /** Suffix of the derived delta field of a counter: {@code xactCommit} → {@code xactCommitDelta}. */
    public static final String DELTA_SUFFIX = "Delta";
    /** Suffix of the derived rate field of a counter: {@code xactCommit} → {@code xactCommitPerSec}. */
    public static final String RATE_SUFFIX = "PerSec";

    private final String name;
    private final Schema rawSchema;
    private final Map<String, FieldRole> roles;
    private final Schema metricsSchema;

    private MetricFamily(String name, Schema rawSchema, Map<String, FieldRole> roles) {
        this.name = name;
        this.rawSchema = rawSchema;
        this.roles = Collections.unmodifiableMap(roles);
        this.metricsSchema = deriveMetricsSchema();
    }

    /** The family a raw schema describes; fails naming the schema and field that break the conventions. */
    public static MetricFamily of(Schema rawSchema) {
        String where = rawSchema.getFullName();
        Object family = rawSchema.getObjectProp(FAMILY_PROPERTY);
        if (!(family instanceof String name) || !name.matches("[a-z][a-z0-9_-]*")) {
            throw new IllegalArgumentException(where + ": record property " + FAMILY_PROPERTY
                    + " must name the family in lower case, got " + family);
        }
        List<Schema.Field> fields = rawSchema.getFields();
        requireIdentity(where, fields, 0, COLLECTOR_ID, Schema.Type.STRING);
        requireIdentity(where, fields, 1, TARGET_ID, Schema.Type.STRING);
        requireIdentity(where, fields, 2, SAMPLED_AT, Schema.Type.LONG);
        if (!(fields.get(2).schema().getLogicalType() instanceof LogicalTypes.TimestampMicros)) {
            throw new IllegalArgumentException(where + "." + SAMPLED_AT + ": must be a timestamp-micros");
        }
        Map<String, FieldRole> roles = new LinkedHashMap<>();
        for (Schema.Field field : fields) {
            String fieldName = field.name();
            if (fieldName.equals(COLLECTOR_ID) || fieldName.equals(TARGET_ID) || fieldName.equals(SAMPLED_AT)) {
                roles.put(fieldName, FieldRole.IDENTITY);
                continue;
            }
            String role = field.getProp(FieldRole.PROPERTY);
            if (role == null) {
                throw new IllegalArgumentException(where + "." + fieldName + ": missing field property " + FieldRole.PROPERTY);
            }
            FieldRole parsed;
            try {
                parsed = FieldRole.parse(role);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "." + fieldName + ": " + FieldRole.PROPERTY + " " + e.getMessage());
            }
            if (parsed == FieldRole.IDENTITY || parsed == FieldRole.DELTA || parsed == FieldRole.RATE) {
                throw new IllegalArgumentException(where + "." + fieldName + ": role " + role + " is not declared in a raw schema");
            }
            Schema.Type type = nonNull(field.schema()).getType();
            if (parsed == FieldRole.COUNTER && type != Schema.Type.LONG && type != Schema.Type.DOUBLE) {
                throw new IllegalArgumentException(where + "." + fieldName + ": a counter must be long or double, got " + type);
            }
            if (parsed == FieldRole.RESET && type != Schema.Type.LONG) {
                throw new IllegalArgumentException(where + "." + fieldName + ": a reset marker must be a timestamp (long), got " + type);
            }
            if (parsed == FieldRole.SERIES && field.schema().isNullable()) {
                throw new IllegalArgumentException(where + "." + fieldName + ": a series field is part of the key and cannot be null");
            }
            roles.put(fieldName, parsed);
        }
        return new MetricFamily((String) family, rawSchema, roles);
    }

    private static void requireIdentity(String where, List<Schema.Field> fields, int position, String name, Schema.Type type) {
        if (fields.size() <= position || !fields.get(position).name().equals(name)
                || fields.get(position).schema().getType() != type) {
            throw new IllegalArgumentException(where + ": field " + (position + 1) + " must be " + name + " (" + type + ")");
        }
    }

    /** The non-null branch of an optional field's schema, or the schema itself. */
    public static Schema nonNull(Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElseThrow();
    }

    public String name() {
        return name;
    }

    public Schema rawSchema() {
        return rawSchema;
    }

    /** The schema of {@code pga.metrics.<family>}: the raw fields, then a delta and a rate per counter. */
    public Schema metricsSchema() {
        return metricsSchema;
    }

    /** Every raw field's role, in schema order. */
    public Map<String, FieldRole> roles() {
        return roles;
    }

    public List<String> fields(FieldRole role) {
        return roles.entrySet().stream().filter(e -> e.getValue() == role).map(Map.Entry::getKey).toList();
    }

    /** The fields that, with {@code targetId}, identify one series. */
    public List<String> seriesFields() {
        return fields(FieldRole.SERIES);
    }

    public List<String> counterFields() {
        return fields(FieldRole.COUNTER);
    }

    public List<String> gaugeFields() {
        return fields(FieldRole.GAUGE);
    }

    public List<String> resetFields() {
        return fields(FieldRole.RESET);
    }

    /** True when the family has counters, and so deltas and rates to compute. */
    public boolean isCumulative() {
        return !counterFields().isEmpty();
    }

    /** The natural key of a sample in the metrics store: target, series fields, sample time. */
    public List<String> naturalKey() {
        List<String> key = new ArrayList<>();
        key.add(TARGET_ID);
        key.addAll(seriesFields());
        key.add(SAMPLED_AT);
        return List.copyOf(key);
    }

    public String rawTopic() {
        return Topics.raw(name);
    }

    public String metricsTopic() {
        return Topics.metrics(name);
    }

    public String rollupTopic(Topics.Resolution resolution) {
        return Topics.rollups(name, resolution);
    }

    private Schema deriveMetricsSchema() {
        String simple = rawSchema.getName().endsWith("Sample")
                ? rawSchema.getName().substring(0, rawSchema.getName().length() - "Sample".length()) + "Metrics"
                : rawSchema.getName() + "Metrics";
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : rawSchema.getFields()) {
            fields.add(new Schema.Field(field, field.schema()));
        }
        Schema nullableDouble = Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.DOUBLE));
        for (String counter : counterFields()) {
            Schema type = nonNull(rawSchema.getField(counter).schema());
            Schema.Field delta = new Schema.Field(counter + DELTA_SUFFIX,
                    Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(type.getType())),
                    "Change of " + counter + " since the series' previous sample; null on a new baseline.",
                    JsonProperties.NULL_VALUE);
            delta.addProp(FieldRole.PROPERTY, FieldRole.DELTA.propertyValue());
            fields.add(delta);
            Schema.Field rate = new Schema.Field(counter + RATE_SUFFIX, nullableDouble,
                    "Delta of " + counter + " per second; null on a new baseline, never negative.", JsonProperties.NULL_VALUE);
            rate.addProp(FieldRole.PROPERTY, FieldRole.RATE.propertyValue());
            fields.add(rate);
        }
        if (isCumulative()) {
            Schema.Field interval = new Schema.Field(INTERVAL_SECONDS, nullableDouble,
                    "Seconds since the series' previous sample; null on a new baseline.", JsonProperties.NULL_VALUE);
            interval.addProp(FieldRole.PROPERTY, FieldRole.GAUGE.propertyValue());
            fields.add(interval);
            Schema.Field baseline = new Schema.Field(BASELINE,
                    Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                    "Why this sample has no deltas: it starts a new baseline (first, counter-decreased, reset-changed)"
                            + " or is not after the series' baseline (out-of-order: late or repeated, baseline kept); null otherwise.",
                    JsonProperties.NULL_VALUE);
            baseline.addProp(FieldRole.PROPERTY, FieldRole.LABEL.propertyValue());
            fields.add(baseline);
        }
        Schema derived = Schema.createRecord(simple, "Validated " + name + " samples with deltas and rates per counter.",
                rawSchema.getNamespace(), false, fields);
        derived.addProp(FAMILY_PROPERTY, name);
        // pga.metrics.<family> carried the raw record before deltas were computed: the alias lets the derived
        // schema read those records, so a subject that holds the raw schema accepts it as a BACKWARD change.
        derived.addAlias(rawSchema.getFullName());
        return derived;
    }

    @Override
    public String toString() {
        return "MetricFamily[" + name + "]";
    }
}
