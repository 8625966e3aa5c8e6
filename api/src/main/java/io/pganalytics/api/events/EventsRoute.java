package io.pganalytics.api.events;

import io.javalin.http.Context;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.api.views.FleetViews;
import io.pganalytics.api.views.LiveEvent;
import io.pganalytics.api.views.ResumePosition;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events}: the live events of the fleet by WebSocket, filtered by {@code collector}, {@code group}
 * and {@code type}; with {@code resume=<position>} the client gets its own reader of the topics from that position
 * (so it resumes on any replica), otherwise the events published from now on.
 */
public final class EventsRoute {

    private static final Logger LOG = LoggerFactory.getLogger(EventsRoute.class);
    /** At most this many clients resume at once on one replica (each has its own Kafka consumer). */
    public static final int MAX_RESUMING = 64;

    private final EventHub hub;
    private final FleetViews views;
    private final String schemaRegistryUrl;
    private final AtomicInteger resuming = new AtomicInteger();

    public EventsRoute(EventHub hub, FleetViews views, String schemaRegistryUrl) {
        this.hub = hub;
        this.views = views;
        this.schemaRegistryUrl = schemaRegistryUrl;
    }

    public void register(RouteTable table) {
        table.ws("/api/v1/events", Access.atLeast(Role.VIEWER),
                "WebSocket of the fleet's live events; ?collector=&group=&type= filter, ?resume= continues from a position",
                this::checkUpgrade, hub.handlers(views::position, this::resume));
    }

    private void checkUpgrade(Context ctx) {
        EventHub.Filter.of(ctx::queryParam);
        String resume = ctx.queryParam("resume");
        if (resume != null && !resume.isBlank()) {
            try {
                ResumePosition.decode(resume);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid_value", e.getMessage());
            }
            if (resuming.get() >= MAX_RESUMING) {
                throw new ApiException(503, "unavailable", "too many clients resuming at once; retry in a moment");
            }
        }
    }

    private void resume(EventHub.Client client, String token) {
        Map<TopicPartition, Long> from = ResumePosition.decode(token);
        KafkaConsumer<String, byte[]> consumer = views.consumerFrom(from);
        FleetViews.Replayer replayer = FleetViews.replayer(FleetViews.serdeConfig(schemaRegistryUrl));
        replayer.startAt(from);
        AtomicBoolean stop = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            resuming.incrementAndGet();
            try {
                while (!stop.get() && !client.isClosed()) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        for (LiveEvent event : replayer.events(record)) {
                            client.offer(event);
                        }
                    }
                }
            } catch (WakeupException e) {
                // closed with the client
            } catch (RuntimeException e) {
                LOG.warn("a resumed WebSocket client's reader stopped: {}", e.toString());
                client.close(1011, "reader failed");
            } finally {
                consumer.close(Duration.ofSeconds(1));
                replayer.close();
                resuming.decrementAndGet();
            }
        }, "pga-api-events-resume");
        reader.setDaemon(true);
        client.onClose(() -> {
            stop.set(true);
            consumer.wakeup();
        });
        reader.start();
    }
}
