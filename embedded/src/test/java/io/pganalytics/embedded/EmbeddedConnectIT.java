package io.pganalytics.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedConnectIT {

    @TempDir
    static Path dataDir;

    static EmbeddedKafka kafka;
    static EmbeddedConnect connect;
    static ClassLoader loaderBeforeStart;

    // A field, not try-with-resources: HttpClient is AutoCloseable only from Java 21, we compile for 17.
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(dataDir.resolve("kafka")).start();
        kafka.createTopics(new NewTopic("metrics", 2, (short) 1));
        loaderBeforeStart = Thread.currentThread().getContextClassLoader();
        connect = EmbeddedConnect.builder().bootstrapServers(kafka.bootstrapServers()).start();
    }

    @AfterAll
    static void stop() {
        // Connect first: a distributed worker whose broker is gone blocks on shutdown.
        if (connect != null) {
            connect.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void restApiAnswersOnLoopback() throws Exception {
        assertThat(connect.restUrl()).startsWith("http://127.0.0.1:").doesNotEndWith("/");
        HttpResponse<String> root = get("/");
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(root.body()).contains("\"version\":\"4.1.2\"").contains("kafka_cluster_id");
        assertThat(get("/connector-plugins").body()).contains(RecordingSinkConnector.class.getName());
    }

    @Test
    void sinkConnectorReceivesRecordsAndSurvivesAWorkerRestart() throws Exception {
        connect.putConnector("recording", Map.of(
                "connector.class", RecordingSinkConnector.class.getName(),
                "topics", "metrics",
                "tasks.max", "1"));
        awaiting().until(() -> connect.connectorState("recording").equals("RUNNING")
                && connect.taskStates("recording").equals(List.of("RUNNING")));

        produce("metrics", "cpu=1", "cpu=2");
        awaiting().until(() -> RecordingSinkConnector.received("recording").containsAll(List.of("cpu=1", "cpu=2")));

        // Updating the config (here: two tasks for two partitions) goes through the same call.
        connect.putConnector("recording", Map.of(
                "connector.class", RecordingSinkConnector.class.getName(),
                "topics", "metrics",
                "tasks.max", "2"));
        awaiting().until(() -> connect.taskStates("recording").equals(List.of("RUNNING", "RUNNING")));
        assertThat(get("/connectors/recording/status").body()).contains("\"state\":\"RUNNING\"");

        // The configuration lives in Kafka: a new worker on the same cluster runs the connector again.
        int port = connect.port();
        connect.close();
        connect = EmbeddedConnect.builder().bootstrapServers(kafka.bootstrapServers()).port(port).start();
        assertThat(connect.connectors()).contains("recording");
        awaiting().until(() -> connect.connectorState("recording").equals("RUNNING")
                && connect.taskStates("recording").equals(List.of("RUNNING", "RUNNING")));
        produce("metrics", "cpu=3");
        awaiting().until(() -> RecordingSinkConnector.received("recording").contains("cpu=3"));

        connect.deleteConnector("recording");
        assertThat(connect.connectors()).doesNotContain("recording");
        connect.deleteConnector("recording");
    }

    @Test
    void failedTaskIsReportedWithItsTrace() {
        connect.putConnector("failing", Map.of(
                "connector.class", RecordingSinkConnector.class.getName(),
                "topics", "metrics",
                "fail.on.start", "true"));
        awaiting().until(() -> connect.taskStates("failing").equals(List.of("FAILED")));
        EmbeddedConnect.ConnectorStatus status = connect.status("failing");
        assertThat(status.state()).isEqualTo("RUNNING");
        assertThat(status.tasks().get(0).trace()).contains("failing on purpose");
        connect.deleteConnector("failing");
    }

    @Test
    void startingAWorkerLeavesTheCallersContextClassLoaderAlone() {
        // Connect swaps in its plugin class loader on the thread that starts it; the caller must not keep it.
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(loaderBeforeStart);
    }

    @Test
    void unknownConnectorIsAnError() {
        assertThatThrownBy(() -> connect.connectorState("no-such-connector"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("No connector named no-such-connector");
    }

    private static ConditionFactory awaiting() {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(connect.restUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void produce(String topic, String... values) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, value, value));
            }
            producer.flush();
        }
    }
}
