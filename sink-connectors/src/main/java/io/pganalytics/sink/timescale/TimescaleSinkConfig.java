package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The configuration of the TimescaleDB/PostgreSQL metrics sink: every key declared once, with its default,
 * documentation and validation, in {@link #CONFIG_DEF}.
 *
 * @param connectionUrl      {@value #CONNECTION_URL}
 * @param connectionUser     {@value #CONNECTION_USER}, or null to let the URL or the driver decide
 * @param connectionPassword {@value #CONNECTION_PASSWORD}, or null; {@link Password#toString()} hides it
 * @param schemaRegistryUrl  {@value #SCHEMA_REGISTRY_URL}
 * @param tableName          {@value #TABLE_NAME}
 * @param batchMaxRows       {@value #BATCH_MAX_ROWS}
 */
public record TimescaleSinkConfig(String connectionUrl, String connectionUser, Password connectionPassword,
                                  String schemaRegistryUrl, String tableName, int batchMaxRows) {

    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    public static final String SCHEMA_REGISTRY_URL = AvroSerdeConfig.SCHEMA_REGISTRY_URL;
    public static final String TABLE_NAME = "table.name";
    public static final String BATCH_MAX_ROWS = "batch.max.rows";

    public static final String DEFAULT_TABLE_NAME = "database_metrics";
    public static final int DEFAULT_BATCH_MAX_ROWS = 1000;

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
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new RegistryUrls(), Importance.HIGH,
                    "Comma-separated URLs of the Confluent-compatible schema registry the values' schema ids "
                            + "refer to.")
            .define(TABLE_NAME, Type.STRING, DEFAULT_TABLE_NAME, new TableName(), Importance.MEDIUM,
                    "Table to write DatabaseSample rows to, optionally schema-qualified; created if missing.")
            .define(BATCH_MAX_ROWS, Type.INT, DEFAULT_BATCH_MAX_ROWS, new BatchRows(), Importance.LOW,
                    "Rows per multi-row INSERT statement; a larger batch from Kafka is sent as several statements "
                            + "in the same transaction.");

    /** Parses and validates a connector or task configuration; the {@link ConfigException} names the bad key. */
    public static TimescaleSinkConfig from(Map<String, String> props) {
        // Quiet: AbstractConfig would otherwise log every key at INFO, once per task start.
        AbstractConfig parsed = new AbstractConfig(CONFIG_DEF, props, false);
        return new TimescaleSinkConfig(
                parsed.getString(CONNECTION_URL).trim(),
                parsed.getString(CONNECTION_USER),
                parsed.getPassword(CONNECTION_PASSWORD),
                parsed.getString(SCHEMA_REGISTRY_URL).trim(),
                parsed.getString(TABLE_NAME),
                parsed.getInt(BATCH_MAX_ROWS));
    }

    /** The configuration of our {@code AvroDeserializer}, decoding into the generated classes. */
    public Map<String, Object> deserializerConfig() {
        return Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl, AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
    }

    /** The connection URL without its query string, which may hold credentials: safe to log. */
    public String redactedConnectionUrl() {
        int query = connectionUrl.indexOf('?');
        return query < 0 ? connectionUrl : connectionUrl.substring(0, query) + "?…";
    }

    /** Safe to log: the URL's query string is cut and the password is hidden. */
    @Override
    public String toString() {
        return "TimescaleSinkConfig[" + CONNECTION_URL + "=" + redactedConnectionUrl() + ", " + CONNECTION_USER + "="
                + connectionUser + ", " + CONNECTION_PASSWORD + "=" + connectionPassword + ", " + SCHEMA_REGISTRY_URL
                + "=" + schemaRegistryUrl + ", " + TABLE_NAME + "=" + tableName + ", " + BATCH_MAX_ROWS + "="
                + batchMaxRows + "]";
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

    private static final class RegistryUrls implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || value.toString().isBlank()) {
                throw new ConfigException(name + ": required, e.g. http://127.0.0.1:8081");
            }
            boolean allValid = Arrays.stream(value.toString().split(","))
                    .map(String::trim)
                    .allMatch(url -> url.startsWith("http://") || url.startsWith("https://") || url.startsWith("mock://"));
            if (!allValid) {
                throw new ConfigException(name + ": expected comma-separated http(s)://host:port URLs, got '"
                        + value + "'");
            }
        }

        @Override
        public String toString() {
            return "http(s)://host:port[,...]";
        }
    }

    private static final class TableName implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null || !DatabaseMetricsTable.isValidName(value.toString())) {
                throw new ConfigException(name + ": expected a lower-case SQL identifier (letters, digits, _), "
                        + "optionally schema-qualified as schema.table, got '" + value + "'");
            }
        }

        @Override
        public String toString() {
            return "[schema.]table, lower case";
        }
    }

    private static final class BatchRows implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            int rows = value == null ? 0 : (Integer) value;
            if (rows < 1 || rows > DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT) {
                throw new ConfigException(name + ": expected 1.." + DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT
                        + " (PostgreSQL takes at most 65535 parameters per statement, one per column and row), got "
                        + value);
            }
        }

        @Override
        public String toString() {
            return "[1,...," + DatabaseMetricsTable.MAX_ROWS_PER_STATEMENT + "]";
        }
    }
}
