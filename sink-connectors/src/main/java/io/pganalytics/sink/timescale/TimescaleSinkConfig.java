package io.pganalytics.sink.timescale;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The configuration of the TimescaleDB/PostgreSQL metrics sink: every key declared once, with its default,
 * documentation and validation, in {@link #CONFIG_DEF}. The module README's table is tested against it.
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
 */
public record TimescaleSinkConfig(String connectorName, String connectionUrl, String connectionUser,
                                  Password connectionPassword, String writeMode, int batchMaxRows,
                                  long batchLingerMillis, int poolSize, String store, int partitionsAheadDays,
                                  int retentionDays, int chunkIntervalHours, int compressAfterDays) {

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

    /** Rows by plain COPY, consumed offsets stored in the same transaction: exactly-once effect. */
    public static final String WRITE_MODE_COPY = "copy";
    /** Staging + {@code INSERT ... ON CONFLICT DO NOTHING}, no offsets table: for writers that do not own offsets. */
    public static final String WRITE_MODE_INSERT_IGNORE = "insert-ignore";
    public static final String STORE_AUTO = "auto";
    public static final String STORE_POSTGRESQL = "postgresql";
    public static final String STORE_TIMESCALEDB = "timescaledb";

    private static final String JDBC_PREFIX = "jdbc:postgresql:";

    /** Every key of the sink; Connect validates connector configurations against it before starting them. */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new JdbcUrl(), Importance.HIGH,
                    "JDBC URL of the metrics store, e.g. jdbc:postgresql://host:5432/metrics. Keep the password "
                            + "out of it: use " + CONNECTION_PASSWORD + ".")
            .define(CONNECTION_USER, Type.STRING, null, Importance.HIGH,
                    "Database user; when unset, the URL's user parameter or the driver's default applies.")
            .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                    "Database password; never logged.")
            .define(WRITE_MODE, Type.STRING, WRITE_MODE_COPY, ValidString.in(WRITE_MODE_COPY, WRITE_MODE_INSERT_IGNORE),
                    Importance.MEDIUM, "copy: rows by COPY and the consumed offsets in the same transaction "
                            + "(table pga_sink_offsets), so a replay is skipped, not rewritten. insert-ignore: no "
                            + "offsets table, rows by staging + INSERT ... ON CONFLICT DO NOTHING (the restore tool).")
            .define(BATCH_MAX_ROWS, Type.INT, 10_000, Range.between(1, 1_000_000), Importance.MEDIUM,
                    "Rows held before a batch is written, one transaction per batch.")
            .define(BATCH_LINGER_MS, Type.LONG, 1_000L, Range.between(0L, 600_000L), Importance.MEDIUM,
                    "Longest a record waits for its batch to fill before the batch is written anyway.")
            .define(POOL_SIZE, Type.INT, 2, Range.between(1, 64), Importance.LOW,
                    "Connections in each task's HikariCP pool (one writes, one serves DDL and upkeep).")
            .define(STORE, Type.STRING, STORE_AUTO, ValidString.in(STORE_AUTO, STORE_POSTGRESQL, STORE_TIMESCALEDB),
                    Importance.MEDIUM, "auto: TimescaleDB hypertables when the timescaledb extension is installed in "
                            + "the database, day partitions of plain PostgreSQL otherwise.")
            .define(PARTITIONS_AHEAD_DAYS, Type.INT, 3, Range.between(0, 366), Importance.LOW,
                    "PostgreSQL store: day partitions created ahead of today (a missing day is also created on demand).")
            .define(RETENTION_DAYS, Type.INT, 30, Range.atLeast(0), Importance.MEDIUM,
                    "Days of data kept: older day partitions are dropped (PostgreSQL), or a retention policy drops "
                            + "older chunks (TimescaleDB). 0 keeps everything.")
            .define(CHUNK_INTERVAL_HOURS, Type.INT, 24, Range.between(1, 24 * 366), Importance.LOW,
                    "TimescaleDB store: the hypertables' chunk interval.")
            .define(COMPRESS_AFTER_DAYS, Type.INT, 7, Range.atLeast(0), Importance.LOW,
                    "TimescaleDB store: chunks older than this are compressed, segmented by target_id. 0 disables "
                            + "compression.");

    /** Parses and validates a connector or task configuration; the {@link ConfigException} names the bad key. */
    public static TimescaleSinkConfig from(Map<String, String> props) {
        // Quiet: AbstractConfig would otherwise log every key at INFO, once per task start.
        AbstractConfig parsed = new AbstractConfig(CONFIG_DEF, props, false);
        String writeMode = parsed.getString(WRITE_MODE);
        String name = props.get(NAME);
        if (WRITE_MODE_COPY.equals(writeMode) && (name == null || name.isBlank())) {
            throw new ConfigException(NAME + ": required with " + WRITE_MODE + "=copy, the offsets table is keyed by "
                    + "the connector's name (Connect sets it; a program running the task must too)");
        }
        return new TimescaleSinkConfig(name, parsed.getString(CONNECTION_URL).trim(), parsed.getString(CONNECTION_USER),
                parsed.getPassword(CONNECTION_PASSWORD), writeMode, parsed.getInt(BATCH_MAX_ROWS),
                parsed.getLong(BATCH_LINGER_MS), parsed.getInt(POOL_SIZE), parsed.getString(STORE),
                parsed.getInt(PARTITIONS_AHEAD_DAYS), parsed.getInt(RETENTION_DAYS), parsed.getInt(CHUNK_INTERVAL_HOURS),
                parsed.getInt(COMPRESS_AFTER_DAYS));
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
                + store + ", " + RETENTION_DAYS + "=" + retentionDays + "]";
    }

    /** Does not echo the value: a JDBC URL may carry a password parameter. */
    private static final class JdbcUrl implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !value.toString().trim().startsWith(JDBC_PREFIX)
                    || value.toString().trim().length() == JDBC_PREFIX.length()) {
                throw new ConfigException(name + ": expected jdbc:postgresql://host:port/database");
            }
        }

        @Override
        public String toString() {
            return "jdbc:postgresql://host:port/database";
        }
    }
}
