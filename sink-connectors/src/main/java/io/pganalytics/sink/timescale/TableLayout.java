package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.family.FieldRole;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;

/**
 * One table of the metrics store as a record schema sees it: typed columns in field order, the natural primary key
 * and the time column the store partitions by. Derived from the Connect schema of the records and its {@code pga.*}
 * parameters only, so every metric family (and every version of its schema) gets its table without code here.
 *
 * @param name       the table name, a validated lower-case identifier, so never quoted
 * @param columns    the columns this schema writes, in field order
 * @param primaryKey the natural key: target, series fields, time
 * @param timeColumn the column partitions and chunks are cut by
 */
record TableLayout(String name, List<Column> columns, List<String> primaryKey, String timeColumn) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String METRICS_PREFIX = "pga.metrics.";
    private static final String ROLLUPS_PREFIX = "pga.rollups.";

    /** The schema name of {@code pga.rollups.*} records (Rollup.avsc). */
    static final String ROLLUP_SCHEMA = "io.pganalytics.schemas.rollups.Rollup";

    TableLayout {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("table name: expected a lower-case SQL identifier, got '" + name + "'");
        }
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
    }

    /**
     * The table a topic's records go to: {@code pga.metrics.<family>} to {@code <family>_metrics},
     * {@code pga.rollups.<family>.<1m|1h>} to {@code <family>_rollups_<1m|1h>}.
     */
    static String tableFor(String topic) {
        String table;
        if (topic.startsWith(METRICS_PREFIX)) {
            table = identifier(topic.substring(METRICS_PREFIX.length())) + "_metrics";
        } else if (topic.startsWith(ROLLUPS_PREFIX) && topic.lastIndexOf('.') > ROLLUPS_PREFIX.length()) {
            String rest = topic.substring(ROLLUPS_PREFIX.length());
            int dot = rest.lastIndexOf('.');
            table = identifier(rest.substring(0, dot)) + "_rollups_" + identifier(rest.substring(dot + 1));
        } else {
            throw new IllegalArgumentException("topic " + topic + ": the metrics sink reads pga.metrics.<family> and "
                    + "pga.rollups.<family>.<resolution> topics only");
        }
        if (!isValidName(table)) {
            throw new IllegalArgumentException("topic " + topic + ": gives table name '" + table
                    + "', not a valid lower-case identifier of at most 63 characters");
        }
        return table;
    }

    private static String identifier(String topicPart) {
        return topicPart.toLowerCase(java.util.Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    static boolean isValidName(String name) {
        return name != null && IDENTIFIER.matcher(name).matches();
    }

    /**
     * The layout of a metric family's records: one column per field, snake_case, NOT NULL unless the field is
     * optional; key = {@code target_id}, the {@code pga.role=series} fields, {@code sampled_at}.
     */
    static TableLayout forMetrics(String table, Schema struct) {
        String where = struct.name() == null ? table : struct.name();
        if (struct.type() != Schema.Type.STRUCT) {
            throw new IllegalArgumentException(where + ": expected a struct, got " + struct.type());
        }
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        for (Field field : struct.fields()) {
            Schema schema = field.schema();
            String role = schema.parameters() == null ? null : schema.parameters().get(FieldRole.PROPERTY);
            columns.add(new Column(snakeCase(field.name()), ColumnType.of(where + "." + field.name(), schema),
                    schema.isOptional(), field.name()));
            if (FieldRole.SERIES.propertyValue().equals(role)) {
                key.add(snakeCase(field.name()));
            }
        }
        requireField(struct, where, MetricFamily.TARGET_ID, Schema.Type.STRING);
        requireField(struct, where, MetricFamily.SAMPLED_AT, Schema.Type.INT64);
        key.add(0, snakeCase(MetricFamily.TARGET_ID));
        key.add(snakeCase(MetricFamily.SAMPLED_AT));
        return new TableLayout(table, columns, key, snakeCase(MetricFamily.SAMPLED_AT));
    }

    private static void requireField(Schema struct, String where, String name, Schema.Type type) {
        Field field = struct.field(name);
        if (field == null || field.schema().type() != type || field.schema().isOptional()) {
            throw new IllegalArgumentException(where + ": a metric family record needs a required " + type + " field "
                    + name + " (the natural key)");
        }
    }

    /**
     * The long table of a family's rollups at one resolution: one row per series, metric and window. Series labels
     * are a jsonb object (equal labels give equal jsonb, whatever their order), so they can be part of the key.
     */
    static TableLayout forRollups(String table) {
        List<Column> columns = List.of(
                new Column("target_id", ColumnType.TEXT, false, "targetId"),
                new Column("collector_id", ColumnType.TEXT, false, "collectorId"),
                new Column("series", ColumnType.JSONB, false, "series"),
                new Column("metric", ColumnType.TEXT, false, null),
                new Column("window_start", ColumnType.TIMESTAMPTZ, false, "windowStart"),
                new Column("window_end", ColumnType.TIMESTAMPTZ, false, "windowEnd"),
                new Column("count", ColumnType.BIGINT, false, "count"),
                new Column("min", ColumnType.DOUBLE_PRECISION, false, "min"),
                new Column("max", ColumnType.DOUBLE_PRECISION, false, "max"),
                new Column("sum", ColumnType.DOUBLE_PRECISION, false, "sum"),
                new Column("mean", ColumnType.DOUBLE_PRECISION, false, "mean"),
                new Column("last", ColumnType.DOUBLE_PRECISION, false, "last"),
                new Column("p50", ColumnType.DOUBLE_PRECISION, false, "p50"),
                new Column("p95", ColumnType.DOUBLE_PRECISION, false, "p95"),
                new Column("p99", ColumnType.DOUBLE_PRECISION, false, "p99"),
                new Column("sketch", ColumnType.BYTEA, true, "sketch"));
        return new TableLayout(table, columns, List.of("target_id", "series", "metric", "window_start"), "window_start");
    }

    /** {@code blkReadTimeMs} becomes {@code blk_read_time_ms}. */
    static String snakeCase(String fieldName) {
        StringBuilder out = new StringBuilder(fieldName.length() + 8);
        for (int i = 0; i < fieldName.length(); i++) {
            char c = fieldName.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The column definitions and the key, for a store's {@code CREATE TABLE}. */
    String columnsDdl() {
        StringJoiner body = new StringJoiner(",\n    ", "(\n    ", "\n)");
        for (Column column : columns) {
            body.add(column.ddl());
        }
        body.add("PRIMARY KEY (" + quoted(primaryKey) + ")");
        return body.toString();
    }

    List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }

    int timeColumnIndex() {
        return columnNames().indexOf(timeColumn);
    }

    /** {@code COPY t (a, b) FROM STDIN (FORMAT binary)} into {@code target} (the table or its staging copy). */
    String copySql(String target) {
        return "COPY " + target + " (" + quoted(columnNames()) + ") FROM STDIN (FORMAT binary)";
    }

    /** Moves staged rows into the table; rows whose key is stored already are skipped. */
    String insertFromStagingSql(String staging) {
        String names = quoted(columnNames());
        return "INSERT INTO " + name + " (" + names + ") SELECT " + names + " FROM " + staging
                + " ON CONFLICT (" + quoted(primaryKey) + ") DO NOTHING";
    }

    /**
     * Column names are quoted in generated SQL: a future family's field may be named like a reserved word
     * ({@code user}, {@code offset}); quoting a lower-case name changes nothing else.
     */
    static String quoted(List<String> names) {
        StringJoiner joined = new StringJoiner(", ");
        names.forEach(n -> joined.add('"' + n + '"'));
        return joined.toString();
    }

    /**
     * One column.
     *
     * @param name     snake_case of the field name
     * @param type     the PostgreSQL type
     * @param nullable whether the field is optional
     * @param field    the Connect field it is read from ({@code null} for the rollup's metric name, a map key)
     */
    record Column(String name, ColumnType type, boolean nullable, String field) {
        String ddl() {
            return '"' + name + "\" " + type.ddl() + (nullable ? "" : " NOT NULL");
        }
    }
}
