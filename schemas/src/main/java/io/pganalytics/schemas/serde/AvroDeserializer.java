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

    private SchemaRegistryClient client;
    private boolean specificReader;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();

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
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = WireFormat.schemaId(payload);
        try {
            DatumReader<Object> reader = readers.computeIfAbsent(id, this::readerFor);
            var decoder = DecoderFactory.get().binaryDecoder(payload, WireFormat.HEADER_BYTES,
                    payload.length - WireFormat.HEADER_BYTES, null);
            return (T) reader.read(null, decoder);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("cannot fetch schema id " + id + " for " + topic + ": " + e.getMessage(), e);
        } catch (IOException | AvroRuntimeException | ClassCastException | IndexOutOfBoundsException e) {
            throw new SerializationException("cannot decode Avro (schema id " + id + ") from " + topic + ": " + e, e);
        }
    }

    private DatumReader<Object> readerFor(int id) {
        Schema writer = client.schemaById(id);
        if (specificReader) {
            SpecificData specific = SpecificData.getForSchema(writer);
            Class<?> type = specific.getClass(writer);
            if (type != null) {
                Schema reader = specific.getSchema(type);
                return new SpecificDatumReader<>(writer, reader, specific);
            }
        }
        return new GenericDatumReader<>(writer, writer, GenericData.get());
    }
}
