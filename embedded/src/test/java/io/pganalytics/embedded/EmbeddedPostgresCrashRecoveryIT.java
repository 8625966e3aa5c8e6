package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class EmbeddedPostgresCrashRecoveryIT {

    @TempDir
    Path tempDir;

    private Process child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.destroyForcibly();
        }
    }

    @Test
    void serverOfAJvmKilledWithSigkillStopsWithItAndKeepsItsData() throws Exception {
        Path dataDir = tempDir.resolve("pg");
        int port = FreePorts.pick();
        startChild(dataDir, port);
        long serverPid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        ProcessHandle server = ProcessHandle.of(serverPid).orElseThrow();

        // A real crash: SIGKILL, so nothing of the child's runs on exit; only its watchdog is left to act.
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Awaitility.await("postgres stops with the JVM that started it").atMost(Duration.ofSeconds(30))
                .until(() -> !EmbeddedPostgres.running(server));
        assertThat(dataDir.resolve("postmaster.pid")).as("a fast shutdown removes it").doesNotExist();
        try (java.net.ServerSocket free = new java.net.ServerSocket(port, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(free.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(dataDir).port(port).start();
             Connection c = postgres.dataSource("crash").getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT v FROM written_before_crash")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("survived");
        }
    }

    @Test
    void serverOrphanedByAKilledJvmIsStoppedAndItsDataKept() throws Exception {
        Path dataDir = tempDir.resolve("pg");
        int port = FreePorts.pick();
        startChild(dataDir, port);

        // The whole process group killed (or the OOM killer): the watchdog dies with the JVM and cannot act.
        child.descendants().filter(p -> p.info().command().map(c -> !c.contains("postgres")).orElse(true))
                .forEach(ProcessHandle::destroyForcibly);
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        long orphanPid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        Optional<ProcessHandle> orphan = ProcessHandle.of(orphanPid);
        assertThat(orphan).as("postgres outlives the killed JVM")
                .hasValueSatisfying(p -> assertThat(EmbeddedPostgres.running(p)).isTrue());

        ListAppender<ILoggingEvent> log = captureLog();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().dataDir(dataDir).port(port).start()) {
            // Exited; it may linger as a zombie until init reaps it, which is why running() and not isAlive().
            assertThat(EmbeddedPostgres.running(orphan.get())).isFalse();
            assertThat(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim())
                    .isNotEqualTo(Long.toString(orphanPid));
            assertThat(messages(log)).contains("stopping orphaned PostgreSQL (pid " + orphanPid + ") left by an earlier run");
            assertThat(postgres.port()).isEqualTo(port);
            try (Connection c = postgres.dataSource("crash").getConnection();
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT v FROM written_before_crash")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("survived");
            }
        } finally {
            ((Logger) LoggerFactory.getLogger(EmbeddedPostgres.class)).detachAppender(log);
        }
    }

    /** Starts a separate JVM that owns a server on the directory, and waits until it has written its row. */
    private void startChild(Path dataDir, int port) throws Exception {
        Path childOutput = tempDir.resolve("child.log");
        child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp", System.getProperty("java.class.path"),
                PostgresCrashChild.class.getName(), dataDir.toString(), Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(childOutput.toFile())
                .start();
        Awaitility.await("child JVM prints READY").atMost(Duration.ofSeconds(60))
                .failFast("child JVM exited", () -> !child.isAlive())
                .until(() -> Files.readString(childOutput, StandardCharsets.UTF_8).contains("READY"));
    }

    private static ListAppender<ILoggingEvent> captureLog() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(EmbeddedPostgres.class)).addAppender(appender);
        return appender;
    }

    private static List<String> messages(ListAppender<ILoggingEvent> appender) {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
