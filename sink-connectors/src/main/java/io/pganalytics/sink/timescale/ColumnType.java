package io.pganalytics.sink.timescale;

import java.time.Instant;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * The PostgreSQL column types the metrics store uses, how a Connect field maps to one, and how a value is written in
 * PostgreSQL's binary {@code COPY} format. docs/metrics-store.md documents the mapping.
 */
enum ColumnType {
    SMALLINT("smallint", "smallint"),
    INTEGER("integer", "integer"),
    BIGINT("bigint", "bigint"),
    REAL("real", "real"),
    DOUBLE_PRECISION("double precision", "double precision"),
    BOOLEAN("boolean", "boolean"),
    TEXT("text", "text"),
    BYTEA("bytea", "bytea"),
    /** Values are microseconds since the Unix epoch (Avro's timestamp-micros, lossless). */
    TIMESTAMPTZ("timestamptz", "timestamp with time zone"),
    /** Values are days since the Unix epoch. */
    DATE("date", "date"),
    /** Values are JSON text. */
    JSONB("jsonb", "jsonb");

    /** The Connect parameter our AvroConverter uses to carry an Avro logical type Connect has no type for. */
    static final String AVRO_LOGICAL_TYPE = "avro.logicalType";

    /** Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01. */
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;
    private static final int POSTGRES_EPOCH_DAYS = 10_957;
    /**
     * The earliest timestamptz PostgreSQL stores (4713 BC); every later int64 of microseconds is before its latest
     * (294276 AD). Binary COPY would fail the whole batch on an earlier one, so rows are checked one by one first.
     */
    static final long MIN_TIMESTAMPTZ_MICROS = Instant.parse("-4713-11-24T00:00:00Z").getEpochSecond() * 1_000_000L;

    private final String ddl;
    private final String catalogName;

    ColumnType(String ddl, String catalogName) {
        this.ddl = ddl;
        this.catalogName = catalogName;
    }

    /** The type as written in {@code CREATE TABLE}. */
    String ddl() {
        return ddl;
    }

    /** The type as {@code format_type()} spells it, to compare with an existing table. */
    String catalogName() {
        return catalogName;
    }

    static ColumnType ofCatalogName(String name) {
        for (ColumnType type : values()) {
            if (type.catalogName.equals(name)) {
                return type;
            }
        }
        return null;
    }

    /**
     * The column type of a Connect field schema, or an {@link IllegalArgumentException} naming the field when the
     * store has none for it.
     */
    static ColumnType of(String where, Schema schema) {
        String logical = schema.parameters() == null ? null : schema.parameters().get(AVRO_LOGICAL_TYPE);
        String name = schema.name();
        return switch (schema.type()) {
            case INT8, INT16 -> SMALLINT;
            case INT32 -> {
                if (Date.LOGICAL_NAME.equals(name) || "date".equals(logical)) {
                    yield DATE;
                }
                if (Time.LOGICAL_NAME.equals(name) || logical != null) {
                    throw unsupported(where, schema, logical != null ? logical : "time-millis");
                }
                yield INTEGER;
            }
            case INT64 -> {
                if (Timestamp.LOGICAL_NAME.equals(name) || "timestamp-micros".equals(logical)) {
                    yield TIMESTAMPTZ;
                }
                if (logical != null) {
                    throw unsupported(where, schema, logical);
                }
                yield BIGINT;
            }
            case FLOAT32 -> REAL;
            case FLOAT64 -> DOUBLE_PRECISION;
            case BOOLEAN -> BOOLEAN;
            case STRING -> TEXT;
            case BYTES -> {
                if (Decimal.LOGICAL_NAME.equals(name)) {
                    throw unsupported(where, schema, "decimal");
                }
                yield BYTEA;
            }
            case MAP -> {
                if (schema.keySchema().type() != Schema.Type.STRING || !isPrimitive(schema.valueSchema())) {
                    throw unsupported(where, schema, "map of non-primitive values");
                }
                yield JSONB;
            }
            default -> throw unsupported(where, schema, null);
        };
    }

    private static boolean isPrimitive(Schema schema) {
        return schema.type().isPrimitive() && schema.type() != Schema.Type.BYTES;
    }

    private static IllegalArgumentException unsupported(String where, Schema schema, String logical) {
        return new IllegalArgumentException(where + ": no PostgreSQL column type for Connect " + schema.type()
                + (logical == null ? "" : " (" + logical + ")"));
    }

    /**
     * The store's value for a Connect value of this column: the same object, except timestamps (microseconds),
     * dates (days) and maps (JSON text). Refuses, with a {@link DataException} naming the column, values PostgreSQL
     * would refuse, so that one bad record does not fail a whole COPY.
     */
    Object toStoreValue(String column, Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        return switch (this) {
            case TIMESTAMPTZ -> {
                long micros = value instanceof java.util.Date date ? Math.multiplyExact(date.getTime(), 1000L) : (Long) value;
                if (micros < MIN_TIMESTAMPTZ_MICROS) {
                    throw new DataException(column + ": timestamp " + micros + " µs since 1970 is before 4713 BC, "
                            + "outside PostgreSQL's timestamptz range");
                }
                yield micros;
            }
            case DATE -> value instanceof java.util.Date date
                    ? (int) Math.floorDiv(date.getTime(), 86_400_000L) : (Integer) value;
            case TEXT -> {
                String text = value.toString();
                if (text.indexOf('\0') >= 0) {
                    throw new DataException(column + ": text contains a NUL character, which PostgreSQL text cannot hold");
                }
                yield text;
            }
            case JSONB -> Json.object((Map<?, ?>) value);
            case SMALLINT -> ((Number) value).shortValue();
            default -> value;
        };
    }

    /** Appends the binary COPY field (length, then bytes) of a store value; null is length -1. */
    void writeBinary(CopyBuffer out, Object value) {
        if (value == null) {
            out.putInt(-1);
            return;
        }
        switch (this) {
            case SMALLINT -> {
                out.putInt(2);
                out.putShort((Short) value);
            }
            case INTEGER -> {
                out.putInt(4);
                out.putInt((Integer) value);
            }
            case BIGINT -> {
                out.putInt(8);
                out.putLong((Long) value);
            }
            case REAL -> {
                out.putInt(4);
                out.putInt(Float.floatToRawIntBits((Float) value));
            }
            case DOUBLE_PRECISION -> {
                out.putInt(8);
                out.putLong(Double.doubleToRawLongBits((Double) value));
            }
            case BOOLEAN -> {
                out.putInt(1);
                out.put((byte) ((Boolean) value ? 1 : 0));
            }
            case TEXT -> out.putLengthPrefixedUtf8((String) value, false);
            case JSONB -> out.putLengthPrefixedUtf8((String) value, true); // jsonb's binary format: version 1, then text
            case BYTEA -> {
                byte[] bytes = value instanceof java.nio.ByteBuffer buffer ? bytesOf(buffer) : (byte[]) value;
                out.putInt(bytes.length);
                out.put(bytes);
            }
            case TIMESTAMPTZ -> {
                out.putInt(8);
                out.putLong((Long) value - POSTGRES_EPOCH_MICROS);
            }
            case DATE -> {
                out.putInt(4);
                out.putInt((Integer) value - POSTGRES_EPOCH_DAYS);
            }
        }
    }

    private static byte[] bytesOf(java.nio.ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** Minimal JSON for flat string-keyed maps (series labels); keys sorted so equal maps give equal text. */
    static final class Json {
        private Json() {
        }

        static String object(Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            map.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey((a, b) -> a.toString().compareTo(b.toString())))
                    .forEach(e -> {
                        if (out.length() > 1) {
                            out.append(',');
                        }
                        string(out, e.getKey().toString());
                        out.append(':');
                        Object v = e.getValue();
                        if (v == null) {
                            out.append("null");
                        } else if (v instanceof Number || v instanceof Boolean) {
                            out.append(v);
                        } else {
                            string(out, v.toString());
                        }
                    });
            String json = out.append('}').toString();
            if (json.indexOf('\0') >= 0) {
                throw new DataException("a map value contains a NUL character, which jsonb cannot hold");
            }
            return json;
        }

        private static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
