package io.pganalytics.schemas.serde;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A Kafka deserializer for Confluent's wire format: reads the schema id, fetches the writer's schema
 * once, and decodes into the generated class (with {@code specific.avro.reader=true}, resolving
 * schema evolution against the class's own schema) or into a {@code GenericRecord}.
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    private static final ThreadLocal<BinaryDecoder> DECODER =
            ThreadLocal.withInitial(() -> DecoderFactory.get().binaryDecoder(new byte[0], null));

    private SchemaRegistryClient client;
    private boolean specificReader;
    private final Map<Integer, Binding> bindings = new ConcurrentHashMap<>();
    // Most topics carry one schema id: one volatile read and an int comparison answer them.
    private volatile Binding last;

    /** For Kafka's reflective construction; call {@link #configure} before use. */
    public AvroDeserializer() {
    }

    /** A ready deserializer over an existing client. */
    public AvroDeserializer(SchemaRegistryClient client, boolean specificReader) {
        this.client = client;
        this.specificReader = specificReader;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = AvroSerdeConfig.from(configs);
        this.client = config.newClient();
        this.specificReader = config.specificReader();
        bindings.clear();
        last = null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = WireFormat.schemaId(payload);
        return (T) read(topic, id, binding(topic, id), payload);
    }

    /**
     * Decodes a payload and says which schema wrote it; for converters, which must describe the value.
     * Null for a null payload (a tombstone).
     */
    public AvroDatum deserializeWithSchema(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = WireFormat.schemaId(payload);
        Binding binding = binding(topic, id);
        return new AvroDatum(id, binding.writerSchema, read(topic, id, binding, payload));
    }

    private Binding binding(String topic, int id) {
        Binding binding = last;
        if (binding == null || binding.id != id) {
            try {
                binding = bindings.computeIfAbsent(id, this::bind);
            } catch (SchemaRegistryException e) {
                throw new SerializationException("cannot fetch schema id " + id + " for " + topic + ": " + e.getMessage(), e);
            }
            last = binding;
        }
        return binding;
    }

    private static Object read(String topic, int id, Binding binding, byte[] payload) {
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, WireFormat.HEADER_BYTES,
                    payload.length - WireFormat.HEADER_BYTES, DECODER.get());
            return binding.reader.read(null, decoder);
        } catch (IOException | AvroRuntimeException | ClassCastException | IndexOutOfBoundsException e) {
            throw new SerializationException("cannot decode Avro (schema id " + id + ") from " + topic + ": " + e, e);
        }
    }

    private Binding bind(int id) {
        Schema writer = client.schemaById(id);
        if (specificReader) {
            SpecificData specific = SpecificData.getForSchema(writer);
            Class<?> type = specific.getClass(writer);
            if (type != null) {
                Schema reader = specific.getSchema(type);
                // Same schema as the class: hand Avro the class's own instance twice, so that its
                // resolver cache (keyed by identity) finds the trivial resolution at once.
                Schema actual = writer.equals(reader) ? reader : writer;
                return new Binding(id, writer, new SpecificDatumReader<>(actual, reader, specific));
            }
        }
        return new Binding(id, writer, new GenericDatumReader<>(writer, writer, GenericData.get()));
    }

    private record Binding(int id, Schema writerSchema, DatumReader<Object> reader) {
    }
}
