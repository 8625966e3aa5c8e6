package io.pganalytics.collector.catalog;

import io.pganalytics.schemas.family.MetricFamily;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;

/**
 * Turns the rows of a catalog query into records of the family's schema, matching columns to
 * fields by name: {@code blk_read_time_ms} fills {@code blkReadTimeMs}. A column without a field is
 * an error (a typo in the catalog must not go unnoticed); a field without a column keeps its
 * default, so a column a server version lacks is simply null.
 */
public final class RowMapper {

    /** The column every wrapped catalog query starts with: the target's clock for the whole result. */
    public static final String SAMPLED_AT_COLUMN = "sampled_at";
    private static final String SERVER_VERSION_FIELD = "serverVersionNum";

    private final Schema schema;

    public RowMapper(Schema schema) {
        this.schema = schema;
    }

    /** {@code blk_read_time_ms} → {@code blkReadTimeMs}. */
    public static String fieldName(String column) {
        StringBuilder name = new StringBuilder(column.length());
        boolean upper = false;
        for (char c : column.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                name.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return name.toString();
    }

    /** Every row of {@code rs} as a record, stamped with the collector, target and server version. */
    public List<GenericRecord> map(ResultSet rs, String collectorId, String targetId, int serverVersionNum) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        int columns = meta.getColumnCount();
        Schema.Field[] fields = new Schema.Field[columns + 1];
        for (int i = 1; i <= columns; i++) {
            String column = meta.getColumnLabel(i);
            Schema.Field field = schema.getField(fieldName(column));
            if (field == null) {
                throw new SQLException("column " + column + " has no field " + fieldName(column) + " in " + schema.getName());
            }
            fields[i] = field;
        }
        boolean stampVersion = schema.getField(SERVER_VERSION_FIELD) != null;
        List<GenericRecord> records = new ArrayList<>();
        while (rs.next()) {
            GenericRecordBuilder record = new GenericRecordBuilder(schema)
                    .set(MetricFamily.COLLECTOR_ID, collectorId)
                    .set(MetricFamily.TARGET_ID, targetId);
            if (stampVersion) {
                record.set(SERVER_VERSION_FIELD, serverVersionNum);
            }
            for (int i = 1; i <= columns; i++) {
                Object value = read(rs, i, fields[i]);
                if (value == null && !fields[i].schema().isNullable()) {
                    throw new SQLException(schema.getName() + "." + fields[i].name() + " is required but column "
                            + meta.getColumnLabel(i) + " is null");
                }
                record.set(fields[i], value);
            }
            try {
                records.add(record.build());
            } catch (org.apache.avro.AvroRuntimeException e) {
                throw new SQLException(schema.getName() + ": " + e.getMessage(), e);
            }
        }
        return records;
    }

    private static Object read(ResultSet rs, int column, Schema.Field field) throws SQLException {
        Schema type = MetricFamily.nonNull(field.schema());
        Object value = switch (type.getType()) {
            case LONG -> type.getLogicalType() instanceof LogicalTypes.TimestampMicros ? micros(rs, column) : longValue(rs, column);
            case INT -> {
                int v = rs.getInt(column);
                yield rs.wasNull() ? null : v;
            }
            case DOUBLE -> {
                double v = rs.getDouble(column);
                yield rs.wasNull() ? null : v;
            }
            case BOOLEAN -> {
                boolean v = rs.getBoolean(column);
                yield rs.wasNull() ? null : v;
            }
            case STRING -> rs.getString(column);
            default -> throw new SQLException("field " + field.name() + ": type " + type.getType() + " is not read from SQL");
        };
        return value;
    }

    private static Long longValue(ResultSet rs, int column) throws SQLException {
        // numeric (pg_wal_lsn_diff, pg_stat_statements.wal_bytes) and xid arrive as text-like values:
        // go through BigDecimal so that any of them fits.
        Object raw = rs.getObject(column);
        if (raw == null) {
            return null;
        }
        if (raw instanceof Number number) {
            return number instanceof BigDecimal decimal ? decimal.longValue() : number.longValue();
        }
        return new BigDecimal(raw.toString()).longValue();
    }

    private static Long micros(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        if (value == null) {
            return null;
        }
        // Avro's generic model carries timestamp-micros as a long; infinity has no such long.
        if (value.equals(OffsetDateTime.MAX) || value.equals(OffsetDateTime.MIN)) {
            return null;
        }
        return ChronoUnit.MICROS.between(java.time.Instant.EPOCH, value.toInstant());
    }

    /** The schema the records are built for. */
    public Schema schema() {
        return schema;
    }

}
