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
import org.apache.kafka.clients.admin.ListOffsetsOptions;
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
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
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
 * agree.
 *
 * <p>Only the elected leader writes ({@link LeaderElection}), and it writes through a transactional producer whose
 * {@code transactional.id} is derived from the topic: when another instance takes over, its
 * {@code initTransactions()} fences the previous leader's producer, so a leader that has not yet noticed it was
 * deposed cannot write a record planned on stale state. Readers read committed records only.
 */
public final class SchemasTopic implements StoreWriter, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemasTopic.class);

    /** How long a write may take to be acknowledged by the broker and applied by the reader. */
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration METADATA_RETRY_INTERVAL = Duration.ofMillis(50);

    private final String bootstrapServers;
    private final String topic;
    private final TopicPartition partition;
    private final RegistryState state;
    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    // Guarded by this: the transactional producer while this instance leads, else null.
    private KafkaProducer<byte[], byte[]> producer;
    // Guarded by this: the topic offset after everything this leader knows to be committed (the end it read when it
    // took the leadership, then the end of each of its writes). The state must have applied up to here before a
    // write is planned, or two writes could be planned on the same state and take the same id.
    private long writtenUpTo = -1;
    // Guarded by this: counts the producers this instance dropped, so it changes whenever the write side changes
    // hands. A write planned in one term is refused in another: in between another instance may have led and written,
    // so the plan may be stale even though this instance leads again and has caught up.
    private long term;
    // Set when the writer was dropped because a write failed with an unknown outcome; the election takes it back.
    private volatile boolean writerLost;
    private final Thread reader;

    private final Object progress = new Object();
    // Guarded by progress: the consumer's position after the records applied so far (the next offset to read).
    private long appliedUpTo = -1;
    private RuntimeException readerFailure;
    private volatile boolean closing;

    private SchemasTopic(String bootstrapServers, String topic, RegistryState state, Admin admin) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.state = state;
        this.admin = admin;
        this.consumer = new KafkaConsumer<>(consumerConfig(bootstrapServers, topic));
        this.reader = new Thread(this::read, "schema-registry-reader-" + topic);
        this.reader.setDaemon(true);
    }

    private static Map<String, Object> producerConfig(String bootstrapServers, String topic) {
        return Map.ofEntries(
                Map.entry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                Map.entry(ProducerConfig.CLIENT_ID_CONFIG, "schema-registry-writer-" + topic),
                // One id per topic, whichever instance writes: the next leader's initTransactions() fences the last.
                Map.entry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "schema-registry-" + topic),
                // An acknowledged registration must survive the loss of a broker, and a retried send must not
                // append a second copy of a record.
                Map.entry(ProducerConfig.ACKS_CONFIG, "all"),
                Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"),
                Map.entry(ProducerConfig.LINGER_MS_CONFIG, "0"),
                Map.entry(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis())),
                Map.entry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis())),
                Map.entry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(WRITE_TIMEOUT.toMillis())),
                Map.entry(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()),
                Map.entry(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
    }

    private static Map<String, Object> consumerConfig(String bootstrapServers, String topic) {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-reader-" + topic,
                // No group: every instance reads the whole topic from the beginning, and nothing is committed.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                // A fenced leader's aborted writes must never reach the state.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
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
            endOffset = committedEnd(admin, topic, deadline);
        } catch (ExecutionException e) {
            admin.close(Duration.ZERO);
            throw new IllegalStateException("cannot prepare topic " + topic + " on " + bootstrapServers + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            // Admin.close() waits for calls still pending (up to their own timeout) after a failure; nothing of
            // theirs is needed any more.
            admin.close(Duration.ZERO);
            throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " to prepare topic " + topic
                    + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            admin.close(Duration.ZERO);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing topic " + topic, e);
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw e;
        }

        SchemasTopic opened;
        try {
            opened = new SchemasTopic(bootstrapServers, topic, state, admin);
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw e;
        }
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

    /** The end of the committed part of the topic (the last stable offset), which readers can reach. */
    private static long committedEnd(Admin admin, String topic, long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        return end(admin, topic, IsolationLevel.READ_COMMITTED, deadline);
    }

    /** The topic's end offset as {@code isolation} sees it: the last stable offset, or the high watermark. */
    private static long end(Admin admin, String topic, IsolationLevel isolation, long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        TopicPartition partition = new TopicPartition(topic, 0);
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(isolation)).all()
                .get(remainingMillis(deadline), TimeUnit.MILLISECONDS).get(partition).offset();
    }

    /**
     * Takes the write side: fences any previous leader (initTransactions) and reads the topic to its end, so that
     * the first write is planned on everything the previous leader wrote.
     */
    public synchronized void becomeLeader() {
        long deadline = System.nanoTime() + WRITE_TIMEOUT.toNanos();
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(producerConfig(bootstrapServers, topic));
        long end;
        try {
            // initTransactions() settles the previous writer's open transaction (aborted, or its commit completed)
            // before it returns, so the committed end read after it includes everything that will ever be visible.
            created.initTransactions();
            end = committedEnd(admin, topic, deadline);
            awaitApplied(end, deadline);
        } catch (ExecutionException e) {
            created.close(Duration.ZERO);
            throw new StoreException("cannot read the end of topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            created.close(Duration.ZERO);
            throw new StoreTimeoutException("reading the end of topic " + topic + " timed out");
        } catch (InterruptedException e) {
            created.close(Duration.ZERO);
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while taking the leadership of topic " + topic, e);
        } catch (RuntimeException e) {
            created.close(Duration.ZERO);
            throw e;
        }
        closeProducer();
        producer = created;
        writtenUpTo = end;
        writerLost = false;
    }

    /** Gives up the write side; a write after this fails with {@link NotLeaderException}. */
    public synchronized void resign() {
        closeProducer();
    }

    /**
     * True while this instance holds a usable writer; false once a write failed in a way that leaves its outcome
     * unknown, until {@link #becomeLeader()} has fenced it and read the topic to its end again.
     */
    public boolean writing() {
        return !writerLost;
    }

    private void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
        }
        term++;
    }

    /**
     * Waits until the state has applied every write this leader made or read when it took over, so that a write
     * planned next is planned on all of them.
     *
     * @throws NotLeaderException when this instance does not write (nothing was planned; a caller may forward)
     */
    @Override
    public long awaitCurrent() {
        long upTo;
        long current;
        synchronized (this) {
            if (producer == null) {
                throw new NotLeaderException("this registry is not the leader of topic " + topic);
            }
            upTo = writtenUpTo;
            current = term;
        }
        awaitApplied(upTo, System.nanoTime() + WRITE_TIMEOUT.toNanos());
        return current;
    }

    /**
     * Writes the records in one transaction and returns once the state shows them.
     *
     * @throws NotLeaderException when nothing was written because this instance does not (or no longer) lead; the
     *                            write may be made again on the leader
     * @throws StoreException     when the write failed and its outcome may be unknown (it may still appear): the
     *                            writer is dropped, and the election takes it back, fenced and caught up, before
     *                            anything else is planned
     */
    @Override
    public synchronized void write(List<StoreRecord> records, long plannedIn) {
        if (producer == null) {
            throw new NotLeaderException("this registry is not the leader of topic " + topic);
        }
        if (plannedIn != term) {
            throw new NotLeaderException("this registry lost the leadership of topic " + topic
                    + " after the write was planned");
        }
        long deadline = System.nanoTime() + WRITE_TIMEOUT.toNanos();
        RecordMetadata last = null;
        String what = records.size() == 1 ? records.get(0).key().toString() : records.size() + " records";
        String unknown = "failed to write " + what + " with an unknown outcome";
        try {
            producer.beginTransaction();
            List<java.util.concurrent.Future<RecordMetadata>> sent = new java.util.ArrayList<>();
            for (StoreRecord record : records) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, record.keyBytes(), record.value())));
            }
            producer.commitTransaction();
            for (java.util.concurrent.Future<RecordMetadata> future : sent) {
                last = future.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
            }
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            // Another initTransactions() took the transactional id: this transaction was aborted, or (a commit whose
            // answer was lost) completed. Either way this producer is done; the election deposes this instance, and
            // takes the leadership back, fenced and caught up, only while the group still gives it the partition.
            loseWriter("was fenced by another producer while writing " + what);
            throw new NotLeaderException("another registry took the leadership of topic " + topic
                    + " while writing " + what);
        } catch (ExecutionException e) {
            loseWriter(unknown);
            throw new StoreException("cannot write " + what + " to topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            loseWriter(unknown);
            throw new StoreTimeoutException("writing " + what + " to topic " + topic + " took longer than "
                    + WRITE_TIMEOUT.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loseWriter(unknown);
            throw new StoreException("interrupted while writing " + what + " to topic " + topic, e);
        } catch (KafkaException e) {
            // A commit that timed out or failed may still complete: only a new initTransactions() settles it.
            loseWriter(unknown);
            throw new StoreException("cannot write " + what + " to topic " + topic + ": " + e.getMessage(), e);
        }
        // A broker that recognises a retried batch it no longer holds the metadata of acknowledges it without an
        // offset; the end of the log then bounds where it landed.
        writtenUpTo = last.hasOffset() ? last.offset() + 1 : logEnd(deadline);
        awaitApplied(writtenUpTo, deadline);
    }

    /**
     * The end of the log including records of transactions not yet settled (the high watermark): a write this
     * instance just committed is before it, and the reader passes it once the commit marker is written.
     */
    private long logEnd(long deadline) {
        try {
            return end(admin, topic, IsolationLevel.READ_UNCOMMITTED, deadline);
        } catch (ExecutionException e) {
            loseWriter("cannot tell where its last write landed");
            throw new StoreException("cannot read the end of topic " + topic + " after writing to it: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            loseWriter("cannot tell where its last write landed");
            throw new StoreTimeoutException("reading the end of topic " + topic + " after writing to it timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loseWriter("cannot tell where its last write landed");
            throw new StoreException("interrupted while reading the end of topic " + topic, e);
        }
    }

    /**
     * Drops the writer after a write whose outcome is unknown. Aborting is not enough: a commit that timed out may
     * still complete, so nothing may be planned until a new producer's initTransactions() has settled it and the
     * state has read the topic to its end; the election does that when it sees {@link #writing()} false.
     */
    private void loseWriter(String why) {
        closeProducer();
        writerLost = true;
        LOG.warn("the writer of topic {} {}; this registry stops writing until it has fenced its previous writer and"
                + " read the topic to its end", topic, why);
    }

    @Override
    public long appliedOffset() {
        synchronized (progress) {
            return appliedUpTo;
        }
    }

    /** Waits until the state has applied everything up to this offset (a forwarded write's, for read-your-writes). */
    public void awaitApplied(long offset) {
        awaitApplied(offset, System.nanoTime() + WRITE_TIMEOUT.toNanos());
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
            if (key instanceof StoreKey.OtherKey) {
                LOG.debug("skipping {} record at offset {} of topic {}", key, record.offset(), topic);
            } else {
                state.apply(key, record.value());
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
        synchronized (this) {
            closeProducer();
        }
        admin.close(Duration.ZERO);
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

    /** This instance may not write: it is not (or no longer) the elected leader. */
    public static final class NotLeaderException extends StoreException {
        private static final long serialVersionUID = 1L;

        NotLeaderException(String message) {
            super(message, null);
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
