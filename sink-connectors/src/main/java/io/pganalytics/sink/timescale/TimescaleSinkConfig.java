package io.pganalytics.sink.timescale;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.sink.connect.ConnectFields;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The configuration of the TimescaleDB/PostgreSQL metrics sink: every key declared once, with its default,
 * documentation and validation, in {@link Keys}; Connect's {@link #CONFIG_DEF} is made from them. The module README's table is tested against it.
 *
 * @param connectorName       Connect's {@code name}: the offsets table is keyed by it ({@code copy} mode)
 * @param connectionUrl       {@value #CONNECTION_URL}
 * @param connectionUser      {@value #CONNECTION_USER}, or null to let the URL or the driver decide
 * @param connectionPassword  {@value #CONNECTION_PASSWORD}, or null; {@link Password#toString()} hides it
 * @param writeMode           {@value #WRITE_MODE}
 * @param batchMaxRows        {@value #BATCH_MAX_ROWS}
 * @param batchLingerMillis   {@value #BATCH_LINGER_MS}
 * @param poolSize            {@value #POOL_SIZE}
 * @param store               {@value #STORE}
 * @param partitionsAheadDays {@value #PARTITIONS_AHEAD_DAYS}
 * @param retentionDays       {@value #RETENTION_DAYS}
 * @param chunkIntervalHours  {@value #CHUNK_INTERVAL_HOURS}
 * @param compressAfterDays   {@value #COMPRESS_AFTER_DAYS}
 * @param schemaRegistryUrl   {@value #SCHEMA_REGISTRY_URL}, or null when values arrive as {@code Struct}s
 */
public record TimescaleSinkConfig(String connectorName, String connectionUrl, String connectionUser,
                                  Password connectionPassword, String writeMode, int batchMaxRows,
                                  long batchLingerMillis, int poolSize, String store, int partitionsAheadDays,
                                  int retentionDays, int chunkIntervalHours, int compressAfterDays,
                                  String schemaRegistryUrl) {

    /** Connect's own key for the connector's name; every connector configuration has it. */
    public static final String NAME = "name";
    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    public static final String WRITE_MODE = "write.mode";
    public static final String BATCH_MAX_ROWS = "batch.max.rows";
    public static final String BATCH_LINGER_MS = "batch.linger.ms";
    public static final String POOL_SIZE = "connection.pool.size";
    public static final String STORE = "store";
    public static final String PARTITIONS_AHEAD_DAYS = "partitions.ahead.days";
    public static final String RETENTION_DAYS = "retention.days";
    public static final String CHUNK_INTERVAL_HOURS = "timescaledb.chunk.interval.hours";
    public static final String COMPRESS_AFTER_DAYS = "timescaledb.compress.after.days";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

    /** Rows by plain COPY, consumed offsets stored in the same transaction: exactly-once effect. */
    public static final String WRITE_MODE_COPY = "copy";
    /** Staging + {@code INSERT ... ON CONFLICT DO NOTHING}, no offsets table: for writers that do not own offsets. */
    public static final String WRITE_MODE_INSERT_IGNORE = "insert-ignore";
    public static final String STORE_AUTO = "auto";
    public static final String STORE_POSTGRESQL = "postgresql";
    public static final String STORE_TIMESCALEDB = "timescaledb";

    private static final String JDBC_PREFIX = "jdbc:postgresql:";

    /** Every key of the sink, each declared once with its default, rule and documentation. */
    public static final class Keys {

        private Keys() {
        }

        // Does not echo the value: a JDBC URL may carry a password parameter.
        public static final Field<String> CONNECTION_URL = Field.string(TimescaleSinkConfig.CONNECTION_URL)
                .withCheck(url -> url.startsWith(JDBC_PREFIX) && url.length() > JDBC_PREFIX.length() ? null
                        : "expected jdbc:postgresql://host:port/database")
                .withDoc("JDBC URL of the metrics store, e.g. jdbc:postgresql://host:5432/metrics. Keep the password "
                        + "out of it: use " + TimescaleSinkConfig.CONNECTION_PASSWORD + ".");
        public static final Field<String> CONNECTION_USER = Field.string(TimescaleSinkConfig.CONNECTION_USER).optional()
                .withDoc("Database user; when unset, the URL's user parameter or the driver's default applies.");
        public static final Field<String> CONNECTION_PASSWORD = Field.string(TimescaleSinkConfig.CONNECTION_PASSWORD)
                .optional().secret().withDoc("Database password; never logged.");
        public static final Field<String> WRITE_MODE = Field.string(TimescaleSinkConfig.WRITE_MODE)
                .withDefault(WRITE_MODE_COPY)
                .withCheck(Check.matching(WRITE_MODE_COPY + "|" + WRITE_MODE_INSERT_IGNORE,
                        WRITE_MODE_COPY + " or " + WRITE_MODE_INSERT_IGNORE))
                .withDoc("copy: rows by COPY and the consumed offsets in the same transaction "
                        + "(table pga_sink_offsets), so a replay is skipped, not rewritten. insert-ignore: no "
                        + "offsets table, rows by staging + INSERT ... ON CONFLICT DO NOTHING (the restore tool).");
        public static final Field<Integer> BATCH_MAX_ROWS = Field.integer(TimescaleSinkConfig.BATCH_MAX_ROWS)
                .withDefault(10_000).withCheck(Check.between(1, 1_000_000))
                .withDoc("Rows held before a batch is written, one transaction per batch.");
        public static final Field<Long> BATCH_LINGER_MS = Field.longValue(TimescaleSinkConfig.BATCH_LINGER_MS)
                .withDefault(1_000L).withCheck(Check.between(0, 600_000))
                .withDoc("Longest a record waits for its batch to fill when the consumer never drains; a drained "
                        + "backlog is written at once.");
        public static final Field<Integer> POOL_SIZE = Field.integer(TimescaleSinkConfig.POOL_SIZE).withDefault(2)
                .withCheck(Check.between(1, 64))
                .withDoc("Connections in each task's HikariCP pool (one writes, one serves DDL and upkeep).");
        public static final Field<String> STORE = Field.string(TimescaleSinkConfig.STORE).withDefault(STORE_AUTO)
                .withCheck(Check.matching(STORE_AUTO + "|" + STORE_POSTGRESQL + "|" + STORE_TIMESCALEDB,
                        STORE_AUTO + ", " + STORE_POSTGRESQL + " or " + STORE_TIMESCALEDB))
                .withDoc("auto: TimescaleDB hypertables when the timescaledb extension is installed in "
                        + "the database, day partitions of plain PostgreSQL otherwise.");
        public static final Field<Integer> PARTITIONS_AHEAD_DAYS = Field.integer(TimescaleSinkConfig.PARTITIONS_AHEAD_DAYS)
                .withDefault(3).withCheck(Check.between(0, 366))
                .withDoc("PostgreSQL store: day partitions created ahead of today (a missing day is also created on demand).");
        public static final Field<Integer> RETENTION_DAYS = Field.integer(TimescaleSinkConfig.RETENTION_DAYS)
                .withDefault(30).withCheck(Check.atLeast(0))
                .withDoc("Days of data kept: older day partitions are dropped (PostgreSQL), or a retention policy drops "
                        + "older chunks (TimescaleDB). 0 keeps everything.");
        public static final Field<Integer> CHUNK_INTERVAL_HOURS = Field.integer(TimescaleSinkConfig.CHUNK_INTERVAL_HOURS)
                .withDefault(24).withCheck(Check.between(1, 24 * 366))
                .withDoc("TimescaleDB store: the hypertables' chunk interval.");
        public static final Field<Integer> COMPRESS_AFTER_DAYS = Field.integer(TimescaleSinkConfig.COMPRESS_AFTER_DAYS)
                .withDefault(7).withCheck(Check.atLeast(0))
                .withDoc("TimescaleDB store: chunks older than this are compressed, segmented by target_id. 0 disables "
                        + "compression.");

        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string(TimescaleSinkConfig.SCHEMA_REGISTRY_URL)
                .optional()
                .withCheck(url -> url.startsWith("http://") || url.startsWith("https://") || url.startsWith("mock://")
                        ? null : "expected http(s)://host:port of a Confluent-compatible schema registry")
                .withDoc("Schema registry the sink decodes Confluent's wire format with, when values arrive as bytes "
                        + "(value.converter=org.apache.kafka.connect.converters.ByteArrayConverter, the fast path). "
                        + "Not needed with value.converter=io.pganalytics.schemas.connect.AvroConverter.");
    }

    /** Every key of the sink, in documentation order. */
    public static final Fields FIELDS = Fields.of("", Keys.CONNECTION_URL, Keys.CONNECTION_USER,
            Keys.CONNECTION_PASSWORD, Keys.WRITE_MODE, Keys.BATCH_MAX_ROWS, Keys.BATCH_LINGER_MS, Keys.POOL_SIZE,
            Keys.STORE, Keys.PARTITIONS_AHEAD_DAYS, Keys.RETENTION_DAYS, Keys.CHUNK_INTERVAL_HOURS,
            Keys.COMPRESS_AFTER_DAYS, Keys.SCHEMA_REGISTRY_URL);

    /** Connect validates connector configurations against it before starting them; made from {@link #FIELDS}. */
    public static final ConfigDef CONFIG_DEF = ConnectFields.configDef(FIELDS);

    /** Parses and validates a connector or task configuration; the {@link ConfigException} names every bad key. */
    public static TimescaleSinkConfig from(Map<String, String> props) {
        return ConnectFields.read(FIELDS, props, values -> {
            String writeMode = values.get(Keys.WRITE_MODE);
            String name = props.get(NAME);
            if (WRITE_MODE_COPY.equals(writeMode) && (name == null || name.isBlank())) {
                values.reject(NAME, "required with " + WRITE_MODE + "=copy, the offsets table is keyed by "
                        + "the connector's name (Connect sets it; a program running the task must too)");
            }
            values.validate();
            String password = values.get(Keys.CONNECTION_PASSWORD);
            return new TimescaleSinkConfig(name, values.get(Keys.CONNECTION_URL), values.get(Keys.CONNECTION_USER),
                    password == null ? null : new Password(password), writeMode, values.get(Keys.BATCH_MAX_ROWS),
                    values.get(Keys.BATCH_LINGER_MS), values.get(Keys.POOL_SIZE), values.get(Keys.STORE),
                    values.get(Keys.PARTITIONS_AHEAD_DAYS), values.get(Keys.RETENTION_DAYS),
                    values.get(Keys.CHUNK_INTERVAL_HOURS), values.get(Keys.COMPRESS_AFTER_DAYS),
                    values.get(Keys.SCHEMA_REGISTRY_URL));
        });
    }

    /** Whether this task owns its offsets in the database ({@code copy}) or leaves them to Connect. */
    public boolean ownsOffsets() {
        return WRITE_MODE_COPY.equals(writeMode);
    }

    /** The connection URL without its query string, which may hold credentials: safe to log. */
    public String redactedConnectionUrl() {
        int query = connectionUrl.indexOf('?');
        return query < 0 ? connectionUrl : connectionUrl.substring(0, query) + "?…";
    }

    /** Safe to log: the URL's query string is cut and the password is hidden. */
    @Override
    public String toString() {
        return "TimescaleSinkConfig[" + NAME + "=" + connectorName + ", " + CONNECTION_URL + "=" + redactedConnectionUrl()
                + ", " + CONNECTION_USER + "=" + connectionUser + ", " + CONNECTION_PASSWORD + "=" + connectionPassword
                + ", " + WRITE_MODE + "=" + writeMode + ", " + BATCH_MAX_ROWS + "=" + batchMaxRows + ", "
                + BATCH_LINGER_MS + "=" + batchLingerMillis + ", " + POOL_SIZE + "=" + poolSize + ", " + STORE + "="
                + store + ", " + RETENTION_DAYS + "=" + retentionDays + ", " + SCHEMA_REGISTRY_URL + "="
                + schemaRegistryUrl + "]";
    }
}
