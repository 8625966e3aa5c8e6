package io.pganalytics.api.health;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Checks the PostgreSQL database the API stores its state in, through the API's own pool.
 */
public final class DatabaseHealth implements HealthCheck {

    private final HikariDataSource pool;

    public DatabaseHealth(String jdbcUrl, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("pga-api");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(4);
        config.setConnectionTimeout(2_000);
        config.setValidationTimeout(1_000);
        // Start even while the database is down: the health endpoint exists to say so.
        config.setInitializationFailTimeout(-1);
        this.pool = new HikariDataSource(config);
    }

    @Override
    public String name() {
        return "database";
    }

    @Override
    public ComponentHealth check() {
        try (Connection connection = pool.getConnection()) {
            if (!connection.isValid(2)) {
                return ComponentHealth.down("connection is not valid");
            }
            return ComponentHealth.up(connection.getMetaData().getDatabaseProductName() + " "
                    + connection.getMetaData().getDatabaseProductVersion());
        } catch (SQLException e) {
            return ComponentHealth.down(e.getMessage());
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
