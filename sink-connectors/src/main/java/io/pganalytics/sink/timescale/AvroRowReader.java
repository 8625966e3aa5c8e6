package io.pganalytics.sink.timescale;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Reads the Avro body of one metric-family record straight into its row: field {@code i} of the writer's schema into
 * column {@code i} of the table, converted for the store by {@link ColumnType#toStoreValue} as the {@code Struct}
 * path does. No {@code GenericRecord} and no {@code Struct} is built, and nothing is validated twice: the layout was
 * made from the same schema, so the value read is the type the column expects. One instance per schema id; not
 * thread-safe (it reuses its decoder).
 */
final class AvroRowReader {

    /** Reads one value of a field, in the representation Connect gives it (so toStoreValue treats both paths alike). */
    @FunctionalInterface
    private interface ValueReader {
        Object read(BinaryDecoder in) throws IOException;
    }

    private final TableLayout.Column[] columns;
    private final org.apache.kafka.connect.data.Schema[] fieldSchemas;
    private final ValueReader[] readers;
    private BinaryDecoder decoder;

    private AvroRowReader(TableLayout.Column[] columns, org.apache.kafka.connect.data.Schema[] fieldSchemas,
                          ValueReader[] readers) {
        this.columns = columns;
        this.fieldSchemas = fieldSchemas;
        this.readers = readers;
    }

    /**
     * A reader for records written with {@code writer} into {@code layout}, which {@link TableLayout#forMetrics} made
     * from {@code connect}, the Connect schema of {@code writer}: their fields are in the same order.
     */
    static AvroRowReader of(Schema writer, org.apache.kafka.connect.data.Schema connect, TableLayout layout) {
        List<Schema.Field> fields = writer.getFields();
        List<TableLayout.Column> columns = layout.columns();
        if (fields.size() != columns.size()) {
            throw new IllegalStateException(writer.getFullName() + ": " + fields.size() + " fields but " + columns.size()
                    + " columns");
        }
        ValueReader[] readers = new ValueReader[fields.size()];
        org.apache.kafka.connect.data.Schema[] fieldSchemas = new org.apache.kafka.connect.data.Schema[fields.size()];
        for (int i = 0; i < readers.length; i++) {
            Schema.Field field = fields.get(i);
            if (!field.name().equals(columns.get(i).field())) {
                throw new IllegalStateException(writer.getFullName() + ": field " + i + " is " + field.name()
                        + " but column " + columns.get(i).name() + " reads " + columns.get(i).field());
            }
            readers[i] = readerOf(field.schema(), writer.getFullName() + "." + field.name());
            fieldSchemas[i] = connect.field(field.name()).schema();
        }
        return new AvroRowReader(columns.toArray(TableLayout.Column[]::new), fieldSchemas, readers);
    }

    /**
     * The row of one payload whose Avro body starts at {@code offset}. Throws {@link IOException} (or Avro's and the
     * JDK's runtime exceptions) when the bytes are not what the schema says, and {@code DataException} for a value
     * the store refuses.
     */
    Object[] read(byte[] payload, int offset) throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(payload, offset, payload.length - offset, decoder);
        Object[] values = new Object[readers.length];
        for (int i = 0; i < readers.length; i++) {
            TableLayout.Column column = columns[i];
            values[i] = column.type().toStoreValue(column.name(), fieldSchemas[i], readers[i].read(decoder));
        }
        return values;
    }

    private static ValueReader readerOf(Schema schema, String where) {
        return switch (schema.getType()) {
            case NULL -> in -> {
                in.readNull();
                return null;
            };
            case BOOLEAN -> BinaryDecoder::readBoolean;
            case INT -> BinaryDecoder::readInt; // days for a date: toStoreValue takes them as they are
            case LONG -> schema.getLogicalType() instanceof LogicalTypes.TimestampMillis
                    ? in -> new java.util.Date(in.readLong()) // as Connect's Timestamp: toStoreValue makes micros
                    : BinaryDecoder::readLong;
            case FLOAT -> BinaryDecoder::readFloat;
            case DOUBLE -> BinaryDecoder::readDouble;
            case STRING -> in -> in.readString();
            case ENUM -> {
                List<String> symbols = schema.getEnumSymbols();
                yield in -> symbols.get(in.readEnum());
            }
            case BYTES -> in -> {
                ByteBuffer bytes = in.readBytes(null);
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                return copy;
            };
            case FIXED -> {
                int size = schema.getFixedSize();
                yield in -> {
                    byte[] bytes = new byte[size];
                    in.readFixed(bytes);
                    return bytes;
                };
            }
            case MAP -> {
                ValueReader value = readerOf(schema.getValueType(), where);
                yield in -> {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (long n = in.readMapStart(); n != 0; n = in.mapNext()) {
                        for (long i = 0; i < n; i++) {
                            String key = in.readString();
                            map.put(key, value.read(in));
                        }
                    }
                    return map;
                };
            }
            case UNION -> {
                List<Schema> types = schema.getTypes();
                ValueReader[] branches = new ValueReader[types.size()];
                for (int i = 0; i < branches.length; i++) {
                    branches[i] = readerOf(types.get(i), where);
                }
                yield in -> branches[in.readIndex()].read(in);
            }
            // TableLayout refuses these before a reader is made; a map of them too.
            case ARRAY, RECORD -> in -> {
                throw new IllegalStateException(where + ": no column for an Avro " + schema.getType());
            };
        };
    }
}
