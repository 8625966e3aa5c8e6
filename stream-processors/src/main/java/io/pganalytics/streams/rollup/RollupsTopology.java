package io.pganalytics.streams.rollup;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.FieldRole;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.streams.validation.SourceDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * {@code pga.metrics.<family>} → per series, 1-minute tumbling windows by {@code sampledAt}, emitted
 * once when they close → {@code pga.rollups.<family>.1m}; and 1-hour windows merged from the closed
 * 1-minute ones → {@code pga.rollups.<family>.1h}. Records for a window that has already closed
 * ({@code late}) and undecodable ones go to {@code pga.dlq}. One sub-topology per family of
 * {@link MetricFamilies#all()}.
 *
 * <p>Windowing, lateness and emission are one processor ({@link RollupProcessor}) rather than the
 * DSL's windowed aggregation with a gate in front: Kafka Streams drops a late record from a windowed
 * aggregation silently, and a gate in another processor could only imitate its stream time. Here the
 * one decision (is this window still open?) both admits a record and dead-letters it, so no record is
 * aggregated and dead-lettered, and none is lost. The definition is Kafka Streams' own: stream time is
 * the largest event time the task has seen, a window {@code [start, end)} closes when
 * {@code end + grace <= stream time}, and a record for a closed window is late.
 */
public final class RollupsTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-rollups";
    /** How long after a window's end its records are still admitted, unless the role says otherwise. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    /** The check code of a record whose window had closed, in the dead-letter headers. */
    public static final String LATE = "late";
    /**
     * The commit interval the role runs this application with, rather than exactly-once's 100 ms:
     * every commit flushes the RocksDB stores, and a rollup is emitted at most once a minute anyway,
     * so a second between commits costs no timeliness and saves most of the flushing.
     */
    public static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MINUTE = Duration.ofMinutes(1);
    public static final Duration HOUR = Duration.ofHours(1);

    private RollupsTopology() {
    }

    /** The topology with the default grace; {@code serdeConfig} holds {@code schema.registry.url}. */
    public static Topology build(Map<String, ?> serdeConfig) {
        return build(serdeConfig, DEFAULT_GRACE);
    }

    /** The topology for every family of {@link MetricFamilies#all()}, admitting records {@code grace} after a window's end. */
    public static Topology build(Map<String, ?> serdeConfig, Duration grace) {
        return build(serdeConfig, grace, MetricFamilies.all());
    }

    /** The topology for {@code families} only, with persistent (RocksDB) stores. */
    public static Topology build(Map<String, ?> serdeConfig, Duration grace, List<MetricFamily> families) {
        return build(serdeConfig, grace, families, Stores::persistentKeyValueStore);
    }

    /**
     * The topology for {@code families}, its stores from {@code stores} (by name); changelogged either
     * way. Tests that drive tens of thousands of records through {@code TopologyTestDriver} use
     * in-memory stores: the driver commits, and so flushes RocksDB, after every record.
     */
    public static Topology build(Map<String, ?> serdeConfig, Duration grace, List<MetricFamily> families,
            Function<String, KeyValueBytesStoreSupplier> stores) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace: must not be negative, got " + grace);
        }
        var client = AvroSerdeConfig.from(serdeConfig).newClient();
        Topology topology = new Topology();
        for (MetricFamily family : families) {
            String name = family.name();
            String source = "metrics-" + name;
            String processor = processorName(family);
            SourceDecoder<GenericRecord> decoder = new SourceDecoder<>(new AvroDeserializer<>(client, false), family.metricsTopic());
            AvroSerde<Rollup> rollups = AvroSerde.forValues(serdeConfig);
            topology.addSource(AutoOffsetReset.earliest(), source, new SampledAtExtractor(),
                    Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), family.metricsTopic());
            topology.addProcessor(processor, () -> new RollupProcessor(family, aggregatedFields(family), decoder, grace), source);
            topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(minuteStore(family)),
                    Serdes.Bytes(), Serdes.ByteArray()), processor);
            topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(hourStore(family)),
                    Serdes.Bytes(), Serdes.ByteArray()), processor);
            topology.addStateStore(Stores.keyValueStoreBuilder(stores.apply(streamTimeStore(family)),
                    Serdes.String(), Serdes.Long()), processor);
            topology.addSink(minuteSink(family), family.rollupTopic(Topics.Resolution.ONE_MINUTE),
                    Serdes.String().serializer(), rollups.serializer(), processor);
            topology.addSink(hourSink(family), family.rollupTopic(Topics.Resolution.ONE_HOUR),
                    Serdes.String().serializer(), rollups.serializer(), processor);
            topology.addSink(dlqSink(family), Topics.DLQ, Serdes.String().serializer(), Serdes.ByteArray().serializer(), processor);
        }
        return topology;
    }

    /** The fields a family's rollups aggregate: every gauge and every counter's per-second rate, in schema order. */
    public static List<String> aggregatedFields(MetricFamily family) {
        return family.metricsSchema().getFields().stream()
                .filter(f -> FieldRole.GAUGE.propertyValue().equals(f.getProp(FieldRole.PROPERTY))
                        || FieldRole.RATE.propertyValue().equals(f.getProp(FieldRole.PROPERTY)))
                .map(Schema.Field::name)
                .toList();
    }

    static String processorName(MetricFamily family) {
        return "roll-up-" + family.name();
    }

    /** Open 1-minute windows, keyed by window start (8 bytes, big-endian) and series. */
    public static String minuteStore(MetricFamily family) {
        return "rollups-" + family.name() + "-1m-open";
    }

    /** Open 1-hour windows, merged from closed 1-minute ones, keyed like {@link #minuteStore}. */
    public static String hourStore(MetricFamily family) {
        return "rollups-" + family.name() + "-1h-open";
    }

    /** The task's stream time, kept so that a restarted task closes and rejects exactly as before. */
    public static String streamTimeStore(MetricFamily family) {
        return "rollups-" + family.name() + "-stream-time";
    }

    static String minuteSink(MetricFamily family) {
        return "to-rollups-" + family.name() + "-1m";
    }

    static String hourSink(MetricFamily family) {
        return "to-rollups-" + family.name() + "-1h";
    }

    static String dlqSink(MetricFamily family) {
        return "to-dlq-" + family.name();
    }

    static CheckFailure late(long sampledAtMillis, long windowStartMillis, long streamTimeMillis, Duration grace) {
        return new CheckFailure(LATE, "sampledAt " + Instant.ofEpochMilli(sampledAtMillis) + " is in the 1m window from "
                + Instant.ofEpochMilli(windowStartMillis) + ", closed at stream time "
                + Instant.ofEpochMilli(streamTimeMillis) + " (grace " + grace.toSeconds() + " s)");
    }

    static void annotate(Headers headers, CheckFailure failure, Optional<RecordMetadata> source) {
        DeadLetterHeaders.annotate(headers, failure, APPLICATION_ID, source);
    }

    static Bytes windowKey(long windowStartMillis, String seriesKey) {
        byte[] series = seriesKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + series.length).putLong(windowStartMillis).put(series).array());
    }

    static Bytes windowPrefix(long windowStartMillis) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(windowStartMillis).array());
    }
}
