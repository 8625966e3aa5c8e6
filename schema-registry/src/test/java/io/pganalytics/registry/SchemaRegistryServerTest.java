package io.pganalytics.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What start-up does without a reachable Kafka: fail within its timeout, with a message naming what to check. */
class SchemaRegistryServerTest {

    @Test
    void startFailsWithinTheTimeoutWhenKafkaIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        RegistryConfig config = RegistryConfig.of("127.0.0.1:" + closedPort).withPort(0)
                .withStartupTimeout(Duration.ofSeconds(1));

        long started = System.nanoTime();
        assertThatThrownBy(() -> SchemaRegistryServer.start(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageContaining("_schemas");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("schema-registry-"));
    }
}
