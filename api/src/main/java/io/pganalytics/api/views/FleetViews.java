package io.pganalytics.api.views;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.Alert;
import io.pganalytics.schemas.fleet.CollectorLog;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's read side, built by every replica for itself from the fleet topics (read from their beginning, no
 * consumer group, nothing committed): each collector's latest heartbeat and live status, its last
 * {@value #LOG_LINES_PER_COLLECTOR} shipped log lines, the firing and recent alerts, and the live events of the
 * WebSocket. A change of live status and every command acknowledgement are handed to a {@link Listener} (the
 * control-plane database), so that SQL can filter on them.
 */
public final class FleetViews implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetViews.class);
    /** The topics read, in this order in resume positions. */
    public static final List<String> TOPICS = List.of(Topics.FLEET_HEARTBEATS, Topics.FLEET_STATUS, Topics.FLEET_EVENTS,
            Topics.FLEET_LOGS, Topics.ALERTS);
    /** How many log lines are kept per collector (the newest). */
    public static final int LOG_LINES_PER_COLLECTOR = 500;
    /** How many resolved alerts are kept as "recent". */
    public static final int RECENT_ALERTS = 500;

    /** Where the view hands what the control-plane database keeps. */
    public interface Listener {
        void liveStatus(String collectorId, String status, Instant lastHeartbeatAt);

        void acknowledged(String commandId, String outcome, String reason, Instant at);

        Listener NONE = new Listener() {
            @Override
            public void liveStatus(String collectorId, String status, Instant lastHeartbeatAt) {
            }

            @Override
            public void acknowledged(String commandId, String outcome, String reason, Instant at) {
            }
        };
    }

    /** A filter on a collector's logs; null parts match everything. */
    public record LogQuery(String level, String text, Instant since, Instant until, int limit) {
    }

    private final Map<String, Object> consumerConfig;
    private final Listener listener;
    private final Consumer<LiveEvent> events;
    private final Map<String, Heartbeat> heartbeats = new ConcurrentHashMap<>();
    private final Map<String, FleetStatus> statuses = new ConcurrentHashMap<>();
    private final Map<String, Deque<LogLine>> logs = new ConcurrentHashMap<>();
    private final Map<String, AlertView> firing = new ConcurrentHashMap<>();
    private final Deque<AlertView> recent = new ArrayDeque<>();
    private final EventTranslator translator = new EventTranslator();
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final Thread thread;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<Object> values = new AvroDeserializer<>();
    private volatile Map<TopicPartition, Long> startEnds;
    private volatile boolean caughtUp;
    private volatile boolean closed;

    private FleetViews(String bootstrapServers, String schemaRegistryUrl, Listener listener, Consumer<LiveEvent> events) {
        this.listener = listener;
        this.events = events;
        this.consumerConfig = consumerConfig(bootstrapServers);
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl,
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        Properties properties = new Properties();
        properties.putAll(consumerConfig);
        this.consumer = new KafkaConsumer<>(properties);
        this.thread = new Thread(this::run, "pga-api-fleet-views");
        thread.setDaemon(true);
    }

    /** Starts reading the fleet topics from their beginning; {@link #caughtUp()} once the ends at start are reached. */
    public static FleetViews start(String bootstrapServers, String schemaRegistryUrl, Listener listener,
                                   Consumer<LiveEvent> events) {
        FleetViews views = new FleetViews(bootstrapServers, schemaRegistryUrl, listener, events);
        views.thread.start();
        return views;
    }

    static Map<String, Object> consumerConfig(String bootstrapServers) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return config;
    }

    private void run() {
        try {
            while (!closed) {
                if (startEnds == null || consumer.assignment().size() < expectedPartitions()) {
                    assign();
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
                    apply(record);
                }
                if (!caughtUp && startEnds != null) {
                    caughtUp = startEnds.entrySet().stream()
                            .allMatch(end -> consumer.position(end.getKey()) >= end.getValue());
                    if (caughtUp) {
                        LOG.info("fleet views caught up: {} collectors, {} firing alerts", heartbeats.size(), firing.size());
                    }
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                LOG.warn("fleet views stopped: {}", e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("fleet views stopped: {}", e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(2));
            values.close();
        }
    }

    private int expectedPartitions;

    private int expectedPartitions() {
        return expectedPartitions;
    }

    private long lastAssign;

    private void assign() {
        if (startEnds != null && System.currentTimeMillis() - lastAssign < 5000) {
            return;
        }
        lastAssign = System.currentTimeMillis();
        List<TopicPartition> partitions = new ArrayList<>();
        int missing = 0;
        for (String topic : TOPICS) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos == null || infos.isEmpty()) {
                missing++;
                continue;
            }
            infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        if (partitions.size() == consumer.assignment().size() && startEnds != null) {
            return;
        }
        List<TopicPartition> added = partitions.stream().filter(p -> !consumer.assignment().contains(p)).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(added);
        // every partition is in every resume position from the start, so a resumed client misses none
        consumer.beginningOffsets(added).forEach(positions::putIfAbsent);
        expectedPartitions = partitions.size() + missing;
        if (startEnds == null) {
            startEnds = Map.copyOf(consumer.endOffsets(partitions));
            if (missing > 0) {
                LOG.info("fleet views: {} of the fleet topics do not exist yet; read when they appear", missing);
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        Object value;
        try {
            value = record.value() == null ? null : values.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            LOG.warn("fleet views: skipped {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return;
        }
        if (value instanceof Heartbeat heartbeat) {
            heartbeats.put(heartbeat.getCollectorId(), heartbeat);
        } else if (value instanceof FleetStatus status) {
            FleetStatus before = statuses.put(status.getCollectorId(), status);
            if (before == null || before.getStatus() != status.getStatus()) {
                listener.liveStatus(status.getCollectorId(), status.getStatus().name().toLowerCase(),
                        status.getLastHeartbeatAt());
            }
        } else if (value instanceof FleetEvent event && FleetVocabulary.KIND_COMMAND.equals(event.getKind())
                && event.getCommandId() != null && isOutcome(event.getTo())) {
            listener.acknowledged(event.getCommandId(), event.getTo(), event.getReason(), event.getAt());
        } else if (value instanceof CollectorLog log) {
            Deque<LogLine> lines = logs.computeIfAbsent(log.getCollectorId(), id -> new ArrayDeque<>());
            synchronized (lines) {
                lines.addLast(LogLine.of(log));
                while (lines.size() > LOG_LINES_PER_COLLECTOR) {
                    lines.removeFirst();
                }
            }
        } else if (value instanceof Alert alert) {
            AlertView view = AlertView.of(alert);
            if ("firing".equals(view.state())) {
                firing.put(view.key(), view);
            } else {
                firing.remove(view.key());
                synchronized (recent) {
                    recent.addFirst(view);
                    while (recent.size() > RECENT_ALERTS) {
                        recent.removeLast();
                    }
                }
            }
        }
        if (value != null) {
            String position = ResumePosition.encode(positions);
            for (LiveEvent event : translator.translate(record.topic(), value, position)) {
                events.accept(event);
            }
        }
    }

    private static boolean isOutcome(String to) {
        return FleetVocabulary.DONE.equals(to) || FleetVocabulary.FAILED.equals(to) || FleetVocabulary.REJECTED.equals(to);
    }

    /** Whether every partition has been read up to where it ended when the view started. */
    public boolean caughtUp() {
        return caughtUp;
    }

    public Optional<Heartbeat> heartbeat(String collectorId) {
        return Optional.ofNullable(heartbeats.get(collectorId));
    }

    public Optional<FleetStatus> status(String collectorId) {
        return Optional.ofNullable(statuses.get(collectorId));
    }

    /** The collector's kept log lines that match, newest first, at most {@code query.limit()}. */
    public List<LogLine> logs(String collectorId, LogQuery query) {
        Deque<LogLine> lines = logs.get(collectorId);
        if (lines == null) {
            return List.of();
        }
        List<LogLine> copy;
        synchronized (lines) {
            copy = new ArrayList<>(lines);
        }
        int minimum = query.level() == null ? 0 : FleetVocabulary.LOG_LEVELS.indexOf(query.level());
        String text = query.text() == null ? null : query.text().toLowerCase();
        List<LogLine> matching = new ArrayList<>();
        for (int i = copy.size() - 1; i >= 0 && matching.size() < query.limit(); i--) {
            LogLine line = copy.get(i);
            Instant at = Instant.parse(line.at());
            if (FleetVocabulary.LOG_LEVELS.indexOf(line.level()) < minimum
                    || text != null && !line.message().toLowerCase().contains(text) && !line.logger().toLowerCase().contains(text)
                    || query.since() != null && at.isBefore(query.since())
                    || query.until() != null && !at.isBefore(query.until())) {
                continue;
            }
            matching.add(line);
        }
        return matching;
    }

    /** The alerts firing now (oldest first) and the most recently resolved (newest first). */
    public Map<String, List<AlertView>> alerts() {
        Map<String, List<AlertView>> alerts = new LinkedHashMap<>();
        alerts.put("firing", firing.values().stream().sorted(Comparator.comparing(AlertView::since)).toList());
        synchronized (recent) {
            alerts.put("recent", List.copyOf(recent));
        }
        return alerts;
    }

    /** The resume position of everything read so far. */
    public String position() {
        return ResumePosition.encode(positions);
    }

    /** A consumer reading the fleet topics from {@code position} on, for a WebSocket client resuming. */
    public KafkaConsumer<String, byte[]> consumerFrom(Map<TopicPartition, Long> position) {
        Properties properties = new Properties();
        properties.putAll(consumerConfig);
        KafkaConsumer<String, byte[]> resumed = new KafkaConsumer<>(properties);
        List<TopicPartition> partitions = new ArrayList<>(startEnds == null ? position.keySet() : startEnds.keySet());
        position.keySet().stream().filter(p -> !partitions.contains(p) && TOPICS.contains(p.topic())).forEach(partitions::add);
        resumed.assign(partitions);
        // a partition the position does not name appeared after it was given: all of it is new to the client
        resumed.seekToBeginning(partitions);
        position.forEach((partition, offset) -> {
            if (partitions.contains(partition)) {
                resumed.seek(partition, offset);
            }
        });
        return resumed;
    }

    /** Turns one record of a resumed consumer into the events it makes, with a translator of the client's own. */
    public static Replayer replayer(Map<String, Object> serdeConfig) {
        return new Replayer(serdeConfig);
    }

    /** The events of the records a resumed consumer reads (one per client: its status memory is its own). */
    public static final class Replayer implements AutoCloseable {
        private final EventTranslator translator = new EventTranslator();
        private final AvroDeserializer<Object> values = new AvroDeserializer<>();
        private final Map<TopicPartition, Long> positions = new LinkedHashMap<>();

        private Replayer(Map<String, Object> serdeConfig) {
            values.configure(serdeConfig, false);
        }

        /** Starts the positions at {@code from}, so that every event's position covers the partitions not yet read. */
        public void startAt(Map<TopicPartition, Long> from) {
            positions.putAll(from);
        }

        public List<LiveEvent> events(ConsumerRecord<String, byte[]> record) {
            positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            if (record.value() == null) {
                return List.of();
            }
            try {
                return translator.translate(record.topic(), values.deserialize(record.topic(), record.value()),
                        ResumePosition.encode(positions));
            } catch (RuntimeException e) {
                return List.of();
            }
        }

        @Override
        public void close() {
            values.close();
        }
    }

    /** The Avro settings of this view's deserializer, for a {@link Replayer}. */
    public static Map<String, Object> serdeConfig(String schemaRegistryUrl) {
        return Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl, AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static boolean validLevel(String level) {
        return FleetVocabulary.LOG_LEVELS.contains(level);
    }

}
