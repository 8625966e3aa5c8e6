package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.metrics.DatabaseSample;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Pattern;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * The metrics-store table for {@link DatabaseSample}: its columns, derived field by field from the Avro contract,
 * and the SQL that creates and fills it.
 *
 * @param name    the table name, optionally schema-qualified; a validated lower-case identifier, so never quoted
 * @param columns one column per Avro field, in field order
 */
record DatabaseMetricsTable(String name, List<Column> columns) {

    /** The natural key of a sample: one row per database of a target per sampling instant. */
    static final List<String> PRIMARY_KEY = List.of("target_id", "datid", "sampled_at");

    /**
     * PostgreSQL's wire protocol counts bind parameters in 16 bits, so one statement carries at most 65535 of
     * them; a multi-row INSERT therefore carries at most this many rows.
     */
    static final int MAX_ROWS_PER_STATEMENT = 65_535 / DatabaseSample.getClassSchema().getFields().size();

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    DatabaseMetricsTable {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("table name: expected a lower-case SQL identifier, optionally "
                    + "schema-qualified, got '" + name + "'");
        }
        columns = List.copyOf(columns);
    }

    /** The table for the current {@link DatabaseSample} schema under {@code name}. */
    static DatabaseMetricsTable named(String name) {
        return new DatabaseMetricsTable(name, columnsOf(DatabaseSample.getClassSchema()));
    }

    /** True when {@code name} is {@code table} or {@code schema.table}, lower case, at most 63 characters each. */
    static boolean isValidName(String name) {
        if (name == null) {
            return false;
        }
        String[] parts = name.split("\\.", -1);
        if (parts.length > 2) {
            return false;
        }
        for (String part : parts) {
            if (!IDENTIFIER.matcher(part).matches()) {
                return false;
            }
        }
        return true;
    }

    /** {@code blkReadTimeMs} becomes {@code blk_read_time_ms}. */
    static String snakeCase(String avroName) {
        StringBuilder out = new StringBuilder(avroName.length() + 8);
        for (int i = 0; i < avroName.length(); i++) {
            char c = avroName.charAt(i);
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

    /**
     * Creates the table unless it exists. The primary key doubles as the index dashboards filter by (target, then
     * time), and it holds {@code sampled_at}, which TimescaleDB requires of every unique index on a hypertable.
     */
    String createTableSql() {
        StringJoiner body = new StringJoiner(",\n    ", "CREATE TABLE IF NOT EXISTS " + name + " (\n    ", "\n)");
        for (Column column : columns) {
            body.add(column.name() + " " + column.type().ddl() + (column.nullable() ? "" : " NOT NULL"));
        }
        body.add("PRIMARY KEY (" + String.join(", ", PRIMARY_KEY) + ")");
        return body.toString();
    }

    /**
     * TimescaleDB only (the caller checks {@code pg_extension} first): turns the table into a hypertable
     * partitioned by {@code sampled_at}. This is the classic {@code create_hypertable(relation, time_column)} form,
     * which every TimescaleDB 2.x accepts (the newer {@code by_range} form needs 2.13+). One-day chunks match the
     * day partitions of the plain-PostgreSQL store, so retention drops whole days on both. {@code migrate_data}
     * lets an existing plain table, created before the extension was installed, be converted in place.
     */
    String createHypertableSql() {
        return "SELECT create_hypertable('" + name + "', 'sampled_at', chunk_time_interval => INTERVAL '1 day', "
                + "if_not_exists => TRUE, migrate_data => TRUE)";
    }

    /**
     * A multi-row INSERT of {@code rows} samples. {@code DO NOTHING} makes a replayed or redelivered sample a no-op,
     * and PostgreSQL applies it to duplicates within the same statement too, so a batch may repeat a key.
     */
    String insertSql(int rows) {
        if (rows < 1 || rows > MAX_ROWS_PER_STATEMENT) {
            throw new IllegalArgumentException("rows: expected 1.." + MAX_ROWS_PER_STATEMENT + ", got " + rows);
        }
        StringJoiner names = new StringJoiner(", ", "(", ")");
        StringJoiner placeholders = new StringJoiner(", ", "(", ")");
        for (Column column : columns) {
            names.add(column.name());
            placeholders.add("?");
        }
        String row = placeholders.toString();
        StringBuilder sql = new StringBuilder(64 + columns.size() * 24 + rows * (row.length() + 2))
                .append("INSERT INTO ").append(name).append(' ').append(names).append(" VALUES ");
        for (int r = 0; r < rows; r++) {
            if (r > 0) {
                sql.append(", ");
            }
            sql.append(row);
        }
        return sql.append(" ON CONFLICT (").append(String.join(", ", PRIMARY_KEY)).append(") DO NOTHING").toString();
    }

    /** Binds {@code sample} to the parameters of row {@code rowIndex} (from 0) of an {@link #insertSql} statement. */
    void bind(PreparedStatement statement, int rowIndex, DatabaseSample sample) throws SQLException {
        int first = rowIndex * columns.size() + 1;
        for (int c = 0; c < columns.size(); c++) {
            Column column = columns.get(c);
            column.type().bind(statement, first + c, sample.get(column.fieldIndex()));
        }
    }

    /** The column names, in order. */
    List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }

    static List<Column> columnsOf(Schema record) {
        List<Column> columns = new ArrayList<>();
        for (Schema.Field field : record.getFields()) {
            Schema schema = field.schema();
            boolean nullable = false;
            if (schema.getType() == Schema.Type.UNION) {
                List<Schema> branches = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
                if (branches.size() != 1) {
                    throw new IllegalArgumentException(record.getFullName() + "." + field.name()
                            + ": only [null, T] unions map to a column, got " + schema);
                }
                nullable = branches.size() < schema.getTypes().size();
                schema = branches.get(0);
            }
            columns.add(new Column(snakeCase(field.name()), SqlType.of(record.getFullName() + "." + field.name(), schema),
                    nullable, field.pos()));
        }
        return columns;
    }

    /**
     * One column of the table.
     *
     * @param name       snake_case of the Avro field name
     * @param type       the PostgreSQL type
     * @param nullable   whether the Avro field admits null
     * @param fieldIndex the Avro field's position, for {@code SpecificRecord.get(int)}
     */
    record Column(String name, SqlType type, boolean nullable, int fieldIndex) {
    }

    /** The PostgreSQL types an Avro field maps to, and how a value of each is bound. */
    enum SqlType {
        TEXT("text", Types.VARCHAR),
        INTEGER("integer", Types.INTEGER),
        BIGINT("bigint", Types.BIGINT),
        REAL("real", Types.REAL),
        DOUBLE_PRECISION("double precision", Types.DOUBLE),
        BOOLEAN("boolean", Types.BOOLEAN),
        TIMESTAMPTZ("timestamptz", Types.TIMESTAMP_WITH_TIMEZONE);

        /**
         * PostgreSQL's timestamptz range (4713 BC to 294276 AD). pgjdbc sends an earlier OffsetDateTime as
         * {@code -infinity} instead of failing, which would store a garbage sample as a plausible-looking row.
         */
        private static final Instant MIN_TIMESTAMPTZ = Instant.parse("-4713-11-24T00:00:00Z");
        private static final Instant MAX_TIMESTAMPTZ = Instant.parse("+294276-12-31T23:59:59.999999Z");
        /** PostgreSQL's SQLSTATE for it, so that the task treats it like any value the server refuses. */
        private static final String DATETIME_FIELD_OVERFLOW = "22008";

        private final String ddl;
        private final int jdbcType;

        SqlType(String ddl, int jdbcType) {
            this.ddl = ddl;
            this.jdbcType = jdbcType;
        }

        String ddl() {
            return ddl;
        }

        static SqlType of(String fieldName, Schema schema) {
            LogicalType logical = schema.getLogicalType();
            if (logical instanceof LogicalTypes.TimestampMicros || logical instanceof LogicalTypes.TimestampMillis) {
                return TIMESTAMPTZ;
            }
            if (logical != null) {
                throw new IllegalArgumentException(fieldName + ": no column type for logical type " + logical.getName());
            }
            return switch (schema.getType()) {
                case STRING, ENUM -> TEXT;
                case INT -> INTEGER;
                case LONG -> BIGINT;
                case FLOAT -> REAL;
                case DOUBLE -> DOUBLE_PRECISION;
                case BOOLEAN -> BOOLEAN;
                default -> throw new IllegalArgumentException(fieldName + ": no column type for Avro " + schema.getType());
            };
        }

        void bind(PreparedStatement statement, int index, Object value) throws SQLException {
            if (value == null) {
                statement.setNull(index, jdbcType);
                return;
            }
            switch (this) {
                case TEXT -> statement.setString(index, value.toString());
                case INTEGER -> statement.setInt(index, (Integer) value);
                case BIGINT -> statement.setLong(index, (Long) value);
                case REAL -> statement.setFloat(index, (Float) value);
                case DOUBLE_PRECISION -> statement.setDouble(index, (Double) value);
                case BOOLEAN -> statement.setBoolean(index, (Boolean) value);
                case TIMESTAMPTZ -> statement.setObject(index, timestamptz((Instant) value));
            }
        }

        /** pgjdbc binds OffsetDateTime as timestamptz with full microsecond precision; it has no Instant mapping. */
        private static OffsetDateTime timestamptz(Instant instant) throws SQLException {
            if (instant.isBefore(MIN_TIMESTAMPTZ) || instant.isAfter(MAX_TIMESTAMPTZ)) {
                throw new SQLException("timestamp out of range: \"" + instant + "\"", DATETIME_FIELD_OVERFLOW);
            }
            return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        }
    }
}
