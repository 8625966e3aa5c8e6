package io.pganalytics.streams.ingest;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import io.pganalytics.schemas.serde.WireFormat;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a family's raw samples, whatever version of the family's schema the collector wrote them
 * with, as {@link GenericRecord}s of the family's current raw schema: fields a collector's older
 * schema lacks get their defaults (null for optional counters), fields it has and we dropped go.
 *
 * <p>Registry failures are wrapped, with the {@link SchemaRegistryException} as cause, in a
 * {@link SerializationException}, as {@code AvroDeserializer} does, so that
 * {@link io.pganalytics.streams.validation.SourceDecoder} tells an unreachable registry apart from a bad record.
 */
public final class RawSampleDeserializer implements Deserializer<GenericRecord> {

    private final SchemaRegistryClient client;
    private final Schema readerSchema;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();
    private BinaryDecoder decoder;

    public RawSampleDeserializer(SchemaRegistryClient client, Schema readerSchema) {
        this.client = client;
        this.readerSchema = readerSchema;
    }

    @Override
    public GenericRecord deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = WireFormat.schemaId(payload);
        GenericDatumReader<GenericRecord> reader;
        try {
            reader = readers.computeIfAbsent(id, this::readerFor);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("cannot fetch schema id " + id + " for " + topic + ": " + e.getMessage(), e);
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(payload, WireFormat.HEADER_BYTES,
                    payload.length - WireFormat.HEADER_BYTES, decoder);
            return reader.read(null, decoder);
        } catch (IOException | AvroRuntimeException | ClassCastException | IndexOutOfBoundsException e) {
            throw new SerializationException("cannot decode Avro (schema id " + id + ") from " + topic + " as "
                    + readerSchema.getName() + ": " + e, e);
        }
    }

    private GenericDatumReader<GenericRecord> readerFor(int id) {
        Schema writer = client.schemaById(id);
        // No logical-type conversions: timestamps stay longs (micros), as the metrics records carry them.
        // The same schema as ours (the usual case) is read without Avro's resolving decoder, which costs more.
        return writer.equals(readerSchema) ? new GenericDatumReader<>(readerSchema, readerSchema, GenericData.get())
                : new GenericDatumReader<>(writer, readerSchema, GenericData.get());
    }
}
