package io.pganalytics.streams.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.oracle.RawSampleGenerator.RawSample;
import io.pganalytics.streams.rollup.RollupsTopology;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-fidelity oracle of issue 6, end to end: raw samples with counter resets, stats resets,
 * postmaster restarts, repeated and late samples go through ingest and then rollups, and every
 * record either stage emits is compared with what the oracles compute independently from the
 * definitions: deltas and rates exactly ({@link DeltaOracle}), 1m and 1h aggregates exactly with
 * quantiles within the sketch's error ({@link RollupOracle}), no window twice, every late record
 * on the dead-letter topic and nowhere else.
 */
class DataFidelityOracleTest {

    private static final String SCOPE = "data-fidelity-oracle";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant START = Instant.parse("2026-11-22T08:00:00Z");
    private static final Instant WALL_CLOCK = Instant.parse("2026-11-22T12:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(30);

    @TempDir
    Path stateDir;

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void rawSamplesBecomeExactlyTheExpectedMetricsAndRollups() throws Exception {
        // 2 collectors x 3 targets x 4 databases, a sample every 15 s for 100 minutes, with every kind of trouble.
        List<RawSample> raw = new RawSampleGenerator(DATABASE, 20261122L, START, Duration.ofSeconds(15))
                .chances(0.01, 0.01, 0.05, 0.25)
                .generate(2, 3, 4, 400);

        List<KeyValue<String, GenericRecord>> metrics = ingest(raw);
        List<GenericRecord> expectedMetrics = new DeltaOracle(DATABASE).expected(raw.stream().map(RawSample::value).toList());
        assertThat(metrics).hasSameSizeAs(expectedMetrics);
        for (int i = 0; i < expectedMetrics.size(); i++) {
            assertThat(metrics.get(i).value.toString()).as("metrics record %d", i).isEqualTo(expectedMetrics.get(i).toString());
        }
        assertThat(metrics).allSatisfy(m -> DATABASE.counterFields().forEach(counter -> {
            Object rate = m.value.get(counter + "PerSec");
            assertThat(rate == null || (Double) rate >= 0).as("%s never negative", counter).isTrue();
        }));

        // The rollups stage sees the metrics records in the order ingest produced them.
        List<String> fields = RollupsTopology.aggregatedFields(DATABASE);
        RollupOracle oracle = new RollupOracle(DATABASE, fields, GRACE);
        int expectedLate = 0;
        for (GenericRecord record : expectedMetrics) {
            if (oracle.accept(record)) {
                expectedLate++;
            }
        }
        Properties props = props(RollupsTopology.APPLICATION_ID, "rollups");
        try (TopologyTestDriver driver = new TopologyTestDriver(
                RollupsTopology.build(SERDE, GRACE, List.of(DATABASE), Stores::inMemoryKeyValueStore), props, WALL_CLOCK)) {
            AvroSerializer<GenericRecord> avro = new AvroSerializer<>();
            avro.configure(SERDE, false);
            AvroSerde<Rollup> rollups = AvroSerde.forValues(SERDE);
            TestInputTopic<String, byte[]> in = driver.createInputTopic(DATABASE.metricsTopic(),
                    Serdes.String().serializer(), Serdes.ByteArray().serializer());
            TestOutputTopic<String, Rollup> minutes = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_MINUTE),
                    Serdes.String().deserializer(), rollups.deserializer());
            TestOutputTopic<String, Rollup> hours = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_HOUR),
                    Serdes.String().deserializer(), rollups.deserializer());
            TestOutputTopic<String, byte[]> dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            for (KeyValue<String, GenericRecord> record : metrics) {
                in.pipeInput(new TestRecord<>(record.key, avro.serialize(DATABASE.metricsTopic(), record.value)));
            }

            RollupOracle.Closed expected = oracle.closed();
            assertThat(expected.minutes()).hasSizeGreaterThan(1_000);
            assertThat(expected.hours()).isNotEmpty();
            RollupComparison.compare(DATABASE, "1m", minutes.readValuesToList(), expected.minutes());
            RollupComparison.compare(DATABASE, "1h", hours.readValuesToList(), expected.hours());
            List<TestRecord<String, byte[]>> deadLetters = dlq.readRecordsToList();
            assertThat(expectedLate).as("the repeated samples include late ones").isPositive();
            assertThat(deadLetters).hasSize(expectedLate).allSatisfy(r -> assertThat(new String(
                    r.headers().lastHeader(DeadLetterHeaders.CHECK).value(), StandardCharsets.UTF_8)).isEqualTo(RollupsTopology.LATE));
        }
    }

    private List<KeyValue<String, GenericRecord>> ingest(List<RawSample> raw) throws Exception {
        try (TopologyTestDriver driver = new TopologyTestDriver(
                IngestTopology.build(SERDE, IngestConfig.defaults(), () -> (collector, rate) -> { }, List.of(DATABASE),
                        Stores::inMemoryKeyValueStore), props(IngestTopology.APPLICATION_ID, "ingest"), WALL_CLOCK)) {
            AvroSerializer<GenericRecord> serializer = new AvroSerializer<>();
            serializer.configure(SERDE, false);
            AvroDeserializer<GenericRecord> deserializer = new AvroDeserializer<>();
            deserializer.configure(SERDE, false);
            TestInputTopic<String, GenericRecord> in = driver.createInputTopic(DATABASE.rawTopic(), Serdes.String().serializer(), serializer);
            TestOutputTopic<String, GenericRecord> out = driver.createOutputTopic(DATABASE.metricsTopic(),
                    Serdes.String().deserializer(), deserializer);
            TestOutputTopic<String, byte[]> dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            for (RawSample sample : raw) {
                in.pipeInput(sample.key(), sample.value(), sample.timestampMillis());
            }
            assertThat(dlq.readRecordsToList()).as("every generated sample is valid for ingest").isEmpty();
            return out.readKeyValuesToList();
        }
    }

    private Properties props(String applicationId, String dir) throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir.resolve(dir)).toString());
        return props;
    }
}
