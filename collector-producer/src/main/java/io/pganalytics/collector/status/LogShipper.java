package io.pganalytics.collector.status;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CollectorLog;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the collector's own WARN and ERROR log lines to {@code pga.fleet.logs} ({@link CollectorLog}, keyed by
 * collector id), so that the fleet's API can show them.
 *
 * <p>It never gets in the way of the collector: the logback appender it attaches only takes a token of a
 * {@link TokenBucket} (10 lines/s, bursts of 50) and offers the line to a bounded queue, never waiting; a line over
 * the rate, over the queue, or that Kafka does not take is dropped and counted in the next shipped line's
 * {@code suppressed}. Its own thread sends, on a producer of its own; whatever is logged on that thread or on that
 * producer's network thread (the Kafka client's complaints about shipping) is not shipped, so shipping never
 * feeds itself. Every secret the collector knows (target passwords, {@code fleet.secret.keys}, the registration
 * secret and token) is replaced by {@code ***} before a line leaves, should one ever be logged.
 */
public final class LogShipper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);
    /** Lines per second shipped in the long run, and the burst above it. */
    public static final long LINES_PER_SECOND = 10;
    public static final long BURST = 50;
    /** The schema's cut. */
    static final int MAX_MESSAGE_LENGTH = 2000;
    private static final int QUEUE_LINES = 200;
    private static final String REDACTED = "***";

    private final String collectorId;
    private final String clientId;
    private final KafkaProducer<String, CollectorLog> producer;
    private final BlockingQueue<CollectorLog> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final TokenBucket bucket;
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicLong shipped = new AtomicLong();
    private final Set<String> secrets = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private Runnable detach = () -> { };

    /** Not started: nothing is attached nor sent until {@link #start}; {@code nanoClock} drives the rate limit. */
    LogShipper(CollectorConfig config, Map<String, Object> producerOverrides, java.util.function.LongSupplier nanoClock) {
        this.bucket = new TokenBucket(LINES_PER_SECOND, BURST, nanoClock);
        this.collectorId = config.collectorId();
        this.clientId = "pga-collector-" + collectorId + "-logs";
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        props.putAll(producerOverrides);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 200);
        // Lines are worth little once old: give up on them instead of holding memory while Kafka is away.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1L << 20);
        AvroSerializer<CollectorLog> values = new AvroSerializer<>();
        values.configure(props, false);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), values);
        this.thread = new Thread(this::run, "pga-collector-log-shipper");
        thread.setDaemon(true);
        addSecret(config.operations().secretKeys());
        if (config.operations().secretKeys() != null) {
            // keyId:base64Key[,...]: each key on its own too
            for (String entry : config.operations().secretKeys().split(",")) {
                int colon = entry.indexOf(':');
                addSecret(colon < 0 ? entry : entry.substring(colon + 1));
            }
        }
        if (config.operations().api() != null) {
            addSecret(config.operations().api().secret());
        }
        config.targets().forEach(target -> addSecret(target.password()));
    }

    /**
     * Starts shipping WARN and ERROR lines of every logger through logback's root logger; without logback (the
     * collector runs on any SLF4J backend) it ships nothing and says so once.
     *
     * @param producerOverrides extra Kafka producer settings (e.g. security)
     */
    public static LogShipper start(CollectorConfig config, Map<String, Object> producerOverrides) {
        LogShipper shipper = new LogShipper(config, producerOverrides, System::nanoTime);
        shipper.thread.start();
        try {
            shipper.detach = Logback.attach(shipper);
        } catch (NoClassDefFoundError | IllegalStateException e) {
            LOG.info("collector {}: its log lines are not shipped to {}: the logging backend is not logback", shipper.collectorId,
                    Topics.FLEET_LOGS);
        }
        return shipper;
    }

    /** Never shipped as it is: {@code value} is replaced by {@code ***} in every line (ignored when null or short). */
    public void addSecret(String value) {
        if (value != null && value.length() >= 4) {
            secrets.add(value);
        }
    }

    /** Lines waiting for the shipper's thread. */
    int queued() {
        return queue.size();
    }

    /** Lines shipped (acknowledged by Kafka) since start. */
    public long shipped() {
        return shipped.get();
    }

    /** Lines dropped since the last shipped line: over the rate, the queue full, or Kafka not taking them. */
    public long suppressed() {
        return suppressed.get();
    }

    /**
     * Takes one line, never waiting: called on the thread that logged. Lines of the shipper's own threads are not
     * shipped.
     */
    void offer(long atMillis, String level, String logger, String message, String threadName) {
        if (!running || Thread.currentThread() == thread || threadName.startsWith("kafka-producer-network-thread | " + clientId)) {
            return;
        }
        if (!bucket.tryTake()) {
            suppressed.incrementAndGet();
            return;
        }
        CollectorLog line = CollectorLog.newBuilder()
                .setCollectorId(collectorId)
                .setAt(Instant.ofEpochMilli(atMillis))
                .setLevel(level)
                .setLogger(logger)
                .setMessage(message == null ? "" : message)
                .setThread(threadName)
                .setSuppressed(0)
                .build();
        if (!queue.offer(line)) {
            suppressed.incrementAndGet();
        }
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            CollectorLog line;
            try {
                line = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (line == null) {
                continue;
            }
            line.setMessage(cut(redact(line.getMessage())));
            line.setSuppressed(suppressed.getAndSet(0));
            long counted = line.getSuppressed();
            try {
                producer.send(new ProducerRecord<>(Topics.FLEET_LOGS, collectorId, line), (metadata, e) -> {
                    if (e == null) {
                        shipped.incrementAndGet();
                    } else {
                        suppressed.addAndGet(1 + counted); // this line, and those it counted
                    }
                });
            } catch (RuntimeException e) {
                // Kafka away (no metadata within max.block.ms), or the buffer full: drop and count, never log.
                suppressed.addAndGet(1 + counted);
            }
        }
    }

    /** Every known secret replaced, longest first (a secret that contains another is replaced whole). */
    String redact(String message) {
        String text = message;
        List<String> known = secrets.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        for (String secret : known) {
            if (text.contains(secret)) {
                text = text.replace(secret, REDACTED);
            }
        }
        return text;
    }

    private static String cut(String message) {
        return message.length() <= MAX_MESSAGE_LENGTH ? message : message.substring(0, MAX_MESSAGE_LENGTH - 3) + "...";
    }

    /** Detaches from logging, ships what is queued for a moment, and closes its producer. */
    @Override
    public void close() {
        detach.run();
        running = false;
        try {
            thread.join(Duration.ofSeconds(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
        producer.close(Duration.ofSeconds(2));
    }

    /** Kept apart so that logback's classes are loaded only when it is the backend. */
    private static final class Logback {

        private static final String APPENDER = "pga-fleet-logs";

        static Runnable attach(LogShipper shipper) {
            if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
                throw new IllegalStateException("not logback");
            }
            Appender appender = new Appender(shipper);
            appender.setContext(context);
            appender.setName(APPENDER + "-" + shipper.collectorId);
            appender.start();
            ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.addAppender(appender);
            return () -> {
                root.detachAppender(appender);
                appender.stop();
            };
        }
    }

    /** Unsynchronized: logging threads never wait on each other here (the queue and the bucket are thread-safe). */
    private static final class Appender extends ch.qos.logback.core.UnsynchronizedAppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> {

        private final LogShipper shipper;

        Appender(LogShipper shipper) {
            this.shipper = Objects.requireNonNull(shipper);
        }

        @Override
        protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
            if (!event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                return;
            }
            String message = event.getFormattedMessage();
            ch.qos.logback.classic.spi.IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                message = message + ": " + thrown.getClassName() + (thrown.getMessage() == null ? "" : ": " + thrown.getMessage());
            }
            shipper.offer(event.getTimeStamp(), event.getLevel().toString(), event.getLoggerName(), message, event.getThreadName());
        }
    }
}
