package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.connect.AvroConverter;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.WireFormat;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Turns a record into the rows of its table: one row for a metric family sample, one per metric for a rollup. Values
 * arrive either as bytes in Confluent's wire format ({@code ByteArrayConverter}; decoded here, one
 * {@link AvroRowReader} per schema id, straight into column values) or as the {@code AvroConverter} delivers them (a
 * {@link Struct} with its Connect schema). Both give the same rows: the table layout is made from the same Connect
 * schema either way.
 *
 * <p>A {@link DataException} means this record can never be written (dead letter queue); a {@link ConnectException}
 * means no record of its kind can (a schema the store cannot map, bytes without a registry to decode them): stop the
 * task; a {@link RetriableException} means the registry could not be asked now.
 */
final class RecordRows {

    /** Day partitions are named by date: a time outside these years is a unit or clock error, not a sample. */
    static final long MIN_TIME_MICROS = Instant.parse("1900-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
    static final long MAX_TIME_MICROS = Instant.parse("9999-12-31T23:59:59.999999Z").getEpochSecond() * 1_000_000L + 999_999L;

    private static final String CONVERTER = "io.pganalytics.schemas.connect.AvroConverter";
    private static final String BYTES_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter";

    /** By identity: the converter hands out one Connect schema instance per registered schema. */
    private final Map<Schema, Mapping> mappings = new IdentityHashMap<>();
    private final Map<String, String> tables = new HashMap<>();
    /** For bytes: the writer schemas by id, their Connect schemas, and rollups (decoded into Structs as before). */
    private final SchemaRegistryClient registry;
    private final AvroConverter converter;
    private final Map<WireKey, WireMapping> wireMappings = new HashMap<>();
    private WireMapping lastWire;

    /** Structs only: bytes stop the task with a message naming both ways to configure it. */
    RecordRows() {
        this(null);
    }

    /** {@code registryUrl}: where the schemas of values that arrive as bytes are; null to take Structs only. */
    RecordRows(String registryUrl) {
        if (registryUrl == null) {
            registry = null;
            converter = null;
        } else {
            Map<String, Object> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl);
            registry = AvroSerdeConfig.from(serde).newClient();
            converter = new AvroConverter();
            converter.configure(serde, false);
        }
    }

    /** One row: its table and its values in the layout's column order, already converted for the store. */
    record Row(TableLayout layout, Object[] values) {
    }

    List<Row> rowsOf(SinkRecord record) {
        Object value = record.value();
        if (value == null) {
            throw new DataException("null value (a tombstone): " + record.topic() + " carries samples only");
        }
        if (value instanceof byte[] payload) {
            return wireRows(record.topic(), payload);
        }
        if (!(value instanceof Struct struct)) {
            throw new ConnectException("value.converter: expected " + CONVERTER + " so that values arrive as Structs, "
                    + "or " + BYTES_CONVERTER + " with " + TimescaleSinkConfig.SCHEMA_REGISTRY_URL + " set; got values "
                    + "of type " + value.getClass().getName());
        }
        Mapping mapping = mappingOf(record.topic(), struct.schema());
        TableLayout layout = mapping.layout();
        if (mapping.fields() == null) {
            return rollupRows(layout, struct);
        }
        Object[] values = new Object[mapping.fields().length];
        List<TableLayout.Column> columns = layout.columns();
        for (int i = 0; i < values.length; i++) {
            TableLayout.Column column = columns.get(i);
            Field field = mapping.fields()[i];
            values[i] = column.type().toStoreValue(column.name(), field.schema(), struct.get(field));
        }
        checkTime(layout, mapping.timeIndex(), values);
        return List.of(new Row(layout, values));
    }

    /** A schema's table and, for a metric family, its fields in column order (looked up once, not per record). */
    private record Mapping(TableLayout layout, Field[] fields, int timeIndex) {
    }

    private Mapping mappingOf(String topic, Schema schema) {
        Mapping mapping = mappings.get(schema);
        if (mapping == null) {
            String table = tables.computeIfAbsent(topic, RecordRows::table);
            try {
                if (TableLayout.ROLLUP_SCHEMA.equals(schema.name())) {
                    TableLayout layout = TableLayout.forRollups(table);
                    mapping = new Mapping(layout, null, layout.timeColumnIndex());
                } else {
                    TableLayout layout = TableLayout.forMetrics(table, schema);
                    Field[] fields = layout.columns().stream().map(c -> schema.field(c.field())).toArray(Field[]::new);
                    mapping = new Mapping(layout, fields, layout.timeColumnIndex());
                }
            } catch (IllegalArgumentException e) {
                throw new ConnectException("cannot map the schema of " + topic + " to table " + table + ": " + e.getMessage(), e);
            }
            mappings.put(schema, mapping);
        }
        return mapping;
    }

    private record WireKey(String topic, int schemaId) {
    }

    /** A schema id's table and reader ({@code null} for rollups, which go through the converter). */
    private record WireMapping(String topic, int schemaId, TableLayout layout, AvroRowReader reader, int timeIndex) {
    }

    private List<Row> wireRows(String topic, byte[] payload) {
        if (registry == null) {
            throw new ConnectException("value.converter: expected " + CONVERTER + " so that values arrive as Structs, "
                    + "or set " + TimescaleSinkConfig.SCHEMA_REGISTRY_URL + " so that the sink decodes the bytes of "
                    + BYTES_CONVERTER + " itself; got bytes and no " + TimescaleSinkConfig.SCHEMA_REGISTRY_URL);
        }
        int id;
        try {
            id = WireFormat.schemaId(payload);
        } catch (SerializationException e) {
            throw new DataException(e.getMessage(), e);
        }
        WireMapping mapping = wireMappingOf(topic, id);
        if (mapping.reader() == null) {
            SchemaAndValue rollup = converter.toConnectData(topic, payload);
            return rollupRows(mapping.layout(), (Struct) rollup.value());
        }
        Object[] values;
        try {
            values = mapping.reader().read(payload, WireFormat.HEADER_BYTES);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | ClassCastException e) {
            throw new DataException("cannot decode Avro (schema id " + id + ") from " + topic + ": " + e, e);
        }
        checkTime(mapping.layout(), mapping.timeIndex(), values);
        return List.of(new Row(mapping.layout(), values));
    }

    private WireMapping wireMappingOf(String topic, int id) {
        WireMapping last = lastWire;
        // Most batches are one topic and one schema id: an identity and an int comparison answer them.
        if (last != null && last.schemaId() == id && last.topic() == topic) {
            return last;
        }
        WireKey key = new WireKey(topic, id);
        WireMapping mapping = wireMappings.get(key);
        if (mapping == null) {
            org.apache.avro.Schema writer = writerSchema(topic, id);
            Schema connect = converter.toConnectSchema(writer);
            String table = tables.computeIfAbsent(topic, RecordRows::table);
            try {
                if (TableLayout.ROLLUP_SCHEMA.equals(connect.name())) {
                    TableLayout layout = TableLayout.forRollups(table);
                    mapping = new WireMapping(topic, id, layout, null, layout.timeColumnIndex());
                } else {
                    TableLayout layout = TableLayout.forMetrics(table, connect);
                    mapping = new WireMapping(topic, id, layout, AvroRowReader.of(writer, connect, layout),
                            layout.timeColumnIndex());
                }
            } catch (IllegalArgumentException e) {
                throw new ConnectException("cannot map the schema of " + topic + " to table " + table + ": " + e.getMessage(), e);
            }
            wireMappings.put(key, mapping);
        }
        lastWire = mapping;
        return mapping;
    }

    private org.apache.avro.Schema writerSchema(String topic, int id) {
        try {
            return registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new DataException("schema id " + id + " of a record of " + topic + " is not in the registry: "
                        + e.getMessage(), e);
            }
            throw new RetriableException("cannot fetch schema id " + id + " for " + topic + " from the registry: "
                    + e.getMessage(), e);
        }
    }

    private static String table(String topic) {
        try {
            return TableLayout.tableFor(topic);
        } catch (IllegalArgumentException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    private static List<Row> rollupRows(TableLayout layout, Struct rollup) {
        int timeIndex = layout.timeColumnIndex();
        Map<?, ?> metrics = rollup.getMap("metrics");
        String series = ColumnType.Json.object(rollup.getMap("series"));
        List<Row> rows = new ArrayList<>(metrics.size());
        Schema startSchema = rollup.schema().field("windowStart").schema();
        Long start = (Long) ColumnType.TIMESTAMPTZ.toStoreValue("window_start", startSchema, rollup.get("windowStart"));
        Long end = (Long) ColumnType.TIMESTAMPTZ.toStoreValue("window_end", startSchema, rollup.get("windowEnd"));
        String target = (String) ColumnType.TEXT.toStoreValue("target_id", null, rollup.getString("targetId"));
        String collector = (String) ColumnType.TEXT.toStoreValue("collector_id", null, rollup.getString("collectorId"));
        for (Map.Entry<?, ?> entry : metrics.entrySet()) {
            Struct aggregate = (Struct) entry.getValue();
            Object[] values = {target, collector, series,
                    ColumnType.TEXT.toStoreValue("metric", null, entry.getKey()), start, end,
                    aggregate.getInt64("count"), aggregate.getFloat64("min"), aggregate.getFloat64("max"),
                    aggregate.getFloat64("sum"), aggregate.getFloat64("mean"), aggregate.getFloat64("last"),
                    aggregate.getFloat64("p50"), aggregate.getFloat64("p95"), aggregate.getFloat64("p99"),
                    aggregate.get("sketch")};
            checkTime(layout, timeIndex, values);
            rows.add(new Row(layout, values));
        }
        return rows;
    }

    private static void checkTime(TableLayout layout, int timeIndex, Object[] values) {
        long micros = (Long) values[timeIndex];
        if (micros < MIN_TIME_MICROS || micros > MAX_TIME_MICROS) {
            throw new DataException(layout.timeColumn() + " " + describe(micros) + " is outside the years 1900..9999 the "
                    + "store partitions by day (a clock or unit error, e.g. nanoseconds sent as microseconds)");
        }
    }

    private static String describe(long micros) {
        try {
            return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)).toString();
        } catch (java.time.DateTimeException e) {
            return micros + " µs since 1970";
        }
    }
}
