package io.pganalytics.streams.ingest;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.ingest.quota.BrokerQuotas;
import io.pganalytics.streams.ingest.sample.DeadLetters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The ingest topology on a {@link TopologyTestDriver} with an in-memory registry, and its topics. */
final class IngestDriver implements AutoCloseable {

    /** The driver's wall clock at start: half an hour after the samples of {@code DatabaseSamples}. */
    static final Instant WALL_CLOCK = Instant.parse("2026-11-22T10:30:00Z");

    final String scope;
    final Path stateDir;
    final Map<String, String> serde;
    final TopologyTestDriver driver;
    final TestInputTopic<String, DatabaseSample> raw;
    final TestInputTopic<String, byte[]> rawBytes;
    final TestInputTopic<String, Quota> quotas;
    final TestInputTopic<String, byte[]> targets;
    final TestOutputTopic<String, GenericRecord> metrics;
    final TestOutputTopic<String, byte[]> dlq;
    final TestOutputTopic<String, FleetEvent> events;
    /** Every call to the broker quotas: collectorId and byte rate (null: removed). */
    final List<Map.Entry<String, Long>> brokerQuotaCalls = new ArrayList<>();

    IngestDriver(String scope, IngestConfig config) {
        this.scope = scope;
        this.serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, IngestTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try {
            // Persistent stores live here: not the shared default /tmp/kafka-streams of every test run on the machine.
            stateDir = Files.createTempDirectory(scope);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        BrokerQuotas recording = (collectorId, rate) -> brokerQuotaCalls.add(new AbstractMap.SimpleEntry<>(collectorId, rate));
        driver = new TopologyTestDriver(IngestTopology.build(serde, config, () -> recording, MetricFamilies.all()), props,
                WALL_CLOCK);
        AvroSerde<DatabaseSample> samples = AvroSerde.forValues(serde);
        AvroSerde<Quota> quota = AvroSerde.forValues(serde);
        AvroSerde<FleetEvent> event = AvroSerde.forValues(serde);
        raw = driver.createInputTopic(Topics.RAW_DATABASE, Serdes.String().serializer(), samples.serializer());
        rawBytes = driver.createInputTopic(Topics.RAW_DATABASE, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        quotas = driver.createInputTopic(Topics.QUOTAS, Serdes.String().serializer(), quota.serializer());
        targets = config.requireKnownTargets()
                ? driver.createInputTopic(Topics.FLEET_TARGETS, Serdes.String().serializer(), Serdes.ByteArray().serializer())
                : null;
        AvroDeserializer<GenericRecord> generic = new AvroDeserializer<>();
        generic.configure(serde, false);
        metrics = driver.createOutputTopic(Topics.METRICS_DATABASE, Serdes.String().deserializer(), generic);
        dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        events = driver.createOutputTopic(Topics.FLEET_EVENTS, Serdes.String().deserializer(), event.deserializer());
    }

    /** The total of a dead-letter counter of the database family, 0 when never recorded. */
    double deadLetters(String check) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("dead-letter-" + check + "-total")
                        && "database".equals(e.getKey().tags().get(DeadLetters.METRICS_SCOPE + "-id")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    @Override
    public void close() {
        driver.close();
        InMemorySchemaRegistry.drop(scope);
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
