package io.pganalytics.platform.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.platform.CommandRun;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartCommandTest {

    @TempDir
    Path dataDir;


    @Test
    void takenPortIsOneLineNamingTheFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            CommandRun run = CommandRun.of("quickstart", "--data-dir", dataDir.toString(),
                    "--kafka-port", free(), "--kafka-controller-port", free(), "--registry-port", free(),
                    "--connect-port", free(), "--postgres-port", free(), "--s3-port", free(),
                    "--api-port", Integer.toString(port));
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).isEqualTo("pganalytics quickstart: port " + port
                    + " is already in use; choose another with --api-port");
        }
    }

    @Test
    void helpListsEveryPortFlag() {
        CommandRun run = CommandRun.of("quickstart", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--kafka-port", "--registry-port", "--connect-port", "--api-port",
                "--postgres-port", "--s3-port", "--data-dir", "--interval", "default: 9092");
    }

    @Test
    void aMetricsStoreUrlThatIsNotPostgresJdbcIsRefusedBeforeAnythingStarts() {
        CommandRun run = CommandRun.of("quickstart", "--data-dir", dataDir.toString(),
                "--metrics-store-url", "postgresql://db.example:5432/metrics");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--metrics-store-url must be a PostgreSQL JDBC URL",
                "'postgresql://db.example:5432/metrics'");
    }

    @Test
    void anUnreachableMetricsStoreStopsTheStartWithItsReason() throws Exception {
        int nothingListens = Integer.parseInt(free());
        CommandRun run = CommandRun.of("quickstart", "--data-dir", dataDir.toString(),
                "--kafka-port", free(), "--kafka-controller-port", free(), "--registry-port", free(),
                "--connect-port", free(), "--postgres-port", free(), "--s3-port", free(), "--api-port", free(),
                "--metrics-store-url", "jdbc:postgresql://127.0.0.1:" + nothingListens + "/metrics");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("pganalytics quickstart: cannot use the metrics store jdbc:postgresql://127.0.0.1:"
                + nothingListens + "/metrics as postgres (--metrics-store-url): ");
        assertThat(dataDir.resolve("postgres")).as("nothing started").doesNotExist();
    }

    @Test
    void badIntervalIsRejectedWithTheExpectedFormat() {
        CommandRun run = CommandRun.of("quickstart", "--interval", "soon");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("expected a duration like 5s");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        var converter = new QuickstartCommand.DurationConverter();
        assertThat(converter.convert("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(converter.convert("1500ms")).isEqualTo(Duration.ofMillis(1500));
        assertThat(converter.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    }

    private static String free() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Integer.toString(socket.getLocalPort());
        }
    }
}
