package io.pganalytics.fleet.admin.internal;

import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The few Kafka operations the fleet's administration needs: write one record, read a compacted topic, wait for
 * a record. Not API: the control plane's projection and reads in {@code io.pganalytics.fleet.admin} are its only users.
 */
public final class TopicClient implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final String bootstrapServers;
    private final String clientId;
    private final Map<String, Object> serde;
    private KafkaProducer<String, GenericContainer> producer;

    /** Connects lazily: nothing is contacted before the first operation. */
    public TopicClient(String bootstrapServers, String schemaRegistryUrl, String clientId) {
        this.bootstrapServers = bootstrapServers;
        this.clientId = clientId;
        this.serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl, AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
    }

    /** One record to write; a null {@code value} is a tombstone. */
    public record Write(String topic, String key, GenericContainer value) {
    }

    /** Writes one record (null value: a tombstone) and waits until the broker has it. */
    public void write(String topic, String key, GenericContainer value) {
        writeAll(List.of(new Write(topic, key, value)));
    }

    /**
     * Writes the records in order and waits until the broker has all of them: one round trip for the batch, not one
     * per record. The producer is idempotent, so records of one partition land in the order given.
     */
    public void writeAll(List<Write> writes) {
        String topic = writes.isEmpty() ? "" : writes.get(0).topic();
        try {
            List<Future<RecordMetadata>> sent = new ArrayList<>(writes.size());
            for (Write w : writes) {
                topic = w.topic();
                sent.add(producer().send(new ProducerRecord<>(w.topic(), w.key(), w.value())));
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT.toMillis() + 5000);
            for (int i = 0; i < sent.size(); i++) {
                topic = writes.get(i).topic();
                sent.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write to " + topic + " at " + bootstrapServers + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot write to " + topic + " at " + bootstrapServers + ": no answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new IllegalStateException("cannot write to " + topic + " at " + bootstrapServers + ": " + e.getMessage(), e);
        }
    }

    private KafkaProducer<String, GenericContainer> producer() {
        if (producer == null) {
            Map<String, Object> props = new HashMap<>(serde);
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
            AvroSerializer<GenericContainer> values = new AvroSerializer<>();
            values.configure(props, false);
            producer = new KafkaProducer<>(props, new StringSerializer(), values);
        }
        return producer;
    }

    /** The latest value per key of a compacted topic, read from its beginning to its current end; deleted keys absent. */
    public Map<String, Object> readLatest(String topic) {
        return readLatest(topic, null);
    }

    /**
     * The latest value per key among the records written since {@code since} (null: since the
     * beginning), read to the topic's current end: for a stream like the heartbeats.
     */
    public Map<String, Object> readLatest(String topic, java.time.Instant since) {
        Map<String, Object> latest = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer();
             AvroDeserializer<Object> values = new AvroDeserializer<>()) {
            values.configure(serde, false);
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            if (since != null) {
                Map<TopicPartition, Long> at = new java.util.HashMap<>();
                partitions.forEach(p -> at.put(p, since.toEpochMilli()));
                consumer.offsetsForTimes(at, TIMEOUT).forEach((partition, offset) -> {
                    if (offset == null) {
                        consumer.seekToEnd(List.of(partition)); // nothing written since
                    } else {
                        consumer.seek(partition, offset.offset());
                    }
                });
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), TIMEOUT) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read " + topic + " to its end within " + TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        latest.remove(record.key());
                        continue;
                    }
                    Object value;
                    try {
                        value = values.deserialize(topic, record.value());
                    } catch (RuntimeException e) {
                        value = new Unreadable(e.getMessage());
                    }
                    latest.remove(record.key()); // keep the order of the latest writes
                    latest.put(record.key(), value);
                }
            }
        }
        return latest;
    }

    /** A value that could not be decoded, with why. */
    public record Unreadable(String reason) {
    }

    /** A consumer positioned at the current end of {@code topic}, to see what is written after now. */
    public Tail tail(String topic) {
        KafkaConsumer<String, byte[]> consumer = consumer();
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, TIMEOUT)); // resolve the end now, not at the first poll
        AvroDeserializer<Object> values = new AvroDeserializer<>();
        values.configure(serde, false);
        return new Tail(topic, consumer, values);
    }

    /** New records of a topic, read until one matches. */
    public static final class Tail implements AutoCloseable {
        private final String topic;
        private final KafkaConsumer<String, byte[]> consumer;
        private final AvroDeserializer<Object> values;

        private Tail(String topic, KafkaConsumer<String, byte[]> consumer, AvroDeserializer<Object> values) {
            this.topic = topic;
            this.consumer = consumer;
            this.values = values;
        }

        /** The first new value that matches, or null after {@code timeout}; undecodable values are skipped. */
        public Object await(Predicate<Object> matches, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        continue;
                    }
                    try {
                        Object value = values.deserialize(topic, record.value());
                        if (matches.test(value)) {
                            return value;
                        }
                    } catch (RuntimeException e) {
                        // someone else's garbage; not our answer
                    }
                }
            }
            return null;
        }

        @Override
        public void close() {
            consumer.close();
            values.close();
        }
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, TIMEOUT);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " within "
                    + TIMEOUT.toSeconds() + " s", e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException(topic + ": topic does not exist at " + bootstrapServers);
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        return partitions;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }
}
