package io.pganalytics.platform.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.platform.Main;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quickstart killed with SIGKILL leaves nothing behind: its PostgreSQL servers (the primary and its standby) are
 * started through {@code pg_ctl}, not as threads of the JVM, and stop with it all the same, freeing their ports and
 * data directories.
 */
class QuickstartSigkillIT {

    @TempDir
    Path dataDir;

    private Process quickstart;

    @AfterEach
    void killQuickstart() throws Exception {
        if (quickstart != null) {
            quickstart.destroyForcibly();
            quickstart.waitFor(30, TimeUnit.SECONDS);
        }
        // Should the test fail, it must not leave what it tests for behind.
        if (Files.isDirectory(dataDir.resolve("data"))) {
            for (Server server : servers(dataDir.resolve("data"))) {
                EmbeddedPostgres.stopOrphanedServer(server.pidFile().getParent());
            }
        }
    }

    /** One running server as its {@code postmaster.pid} describes it: pid (line 1) and port (line 4). */
    private record Server(Path pidFile, long pid, int port) {
    }

    @Test
    void aQuickstartKilledWithSigkillLeavesNoPostgresRunning() throws Exception {
        Path log = dataDir.resolve("quickstart.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "quickstart",
                "--data-dir", dataDir.resolve("data").toString(),
                "--kafka-port", port(), "--kafka-controller-port", port(), "--registry-port", port(),
                "--connect-port", port(), "--api-port", port(), "--postgres-port", port(), "--s3-port", port(),
                "--interval", "1s"));
        quickstart = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await("the quickstart's banner").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .failFast("the quickstart exited: see " + log, () -> !quickstart.isAlive())
                .until(() -> Files.readString(log, StandardCharsets.UTF_8).contains("pgAnalytics is running"));
        List<Server> servers = servers(dataDir.resolve("data"));
        assertThat(servers).as("the primary and the standby").hasSizeGreaterThanOrEqualTo(2);

        quickstart.destroyForcibly();
        assertThat(quickstart.waitFor(30, TimeUnit.SECONDS)).isTrue();

        for (Server server : servers) {
            await("PostgreSQL pid " + server.pid() + " stops").atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.exists(server.pidFile()));
            try (ServerSocket free = new ServerSocket(server.port(), 1, InetAddress.getByName("127.0.0.1"))) {
                assertThat(free.getLocalPort()).as("port of pid %d free again", server.pid()).isEqualTo(server.port());
            }
        }
    }

    private static List<Server> servers(Path data) throws IOException {
        List<Server> servers = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(data)) {
            for (Path dir : dirs.toList()) {
                Path pidFile = dir.resolve("postmaster.pid");
                if (Files.exists(pidFile)) {
                    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
                    servers.add(new Server(pidFile, Long.parseLong(lines.get(0).trim()),
                            Integer.parseInt(lines.get(3).trim())));
                }
            }
        }
        return servers;
    }

    private static String port() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Integer.toString(socket.getLocalPort());
        }
    }
}
