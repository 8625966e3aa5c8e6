package io.pganalytics.collector;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.QueryTextMode;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What the fleet ITs with real collectors share: the fleet's writer, a collector of a group, a topic read in the background. */
final class FleetFixtures {

    static final long INTERVAL_MS = 2000;
    static final long SESSION_TIMEOUT_MS = 10_000;

    private FleetFixtures() {
    }

    /** Writes Avro records of the contract (targets, desired states, commands) as fleet-admin would. */
    static KafkaProducer<String, SpecificRecord> producer(EmbeddedKafka kafka, EmbeddedRegistry registry) {
        AvroSerializer<SpecificRecord> values = new AvroSerializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), values);
    }

    /** A fleet target on {@code postgres}'s database {@code postgres}, minimal preset, no password, enabled, of every group. */
    static FleetTarget.Builder target(String id, EmbeddedPostgres postgres) {
        return FleetTarget.newBuilder().setTargetId(id).setUrl(postgres.jdbcUrl("postgres")).setUser(postgres.user())
                .setEncryptedPassword(null).setPreset("minimal").setFamilyIntervalMillis(Map.of()).setDatabases(List.of())
                .setEnabled(true).setUpdatedAt(Instant.now());
    }

    /** Puts targets {@code db-0} to {@code db-<count-1>} on {@code pga.fleet.targets}, each as {@code shape} makes it of {@link #target}. */
    static void putTargets(KafkaProducer<String, SpecificRecord> producer, EmbeddedPostgres postgres, int count,
                           UnaryOperator<FleetTarget.Builder> shape) {
        for (int i = 0; i < count; i++) {
            String id = "db-" + i;
            producer.send(new ProducerRecord<>(Topics.FLEET_TARGETS, id, shape.apply(target(id, postgres)).build()));
        }
        producer.flush();
    }

    /** A collector of fleet {@code group}: minimal preset every 2 s, 2 workers, a spool of its own, {@code /metrics} on any port. */
    static CollectorConfig collector(String collectorId, EmbeddedKafka kafka, EmbeddedRegistry registry, Path dataDir,
                                     String group, String secretKeys) {
        CollectorConfig config = new CollectorConfig(collectorId, kafka.bootstrapServers(), registry.url(), INTERVAL_MS, 1000,
                List.of(), Preset.MINIMAL, Map.of(), 5000, 50, 1, QueryTextMode.NONE, 1024, List.of(),
                CollectorConfig.Operations.defaults(collectorId));
        return config.withOperations(config.operations().withWorkers(2)
                .withSpool(dataDir.resolve("spool-" + collectorId + "-" + UUID.randomUUID()), 16L << 20)
                .withFleet(group, SESSION_TIMEOUT_MS, secretKeys).withHttpPort(0));
    }

    /** Reads {@code topic} from its beginning on a daemon thread while {@code reading}, handing each record and its decoded value. */
    static void read(EmbeddedKafka kafka, EmbeddedRegistry registry, String topic, String groupId, BooleanSupplier reading,
                     BiConsumer<ConsumerRecord<String, byte[]>, Object> onRecord) {
        AvroDeserializer<Object> decoder = new AvroDeserializer<>();
        decoder.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        Thread thread = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, groupId,
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (reading.getAsBoolean()) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        onRecord.accept(record, record.value() == null ? null : decoder.deserialize(topic, record.value()));
                    }
                }
            }
        }, "read-" + topic);
        thread.setDaemon(true);
        thread.start();
    }
}
