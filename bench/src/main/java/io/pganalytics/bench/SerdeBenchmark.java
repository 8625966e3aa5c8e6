package io.pganalytics.bench;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Our Confluent-wire-format serde against plain Avro on the same {@link DatabaseSample}, warm caches:
 * the serde's promise (issue 3) is at least 90% of raw {@code SpecificDatumWriter}/{@code Reader} throughput.
 *
 * <p>Run with {@code bench/run-serde}. The raw side is what a careful hand-written Avro producer does:
 * one reused stream and encoder (or decoder), a fresh byte array or record per operation, as the serde must.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SerdeBenchmark {

    private static final String SCOPE = "serde-benchmark";
    private static final String TOPIC = Topics.RAW_DATABASE;

    private DatabaseSample sample;

    private SpecificDatumWriter<DatabaseSample> rawWriter;
    private ByteArrayOutputStream rawOut;
    private BinaryEncoder rawEncoder;
    private SpecificDatumReader<DatabaseSample> rawReader;
    private BinaryDecoder rawDecoder;
    private byte[] rawBytes;

    private AvroSerializer<DatabaseSample> serializer;
    private AvroDeserializer<DatabaseSample> deserializer;
    private byte[] framedBytes;

    @Setup
    public void setUp() throws IOException {
        sample = typicalSample();

        rawWriter = new SpecificDatumWriter<>(DatabaseSample.class);
        rawOut = new ByteArrayOutputStream(512);
        rawEncoder = EncoderFactory.get().binaryEncoder(rawOut, null);
        rawReader = new SpecificDatumReader<>(DatabaseSample.class);
        rawBytes = rawSerialize();

        Map<String, Object> config = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
        serializer = new AvroSerializer<>();
        serializer.configure(config, false);
        deserializer = new AvroDeserializer<>();
        deserializer.configure(config, false);
        framedBytes = serializer.serialize(TOPIC, sample); // registers the schema: every measured call is warm

        // The two sides must do the same work: same body, and both read back the same record.
        if (!Arrays.equals(rawBytes, Arrays.copyOfRange(framedBytes, 5, framedBytes.length))
                || !deserializer.deserialize(TOPIC, framedBytes).equals(rawDeserialize())) {
            throw new IllegalStateException("serde and raw Avro disagree on the encoding of the sample");
        }
    }

    @TearDown
    public void tearDown() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Benchmark
    public byte[] rawSerialize() throws IOException {
        rawOut.reset();
        rawWriter.write(sample, rawEncoder);
        rawEncoder.flush();
        return rawOut.toByteArray();
    }

    @Benchmark
    public byte[] serdeSerialize() {
        return serializer.serialize(TOPIC, sample);
    }

    @Benchmark
    public DatabaseSample rawDeserialize() throws IOException {
        rawDecoder = DecoderFactory.get().binaryDecoder(rawBytes, rawDecoder);
        return rawReader.read(null, rawDecoder);
    }

    @Benchmark
    public DatabaseSample serdeDeserialize() {
        return deserializer.deserialize(TOPIC, framedBytes);
    }

    /** A PostgreSQL 17 row of pg_stat_database for a busy database: every 14+ column set, 18+ ones null. */
    static DatabaseSample typicalSample() {
        Instant sampledAt = Instant.parse("2026-11-03T10:15:30.123456Z");
        return DatabaseSample.newBuilder()
                .setCollectorId("collector-eu-west-1a-07").setTargetId("orders-primary").setSampledAt(sampledAt)
                .setServerVersionNum(170006).setDatid(16384).setDatname("orders").setNumbackends(42)
                .setXactCommit(918_273_645L).setXactRollback(1_234_567L).setBlksRead(73_645_512L).setBlksHit(98_765_432_101L)
                .setTupReturned(12_345_678_901L).setTupFetched(2_345_678_901L).setTupInserted(345_678_901L)
                .setTupUpdated(45_678_901L).setTupDeleted(5_678_901L).setConflicts(0).setTempFiles(1_234)
                .setTempBytes(9_876_543_210L).setDeadlocks(3).setChecksumFailures(0L).setChecksumLastFailure(null)
                .setBlkReadTimeMs(123_456.789).setBlkWriteTimeMs(23_456.789)
                .setSessionTimeMs(987_654_321.5).setActiveTimeMs(123_456_789.25).setIdleInTransactionTimeMs(1_234_567.125)
                .setSessions(1_234_567L).setSessionsAbandoned(12L).setSessionsFatal(3L).setSessionsKilled(1L)
                .setStatsReset(Instant.parse("2026-10-01T00:00:00.000001Z"))
                .build();
    }
}
