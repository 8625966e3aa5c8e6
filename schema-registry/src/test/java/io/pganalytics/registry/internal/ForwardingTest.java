package io.pganalytics.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A follower forwarding writes across a leader change, on real HTTP servers without a broker: a write that
 * certainly was not made is sent again to whichever instance leads by then, a registration is repeated after a
 * lost answer (it answers the same id), and a delete whose answer was lost is not repeated.
 */
class ForwardingTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final List<AutoCloseable> running = new ArrayList<>();
    private final AtomicReference<String> leaderUrl = new AtomicReference<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (AutoCloseable closeable : running) {
            closeable.close();
        }
    }

    @Test
    void aWriteRefusedByAFormerLeaderIsMadeByTheNextOne() throws Exception {
        HttpResponse<String> answer = registerWhileTheLeaderMoves(notLeading(), leader());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("{\"id\":1}");
    }

    @Test
    void aLeaderThatCannotBeReachedAnyMoreIsReplacedByTheNextOne() throws Exception {
        HttpResponse<String> answer = registerWhileTheLeaderMoves("http://127.0.0.1:" + closedPort(), leader());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    /**
     * Registers through a follower that believes {@code former} leads, while the election moves on to {@code next}
     * 150 ms later: the follower is still sending to the former leader when it does.
     */
    private HttpResponse<String> registerWhileTheLeaderMoves(String former, String next) throws Exception {
        leaderUrl.set(former);
        String follower = follower();
        Thread moveOn = new Thread(() -> {
            sleep(150);
            leaderUrl.set(next);
        });
        moveOn.start();
        try {
            return post(follower + "/subjects/s/versions", body(Schemas.V1));
        } finally {
            moveOn.join();
        }
    }

    @Test
    void aRegistrationWhoseAnswerWasLostIsRepeatedAndADeleteIsNot() throws Exception {
        AtomicInteger registrations = new AtomicInteger();
        AtomicInteger deletes = new AtomicInteger();
        ClosingServer closing = new ClosingServer(request -> {
            if (request.startsWith("POST")) {
                registrations.incrementAndGet();
            } else {
                deletes.incrementAndGet();
            }
        });
        running.add(closing);
        String next = leader();
        leaderUrl.set(closing.url());
        String follower = follower();
        Thread moveOn = new Thread(() -> {
            sleep(300);
            leaderUrl.set(next);
        });
        moveOn.start();

        HttpResponse<String> registered = post(follower + "/subjects/s/versions", body(Schemas.V1));
        moveOn.join();
        leaderUrl.set(closing.url());
        HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(URI.create(follower + "/subjects/s/versions/1"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
        assertThat(registrations.get()).isGreaterThanOrEqualTo(1);
        assertThat(deleted.statusCode()).isEqualTo(500);
        assertThat(deleted.body()).contains("50003").contains("may or may not have been applied");
        assertThat(deletes.get()).isEqualTo(1);
    }

    @Test
    void aForwardedWriteReachingAnInstanceThatDoesNotLeadIsAnsweredWithTheRetryMark() throws Exception {
        leaderUrl.set("http://127.0.0.1:1");
        String follower = follower();

        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(follower + "/subjects/s/versions"))
                .header(RestApi.FORWARDED_HEADER, "true").header("Content-Type", RestApi.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body(Schemas.V1))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(500);
        assertThat(answer.headers().firstValue(RestApi.RETRY_HEADER)).contains("true");
        assertThat(answer.body()).contains("50003");
    }

    /** An instance that leads: a real REST API over an in-memory topic. */
    private String leader() {
        RegistryState state = new RegistryState();
        Registry registry = new Registry(state, new InMemoryStoreWriter(state));
        return serve(config -> RestApi.configure(config, registry));
    }

    /** An instance that never leads and forwards to {@link #leaderUrl}. */
    private String follower() {
        RegistryState state = new RegistryState();
        Registry registry = new Registry(state, new InMemoryStoreWriter(state));
        Leadership following = new Leadership() {
            @Override
            public boolean isLeader() {
                return false;
            }

            @Override
            public Optional<String> awaitLeader(Duration timeout) {
                return Optional.of(leaderUrl.get());
            }

            @Override
            public void awaitApplied(long offset) {
            }

            @Override
            public long appliedOffset() {
                return -1;
            }
        };
        return serve(config -> RestApi.configure(config, registry, following, new Forwarder(null), null));
    }

    /** An instance that answers every write as one that does not lead. */
    private String notLeading() {
        return serve(config -> config.routes.post("/subjects/{subject}/versions", ctx -> ctx.status(500)
                .header(RestApi.RETRY_HEADER, "true")
                .result("{\"error_code\": 50003, \"message\": \"not the leader\"}")));
    }

    private String serve(java.util.function.Consumer<io.javalin.config.JavalinConfig> routes) {
        Javalin server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = "127.0.0.1";
            config.jetty.port = 0;
            routes.accept(config);
        }).start();
        running.add(server::stop);
        return "http://127.0.0.1:" + server.port();
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", RestApi.CONTENT_TYPE)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String body(String schema) {
        return "{\"schema\": " + new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(schema) + "}";
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A leader that reads each request and closes the connection without answering, as one that crashed would. */
    private static final class ClosingServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        ClosingServer(java.util.function.Consumer<String> onRequest) throws IOException {
            socket = new ServerSocket(0);
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket client = socket.accept()) {
                        byte[] buffer = new byte[16384];
                        int read = client.getInputStream().read(buffer);
                        if (read > 0) {
                            onRequest.accept(new String(buffer, 0, read, java.nio.charset.StandardCharsets.UTF_8));
                        }
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "closing-server");
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.join(5000);
        }
    }
}
