package io.pganalytics.embedded;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * The process {@link EmbeddedPostgresCrashRecoveryIT} kills: starts PostgreSQL on the given directory and port,
 * writes a row, prints {@code READY} and waits to be killed.
 */
public final class PostgresCrashChild {

    private PostgresCrashChild() {
    }

    public static void main(String[] args) throws SQLException, InterruptedException {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(Path.of(args[0])).port(Integer.parseInt(args[1]))
                .start();
        postgres.createDatabaseIfMissing("crash");
        try (Connection c = postgres.dataSource("crash").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE written_before_crash (v text)");
            s.execute("INSERT INTO written_before_crash VALUES ('survived')");
        }
        System.out.println("READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
