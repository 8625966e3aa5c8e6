package io.pganalytics.embedded;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server (zonky's embedded binaries, run as a child process) configured for pgAnalytics: logical
 * decoding for CDC and {@code pg_stat_statements} preloaded, listening on 127.0.0.1 only.
 *
 * <p>The data directory is initialised only when it holds no {@code postgresql.conf}, so a restart on the same
 * directory keeps databases and rows. A server orphaned by an earlier JVM that was killed (postgres outlives its
 * parent) is stopped before starting.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

    private static final String HOST = "127.0.0.1";
    private static final String SUPERUSER = "postgres";
    /** The lock file zonky holds in the data directory while a server owns it. */
    private static final String ZONKY_LOCK_FILE = "epg-lock";
    private static final Duration ORPHAN_FAST_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ORPHAN_KILL_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Stops a server left running on {@code dataDir} by a JVM that was killed, if there is one, so that its
     * port is free again; {@link Builder#start()} does this too, but a caller that checks ports first needs it earlier.
     */
    public static void stopOrphanedServer(Path dataDir) {
        Builder.stopOrphanedServer(dataDir.toAbsolutePath());
    }

    /** Zonky waits 10 s by default; a first start on a slow disk (extracting binaries, initdb) can exceed that. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final String DUPLICATE_DATABASE = "42P04";

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private final Path dataDir;
    private boolean closed;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The port the server listens on (on 127.0.0.1). */
    public int port() {
        return server.getPort();
    }

    /** The address the server listens on. */
    public String host() {
        return HOST;
    }

    /** The superuser to connect as; authentication is {@code trust}, so no password is needed. */
    public String user() {
        return SUPERUSER;
    }

    /** The data directory ({@code PGDATA}). */
    public Path dataDir() {
        return dataDir;
    }

    /** A JDBC URL for {@code database}; connect as {@link #user()} with no password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port() + "/" + database;
    }

    /** A non-pooled data source for {@code database}, connecting as {@link #user()}. */
    public DataSource dataSource(String database) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {HOST});
        dataSource.setPortNumbers(new int[] {port()});
        dataSource.setDatabaseName(database);
        dataSource.setUser(SUPERUSER);
        dataSource.setApplicationName("pganalytics-embedded");
        return dataSource;
    }

    /** Creates {@code name} unless a database of that name exists. */
    public void createDatabaseIfMissing(String name) {
        try (Connection connection = dataSource("postgres").getConnection()) {
            try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                exists.setString(1, name);
                try (ResultSet rs = exists.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + quoteIdentifier(name));
                LOG.info("Created PostgreSQL database {}", name);
            } catch (SQLException e) {
                // Another client created it between our check and our CREATE: that is what we wanted.
                if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    private static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** Stops the server (fast shutdown: a checkpoint, then exit) and keeps the data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long start = System.nanoTime();
        int port = port();
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot stop PostgreSQL on port " + port, e);
        }
        LOG.info("PostgreSQL on {}:{} stopped in {} ms", HOST, port, elapsedMillis(start));
    }

    /** Alive and not a zombie. Zombies are detected through Linux's /proc; elsewhere init reaps promptly. */
    static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        try {
            // Format: "pid (comm) S ...": the state letter follows the last ')' (comm may contain one).
            String line = Files.readString(stat, StandardCharsets.UTF_8);
            int end = line.lastIndexOf(')');
            return end < 0 || end + 2 >= line.length() || line.charAt(end + 2) != 'Z';
        } catch (IOException e) {
            return process.isAlive(); // no /proc (macOS), or the process is gone meanwhile
        }
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[" + HOST + ":" + port() + ", " + dataDir + "]";
    }

    /** Configures and starts an {@link EmbeddedPostgres}. */
    public static final class Builder {

        private Path dataDir;
        private int port;
        private final Map<String, String> serverConfig = new LinkedHashMap<>();

        private Builder() {
            // Loaded at start-up because the collector reads per-query statistics from every target.
            serverConfig.put("shared_preload_libraries", "pg_stat_statements");
            // CDC (Debezium with pgoutput) needs logical decoding, a WAL sender and a replication slot per
            // connector; 10 leaves room for several connectors and ad-hoc pg_recvlogical sessions.
            serverConfig.put("wal_level", "logical");
            serverConfig.put("max_wal_senders", "10");
            serverConfig.put("max_replication_slots", "10");
            serverConfig.put("listen_addresses", HOST);
            // The collector reports I/O time per query and table; without this the columns stay zero.
            serverConfig.put("track_io_timing", "on");
        }

        /** The data directory ({@code PGDATA}); required. Created and initialised if it holds no cluster. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** The port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = FreePorts.check(port);
            return this;
        }

        /** Sets or overrides one server setting (passed as {@code -c key=value}); applied after the defaults. */
        public Builder serverConfig(String key, String value) {
            serverConfig.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Stops an orphaned server on the data directory if there is one, then starts PostgreSQL. */
        public EmbeddedPostgres start() {
            if (dataDir == null) {
                throw new IllegalStateException("EmbeddedPostgres.builder().dataDir(...) is required");
            }
            long start = System.nanoTime();
            Path dir = dataDir.toAbsolutePath();
            stopOrphanedServer(dir);
            boolean fresh = !Files.exists(dir.resolve("postgresql.conf"));
            int chosenPort = port != 0 ? port : FreePorts.pick();
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres.Builder zonky =
                    io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                            .setDataDirectory(dir)
                            // Zonky's default deletes the directory on close; ours must survive restarts. Zonky runs
                            // initdb only when the directory has no postgresql.conf, so an existing cluster is reused.
                            .setCleanDataDirectory(false)
                            .setPort(chosenPort)
                            .setPGStartupWait(STARTUP_TIMEOUT);
            serverConfig.forEach(zonky::setServerConfig);
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
            try {
                server = zonky.start();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("Cannot start PostgreSQL on " + HOST + ":" + chosenPort + " with data in "
                        + dir + ": " + e.getMessage(), e);
            }
            LOG.info("PostgreSQL started on {}:{} in {} ms, data in {} ({})", HOST, server.getPort(),
                    elapsedMillis(start), dir, fresh ? "initialised new cluster" : "existing cluster");
            return new EmbeddedPostgres(server, dir);
        }

        /**
         * Zonky starts postgres through {@code pg_ctl}, so the server is not a thread of ours: if the JVM that
         * started it was killed ({@code kill -9}, an IDE's stop button), the server keeps running, holding the port
         * and the data directory, and our start would fail. Zonky's file lock tells a live owner from a dead one:
         * the OS releases it when the owning process dies.
         */
        private static void stopOrphanedServer(Path dir) {
            OptionalLong pid = postmasterPid(dir);
            if (pid.isEmpty()) {
                return;
            }
            Optional<ProcessHandle> process = ProcessHandle.of(pid.getAsLong()).filter(EmbeddedPostgres::running);
            if (process.isEmpty() || !looksLikePostgres(process.get())) {
                // A stale postmaster.pid after a crash or reboot; postgres itself ignores it when the pid is gone.
                return;
            }
            if (ownedByLiveProcess(dir)) {
                throw new IllegalStateException("PostgreSQL data directory " + dir + " is in use by a running server (pid "
                        + pid.getAsLong() + ") whose owner is still alive; stop it or choose another directory");
            }
            LOG.info("stopping orphaned PostgreSQL (pid {}) left by an earlier run", pid.getAsLong());
            stop(process.get());
        }

        private static OptionalLong postmasterPid(Path dir) {
            Path pidFile = dir.resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return OptionalLong.empty();
            }
            try {
                // The first line of postmaster.pid is the postmaster's pid (see PostgreSQL's miscadmin.h).
                List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
                return lines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
            } catch (IOException | NumberFormatException e) {
                LOG.warn("Ignoring unreadable {}: {}", pidFile, e.toString());
                return OptionalLong.empty();
            }
        }

        /** Guards against pid reuse: after a reboot the pid in a stale file may belong to anything. */
        private static boolean looksLikePostgres(ProcessHandle process) {
            return process.info().command()
                    .map(command -> Path.of(command).getFileName().toString().startsWith("postgres"))
                    .orElse(true);
        }

        private static boolean ownedByLiveProcess(Path dir) {
            Path lockFile = dir.resolve(ZONKY_LOCK_FILE);
            if (!Files.exists(lockFile)) {
                return false;
            }
            try (FileOutputStream stream = new FileOutputStream(lockFile.toFile(), true);
                 FileLock lock = stream.getChannel().tryLock()) {
                return lock == null;
            } catch (OverlappingFileLockException e) {
                return true; // held by this very JVM: an EmbeddedPostgres here owns the directory
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot check lock " + lockFile, e);
            }
        }

        /** SIGINT is PostgreSQL's fast shutdown (abort sessions, checkpoint, exit); SIGKILL only if that hangs. */
        private static void stop(ProcessHandle process) {
            long pid = process.pid();
            if (!sendSigint(pid)) {
                process.destroy(); // SIGTERM: smart shutdown, also clean, but waits for sessions to end
            }
            if (awaitExit(process, ORPHAN_FAST_SHUTDOWN_TIMEOUT)) {
                return;
            }
            LOG.warn("Orphaned PostgreSQL (pid {}) ignored fast shutdown for {}; killing it", pid,
                    ORPHAN_FAST_SHUTDOWN_TIMEOUT);
            process.destroyForcibly();
            if (!awaitExit(process, ORPHAN_KILL_TIMEOUT)) {
                throw new IllegalStateException("Orphaned PostgreSQL (pid " + pid + ") does not exit; kill it by hand");
            }
        }

        private static boolean sendSigint(long pid) {
            try {
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while stopping orphaned PostgreSQL", e);
            }
        }

        /**
         * Polls rather than using {@link ProcessHandle#onExit()}: the orphan is not our child, so once it exits it
         * stays a zombie until the init process reaps it, and {@code onExit} waits for the reaping. Some container
         * inits reap late (about 1 s on our build machines) or never; a zombie holds no port and no file, so it counts
         * as gone.
         */
        private static boolean awaitExit(ProcessHandle process, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (running(process)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while stopping orphaned PostgreSQL", e);
                }
            }
            return true;
        }
    }
}
