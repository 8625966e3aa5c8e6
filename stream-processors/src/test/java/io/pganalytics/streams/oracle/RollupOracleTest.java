package io.pganalytics.streams.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.rollup.RollupsTopology;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
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
 * The data-fidelity oracle, rollup half: many series with jitter, out-of-order and late samples and
 * missing values go through the topology; every 1m and 1h record it emits must be exactly what
 * {@link RollupOracle} computes from the definitions, each window once, and every late record must be
 * on the dead-letter topic.
 */
class RollupOracleTest {

    private static final String SCOPE = "rollup-oracle-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant START = Instant.parse("2026-11-22T09:58:13Z");
    private static final Duration GRACE = Duration.ofSeconds(30);

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void everyEmittedRollupMatchesTheOracleAndEveryLateRecordIsDeadLettered() {
        Properties props = new Properties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, RollupsTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(RollupsTopology.build(SERDE, GRACE, List.of(DATABASE), Stores::inMemoryKeyValueStore), props, START);
        AvroSerializer<GenericRecord> avro = new AvroSerializer<>();
        avro.configure(SERDE, false);
        AvroSerde<Rollup> rollups = AvroSerde.forValues(SERDE);
        TestInputTopic<String, byte[]> metrics = driver.createInputTopic(DATABASE.metricsTopic(),
                Serdes.String().serializer(), Serdes.ByteArray().serializer());
        TestOutputTopic<String, Rollup> minutes = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_MINUTE),
                Serdes.String().deserializer(), rollups.deserializer());
        TestOutputTopic<String, Rollup> hours = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_HOUR),
                Serdes.String().deserializer(), rollups.deserializer());
        TestOutputTopic<String, byte[]> dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());

        List<String> fields = RollupsTopology.aggregatedFields(DATABASE);
        RollupOracle oracle = new RollupOracle(DATABASE, fields, GRACE);
        List<GenericRecord> arrivals = generate(new Random(20261122), fields);
        int expectedLate = 0;
        for (GenericRecord record : arrivals) {
            if (oracle.accept(record)) {
                expectedLate++;
            }
            String key = record.get("collectorId") + "/" + record.get("targetId");
            metrics.pipeInput(new TestRecord<>(key, avro.serialize(DATABASE.metricsTopic(), record)));
        }

        RollupOracle.Closed expected = oracle.closed();
        assertThat(expected.minutes()).hasSizeGreaterThan(1_000);
        assertThat(expected.hours()).hasSizeGreaterThan(20);
        assertThat(expectedLate).as("the generator produced late records").isGreaterThan(50);

        RollupComparison.compare(DATABASE, "1m", minutes.readValuesToList(), expected.minutes());
        RollupComparison.compare(DATABASE, "1h", hours.readValuesToList(), expected.hours());

        List<TestRecord<String, byte[]>> deadLetters = dlq.readRecordsToList();
        assertThat(deadLetters).hasSize(expectedLate);
        assertThat(deadLetters).allSatisfy(r -> assertThat(new String(r.headers().lastHeader(DeadLetterHeaders.CHECK).value(),
                StandardCharsets.UTF_8)).isEqualTo(RollupsTopology.LATE));
    }

    /**
     * Two collectors × three targets × four databases, a sample every 8–22 s with up to 10 s of jitter for about 2 h 20 min;
     * one in eight arrives up to 50 s out of order (around the grace period), one in forty is
     * re-sent minutes later (late), values are null now and then, and gauges go negative.
     */
    private static List<GenericRecord> generate(Random random, List<String> fields) {
        List<GenericRecord> arrivals = new ArrayList<>();
        List<GenericRecord> delayed = new ArrayList<>();
        List<Instant> delayedUntil = new ArrayList<>();
        Instant now = START;
        for (long tick = 0; tick < 560; tick++) {
            // Irregular ticks and wide jitter, so that stream time lands anywhere relative to window ends.
            now = now.plusMillis(8_000 + random.nextInt(14_000));
            for (int c = 1; c <= 2; c++) {
                for (int t = 1; t <= 3; t++) {
                    for (long datid = 1; datid <= 4; datid++) {
                        Instant sampledAt = now.plusMillis(random.nextInt(10_000));
                        Map<String, Object> values = new HashMap<>();
                        values.put("datid", datid);
                        for (String field : fields) {
                            if (random.nextInt(10) == 0) {
                                values.put(field, null);
                            } else if (field.equals("numbackends")) {
                                values.put(field, random.nextInt(200));
                            } else {
                                values.put(field, random.nextInt(20) == 0 ? 0.0 : Math.exp(random.nextGaussian() * 2) * (random.nextInt(30) == 0 ? -1 : 1));
                            }
                        }
                        if (!values.containsKey("numbackends") || values.get("numbackends") == null) {
                            values.put("numbackends", 0);   // required int in the schema
                        }
                        GenericRecord record = MetricsRecords.of(DATABASE, "c" + c, "t" + t, sampledAt, values);
                        int fate = random.nextInt(40);
                        if (fate == 0) {
                            delayed.add(record);
                            delayedUntil.add(now.plusSeconds(60 + random.nextInt(240)));
                        } else if (fate < 5) {
                            delayed.add(record);
                            delayedUntil.add(now.plusSeconds(random.nextInt(50)));
                        } else {
                            arrivals.add(record);
                        }
                    }
                }
            }
            for (int i = delayed.size() - 1; i >= 0; i--) {
                if (!delayedUntil.get(i).isAfter(now)) {
                    arrivals.add(delayed.remove(i));
                    delayedUntil.remove(i);
                }
            }
        }
        arrivals.addAll(delayed);
        return arrivals;
    }
}
