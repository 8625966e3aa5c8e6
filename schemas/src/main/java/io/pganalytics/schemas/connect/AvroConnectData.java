package io.pganalytics.schemas.connect;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema.Type;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * Maps Avro schemas and values to Kafka Connect's and back, following the conventions of Confluent's
 * {@code AvroData} where Connect has an equivalent, so that sinks see our topics as typed Structs.
 *
 * <p>Both directions cache schemas: Avro schemas by identity (the registry client hands out one
 * instance per id) and Connect schemas by value.
 */
final class AvroConnectData {

    /** The Avro logical type a Connect primitive stands for when Connect has no logical type of its own. */
    static final String LOGICAL_TYPE_PARAMETER = "avro.logicalType";
    /** Confluent's parameter naming the Avro enum a Connect string came from (and, suffixed, its symbols). */
    static final String ENUM_PARAMETER = "io.confluent.connect.avro.Enum";
    /** Confluent's parameter carrying a decimal's precision. */
    static final String DECIMAL_PRECISION_PARAMETER = "connect.decimal.precision";
    /** Confluent's Avro property marking an int that was a Connect int8 or int16. */
    static final String CONNECT_TYPE_PROP = "connect.type";
    /** Avro's code-generator property on strings read as {@code java.lang.String}. */
    static final String JAVA_STRING_PROP = "avro.java.string";
    /** Prefix of pgAnalytics' own Avro properties ({@code pga.family}, {@code pga.role}), kept as parameters. */
    static final String OWN_PROPERTY_PREFIX = "pga.";
    /** Connect parameter carrying an Avro record's aliases, comma-separated. */
    static final String ALIASES_PARAMETER = "avro.aliases";

    /** Confluent's name for a Connect struct that has none. */
    static final String DEFAULT_RECORD_NAME = "io.confluent.connect.avro.ConnectDefault";

    private final Map<org.apache.avro.Schema, Schema> connectSchemas = new ConcurrentHashMap<>();
    private final Map<Schema, org.apache.avro.Schema> avroSchemas = new ConcurrentHashMap<>();

    // ---- Avro -> Connect ---------------------------------------------------------------------

    Schema toConnectSchema(org.apache.avro.Schema avro) {
        Schema cached = connectSchemas.get(avro);
        if (cached == null) {
            cached = toConnectBuilder(avro, null).build();
            connectSchemas.put(avro, cached);
        }
        return cached;
    }

    /**
     * An Avro field default Connect can carry as it is: a number, string, boolean, or an empty or
     * plain map or list of them; null for anything else (a null default is the optional flag).
     */
    private static Object plainDefault(Object value) {
        if (value instanceof Number || value instanceof String || value instanceof Boolean) {
            return value;
        }
        if (value instanceof java.util.Map<?, ?> map && map.values().stream().allMatch(v -> plainDefault(v) != null)) {
            return new java.util.LinkedHashMap<>(map);
        }
        if (value instanceof java.util.List<?> list && list.stream().allMatch(v -> plainDefault(v) != null)) {
            return new ArrayList<>(list);
        }
        return null;
    }

    private SchemaBuilder toConnectBuilder(org.apache.avro.Schema avro, String fieldDoc) {
        LogicalType logical = avro.getLogicalType();
        SchemaBuilder builder = switch (avro.getType()) {
            case BOOLEAN -> SchemaBuilder.bool();
            case INT -> {
                if (logical instanceof LogicalTypes.Date) {
                    yield Date.builder();
                } else if (logical instanceof LogicalTypes.TimeMillis) {
                    yield Time.builder();
                } else if ("int8".equals(avro.getProp(CONNECT_TYPE_PROP))) {
                    yield SchemaBuilder.int8();
                } else if ("int16".equals(avro.getProp(CONNECT_TYPE_PROP))) {
                    yield SchemaBuilder.int16();
                }
                yield withLogicalParameter(SchemaBuilder.int32(), logical);
            }
            case LONG -> logical instanceof LogicalTypes.TimestampMillis ? Timestamp.builder()
                    // timestamp-micros and friends stay int64 (lossless), tagged so the way back restores them.
                    : withLogicalParameter(SchemaBuilder.int64(), logical);
            case FLOAT -> SchemaBuilder.float32();
            case DOUBLE -> SchemaBuilder.float64();
            case STRING -> {
                SchemaBuilder string = withLogicalParameter(SchemaBuilder.string(), logical);
                // Avro's code generator marks strings it maps to java.lang.String; keep the mark so
                // that a round trip reproduces the registered schema (and its id) exactly.
                if (avro.getProp(JAVA_STRING_PROP) != null) {
                    string.parameter(JAVA_STRING_PROP, avro.getProp(JAVA_STRING_PROP));
                }
                yield string;
            }
            case BYTES, FIXED -> {
                if (logical instanceof LogicalTypes.Decimal decimal) {
                    yield Decimal.builder(decimal.getScale())
                            .parameter(DECIMAL_PRECISION_PARAMETER, Integer.toString(decimal.getPrecision()));
                }
                yield SchemaBuilder.bytes();
            }
            case ENUM -> {
                SchemaBuilder string = SchemaBuilder.string().name(avro.getFullName())
                        .parameter(ENUM_PARAMETER, avro.getFullName());
                avro.getEnumSymbols().forEach(symbol -> string.parameter(ENUM_PARAMETER + "." + symbol, symbol));
                yield string;
            }
            case ARRAY -> SchemaBuilder.array(toConnectBuilder(avro.getElementType(), null).build());
            case MAP -> {
                SchemaBuilder map = SchemaBuilder.map(Schema.STRING_SCHEMA, toConnectBuilder(avro.getValueType(), null).build());
                if (avro.getProp(JAVA_STRING_PROP) != null) {
                    map.parameter(JAVA_STRING_PROP, avro.getProp(JAVA_STRING_PROP)); // for the keys, as on strings
                }
                yield map;
            }
            case RECORD -> {
                SchemaBuilder struct = SchemaBuilder.struct().name(avro.getFullName());
                if (avro.getDoc() != null) {
                    struct.doc(avro.getDoc());
                }
                ownProperties(avro.getObjectProps()).forEach(struct::parameter);
                if (!avro.getAliases().isEmpty()) {
                    // A derived schema names the schema it evolved from (metrics aliases raw): keep it.
                    struct.parameter(ALIASES_PARAMETER, String.join(",", new java.util.TreeSet<>(avro.getAliases())));
                }
                for (org.apache.avro.Schema.Field field : avro.getFields()) {
                    SchemaBuilder fieldSchema = toConnectBuilder(field.schema(), field.doc());
                    ownProperties(field.getObjectProps()).forEach(fieldSchema::parameter);
                    Object defaultValue = field.hasDefaultValue() ? plainDefault(field.defaultVal()) : null;
                    if (defaultValue != null) {
                        // Kept so that the way back registers the same schema: a field added with a
                        // default (schema evolution) must not change the schema id on a round trip.
                        fieldSchema.defaultValue(defaultValue);
                    }
                    struct.field(field.name(), fieldSchema.build());
                }
                yield struct;
            }
            case UNION -> {
                List<org.apache.avro.Schema> branches = avro.getTypes().stream().filter(s -> s.getType() != Type.NULL).toList();
                if (branches.size() != 1) {
                    throw new DataException("Avro union " + avro + " has no Connect equivalent: only [null, T] is supported");
                }
                SchemaBuilder optional = toConnectBuilder(branches.get(0), fieldDoc).optional();
                yield branches.size() < avro.getTypes().size() ? optional : toConnectBuilder(branches.get(0), fieldDoc);
            }
            case NULL -> throw new DataException("a bare Avro null has no Connect equivalent");
        };
        // Connect fields carry no doc of their own: keep an Avro field's doc on its (non-record) schema.
        if (fieldDoc != null && builder.doc() == null && avro.getType() != Type.RECORD && avro.getType() != Type.UNION) {
            builder.doc(fieldDoc);
        }
        return builder;
    }

    /**
     * Our own {@code pga.*} properties (a family's name, a field's role) as Connect parameters, so a
     * sink sees them and the way back restores them: the registered schema round-trips exactly.
     */
    private static Map<String, String> ownProperties(Map<String, Object> props) {
        Map<String, String> own = new java.util.TreeMap<>();
        props.forEach((key, value) -> {
            if (key.startsWith(OWN_PROPERTY_PREFIX) && value instanceof String text) {
                own.put(key, text);
            }
        });
        return own;
    }

    private static void restoreOwnProperties(Map<String, String> parameters, JsonProperties target) {
        if (parameters != null) {
            parameters.forEach((key, value) -> {
                if (key.startsWith(OWN_PROPERTY_PREFIX)) {
                    target.addProp(key, value);
                }
            });
        }
    }

    private static SchemaBuilder withLogicalParameter(SchemaBuilder builder, LogicalType logical) {
        return logical == null ? builder : builder.parameter(LOGICAL_TYPE_PARAMETER, logical.getName());
    }

    Object toConnectValue(Schema schema, org.apache.avro.Schema avro, Object value) {
        if (value == null) {
            return null;
        }
        return switch (avro.getType()) {
            case UNION -> {
                org.apache.avro.Schema branch = avro.getTypes().get(GenericData.get().resolveUnion(avro, value));
                yield branch.getType() == Type.NULL ? null : toConnectValue(schema, branch, value);
            }
            case RECORD -> {
                IndexedRecord record = (IndexedRecord) value;
                Struct struct = new Struct(schema);
                for (org.apache.avro.Schema.Field field : avro.getFields()) {
                    Field connectField = schema.field(field.name());
                    struct.put(connectField, toConnectValue(connectField.schema(), field.schema(), record.get(field.pos())));
                }
                yield struct;
            }
            case STRING, ENUM -> value.toString();
            case BYTES, FIXED -> {
                byte[] bytes = value instanceof ByteBuffer buffer ? bytesOf(buffer)
                        : value instanceof GenericFixed fixed ? fixed.bytes() : (byte[]) value;
                yield Decimal.LOGICAL_NAME.equals(schema.name()) ? Decimal.toLogical(schema, bytes) : bytes;
            }
            case INT -> {
                int number = (Integer) value;
                if (Date.LOGICAL_NAME.equals(schema.name())) {
                    yield Date.toLogical(schema, number);
                } else if (Time.LOGICAL_NAME.equals(schema.name())) {
                    yield Time.toLogical(schema, number);
                }
                yield switch (schema.type()) {
                    case INT8 -> (byte) number;
                    case INT16 -> (short) number;
                    default -> number;
                };
            }
            case LONG -> Timestamp.LOGICAL_NAME.equals(schema.name()) ? Timestamp.toLogical(schema, (Long) value) : value;
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (Object element : (Collection<?>) value) {
                    list.add(toConnectValue(schema.valueSchema(), avro.getElementType(), element));
                }
                yield list;
            }
            case MAP -> {
                Map<String, Object> map = new LinkedHashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> map.put(k.toString(), toConnectValue(schema.valueSchema(), avro.getValueType(), v)));
                yield map;
            }
            default -> value;
        };
    }

    // ---- Connect -> Avro ---------------------------------------------------------------------

    org.apache.avro.Schema toAvroSchema(Schema connect) {
        org.apache.avro.Schema cached = avroSchemas.get(connect);
        if (cached == null) {
            // A top-level optional schema means "the value may be a tombstone": nulls never reach Avro,
            // so the record itself is registered, not a union with null.
            org.apache.avro.Schema built = toAvro(connect, new HashMap<>(), false);
            // Re-parse so that logical types written as properties become Avro LogicalType objects,
            // exactly as if the schema had come from an .avsc file (and compares equal to it).
            cached = new org.apache.avro.Schema.Parser().parse(built.toString());
            avroSchemas.put(connect, cached);
        }
        return cached;
    }

    private org.apache.avro.Schema toAvro(Schema connect, Map<String, org.apache.avro.Schema> named, boolean honourOptional) {
        org.apache.avro.Schema base = toAvroRequired(connect, named);
        if (honourOptional && connect.isOptional()) {
            return org.apache.avro.Schema.createUnion(org.apache.avro.Schema.create(Type.NULL), base);
        }
        return base;
    }

    private org.apache.avro.Schema toAvroRequired(Schema connect, Map<String, org.apache.avro.Schema> named) {
        String name = connect.name();
        String logicalParameter = connect.parameters() == null ? null : connect.parameters().get(LOGICAL_TYPE_PARAMETER);
        org.apache.avro.Schema avro = switch (connect.type()) {
            case BOOLEAN -> primitive(Type.BOOLEAN);
            case INT8, INT16 -> {
                org.apache.avro.Schema small = primitive(Type.INT);
                small.addProp(CONNECT_TYPE_PROP, connect.type() == Schema.Type.INT8 ? "int8" : "int16");
                yield small;
            }
            case INT32 -> withLogicalType(primitive(Type.INT), Date.LOGICAL_NAME.equals(name) ? "date"
                    : Time.LOGICAL_NAME.equals(name) ? "time-millis" : logicalParameter);
            case INT64 -> withLogicalType(primitive(Type.LONG),
                    Timestamp.LOGICAL_NAME.equals(name) ? "timestamp-millis" : logicalParameter);
            case FLOAT32 -> primitive(Type.FLOAT);
            case FLOAT64 -> primitive(Type.DOUBLE);
            case STRING -> {
                String enumName = connect.parameters() == null ? null : connect.parameters().get(ENUM_PARAMETER);
                if (enumName != null) {
                    yield named.computeIfAbsent(enumName, n -> enumSchema(n, connect));
                }
                org.apache.avro.Schema string = withLogicalType(primitive(Type.STRING), logicalParameter);
                String javaString = connect.parameters() == null ? null : connect.parameters().get(JAVA_STRING_PROP);
                if (javaString != null) {
                    string.addProp(JAVA_STRING_PROP, javaString);
                }
                yield string;
            }
            case BYTES -> {
                if (Decimal.LOGICAL_NAME.equals(name)) {
                    int scale = Integer.parseInt(connect.parameters().get(Decimal.SCALE_FIELD));
                    int precision = Integer.parseInt(connect.parameters().getOrDefault(DECIMAL_PRECISION_PARAMETER, "64"));
                    yield LogicalTypes.decimal(precision, scale).addToSchema(primitive(Type.BYTES));
                }
                yield primitive(Type.BYTES);
            }
            case ARRAY -> org.apache.avro.Schema.createArray(toAvro(connect.valueSchema(), named, true));
            case MAP -> {
                if (connect.keySchema().type() != Schema.Type.STRING) {
                    throw new DataException("Connect maps with " + connect.keySchema().type()
                            + " keys have no Avro equivalent here: only string keys are supported");
                }
                org.apache.avro.Schema map = org.apache.avro.Schema.createMap(toAvro(connect.valueSchema(), named, true));
                if (connect.parameters() != null && connect.parameters().get(JAVA_STRING_PROP) != null) {
                    map.addProp(JAVA_STRING_PROP, connect.parameters().get(JAVA_STRING_PROP));
                }
                yield map;
            }
            case STRUCT -> {
                String fullName = name == null ? DEFAULT_RECORD_NAME : name;
                org.apache.avro.Schema known = named.get(fullName);
                if (known != null) {
                    yield known;
                }
                int dot = fullName.lastIndexOf('.');
                org.apache.avro.Schema record = org.apache.avro.Schema.createRecord(fullName.substring(dot + 1),
                        connect.doc(), dot < 0 ? null : fullName.substring(0, dot), false);
                named.put(fullName, record);
                restoreOwnProperties(connect.parameters(), record);
                String aliases = connect.parameters() == null ? null : connect.parameters().get(ALIASES_PARAMETER);
                if (aliases != null) {
                    for (String alias : aliases.split(",")) {
                        record.addAlias(alias);
                    }
                }
                List<org.apache.avro.Schema.Field> fields = new ArrayList<>();
                for (Field field : connect.fields()) {
                    Schema fieldSchema = field.schema();
                    String doc = fieldSchema.type() == Schema.Type.STRUCT ? null : fieldSchema.doc();
                    Object defaultValue = fieldSchema.defaultValue() != null ? fieldSchema.defaultValue()
                            : fieldSchema.isOptional() ? JsonProperties.NULL_VALUE : null;
                    org.apache.avro.Schema.Field avroField = new org.apache.avro.Schema.Field(field.name(),
                            toAvro(fieldSchema, named, true), doc, defaultValue);
                    if (fieldSchema.type() != Schema.Type.STRUCT) {
                        restoreOwnProperties(fieldSchema.parameters(), avroField);
                    }
                    fields.add(avroField);
                }
                record.setFields(fields);
                yield record;
            }
        };
        return avro;
    }

    private static org.apache.avro.Schema primitive(Type type) {
        return org.apache.avro.Schema.create(type);
    }

    private static org.apache.avro.Schema withLogicalType(org.apache.avro.Schema schema, String logicalType) {
        if (logicalType != null) {
            schema.addProp(LogicalType.LOGICAL_TYPE_PROP, logicalType);
        }
        return schema;
    }

    private static org.apache.avro.Schema enumSchema(String fullName, Schema connect) {
        String prefix = ENUM_PARAMETER + ".";
        List<String> symbols = connect.parameters().entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix)).map(Map.Entry::getValue).toList();
        int dot = fullName.lastIndexOf('.');
        return org.apache.avro.Schema.createEnum(fullName.substring(dot + 1), connect.doc(),
                dot < 0 ? null : fullName.substring(0, dot), symbols);
    }

    Object toAvroValue(Schema schema, org.apache.avro.Schema avro, Object value) {
        if (value == null) {
            return null;
        }
        if (avro.getType() == Type.UNION) {
            org.apache.avro.Schema branch = avro.getTypes().stream().filter(s -> s.getType() != Type.NULL).findFirst().orElseThrow();
            return toAvroValue(schema, branch, value);
        }
        String name = schema.name();
        return switch (schema.type()) {
            case STRUCT -> {
                Struct struct = (Struct) value;
                GenericData.Record record = new GenericData.Record(avro);
                for (Field field : schema.fields()) {
                    org.apache.avro.Schema.Field avroField = avro.getField(field.name());
                    record.put(avroField.pos(), toAvroValue(field.schema(), avroField.schema(), struct.get(field)));
                }
                yield record;
            }
            case INT8, INT16 -> ((Number) value).intValue();
            case INT32 -> Date.LOGICAL_NAME.equals(name) ? (Object) Date.fromLogical(schema, (java.util.Date) value)
                    : Time.LOGICAL_NAME.equals(name) ? (Object) Time.fromLogical(schema, (java.util.Date) value) : value;
            case INT64 -> Timestamp.LOGICAL_NAME.equals(name) ? (Object) Timestamp.fromLogical(schema, (java.util.Date) value) : value;
            case STRING -> avro.getType() == Type.ENUM ? new GenericData.EnumSymbol(avro, value.toString()) : value;
            case BYTES -> {
                if (Decimal.LOGICAL_NAME.equals(name)) {
                    yield ByteBuffer.wrap(Decimal.fromLogical(schema, (BigDecimal) value));
                }
                yield value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : value;
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (Object element : (Collection<?>) value) {
                    list.add(toAvroValue(schema.valueSchema(), avro.getElementType(), element));
                }
                yield list;
            }
            case MAP -> {
                Map<String, Object> map = new LinkedHashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> map.put(k.toString(), toAvroValue(schema.valueSchema(), avro.getValueType(), v)));
                yield map;
            }
            default -> value;
        };
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
