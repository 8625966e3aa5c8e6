package io.pganalytics.streams.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.FieldRole;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.oracle.RawSampleGenerator.RawSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every metrics record of the ingest topology, for every family, equals the oracle's, field by field. */
class DeltaOracleTest {

    private static final Instant START = Instant.parse("2026-11-22T08:00:00Z");
    private static final Instant WALL_CLOCK = Instant.parse("2026-11-22T12:00:00Z");

    static List<MetricFamily> families() {
        return MetricFamilies.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyMetricsRecordEqualsTheOracles(MetricFamily family, @TempDir Path stateDir) throws Exception {
        RawSampleGenerator generator = new RawSampleGenerator(family, 20261122L, START, Duration.ofSeconds(10));
        List<RawSample> raw = generator.generate(3, 4, 5, 60);   // 60 series, 3600 samples + the late ones

        String scope = "delta-oracle-" + family.name();
        Map<String, String> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, IngestTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir).toString());
        List<GenericRecord> actual;
        try (TopologyTestDriver driver = new TopologyTestDriver(
                IngestTopology.build(serde, IngestConfig.defaults(), () -> (c, r) -> { }, List.of(family),
                        Stores::inMemoryKeyValueStore), props, WALL_CLOCK)) {
            AvroSerializer<GenericRecord> serializer = new AvroSerializer<>();
            serializer.configure(serde, false);
            AvroDeserializer<GenericRecord> deserializer = new AvroDeserializer<>();
            deserializer.configure(serde, false);
            TestInputTopic<String, GenericRecord> in = driver.createInputTopic(family.rawTopic(), Serdes.String().serializer(), serializer);
            TestOutputTopic<String, GenericRecord> out = driver.createOutputTopic(family.metricsTopic(),
                    Serdes.String().deserializer(), deserializer);
            TestOutputTopic<String, byte[]> dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            for (RawSample sample : raw) {
                in.pipeInput(sample.key(), sample.value(), sample.timestampMillis());
            }
            actual = out.readValuesToList();
            assertThat(dlq.readRecordsToList()).as("generated samples are all valid").isEmpty();
        } finally {
            InMemorySchemaRegistry.drop(scope);
        }

        List<GenericRecord> expected = new DeltaOracle(family).expected(raw.stream().map(RawSample::value).toList());
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            // toString first: on a mismatch AssertJ shows the two records as JSON, field by field.
            assertThat(actual.get(i).toString()).as("record %d", i).isEqualTo(expected.get(i).toString());
            assertThat(actual.get(i)).as("record %d", i).isEqualTo(expected.get(i));
        }

        if (family.isCumulative()) {
            Map<String, Long> baselines = actual.stream().collect(Collectors.groupingBy(
                    r -> String.valueOf(r.get("baseline")), Collectors.counting()));
            assertThat(baselines).as("the generator made every case happen")
                    .containsKeys("first", "out-of-order", "counter-decreased", "null");
            if (!family.resetFields().isEmpty()) {
                assertThat(baselines).as("a reset field changed").containsKey("reset-changed");
            }
            List<String> rates = family.metricsSchema().getFields().stream()
                    .filter(f -> FieldRole.RATE.propertyValue().equals(f.getProp(FieldRole.PROPERTY))).map(f -> f.name()).toList();
            assertThat(actual).allSatisfy(r -> rates.forEach(rate ->
                    assertThat(r.get(rate) == null || (Double) r.get(rate) >= 0).as("%s never negative", rate).isTrue()));
            List<String> nullableCounters = family.counterFields().stream()
                    .filter(c -> family.rawSchema().getField(c).schema().isNullable()).toList();
            if (!nullableCounters.isEmpty()) {
                assertThat(actual).as("a counter absent on a legacy server has a null delta beside computed ones")
                        .anySatisfy(r -> {
                            assertThat(r.get("baseline")).isNull();
                            assertThat(nullableCounters).anySatisfy(c -> assertThat(r.get(c + "Delta")).isNull());
                        });
            }
        }
    }
}
