package io.pganalytics.api.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.views.FleetViews;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.alerts.AlertState;
import io.pganalytics.schemas.fleet.CollectorLog;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.fleet.CollectorStatus;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fleet views and the events WebSocket, read from a real broker with real schemas, through real HTTP. */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class FleetViewsIT {

    static final String TOKEN = "fleet-views-it-admin-token";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> LIVE_STATUSES = new CopyOnWriteArrayList<>();
    static final List<String> ACKS = new CopyOnWriteArrayList<>();
    static KafkaProducer<String, GenericContainer> producer;
    static ApiServer api;

    @BeforeAll
    static void start(TestStack stack) {
        AvroSerializer<GenericContainer> avro = new AvroSerializer<>();
        avro.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stack.registry().url()), false);
        producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafka().bootstrapServers()), new StringSerializer(), avro);
        // one heartbeat before the API starts: the view rebuilds it from the topic
        send(Topics.FLEET_HEARTBEATS, "c-early", heartbeat("c-early", "early-group"));
        ApiConfig config = new ApiConfig("127.0.0.1", 0, stack.postgres().jdbcUrl("postgres"), stack.postgres().user(),
                null, stack.kafka().bootstrapServers(), TOKEN, List.of(), ApiConfig.DEFAULT_MAX_BODY_BYTES,
                stack.registry().url());
        api = FleetApi.start(config, new FleetViews.Listener() {
            @Override
            public void liveStatus(String collectorId, String status, Instant lastHeartbeatAt) {
                LIVE_STATUSES.add(collectorId + "=" + status);
            }

            @Override
            public void acknowledged(String commandId, String outcome, String reason, Instant at) {
                ACKS.add(commandId + "=" + outcome);
            }
        });
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (producer != null) {
            producer.close();
        }
    }

    static void send(String topic, String key, GenericContainer value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Heartbeat heartbeat(String id, String group) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return Heartbeat.newBuilder().setCollectorId(id).setHostname("host-" + id).setVersion("0.1.0")
                .setStartedAt(now.minusSeconds(60)).setSentAt(now).setIntervalMillis(15_000)
                .setTargetsConfigured(1).setTargetsHealthy(1).setSamplesProduced(10).setSamplesFailed(0)
                .setUptimeMillis(60_000).setState(FleetVocabulary.STATE_RUNNING)
                .setEffectiveConfig(io.pganalytics.schemas.fleet.EffectiveConfig.newBuilder().setPreset("standard")
                        .setBaseIntervalMillis(15_000).setFamilyIntervalMillis(Map.of()).setWorkers(1)
                        .setFleetGroup(group).build())
                .setTargets(List.of(io.pganalytics.schemas.fleet.TargetReport.newBuilder().setTargetId("t1")
                        .setConnected(true).setLastSuccessAt(now).build()))
                .build();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + path)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** A WebSocket client that keeps what it receives. */
    static final class Events implements WebSocket.Listener {
        final List<JsonNode> received = new CopyOnWriteArrayList<>();
        StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    received.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial = new StringBuilder();
            }
            return null;
        }

        List<String> types() {
            return received.stream().map(node -> node.path("type").asText()).toList();
        }
    }

    static WebSocket connect(String query, Events events) throws Exception {
        return HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/events" + query), events)
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void readyOnceTheViewsHaveCaughtUpAndTheHeartbeatWrittenBeforeStartIsServed() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/ready").statusCode() == 200);
        JsonNode status = json(get("/api/v1/collectors/c-early/status"));
        assertThat(status.path("hostname").asText()).isEqualTo("host-c-early");
        JsonNode health = json(get("/api/v1/collectors/c-early/health"));
        assertThat(health.path("targets").get(0).path("targetId").asText()).isEqualTo("t1");
        assertThat(json(get("/api/v1/collectors/c-early/metrics")).path("uptimeMillis").asLong()).isEqualTo(60_000);
        assertThat(get("/api/v1/collectors/c-none/status").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/collectors/bad%20id/status").statusCode()).isEqualTo(400);
    }

    @Test
    void liveStatusChangesAndAcknowledgementsReachTheListenerAndTheWebSocketWhichCanResume() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/ready").statusCode() == 200);
        Events events = new Events();
        WebSocket socket = connect("?collector=c-live", events);
        await().atMost(Duration.ofSeconds(10)).until(() -> events.types().contains("hello"));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        send(Topics.FLEET_HEARTBEATS, "c-live", heartbeat("c-live", "g1"));
        send(Topics.FLEET_STATUS, "c-live", FleetStatus.newBuilder().setCollectorId("c-live").setStatus(CollectorStatus.ONLINE)
                .setSince(now).setLastHeartbeatAt(now).setHeartbeatIntervalMillis(15_000).setTargetsConfigured(1)
                .setTargetsHealthy(1).setVersion("0.1.0").setHostname("host").setReason("heartbeat").build());
        send(Topics.FLEET_EVENTS, "c-live", FleetEvent.newBuilder().setCollectorId("c-live").setAt(now)
                .setKind(FleetVocabulary.KIND_COMMAND).setFrom("stop").setTo(FleetVocabulary.DONE).setReason("stopped")
                .setCommandId("cmd-1").build());
        await().atMost(Duration.ofSeconds(20)).until(() -> events.types().containsAll(
                List.of("heartbeat", "connected", "command-acknowledged")));
        assertThat(LIVE_STATUSES).contains("c-live=online");
        assertThat(ACKS).contains("cmd-1=done");
        assertThat(events.received.stream().filter(e -> !e.path("type").asText().equals("hello")))
                .allSatisfy(e -> assertThat(e.path("collectorId").asText()).isEqualTo("c-live"));
        JsonNode heartbeatEvent = events.received.stream().filter(e -> e.path("type").asText().equals("heartbeat"))
                .findFirst().orElseThrow();
        assertThat(heartbeatEvent.path("group").asText()).isEqualTo("g1");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);

        // a client resuming from the heartbeat's position gets what came after it, from its own reader
        Events resumed = new Events();
        WebSocket again = connect("?collector=c-live&resume=" + heartbeatEvent.path("position").asText(), resumed);
        await().atMost(Duration.ofSeconds(20)).until(() -> resumed.types().containsAll(
                List.of("connected", "command-acknowledged")));
        assertThat(resumed.types()).doesNotContain("heartbeat");
        again.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }

    @Test
    void logsAreFilteredByLevelTextAndTimeAndAlertsListFiringThenResolved() throws Exception {
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 5; i++) {
            send(Topics.FLEET_LOGS, "c-logs", CollectorLog.newBuilder().setCollectorId("c-logs")
                    .setAt(base.plusSeconds(i)).setLevel(i % 2 == 0 ? "WARN" : "ERROR")
                    .setLogger("io.pganalytics.collector").setMessage("line " + i + (i == 3 ? " disk full" : ""))
                    .setThread("main").setSuppressed(0).build());
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
                json(get("/api/v1/collectors/c-logs/logs")).path("items").size() == 5);
        assertThat(json(get("/api/v1/collectors/c-logs/logs?level=error")).path("items").size()).isEqualTo(2);
        assertThat(json(get("/api/v1/collectors/c-logs/logs?q=DISK")).path("items").get(0).path("message").asText())
                .contains("disk full");
        assertThat(json(get("/api/v1/collectors/c-logs/logs?since=2026-01-01T00:00:02Z&until=2026-01-01T00:00:04Z&limit=1"))
                .path("items")).hasSize(1).first().satisfies(line ->
                assertThat(line.path("message").asText()).isEqualTo("line 3 disk full"));
        assertThat(get("/api/v1/collectors/c-logs/logs?level=LOUD").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/collectors/c-logs/logs?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/collectors/c-logs/logs?since=yesterday").statusCode()).isEqualTo(400);

        Alert firing = Alert.newBuilder().setRuleId("r1").setFamily("database").setField("deadlocks")
                .setCollectorId("c-logs").setTargetId("t1").setSeries(Map.of("datname", "app"))
                .setState(AlertState.FIRING).setValue(5.0).setThreshold(1.0).setSince(base).setAt(base)
                .setMessage("deadlocks above 1").build();
        send(Topics.ALERTS, "r1", firing);
        await().atMost(Duration.ofSeconds(20)).until(() -> json(get("/api/v1/alerts")).path("firing").size() == 1);
        Alert resolved = Alert.newBuilder(firing).setState(AlertState.RESOLVED).setAt(base.plusSeconds(60)).build();
        send(Topics.ALERTS, "r1", resolved);
        await().atMost(Duration.ofSeconds(20)).until(() -> json(get("/api/v1/alerts")).path("firing").isEmpty());
        assertThat(json(get("/api/v1/alerts?state=recent")).path("recent").get(0).path("state").asText())
                .isEqualTo("resolved");
    }
}
