package io.pganalytics.registry.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's single source of truth: a single-partition compacted topic, read from the beginning into a
 * {@link RegistryState} by a background thread, and written to with read-your-writes.
 *
 * <p>One partition gives one total order of registrations, so every reader rebuilds the same ids and versions.
 * A write returns only once the reader has applied it, so the HTTP answer to a registration and every later read
 * agree. This assumes one writing registry per topic (Confluent elects a leader for that; this registry does not).
 */
public final class SchemasTopic implements StoreWriter, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemasTopic.class);

    /** How long a write may take to be acknowledged by the broker and applied by the reader. */
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration METADATA_RETRY_INTERVAL = Duration.ofMillis(50);

    private final String topic;
    private final TopicPartition partition;
    private final RegistryState state;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread reader;

    private final Object progress = new Object();
    // Guarded by progress: the consumer's position after the records applied so far (the next offset to read).
    private long appliedUpTo = -1;
    private RuntimeException readerFailure;
    private volatile boolean closing;

    private SchemasTopic(String bootstrapServers, String topic, RegistryState state) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.state = state;
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(bootstrapServers, topic));
        try {
            this.consumer = new KafkaConsumer<>(consumerConfig(bootstrapServers, topic));
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
        this.producer = producer;
        this.reader = new Thread(this::read, "schema-registry-reader-" + topic);
        this.reader.setDaemon(true);
    }

    private static Map<String, Object> producerConfig(String bootstrapServers, String topic) {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, "schema-registry-writer-" + topic,
                // An acknowledged registration must survive the loss of a broker, and a retried send must not
                // append a second copy of a record.
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.LINGER_MS_CONFIG, "0",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis()),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis()),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis()),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    }

    private static Map<String, Object> consumerConfig(String bootstrapServers, String topic) {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-reader-" + topic,
                // No group: every instance reads the whole topic from the beginning, and nothing is committed.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    }

    /**
     * Creates the topic if it is missing, checks that it is single-partition and compacted, then reads it to its
     * current end into the state before returning.
     *
     * @throws IllegalStateException when any of that fails or does not finish within the timeout
     */
    public static SchemasTopic open(String bootstrapServers, String topic, RegistryState state, Duration timeout) {
        try {
            return prepareAndRead(bootstrapServers, topic, state, timeout);
        } catch (KafkaException e) {
            // The clients refuse at construction what they cannot use, e.g. bootstrap hosts that do not resolve.
            throw new IllegalStateException("cannot use Kafka at " + bootstrapServers + " for topic " + topic + ": "
                    + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"), e);
        }
    }

    private static SchemasTopic prepareAndRead(String bootstrapServers, String topic, RegistryState state,
                                               Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long endOffset;
        // The admin client refuses an API timeout shorter than its request timeout.
        long timeoutMillis = Math.max(1, timeout.toMillis());
        Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "schema-registry-admin-" + topic,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(timeoutMillis, 30_000)),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeoutMillis)));
        try {
            ensureTopic(admin, topic, deadline);
            endOffset = admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest())).all()
                    .get(remainingMillis(deadline), TimeUnit.MILLISECONDS)
                    .get(new TopicPartition(topic, 0)).offset();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot prepare topic " + topic + " on " + bootstrapServers + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " to prepare topic " + topic
                    + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing topic " + topic, e);
        } finally {
            // Admin.close() waits for calls still pending (up to their own timeout) after a failure; nothing of
            // theirs is needed any more.
            admin.close(Duration.ZERO);
        }

        SchemasTopic opened = new SchemasTopic(bootstrapServers, topic, state);
        opened.reader.start();
        try {
            opened.awaitApplied(endOffset, deadline);
        } catch (RuntimeException e) {
            opened.close();
            throw new IllegalStateException("cannot read topic " + topic + " to its end (offset " + endOffset
                    + ") within " + timeout.toMillis() + " ms: " + e.getMessage(), e);
        }
        return opened;
    }

    /** Writes a schema version and returns once the state shows it. */
    @Override
    public void write(SchemaValue value) {
        write(value.key(), TopicFormat.serializeKey(value.key()), TopicFormat.serializeSchemaValue(value));
    }

    /** Writes a compatibility setting and returns once the state shows it. */
    @Override
    public void write(StoreKey.ConfigKey key, ConfigValue value) {
        write(key, TopicFormat.serializeKey(key), TopicFormat.serializeConfigValue(value));
    }

    private void write(StoreKey key, byte[] keyBytes, byte[] valueBytes) {
        long deadline = System.nanoTime() + WRITE_TIMEOUT.toNanos();
        RecordMetadata written;
        try {
            written = producer.send(new ProducerRecord<>(topic, 0, keyBytes, valueBytes))
                    .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new StoreException("cannot write " + key + " to topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new StoreTimeoutException("writing " + key + " to topic " + topic + " took longer than "
                    + WRITE_TIMEOUT.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while writing " + key + " to topic " + topic, e);
        } catch (RuntimeException e) {
            // send() itself throws (rather than failing the future) when the producer is closed or misconfigured.
            throw new StoreException("cannot write " + key + " to topic " + topic + ": " + e.getMessage(), e);
        }
        awaitApplied(written.offset() + 1, deadline);
    }

    /** Waits until the reader's position is at least {@code offset}, i.e. it applied every record before it. */
    private void awaitApplied(long offset, long deadlineNanos) {
        synchronized (progress) {
            while (appliedUpTo < offset) {
                if (readerFailure != null) {
                    throw new StoreException("the reader of topic " + topic + " stopped: "
                            + readerFailure.getMessage(), readerFailure);
                }
                if (closing) {
                    throw new StoreException("the registry is shutting down", null);
                }
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    throw new StoreTimeoutException("the reader of topic " + topic + " reached offset " + appliedUpTo
                            + ", not " + offset + ", in time");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException("interrupted while waiting for topic " + topic, e);
                }
            }
        }
    }

    private void read() {
        try {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (!closing) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_INTERVAL)) {
                    apply(record);
                }
                long position;
                try {
                    position = consumer.position(partition, POLL_INTERVAL);
                } catch (org.apache.kafka.common.errors.TimeoutException notYetKnown) {
                    // Before the broker answers the first time the position is unknown; the next poll retries.
                    continue;
                }
                synchronized (progress) {
                    if (position > appliedUpTo) {
                        appliedUpTo = position;
                        progress.notifyAll();
                    }
                }
            }
        } catch (WakeupException e) {
            if (!closing) {
                fail(new IllegalStateException("reader woken up unexpectedly", e));
            }
        } catch (RuntimeException e) {
            LOG.error("the reader of topic {} stopped; the registry can serve reads but no longer writes", topic, e);
            fail(e);
        } finally {
            // Nothing is committed, so there is nothing to wait for; a timeout would only wait out the fetch in
            // flight (fetch.max.wait.ms, 500 ms) on every shutdown.
            consumer.close(Duration.ZERO);
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        try {
            StoreKey key = TopicFormat.parseKey(record.key());
            if (key instanceof StoreKey.SchemaKey schemaKey) {
                state.applySchema(schemaKey,
                        record.value() == null ? null : TopicFormat.parseSchemaValue(schemaKey, record.value()));
            } else if (key instanceof StoreKey.ConfigKey configKey) {
                state.applyConfig(configKey,
                        record.value() == null ? null : TopicFormat.parseConfigValue(configKey, record.value()));
            } else {
                LOG.debug("skipping {} record at offset {} of topic {}", key, record.offset(), topic);
            }
        } catch (TopicFormat.MalformedRecordException e) {
            LOG.warn("skipping unreadable record at offset {} of topic {}: {}", record.offset(), topic,
                    e.getMessage());
        }
    }

    private void fail(RuntimeException failure) {
        synchronized (progress) {
            readerFailure = failure;
            progress.notifyAll();
        }
    }

    /** Stops the reader and closes the clients; waits for the reader to finish. */
    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        synchronized (progress) {
            progress.notifyAll();
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }

    private static void ensureTopic(Admin admin, String topic, long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        int brokers = admin.describeCluster().nodes().get(remainingMillis(deadline), TimeUnit.MILLISECONDS).size();
        // Survive the loss of brokers where there are any to spare; a dev cluster of one gets one replica.
        short replicationFactor = (short) Math.max(1, Math.min(3, brokers));
        NewTopic wanted = new NewTopic(topic, 1, replicationFactor)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(wanted)).all().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
            LOG.info("created topic {} (1 partition, cleanup.policy=compact, replication factor {})", topic,
                    replicationFactor);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        TopicDescription description = awaitLeader(admin, topic, deadline);
        if (description.partitions().size() != 1) {
            throw new IllegalStateException("topic " + topic + " has " + description.partitions().size()
                    + " partitions; the registry needs exactly 1 so that all instances see one order of writes");
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(Set.of(resource)).all()
                .get(remainingMillis(deadline), TimeUnit.MILLISECONDS).get(resource);
        ConfigEntry cleanupPolicy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        if (cleanupPolicy == null || !cleanupPolicy.value().equals(TopicConfig.CLEANUP_POLICY_COMPACT)) {
            // Deletion by retention would lose schemas whose ids are still inside records on other topics.
            throw new IllegalStateException("topic " + topic + " has cleanup.policy="
                    + (cleanupPolicy == null ? "?" : cleanupPolicy.value()) + "; the registry needs compact");
        }
    }

    /**
     * The controller acknowledges a new topic before every broker knows it; wait until its partition has a leader
     * so that the first produce and list-offsets do not fail.
     */
    private static TopicDescription awaitLeader(Admin admin, String topic, long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        while (true) {
            KafkaFuture<Map<String, TopicDescription>> described = admin.describeTopics(Set.of(topic)).allTopicNames();
            try {
                TopicDescription description = described.get(remainingMillis(deadline), TimeUnit.MILLISECONDS)
                        .get(topic);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return description;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (remainingMillis(deadline) <= METADATA_RETRY_INTERVAL.toMillis()) {
                throw new TimeoutException("topic " + topic + " has no leader");
            }
            Thread.sleep(METADATA_RETRY_INTERVAL.toMillis());
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** The topic could not be written or read. */
    public static class StoreException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A write was not acknowledged and applied in time. */
    public static final class StoreTimeoutException extends StoreException {
        private static final long serialVersionUID = 1L;

        StoreTimeoutException(String message) {
            super(message, null);
        }
    }
}
