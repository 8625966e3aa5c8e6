package io.pganalytics.collector.catalog;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What decides which catalog SQL a target gets: its {@code server_version_num}, and the installed
 * version of pg_stat_statements in the connected database (null when not installed there), which
 * can be older than the server's default when nobody ran {@code ALTER EXTENSION … UPDATE}.
 *
 * @param versionNum          {@code server_version_num}, e.g. 170006
 * @param statementsExtension {@code pg_extension.extversion} of pg_stat_statements, or null
 * @param statementsPreloaded whether {@code shared_preload_libraries} names pg_stat_statements
 * @param database            the connected database
 */
public record ServerInfo(int versionNum, String statementsExtension, boolean statementsPreloaded, String database) {

    /** Reads the server's facts over {@code connection}. */
    public static ServerInfo read(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("""
                     SELECT current_setting('server_version_num')::int,
                            (SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'),
                            current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements($|[ ,])',
                            current_database()""")) {
            rs.next();
            return new ServerInfo(rs.getInt(1), rs.getString(2), rs.getBoolean(3), rs.getString(4));
        }
    }
}
