package io.pganalytics.api.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.views.LiveEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The WebSocket hub on a real server: filters, and a slow client dropped without holding up a fast one. */
class EventHubTest {

    static final String TOKEN = "hub-test-admin-token-000";
    static final EventHub HUB = new EventHub(StrictJson.MAPPER, 8);
    static ApiServer api;

    @BeforeAll
    static void start() {
        api = ApiServer.start(new ApiConfig("127.0.0.1", 0, "jdbc:postgresql://127.0.0.1:1/none", null, null,
                "127.0.0.1:1", TOKEN, List.of(), 4096, null), List.of(), new ApiServer.Extension(List.of(), table ->
                table.ws("/api/v1/events", Access.atLeast(Role.VIEWER), "events",
                        ctx -> EventHub.Filter.of(ctx::queryParam), HUB.handlers(() -> "start", (client, resume) -> { })),
                () -> true, List.of(HUB)));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    /** A client that counts what it receives and requests more only when {@code reading}. */
    static final class Reader implements WebSocket.Listener {
        final List<String> received = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final boolean reading;
        StringBuilder partial = new StringBuilder();

        Reader(boolean reading) {
            this.reading = reading;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            if (reading) {
                webSocket.request(Long.MAX_VALUE);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial = new StringBuilder();
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }
    }

    static WebSocket connect(String query, Reader reader) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/events" + query), reader)
                .get(10, TimeUnit.SECONDS);
    }

    static LiveEvent event(String type, String collector, String payload) {
        return new LiveEvent(type, collector, "g1", "2026-01-01T00:00:00Z", Map.of("payload", payload), "p");
    }

    @Test
    void aClientReceivesOnlyTheEventsItsFilterTakes() throws Exception {
        Reader reader = new Reader(true);
        WebSocket socket = connect("?collector=c-1&type=alert,heartbeat", reader);
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.received.size() == 1); // hello
        assertThat(reader.received.get(0)).contains("\"hello\"").contains("\"position\"");
        HUB.publish(event("heartbeat", "c-2", "x"));
        HUB.publish(event("stopped", "c-1", "x"));
        HUB.publish(event("heartbeat", "c-1", "wanted"));
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.received.size() == 2);
        assertThat(reader.received.get(1)).contains("wanted").contains("\"position\":\"p\"");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void aSlowClientIsClosedWith1008AndNeverHoldsUpAFastOne() throws Exception {
        Reader fast = new Reader(true);
        Reader slow = new Reader(false);
        WebSocket fastSocket = connect("?collector=c-slow", fast);
        WebSocket slowSocket = connect("?collector=c-slow", slow);
        await().atMost(Duration.ofSeconds(5)).until(() -> fast.received.size() == 1 && HUB.clientCount() >= 2);
        long droppedBefore = HUB.droppedCount();
        String payload = "x".repeat(64 * 1024);
        AtomicInteger published = new AtomicInteger();
        // publish until the slow client's socket buffers and its queue of 8 are full; the fast one keeps up throughout
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
            HUB.publish(event("heartbeat", "c-slow", payload));
            int sent = published.incrementAndGet();
            await().atMost(Duration.ofSeconds(10)).until(() -> fast.received.size() == sent + 1);
            return HUB.droppedCount() > droppedBefore;
        });
        assertThat(fast.closed).isNotDone();
        slowSocket.request(Long.MAX_VALUE);
        assertThat(slow.closed.get(20, TimeUnit.SECONDS)).isEqualTo(EventHub.CLOSE_TOO_SLOW);
        HUB.publish(event("heartbeat", "c-slow", "after"));
        await().atMost(Duration.ofSeconds(5)).until(() -> fast.received.get(fast.received.size() - 1).contains("after"));
        fastSocket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void anUpgradeWithoutCredentialsOrWithAnUnknownTypeIsRefused() throws Exception {
        var http = HttpClient.newHttpClient();
        var noToken = http.newWebSocketBuilder()
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/events"), new Reader(true));
        assertThat(noToken).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingRootCause()
                .withMessageContaining("401");
        var badType = http.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .buildAsync(URI.create(api.url().replace("http", "ws") + "/api/v1/events?type=nonsense"), new Reader(true));
        assertThat(badType).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingRootCause()
                .withMessageContaining("400");
    }
}
