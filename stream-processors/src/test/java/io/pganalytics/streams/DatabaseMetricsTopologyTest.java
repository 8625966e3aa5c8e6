package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DatabaseMetricsTopologyTest {

    private static final String SCOPE = "database-metrics-topology-test";
    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    private TopologyTestDriver driver;
    private TestInputTopic<String, DatabaseSample> raw;
    private TestInputTopic<String, byte[]> rawBytes;
    private TestOutputTopic<String, DatabaseSample> metrics;
    private TestOutputTopic<String, byte[]> dlq;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, DatabaseMetricsTopology.APPLICATION_ID);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(DatabaseMetricsTopology.build(SERDE), props);
        AvroSerde<DatabaseSample> serde = AvroSerde.forValues(SERDE);
        raw = driver.createInputTopic(Topics.RAW_DATABASE, Serdes.String().serializer(), serde.serializer());
        rawBytes = driver.createInputTopic(Topics.RAW_DATABASE, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        metrics = driver.createOutputTopic(Topics.METRICS_DATABASE, Serdes.String().deserializer(), serde.deserializer());
        dlq = driver.createOutputTopic(Topics.DLQ, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void validSamplePassesThroughUnchanged() {
        DatabaseSample sample = DatabaseSamples.valid("c1", "t1").build();
        raw.pipeInput("c1/t1", sample);

        assertThat(metrics.readKeyValuesToList()).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo("c1/t1");
            assertThat(kv.value).isEqualTo(sample);
        });
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void malformedBytesGoToTheDeadLetterTopicWithTheReason() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        rawBytes.pipeInput("c1/t1", garbage);
        raw.pipeInput("c1/t1", DatabaseSamples.valid("c1", "t1").build());

        TestRecord<String, byte[]> rejected = dlq.readRecord();
        assertThat(rejected.value()).isEqualTo(garbage);
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("undecodable");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).contains("magic byte");
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(Topics.RAW_DATABASE);
        assertThat(header(rejected, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(metrics.readValuesToList()).hasSize(1);
    }

    @Test
    void negativeCounterIsRejectedNamingTheField() {
        raw.pipeInput("c1/t1", DatabaseSamples.valid("c1", "t1").setBlksHit(-1).build());

        TestRecord<String, byte[]> rejected = dlq.readRecord();
        assertThat(header(rejected, DeadLetterHeaders.CHECK)).isEqualTo("negative-counter");
        assertThat(header(rejected, DeadLetterHeaders.REASON)).isEqualTo("blksHit is -1");
        assertThat(metrics.isEmpty()).isTrue();
    }

    @Test
    void keyThatDoesNotMatchTheSampleIsRejected() {
        raw.pipeInput("c2/t1", DatabaseSamples.valid("c1", "t1").build());
        assertThat(header(dlq.readRecord(), DeadLetterHeaders.CHECK)).isEqualTo("key-mismatch");
        assertThat(metrics.isEmpty()).isTrue();
    }

    @Test
    void unknownSchemaIdIsDeadLetteredNotRetried() {
        rawBytes.pipeInput("c1/t1", new byte[] {0, 0, 0, 0, 99, 2, 4});
        assertThat(header(dlq.readRecord(), DeadLetterHeaders.REASON)).contains("schema id 99");
    }

    @Test
    void topologyNamesReadLikeTheDesign() {
        String description = DatabaseMetricsTopology.build(SERDE).describe().toString();
        assertThat(description).contains("decode-and-check", "to-metrics", "to-dlq");
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
