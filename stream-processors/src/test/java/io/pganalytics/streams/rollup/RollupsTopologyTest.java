package io.pganalytics.streams.rollup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.rollups.Aggregate;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.streams.oracle.MetricsRecords;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RollupsTopologyTest {

    private static final String SCOPE = "rollups-topology-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final MetricFamily DATABASE = MetricFamilies.byName("database").orElseThrow();
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(30);

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> metrics;
    private AvroSerializer<GenericRecord> avro;
    private TestOutputTopic<String, Rollup> minutes;
    private TestOutputTopic<String, Rollup> hours;
    private TestOutputTopic<String, byte[]> dlq;

    @TempDir
    Path stateDir;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, RollupsTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(RollupsTopology.build(SERDE, GRACE), props, T0);
        avro = new AvroSerializer<>();
        avro.configure(SERDE, false);
        AvroSerde<Rollup> rollups = AvroSerde.forValues(SERDE);
        metrics = driver.createInputTopic(DATABASE.metricsTopic(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        minutes = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_MINUTE), Serdes.String().deserializer(),
                rollups.deserializer());
        hours = driver.createOutputTopic(DATABASE.rollupTopic(Topics.Resolution.ONE_HOUR), Serdes.String().deserializer(),
                rollups.deserializer());
        dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
        InMemorySchemaRegistry.drop(SCOPE);
    }

    private void sample(long datid, Instant at, int numbackends, Double xactCommitPerSec) {
        java.util.HashMap<String, Object> values = new java.util.HashMap<>();
        values.put("datid", datid);
        values.put("numbackends", numbackends);
        values.put("xactCommitPerSec", xactCommitPerSec);
        GenericRecord record = MetricsRecords.of(DATABASE, "c1", "t1", at, values);
        // The record timestamp is deliberately unrelated: event time is sampledAt, read by the extractor.
        metrics.pipeInput(new TestRecord<>("c1/t1", avro.serialize(DATABASE.metricsTopic(), record), T0.minusSeconds(3600)));
    }

    @Test
    void minuteWindowIsEmittedOnceWhenStreamTimePassesItsEndPlusGrace() {
        sample(5, T0.plusSeconds(10), 3, 10.0);
        sample(5, T0.plusSeconds(40), 7, null);
        sample(5, T0.plusSeconds(89), 5, 30.0);   // 60 + 30 grace not yet reached
        assertThat(minutes.isEmpty()).isTrue();

        sample(5, T0.plusSeconds(90), 1, 20.0);   // stream time = end + grace: the first window closes
        List<TestRecord<String, Rollup>> emitted = minutes.readRecordsToList();
        assertThat(emitted).hasSize(1);
        Rollup first = emitted.get(0).value();
        assertThat(emitted.get(0).key()).isEqualTo("c1/t1");
        assertThat(emitted.get(0).timestamp()).isEqualTo(T0.toEpochMilli());
        assertThat(first.getFamily()).isEqualTo("database");
        assertThat(first.getResolution()).isEqualTo("1m");
        assertThat(first.getSeries()).containsExactly(Map.entry("datid", "5"));
        assertThat(first.getWindowStart()).isEqualTo(T0);
        assertThat(first.getWindowEnd()).isEqualTo(T0.plusSeconds(60));
        Aggregate backends = first.getMetrics().get("numbackends");
        assertThat(backends.getCount()).isEqualTo(2);
        assertThat(backends.getMin()).isEqualTo(3.0);
        assertThat(backends.getMax()).isEqualTo(7.0);
        assertThat(backends.getSum()).isEqualTo(10.0);
        assertThat(backends.getMean()).isEqualTo(5.0);
        assertThat(backends.getLast()).isEqualTo(7.0);
        assertThat(first.getMetrics().get("xactCommitPerSec").getCount()).as("null values are not counted").isEqualTo(1);
        assertThat(first.getMetrics()).as("fields without a value in the window").doesNotContainKey("xactRollbackPerSec");

        sample(5, T0.plusSeconds(95), 1, 20.0);
        sample(5, T0.plusSeconds(200), 1, 20.0);  // closes the second window, and only it
        assertThat(minutes.readValuesToList()).extracting(Rollup::getWindowStart).containsExactly(T0.plusSeconds(60));
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void recordWithinGraceIsAggregatedAndLaterOneIsDeadLetteredAsLate() {
        sample(5, T0.plusSeconds(10), 1, 1.0);
        sample(5, T0.plusSeconds(85), 1, 1.0);    // stream time 85 s
        sample(5, T0.plusSeconds(59), 100, 1.0);  // window [0, 60) still open: 60 + 30 > 85
        sample(5, T0.plusSeconds(90), 1, 1.0);    // closes [0, 60)
        sample(5, T0.plusSeconds(30), 500, 1.0);  // late

        Rollup first = minutes.readValue();
        assertThat(first.getMetrics().get("numbackends").getCount()).isEqualTo(2);
        assertThat(first.getMetrics().get("numbackends").getMax()).isEqualTo(100.0);
        TestRecord<String, byte[]> late = dlq.readRecord();
        assertThat(header(late.headers(), DeadLetterHeaders.CHECK)).isEqualTo("late");
        assertThat(header(late.headers(), DeadLetterHeaders.REASON)).contains("2026-11-22T10:00:30Z").contains("grace 30 s");
        assertThat(header(late.headers(), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(DATABASE.metricsTopic());
        assertThat(header(late.headers(), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("4");
        assertThat(header(late.headers(), DeadLetterHeaders.PROCESSOR)).isEqualTo(RollupsTopology.APPLICATION_ID);
        assertThat(dlq.isEmpty()).isTrue();
        assertThat(lateRecordsMetric()).isEqualTo(1.0);

        sample(5, T0.plusSeconds(1000), 1, 1.0);
        assertThat(minutes.readValuesToList()).as("the late record reopens nothing")
                .extracting(Rollup::getWindowStart).doesNotContain(T0);
    }

    @Test
    void hourIsMergedFromItsMinutesAndEmittedOnceAfterTheLastOneCloses() {
        for (int minute = 0; minute < 60; minute++) {
            sample(5, T0.plusSeconds(minute * 60L + 5), minute, (double) minute * 2);
            sample(7, T0.plusSeconds(minute * 60L + 6), 1, 1.0);
        }
        sample(5, T0.plusSeconds(3600 + 29), 0, 0.0);
        assertThat(hours.isEmpty()).isTrue();
        assertThat(minutes.readValuesToList()).hasSize(2 * 59);

        sample(5, T0.plusSeconds(3600 + 30), 0, 0.0);   // closes minute 59, then the hour
        assertThat(minutes.readValuesToList()).hasSize(2);
        List<Rollup> emitted = hours.readValuesToList();
        assertThat(emitted).hasSize(2);
        Rollup hour = emitted.stream().filter(r -> r.getSeries().get("datid").equals("5")).findFirst().orElseThrow();
        assertThat(hour.getResolution()).isEqualTo("1h");
        assertThat(hour.getWindowStart()).isEqualTo(T0);
        assertThat(hour.getWindowEnd()).isEqualTo(T0.plusSeconds(3600));
        Aggregate backends = hour.getMetrics().get("numbackends");
        assertThat(backends.getCount()).isEqualTo(60);
        assertThat(backends.getMin()).isEqualTo(0.0);
        assertThat(backends.getMax()).isEqualTo(59.0);
        assertThat(backends.getSum()).isEqualTo(1770.0);
        assertThat(backends.getMean()).isEqualTo(29.5);
        assertThat(backends.getLast()).isEqualTo(59.0);
        assertThat(backends.getP50()).isCloseTo(29.0, within(0.29));
        assertThat(backends.getP99()).isCloseTo(58.0, within(0.58));

        sample(5, T0.plusSeconds(3 * 3600), 0, 0.0);
        assertThat(hours.readValuesToList()).extracting(Rollup::getWindowStart).doesNotContain(T0);
    }

    @Test
    void sketchQuantilesStayWithinTheDocumentedRelativeAccuracy() {
        Random random = new Random(42);
        double[] values = new double[600];
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.exp(random.nextGaussian() * 3);   // spans many orders of magnitude
            sample(5, T0.plusMillis(i * 100L), 0, values[i]);
        }
        sample(5, T0.plusSeconds(3600 + 31), 0, 0.0);
        Arrays.sort(values);
        for (Rollup rollup : List.of(minutes.readValuesToList().get(0), hours.readValue())) {
            Aggregate rate = rollup.getMetrics().get("xactCommitPerSec");
            assertThat(rate.getCount()).isEqualTo(600);
            for (double[] q : new double[][] {{0.50, rate.getP50()}, {0.95, rate.getP95()}, {0.99, rate.getP99()}}) {
                double exact = values[(int) Math.floor(q[0] * (values.length - 1))];
                assertThat(q[1]).as("p%s of %s", q[0], rollup.getResolution())
                        .isCloseTo(exact, within(exact * QuantileSketches.RELATIVE_ACCURACY));
            }
            assertThat(QuantileSketches.decode(rate.getSketch()).getCount()).isEqualTo(600.0);
        }
    }

    @Test
    void undecodableRecordGoesToTheDeadLettersAndMovesNoWindow() {
        metrics.pipeInput("c1/t1", new byte[] {0, 0, 0, 0, 99, 1, 2});
        TestRecord<String, byte[]> rejected = dlq.readRecord();
        assertThat(header(rejected.headers(), DeadLetterHeaders.CHECK)).isEqualTo("undecodable");
        assertThat(rejected.value()).containsExactly(0, 0, 0, 0, 99, 1, 2);
        assertThat(minutes.isEmpty()).isTrue();
    }

    @Test
    void aggregatedFieldsAreEveryGaugeAndEveryRate() {
        assertThat(RollupsTopology.aggregatedFields(DATABASE)).contains("numbackends", "intervalSeconds", "xactCommitPerSec",
                "blkReadTimeMsPerSec").doesNotContain("xactCommit", "xactCommitDelta", "datid", "datname", "sampledAt");
    }

    private double lateRecordsMetric() {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("late-records-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    private static String header(Headers headers, String key) {
        return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
