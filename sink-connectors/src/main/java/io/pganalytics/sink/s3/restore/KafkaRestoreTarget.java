package io.pganalytics.sink.s3.restore;

import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces restored records to their original topic (or {@code <topicPrefix><topic>}) with their key and timestamp;
 * values are serialized again in the wire format against the registry, under the target topic's subject. The
 * producer's default partitioner places them by key, as the original producers did.
 */
final class KafkaRestoreTarget implements RestoreTarget {

    private static final int MAX_PROBLEMS = 10;

    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerializer<GenericContainer> serializer;
    private final String topicPrefix;
    private final AtomicLong acknowledged = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private long sent;

    KafkaRestoreTarget(RestoreConfig config, String topicPrefix) {
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.CLIENT_ID_CONFIG, "pganalytics-restore"),
                new ByteArraySerializer(), new ByteArraySerializer());
        AvroSerdeConfig serde = AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl(),
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, true));
        this.serializer = new AvroSerializer<>(serde.newClient(), serde, false);
        this.topicPrefix = topicPrefix;
    }

    @Override
    public void write(List<BackupEntry> entries) {
        for (BackupEntry entry : entries) {
            String topic = topicPrefix + entry.topic();
            byte[] value = entry.value() == null ? null : serializer.serializeDatum(topic, entry.valueSchema(), entry.value());
            byte[] key = entry.key() == null ? null : entry.key().getBytes(StandardCharsets.UTF_8);
            String origin = entry.topic() + "-" + entry.partition() + "@" + entry.offset();
            sent++;
            producer.send(new ProducerRecord<>(topic, null, entry.timestampMs(), key, value), (metadata, error) -> {
                if (error == null) {
                    acknowledged.incrementAndGet();
                } else if (failures.size() < MAX_PROBLEMS) {
                    failures.add("cannot produce " + origin + " to " + topic + ": " + error.getMessage());
                }
            });
        }
    }

    @Override
    public long finish() {
        producer.flush();
        if (!failures.isEmpty()) {
            throw new RestoreException(List.copyOf(failures));
        }
        if (acknowledged.get() != sent) {
            throw new RestoreException(List.of("Kafka acknowledged " + acknowledged.get() + " of " + sent
                    + " restored records"));
        }
        return acknowledged.get();
    }

    @Override
    public void close() {
        producer.close();
    }
}
