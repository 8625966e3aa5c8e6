package io.pganalytics.platform.quickstart;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small, steady pgbench-like workload on the quickstart's {@code demo} database, so that the
 * counters the collector reads move and the dashboards have something to show.
 */
final class DemoWorkload implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoWorkload.class);
    private static final int ACCOUNTS = 10_000;

    private final String jdbcUrl;
    private final String user;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong transactions = new AtomicLong();
    private Connection connection;

    private DemoWorkload(String jdbcUrl, String user) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "pga-demo-workload");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Creates the demo tables if missing and runs {@code transactionsPerSecond} small transactions a second. */
    static DemoWorkload start(String jdbcUrl, String user, int transactionsPerSecond) throws SQLException {
        DemoWorkload workload = new DemoWorkload(jdbcUrl, user);
        try (Connection setup = DriverManager.getConnection(jdbcUrl, user, null);
             Statement statement = setup.createStatement()) {
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance bigint NOT NULL);
                    CREATE TABLE IF NOT EXISTS history (id bigserial PRIMARY KEY, account int NOT NULL,
                        delta int NOT NULL, at timestamptz NOT NULL DEFAULT now());
                    INSERT INTO accounts SELECT g, 0 FROM generate_series(1, %d) g ON CONFLICT DO NOTHING;
                    """.formatted(ACCOUNTS));
        }
        long periodMicros = 1_000_000L / Math.max(1, transactionsPerSecond);
        workload.scheduler.scheduleAtFixedRate(workload::transaction, 0, periodMicros, TimeUnit.MICROSECONDS);
        // Keep the history table from growing without bound over a long-running quickstart.
        workload.scheduler.scheduleAtFixedRate(workload::trimHistory, 1, 1, TimeUnit.MINUTES);
        LOG.info("demo workload running: {} transactions/s on {}", transactionsPerSecond, jdbcUrl);
        return workload;
    }

    long transactions() {
        return transactions.get();
    }

    private void transaction() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int account = random.nextInt(1, ACCOUNTS + 1);
        int delta = random.nextInt(-500, 501);
        try {
            Connection c = connection();
            c.setAutoCommit(false);
            try (PreparedStatement update = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO history (account, delta) VALUES (?, ?)");
                 PreparedStatement select = c.prepareStatement("SELECT balance FROM accounts WHERE id = ?")) {
                update.setInt(1, delta);
                update.setInt(2, account);
                update.executeUpdate();
                insert.setInt(1, account);
                insert.setInt(2, delta);
                insert.executeUpdate();
                select.setInt(1, random.nextInt(1, ACCOUNTS + 1));
                select.executeQuery().close();
            }
            if (random.nextInt(50) == 0) {
                c.rollback(); // a few rollbacks, so xact_rollback moves too
            } else {
                c.commit();
            }
            transactions.incrementAndGet();
        } catch (SQLException e) {
            // The server may be restarting; drop the connection and try again next tick.
            closeConnection();
        }
    }

    private void trimHistory() {
        try (Statement statement = connection().createStatement()) {
            connection.setAutoCommit(true);
            statement.execute("DELETE FROM history WHERE at < now() - interval '10 minutes'");
        } catch (SQLException e) {
            closeConnection();
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = DriverManager.getConnection(jdbcUrl, user, null);
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Already broken.
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
