package io.pganalytics.collector.targets;

import io.pganalytics.collector.catalog.RowMapper;
import io.pganalytics.collector.catalog.ServerInfo;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.ReadContext;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/** What a target's readers see of it: its connection, its server, its databases, the collector's settings. */
final class TargetReadContext implements ReadContext {

    private final Target target;
    private final Supplier<CollectorConfig> config;
    private final TargetConnection connection;

    TargetReadContext(Target target, Supplier<CollectorConfig> config, TargetConnection connection) {
        this.target = target;
        this.config = config;
        this.connection = connection;
    }

    @Override
    public String collectorId() {
        return config.get().collectorId();
    }

    @Override
    public String targetId() {
        return target.id();
    }

    @Override
    public CollectorConfig config() {
        return config.get();
    }

    @Override
    public ServerInfo server() {
        return connection.server();
    }

    @Override
    public Connection connection() {
        return connection.connection();
    }

    @Override
    public List<String> databases() throws SQLException {
        if (!target.databases().isEmpty()) {
            return target.databases();
        }
        CollectorConfig config = this.config.get();
        List<String> databases = new ArrayList<>();
        try (PreparedStatement statement = connection.connection().prepareStatement("""
                SELECT datname FROM pg_database
                 WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT')
                 ORDER BY pg_database_size(oid) DESC, datname LIMIT ?""")) {
            statement.setInt(1, config.databasesMax());
            statement.setQueryTimeout(config.clientDeadlineSeconds());
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    databases.add(rs.getString(1));
                }
            }
        }
        return databases;
    }

    @Override
    public Connection connect(String database) throws SQLException {
        return connection.openDatabase(database);
    }

    @Override
    public List<GenericRecord> query(Connection on, String sql, Schema schema) throws SQLException {
        CollectorConfig config = this.config.get();
        try (Statement statement = on.createStatement()) {
            statement.setQueryTimeout(config.clientDeadlineSeconds());
            try (ResultSet rs = statement.executeQuery("SELECT statement_timestamp() AS " + RowMapper.SAMPLED_AT_COLUMN
                    + ", q.* FROM (\n" + sql + "\n) q")) {
                return new RowMapper(schema).map(rs, config.collectorId(), target.id(), connection.server().versionNum());
            }
        }
    }
}
