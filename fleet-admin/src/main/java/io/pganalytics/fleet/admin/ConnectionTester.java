package io.pganalytics.fleet.admin;

import io.pganalytics.fleet.admin.ControlPlane.ConnectionReport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Connects to a target the way a collector would and reports what monitoring it needs: the server version,
 * whether {@code pg_stat_statements} is installed, and which monitoring roles the user lacks. Never throws for
 * the target's faults: they are the report.
 */
final class ConnectionTester {

    /** The roles whose membership the collector's families need to read everything (PostgreSQL 10+). */
    private static final List<String> ROLES = List.of("pg_monitor", "pg_read_all_stats", "pg_read_all_settings");

    private ConnectionTester() {
    }

    static ConnectionReport test(String url, String user, String password, Duration timeout) {
        long started = System.nanoTime();
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        long seconds = Math.max(1, timeout.toSeconds());
        props.setProperty("connectTimeout", Long.toString(seconds));
        props.setProperty("socketTimeout", Long.toString(seconds));
        props.setProperty("loginTimeout", Long.toString(seconds));
        props.setProperty("ApplicationName", "pganalytics-test-connection");
        try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) seconds);
            String version;
            int versionNum;
            try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_setting('server_version_num')::int")) {
                rs.next();
                version = rs.getString(1);
                versionNum = rs.getInt(2);
            }
            String statements = null;
            try (ResultSet rs = s.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'")) {
                if (rs.next()) {
                    statements = rs.getString(1);
                }
            }
            List<String> missing = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT r.rolname, pg_has_role(current_user, r.oid, 'USAGE') OR"
                    + " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_roles r WHERE r.rolname IN ('pg_monitor',"
                    + " 'pg_read_all_stats', 'pg_read_all_settings') ORDER BY r.rolname")) {
                while (rs.next()) {
                    if (!rs.getBoolean(2)) {
                        missing.add(rs.getString(1));
                    }
                }
            }
            missing.sort((a, b) -> ROLES.indexOf(a) - ROLES.indexOf(b));
            return new ConnectionReport(true, null, version, versionNum, statements != null, statements, List.copyOf(missing), millisSince(started));
        } catch (SQLException e) {
            // The driver's message says what failed (refused, timed out, authentication); it never carries the password.
            return new ConnectionReport(false, e.getMessage(), null, 0, false, null, List.of(), millisSince(started));
        }
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
