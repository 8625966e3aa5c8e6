package io.pganalytics.api.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.views.LiveEvent;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.jetty.websocket.api.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clients of the {@code /api/v1/events} WebSocket. Each has a bounded send queue; sending is asynchronous (one
 * frame in flight per client), so a client that reads slowly fills only its own queue, and is then closed with
 * {@value #CLOSE_TOO_SLOW} instead of holding up the others or the Kafka reader that publishes.
 */
public final class EventHub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventHub.class);
    /** The close code of a client dropped for reading too slowly (policy violation). */
    public static final int CLOSE_TOO_SLOW = 1008;
    /** The close code when the server stops (going away). */
    public static final int CLOSE_GOING_AWAY = 1001;
    /** The default bound of each client's send queue. */
    public static final int DEFAULT_QUEUE = 1024;

    /** What a client asked to receive; empty sets match everything. */
    public record Filter(Set<String> collectors, Set<String> groups, Set<String> types) {

        public boolean matches(LiveEvent event) {
            return (collectors.isEmpty() || collectors.contains(event.collectorId()))
                    && (groups.isEmpty() || groups.contains(event.group()))
                    && (types.isEmpty() || types.contains(event.type()));
        }

        /** The filter of a request's {@code collector}, {@code group} and {@code type} query parameters (comma lists). */
        public static Filter of(Function<String, String> queryParam) {
            Set<String> types = split(queryParam.apply("type"));
            for (String type : types) {
                if (!LiveEvent.TYPES.contains(type)) {
                    throw ApiException.badRequest("invalid_value", "type: unknown event type '" + type
                            + "'; expected one of " + String.join(", ", LiveEvent.TYPES));
                }
            }
            return new Filter(split(queryParam.apply("collector")), split(queryParam.apply("group")), types);
        }

        private static Set<String> split(String value) {
            if (value == null || value.isBlank()) {
                return Set.of();
            }
            if (value.length() > 4096) {
                throw ApiException.badRequest("invalid_value", "filter too long");
            }
            Set<String> parts = new LinkedHashSet<>();
            Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(parts::add);
            return Set.copyOf(parts);
        }
    }

    /** One connected client: its filter, its bounded queue and whether a frame is in flight. */
    public final class Client {
        private final WsContext ctx;
        private final Filter filter;
        private final ArrayBlockingQueue<String> queue;
        private final AtomicBoolean sending = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile AutoCloseable onClose;
        private volatile boolean live = true;

        private Client(WsContext ctx, Filter filter, int capacity) {
            this.ctx = ctx;
            this.filter = filter;
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        /** Queues an event for this client if its filter takes it; a full queue closes the client. */
        public void offer(LiveEvent event) {
            if (closed.get() || !filter.matches(event)) {
                return;
            }
            send(json(event));
        }

        void send(String text) {
            if (!queue.offer(text)) {
                dropped.incrementAndGet();
                close(CLOSE_TOO_SLOW, "too slow: more than " + capacity + " events waiting; reconnect with ?resume=<position of the last event received>");
                return;
            }
            pump();
        }

        private void pump() {
            while (!closed.get() && !queue.isEmpty() && sending.compareAndSet(false, true)) {
                String next = queue.poll();
                if (next == null) {
                    sending.set(false);
                    continue;
                }
                AtomicBoolean completedInline = new AtomicBoolean();
                AtomicBoolean returned = new AtomicBoolean();
                ctx.session.sendText(next, Callback.from(() -> {
                    sending.set(false);
                    // completed on another thread: continue there; inline: the loop continues
                    if (returned.get()) {
                        pump();
                    } else {
                        completedInline.set(true);
                    }
                }, failure -> close(CLOSE_GOING_AWAY, "send failed")));
                returned.set(true);
                if (!completedInline.get()) {
                    return;
                }
            }
        }

        /** Closes the client with {@code code}; idempotent. */
        public void close(int code, String reason) {
            if (closed.compareAndSet(false, true)) {
                clients.remove(ctx.sessionId());
                queue.clear();
                try {
                    ctx.closeSession(code, reason.length() > 120 ? reason.substring(0, 120) : reason);
                } catch (RuntimeException e) {
                    LOG.debug("closing a WebSocket client: {}", e.toString());
                }
                closeResources();
            }
        }

        void closeResources() {
            AutoCloseable resource = onClose;
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception e) {
                    LOG.debug("closing a WebSocket client's reader: {}", e.toString());
                }
            }
        }

        /** Something to close with the client (its resume reader). */
        public void onClose(AutoCloseable resource) {
            this.onClose = resource;
        }

        public boolean isClosed() {
            return closed.get();
        }
    }

    private final ObjectMapper mapper;
    private final int capacity;
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    public EventHub(ObjectMapper mapper, int capacity) {
        this.mapper = mapper;
        this.capacity = capacity;
    }

    /** Sends an event to every client whose filter takes it; never blocks. */
    public void publish(LiveEvent event) {
        for (Client client : clients.values()) {
            if (client.live) {
                client.offer(event);
            }
        }
    }

    /**
     * The WebSocket handlers of the events route. A client that gives {@code resume} is handed to {@code resumed}
     * (which reads the topics from that position for it alone, through {@link Client#send}); the others receive the
     * live events {@link #publish}ed from the moment they connect, after a first {@code hello} with the current position.
     */
    public java.util.function.Consumer<WsConfig> handlers(java.util.function.Supplier<String> position,
                                                          java.util.function.BiConsumer<Client, String> resumed) {
        return ws -> {
            ws.onConnect(ctx -> {
                ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(30));
                Client client = new Client(ctx, Filter.of(ctx::queryParam), capacity);
                String resume = ctx.queryParam("resume");
                clients.put(ctx.sessionId(), client);
                if (resume == null || resume.isBlank()) {
                    client.send(json(Map.of("type", "hello", "position", position.get())));
                } else {
                    client.live = false;
                    resumed.accept(client, resume);
                }
            });
            ws.onClose(ctx -> forget(ctx.sessionId()));
            ws.onError(ctx -> forget(ctx.sessionId()));
        };
    }

    private void forget(String sessionId) {
        Client client = clients.remove(sessionId);
        if (client != null) {
            client.closed.set(true);
            client.closeResources();
        }
    }

    public String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event that cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** How many clients receive live events. */
    public int clientCount() {
        return clients.size();
    }

    /** How many clients were dropped for reading too slowly since start. */
    public long droppedCount() {
        return dropped.get();
    }

    @Override
    public void close() {
        for (Client client : clients.values()) {
            client.close(CLOSE_GOING_AWAY, "server stopping");
        }
    }
}
