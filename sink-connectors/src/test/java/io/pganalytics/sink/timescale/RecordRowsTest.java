package io.pganalytics.sink.timescale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.registry.InMemorySchemaRegistry;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import io.pganalytics.sink.timescale.RecordRows.Row;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Values that arrive as bytes (decoded by the sink itself) and as the {@code AvroConverter}'s {@code Struct}s give the
 * same rows, for random records of every family's metrics schema and of rollups: the fast path changes nothing that is
 * stored.
 */
class RecordRowsTest {

    private static final String SCOPE = "record-rows-test";
    private static final int RECORDS_PER_SCHEMA = 200;

    private final AvroSerializer<GenericContainer> serializer = new AvroSerializer<>();
    private final ConnectRecords structs = new ConnectRecords(SCOPE);
    private final RecordRows fromBytes = new RecordRows("mock://" + SCOPE);
    private final RecordRows fromStructs = new RecordRows();
    private final Random random = new Random(19);

    RecordRowsTest() {
        serializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE), false);
    }

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void everyFamilysRecordsGiveTheSameRowsFromBytesAsFromStructs() {
        assertThat(MetricFamilies.all()).hasSizeGreaterThan(10);
        for (MetricFamily family : MetricFamilies.all()) {
            for (int i = 0; i < RECORDS_PER_SCHEMA; i++) {
                assertSameRows(family.metricsTopic(), (GenericData.Record) randomValue(family.metricsSchema(), 0));
            }
        }
    }

    @Test
    void rollupsGiveTheSameRowsFromBytesAsFromStructs() {
        String topic = MetricFamilies.byName("database").orElseThrow().rollupTopic(Topics.Resolution.values()[0]);
        for (int i = 0; i < RECORDS_PER_SCHEMA; i++) {
            assertSameRows(topic, (GenericData.Record) randomValue(Rollup.getClassSchema(), 0));
        }
    }

    @Test
    void bytesThatAreNotTheWireFormatCanNeverBeStored() {
        SinkRecord json = bytes(Topics.METRICS_DATABASE, "{\"datid\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThatThrownBy(() -> fromBytes.rowsOf(json)).isInstanceOf(DataException.class).hasMessageContaining("magic byte");
    }

    @Test
    void aSchemaIdTheRegistryDoesNotHaveCanNeverBeStored() {
        SinkRecord unknown = bytes(Topics.METRICS_DATABASE, new byte[] {0, 0, 0, 0x7f, 0x7f, 2});

        assertThatThrownBy(() -> fromBytes.rowsOf(unknown)).isInstanceOf(DataException.class)
                .hasMessageContaining("schema id 32639").hasMessageContaining("not in the registry");
    }

    @Test
    void aTruncatedBodyCanNeverBeStored() {
        byte[] whole = serializer.serialize(Topics.METRICS_DATABASE, DatabaseSamples.sample("target-a", 1));
        SinkRecord cut = bytes(Topics.METRICS_DATABASE, java.util.Arrays.copyOf(whole, 12));

        assertThatThrownBy(() -> fromBytes.rowsOf(cut)).isInstanceOf(DataException.class)
                .hasMessageContaining("cannot decode Avro");
    }

    @Test
    void aRegistryThatCannotBeReachedIsWorthRetrying() {
        RecordRows unreachable = new RecordRows("http://127.0.0.1:1");
        byte[] payload = serializer.serialize(Topics.METRICS_DATABASE, DatabaseSamples.sample("target-a", 1));

        assertThatThrownBy(() -> unreachable.rowsOf(bytes(Topics.METRICS_DATABASE, payload)))
                .isInstanceOf(RetriableException.class).hasMessageContaining("cannot fetch schema id");
    }

    private void assertSameRows(String topic, GenericData.Record value) {
        byte[] payload = serializer.serialize(topic, value);
        SchemaAndValue struct = structs.connectData(topic, value);
        List<Row> expected = fromStructs.rowsOf(new SinkRecord(topic, 0, null, null, struct.schema(), struct.value(), 0));
        List<Row> actual = fromBytes.rowsOf(bytes(topic, payload));

        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).layout()).as("%s: layout", topic).isEqualTo(expected.get(i).layout());
            assertThat(actual.get(i).values()).as("%s: row of %s", topic, value).containsExactly(expected.get(i).values());
        }
    }

    private static SinkRecord bytes(String topic, byte[] payload) {
        return new SinkRecord(topic, 0, null, null, null, payload, 0);
    }

    /** A random value of the schema, with times inside the years the store takes, and now and then null or empty. */
    private Object randomValue(Schema schema, int depth) {
        return switch (schema.getType()) {
            case NULL -> null;
            case UNION -> {
                List<Schema> types = schema.getTypes();
                Schema branch = types.get(random.nextInt(types.size()));
                yield randomValue(branch, depth);
            }
            case BOOLEAN -> random.nextBoolean();
            case INT -> schema.getLogicalType() instanceof LogicalTypes.Date ? random.nextInt(40_000) : random.nextInt();
            case LONG -> {
                if (schema.getLogicalType() instanceof LogicalTypes.TimestampMicros) {
                    yield 1_700_000_000_000_000L + (random.nextLong() & 0xFFFF_FFFF_FFFFL);
                } else if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    yield 1_700_000_000_000L + random.nextInt(Integer.MAX_VALUE);
                }
                yield random.nextLong();
            }
            case FLOAT -> random.nextFloat() * 1e6f;
            case DOUBLE -> random.nextBoolean() ? random.nextDouble() * 1e12 : -random.nextDouble();
            case STRING -> randomText();
            case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().get(random.nextInt(schema.getEnumSymbols().size())));
            case BYTES -> {
                byte[] bytes = new byte[random.nextInt(40)];
                random.nextBytes(bytes);
                yield ByteBuffer.wrap(bytes);
            }
            case FIXED -> {
                byte[] bytes = new byte[schema.getFixedSize()];
                random.nextBytes(bytes);
                yield new GenericData.Fixed(schema, bytes);
            }
            case MAP -> {
                Map<String, Object> map = new LinkedHashMap<>();
                int entries = depth > 2 ? 0 : random.nextInt(4);
                for (int i = 0; i < entries; i++) {
                    map.put(randomText(), randomValue(schema.getValueType(), depth + 1));
                }
                yield map;
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (int i = depth > 2 ? 0 : random.nextInt(3); i > 0; i--) {
                    list.add(randomValue(schema.getElementType(), depth + 1));
                }
                yield list;
            }
            case RECORD -> {
                GenericData.Record record = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), randomValue(field.schema(), depth + 1));
                }
                yield record;
            }
        };
    }

    private String randomText() {
        String[] pieces = {"app", "public.orders", "é", "名前", "\"quoted\"", "back\\slash", "tab\t", "x"};
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(4); i >= 0; i--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }
}
