package io.pganalytics.streams.oracle;

import io.pganalytics.schemas.family.MetricFamily;
import java.time.Instant;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Records of a family's {@code pga.metrics.<family>} schema for tests, built as the ingest topology
 * would write them: identity, series and the given values; other optional fields null, other
 * required fields zero (or their name, for strings).
 */
public final class MetricsRecords {

    private MetricsRecords() {
    }

    /** A metrics record of {@code family}; {@code values} by field name (series fields and aggregated fields). */
    public static GenericRecord of(MetricFamily family, String collectorId, String targetId, Instant sampledAt,
            Map<String, ?> values) {
        Schema schema = family.metricsSchema();
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.pos(), field.schema().isNullable() ? null : zero(field));
        }
        record.put(MetricFamily.COLLECTOR_ID, collectorId);
        record.put(MetricFamily.TARGET_ID, targetId);
        record.put(MetricFamily.SAMPLED_AT, micros(sampledAt));
        values.forEach((name, value) -> {
            Schema.Field field = schema.getField(name);
            if (field == null) {
                throw new IllegalArgumentException(family + " has no field " + name);
            }
            record.put(name, convert(MetricFamily.nonNull(field.schema()).getType(), value));
        });
        return record;
    }

    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    private static Object zero(Schema.Field field) {
        return switch (field.schema().getType()) {
            case INT -> 0;
            case LONG -> 0L;
            case FLOAT -> 0f;
            case DOUBLE -> 0d;
            case BOOLEAN -> false;
            case STRING -> field.name();
            default -> throw new IllegalArgumentException("no zero for " + field);
        };
    }

    private static Object convert(Schema.Type type, Object value) {
        if (value == null) {
            return null;
        }
        Number number = value instanceof Number n ? n : null;
        return switch (type) {
            case INT -> number.intValue();
            case LONG -> number.longValue();
            case FLOAT -> number.floatValue();
            case DOUBLE -> number.doubleValue();
            case STRING -> value.toString();
            default -> value;
        };
    }
}
