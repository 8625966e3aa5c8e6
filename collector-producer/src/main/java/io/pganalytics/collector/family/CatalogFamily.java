package io.pganalytics.collector.family;

import io.pganalytics.collector.catalog.MetricDefinition;
import io.pganalytics.schemas.family.MetricFamily;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericRecord;

/**
 * A family read with its catalog definition: the SQL for the target's version, once on the
 * target's connection ({@code server} scope) or once in each monitored database ({@code database}).
 */
public class CatalogFamily implements FamilyReader {

    /** Replaced in catalog SQL by {@code collector.tables.top}. */
    public static final String TOP_PLACEHOLDER = "{{top}}";

    private final MetricDefinition definition;
    private final MetricFamily family;

    public CatalogFamily(MetricDefinition definition, MetricFamily family) {
        this.definition = definition;
        this.family = family;
    }

    @Override
    public String job() {
        return family.name();
    }

    @Override
    public String family() {
        return family.name();
    }

    protected MetricDefinition definition() {
        return definition;
    }

    protected MetricFamily metricFamily() {
        return family;
    }

    /** The SQL for this target, or why there is none. */
    protected String sql(ReadContext context, String extensionVersion) throws SQLException {
        int version = context.server().versionNum();
        String sql = definition.sqlFor(version, extensionVersion).orElseThrow(() -> new FamilyUnavailable(
                family.name() + " is not available on PostgreSQL " + version
                        + (definition.extension() == null ? "" : " with " + definition.extension() + " " + extensionVersion),
                definition.extension() == null));
        return sql.replace(TOP_PLACEHOLDER, Integer.toString(context.config().tablesTop()));
    }

    /**
     * Whether a cycle may send this family's query together with others on the target's own
     * connection: a server-scope family read as the catalog says and nothing more. Subclasses
     * (statements, settings) read differently and per-database families need other connections.
     */
    public boolean readsOnTargetConnectionOnly() {
        return getClass() == CatalogFamily.class && definition.scope() == MetricDefinition.Scope.SERVER;
    }

    /** The Avro schema of this family's raw records. */
    public org.apache.avro.Schema schema() {
        return family.rawSchema();
    }

    /** The SELECT this family runs on {@code context}'s server, or why there is none. */
    public String query(ReadContext context) throws SQLException {
        return sql(context, null);
    }

    @Override
    public Collected read(ReadContext context) throws SQLException {
        String sql = sql(context, null);
        if (definition.scope() == MetricDefinition.Scope.SERVER) {
            return Collected.of(family.name(), context.query(context.connection(), sql, family.rawSchema()));
        }
        List<GenericRecord> samples = new ArrayList<>();
        SQLException firstFailure = null;
        for (String database : context.databases()) {
            try (Connection connection = context.connect(database)) {
                samples.addAll(context.query(connection, sql, family.rawSchema()));
            } catch (SQLException e) {
                // One database we cannot enter (no CONNECT privilege, dropped meanwhile) must not hide the others.
                if (firstFailure == null) {
                    firstFailure = new SQLException("database " + database + ": " + e.getMessage(), e.getSQLState(), e);
                }
            }
        }
        if (samples.isEmpty() && firstFailure != null) {
            throw firstFailure;
        }
        return Collected.of(family.name(), samples);
    }
}
